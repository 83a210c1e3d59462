"""Hand-made weeks for the bulletin tests: every figure below is counted by hand.

The week is 2026-W47 (Monday 16 to Sunday 22 November 2026) in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from portal.audit.tables import AuditEntry
from portal.ledger.tables import LedgerItem
from portal.logs.places import generalise
from portal.logs.tables import FieldLog, Landmark, MediationParty
from portal.shifts.tables import Shift, ShiftKind, Signup
from portal.stations.tables import Community
from portal.volunteers.tables import VolunteerProfile
from portal.watchpoints.tables import WatchPoint, WatchPointVisit

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
WEEK = "2026-W47"
MONDAY = dt.date(2026, 11, 16)
# Monday after the week, 06:00 in Shanghai: when the job compiles it.
DUE = dt.datetime(2026, 11, 23, 6, 0, tzinfo=SHANGHAI)
SECRETS = ("机密张三", "13912345678", "秘密李四", "13800001111", "机密细节", "Hidden Helper")


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of November 2026 in Shanghai, as UTC."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def week_ago(moment: dt.datetime, weeks: int) -> dt.datetime:
    return moment - dt.timedelta(weeks=weeks)


async def age_communities(*ids: int) -> None:
    """Communities that existed long before the weeks compiled."""
    await Community.update({Community.created_at: dt.datetime(2026, 1, 1, tzinfo=UTC)}).where(Community.id.is_in(list(ids))).run()


async def log(community: int, kind: str, occurred: dt.datetime, **values) -> int:
    values.setdefault("status", "accepted")
    values.setdefault("place", generalise(values.get("address", "")))  # as the rules write it
    row = await FieldLog.insert(
        FieldLog(kind=kind, community=community, occurred_at=occurred, idempotency_key=str(uuid.uuid4()), created_at=occurred, updated_at=occurred, **values)
    ).returning(FieldLog.id).run()
    return row[0]["id"]


_numbers = iter(range(1, 10_000))


async def ledger_item(community: int, station: int, ledger: str, created: dt.datetime, **values) -> int:
    n = next(_numbers)
    values.setdefault("stage", "registered")
    row = await LedgerItem.insert(
        LedgerItem(ledger=ledger, station=station, community=community, summary=values.pop("summary", "内部摘要"), year=2026, seq=n, number=f"CZ-2026-{n:06d}",
                   tracking_code=uuid.uuid4().hex[:12], stage_entered_at=created, created_at=created, updated_at=created, **values)
    ).returning(LedgerItem.id).run()
    return row[0]["id"]


async def point(community: int, name: str) -> int:
    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    row = await WatchPoint.insert(
        WatchPoint(community=community, slug=uuid.uuid4().hex[:16], name_zh=name, name_en=f"{name} EN", kind="shop", address="路 1 号", status="verified",
                   idempotency_key=str(uuid.uuid4()), created_at=now, updated_at=now)
    ).returning(WatchPoint.id).run()
    return row[0]["id"]


async def shift(community: int, kind: int, start: dt.datetime, hours: int, min_people: int, taken: int) -> int:
    row = await Shift.insert(
        Shift(community=community, kind=kind, starts_at=start, ends_at=start + dt.timedelta(hours=hours), min_people=min_people, capacity=4, taken=taken, created_at=start)
    ).returning(Shift.id).run()
    return row[0]["id"]


async def build_week(area, make_volunteer) -> dict:
    """The hand-made week in the area's first community (and one patrol in the second)."""
    a, b = area.community_id, area.other_community_id
    await age_communities(a, b, area.other_station_community_id)
    shop = await point(a, "陈记药房")
    renamed = await point(a, "平安超市")
    gate = (await Landmark.insert(Landmark(community=a, name_zh="东门菜市场", name_en="East Gate Market", created_at=local(1, 8))).returning(Landmark.id).run())[0]["id"]
    corner = (await Landmark.insert(Landmark(community=a, name_zh="二号楼", name_en="Building 2", created_at=local(1, 8))).returning(Landmark.id).run())[0]["id"]

    # Patrols: 3 this week (60 + 90 + 30 min = 3 h), 1 last week, 2 three weeks ago, 1 four weeks ago.
    await log(a, "patrol", local(16, 19), minutes=60, ended_at=local(16, 20))  # Monday evening
    await log(a, "patrol", local(18, 20), minutes=90, ended_at=local(18, 21, 30))  # Wednesday evening
    await log(a, "patrol", local(20, 10), minutes=30, ended_at=local(20, 10, 30))  # Friday morning: not an evening
    await log(a, "patrol", week_ago(local(18, 10), 1), minutes=60)
    await log(a, "patrol", week_ago(local(18, 10), 3), minutes=60)
    await log(a, "patrol", week_ago(local(19, 10), 3), minutes=60)
    await log(a, "patrol", week_ago(local(18, 10), 4), minutes=60)
    await log(a, "patrol", week_ago(local(18, 10), 5), minutes=60)  # outside the 4-week average
    await log(a, "patrol", local(17, 10), status="submitted", minutes=60)  # not reviewed: not counted
    await log(b, "patrol", local(17, 10), minutes=60)  # another community

    # Hazards: 4 at the pharmacy, 1 at the market, 2 at building 2 = 7 found this week.
    for day in (16, 17, 18, 19):
        await log(a, "hazard", local(day, 9), category="fire_exit", watch_point=shop, hazard_stage="reported", severity="medium")
    await log(a, "hazard", local(19, 11), category="stairwell", landmark=gate, hazard_stage="reported", severity="low")
    for day in (20, 21):
        await log(a, "hazard", local(day, 11), category="stairwell", landmark=corner, hazard_stage="reported", severity="low")
    # Two stairwell hazards from three weeks ago, fixed this week; one of them also verified.
    await log(a, "hazard", week_ago(local(17, 9), 3), category="stairwell", hazard_stage="fixed", fixed_at=local(17, 15))
    await log(a, "hazard", week_ago(local(18, 9), 3), category="stairwell", hazard_stage="verified", fixed_at=local(18, 15), verified_at=local(19, 15))
    # Help: 2 at the market (3 and 2 people).
    await log(a, "help", local(17, 14), category="lost_elderly", landmark=gate, people_count=3)
    await log(a, "help", local(21, 14), category="directions", landmark=gate, people_count=2)
    # A mediation with its confidential parties.
    mediation = await log(a, "mediation", local(18, 16), category="neighbours", outcome="resolved", people_count=2, agreement="双方和解")
    await MediationParty.insert(MediationParty(log=mediation, name="机密张三", contact="13912345678")).run()

    # Ledger: one open and overdue, one suggestion settled (8 days), one closed unconfirmed (4 days).
    await ledger_item(a, area.station_id, "suggestion", local(21, 9), raised_by_name="秘密李四", raised_by_phone="13800001111", details="机密细节",
                      stage="assigned", stage_due_at=local(22, 9))
    await ledger_item(a, area.station_id, "suggestion", local(10, 9), stage="closed", closed_at=local(18, 9), satisfaction="satisfied",
                      public_summary="东门路灯已修好", place_public="东门附近", raised_by_name="秘密李四")
    await ledger_item(a, area.station_id, "complaint", local(16, 9), stage="closed_unconfirmed", closed_at=local(20, 9))

    # Shifts: a patrol route; Tuesday's is filled and worked (2 × 2 h), Thursday's is not.
    kind = (await ShiftKind.insert(ShiftKind(community=a, kind="patrol", name="东街巡逻", min_people=2, max_people=4, created_at=local(1, 8), updated_at=local(1, 8))).returning(ShiftKind.id).run())[0]["id"]
    tuesday = await shift(a, kind, local(17, 19), 2, 2, 2)
    await shift(a, kind, local(19, 19), 2, 2, 1)
    named = await make_volunteer(real_name="王小明")
    hidden = await make_volunteer(real_name="Hidden Helper")
    await VolunteerProfile.update({VolunteerProfile.may_be_named: True}).where(VolunteerProfile.user == named).run()
    for user in (named, hidden):
        await Signup.insert(Signup(shift=tuesday, user=user, status="active", queued_at=local(10, 8), checked_in_at=local(17, 19), checked_out_at=local(17, 21), updated_at=local(17, 21))).run()
    # Next week: Monday evening needs 3 people and has none.
    coming = await shift(a, kind, local(23, 19), 2, 3, 0)

    # Watch points: the pharmacy verified for the first time this week; the shop changed its hours.
    await WatchPointVisit.insert(WatchPointVisit(point=shop, visited_on=MONDAY, outcome="verified", created_at=local(16, 11))).run()
    await AuditEntry.insert(AuditEntry(at=local(19, 12), action="watchpoint.hours", object_type="watchpoint", object_id=str(renamed))).run()
    return {"shop": shop, "renamed": renamed, "named": named, "hidden": hidden, "coming": coming}


