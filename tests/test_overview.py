"""The heads' overview: for a made-up October 2026 (and a few records either side), every
figure a station head, a district head and a city head see equals what is counted by hand
here, per unit one level below and in total; the change against September; the 4S
panels; the workbook read back; bad periods refused with the message by the field."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from portal.accounts.rules import now
from portal.followups.tables import MediationFollowUp, RectificationNotice
from portal.ledger.rules import NewItem, file_item
from portal.ledger.tables import LedgerCallback, LedgerEvent, LedgerItem, LedgerReferral
from portal.logs.tables import FieldLog
from portal.public.tables import Intake
from portal.reception.tables import DailyCount
from portal.shifts.tables import Shift, ShiftKind, Signup
from tests.test_reception_counters import make_room

ZONE = ZoneInfo("Asia/Shanghai")
OCTOBER = "preset=month&at=2026-10-15"


def local(day: int, hour: int = 10, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(dt.timezone.utc)


async def log(community: int, kind: str, at: dt.datetime, status: str = "accepted", author: int | None = None, **columns) -> int:
    moment = now()
    row = FieldLog(kind=kind, community=community, author=author, status=status, occurred_at=at, idempotency_key=str(uuid.uuid4()), created_at=moment, updated_at=moment, **columns)
    return (await FieldLog.insert(row).returning(FieldLog.id).run())[0]["id"]


async def item(community: int, ledger: str = "complaint", filed: dt.datetime | None = None, intake: int | None = None, **columns) -> int:
    made = await file_item(None, NewItem(ledger=ledger, category="other", community_id=community, summary="overview item", source="public" if intake else "reception", intake_id=intake))
    await LedgerItem.update({LedgerItem.created_at: filed or local(3), **{getattr(LedgerItem, k): v for k, v in columns.items()}}).where(LedgerItem.id == made["id"]).run()
    return made["id"]


async def intake(community: int, at: dt.datetime, answered: dt.datetime | None = None) -> int:
    row = Intake(kind="suggestion", community=community, text="t", tracking_code=uuid.uuid4().hex[:12], idempotency_key=str(uuid.uuid4()), created_at=at, answered_at=answered)
    return (await Intake.insert(row).returning(Intake.id).run())[0]["id"]


async def worked(community: int, volunteer: int, starts: dt.datetime, hours: float) -> None:
    moment = now()
    kind = (await ShiftKind.insert(ShiftKind(community=community, kind="patrol", name="Patrol", created_at=moment, updated_at=moment)).returning(ShiftKind.id).run())[0]["id"]
    shift = (await Shift.insert(Shift(community=community, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=hours), min_people=1, capacity=2, taken=1, created_at=moment)).returning(Shift.id).run())[0]["id"]
    await Signup.insert(Signup(shift=shift, user=volunteer, status="confirmed", queued_at=moment, checked_in_at=starts, checked_out_at=starts + dt.timedelta(hours=hours), updated_at=moment)).run()


@pytest.fixture
async def october(area, make_volunteer, make_user):
    """The records, with what each head should see written next to them.
    a, b: communities of the first station (first district); c: the other station (other district)."""
    a, b, c = area.community_id, area.other_community_id, area.other_station_community_id
    vol_a = await make_volunteer(community_id=a)
    vol_c = await make_volunteer(community_id=c)
    officer_a = await make_user("officer", username="overview-officer-a", community_id=a)
    # Patrols: a 2 in October (60 + 30 min; the second at 23:30 on 31 October, local), 1 in
    # September, 1 at 00:30 on 1 November (not October); c 1 of 60 min. Pending: not counted.
    await log(a, "patrol", local(5), minutes=60, author=vol_a)
    await log(a, "patrol", local(31, 23, 30), minutes=30, author=vol_a)
    await log(a, "patrol", local(20, month=9), minutes=60)
    await log(a, "patrol", local(1, 0, 30, month=11), minutes=45)
    await log(a, "patrol", local(6), minutes=45, status="submitted")
    await log(c, "patrol", local(7), minutes=60, author=vol_c)
    # Hazards: a found in October, fixed and verified in October; c found, not fixed;
    # b found in September, fixed in October.
    hazard_a = await log(a, "hazard", local(8), fixed_at=local(9), verified_at=local(12))
    hazard_c = await log(c, "hazard", local(9))
    hazard_b = await log(b, "hazard", local(25, month=9), fixed_at=local(2))
    # Mediation resolved (a), one referred (c); help with 3 and 2 people (b); publicity 40 (b).
    mediation_a = await log(a, "mediation", local(10), outcome="resolved", follow_up_on=dt.date(2026, 10, 17))
    await log(c, "mediation", local(11), outcome="referred_court", follow_up_on=dt.date(2026, 10, 20))
    await log(b, "help", local(12), people_count=3)
    # On either side of the month's first local midnight (16:00 UTC the day before).
    await log(b, "help", local(1, 0, 30), people_count=2)
    await log(b, "help", local(30, 23, 30, month=9), people_count=1)
    await log(b, "publicity", local(13), people_count=40)
    # Volunteers: vol_a worked 2 h in a (and logged there), vol_c 3 h in c.
    await worked(a, vol_a, local(14), 2)
    await worked(c, vol_c, local(15), 3)
    # Public messages: 2 in a (one answered in October, one filed into the ledger), 1 in c in September.
    await intake(a, local(2), answered=local(3))
    second = await intake(a, local(4))
    await intake(c, local(20, month=9), answered=local(21, month=9))
    # Ledger: a filed 2 in October (one from a message) and closed one satisfied by the
    # person; b 1 satisfied by a callback; c filed 1 closed without confirmation; a 1 filed in September.
    one = await item(a, filed=local(4), intake=second, stage="closed", closed_at=local(20), satisfaction="satisfied", satisfaction_via="tracking", close_days=16.0)
    await item(a, filed=local(6), stage="assigned", officer=officer_a, stage_due_at=local(1, month=10))
    await item(b, ledger="suggestion", filed=local(26, month=9), stage="closed", closed_at=local(10), satisfaction="satisfied", satisfaction_via="callback", close_days=14.0)
    await item(c, filed=local(5), stage="closed_unconfirmed", closed_at=local(30), close_days=25.0)
    moment = now()
    await LedgerCallback.insert(LedgerCallback(item=one, by_user=officer_a, channel="phone", said="ok", satisfied=True, created_at=local(19))).run()
    await LedgerEvent.insert(LedgerEvent(item=one, kind="reopened", note="not yet", created_at=local(15))).run()
    await LedgerReferral.insert(LedgerReferral(item=one, body_kind="street_office", sent_on=dt.date(2026, 10, 7), answered_on=dt.date(2026, 10, 9), created_at=moment)).run()
    # Reception: a room in b with 5 people in 3 visits on 10 October.
    room = await make_room(b, "overview-room", "会客厅")
    await DailyCount.insert(DailyCount(room=room, community=b, day=dt.date(2026, 10, 10), visits=3, people=5, consultation=2, mediation_resolved=1)).run()
    # Follow-ups, by their due day and the day they were done: a's October mediation due on
    # the 17th, held on the 16th; a's September one due on 30 September, referred on 2
    # October (overdue in September); b's due 5 October, relapsed on the 8th (overdue); c's
    # due on the 20th and a pending log's on the 25th, never done (overdue); a duplicate and
    # one due in November are not counted.
    await MediationFollowUp.insert(MediationFollowUp(log=mediation_a, community=a, result="held", followed_up_on=dt.date(2026, 10, 16), created_at=local(16))).run()
    september_a = await log(a, "mediation", local(25, month=9), outcome="partly", follow_up_on=dt.date(2026, 9, 30))
    await MediationFollowUp.insert(MediationFollowUp(log=september_a, community=a, result="referred_committee", followed_up_on=dt.date(2026, 10, 2), created_at=local(2))).run()
    september_b = await log(b, "mediation", local(20, month=9), outcome="partly", follow_up_on=dt.date(2026, 10, 5))
    await MediationFollowUp.insert(MediationFollowUp(log=september_b, community=b, result="relapsed", followed_up_on=dt.date(2026, 10, 8), created_at=local(8))).run()
    await log(c, "mediation", local(12), status="submitted", outcome="partly", follow_up_on=dt.date(2026, 10, 25))
    await log(a, "mediation", local(12), status="duplicate", outcome="partly", follow_up_on=dt.date(2026, 10, 19))
    await log(a, "mediation", local(28), status="submitted", outcome="partly", follow_up_on=dt.date(2026, 11, 2))
    # Rectification notices: a's hazard fixed the day after its notice (in time), and one
    # withdrawn (issued, never overdue); c's never fixed (overdue on the 15th); b's issued in
    # September, due on the 30th and fixed on 2 October (overdue in September, fixed in October).
    for number, (community, station, hazard, issued, due, withdrawn) in enumerate((
        (a, area.station_id, hazard_a, local(8, 15), dt.date(2026, 10, 10), None),
        (a, area.station_id, hazard_a, local(3), dt.date(2026, 10, 4), local(3, 12)),
        (c, area.other_station_id, hazard_c, local(9, 12), dt.date(2026, 10, 15), None),
        (b, area.station_id, hazard_b, local(28, month=9), dt.date(2026, 9, 30), None),
    )):
        await RectificationNotice.insert(RectificationNotice(
            log=hazard, community=community, station=station, year=2026, seq=number + 1, number=f"2026-{number + 1:04d}", party="Owner", wording="…",
            due_on=due, due_at=dt.datetime.combine(due + dt.timedelta(days=1), dt.time(0), tzinfo=ZONE), token=uuid.uuid4().hex, issued_at=issued,
            withdrawn_at=withdrawn, idempotency_key=str(uuid.uuid4()),
        )).run()
    await outreach(area, a, b, c, officer_a)
    await care_visits(a, c)
    return {"a": a, "b": b, "c": c}


# Expected October figures per community, counted by hand from the fixture above.
BY_COMMUNITY = {
    "a": {"Patrols": 2, "Patrol hours": 1.5, "Hazards found": 1, "Hazards fixed": 1, "Hazards verified fixed": 1, "Mediations": 1, "Mediations resolved": 1,
          "Active volunteers": 1, "Volunteer hours": 2, "Public messages received": 2, "Public messages answered": 1, "Public messages filed into a ledger": 1,
          "Ledger items filed": 2, "Ledger items closed": 1, "Satisfied, by the person's own answer": 1, "Callbacks recorded": 1, "Answers \"not satisfied\"": 1,
          "Referrals sent": 1, "Referrals answered": 1,
          "Mediation follow-ups due": 1, "Mediation follow-ups done": 2, "Follow-ups: agreement held": 1, "Follow-ups: referred on": 1,
          "Rectification notices issued": 2, "Rectification notices fixed": 1},
    "b": {"Hazards fixed": 1, "Help given": 2, "People helped": 5, "Publicity sessions": 1, "Publicity audience": 40, "Ledger items closed": 1,
          "Satisfied, by a callback": 1, "People received": 5, "Consultations and requests for help": 2, "Disputes resolved": 1, "Reception visits logged": 3,
          "Mediation follow-ups due": 1, "Mediation follow-ups done": 1, "Mediation follow-ups overdue": 1, "Follow-ups: dispute broke out again": 1,
          "Rectification notices fixed": 1},
    "c": {"Patrols": 1, "Patrol hours": 1, "Hazards found": 1, "Mediations": 1, "Active volunteers": 1, "Volunteer hours": 3, "Ledger items filed": 1,
          "Ledger items closed": 1, "Closed without confirmation": 1,
          "Mediation follow-ups due": 2, "Mediation follow-ups overdue": 2, "Rectification notices issued": 1, "Rectification notices overdue": 1},
}
SEPTEMBER = {
    "a": {"Patrols": 1, "Patrol hours": 1, "Mediations": 1, "Mediation follow-ups due": 1, "Mediation follow-ups overdue": 1},
    "b": {"Hazards found": 1, "Ledger items filed": 1, "Help given": 1, "People helped": 1, "Mediations": 1, "Rectification notices issued": 1, "Rectification notices overdue": 1},
    "c": {"Public messages received": 1, "Public messages answered": 1},
}


CARE_NAME = "Granny Overview"


async def care_visits(a: int, c: int) -> None:
    """Care registers, counted in CARE below. a: one person due in 2099, one whose visit is
    overdue, one whose visits ended (not on the register, their visits still counted);
    visits on 5, 12 (help needed) and 31 October, 6 October (the ended one), 28 September
    and 1 November. c: one person due in 2099, visited on 15 October (escalated)."""
    from portal.care.tables import CarePerson, CareVisit

    moment = now()

    async def person(community: int, due: dt.date, ended: dt.date | None = None) -> int:
        row = CarePerson(community=community, name=CARE_NAME, address="Block 1", needs="Lives alone", consent_on=dt.date(2026, 9, 1), next_due_on=due,
                         next_due_at=dt.datetime.combine(due + dt.timedelta(days=1), dt.time(0), tzinfo=ZONE), ended_on=ended, created_at=moment, updated_at=moment)
        return (await CarePerson.insert(row).returning(CarePerson.id).run())[0]["id"]

    later, overdue, ended = await person(a, dt.date(2099, 1, 1)), await person(a, dt.date(2026, 10, 20)), await person(a, dt.date(2026, 10, 13), dt.date(2026, 10, 10))
    far = await person(c, dt.date(2099, 1, 1))
    for person_id, community, day, outcome in (
        (later, a, dt.date(2026, 10, 5), "all_well"), (later, a, dt.date(2026, 10, 12), "needs_help"), (later, a, dt.date(2026, 10, 31), "all_well"),
        (ended, a, dt.date(2026, 10, 6), "all_well"), (overdue, a, dt.date(2026, 9, 28), "all_well"), (overdue, a, dt.date(2026, 11, 1), "all_well"),
        (far, c, dt.date(2026, 10, 15), "escalated_officer"),
    ):
        await CareVisit.insert(CareVisit(person=person_id, community=community, visited_on=day, outcome=outcome, note=CARE_NAME, idempotency_key=str(uuid.uuid4()), created_at=moment)).run()


async def outreach(area, a: int, b: int, c: int, officer: int) -> None:
    """进建商 and 联访解 records, counted in OUTREACH below. Sessions: a's on 9 October
    (two of three invited came; three resolutions, one done on the 20th, one on 3
    November); b's on 28 September (one came; its resolution done on 5 October); c's on 31
    October (one came, one resolution); a's on 1 November. Pairings: a's since 15
    September (a contact on 30 September whose opinion, filed, closed at 00:30 on 1
    October) and since 2 October (contacts on 3 and 31 October: one opinion solved on the
    spot, two filed of which one closed on the 25th); b's since 10 October (a contact in
    November); c's since 5 October (a contact on the 6th, solved on the spot)."""
    from portal.councils.tables import CouncilAttendance, CouncilRepresentative, CouncilResolution, CouncilSession
    from portal.pairings.tables import Pairing, PairingContact, PairingOpinion

    moment = now()
    day = dt.date

    async def insert(table, **columns) -> int:
        return (await table.insert(table(**columns)).returning(table.id).run())[0]["id"]

    def key() -> str:
        return str(uuid.uuid4())

    r1, r2, r3 = [await insert(CouncilRepresentative, station=area.station_id, name=n, kind="think_tank", created_at=moment, idempotency_key=key()) for n in ("r1", "r2", "r3")]
    r4 = await insert(CouncilRepresentative, station=area.other_station_id, name="r4", kind="npc_deputy", created_at=moment, idempotency_key=key())
    sessions = {}
    for name, station, community, held in (("a", area.station_id, a, day(2026, 10, 9)), ("b", area.station_id, b, day(2026, 9, 28)),
                                            ("c", area.other_station_id, c, day(2026, 10, 31)), ("a-nov", area.station_id, a, day(2026, 11, 1))):
        sessions[name] = await insert(CouncilSession, station=station, community=community, held_on=held, topic="t", created_at=moment, updated_at=moment, idempotency_key=key())
    for session, representative, came in (("a", r1, True), ("a", r2, True), ("a", r3, False), ("b", r1, True), ("c", r4, True), ("a-nov", r1, True)):
        await CouncilAttendance.insert(CouncilAttendance(session=sessions[session], representative=representative, attended=came)).run()
    for seq, (session, done_on) in enumerate((("a", day(2026, 10, 20)), ("a", None), ("a", day(2026, 11, 3)), ("b", day(2026, 10, 5)), ("c", None), ("a-nov", None))):
        await insert(CouncilResolution, session=sessions[session], seq=seq + 1, matter="m", owner=officer, due_on=day(2026, 12, 1), status="done" if done_on else "open",
                     done_on=done_on, created_at=moment, updated_at=moment, idempotency_key=key())
    pairings = {}
    for name, community, started in (("a-sep", a, day(2026, 9, 15)), ("a", a, day(2026, 10, 2)), ("b", b, day(2026, 10, 10)), ("c", c, day(2026, 10, 5))):
        pairings[name] = await insert(Pairing, officer=officer, community=community, kind="unit", unit_kind="school", name=name, started_on=started,
                                      created_at=moment, updated_at=moment, idempotency_key=key())

    async def contact(pairing: str, community: int, on: dt.date, *opinions) -> None:
        made = await insert(PairingContact, pairing=pairings[pairing], community=community, officer=officer, contacted_on=on, created_at=moment, idempotency_key=key())
        for outcome, ledger_item in opinions:
            await insert(PairingOpinion, contact=made, pairing=pairings[pairing], community=community, officer=officer, contacted_on=on, text="o", outcome=outcome,
                         ledger_item=ledger_item, created_at=moment, idempotency_key=key())

    closed_first = await item(a, ledger="suggestion", filed=local(30, month=9), stage="closed_unconfirmed", closed_at=local(1, 0, 30))
    closed_late = await item(a, ledger="claim", filed=local(3), stage="closed_unconfirmed", closed_at=local(25))
    still_open = await item(a, ledger="complaint", filed=local(3))
    await contact("a-sep", a, day(2026, 9, 30), ("filed", closed_first))
    await contact("a", a, day(2026, 10, 3), ("solved", None), ("filed", closed_late), ("filed", still_open))
    await contact("a", a, day(2026, 10, 31))
    await contact("b", b, day(2026, 11, 2), ("solved", None))
    await contact("c", c, day(2026, 10, 6), ("solved", None))


