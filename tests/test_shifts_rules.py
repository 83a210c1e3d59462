"""Shift rules on a fixed clock: eligibility for every state, the capacity race, the
waitlist, cut-off and stand-ins, check-in/out and hours, no-show blocking, the overdue
alarm, roster generation, reminders and alerts exactly once, the calendar feed."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from icalendar import Calendar

from portal import db
from portal.accounts.tables import User
from portal.audit.tables import AuditEntry
from portal.notifications.tables import Notification
from portal.shifts import rules
from portal.shifts.rules import Policy, ShiftError, State
from portal.shifts.tables import RosterTemplate, Shift, ShiftKind, ShiftStanding, Signup
from portal.volunteers.tables import VolunteerProfile
from portal.watchpoints.tables import WatchPoint
from portal.web import i18n
from tests.unchanged import nothing_changes

UTC = dt.timezone.utc
# Monday 3 June 2030, 08:00 UTC = 16:00 in Asia/Shanghai.
NOW = dt.datetime(2030, 6, 3, 8, 0, tzinfo=UTC)
POLICY = Policy(cancel_cutoff_hours=12, offer_minutes=60, max_no_shows=2, overdue_minutes=30, reminder_hours=(24, 2), experienced_after=2)


@pytest.fixture(autouse=True)
def english():
    """Reasons and messages are checked in English (the rules translate them)."""
    token = i18n.activate("en")
    yield
    i18n.restore(token)


@pytest.fixture
async def officer(make_user):
    """The acting officer of the area's first community (an audit row needs a real user)."""
    return rules._UserRef(await make_user("officer", username="acting-officer"), "acting-officer")