def count(figures: dict, key: str) -> dict:
    return next(c for c in figures["counts"] if c["key"] == key)


# Mediations of community a by outcome, weeks back from 2026-W47 (0 = this week).
MEDIATIONS = {
    0: ("resolved", "resolved", "partly", "referred_committee", "police_case"),
    1: ("resolved", "referred_court"),
    2: ("partly", "partly", "referred_court"),
    3: ("police_case", "police_case"),
    4: ("resolved", "resolved", "resolved"),
    5: ("referred_court",),  # in the trend, not in the 4-week average
}


async def build_mediations(area) -> None:
    """Mediations by outcome over six weeks in community a, one resolved in b this week,
    and two that are not counted (not reviewed; a duplicate)."""
    a, b = area.community_id, area.other_community_id
    await age_communities(a, b, area.other_station_community_id)
    for back, outcomes in MEDIATIONS.items():
        for n, outcome in enumerate(outcomes):
            await log(a, "mediation", week_ago(local(17 + n, 15), back), category="neighbours", outcome=outcome, people_count=2)
    await log(a, "mediation", local(19, 9), category="family", outcome="referred_court", status="submitted")
    await log(a, "mediation", local(19, 10), category="family", outcome="referred_court", status="duplicate")
    await log(b, "mediation", local(20, 15), category="property", outcome="resolved", people_count=2)
