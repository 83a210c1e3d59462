"""The follow-ups' reminders as scheduled jobs, with a fixed clock: a mediation's follow-up
is reminded on its day from 08:00 local time, a rectification notice chased the day
after its deadline from 08:00; each exactly once with two schedulers ticking at the same
moment and again later, never for what was recorded, fixed or withdrawn, and not for
what is older than the catch-up window."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from portal.accounts.rules import load_actor
from portal.followups import notices
from portal.followups.jobs import JOBS
from portal.followups.tables import FollowUpReminder, MediationFollowUp, RectificationNotice
from portal.jobs.runner import JobScheduler, all_jobs
from portal.jobs.tables import JobRun
from portal.logs.tables import FieldLog
from portal.notifications.tables import Notification

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2030, 6, 3)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local time in the community's zone, as the UTC instant the scheduler ticks at."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(dt.timezone.utc)


async def a_log(community: int, author: int, kind: str, **columns) -> int:
    moment = at(DAY - dt.timedelta(days=10), 10)
    columns.setdefault("status", "accepted")
    row = FieldLog(kind=kind, community=community, author=author, occurred_at=moment, idempotency_key=str(uuid.uuid4()), created_at=moment, updated_at=moment, **columns)
    return (await FieldLog.insert(row).returning(FieldLog.id).run())[0]["id"]


async def tick(settings, moment: dt.datetime) -> None:
    """Two schedulers (two processes) running the follow-ups' jobs at the same moment."""
    await asyncio.gather(JobScheduler(settings, JOBS).run_due(moment), JobScheduler(settings, JOBS).run_due(moment))


async def messages(kind: str) -> dict[int, int]:
    """Messages per person, a message counted again on its row (``repeats``) included."""
    rows = await Notification.select(Notification.user, Notification.repeats).where(Notification.kind == kind).run()
    counted: dict[int, int] = {}
    for row in rows:
        counted[row["user"]] = counted.get(row["user"], 0) + row["repeats"]
    return counted


def test_the_jobs_are_registered():
    assert {"followups.mediation_due", "followups.rectification_overdue"} <= {job.name for job in all_jobs()}


async def test_a_follow_up_is_reminded_on_its_day_once(database, settings, area, make_user, make_volunteer):
    officer = await make_user("officer")
    volunteer = await make_volunteer()
    due = await a_log(area.community_id, volunteer, "mediation", outcome="resolved", follow_up_on=DAY)
    recorded = await a_log(area.community_id, volunteer, "mediation", outcome="resolved", follow_up_on=DAY)
    await MediationFollowUp.insert(MediationFollowUp(log=recorded, community=area.community_id, result="held", followed_up_on=DAY - dt.timedelta(days=1), created_at=at(DAY, 7))).run()
    await a_log(area.community_id, volunteer, "mediation", outcome="resolved", follow_up_on=DAY, status="duplicate")
    await a_log(area.community_id, volunteer, "mediation", outcome="resolved", follow_up_on=DAY - dt.timedelta(days=9))  # before the catch-up window
    other = await a_log(area.other_station_community_id, None, "mediation", outcome="resolved", follow_up_on=DAY + dt.timedelta(days=1))
    # The evening before and the early morning of the day: nothing yet.
    for moment in (at(DAY - dt.timedelta(days=1), 23, 50), at(DAY, 7, 50)):
        await tick(settings, moment)
        assert await messages("followup.due") == {}, moment
    await tick(settings, at(DAY, 8, 5))
    assert await messages("followup.due") == {volunteer: 1, officer: 1}
    link = (await Notification.select(Notification.link).where(Notification.user == volunteer).first().run())["link"]
    assert link == f"/followups/{due}/record"
    # Later runs, by both schedulers and after a restart's catch-up: still once.
    await tick(settings, at(DAY, 8, 20))
    await tick(settings, at(DAY, 17, 0))
    await JobScheduler(settings, JOBS).run_due(at(DAY + dt.timedelta(days=2), 9))
    assert await messages("followup.due") == {volunteer: 1, officer: 1}
    claims = await FollowUpReminder.select(FollowUpReminder.kind, FollowUpReminder.ref).where(FollowUpReminder.ref != other).run()
    assert claims == [{"kind": "mediation_due", "ref": due}]
    runs = await JobRun.select(JobRun.run_key, JobRun.outcome).where(JobRun.job == "followups.mediation_due").run()
    assert len(runs) == 6 and {r["outcome"] for r in runs} == {"ok"}  # one run per period, whichever scheduler won it


async def test_a_follow_up_missed_while_nothing_ran_is_caught_up(database, settings, area, make_user, make_volunteer):
    await make_user("officer")
    volunteer = await make_volunteer()
    await a_log(area.community_id, volunteer, "mediation", outcome="resolved", follow_up_on=DAY)
    await JobScheduler(settings, JOBS).run_due(at(DAY + dt.timedelta(days=3), 10))  # down from the day before to three days later
    assert (await messages("followup.due"))[volunteer] == 1


async def notice_due(area, officer: int, volunteer: int, day: dt.date, stage: str = "rectification_requested") -> int:
    log = await a_log(area.community_id, volunteer, "hazard", hazard_stage="rectification_requested", rectification_by="Property company", rectification_due=day)
    issued = await notices.issue(await load_actor(officer), log, "Xiguan Property Ltd", "", str(uuid.uuid4()), moment=at(day - dt.timedelta(days=7), 10))
    if stage != "rectification_requested":
        await FieldLog.update({FieldLog.hazard_stage: stage}).where(FieldLog.id == log).run()
    return issued.notice_id


async def test_an_overdue_notice_is_chased_the_day_after_once(database, settings, area, make_user, make_volunteer):
    officer = await make_user("officer")
    issuer = await make_user("head")
    volunteer = await make_volunteer()
    late = await notice_due(area, issuer, volunteer, DAY)
    await notice_due(area, issuer, volunteer, DAY, stage="fixed")  # reported fixed: nothing to chase
    withdrawn = await notice_due(area, issuer, volunteer, DAY)
    await RectificationNotice.update({RectificationNotice.withdrawn_at: at(DAY, 9)}).where(RectificationNotice.id == withdrawn).run()
    await notice_due(area, issuer, volunteer, DAY + dt.timedelta(days=1))  # a day more to go
    # The deadline day and the early morning after: nothing yet.
    for moment in (at(DAY, 22), at(DAY + dt.timedelta(days=1), 7, 59)):
        await tick(settings, moment)
        assert await messages("rectification.overdue") == {}, moment
    await tick(settings, at(DAY + dt.timedelta(days=1), 8, 1))
    assert await messages("rectification.overdue") == {officer: 1, issuer: 1}
    assert (await Notification.select(Notification.link).where(Notification.user == officer).first().run())["link"] == f"/rectification/{late}"
    await tick(settings, at(DAY + dt.timedelta(days=1), 8, 16))
    await tick(settings, at(DAY + dt.timedelta(days=1), 12))
    assert await messages("rectification.overdue") == {officer: 1, issuer: 1}
    # The next day the other notice is due: its own one message each.
    await tick(settings, at(DAY + dt.timedelta(days=2), 9))
    assert await messages("rectification.overdue") == {officer: 2, issuer: 2}
    assert await FollowUpReminder.count().where(FollowUpReminder.kind == "notice_overdue").run() == 2