# 进建商 and 联访解 by hand (see outreach()), with the ledger items their opinions went into.
OUTREACH = {
    "a": {"Sessions with citizens held (进建商)": 1, "Representatives who came": 2, "Resolutions decided": 3, "Resolutions done": 1, "Pairings made (联访解)": 1,
          "Contacts with paired units and people": 2, "Opinions collected": 3, "Opinions solved": 3,
          "Ledger items filed": 2, "Ledger items closed": 2, "Closed without confirmation": 2},
    "b": {"Resolutions done": 1, "Pairings made (联访解)": 1},
    "c": {"Sessions with citizens held (进建商)": 1, "Representatives who came": 1, "Resolutions decided": 1, "Pairings made (联访解)": 1,
          "Contacts with paired units and people": 1, "Opinions collected": 1, "Opinions solved": 1},
}
OUTREACH_SEPTEMBER = {
    "a": {"Pairings made (联访解)": 1, "Contacts with paired units and people": 1, "Opinions collected": 1, "Ledger items filed": 1},
    "b": {"Sessions with citizens held (进建商)": 1, "Representatives who came": 1, "Resolutions decided": 1},
}
# Home visits by hand (see care_visits()); people on the registers and overdue stand now (CARE_NOW).
CARE = {"a": {"Home visits made": 4, "Home visits that found a need": 1}, "c": {"Home visits made": 1, "Home visits that found a need": 1}}
CARE_SEPTEMBER = {"a": {"Home visits made": 1}}
for _month, _extra in ((BY_COMMUNITY, OUTREACH), (SEPTEMBER, OUTREACH_SEPTEMBER), (BY_COMMUNITY, CARE), (SEPTEMBER, CARE_SEPTEMBER)):
    for _community, _counts in _extra.items():
        for _label, _n in _counts.items():
            _month[_community][_label] = _month[_community].get(_label, 0) + _n