async def make_kind(community_id: int, **overrides) -> int:
    data = {"kind": "patrol", "name": "Night patrol", "place": "Xiguan Street", "required_skills": "", "min_people": 2, "max_people": 4, "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False, "cancel_cutoff_hours": None, "signup_opens_hours": None}
    return await rules.create_kind(None, community_id, {**data, **overrides})


async def make_shift(community_id: int, kind_id: int | None = None, starts_in: dt.timedelta = dt.timedelta(days=2), hours: float = 2, capacity: int = 4, min_people: int = 1, **kind_overrides) -> int:
    kind_id = kind_id or await make_kind(community_id, **kind_overrides)
    starts = NOW + starts_in
    row = await Shift.insert(
        Shift(community=community_id, kind=kind_id, starts_at=starts, ends_at=starts + dt.timedelta(hours=hours), min_people=min_people, capacity=capacity, taken=0, status="open", created_at=NOW)
    ).returning(Shift.id).run()
    return row[0]["id"]


async def state_of(user_id: int, shift_id: int, now: dt.datetime = NOW) -> rules.Eligibility:
    return await rules.eligibility_for(user_id, await rules.load_shift(shift_id), now, POLICY)


async def taken(shift_id: int) -> int:
    return (await Shift.select(Shift.taken).where(Shift.id == shift_id).first().run())["taken"]


async def status_of(shift_id: int, user_id: int) -> str | None:
    row = await Signup.select(Signup.status).where((Signup.shift == shift_id) & (Signup.user == user_id)).first().run()
    return row["status"] if row else None


# --- Eligibility: every state ---------------------------------------------------------


async def test_free_then_signed_up_with_the_reason_shown(area, make_volunteer):
    user = await make_volunteer()
    shift = await make_shift(area.community_id)
    state = await state_of(user, shift)
    assert state.state == State.FREE and state.can_act and state.reason == "4 of 4 places free."
    result = await rules.sign_up(user, shift, NOW, POLICY)
    assert result.outcome == "active"
    assert (await state_of(user, shift)).state == State.SIGNED_UP
    assert await taken(shift) == 1


async def test_not_verified_pending_or_other_community_volunteers_cannot_sign_up(area, make_volunteer, make_user):
    pending = await make_volunteer(verified=False)
    elsewhere = await make_volunteer(community_id=area.other_community_id)
    no_profile = await make_user("volunteer")
    shift = await make_shift(area.community_id)
    for user in (pending, elsewhere, no_profile):
        assert (await state_of(user, shift)).state == State.NOT_VERIFIED
    async with nothing_changes((Shift, shift), also=(Signup,)):
        with pytest.raises(ShiftError, match="Only verified volunteers"):
            await rules.sign_up(pending, shift, NOW, POLICY)
    assert await Signup.count().run() == 0 and await taken(shift) == 0


async def test_missing_skill_names_the_skill(area, make_volunteer):
    without = await make_volunteer(skills=("english",))
    with_it = await make_volunteer(skills=("first_aid",))
    shift = await make_shift(area.community_id, required_skills="first_aid")
    state = await state_of(without, shift)
    assert state.state == State.MISSING_SKILL and "first aid" in state.reason
    assert (await state_of(with_it, shift)).state == State.FREE


async def test_not_yet_open_until_n_hours_before(area, make_volunteer):
    user = await make_volunteer()
    shift = await make_shift(area.community_id, starts_in=dt.timedelta(hours=72), signup_opens_hours=48)
    assert (await state_of(user, shift)).state == State.NOT_YET_OPEN
    assert (await state_of(user, shift, NOW + dt.timedelta(hours=25))).state == State.FREE


async def test_ended_once_started(area, make_volunteer):
    user = await make_volunteer()
    shift = await make_shift(area.community_id, starts_in=dt.timedelta(hours=1))
    assert (await state_of(user, shift, NOW + dt.timedelta(hours=1))).state == State.ENDED
    async with nothing_changes((Shift, shift), also=(Signup,)):
        with pytest.raises(ShiftError):
            await rules.sign_up(user, shift, NOW + dt.timedelta(hours=1, minutes=5), POLICY)


async def test_collides_with_another_of_your_shifts(area, make_volunteer):
    user = await make_volunteer()
    kind = await make_kind(area.community_id)
    first = await make_shift(area.community_id, kind, starts_in=dt.timedelta(days=1), hours=2)
    overlapping = await make_shift(area.community_id, kind, starts_in=dt.timedelta(days=1, hours=1), hours=2)
    after = await make_shift(area.community_id, kind, starts_in=dt.timedelta(days=1, hours=2), hours=2)
    await rules.sign_up(user, first, NOW, POLICY)
    state = await state_of(user, overlapping)
    assert state.state == State.COLLIDES and "Night patrol" in state.reason
    assert (await state_of(user, after)).state == State.FREE  # touching is not colliding


async def test_full_offers_the_waitlist_and_cancelled_shift_says_why(area, make_volunteer, officer):
    users = [await make_volunteer() for _ in range(3)]
    shift = await make_shift(area.community_id, capacity=2)
    for user in users[:2]:
        await rules.sign_up(user, shift, NOW, POLICY)
    state = await state_of(users[2], shift)
    assert state.state == State.FULL and state.action == "Join the waitlist"
    result = await rules.sign_up(users[2], shift, NOW, POLICY)
    assert result.outcome == "waiting"
    assert (await state_of(users[2], shift)).reason == "You are on the waitlist (number 1)."
    await rules.cancel_shift(officer, area.community_id, shift, "Storm warning", NOW)
    assert (await state_of(users[0], shift)).state == State.CANCELLED
    assert "Storm warning" in (await state_of(users[0], shift)).reason
    told = await Notification.select(Notification.user).where(Notification.kind == "shift.cancelled").run()
    assert sorted(r["user"] for r in told) == sorted(users)  # the waitlist is told too


async def test_blocked_after_n_unexcused_no_shows_until_lifted(area, make_volunteer, officer):
    user = await make_volunteer()
    for day in (1, 2):
        shift = await make_shift(area.community_id, starts_in=dt.timedelta(days=day))
        await rules.sign_up(user, shift, NOW, POLICY)
        signup = (await Signup.select(Signup.id).where(Signup.shift == shift).first().run())["id"]
        blocked = await rules.mark_no_show(officer, signup, False, "did not come", None, NOW + dt.timedelta(days=day, hours=1), POLICY)
    assert blocked is True
    later = await make_shift(area.community_id, starts_in=dt.timedelta(days=5))
    assert (await state_of(user, later)).state == State.BLOCKED
    await rules.lift_block(officer, user)
    assert (await state_of(user, later)).state == State.FREE


async def test_an_excused_no_show_does_not_count(area, make_volunteer, officer):
    user = await make_volunteer()
    for day in (1, 2):
        shift = await make_shift(area.community_id, starts_in=dt.timedelta(days=day))
        await rules.sign_up(user, shift, NOW, POLICY)
        signup = (await Signup.select(Signup.id).where(Signup.shift == shift).first().run())["id"]
        await rules.mark_no_show(officer, signup, day == 2, "ill", None, NOW + dt.timedelta(days=day, hours=1), POLICY)
    assert not await rules.is_blocked(user, POLICY)


async def test_not_open_to_your_role_and_watch_point_hosts(area, make_volunteer, make_user):
    volunteer = await make_volunteer()
    host = await make_user("host")
    other_host = await make_user("host")
    point = await WatchPoint.insert(
        WatchPoint(community=area.community_id, host=host, slug="p1", name_zh="药房", kind="pharmacy", address="1 Road", status="verified", idempotency_key="k1", created_at=NOW, updated_at=NOW)
    ).returning(WatchPoint.id).run()
    await WatchPoint.insert(
        WatchPoint(community=area.community_id, host=other_host, slug="p2", name_zh="超市", kind="shop", address="2 Road", status="verified", idempotency_key="k2", created_at=NOW, updated_at=NOW)
    ).run()
    duty = await make_shift(area.community_id, kind="watch_point", open_to="hosts", watch_point=point[0]["id"])
    assert (await state_of(volunteer, duty)).state == State.NOT_FOR_ROLE
    assert (await state_of(host, duty)).state == State.FREE
    assert (await state_of(other_host, duty)).state == State.NOT_VERIFIED  # not their point
    patrol = await make_shift(area.community_id, starts_in=dt.timedelta(days=3))
    assert (await state_of(host, patrol)).state == State.NOT_FOR_ROLE


# --- Capacity: enforced by the database ---------------------------------------------------


async def _bulk_volunteers(community_id: int, count: int) -> list[int]:
    ids = []
    for i in range(count):
        row = await User.insert(User(username=f"racer{i}", password_hash="x", real_name=f"Racer {i}", preferred_language="en", created_at=NOW)).returning(User.id).run()
        ids.append(row[0]["id"])
    await VolunteerProfile.insert(*[VolunteerProfile(user=u, community=community_id, status="verified", applied_at=NOW) for u in ids]).run()
    return ids


async def test_200_simultaneous_sign_ups_for_5_places_give_5_and_a_waitlist(area, engine_name, settings):
    """Each call is its own write transaction, all at once: exactly 5 hold a place."""
    await db.open_pool(settings)  # as in the served app: PostgreSQL's pool, SQLite's connections
    users = await _bulk_volunteers(area.community_id, 200)
    shift = await make_shift(area.community_id, capacity=5)
    results = await asyncio.gather(*(rules.sign_up(u, shift, NOW, POLICY) for u in users), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], f"{engine_name}: {errors[:3]}"
    assert sum(r.outcome == "active" for r in results) == 5
    assert sum(r.outcome == "waiting" for r in results) == 195
    assert await Signup.count().where((Signup.shift == shift) & (Signup.status == "active")).run() == 5
    assert await Signup.count().where((Signup.shift == shift) & (Signup.status == "waiting")).run() == 195
    assert await taken(shift) == 5


async def test_a_double_tap_creates_one_sign_up(area, make_volunteer, settings):
    await db.open_pool(settings)
    user = await make_volunteer()
    shift = await make_shift(area.community_id)
    results = await asyncio.gather(*(rules.sign_up(user, shift, NOW, POLICY) for _ in range(5)), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert await Signup.count().where(Signup.shift == shift).run() == 1
    assert await taken(shift) == 1


async def test_a_stale_page_changes_nothing_when_the_last_place_went(area, make_volunteer):
    first, late = await make_volunteer(), await make_volunteer()
    shift = await make_shift(area.community_id, capacity=1)
    await rules.sign_up(first, shift, NOW, POLICY)
    async with nothing_changes((Shift, shift), (Signup, Signup.shift == shift)):
        with pytest.raises(rules.StaleError, match="changed since your page was loaded"):
            await rules.sign_up(late, shift, NOW, POLICY, expect="free")
    assert await status_of(shift, late) is None and await taken(shift) == 1


# --- Waitlist, cut-off, stand-in ----------------------------------------------------------


async def test_a_freed_place_is_offered_to_the_first_waiting_and_expires_to_the_next(area, make_volunteer):
    holder, first, second = await make_volunteer(), await make_volunteer(), await make_volunteer()
    shift = await make_shift(area.community_id, capacity=1, starts_in=dt.timedelta(days=3))
    await rules.sign_up(holder, shift, NOW, POLICY)
    await rules.sign_up(first, shift, NOW + dt.timedelta(minutes=1), POLICY)
    await rules.sign_up(second, shift, NOW + dt.timedelta(minutes=2), POLICY)
    assert await rules.withdraw(holder, shift, NOW + dt.timedelta(hours=1), POLICY) == "cancelled"
    assert await status_of(shift, first) == "offered" and await status_of(shift, second) == "waiting"
    assert await taken(shift) == 1  # the place is held for the offer
    offer = await Notification.select(Notification.subject).where((Notification.user == first) & (Notification.kind == "shift.offer")).first().run()
    assert offer and "A place is free for you" in offer["subject"]
    # Not yet expired: nothing moves. After the limit (60 min), the next person gets it.
    assert await rules.expire_offers(NOW + dt.timedelta(hours=1, minutes=59), POLICY) == 0
    # Past the limit the offer can no longer be confirmed, even before the job runs.
    assert (await state_of(first, shift, NOW + dt.timedelta(hours=2, minutes=1))).state == State.WAITING
    assert await rules.expire_offers(NOW + dt.timedelta(hours=2, minutes=1), POLICY) == 1
    assert await status_of(shift, first) == "lapsed" and await status_of(shift, second) == "offered"
    state = await state_of(second, shift, NOW + dt.timedelta(hours=2, minutes=5))
    assert state.state == State.OFFERED
    result = await rules.sign_up(second, shift, NOW + dt.timedelta(hours=2, minutes=5), POLICY)
    assert result.outcome == "confirmed" and await status_of(shift, second) == "active" and await taken(shift) == 1


async def test_cancelling_after_the_cut_off_asks_for_a_stand_in_who_takes_over(area, make_volunteer, make_user):
    officer = await make_user("officer")
    leaving, stand_in = await make_volunteer(), await make_volunteer()
    shift = await make_shift(area.community_id, capacity=1, starts_in=dt.timedelta(hours=10))
    await rules.sign_up(leaving, shift, NOW, POLICY)
    assert await rules.withdraw(leaving, shift, NOW, POLICY) == "standin"  # 10 h < 12 h cut-off
    assert await status_of(shift, leaving) == "standin" and await taken(shift) == 1
    alert = await Notification.select(Notification.subject).where((Notification.user == officer) & (Notification.kind == "shift.stand_in_needed")).first().run()
    assert alert and "stand-in" in alert["subject"]
    assert (await state_of(leaving, shift)).state == State.HANDED_OVER
    assert (await state_of(stand_in, shift)).state == State.STANDIN
    result = await rules.sign_up(stand_in, shift, NOW, POLICY)
    assert result.outcome == "took_over"
    assert await status_of(shift, leaving) == "replaced" and await status_of(shift, stand_in) == "active" and await taken(shift) == 1


async def test_cancelling_before_the_cut_off_frees_the_place_and_a_kind_may_set_its_own(area, make_volunteer):
    user = await make_volunteer()
    shift = await make_shift(area.community_id, starts_in=dt.timedelta(hours=10), cancel_cutoff_hours=6)
    await rules.sign_up(user, shift, NOW, POLICY)
    assert await rules.withdraw(user, shift, NOW, POLICY) == "cancelled"
    assert await taken(shift) == 0 and await status_of(shift, user) == "cancelled"
    again = await rules.sign_up(user, shift, NOW, POLICY)  # the same row comes back
    assert again.outcome == "active" and await Signup.count().where(Signup.shift == shift).run() == 1


# --- Check-in/out, hours, overdue ----------------------------------------------------------


async def test_check_in_from_15_minutes_before_and_hours_from_in_and_out(area, make_volunteer, officer):
    user = await make_volunteer()
    shift = await make_shift(area.community_id, starts_in=dt.timedelta(hours=1))
    await rules.sign_up(user, shift, NOW, POLICY)
    async with nothing_changes((Shift, shift), (Signup, Signup.shift == shift)):
        with pytest.raises(ShiftError, match="15 minutes"):
            await rules.check_in(user, shift, NOW + dt.timedelta(minutes=44))
    await rules.check_in(user, shift, NOW + dt.timedelta(minutes=45))
    hours = await rules.check_out(user, shift, NOW + dt.timedelta(hours=3, minutes=15))
    assert hours == 2.5 and await rules.total_hours(user) == 2.5
    signup = (await Signup.select(Signup.id).where(Signup.shift == shift).first().run())["id"]
    await rules.correct_hours(officer, signup, 2.0, "left early, agreed", None)
    assert await rules.total_hours(user) == 2.0
    audit = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == "shift.hours_corrected").first().run()
    audit = {k: json.loads(v) if isinstance(v, str) else v for k, v in audit.items()}
    assert audit["before"]["hours"] == 2.5 and audit["after"] == {"hours": 2.0, "note": "left early, agreed"}


async def test_a_patroller_not_checked_out_alerts_the_officers_once(area, make_volunteer, make_user):
    officer = await make_user("officer")
    other_officer = await make_user("officer", community_id=area.other_community_id)
    user = await make_volunteer()
    shift = await make_shift(area.community_id, starts_in=dt.timedelta(hours=1), hours=2)
    await rules.sign_up(user, shift, NOW, POLICY)
    await rules.check_in(user, shift, NOW + dt.timedelta(hours=1))
    end = NOW + dt.timedelta(hours=3)
    assert await rules.alert_overdue(end + dt.timedelta(minutes=29), POLICY) == 0
    assert await rules.alert_overdue(end + dt.timedelta(minutes=31), POLICY) == 1
    assert await rules.alert_overdue(end + dt.timedelta(minutes=40), POLICY) == 0  # once
    assert await Notification.count().where((Notification.user == officer) & (Notification.kind == "shift.overdue")).run() == 1
    assert await Notification.count().where(Notification.user == other_officer).run() == 0
    dashboard = await rules.overdue_checkouts(frozenset({area.community_id}), end + dt.timedelta(minutes=31), POLICY)
    assert [r["user"] for r in dashboard] == [user]
    assert await rules.overdue_checkouts(frozenset({area.other_community_id}), end + dt.timedelta(minutes=31), POLICY) == []
    await rules.check_out(user, shift, end + dt.timedelta(minutes=45))
    assert await rules.overdue_checkouts(None, end + dt.timedelta(minutes=50), POLICY) == []


# --- Rosters --------------------------------------------------------------------------------


async def test_a_roster_generates_local_times_idempotently(area):
    kind = await make_kind(area.community_id)
    template = await rules.create_template(
        None, area.community_id, kind, {"weekdays": [0, 2, 4], "start_time": "19:00", "end_time": "21:00", "min_people": 2, "max_people": 4, "weeks_ahead": 2, "starts_on": NOW.date()}, now=NOW
    )
    shifts = await Shift.select(Shift.starts_at, Shift.ends_at, Shift.capacity).where(Shift.template == template).order_by(Shift.starts_at).run()
    # Two weeks from Monday 3 June: Mon/Wed/Fri ×2 = 6 shifts; 19:00 Shanghai = 11:00 UTC.
    assert len(shifts) == 6
    assert shifts[0]["starts_at"].astimezone(UTC) == dt.datetime(2030, 6, 3, 11, 0, tzinfo=UTC)
    assert shifts[0]["ends_at"].astimezone(UTC) == dt.datetime(2030, 6, 3, 13, 0, tzinfo=UTC)
    assert (await rules.generate(template, NOW))["created"] == 0
    await asyncio.gather(rules.fill_horizon(NOW), rules.fill_horizon(NOW))
    assert await Shift.count().where(Shift.template == template).run() == 6
    # A week later the horizon moves on by three shifts.
    assert await rules.fill_horizon(NOW + dt.timedelta(days=7)) == 3


ROSTER = {"weekdays": [0, 2], "start_time": "19:00", "end_time": "21:00", "min_people": 2, "max_people": 4, "weeks_ahead": 1, "starts_on": NOW.date()}


async def _roster_with_monday_taken(community_id: int, user: int) -> tuple[int, int]:
    """Mon/Wed 19:00 for one week from Monday 3 June, ``user`` on Monday's shift."""
    kind = await make_kind(community_id)
    template = await rules.create_template(None, community_id, kind, ROSTER, now=NOW)
    monday = (await Shift.select(Shift.id).where(Shift.template == template).order_by(Shift.starts_at).first().run())["id"]
    await rules.sign_up(user, monday, NOW, POLICY)
    return template, monday


async def _times(template: int) -> list[tuple[int, int, int, bool]]:
    """(UTC day, UTC hour, id, mismatch) of the roster's open shifts."""
    rows = await Shift.select(Shift.id, Shift.starts_at, Shift.mismatch).where((Shift.template == template) & (Shift.status == "open")).order_by(Shift.starts_at).run()
    return [(r["starts_at"].astimezone(UTC).day, r["starts_at"].astimezone(UTC).hour, r["id"], r["mismatch"]) for r in rows]


async def test_moving_a_roster_moves_empty_shifts_and_keeps_taken_ones_without_a_twin(area, make_volunteer):
    user = await make_volunteer()
    template, monday = await _roster_with_monday_taken(area.community_id, user)
    counts = await rules.update_template(None, area.community_id, template, {**ROSTER, "start_time": "18:00", "end_time": "20:00"}, now=NOW)
    # Wednesday's empty shift moves to 18:00; Monday's keeps its volunteer at 19:00, is
    # flagged, and Monday's 18:00 shift is held back: no pair of Monday shifts.
    assert counts == {"created": 1, "removed": 1, "flagged": 1}
    assert [(d, h, m) for d, h, _, m in await _times(template)] == [(3, 11, True), (5, 10, False)]
    assert await status_of(monday, user) == "active"
    told = await Notification.select(Notification.subject).where((Notification.user == user) & (Notification.kind == "shift.roster_changed")).run()
    assert len(told) == 1 and told[0]["subject"].startswith("The roster changed: Night patrol")
    # Idempotent: running again (the job, twice at once) changes and tells nothing more.
    assert await rules.generate(template, NOW) == {"created": 0, "removed": 0, "flagged": 0}
    await asyncio.gather(rules.fill_horizon(NOW), rules.fill_horizon(NOW))
    assert len(await _times(template)) == 2
    assert await Notification.count().where(Notification.user == user).run() == 1
    kept = await rules.kept_shifts(area.community_id, template, NOW)
    assert [k["id"] for k in kept] == [monday] and kept[0]["new_start"] == dt.datetime(2030, 6, 3, 10, 0, tzinfo=UTC)
    assert [p["user.real_name"] for p in kept[0]["people"]] == [(await User.select(User.real_name).where(User.id == user).first().run())["real_name"]]


async def test_move_these_people_to_the_new_time(area, make_volunteer, officer):
    user = await make_volunteer()
    template, monday = await _roster_with_monday_taken(area.community_id, user)
    await rules.update_template(None, area.community_id, template, {**ROSTER, "start_time": "18:00", "end_time": "20:00", "max_people": 3}, now=NOW)
    await rules.move_kept(officer, area.community_id, template, monday, NOW)
    assert [(d, h, i, m) for d, h, i, m in await _times(template)][0] == (3, 10, monday, False)
    row = await Shift.select(Shift.capacity, Shift.taken, Shift.ends_at).where(Shift.id == monday).first().run()
    assert row["capacity"] == 3 and row["taken"] == 1 and row["ends_at"].astimezone(UTC).hour == 12
    assert await status_of(monday, user) == "active"
    moved = await Notification.select(Notification.body).where((Notification.user == user) & (Notification.kind == "shift.moved")).first().run()
    assert moved and "It now runs" in moved["body"]
    assert await AuditEntry.count().where(AuditEntry.action == "shift.moved_to_roster").run() == 1
    # Nothing to decide any more; generating again creates no Monday twin.
    assert await rules.kept_shifts(area.community_id, template, NOW) == []
    assert await rules.generate(template, NOW) == {"created": 0, "removed": 0, "flagged": 0}
    async with nothing_changes((Shift, Shift.template == template), (Signup, Signup.shift == monday)):
        with pytest.raises(ShiftError, match="already dealt with"):
            await rules.move_kept(officer, area.community_id, template, monday, NOW)


async def test_cancel_a_kept_shift_with_a_reason_and_the_roster_fills_the_day(area, make_volunteer, officer):
    user = await make_volunteer()
    template, monday = await _roster_with_monday_taken(area.community_id, user)
    await rules.update_template(None, area.community_id, template, {**ROSTER, "start_time": "18:00", "end_time": "20:00"}, now=NOW)
    async with nothing_changes((Shift, Shift.template == template), (Signup, Signup.shift == monday)):
        with pytest.raises(ShiftError, match="Say why"):
            await rules.cancel_kept(officer, area.community_id, template, monday, " ", NOW)
    counts = await rules.cancel_kept(officer, area.community_id, template, monday, "Moved to 18:00 for the festival", NOW)
    assert counts["created"] == 1
    assert [(d, h) for d, h, _, _ in await _times(template)] == [(3, 10), (5, 10)]
    told = await Notification.select(Notification.body).where((Notification.user == user) & (Notification.kind == "shift.cancelled")).first().run()
    assert "Moved to 18:00 for the festival" in told["body"]
    # Respecting the edit: the cancelled shift is not brought back, even at its old time.
    await rules.update_template(None, area.community_id, template, ROSTER, now=NOW)
    assert (await Shift.select(Shift.status).where(Shift.id == monday).first().run())["status"] == "cancelled"
    assert [(d, h) for d, h, _, _ in await _times(template)] == [(5, 11)]  # Monday 19:00 stays cancelled


async def test_a_kept_shift_on_a_day_the_roster_dropped_is_kept_single_or_cancelled(area, make_volunteer, officer):
    user = await make_volunteer()
    template, monday = await _roster_with_monday_taken(area.community_id, user)
    await rules.update_template(None, area.community_id, template, {**ROSTER, "weekdays": [2]}, now=NOW)  # Wednesdays only
    kept = await rules.kept_shifts(area.community_id, template, NOW)
    assert [k["id"] for k in kept] == [monday] and kept[0]["new_start"] is None
    async with nothing_changes((Shift, monday), (Signup, Signup.shift == monday), also=(RosterTemplate,)):
        with pytest.raises(ShiftError, match="no shift on that day"):
            await rules.move_kept(officer, area.community_id, template, monday, NOW)
    await rules.keep_single(officer, area.community_id, template, monday, NOW)
    row = await Shift.select(Shift.template, Shift.mismatch, Shift.status).where(Shift.id == monday).first().run()
    assert row == {"template": None, "mismatch": False, "status": "open"} and await status_of(monday, user) == "active"
    assert await rules.generate(template, NOW) == {"created": 0, "removed": 0, "flagged": 0}
    async with nothing_changes((Shift, monday), (Signup, Signup.shift == monday), also=(RosterTemplate,)):
        with pytest.raises(rules.NotFound):
            await rules.move_kept(officer, area.other_community_id, template, monday, NOW)


async def test_a_new_minimum_or_maximum_applies_in_place_when_the_time_still_matches(area, make_volunteer):
    user = await make_volunteer()
    template, monday = await _roster_with_monday_taken(area.community_id, user)
    counts = await rules.update_template(None, area.community_id, template, {**ROSTER, "min_people": 1, "max_people": 6}, now=NOW)
    assert counts == {"created": 0, "removed": 0, "flagged": 0}
    rows = await Shift.select(Shift.min_people, Shift.capacity, Shift.mismatch).where(Shift.template == template).run()
    assert all(r == {"min_people": 1, "capacity": 6, "mismatch": False} for r in rows)


async def test_bad_roster_and_shift_input_is_refused_and_nothing_is_saved(area):
    kind = await make_kind(area.community_id)
    base = {"weekdays": [0], "start_time": "19:00", "end_time": "21:00", "min_people": 2, "max_people": 4, "weeks_ahead": 2, "starts_on": NOW.date()}
    async with nothing_changes((ShiftKind, kind), also=(RosterTemplate, Shift)):
        with pytest.raises(ShiftError, match="end must be after the start"):
            await rules.create_template(None, area.community_id, kind, {**base, "end_time": "18:00"}, now=NOW)
        with pytest.raises(ShiftError, match="cannot be below the minimum"):
            await rules.create_template(None, area.community_id, kind, {**base, "max_people": 1}, now=NOW)
    await rules.create_template(None, area.community_id, kind, base, now=NOW)
    other_kind = await make_kind(area.other_community_id)
    async with nothing_changes((ShiftKind, kind), (RosterTemplate, RosterTemplate.kind == kind), (Shift, Shift.kind == kind)):
        with pytest.raises(ShiftError, match="overlap"):
            await rules.create_template(None, area.community_id, kind, {**base, "start_time": "20:00", "end_time": "22:00"}, now=NOW)
        with pytest.raises(ShiftError, match="in the past"):
            await rules.add_shift(None, area.community_id, kind, NOW.date() - dt.timedelta(days=1), "19:00", "21:00", 1, 2, now=NOW)
        with pytest.raises(ShiftError, match="overlaps another shift"):
            await rules.add_shift(None, area.community_id, kind, NOW.date(), "20:00", "22:00", 1, 2, now=NOW)
        with pytest.raises(ShiftError, match="Unknown skill"):
            await make_kind(area.community_id, required_skills="juggling")
        with pytest.raises(ShiftError, match="cannot be below the minimum"):
            await make_kind(area.community_id, min_people=3, max_people=2)
        with pytest.raises(ShiftError, match="of this community"):
            await rules.add_shift(None, area.community_id, other_kind, NOW.date() + dt.timedelta(days=1), "19:00", "21:00", 1, 2, now=NOW)
    assert await RosterTemplate.count().run() == 1


# --- Reminders and alerts -------------------------------------------------------------------


async def test_reminders_24h_and_2h_and_understaffing_alerts_go_out_once(area, make_volunteer, make_user):
    officer = await make_user("officer")
    user = await make_volunteer()
    shift = await make_shift(area.community_id, starts_in=dt.timedelta(hours=20), min_people=2)
    await rules.sign_up(user, shift, NOW, POLICY)
    assert await rules.send_reminders(NOW, POLICY) == 1
    assert await rules.send_reminders(NOW + dt.timedelta(minutes=5), POLICY) == 0
    assert await rules.send_reminders(NOW + dt.timedelta(hours=18, minutes=30), POLICY) == 1  # the 2 h one
    assert await Notification.count().where((Notification.user == user) & (Notification.kind == "shift.reminder")).run() == 2
    assert await rules.alert_understaffed(NOW, POLICY) == 1
    assert await rules.alert_understaffed(NOW + dt.timedelta(minutes=15), POLICY) == 0
    alert = await Notification.select(Notification.body).where((Notification.user == officer) & (Notification.kind == "shift.understaffed")).first().run()
    assert alert["body"] == "1 of at least 2 people are signed up."


# --- Roster view and the calendar feed ---------------------------------------------------------


async def test_the_roster_puts_understaffed_shifts_first_and_marks_experience(area, make_volunteer):
    veteran = await make_volunteer()
    kind = await make_kind(area.community_id, needs_experienced=True)
    for day in (1, 2):
        past = await make_shift(area.community_id, kind, starts_in=dt.timedelta(days=-day))
        await Signup.insert(Signup(shift=past, user=veteran, status="active", queued_at=NOW, checked_in_at=NOW, checked_out_at=NOW + dt.timedelta(hours=2), updated_at=NOW)).run()
    staffed = await make_shift(area.community_id, kind, starts_in=dt.timedelta(hours=5), min_people=1)
    empty = await make_shift(area.community_id, kind, starts_in=dt.timedelta(hours=30), min_people=1)
    await rules.sign_up(veteran, staffed, NOW, POLICY)
    week = await rules.roster(area.community_id, NOW, NOW + dt.timedelta(days=7), POLICY)
    assert [s["id"] for s in week] == [empty, staffed]
    assert week[0]["understaffed"] and week[0]["needs_experienced_gap"]
    assert not week[1]["understaffed"] and week[1]["people"][0]["experienced"]


async def test_the_calendar_feed_parses_and_shows_cancelled_shifts(area, make_volunteer, officer):
    user = await make_volunteer()
    kind = await make_kind(area.community_id)
    kept = await make_shift(area.community_id, kind, starts_in=dt.timedelta(days=1))
    dropped = await make_shift(area.community_id, kind, starts_in=dt.timedelta(days=2))
    for shift in (kept, dropped):
        await rules.sign_up(user, shift, NOW, POLICY)
    await rules.cancel_shift(officer, area.community_id, dropped, "Road works", NOW)
    token = await rules.reset_calendar_token(user)
    assert await rules.user_for_feed(token) == user and await rules.user_for_feed(token + "x") is None
    calendar = Calendar.from_ical(await rules.calendar_feed(user, NOW))
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert str(events[f"shift-{kept}-{user}@shouwang"]["status"]) == "CONFIRMED"
    assert str(events[f"shift-{dropped}-{user}@shouwang"]["status"]) == "CANCELLED"
    assert events[f"shift-{kept}-{user}@shouwang"].decoded("dtstart") == NOW + dt.timedelta(days=1)
    new_token = await rules.reset_calendar_token(user)
    assert await rules.user_for_feed(token) is None and await rules.user_for_feed(new_token) == user


async def test_the_buddy_rule_keeps_a_lone_patroller_waiting_until_enough_check_in(area, make_volunteer):
    """The rule, explicitly: check-in is never refused (presence is recorded for the
    lone-patroller alarm); the patrol starts at the check-in that completes the rule."""
    first, second = await make_volunteer(), await make_volunteer()
    shift = await make_shift(area.community_id, starts_in=dt.timedelta(minutes=10), buddy_min=2)
    for user in (first, second):
        await rules.sign_up(user, shift, NOW, POLICY)
    await rules.check_in(first, shift, NOW)
    row = (await rules.my_shifts(first, NOW, policy=POLICY))["upcoming"][0]
    assert row["buddy_wait"] is True and row["buddy"].present == 1 and row["buddy"].needed == 2
    await rules.check_in(second, shift, NOW + dt.timedelta(minutes=1))
    row = (await rules.my_shifts(first, NOW, policy=POLICY))["upcoming"][0]
    assert row["buddy_wait"] is False and row["buddy"].started_at == NOW + dt.timedelta(minutes=1)


async def _veteran(community_id: int, user: int, worked: int) -> None:
    """``worked`` past shifts checked in and out: experienced from POLICY.experienced_after."""
    kind = await make_kind(community_id)
    for day in range(worked):
        past = await make_shift(community_id, kind, starts_in=dt.timedelta(days=-30 + day))
        await Signup.insert(Signup(shift=past, user=user, status="active", queued_at=NOW, checked_in_at=NOW - dt.timedelta(days=30 - day), checked_out_at=NOW - dt.timedelta(days=30 - day, hours=-2), updated_at=NOW)).run()


async def test_the_patrol_starts_only_once_an_experienced_volunteer_has_checked_in(area, make_volunteer):
    novice, other_novice, veteran = await make_volunteer(), await make_volunteer(), await make_volunteer()
    await _veteran(area.community_id, veteran, POLICY.experienced_after)
    await _veteran(area.community_id, novice, POLICY.experienced_after - 1)  # one short
    shift = await make_shift(area.community_id, starts_in=dt.timedelta(minutes=10), buddy_min=2, needs_experienced=True)
    for user in (novice, other_novice, veteran):
        await rules.sign_up(user, shift, NOW, POLICY)
    await rules.check_in(novice, shift, NOW)
    await rules.check_in(other_novice, shift, NOW + dt.timedelta(minutes=2))
    row = (await rules.my_shifts(novice, NOW, policy=POLICY))["upcoming"][0]
    assert row["buddy_wait"] is True and row["buddy"].present == 2 and not row["buddy"].experienced_present
    await rules.check_in(veteran, shift, NOW + dt.timedelta(minutes=5))
    row = (await rules.my_shifts(novice, NOW, policy=POLICY))["upcoming"][0]
    assert row["buddy_wait"] is False and row["buddy"].started_at == NOW + dt.timedelta(minutes=5)
    detail = await rules.shift_detail(None, shift, POLICY)
    assert detail["buddy"].started and not detail["needs_experienced_gap"]


async def test_no_experienced_volunteer_is_alerted_once_per_shift_and_shown_once_in_the_gaps(area, make_volunteer, make_user):
    officer = await make_user("officer")
    novices = [await make_volunteer(), await make_volunteer()]
    veteran = await make_volunteer()
    await _veteran(area.community_id, veteran, POLICY.experienced_after)
    kind = await make_kind(area.community_id, needs_experienced=True, buddy_min=2)
    lacking = await make_shift(area.community_id, kind, starts_in=dt.timedelta(hours=20), min_people=2)
    covered = await make_shift(area.community_id, kind, starts_in=dt.timedelta(hours=22), min_people=2)
    for user in novices:
        await rules.sign_up(user, lacking, NOW, POLICY)
    for user in (novices[0], veteran):
        await rules.sign_up(user, covered, NOW + dt.timedelta(minutes=1), POLICY)  # 2 h later: no collision
    assert await rules.alert_understaffed(NOW, POLICY) == 1
    assert await rules.alert_understaffed(NOW + dt.timedelta(minutes=15), POLICY) == 0
    assert await rules.alert_understaffed(NOW + dt.timedelta(hours=1), POLICY) == 0
    alerts = await Notification.select(Notification.kind, Notification.subject, Notification.link).where(Notification.user == officer).run()
    assert len(alerts) == 1 and alerts[0]["kind"] == "shift.no_experienced"
    assert alerts[0]["subject"].startswith("No experienced volunteer signed up: Night patrol") and alerts[0]["link"].endswith(f"/shifts/{lacking}")
    week = await rules.roster(area.community_id, NOW, NOW + dt.timedelta(days=7), POLICY)
    gaps = {s["id"]: s for s in week}
    assert gaps[lacking]["needs_experienced_gap"] and gaps[lacking]["gap"] == 0 and gaps[lacking]["understaffed"]
    assert not gaps[covered]["needs_experienced_gap"] and not gaps[covered]["understaffed"]
    assert week[0]["id"] == lacking


# --- Correcting no-shows -----------------------------------------------------------------------


async def _no_show_signups(community_id: int, user: int, days=(1, 2, 3)) -> list[int]:
    ids = []
    for day in days:
        shift = await make_shift(community_id, starts_in=dt.timedelta(days=day))
        await rules.sign_up(user, shift, NOW, POLICY)
        ids.append((await Signup.select(Signup.id).where((Signup.shift == shift) & (Signup.user == user)).first().run())["id"])
    return ids


async def test_removing_or_excusing_a_no_show_recomputes_and_lifts_the_block(area, make_volunteer, officer):
    user = await make_volunteer()
    first, second = await _no_show_signups(area.community_id, user, (1, 2))
    later = NOW + dt.timedelta(days=3)
    await rules.set_no_show(officer, first, "unexcused", "did not come", None, later, POLICY)
    assert await rules.set_no_show(officer, second, "unexcused", "did not come", None, later, POLICY) is True
    assert await Notification.count().where((Notification.user == user) & (Notification.kind == "shift.blocked")).run() == 1
    # The second one was excused after all (a doctor's note): under the limit, unblocked.
    assert await rules.set_no_show(officer, second, "excused", "doctor's note", None, later, POLICY) is False
    assert not await rules.is_blocked(user, POLICY)
    told = await Notification.select(Notification.subject).where((Notification.user == user) & (Notification.kind == "shift.unblocked")).run()
    assert [t["subject"] for t in told] == ["You can sign up for shifts again"]
    # Back to unexcused blocks again; removing the first mark lifts it again.
    assert await rules.set_no_show(officer, second, "unexcused", "the note was fake", None, later, POLICY) is True
    assert await rules.set_no_show(officer, first, "", "was there, forgot to check in", None, later, POLICY) is False
    row = await Signup.select(Signup.no_show, Signup.no_show_reason).where(Signup.id == first).first().run()
    assert row == {"no_show": "", "no_show_reason": "was there, forgot to check in"}
    audit = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == "shift.no_show_removed").first().run()
    audit = {k: json.loads(v) if isinstance(v, str) else v for k, v in audit.items()}
    assert audit["before"] == {"no_show": "unexcused", "reason": "did not come", "blocked": True}
    assert audit["after"] == {"no_show": "", "reason": "was there, forgot to check in", "blocked": False}
    async with nothing_changes((Signup, first), also=(ShiftStanding,)):
        with pytest.raises(ShiftError, match="not marked as a no-show"):
            await rules.set_no_show(officer, first, "", "again", None, later, POLICY)


