"""The reminder of a home visit due, on a fixed clock: nothing before 08:00 on the visit's
day in the community's zone; then exactly once with two schedulers ticking together and
again later, to the volunteers asked to visit or, when nobody is, to the community's
officers and station head; not for a visit not yet due, ended visits, or a day missed
longer ago than the catch-up; a new visit day is a new reminder; no message names the
person."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.care import reminders, rules
from portal.care.jobs import JOBS
from portal.care.tables import CarePerson, CareReminder
from portal.jobs.runner import JobScheduler, all_jobs
from portal.notifications.tables import Notification

ZONE = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2030, 6, 3)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE).astimezone(dt.timezone.utc)


async def person(officer, community_id: int, name: str, due: dt.date) -> int:
    registered = local(DAY, 9) - dt.timedelta(days=40)
    data = rules.PersonData(name, f"{name}'s flat", "Lives alone", "", "", registered.astimezone(ZONE).date(), "person", 7, due)
    return await rules.register(officer, community_id, data, str(uuid.uuid4()), at=registered)


async def messages() -> list[dict]:
    return await Notification.select(Notification.user, Notification.subject, Notification.body, Notification.link).where(Notification.kind == "care.due").order_by(Notification.id).run()


async def test_a_visit_due_is_reminded_once_from_eight_on_its_day_to_whoever_visits(settings, area, make_user, make_volunteer):
    officer_id = await make_user("officer")
    head_id = await make_user("head")
    await make_user("officer", community_id=area.other_community_id)  # another community's officer: never told
    visitor = await make_volunteer()
    officer = await load_actor(officer_id)
    visited = await person(officer, area.community_id, "Granny Zhou", DAY)
    alone = await person(officer, area.community_id, "Old Mr Li", DAY)
    tomorrow = await person(officer, area.community_id, "Mrs Wang", DAY + dt.timedelta(days=1))
    ended = await person(officer, area.community_id, "Mr Sun", DAY)
    forgotten = await person(officer, area.community_id, "Mrs Ma", DAY - dt.timedelta(days=14))
    await rules.assign(officer, visited, visitor, at=local(DAY, 9) - dt.timedelta(days=39))
    await rules.end(officer, ended, "withdrawn", DAY - dt.timedelta(days=2), at=local(DAY, 9) - dt.timedelta(days=2))
    job = JOBS[0]
    first, second = JobScheduler(settings, [job]), JobScheduler(settings, [job])

    await asyncio.gather(first.run_due(local(DAY, 7, 50)), second.run_due(local(DAY, 7, 50)))
    assert await messages() == []  # before 08:00 in the community's zone
    await asyncio.gather(first.run_due(local(DAY, 8, 5)), second.run_due(local(DAY, 8, 5)))
    await asyncio.gather(first.run_due(local(DAY, 8, 20)), second.run_due(local(DAY, 8, 35)))
    await asyncio.gather(reminders.remind_visits_due(local(DAY, 9)), reminders.remind_visits_due(local(DAY, 9)))
    sent = await messages()
    assert sorted((m["user"], m["link"]) for m in sent) == sorted([
        (visitor, f"/care/assigned/{visited}"), (officer_id, f"/care/{alone}"), (head_id, f"/care/{alone}"),
    ])
    assert not any(name in json.dumps(sent) for name in ("Granny Zhou", "Old Mr Li", "flat"))
    claimed = {(r["person"], r["due_on"]) for r in await CareReminder.select(CareReminder.person, CareReminder.due_on).run()}
    assert claimed == {(visited, DAY), (alone, DAY)}
    assert tomorrow not in {p for p, _ in claimed} and ended not in {p for p, _ in claimed} and forgotten not in {p for p, _ in claimed}

    # The visit moves the day on: a week later the visitor is reminded once more; Old Mr Li, still
    # due since that day, is not reminded again (he stays on the overdue list).
    await rules.record_visit(await load_actor(visitor), visited, rules.VisitData(visited_on=DAY, outcome="all_well"), str(uuid.uuid4()), at=local(DAY, 10))
    assert (await CarePerson.select(CarePerson.next_due_on).where(CarePerson.id == visited).first().run())["next_due_on"] == DAY + dt.timedelta(days=7)
    later = DAY + dt.timedelta(days=7)
    await asyncio.gather(first.run_due(local(later, 8, 1)), second.run_due(local(later, 8, 1)))
    await asyncio.gather(first.run_due(local(later, 12)), second.run_due(local(later, 12)))
    told = [m["user"] for m in await messages()]
    assert (told.count(visitor), told.count(officer_id), told.count(head_id)) == (2, 2, 2)  # the officers: Old Mr Li, then Mrs Wang
    # Mrs Wang's day (tomorrow then) came within the catch-up: reminded once, the day it was missed on.
    assert (tomorrow, DAY + dt.timedelta(days=1)) in {(r["person"], r["due_on"]) for r in await CareReminder.select(CareReminder.person, CareReminder.due_on).run()}
    # One audit row per reminder sent, however many runs raced for it.
    assert await AuditEntry.count().where(AuditEntry.action == "care.reminded").run() == await CareReminder.count().run() == 4


async def test_the_job_is_registered(settings):
    assert "care.visits_due" in {job.name for job in all_jobs()}
