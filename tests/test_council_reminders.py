"""进建商 resolutions falling due, on a fixed clock: the owner is told on the due day from
08:00 in the session's community, exactly once with two schedulers ticking together and
never again later; the station's heads when the owner's account is gone; not a
resolution done or due tomorrow, nor one missed longer ago than the catch-up (it stays on
the overdue list). The overdue list is read by the station's officers and heads and heads
above, reached from the homes and the sessions page, never by another station. A
resolution filed into the ledger is done when its item closes settled, not when it
closes as a duplicate."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from portal.accounts.rules import load_actor
from portal.accounts.tables import User
from portal.audit.tables import AuditEntry
from portal.councils import reminders, rules
from portal.councils.jobs import JOBS
from portal.councils.tables import CouncilReminder, CouncilResolution
from portal.jobs.runner import JobScheduler, all_jobs
from portal.ledger.rules import transition
from portal.ledger.tables import LedgerItem
from portal.notifications.tables import Notification

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = dt.datetime.now(ZONE).date()
DAY = TODAY + dt.timedelta(days=20)  # the due day the clock is set to
HELD = TODAY - dt.timedelta(days=10)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE).astimezone(dt.timezone.utc)


async def session_with(officer, community_id: int, station_id: int, topic: str = "校园周边交通安全") -> int:
    return await rules.create_session(officer, station_id, rules.SessionData(community_id, HELD, topic), str(uuid.uuid4()))


async def resolution(actor, session_id: int, owner: int, due: dt.date, matter: str, **ledger) -> int:
    data = rules.ResolutionData(matter=matter, decision="", owner_id=owner, due_on=due, **ledger)
    return await rules.add_resolution(actor, session_id, data, str(uuid.uuid4()))


async def messages() -> list[dict]:
    return await Notification.select(Notification.user, Notification.subject, Notification.link).where(Notification.kind == "council.due").order_by(Notification.id).run()


async def test_the_owner_is_reminded_once_on_the_due_day_from_eight(settings, area, make_user):
    officer_id = await make_user("officer", real_name="李警官")
    head_id = await make_user("head", real_name="张所长")
    gone_id = await make_user("officer", real_name="离职警官")
    await make_user("officer", community_id=area.other_station_community_id)  # another station: never told
    officer = await load_actor(officer_id)
    session_id = await session_with(officer, area.community_id, area.station_id)
    due = await resolution(officer, session_id, officer_id, DAY, "放学时段学校门口拥堵")
    orphan = await resolution(officer, session_id, gone_id, DAY, "路口缺少减速带")
    tomorrow = await resolution(officer, session_id, officer_id, DAY + dt.timedelta(days=1), "明天到期")
    finished = await resolution(officer, session_id, officer_id, DAY, "已经办完")
    forgotten = await resolution(officer, session_id, officer_id, DAY - dt.timedelta(days=14), "两周前到期")
    await CouncilResolution.update({CouncilResolution.status: "done", CouncilResolution.done_on: HELD}).where(CouncilResolution.id == finished).run()
    await User.update({User.active: False}).where(User.id == gone_id).run()
    first, second = JobScheduler(settings, JOBS), JobScheduler(settings, JOBS)

    await asyncio.gather(first.run_due(local(DAY, 7, 50)), second.run_due(local(DAY, 7, 50)))
    assert await messages() == []  # before 08:00 in the community's zone
    await asyncio.gather(first.run_due(local(DAY, 8, 5)), second.run_due(local(DAY, 8, 5)))
    await asyncio.gather(first.run_due(local(DAY, 8, 20)), second.run_due(local(DAY, 8, 35)))
    await asyncio.gather(reminders.remind_resolutions_due(local(DAY, 9)), reminders.remind_resolutions_due(local(DAY, 9)))
    told = await messages()
    link = f"/councils/{session_id}#resolution-"
    # The owner about their resolution, the head about the one whose owner left; once each.
    assert [(m["user"], m["link"]) for m in told] == [(officer_id, f"{link}{due}"), (head_id, f"{link}{orphan}")]
    assert "校园周边交通安全" in told[0]["subject"]
    claims = {r["resolution"] for r in await CouncilReminder.select(CouncilReminder.resolution).run()}
    assert claims == {due, orphan}
    audited = await AuditEntry.select(AuditEntry.object_id).where(AuditEntry.action == "council.resolution_reminded").run()
    assert sorted(int(r["object_id"]) for r in audited) == sorted([due, orphan])

    # Tomorrow's on its own day, once; the done one and the forgotten one never.
    await asyncio.gather(first.run_due(local(DAY + dt.timedelta(days=1), 8, 0)), second.run_due(local(DAY + dt.timedelta(days=1), 8, 0)))
    await first.run_due(local(DAY + dt.timedelta(days=1), 12, 0))
    await first.run_due(local(DAY + dt.timedelta(days=2), 9))
    assert [(m["user"], m["link"]) for m in await messages()][2:] == [(officer_id, f"{link}{tomorrow}")]
    assert not await CouncilReminder.exists().where(CouncilReminder.resolution.is_in([finished, forgotten])).run()


async def test_a_day_missed_while_nothing_ran_is_caught_up(settings, area, make_user):
    officer_id = await make_user("officer")
    officer = await load_actor(officer_id)
    session_id = await session_with(officer, area.community_id, area.station_id)
    due = await resolution(officer, session_id, officer_id, DAY, "放学时段学校门口拥堵")
    # Nothing ran on the due day; the scheduler starts three days later and catches up.
    await JobScheduler(settings, JOBS).run_due(local(DAY + dt.timedelta(days=3), 10))
    assert [(m["user"], m["link"]) for m in await messages()] == [(officer_id, f"/councils/{session_id}#resolution-{due}")]


async def test_overdue_resolutions_are_listed_for_the_officers_and_heads_of_the_station(area, make_user, client_for):
    officer, officer_id = await client_for("officer", real_name="李警官")
    head, _ = await client_for("head")
    district_head, _ = await client_for("district_head")
    other_officer, _ = await client_for("officer", community_id=area.other_station_community_id)
    volunteer, _ = await client_for("volunteer")
    actor = await load_actor(officer_id)
    session_id = await session_with(actor, area.community_id, area.station_id)
    late = await resolution(actor, session_id, officer_id, TODAY - dt.timedelta(days=3), "路口缺少减速带")
    await resolution(actor, session_id, officer_id, TODAY, "今天到期")  # due today: not overdue yet
    finished = await resolution(actor, session_id, officer_id, TODAY - dt.timedelta(days=5), "已经办完")
    await CouncilResolution.update({CouncilResolution.status: "done", CouncilResolution.done_on: HELD}).where(CouncilResolution.id == finished).run()

    for client in (officer, head, district_head):
        page = await client.get("/councils/overdue")
        assert page.status_code == 200
        assert "路口缺少减速带" in page.text and f"#resolution-{late}" in page.text and "3 days late" in page.text
        assert "今天到期" not in page.text and "已经办完" not in page.text
        home = (await client.get("/")).text
        assert 'href="/councils/overdue"' in home and "1 resolution overdue" in home
    assert 'href="/councils/overdue"' in (await officer.get("/councils")).text
    elsewhere = await other_officer.get("/councils/overdue")
    assert elsewhere.status_code == 200 and "路口缺少减速带" not in elsewhere.text and "No resolution is overdue." in elsewhere.text
    assert "/councils/overdue" not in (await other_officer.get("/")).text
    assert (await volunteer.get("/councils/overdue", follow_redirects=False)).status_code == 403


async def test_a_resolution_in_the_ledger_is_done_when_its_item_closes_settled(area, make_user):
    officer_id = await make_user("officer")
    officer = await load_actor(officer_id)
    session_id = await session_with(officer, area.community_id, area.station_id)
    settled = await resolution(officer, session_id, officer_id, DAY, "小区门口路灯不亮", ledger_choice="file", ledger="suggestion", category="other")
    duplicate = await resolution(officer, session_id, officer_id, DAY, "同一件事又提了一次", ledger_choice="file", ledger="suggestion", category="other")
    rows = {r["id"]: r for r in await CouncilResolution.select().run()}
    item, other = rows[settled]["ledger_item"], rows[duplicate]["ledger_item"]
    number = (await LedgerItem.select(LedgerItem.number).where(LedgerItem.id == item).first().run())["number"]
    await LedgerItem.update({LedgerItem.public_summary: "路灯"}).where(LedgerItem.id.is_in([item, other])).run()

    for step in ("in_progress", "handled", "feedback_given"):
        await transition(item, step, officer, note="已修好")
    assert (await CouncilResolution.select(CouncilResolution.status).where(CouncilResolution.id == settled).first().run())["status"] == "open"
    await transition(item, "closed", None, channel="tracking", via="tracking")
    done = await CouncilResolution.select().where(CouncilResolution.id == settled).first().run()
    assert done["status"] == "done" and done["done_via"] == "ledger" and done["done_on"] == TODAY and done["done_note"] == ""
    audit = await AuditEntry.select(AuditEntry.actor, AuditEntry.after).where(
        (AuditEntry.action == "council.resolution_done") & (AuditEntry.object_id == str(settled))
    ).run()
    assert len(audit) == 1
    page = (await rules.readable_session(officer, session_id))["resolutions"]
    assert [r["done_via"] for r in page if r["id"] == settled] == ["ledger"]

    await transition(other, "closed_duplicate", officer, note="重复", duplicate_of=number)
    assert (await CouncilResolution.select(CouncilResolution.status).where(CouncilResolution.id == duplicate).first().run())["status"] == "open"


async def test_the_job_is_registered():
    assert "councils.resolutions_due" in {job.name for job in all_jobs()}


async def test_the_owner_or_the_head_gives_a_resolution_another_owner_or_day(settings, area, make_user, client_for):
    """The station head (or the owner) changes an open resolution's owner or due date from
    the session page: audited before and after, the new owner told, the reminder on the new
    day; another officer of the station may not; bad input and a stale page change nothing."""
    from tests.conftest import field_error, post_form
    from tests.unchanged import nothing_changes

    officer, officer_id = await client_for("officer", real_name="李警官")
    colleague, colleague_id = await client_for("officer", real_name="孙警官")
    head, _ = await client_for("head")
    actor = await load_actor(officer_id)
    session_id = await session_with(actor, area.community_id, area.station_id)
    rid = await resolution(actor, session_id, officer_id, DAY, "路口缺少减速带")
    page = await head.get(f"/councils/{session_id}")
    assert f'action="/councils/resolutions/{rid}/change"' in page.text
    assert f'action="/councils/resolutions/{rid}/change"' not in (await colleague.get(f"/councils/{session_id}")).text

    def body(owner: int, due: dt.date | str, version: str = "1") -> dict:
        return {f"c{rid}-owner": str(owner), f"c{rid}-due_on": str(due), f"c{rid}-version": version}

    far = await make_user("officer", community_id=area.other_station_community_id)
    async with nothing_changes((CouncilResolution, rid)):
        refused = await post_form(colleague, f"/councils/resolutions/{rid}/change", body(colleague_id, DAY + dt.timedelta(days=5)))
        assert refused.status_code == 422 and "owner or the station head" in field_error(refused.text, f"c{rid}-owner")
        early = await post_form(head, f"/councils/resolutions/{rid}/change", body(colleague_id, HELD - dt.timedelta(days=1)))
        assert early.status_code == 422 and field_error(early.text, f"c{rid}-due_on") and f'value="{(HELD - dt.timedelta(days=1)).isoformat()}"' in early.text
        stale = await post_form(head, f"/councils/resolutions/{rid}/change", body(colleague_id, DAY + dt.timedelta(days=5), "4"))
        assert stale.status_code == 422 and "meanwhile" in field_error(stale.text, f"c{rid}-owner")
        outsider = await post_form(head, f"/councils/resolutions/{rid}/change", body(far, DAY))
        assert outsider.status_code == 422 and field_error(outsider.text, f"c{rid}-owner")

    later = DAY + dt.timedelta(days=5)
    assert (await post_form(head, f"/councils/resolutions/{rid}/change", body(colleague_id, later))).status_code == 303
    row = await CouncilResolution.select().where(CouncilResolution.id == rid).first().run()
    assert (row["owner"], row["due_on"], row["version"]) == (colleague_id, later, 2)
    [entry] = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == "council.resolution_changed").output(load_json=True).run()
    assert entry["before"] == {"owner": officer_id, "due_on": DAY.isoformat(), "version": 1}
    assert entry["after"] == {"owner": colleague_id, "due_on": later.isoformat(), "version": 2}
    told = await Notification.select(Notification.user, Notification.link).where(Notification.kind == "council.owner").run()
    assert told == [{"user": colleague_id, "link": f"/councils/{session_id}#resolution-{rid}"}]

    # The old day passes in silence; the new one reminds the new owner.
    await JobScheduler(settings, JOBS).run_due(local(DAY, 9))
    assert await messages() == []
    await JobScheduler(settings, JOBS).run_due(local(later, 8, 5))
    assert [m["user"] for m in await messages()] == [colleague_id]