async def test_a_removed_no_show_after_a_lifted_block_does_not_hide_later_ones(area, make_volunteer, officer):
    user = await make_volunteer()
    first, second, third = await _no_show_signups(area.community_id, user)
    later = NOW + dt.timedelta(days=4)
    for signup in (first, second):
        await rules.set_no_show(officer, signup, "unexcused", "absent", None, later, POLICY)
    await rules.lift_block(officer, user)  # counted from 2 on
    await rules.set_no_show(officer, first, "", "mistake", None, later, POLICY)
    assert not await rules.is_blocked(user, POLICY)
    # The lift's credit shrank with the removal: from here on one no-show counts...
    assert await rules.set_no_show(officer, third, "unexcused", "absent", None, later, POLICY) is False
    # ...and a second one reaches the limit (a credit of 2 would have hidden it).
    (fourth,) = await _no_show_signups(area.community_id, user, (3.5,))
    assert await rules.set_no_show(officer, fourth, "unexcused", "absent", None, later, POLICY) is True


# --- Pages instead of caps ----------------------------------------------------------------------


async def test_shifts_i_can_take_come_a_page_at_a_time_without_a_horizon_or_a_cap(area, make_volunteer):
    user = await make_volunteer()
    kind = await make_kind(area.community_id)
    other_kind = await make_kind(area.community_id, name="Gate duty")
    # Two shifts at the very same start (the cursor's tie), and some beyond 14 days.
    starts = [dt.timedelta(days=d) for d in (1, 1, 3, 20, 40, 60, 90)]
    ids = [await make_shift(area.community_id, kind if i != 2 else other_kind, starts_in=delta) for i, delta in enumerate(starts)]
    seen, after, pages = [], None, 0
    while True:
        items, after = await rules.shifts_for_person(user, frozenset({area.community_id}), NOW, after=after, size=3, policy=POLICY)
        seen += [row["id"] for row, _ in items]
        pages += 1
        if not after:
            break
    assert seen == ids and pages == 3  # in order, none twice, none skipped
    assert all(state.state == State.FREE for _, state in (await rules.shifts_for_person(user, None, NOW, size=50, policy=POLICY))[0])
    only_kind, _ = await rules.shifts_for_person(user, frozenset({area.community_id}), NOW, kind=other_kind, size=3, policy=POLICY)
    assert [row["id"] for row, _ in only_kind] == [ids[2]]
    # A mangled cursor starts from the first page rather than failing.
    first, _ = await rules.shifts_for_person(user, frozenset({area.community_id}), NOW, after="x-y", size=3, policy=POLICY)
    assert [row["id"] for row, _ in first] == ids[:3]


