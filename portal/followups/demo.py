"""Demo follow-ups in 西关社区: a mediation whose follow-up is due today (on the lists of
the volunteer who mediated and of the officer, reminded from 08:00), the fire door's notice in
force, and a notice whose deadline passed three days ago without the fix reported (on
the overdue lists, and in the officer's inbox as the job would chase it). The follow-ups
of the mediations before, due more than two days ago, are recorded in bulk (most held),
so the overdue list shows what is really late."""

from __future__ import annotations

import datetime as dt

from portal.accounts.rules import load_actor
from portal.accounts.tables import User
from portal.followups import mediation, notices, reminders
from portal.followups.tables import MediationFollowUp, RectificationNotice
from portal.logs import rules as log_rules
from portal.logs.tables import FieldLog
from portal.stations.tables import Community

# Results of the follow-ups recorded in bulk, by the log's id modulo 10.
RESULT_BY_REMAINDER = ("held",) * 7 + ("relapsed", "referred_committee", "police_case")


async def seed_followups(moment: dt.datetime | None = None) -> None:
    moment = moment or log_rules.now()
    users = {r["username"]: r["id"] for r in await User.select(User.id, User.username).where(User.username.is_in(["officer", "volunteer", "volunteer2"])).run()}
    community = await Community.select(Community.id, Community.timezone).where(Community.code == "xiguan").first().run()
    if not community or len(users) < 3:
        return
    await _record_earlier(moment)
    volunteer, officer = await load_actor(users["volunteer"]), await load_actor(users["officer"])
    today = mediation.local_day(moment, community["timezone"])
    due = log_rules.LogData(
        kind="mediation", community_id=community["id"], occurred_at=moment - dt.timedelta(days=7, hours=2), category="neighbours", people_count=2,
        description="邻居在楼道堆放杂物引发争吵。", agreement="三天内清理楼道杂物，今后不再堆放。", outcome="resolved", follow_up_on=today,
        address="西关大街 18 号院 3 号楼", parties=[("丁某", "13900000021"), ("戊某", "13900000022")],
    )
    await log_rules.create(volunteer, due, "demo-followup-due", moment=moment)
    # The fire door of building 3 (logs' demo): rectification requested, its notice in force.
    fire_door = await FieldLog.select(FieldLog.id).where(
        (FieldLog.community == community["id"]) & (FieldLog.hazard_stage == "rectification_requested") & (FieldLog.rectification_due >= today)
    ).order_by(FieldLog.id, ascending=False).first().run()
    if fire_door:
        await notices.issue(officer, fire_door["id"], "西关物业管理有限公司", "西关大街 18 号院物业办公室", "00000000-0000-4000-8000-000000000191", moment=moment)
    await _overdue_notice(community, users, officer, today, moment)
    await reminders.remind_follow_ups(moment)
    await reminders.chase_overdue_notices(moment)


async def _overdue_notice(community: dict, users: dict, officer, today: dt.date, moment: dt.datetime) -> None:
    """A blocked exit at the market, found twelve days ago; the notice was issued ten days
    ago with a week to fix it, and nothing came back."""
    found = moment - dt.timedelta(days=12)
    data = log_rules.LogData(
        kind="hazard", community_id=community["id"], occurred_at=found, category="fire_exit", severity="high",
        description="菜市场北侧安全出口被货箱堵住，出口门外堆满杂物。", address="西关菜市场北侧安全出口",
    )
    created = await log_rules.create(await load_actor(users["volunteer2"]), data, "demo-rectification-overdue", moment=moment)
    await log_rules.transition(officer, created.log_id, "confirmed", moment=moment)
    await log_rules.transition(officer, created.log_id, "rectification_requested", rectification_by="西关菜市场经营管理处", rectification_due=today, moment=moment)
    issued = await notices.issue(officer, created.log_id, "西关菜市场经营管理处", "西关菜市场管理办公室", "00000000-0000-4000-8000-000000000192", moment=moment)
    # Back to when it happened: the rules only take deadlines from today on.
    deadline = today - dt.timedelta(days=3)
    await FieldLog.update({FieldLog.rectification_due: deadline}).where(FieldLog.id == created.log_id).run()
    await RectificationNotice.update({
        RectificationNotice.due_on: deadline, RectificationNotice.due_at: notices.end_of_day(deadline, community["timezone"]),
        RectificationNotice.issued_at: moment - dt.timedelta(days=10),
    }).where(RectificationNotice.id == issued.notice_id).run()


async def _record_earlier(moment: dt.datetime) -> None:
    """The follow-ups of the mediations before (the demo's history), due more than two days
    ago: recorded by their author on the day or a day or two late."""
    last = (moment - dt.timedelta(days=3)).date()
    rows = await FieldLog.select(FieldLog.id, FieldLog.community, FieldLog.author, FieldLog.follow_up_on).where(
        (FieldLog.kind == "mediation") & FieldLog.follow_up_on.is_not_null() & (FieldLog.follow_up_on <= last) & (FieldLog.status != "duplicate")
        & FieldLog.id.not_in(mediation.DONE)
    ).run()
    made = [
        MediationFollowUp(
            log=r["id"], community=r["community"], result=RESULT_BY_REMAINDER[r["id"] % 10], followed_up_on=min(r["follow_up_on"] + dt.timedelta(days=r["id"] % 3), last),
            recorded_by=r["author"], created_at=moment,
        )
        for r in rows
    ]
    for start in range(0, len(made), 500):
        await MediationFollowUp.insert(*made[start:start + 500]).run()