def summed(*communities: str) -> dict:
    out: dict = {}
    for community in communities:
        for key, value in BY_COMMUNITY[community].items():
            out[key] = out.get(key, 0) + value
    return out


def figures_sheet(content: bytes) -> tuple[list, dict[str, list]]:
    sheet = load_workbook(io.BytesIO(content))["Figures"]
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), {row[1]: list(row[2:]) for row in rows[1:] if row[0] != "Now"}


HEADS = {
    # role, whose district, communities seen, the units the figures are split by
    "head": ("head", "first", ("a", "b"), "By community"),
    "district_head": ("district_head", "first", ("a", "b"), "By police station"),
    "other_district_head": ("district_head", "other", ("c",), "By police station"),
    "city_head": ("city_head", "first", ("a", "b", "c"), "By district or county bureau"),
}


# People on the care registers and visits overdue, now: (people, overdue) per head.
CARE_NOW = {"head": (2, 1), "district_head": (2, 1), "other_district_head": (1, 0), "city_head": (3, 1)}


@pytest.mark.parametrize("who", list(HEADS))
async def test_care_registers_stand_as_counts_never_as_names(area, october, client_for, who):
    role, district, _seen, _by = HEADS[who]
    client, _ = await client_for(role, district_id=area.other_district_id if district == "other" else None)
    response = await client.get(f"/overview/export.xlsx?{OCTOBER}")
    now_rows = {row[1]: row[-1] for row in list(load_workbook(io.BytesIO(response.content))["Figures"].iter_rows(values_only=True))[1:] if row[0] == "Now"}
    assert (now_rows["People on the care registers"], now_rows["Home visits overdue"]) == CARE_NOW[who]
    page = (await client.get(f"/overview?{OCTOBER}")).text
    assert ">Home visits to people who need care<" in page and ">People on the care registers<" in page
    assert CARE_NAME not in page and CARE_NAME.encode() not in response.content