async def test_the_roster_is_read_a_page_at_a_time_with_every_gap_first(area, make_volunteer):
    veteran, novice = await make_volunteer(), await make_volunteer()
    await _veteran(area.community_id, veteran, POLICY.experienced_after)
    plain = await make_kind(area.community_id)
    careful = await make_kind(area.community_id, name="Careful patrol", needs_experienced=True)
    staffed = [await make_shift(area.community_id, plain, starts_in=dt.timedelta(hours=h), min_people=1) for h in (2, 5, 8)]
    for shift in staffed:
        await rules.sign_up(novice, shift, NOW, POLICY)
    empty = await make_shift(area.community_id, plain, starts_in=dt.timedelta(hours=30), min_people=1)
    no_veteran = await make_shift(area.community_id, careful, starts_in=dt.timedelta(hours=11), min_people=1)
    await rules.sign_up(novice, no_veteran, NOW, POLICY)
    with_veteran = await make_shift(area.community_id, careful, starts_in=dt.timedelta(hours=14), min_people=1)
    await rules.sign_up(veteran, with_veteran, NOW, POLICY)
    handed = await make_shift(area.community_id, plain, starts_in=dt.timedelta(hours=3), min_people=1)
    await rules.sign_up(veteran, handed, NOW, POLICY)
    await rules.withdraw(veteran, handed, NOW, POLICY)  # within the cut-off: needs a stand-in
    seen, after = [], None
    while True:
        page, after = await rules.roster_page(area.community_id, NOW, NOW + dt.timedelta(days=7), after, POLICY, size=2)
        seen += page
        if not after:
            break
    assert [s["id"] for s in seen] == [handed, no_veteran, empty, staffed[0], staffed[1], staffed[2], with_veteran]
    assert [s["understaffed"] for s in seen] == [True, True, True, False, False, False, False]  # SQL and Python agree
    assert [s["id"] for s in await rules.roster(area.community_id, NOW, NOW + dt.timedelta(days=7), POLICY)] == [s["id"] for s in seen]


async def test_the_list_of_shifts_is_served_by_an_index_without_sorting(area, engine_name):
    """Each filter of "Shifts I can take" has an index ending in (starts_at, id)."""
    from portal.web.pagination import keyset_time_query, time_cursor

    cursor = time_cursor(NOW, 7)
    for filters, index in (({"community": area.community_id}, "shift_community_starts_id"), ({"kind": 1}, "shift_kind_starts_id")):
        query = keyset_time_query(rules.person_list_query(None, NOW, columns=(Shift.id,), **filters), Shift.starts_at, Shift.id, cursor, 40)
        sql = str(query)
        if engine_name == "sqlite":
            plan = " ".join(str(tuple(r.values())) for r in await Shift.raw(f"EXPLAIN QUERY PLAN {sql}").run())
            assert index in plan and "TEMP B-TREE" not in plan, plan
        else:
            async with Shift._meta.db.transaction():
                await Shift.raw("SET LOCAL enable_seqscan = off").run()
                plan = " ".join(r["QUERY PLAN"] for r in await Shift.raw(f"EXPLAIN {sql}").run())
            assert index in plan and "Sort" not in plan, plan


async def test_the_jobs_reach_every_row_batch_after_batch(area, make_volunteer, make_user, monkeypatch):
    """No silent cap: with batches of 2, five reminders, overdue alarms and alerts all go out."""
    monkeypatch.setattr(rules, "JOB_BATCH", 2)
    officer = await make_user("officer")
    kind = await make_kind(area.community_id)
    users = [await make_volunteer() for _ in range(5)]
    soon = await make_shift(area.community_id, kind, starts_in=dt.timedelta(hours=20), capacity=5, min_people=1)
    for user in users:
        await rules.sign_up(user, soon, NOW, POLICY)
    assert await rules.send_reminders(NOW, POLICY) == 5
    empty = [await make_shift(area.community_id, kind, starts_in=dt.timedelta(hours=3 + h), hours=0.5, min_people=1) for h in range(5)]
    assert await rules.alert_understaffed(NOW, POLICY) == len(empty)
    over = await make_shift(area.community_id, kind, starts_in=dt.timedelta(hours=-3), hours=1, capacity=5)
    for user in users:
        await Signup.insert(Signup(shift=over, user=user, status="active", queued_at=NOW, checked_in_at=NOW - dt.timedelta(hours=3), updated_at=NOW)).run()
    assert await rules.alert_overdue(NOW, POLICY) == 5
    assert await Notification.count().where((Notification.user == officer) & (Notification.kind == "shift.overdue")).run() == 5