@pytest.mark.parametrize("who", list(HEADS))
async def test_each_head_sees_hand_counted_figures_of_their_area(area, october, client_for, who):
    role, district, seen, by = HEADS[who]
    client, _ = await client_for(role, district_id=area.other_district_id if district == "other" else None)
    response = await client.get(f"/overview/export.xlsx?{OCTOBER}")
    assert response.status_code == 200
    header, rows = figures_sheet(response.content)
    assert header[2:] == [f"{m} 2025" for m in ("Nov", "Dec")] + [f"{m} 2026" for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct")]
    expected = summed(*seen)
    for label, values in rows.items():
        if label in ("Median days to close", "Satisfaction rate (%)"):
            continue
        assert values[-1] == pytest.approx(expected.get(label, 0)), (who, label)
        assert sum(v or 0 for v in values[:-2]) == 0, (who, label)  # nothing before September
    before = {}
    for community in seen:
        for label, value in SEPTEMBER[community].items():
            before[label] = before.get(label, 0) + value
    for label, values in rows.items():
        if label not in ("Median days to close", "Satisfaction rate (%)"):
            assert values[-2] == before.get(label, 0), (who, label)
    # Medians of the items closed in October: a 16 (and b 14) days; c 25.
    assert rows["Median days to close"][-1] == {"head": 15.0, "district_head": 15.0, "other_district_head": 25.0, "city_head": 16.0}[who]
    # Rate: proven satisfied (a by person, b by callback) over those plus one "not satisfied" (a).
    assert rows["Satisfaction rate (%)"][-1] == {"head": 66.7, "district_head": 66.7, "other_district_head": None, "city_head": 66.7}[who]
    units = load_workbook(io.BytesIO(response.content))[by]
    table = list(units.iter_rows(values_only=True))
    columns = list(table[0])
    body = {row[0]: dict(zip(columns, row)) for row in table[1:]}
    assert body["Total"]["Patrols"] == expected.get("Patrols", 0)
    assert sum(row["Patrols"] or 0 for name, row in body.items() if name != "Total") == expected.get("Patrols", 0)
    if who == "head":
        assert body["Community A"]["Patrols"] == 2 and body["Community B"]["Hazards fixed"] == 1 and "Community C" not in body
    if who == "city_head":
        assert body["District 1"]["Patrols"] == 2 and body["District 2"]["Patrols"] == 1 and body["District 2"]["Ledger items filed"] == 1
        assert body["Total"]["Active volunteers"] == 2 and body["Total"]["Ledger items overdue"] == 1


async def test_overview_page_4s_change_and_links(area, october, client_for):
    client, _ = await client_for("head")
    page = (await client.get(f"/overview?{OCTOBER}")).text
    for heading in ("4S: safe, spread, speed, satisfaction", "Safe", "Spread", "Speed", "Satisfaction", "Volunteers and patrols", "The three ledgers", "Reception rooms"):
        assert f">{heading}<" in page, heading
    assert ">By community · Oct 2026<" in page
    assert "<svg class=\"trend\"" in page and page.count("<svg class=\"trend\"") >= 30
    assert "+1 against the period before" in page  # patrols 2 against 1 in September
    assert "Oct 2026" in page and "Sep 2026" in page
    # The home pages of every head level lead to it.
    for role in ("head", "district_head", "city_head", "officer"):
        home = (await (await client_for(role))[0].get("/")).text
        assert 'href="/overview"' in home, role
    zh, _ = await client_for("head", preferred_language="zh_CN")
    assert "2026年10月" in (await zh.get(f"/overview?{OCTOBER}")).text


async def test_an_officer_sees_their_community_and_bad_periods_are_refused(area, october, client_for):
    client, _ = await client_for("officer")  # community a
    _, rows = figures_sheet((await client.get(f"/overview/export.xlsx?{OCTOBER}")).content)
    assert rows["Patrols"][-1] == 2 and rows["Help given"][-1] == 0
    bad = await client.get("/overview?from=2026-10-31&to=2026-10-01")
    assert bad.status_code == 422
    assert "The last day comes before the first." in bad.text and 'value="2026-10-01"' in bad.text
    custom = await client.get("/overview/export.xlsx?from=2026-10-01&to=2026-10-31")
    _, rows = figures_sheet(custom.content)
    assert rows["Patrols"][-1] == 2 and len(rows["Patrols"]) == 12
    volunteer, _ = await client_for("volunteer")
    assert (await volunteer.get("/overview")).status_code == 403