async def test_an_officer_can_count_someone_as_experienced_before_their_worked_shifts_do(area, make_volunteer, make_user, officer):
    retired_officer, novice = await make_volunteer(), await make_volunteer()
    careful = await make_kind(area.community_id, needs_experienced=True, buddy_min=2)
    shift = await make_shift(area.community_id, careful, starts_in=dt.timedelta(hours=10), min_people=2)
    for user in (retired_officer, novice):
        await rules.sign_up(user, shift, NOW, POLICY)
    week = await rules.roster(area.community_id, NOW, NOW + dt.timedelta(days=7), POLICY)
    assert week[0]["needs_experienced_gap"] and week[0]["understaffed"]
    await rules.set_experienced(officer, area.community_id, retired_officer, True)
    week = await rules.roster(area.community_id, NOW, NOW + dt.timedelta(days=7), POLICY)
    marked = {p["user"]: p for p in week[0]["people"]}
    assert marked[retired_officer]["experienced"] and marked[retired_officer]["marked_experienced"] and not marked[novice]["experienced"]
    assert not week[0]["needs_experienced_gap"] and not week[0]["understaffed"]  # in SQL (the order) and Python alike
    assert await rules.alert_understaffed(NOW, POLICY) == 0
    await rules.check_in(novice, shift, NOW + dt.timedelta(hours=9, minutes=50))
    await rules.check_in(retired_officer, shift, NOW + dt.timedelta(hours=9, minutes=55))
    assert (await rules.shift_detail(None, shift, POLICY))["buddy"].started_at == NOW + dt.timedelta(hours=9, minutes=55)
    audit = await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "shift.experienced_marked").first().run()
    assert (json.loads(audit["after"]) if isinstance(audit["after"], str) else audit["after"]) == {"experienced": True}
    async with nothing_changes((ShiftStanding, ShiftStanding.user == retired_officer)):
        with pytest.raises(rules.NotFound):
            await rules.set_experienced(officer, area.other_community_id, retired_officer, False)  # a real change, were it allowed


async def test_the_hours_report_counts_every_shift_of_the_month_batch_after_batch(area, make_volunteer, monkeypatch):
    monkeypatch.setattr(rules, "JOB_BATCH", 2)
    users = [await make_volunteer() for _ in range(3)]
    kind = await make_kind(area.community_id)
    for day in (1, 2):
        past = await make_shift(area.community_id, kind, starts_in=dt.timedelta(days=-day))
        for user in users:
            await Signup.insert(Signup(shift=past, user=user, status="active", queued_at=NOW, checked_in_at=NOW - dt.timedelta(days=day), checked_out_at=NOW - dt.timedelta(days=day, hours=-2), updated_at=NOW)).run()
    report = await rules.hours_report(area.community_id, dt.date(2030, 6, 1))
    assert sorted(r["user"] for r in report) == sorted(users) and all(r["shifts"] == 2 and r["hours"] == 4.0 for r in report)
