"""Shift rules: kinds, rosters, the one eligibility state, sign-up with a database-enforced
capacity, the waitlist, stand-ins, check-in/out, hours and no-shows.

Every function takes ``now`` so that tests run on a fixed clock. Every change of state
runs inside ``write_transaction()`` and writes its audit row there.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count

from portal.accounts.tables import RoleGrant, User
from portal.audit.rules import record
from portal.db import Statement, is_unique_violation, write_transaction
from portal.notifications.rules import Joined, Named, When, already_sent, notify
from portal.shifts.tables import HOLDS_PLACE, KINDS, OPEN_TO, CalendarToken, RosterTemplate, Shift, ShiftKind, ShiftStanding, Signup
from portal.stations.tables import Community
from portal.volunteers.facts import volunteer_facts
from portal.volunteers.tables import SKILLS
from portal.watchpoints.tables import WatchPoint
from portal.web.i18n import N_, NN_, current_language
from portal.web.pagination import keyset_page, keyset_time_order, keyset_time_page, parse_time_cursor, time_cursor, time_page
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext

CHECK_IN_EARLY = dt.timedelta(minutes=15)
LIVE_STATUSES = ("active", "waiting", "offered", "standin")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Policy:
    """The settings the rules need, so that rules never read the environment."""

    cancel_cutoff_hours: int = 12
    offer_minutes: int = 120
    max_no_shows: int = 3
    overdue_minutes: int = 30
    reminder_hours: tuple[int, ...] = (24, 2)
    experienced_after: int = 5

    @classmethod
    def from_settings(cls, settings) -> "Policy":
        return cls(
            cancel_cutoff_hours=settings.shift_cancel_cutoff_hours,
            offer_minutes=settings.shift_offer_minutes,
            max_no_shows=settings.shift_max_no_shows,
            overdue_minutes=settings.shift_overdue_minutes,
            reminder_hours=tuple(sorted((int(h) for h in settings.shift_reminder_hours.split(",") if h.strip()), reverse=True)),
            experienced_after=settings.shift_experienced_after,
        )


DEFAULT_POLICY = Policy()


class ShiftError(ValueError):
    """A rule refused the change; ``field`` names the form field it belongs to (or "")."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


class NotFound(LookupError):
    """No such object within the actor's reach."""


# --- Eligibility: one state, computed in one place ------------------------------------


class State(str, enum.Enum):
    FREE = "free"
    FULL = "full"  # the waitlist is offered
    STANDIN = "standin"  # someone can't make it: take over their place
    SIGNED_UP = "signed_up"
    WAITING = "waiting"
    OFFERED = "offered"  # a place is held for you: confirm
    HANDED_OVER = "handed_over"  # you said you can't make it; a stand-in is sought
    COLLIDES = "collides"
    MISSING_SKILL = "missing_skill"
    NOT_YET_OPEN = "not_yet_open"
    ENDED = "ended"
    BLOCKED = "blocked"
    NOT_VERIFIED = "not_verified"
    NOT_FOR_ROLE = "not_for_role"
    CANCELLED = "cancelled"


# States in which the sign-up button does something, and what it says.
ACTIONS = {
    State.FREE: N_("Sign up"),
    State.FULL: N_("Join the waitlist"),
    State.STANDIN: N_("Take over this place"),
    State.OFFERED: N_("Confirm my place"),
}
REASONS = {
    State.FREE: NN_("%(free)s of %(capacity)s place free.", "%(free)s of %(capacity)s places free.", "capacity"),
    State.FULL: N_("This shift is full. You can join the waitlist."),
    State.STANDIN: N_("Someone can't make it: you can take over their place."),
    State.SIGNED_UP: N_("You are signed up."),
    State.WAITING: N_("You are on the waitlist (number %(position)s)."),
    State.OFFERED: N_("A place is free for you: confirm it before %(until)s."),
    State.HANDED_OVER: N_("You said you can't make it. The officer is looking for a stand-in."),
    State.COLLIDES: N_("You already have a shift at this time: %(other)s."),
    State.MISSING_SKILL: N_("This shift needs a skill you have not recorded: %(skills)s."),
    State.NOT_YET_OPEN: N_("Sign-up opens %(opens)s."),
    State.ENDED: N_("This shift has started or ended."),
    State.BLOCKED: N_("Sign-up is blocked after too many unexcused no-shows. Talk to your community officer."),
    State.NOT_VERIFIED: N_("Only verified volunteers of this community can take shifts."),
    State.NOT_FOR_ROLE: N_("This kind of shift is not open to your role."),
    State.CANCELLED: N_("This shift was cancelled: %(reason)s"),
}
SKILL_NAMES = {
    "first_aid": N_("first aid"),
    "english": N_("English"),
    "mediation": N_("mediation"),
    "driving": N_("driving"),
    "fire_safety": N_("fire safety"),
    "sign_language": N_("sign language"),
}
KIND_NAMES = {"patrol": N_("Patrol route"), "watch_point": N_("Watch-point duty"), "event": N_("Event support"), "reception": N_("Reception-room duty")}
OPEN_TO_NAMES = {"volunteers": N_("Volunteers"), "hosts": N_("Watch-point hosts"), "both": N_("Volunteers and watch-point hosts")}


@dataclass(frozen=True)
class Eligibility:
    state: State
    params: dict = field(default_factory=dict)
    # Whether leaving (cancel, "I can't make it", leave the waitlist, decline) is accepted
    # now: ``may_leave``, the test ``withdraw`` applies.
    leave: bool = False

    @property
    def reason(self) -> str:
        """Translated when shown, in the language of whoever is looking; the same text is
        worked out once per language, state and numbers (a list repeats it on many rows)."""
        try:
            return _state_text(current_language(), self.state, tuple(self.params.items()))
        except TypeError:  # a value that cannot be a key
            return _(REASONS[self.state], **self.params)

    @property
    def action(self) -> str | None:
        label = ACTIONS.get(self.state)
        return _action_text(current_language(), self.state) if label else None

    @property
    def can_act(self) -> bool:
        return self.state in ACTIONS


@lru_cache(maxsize=4096)
def _state_text(language: str, state: State, params: tuple) -> str:
    return _(REASONS[state], **dict(params))


@lru_cache(maxsize=64)
def _action_text(language: str, state: State) -> str:
    return _(ACTIONS[state])


@dataclass
class Person:
    """What eligibility needs to know about one person, loaded in a few queries."""

    user_id: int
    volunteer_community: int | None  # where they are a verified volunteer
    host_points: dict[int, set[int]]  # community -> their verified watch points there
    skills: frozenset[str]
    blocked: bool
    mine: dict[int, dict]  # shift id -> their live sign-up
    held: list[tuple[int, dt.datetime, dt.datetime, str]]  # (shift, start, end, label) of places they hold


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def skills_of(codes: str) -> list[str]:
    return [c for c in (codes or "").split(",") if c]


def skill_label(code: str) -> str:
    return _(SKILL_NAMES[code]) if code in SKILL_NAMES else code


# --- What a person may do with their place: one answer for the pages and the rules -------
#
# The buttons of "Shifts I can take", "My shifts" and the home page are shown from these
# functions, and ``withdraw``, ``check_in`` and ``check_out`` refuse by the same ones, so a
# page never offers a button that the server then refuses.

# A check-out this soon after the check-in (or before the start) asks "check out now?":
# a thumb that slipped would otherwise end the patrol and record minutes for hours.
CHECK_OUT_CONFIRM_WITHIN = dt.timedelta(minutes=10)


def may_leave(status: str | None, checked_in_at: dt.datetime | None, shift_status: str, starts_at: dt.datetime, now: dt.datetime) -> bool:
    """Cancel the place, "I can't make it", leave the waitlist or decline an offer: a live
    place of an open shift that has not started, by someone who has not checked in."""
    return status in ("active", "waiting", "offered") and shift_status == "open" and now < _aware(starts_at) and not checked_in_at


def may_check_in(status: str | None, checked_in_at: dt.datetime | None, shift_status: str, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime) -> bool:
    return status == "active" and shift_status == "open" and not checked_in_at and _aware(starts_at) - CHECK_IN_EARLY <= now < _aware(ends_at)


def may_check_out(checked_in_at: dt.datetime | None, checked_out_at: dt.datetime | None) -> bool:
    return bool(checked_in_at) and not checked_out_at


def early_check_out(checked_in_at: dt.datetime, starts_at: dt.datetime, now: dt.datetime, tz: str = "Asia/Shanghai") -> str | None:
    """Why checking out now deserves a second "yes" (translated), or None."""
    if now < _aware(starts_at):
        return _("The shift starts at %(time)s: checking out now ends it before it began.", time=_local_time(starts_at, tz))
    minutes = int((now - _aware(checked_in_at)).total_seconds() // 60)
    if now - _aware(checked_in_at) < CHECK_OUT_CONFIRM_WITHIN:
        return ngettext("You checked in %(num)d minute ago.", "You checked in %(num)d minutes ago.", minutes) if minutes else _("You checked in less than a minute ago.")
    return None


def eligibility(shift: dict, person: Person, now: dt.datetime, waiting_position: int = 0) -> Eligibility:
    """The one place that decides what a person may do with a shift, and why."""
    result = _eligibility(shift, person, now, waiting_position)
    mine = person.mine.get(shift["id"])
    if mine and may_leave(mine["status"], mine.get("checked_in_at"), shift["status"], shift["starts_at"], now):
        return replace(result, leave=True)
    return result


def _eligibility(shift: dict, person: Person, now: dt.datetime, waiting_position: int = 0) -> Eligibility:
    starts, ends = _aware(shift["starts_at"]), _aware(shift["ends_at"])
    tz = shift.get("community.timezone") or "Asia/Shanghai"
    if shift["status"] == "cancelled":
        return Eligibility(State.CANCELLED, {"reason": shift["cancel_reason"]})
    mine = person.mine.get(shift["id"])
    if mine:
        if mine["status"] == "active":
            return Eligibility(State.SIGNED_UP)
        if mine["status"] == "waiting":
            return Eligibility(State.WAITING, {"position": waiting_position or 1})
        if mine["status"] == "standin":
            return Eligibility(State.HANDED_OVER)
        if mine["status"] == "offered" and mine["offer_expires_at"] and now >= _aware(mine["offer_expires_at"]):
            return Eligibility(State.WAITING, {"position": waiting_position or 1})  # the offer lapsed; the job moves it on
        if mine["status"] == "offered" and now < starts:
            # A held place is confirmed only if the person could still take it.
            others = Person(**{**person.__dict__, "mine": {k: v for k, v in person.mine.items() if k != shift["id"]}})
            check = eligibility({**shift, "taken": 0}, others, now)
            if check.state not in (State.FREE, State.FULL, State.STANDIN):
                return check
            return Eligibility(State.OFFERED, {"until": _local(mine["offer_expires_at"], tz)})
    if now >= starts:
        return Eligibility(State.ENDED)
    community = shift["community"]
    open_to = shift["kind.open_to"]
    as_volunteer = person.volunteer_community == community
    points = person.host_points.get(community, set())
    as_host = bool(points) and (not shift.get("kind.watch_point") or shift["kind.watch_point"] in points)
    allowed = (open_to in ("volunteers", "both") and as_volunteer) or (open_to in ("hosts", "both") and as_host)
    if not allowed:
        return Eligibility(State.NOT_FOR_ROLE if (as_volunteer or as_host) else State.NOT_VERIFIED)
    if person.blocked:
        return Eligibility(State.BLOCKED)
    missing = [s for s in skills_of(shift["kind.required_skills"]) if s not in person.skills]
    if missing:
        return Eligibility(State.MISSING_SKILL, {"skills": ", ".join(skill_label(s) for s in missing)})
    opens_hours = shift.get("kind.signup_opens_hours")
    if opens_hours and now < starts - dt.timedelta(hours=opens_hours):
        return Eligibility(State.NOT_YET_OPEN, {"opens": _local(starts - dt.timedelta(hours=opens_hours), tz)})
    for other_id, other_start, other_end, label in person.held:
        if other_id != shift["id"] and other_start < ends and starts < other_end:
            return Eligibility(State.COLLIDES, {"other": label})
    if shift.get("standins", 0):
        return Eligibility(State.STANDIN)
    if shift["taken"] >= shift["capacity"]:
        return Eligibility(State.FULL)
    return Eligibility(State.FREE, {"free": shift["capacity"] - shift["taken"], "capacity": shift["capacity"]})


def _local(value: dt.datetime | None, tz: str) -> str:
    from portal.web.i18n import format_datetime

    return format_datetime(value, tz, "short") if value else ""


def _local_time(value: dt.datetime, tz: str) -> str:
    from portal.web.i18n import format_datetime

    return format_datetime(value, tz, "HH:mm")


SHIFT_COLUMNS = (
    Shift.id,
    Shift.community,
    Shift.kind,
    Shift.template,
    Shift.starts_at,
    Shift.ends_at,
    Shift.min_people,
    Shift.capacity,
    Shift.taken,
    Shift.status,
    Shift.cancel_reason,
    Shift.mismatch,
    Shift.note,
    Shift.kind.name, Shift.kind.name_en,
    Shift.kind.kind,
    Shift.kind.place,
    Shift.kind.description,
    Shift.kind.required_skills,
    Shift.kind.open_to,
    Shift.kind.watch_point,
    Shift.kind.signup_opens_hours,
    Shift.kind.cancel_cutoff_hours,
    Shift.kind.buddy_min,
    Shift.kind.needs_experienced,
    Shift.community.timezone,
    Shift.community.name_zh,
    Shift.community.name_en,
)


def kind_name(row: dict, prefix: str = "kind.") -> Named:
    """A kind of shift's name in a message, read in the reader's language."""
    return Named(row[f"{prefix}name"], row.get(f"{prefix}name_en") or "")


def shift_label(row: dict) -> Joined:
    """A shift in a message: its kind and start, in the reader's language when read."""
    return Joined((kind_name(row), When(row["starts_at"], row.get("community.timezone") or "Asia/Shanghai")))


# The statements of "Shifts I can take" and of load_person (every shift page) are compiled
# once per shape (portal.db.Statement): building them in Piccolo cost most of the page.

_STANDINS = Statement(lambda p: Signup.select(Signup.shift, Count(Signup.id, alias="n")).where(Signup.shift.is_in(p.shifts) & (Signup.status == "standin")).group_by(Signup.shift))


async def _standins(shift_ids: list[int]) -> dict[int, int]:
    if not shift_ids:
        return {}
    rows = await _STANDINS.run(shifts=shift_ids)
    return {r["shift"]: r["n"] for r in rows}


def annotate(row: dict, now: dt.datetime, policy: Policy = DEFAULT_POLICY) -> dict:
    """What the row's buttons need: is cancelling still free, or is it "I can't make it"?"""
    row["past_cutoff"] = now >= _aware(row["starts_at"]) - dt.timedelta(hours=_cutoff_hours(row, policy))
    return row


async def with_standins(rows: list[dict]) -> list[dict]:
    counts = await _standins([r["id"] for r in rows])
    for r in rows:
        r["standins"] = counts.get(r["id"], 0)
    return rows


async def load_shift(shift_id: int) -> dict | None:
    row = await Shift.select(*SHIFT_COLUMNS).where(Shift.id == shift_id).first().run()
    if row:
        await with_standins([row])
    return row


_UNEXCUSED = Statement(lambda p: Signup.count().where((Signup.user == p.user) & (Signup.no_show == "unexcused")))
_LIFTED = Statement(lambda p: ShiftStanding.select(ShiftStanding.lifted_count).where(ShiftStanding.user == p.user).first())


async def unexcused_no_shows(user_id: int) -> int:
    return await _UNEXCUSED.run(user=user_id)


async def is_blocked(user_id: int, policy: Policy = DEFAULT_POLICY) -> bool:
    count = await unexcused_no_shows(user_id)
    if count < policy.max_no_shows:  # lifted blocks only lower it: every shift page asks
        return False
    standing = await _LIFTED.run(user=user_id)
    return count - (standing["lifted_count"] if standing else 0) >= policy.max_no_shows


_HOSTED = Statement(lambda p: WatchPoint.select(WatchPoint.id, WatchPoint.community).where((WatchPoint.host == p.user) & (WatchPoint.status == "verified")))


def _held_query(p):
    """The person's live sign-ups, those around the shifts being looked at (``p.since``,
    ``p.until``) when given: collisions need no more."""
    query = Signup.select(
        Signup.id, Signup.shift, Signup.status, Signup.offer_expires_at, Signup.queued_at, Signup.checked_in_at, Signup.checked_out_at,
        Signup.shift.starts_at, Signup.shift.ends_at, Signup.shift.kind.name, Signup.shift.kind.name_en, Signup.shift.community.timezone,
    ).where((Signup.user == p.user) & Signup.status.is_in(list(LIVE_STATUSES)))
    if p.since is not None:
        query = query.where((Signup.shift.ends_at > p.since) & (Signup.shift.starts_at < p.until))
    return query.limit(1000)


_HELD = Statement(_held_query)


async def load_person(user_id: int, now: dt.datetime, policy: Policy = DEFAULT_POLICY, window: tuple[dt.datetime, dt.datetime] | None = None) -> Person:
    facts = await volunteer_facts(user_id, on=now.date())
    points = await _HOSTED.run(user=user_id)
    host_points: dict[int, set[int]] = {}
    for p in points:
        host_points.setdefault(p["community"], set()).add(p["id"])
    since, until = window or (None, None)
    rows = await _HELD.run(user=user_id, since=since, until=until)
    mine = {r["shift"]: r for r in rows}
    held = [
        (r["shift"], _aware(r["shift.starts_at"]), _aware(r["shift.ends_at"]), f"{r['shift.kind.name']} · {_local(r['shift.starts_at'], r['shift.community.timezone'] or 'Asia/Shanghai')}")
        for r in rows
        if r["status"] in ("active", "offered")
    ]
    return Person(
        user_id=user_id,
        volunteer_community=facts.community_id if facts.verified else None,
        host_points=host_points,
        skills=facts.skills,
        blocked=await is_blocked(user_id, policy),
        mine=mine,
        held=held,
    )


_AHEAD = Statement(lambda p: Signup.count().where(
    (Signup.shift == p.shift) & (Signup.status == "waiting") & ((Signup.queued_at < p.queued_at) | ((Signup.queued_at == p.queued_at) & (Signup.id < p.signup)))
))


async def waiting_position(shift_id: int, signup: dict) -> int:
    return await _AHEAD.run(shift=shift_id, queued_at=signup["queued_at"], signup=signup["id"]) + 1


async def eligibility_for(user_id: int, shift: dict, now: dt.datetime, policy: Policy = DEFAULT_POLICY) -> Eligibility:
    person = await load_person(user_id, now, policy, window=(_aware(shift["starts_at"]) - dt.timedelta(days=1), _aware(shift["ends_at"]) + dt.timedelta(days=1)))
    mine = person.mine.get(shift["id"])
    position = await waiting_position(shift["id"], mine) if mine and mine["status"] == "waiting" else 0
    return eligibility(shift, person, now, position)


# --- Listing shifts --------------------------------------------------------------------


LIST_PAGE_SIZE = 40


def person_list_query(community_ids, now, *, community: int | None = None, kind: int | None = None, columns=SHIFT_COLUMNS, since: bool = False):
    """The shifts a person's list shows, from 12 hours ago on (today's started ones too);
    with ``since``, ``now`` is already that moment (a compiled statement's parameter)."""
    query = Shift.select(*columns).where(Shift.starts_at >= (now if since else now - dt.timedelta(hours=12)))
    if community_ids is not None:
        query = query.where(Shift.community.is_in(list(community_ids)))
    if community:
        query = query.where(Shift.community == community)
    if kind:
        query = query.where(Shift.kind == kind)
    return query


_LIST_PAGE = Statement(
    lambda p: keyset_time_order(person_list_query(p.communities, p.since, community=p.community, kind=p.kind, since=True), Shift.starts_at, Shift.id, p.at, p.last, p.size),
    literal=("size",),
)


async def shifts_for_person(user_id: int, community_ids: frozenset[int] | None, now: dt.datetime, *, community: int | None = None, kind: int | None = None, after: str | None = None, size: int | None = None, policy: Policy = DEFAULT_POLICY) -> tuple[list[tuple[dict, Eligibility]], str | None]:
    """Shifts of the person's communities from today on, each with its eligibility, a page
    at a time by (start, id) after the cursor ``after``; returns the items and the next
    page's cursor (None on the last page). Served by the (community|kind, starts_at, id)
    indexes, so a later page costs what the first does."""
    if community_ids is not None and not community_ids:
        return [], None
    size = size or LIST_PAGE_SIZE
    at, last = parse_time_cursor(after) or (None, None)
    communities = sorted(community_ids) if community_ids is not None else None
    found = await _LIST_PAGE.run(since=now - dt.timedelta(hours=12), communities=communities, community=community or None, kind=kind or None, at=at, last=last, size=size)
    page = time_page(found, Shift.starts_at, Shift.id, size)
    rows = await with_standins(page.rows)
    if not rows:
        return [], None
    window = (_aware(rows[0]["starts_at"]) - dt.timedelta(days=1), max(_aware(r["ends_at"]) for r in rows) + dt.timedelta(days=1))
    person = await load_person(user_id, now, policy, window=window)
    result = []
    for row in rows:
        mine = person.mine.get(row["id"])
        position = await waiting_position(row["id"], mine) if mine and mine["status"] == "waiting" else 0
        result.append((annotate(row, now, policy), eligibility(row, person, now, position)))
    return result, page.next_after


def by_day(items: Iterable[tuple[dict, Any]], tz_default: str = "Asia/Shanghai") -> list[tuple[dt.date, list]]:
    """Group (shift, …) pairs by the local day they start on, in order."""
    days: dict[dt.date, list] = {}
    for item in items:
        row = item[0]
        day = _aware(row["starts_at"]).astimezone(ZoneInfo(row.get("community.timezone") or tz_default)).date()
        days.setdefault(day, []).append(item)
    return list(days.items())


PAST_PAGE_SIZE = 30


MY_COLUMNS = (
    Signup.id, Signup.shift, Signup.status, Signup.offer_expires_at, Signup.checked_in_at, Signup.checked_out_at, Signup.hours_override, Signup.hours_note, Signup.no_show,
    Signup.shift.starts_at, Signup.shift.ends_at, Signup.shift.status, Signup.shift.cancel_reason, Signup.shift.community,
    Signup.shift.kind.name, Signup.shift.kind.name_en, Signup.shift.kind.place, Signup.shift.kind.buddy_min, Signup.shift.kind.needs_experienced, Signup.shift.kind.cancel_cutoff_hours,
    Signup.shift.community.timezone,
)


async def upcoming_places(user_id: int, now: dt.datetime, policy: Policy = DEFAULT_POLICY, limit: int = 100) -> list[dict]:
    """The person's live sign-ups of shifts not yet ended, soonest first, each with what
    its buttons may do (``can_confirm``, ``can_leave``, ``can_check_in``,
    ``can_check_out``: the tests the rules apply) and the buddy rule's state."""
    upcoming = await Signup.select(*MY_COLUMNS).where(
        (Signup.user == user_id) & Signup.status.is_in(list(LIVE_STATUSES)) & (Signup.shift.ends_at > now)
    ).order_by(Signup.shift.starts_at).limit(limit).run()
    # The buddy rule: a patrol starts only when enough people (and an experienced one) are in.
    states = await buddy_states([{"id": r["shift"], "kind.buddy_min": r["shift.kind.buddy_min"], "kind.needs_experienced": r["shift.kind.needs_experienced"]} for r in upcoming], policy)
    offered = await _offer_states(user_id, [r["shift"] for r in upcoming if r["status"] == "offered"], now, policy)
    for row in upcoming:
        row["buddy"] = states.get(row["shift"])
        row["buddy_wait"] = bool(row["buddy"] and not row["buddy"].started)
        _with_actions(row, now, policy)
        row["can_confirm"] = offered.get(row["shift"]) == State.OFFERED
    return upcoming


async def _offer_states(user_id: int, shift_ids: list[int], now: dt.datetime, policy: Policy) -> dict[int, State]:
    """Eligibility of the shifts where a place is offered to the person: "Confirm my
    place" is shown only where ``sign_up`` would confirm it."""
    if not shift_ids:
        return {}
    shifts = await with_standins(await Shift.select(*SHIFT_COLUMNS).where(Shift.id.is_in(shift_ids)).run())
    window = (min(_aware(s["starts_at"]) for s in shifts) - dt.timedelta(days=1), max(_aware(s["ends_at"]) for s in shifts) + dt.timedelta(days=1))
    person = await load_person(user_id, now, policy, window=window)
    return {s["id"]: eligibility(s, person, now).state for s in shifts}


def _with_actions(row: dict, now: dt.datetime, policy: Policy) -> dict:
    """A row of ``MY_COLUMNS`` with the buttons the rules would accept."""
    row["hours"] = worked_hours(row)
    row["can_leave"] = may_leave(row["status"], row["checked_in_at"], row["shift.status"], row["shift.starts_at"], now)
    row["past_cutoff"] = now >= _aware(row["shift.starts_at"]) - dt.timedelta(hours=_cutoff_hours({"kind.cancel_cutoff_hours": row["shift.kind.cancel_cutoff_hours"]}, policy))
    row["can_check_in"] = may_check_in(row["status"], row["checked_in_at"], row["shift.status"], row["shift.starts_at"], row["shift.ends_at"], now)
    row["can_check_out"] = may_check_out(row["checked_in_at"], row["checked_out_at"])
    row["check_in_opens"] = _aware(row["shift.starts_at"]) - CHECK_IN_EARLY
    row["can_confirm"] = False
    return row


async def next_place(user_id: int, now: dt.datetime, policy: Policy = DEFAULT_POLICY) -> dict | None:
    """The shift the home page starts with: the one the person is on now, else the next
    place they hold (a cancelled one too, so that they do not come for nothing); a shift
    they checked out of, left or only wait for is passed over."""
    for row in await upcoming_places(user_id, now, policy, limit=20):
        if row["checked_out_at"] or row["status"] not in ("active", "offered"):
            continue
        zone = ZoneInfo(row["shift.community.timezone"] or "Asia/Shanghai")
        row["today"] = _aware(row["shift.starts_at"]).astimezone(zone).date() <= now.astimezone(zone).date()
        return row
    return None


async def my_shifts(user_id: int, now: dt.datetime, past_after: str | None = None, policy: Policy = DEFAULT_POLICY) -> dict:
    """Upcoming shifts (with the buddy rule's state) and a page of past ones, newest first,
    after the cursor ``past_after`` (``past_next`` continues)."""
    upcoming = await upcoming_places(user_id, now, policy)
    past_page = await keyset_time_page(
        Signup.select(*MY_COLUMNS).where((Signup.user == user_id) & Signup.status.is_in(["active", "standin"]) & (Signup.shift.ends_at <= now)),
        Signup.shift.starts_at, Signup.id, past_after, PAST_PAGE_SIZE, descending=True,
    )
    past = [_with_actions(row, now, policy) for row in past_page.rows]
    return {"upcoming": upcoming, "past": past, "past_next": past_page.next_after, "past_after": past_after, "total_hours": await total_hours(user_id)}


def worked_hours(signup: dict) -> float:
    if signup.get("hours_override") is not None:
        return round(float(signup["hours_override"]), 2)
    if signup.get("checked_in_at") and signup.get("checked_out_at"):
        seconds = (_aware(signup["checked_out_at"]) - _aware(signup["checked_in_at"])).total_seconds()
        return round(max(0.0, seconds) / 3600, 2)
    return 0.0


async def total_hours(user_id: int) -> float:
    rows = await Signup.select(Signup.checked_in_at, Signup.checked_out_at, Signup.hours_override).where(
        (Signup.user == user_id) & (Signup.checked_out_at.is_not_null() | Signup.hours_override.is_not_null())
    ).run()
    return round(sum(worked_hours(r) for r in rows), 2)


async def worked_counts(user_ids: list[int]) -> dict[int, int]:
    """Worked shifts (checked in and out) per person: "experienced" means reaching the setting."""
    if not user_ids:
        return {}
    rows = await Signup.select(Signup.user, Count(Signup.id, alias="n")).where(Signup.user.is_in(user_ids) & Signup.checked_out_at.is_not_null()).group_by(Signup.user).run()
    return {r["user"]: r["n"] for r in rows}


async def _marked_experienced(user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    rows = await ShiftStanding.select(ShiftStanding.user).where(ShiftStanding.user.is_in(user_ids) & ShiftStanding.experienced.eq(True)).run()
    return {r["user"] for r in rows}


async def experienced_among(user_ids: list[int], policy: Policy = DEFAULT_POLICY) -> set[int]:
    """Who of these people is experienced: ``experienced_after`` worked shifts, or marked
    so by an officer."""
    worked = await worked_counts(user_ids)
    return {u for u in user_ids if worked.get(u, 0) >= policy.experienced_after} | await _marked_experienced(user_ids)


async def set_experienced(actor, community_id: int, user_id: int, value: bool) -> None:
    """An officer marks (or unmarks) a person of their community as experienced, audited."""
    from portal.volunteers.tables import VolunteerProfile

    async with write_transaction():
        ours = await VolunteerProfile.exists().where((VolunteerProfile.user == user_id) & (VolunteerProfile.community == community_id)).run() or await Signup.exists().where(
            (Signup.user == user_id) & (Signup.shift.community == community_id)
        ).run()
        if not ours:
            raise NotFound(user_id)
        existing = await ShiftStanding.select(ShiftStanding.id, ShiftStanding.experienced).where(ShiftStanding.user == user_id).first().run()
        if existing and bool(existing["experienced"]) == value:
            return
        if existing:
            await ShiftStanding.update({ShiftStanding.experienced: value}).where(ShiftStanding.id == existing["id"]).run()
        else:
            await ShiftStanding.insert(ShiftStanding(user=user_id, experienced=value, lifted_count=0)).run()
        await record("shift.experienced_marked", "user", user_id, actor=actor, before={"experienced": bool(existing and existing["experienced"])}, after={"experienced": value})


# --- The buddy rule ------------------------------------------------------------------------
#
# A kind's buddy rule (``buddy_min`` people, and with ``needs_experienced`` at least one
# experienced volunteer) decides when a patrol *starts*, not who may check in: the first
# person on the spot checks in (their presence is recorded and counts for the lone-patroller
# alarm) and is shown "waiting for your buddies" until enough people, including an
# experienced one, have checked in. The patrol counts as started at the check-in that
# completes the rule. "Experienced" means ``Policy.experienced_after`` worked shifts
# (checked in and out), so it follows from the record, or an officer's mark for someone
# experienced elsewhere (``set_experienced``).


@dataclass(frozen=True)
class Buddy:
    """Where a shift stands with its buddy rule."""

    applies: bool
    started_at: dt.datetime | None  # the check-in that completed the rule
    present: int  # checked in and not yet out
    needed: int
    experienced_present: bool

    @property
    def started(self) -> bool:
        return self.started_at is not None


def buddy_state(shift: dict, check_ins: list[dict], experienced_people: set[int]) -> Buddy:
    """``check_ins``: the shift's sign-ups with ``user``, ``checked_in_at``, ``checked_out_at``."""
    needed = max(1, shift.get("kind.buddy_min") or 0)
    wants_experienced = bool(shift.get("kind.needs_experienced"))
    applies = needed > 1 or wants_experienced
    started_at = None
    count, experienced = 0, False
    for row in sorted((r for r in check_ins if r.get("checked_in_at")), key=lambda r: _aware(r["checked_in_at"])):
        count += 1
        experienced = experienced or row["user"] in experienced_people
        if started_at is None and count >= needed and (experienced or not wants_experienced):
            started_at = _aware(row["checked_in_at"])
    present = [r for r in check_ins if r.get("checked_in_at") and not r.get("checked_out_at")]
    return Buddy(applies, started_at, len(present), needed, any(r["user"] in experienced_people for r in present))


async def buddy_states(shifts: list[dict], policy: Policy = DEFAULT_POLICY) -> dict[int, Buddy]:
    """The buddy state of each shift (rows of ``SHIFT_COLUMNS`` or with the same kind keys)."""
    ids = [s["id"] for s in shifts if (s.get("kind.buddy_min") or 0) > 1 or s.get("kind.needs_experienced")]
    if not ids:
        return {}
    rows = await Signup.select(Signup.shift, Signup.user, Signup.checked_in_at, Signup.checked_out_at).where(Signup.shift.is_in(ids) & Signup.checked_in_at.is_not_null()).run()
    experienced = await experienced_among(sorted({r["user"] for r in rows}), policy)
    return {s["id"]: buddy_state(s, [r for r in rows if r["shift"] == s["id"]], experienced) for s in shifts if s["id"] in ids}


# --- The capacity counter ----------------------------------------------------------------


async def _take_place(shift_id: int, now: dt.datetime) -> bool:
    """One conditional UPDATE: the database, not a check before it, keeps taken <= capacity.
    On PostgreSQL concurrent updates of the row queue on its lock and re-check the WHERE;
    on SQLite the write transaction already holds the database's write lock."""
    rows = await Shift.raw(
        "UPDATE shift SET taken = taken + 1 WHERE id = {} AND taken < capacity AND status = 'open' RETURNING id",
        shift_id,
    ).run()
    return bool(rows)


async def _lock_shift(shift_id: int) -> None:
    """Serialise the changes to one shift's sign-ups: on PostgreSQL lock its row for the
    transaction, so eligibility is read after any concurrent change has committed. (On
    SQLite the write transaction holds the database's write lock from BEGIN.)"""
    from piccolo.engine.postgres import PostgresEngine

    if isinstance(Shift._meta.db, PostgresEngine):
        await Shift.raw("SELECT id FROM shift WHERE id = {} FOR UPDATE", shift_id).run()


async def _free_place(shift_id: int) -> None:
    await Shift.raw("UPDATE shift SET taken = taken - 1 WHERE id = {} AND taken > 0", shift_id).run()


# --- Signing up, the waitlist and stand-ins ----------------------------------------------


@dataclass(frozen=True)
class SignupResult:
    outcome: str  # "active" | "waiting" | "confirmed" | "took_over" | "unchanged"
    eligibility: Eligibility


async def sign_up(user_id: int, shift_id: int, now: dt.datetime | None = None, policy: Policy = DEFAULT_POLICY, actor: Any = None, expect: str | None = None) -> SignupResult:
    """Sign up (or join the waitlist, confirm an offered place, take over a stand-in place).

    Raises ``ShiftError`` with the eligibility's reason when the state allows nothing.
    A repeat (double tap) changes nothing and answers "unchanged". ``expect`` is the state
    the person's page showed: when the shift changed meanwhile (the last place went),
    nothing is done and the error says so.
    """
    now = now or utcnow()
    try:
        return await _sign_up(user_id, shift_id, now, policy, actor, expect)
    except ShiftError:
        raise
    except Exception as error:
        # Two taps raced past the existence check: the unique (shift, user) index kept one.
        if not is_unique_violation(error):
            raise
        shift = await load_shift(shift_id)
        return SignupResult("unchanged", await eligibility_for(user_id, shift, now, policy))


class StaleError(ShiftError):
    """The page was out of date; nothing was changed."""


async def _sign_up(user_id: int, shift_id: int, now: dt.datetime, policy: Policy, actor: Any, expect: str | None) -> SignupResult:
    async with write_transaction(short=True):
        await _lock_shift(shift_id)
        shift = await load_shift(shift_id)
        if not shift:
            raise NotFound(shift_id)
        state = await eligibility_for(user_id, shift, now, policy)
        existing = await Signup.select(Signup.id, Signup.status).where((Signup.shift == shift_id) & (Signup.user == user_id)).first().run()
        who = actor or _UserRef(user_id)
        if expect and state.state.value != expect and state.state not in (State.SIGNED_UP, State.WAITING, State.HANDED_OVER):
            raise StaleError("", _("This shift changed since your page was loaded: %(reason)s", reason=state.reason))
        if state.state == State.OFFERED:
            await Signup.update({Signup.status: "active", Signup.offer_expires_at: None, Signup.updated_at: now}).where((Signup.id == existing["id"]) & (Signup.status == "offered")).run()
            await record("shift.offer_confirmed", "shift", shift_id, actor=who, after={"user": user_id})
            return SignupResult("confirmed", Eligibility(State.SIGNED_UP))
        if state.state in (State.SIGNED_UP, State.WAITING, State.HANDED_OVER):
            return SignupResult("unchanged", state)
        if state.state == State.STANDIN:
            handed = await Signup.select(Signup.id, Signup.user).where((Signup.shift == shift_id) & (Signup.status == "standin")).order_by(Signup.updated_at).first().run()
            replaced = await Signup.update({Signup.status: "replaced", Signup.updated_at: now}).where((Signup.id == handed["id"]) & (Signup.status == "standin")).returning(Signup.id).run()
            if replaced:
                await _put_signup(existing, shift_id, user_id, "active", now)
                await record("shift.took_over", "shift", shift_id, actor=who, before={"user": handed["user"]}, after={"user": user_id})
                await notify(handed["user"], "shift.stand_in_found", N_("A stand-in takes your place on %(shift)s"), link="/shifts/mine", dedupe_key=f"shift-standin-found:{handed['id']}:{user_id}", shift=shift_label(shift))
                return SignupResult("took_over", Eligibility(State.SIGNED_UP))
            state = Eligibility(State.FULL)
        if state.state not in (State.FREE, State.FULL):
            raise ShiftError("", state.reason)
        status = "active" if await _take_place(shift_id, now) else "waiting"
        if status == "waiting" and expect == State.FREE.value:
            raise StaleError("", _("The last place was taken a moment ago. You can join the waitlist."))
        await _put_signup(existing, shift_id, user_id, status, now)
        await record("shift.signed_up" if status == "active" else "shift.waitlisted", "shift", shift_id, actor=who, after={"user": user_id, "status": status})
        return SignupResult(status, Eligibility(State.SIGNED_UP if status == "active" else State.WAITING, {} if status == "active" else {"position": await waiting_position(shift_id, await _mine(shift_id, user_id))}))


@dataclass(frozen=True)
class _UserRef:
    id: int
    username: str = ""


async def _mine(shift_id: int, user_id: int) -> dict | None:
    return await Signup.select(Signup.id, Signup.status, Signup.queued_at, Signup.checked_in_at).where((Signup.shift == shift_id) & (Signup.user == user_id)).first().run()


async def _put_signup(existing: dict | None, shift_id: int, user_id: int, status: str, now: dt.datetime) -> None:
    """A new sign-up, or the person's earlier (cancelled) one brought back: one row per pair."""
    values = {"status": status, "queued_at": now, "offer_expires_at": None, "updated_at": now}
    if existing:
        await Signup.update({getattr(Signup, k): v for k, v in values.items()}).where(Signup.id == existing["id"]).run()
    else:
        await Signup.insert(Signup(shift=shift_id, user=user_id, **values)).run()


async def offer_next(shift_id: int, now: dt.datetime, policy: Policy = DEFAULT_POLICY) -> int | None:
    """Hold a freed place for the first person waiting and tell them; returns their user id."""
    shift = await load_shift(shift_id)
    if not shift or shift["status"] != "open" or _aware(shift["starts_at"]) <= now:
        return None
    first = await Signup.select(Signup.id, Signup.user).where((Signup.shift == shift_id) & (Signup.status == "waiting")).order_by(Signup.queued_at).order_by(Signup.id).first().run()
    if not first or not await _take_place(shift_id, now):
        return None
    until = min(now + dt.timedelta(minutes=policy.offer_minutes), _aware(shift["starts_at"]))
    await Signup.update({Signup.status: "offered", Signup.offer_expires_at: until, Signup.updated_at: now}).where(Signup.id == first["id"]).run()
    await record("shift.offered", "shift", shift_id, after={"user": first["user"], "until": until})
    await notify(
        first["user"], "shift.offer", N_("A place is free for you on %(shift)s"), N_("Confirm it under \"My shifts\" before %(until)s, or it goes to the next person waiting."),
        link="/shifts/mine", dedupe_key=f"shift-offer:{first['id']}:{int(now.timestamp())}", shift=shift_label(shift), until=When(until, shift["community.timezone"]),
    )
    return first["user"]


def _cutoff_hours(shift: dict, policy: Policy) -> int:
    own = shift.get("kind.cancel_cutoff_hours")
    return policy.cancel_cutoff_hours if own is None else own


async def officers_of(community_id: int) -> list[int]:
    rows = await RoleGrant.select(RoleGrant.user).where((RoleGrant.role == "officer") & (RoleGrant.community == community_id)).run()
    return sorted({r["user"] for r in rows})


async def withdraw(user_id: int, shift_id: int, now: dt.datetime | None = None, policy: Policy = DEFAULT_POLICY, actor: Any = None) -> str:
    """Leave a shift: before the cut-off the place is freed (and offered to the waitlist);
    after it, the place is marked as needing a stand-in and the officers are told."""
    now = now or utcnow()
    who = actor or _UserRef(user_id)
    async with write_transaction():
        await _lock_shift(shift_id)
        shift = await load_shift(shift_id)
        mine = await _mine(shift_id, user_id)
        if not shift or not mine or mine["status"] not in LIVE_STATUSES:
            raise ShiftError("", _("You are not signed up for this shift."))
        if mine["status"] == "standin":
            return "unchanged"
        if not may_leave(mine["status"], mine["checked_in_at"], shift["status"], shift["starts_at"], now):
            if mine["checked_in_at"]:
                raise ShiftError("", _("You have checked in: check out when you leave."))
            raise ShiftError("", _("This shift has started or ended."))
        if mine["status"] == "waiting":
            await Signup.update({Signup.status: "cancelled", Signup.updated_at: now}).where(Signup.id == mine["id"]).run()
            await record("shift.left_waitlist", "shift", shift_id, actor=who, after={"user": user_id})
            return "left_waitlist"
        cutoff = _aware(shift["starts_at"]) - dt.timedelta(hours=_cutoff_hours(shift, policy))
        if mine["status"] == "offered" or now < cutoff:
            await Signup.update({Signup.status: "cancelled" if mine["status"] == "active" else "lapsed", Signup.offer_expires_at: None, Signup.updated_at: now}).where(Signup.id == mine["id"]).run()
            await _free_place(shift_id)
            await record("shift.cancelled_signup", "shift", shift_id, actor=who, after={"user": user_id})
            await offer_next(shift_id, now, policy)
            return "cancelled"
        await Signup.update({Signup.status: "standin", Signup.updated_at: now}).where(Signup.id == mine["id"]).run()
        await record("shift.cannot_make_it", "shift", shift_id, actor=who, after={"user": user_id})
        name = (await User.select(User.real_name).where(User.id == user_id).first().run())["real_name"]
        for officer in await officers_of(shift["community"]):
            await notify(
                officer, "shift.stand_in_needed", N_("A stand-in is needed on %(shift)s"), N_("%(name)s can't make it. Another volunteer can take over the place from the shift list."),
                link=f"/shifts/manage/{shift['community']}/shifts/{shift_id}", dedupe_key=f"shift-standin:{mine['id']}:{officer}:{int(now.timestamp())}", shift=shift_label(shift), name=name,
            )
        return "standin"


async def expire_offers(now: dt.datetime, policy: Policy = DEFAULT_POLICY) -> int:
    """Offers not confirmed in time lapse; the place goes to the next person waiting."""
    due = await Signup.select(Signup.id, Signup.shift, Signup.user).where((Signup.status == "offered") & (Signup.offer_expires_at <= now)).limit(500).run()
    done = 0
    for offer in due:
        async with write_transaction():
            await _lock_shift(offer["shift"])
            lapsed = await Signup.update({Signup.status: "lapsed", Signup.offer_expires_at: None, Signup.updated_at: now}).where((Signup.id == offer["id"]) & (Signup.status == "offered")).returning(Signup.id).run()
            if not lapsed:
                continue  # another process got there first
            await _free_place(offer["shift"])
            await record("shift.offer_lapsed", "shift", offer["shift"], after={"user": offer["user"]})
            await offer_next(offer["shift"], now, policy)
            done += 1
    return done


# --- Check-in, check-out, hours, no-shows ---------------------------------------------


async def check_in(user_id: int, shift_id: int, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    async with write_transaction(short=True):
        shift = await load_shift(shift_id)
        mine = await Signup.select(Signup.id, Signup.status, Signup.checked_in_at).where((Signup.shift == shift_id) & (Signup.user == user_id)).first().run()
        if not shift or not mine or mine["status"] != "active" or shift["status"] != "open":
            raise ShiftError("", _("You are not signed up for this shift."))
        if mine["checked_in_at"]:
            return
        if not may_check_in(mine["status"], mine["checked_in_at"], shift["status"], shift["starts_at"], shift["ends_at"], now):
            if now < _aware(shift["starts_at"]) - CHECK_IN_EARLY:
                raise ShiftError("", _("Check-in opens 15 minutes before the start."))
            raise ShiftError("", _("This shift has ended; ask your officer to record your hours."))
        await Signup.update({Signup.checked_in_at: now, Signup.updated_at: now}).where(Signup.id == mine["id"]).run()
        await record("shift.checked_in", "shift", shift_id, actor=_UserRef(user_id), after={"at": now})


class NeedsConfirmation(ShiftError):
    """The change waits for the person's "yes" (``message`` says why); nothing was done."""


async def check_out(user_id: int, shift_id: int, now: dt.datetime | None = None, confirmed: bool = True) -> float:
    """Check out; before the start or within ``CHECK_OUT_CONFIRM_WITHIN`` of the check-in
    an unconfirmed check-out raises ``NeedsConfirmation`` and changes nothing."""
    now = now or utcnow()
    async with write_transaction(short=True):
        mine = await Signup.select(
            Signup.id, Signup.checked_in_at, Signup.checked_out_at, Signup.shift.starts_at, Signup.shift.community.timezone,
        ).where((Signup.shift == shift_id) & (Signup.user == user_id)).first().run()
        if not mine or not mine["checked_in_at"]:
            raise ShiftError("", _("Check in first."))
        if not may_check_out(mine["checked_in_at"], mine["checked_out_at"]):
            return worked_hours(mine)
        if not confirmed:
            reason = early_check_out(mine["checked_in_at"], mine["shift.starts_at"], now, mine["shift.community.timezone"] or "Asia/Shanghai")
            if reason:
                raise NeedsConfirmation("", reason)
        await Signup.update({Signup.checked_out_at: now, Signup.updated_at: now}).where(Signup.id == mine["id"]).run()
        await record("shift.checked_out", "shift", shift_id, actor=_UserRef(user_id), after={"at": now})
        return worked_hours({**mine, "checked_out_at": now})


async def signup_in_scope(signup_id: int, community_ids: frozenset[int] | None) -> dict | None:
    row = await Signup.select(
        Signup.id, Signup.shift, Signup.user, Signup.status, Signup.checked_in_at, Signup.checked_out_at, Signup.hours_override, Signup.hours_note, Signup.no_show, Signup.no_show_reason,
        Signup.shift.community, Signup.shift.starts_at, Signup.shift.ends_at,
    ).where(Signup.id == signup_id).first().run()
    if not row or (community_ids is not None and row["shift.community"] not in community_ids):
        return None
    return row


async def correct_hours(actor, signup_id: int, hours: float, note: str, community_ids: frozenset[int] | None) -> None:
    async with write_transaction():
        row = await signup_in_scope(signup_id, community_ids)
        if not row:
            raise NotFound(signup_id)
        if row["status"] not in ("active", "standin"):
            raise ShiftError("hours", _("Only people who were on the shift have hours."))
        await Signup.update({Signup.hours_override: hours, Signup.hours_note: note.strip(), Signup.updated_at: utcnow()}).where(Signup.id == signup_id).run()
        await record("shift.hours_corrected", "signup", signup_id, actor=actor, before={"hours": worked_hours(row), "note": row["hours_note"]}, after={"hours": hours, "note": note.strip()})


NO_SHOW_VALUES = ("", "excused", "unexcused")


async def mark_no_show(actor, signup_id: int, excused: bool, reason: str, community_ids: frozenset[int] | None, now: dt.datetime | None = None, policy: Policy = DEFAULT_POLICY) -> bool:
    """Record a no-show; returns whether the person's sign-up is now blocked."""
    return await set_no_show(actor, signup_id, "excused" if excused else "unexcused", reason, community_ids, now, policy)


async def set_no_show(actor, signup_id: int, value: str, reason: str, community_ids: frozenset[int] | None, now: dt.datetime | None = None, policy: Policy = DEFAULT_POLICY) -> bool:
    """Mark, change (excused/unexcused) or remove a no-show, audited, and recompute the
    block: it starts at N unexcused no-shows and lifts by itself when a change takes the
    count under N again. Returns whether the person's sign-up is now blocked."""
    now = now or utcnow()
    if value not in NO_SHOW_VALUES:
        raise ShiftError("excused", _("Choose from the list."))
    reason = reason.strip()
    async with write_transaction():
        row = await signup_in_scope(signup_id, community_ids)
        if not row:
            raise NotFound(signup_id)
        if now < _aware(row["shift.starts_at"]):
            raise ShiftError("", _("A no-show can be marked only after the shift has started."))
        if row["checked_in_at"] or row["status"] not in ("active", "standin"):
            raise ShiftError("", _("This person checked in or was not on the shift."))
        if not value and not row["no_show"]:
            raise ShiftError("excused", _("This person is not marked as a no-show."))
        was_blocked = await is_blocked(row["user"], policy)
        if value == row["no_show"] and reason == row["no_show_reason"]:
            return was_blocked
        await Signup.update({Signup.no_show: value, Signup.no_show_reason: reason, Signup.updated_at: now}).where(Signup.id == signup_id).run()
        count = await unexcused_no_shows(row["user"])
        # A lifted block counts no-shows from the lift on; fewer no-shows than at the lift
        # must not leave credit that would hide later ones.
        standing = await ShiftStanding.select(ShiftStanding.id, ShiftStanding.lifted_count).where(ShiftStanding.user == row["user"]).first().run()
        if standing and standing["lifted_count"] > count:
            await ShiftStanding.update({ShiftStanding.lifted_count: count}).where(ShiftStanding.id == standing["id"]).run()
        blocked = await is_blocked(row["user"], policy)
        await record(
            "shift.no_show" if value else "shift.no_show_removed", "signup", signup_id, actor=actor,
            before={"no_show": row["no_show"], "reason": row["no_show_reason"], "blocked": was_blocked}, after={"no_show": value, "reason": reason, "blocked": blocked},
        )
        if blocked and not was_blocked:
            await notify(row["user"], "shift.blocked", N_("Sign-up for shifts is blocked"), NN_("You missed %(count)s shift without an excuse. Your community officer can lift the block.", "You missed %(count)s shifts without an excuse. Your community officer can lift the block.", "count"), link="/shifts/mine",
                         dedupe_key=f"shift-blocked:{row['user']}:{int(now.timestamp())}", count=count)
        elif was_blocked and not blocked:
            await notify(row["user"], "shift.unblocked", N_("You can sign up for shifts again"), N_("An officer corrected a no-show: %(reason)s"), link="/shifts/",
                         dedupe_key=f"shift-unblocked:{row['user']}:{int(now.timestamp())}", reason=reason or "—")
        return blocked


async def lift_block(actor, user_id: int) -> None:
    async with write_transaction():
        count = await unexcused_no_shows(user_id)
        existing = await ShiftStanding.select(ShiftStanding.id, ShiftStanding.lifted_count).where(ShiftStanding.user == user_id).first().run()
        if existing:
            await ShiftStanding.update({ShiftStanding.lifted_count: count, ShiftStanding.lifted_at: utcnow(), ShiftStanding.lifted_by: actor.id}).where(ShiftStanding.id == existing["id"]).run()
        else:
            await ShiftStanding.insert(ShiftStanding(user=user_id, lifted_count=count, lifted_at=utcnow(), lifted_by=actor.id)).run()
        await record("shift.block_lifted", "user", user_id, actor=actor, before={"lifted_count": existing["lifted_count"] if existing else 0}, after={"lifted_count": count})


async def blocked_people(community_id: int, policy: Policy = DEFAULT_POLICY) -> list[dict]:
    """People of the community whose sign-up is blocked (few; from their no-shows)."""
    rows = await Signup.select(Signup.user, Signup.user.real_name, Count(Signup.id, alias="n")).where(
        (Signup.shift.community == community_id) & (Signup.no_show == "unexcused")
    ).group_by(Signup.user, Signup.user.real_name).limit(500).run()
    result = []
    for r in rows:
        if await is_blocked(r["user"], policy):
            result.append({"user": r["user"], "real_name": r["user.real_name"], "no_shows": await unexcused_no_shows(r["user"])})
    return result


# --- Shift kinds -------------------------------------------------------------------------


KIND_FIELDS = ("kind", "name", "name_en", "place", "description", "required_skills", "min_people", "max_people", "open_to", "watch_point", "room", "buddy_min", "needs_experienced", "cancel_cutoff_hours", "signup_opens_hours", "active")


def _check_kind(data: dict) -> None:
    if data["kind"] not in KINDS:
        raise ShiftError("kind", _("Choose a kind from the list."))
    if data["open_to"] not in OPEN_TO:
        raise ShiftError("open_to", _("Choose who may take it from the list."))
    unknown = [s for s in skills_of(data["required_skills"]) if s not in SKILLS]
    if unknown:
        raise ShiftError("required_skills", _("Unknown skill: %(skills)s.", skills=", ".join(unknown)))
    if data["min_people"] < 1:
        raise ShiftError("min_people", _("At least one person."))
    if data["max_people"] < data["min_people"]:
        raise ShiftError("max_people", _("The maximum cannot be below the minimum."))
    if data["buddy_min"] > data["max_people"]:
        raise ShiftError("buddy_min", _("The buddy rule cannot ask for more people than the maximum."))


async def _check_watch_point(data: dict, community_id: int) -> None:
    if data.get("watch_point"):
        ok = await WatchPoint.exists().where((WatchPoint.id == data["watch_point"]) & (WatchPoint.community == community_id)).run()
        if not ok:
            raise ShiftError("watch_point", _("Choose a watch point of this community."))
    if data.get("room"):
        from portal.reception.tables import Room

        if data["kind"] != "reception":
            raise ShiftError("room", _("Only a reception shift belongs to a reception room."))
        ok = await Room.exists().where((Room.id == data["room"]) & (Room.community == community_id) & Room.retired_at.is_null()).run()
        if not ok:
            raise ShiftError("room", _("Choose a reception room of this community."))


async def create_kind(actor, community_id: int, data: dict, idempotency_key: str | None = None) -> int:
    data = {k: data[k] for k in KIND_FIELDS if k in data}
    data.setdefault("active", True)
    _check_kind(data)
    await _check_watch_point(data, community_id)
    async with write_transaction():
        if idempotency_key:
            again = await ShiftKind.select(ShiftKind.id).where(ShiftKind.idempotency_key == idempotency_key).first().run()
            if again:
                return again["id"]
        moment = utcnow()
        row = await ShiftKind.insert(ShiftKind(community=community_id, idempotency_key=idempotency_key, created_at=moment, updated_at=moment, **data)).returning(ShiftKind.id).run()
        await record("shift_kind.created", "shift_kind", row[0]["id"], actor=actor, after=data)
        return row[0]["id"]


async def kind_in_scope(kind_id: int, community_id: int) -> dict | None:
    return await ShiftKind.select().where((ShiftKind.id == kind_id) & (ShiftKind.community == community_id)).first().run()


async def update_kind(actor, community_id: int, kind_id: int, data: dict) -> None:
    data = {k: data[k] for k in KIND_FIELDS if k in data}
    _check_kind(data)
    await _check_watch_point(data, community_id)
    async with write_transaction():
        before = await kind_in_scope(kind_id, community_id)
        if not before:
            raise NotFound(kind_id)
        await ShiftKind.update({**{getattr(ShiftKind, k): v for k, v in data.items()}, ShiftKind.updated_at: utcnow()}).where(ShiftKind.id == kind_id).run()
        await record("shift_kind.updated", "shift_kind", kind_id, actor=actor, before={k: before[k] for k in data}, after=data)


def _kinds_query(p):
    query = ShiftKind.select().where(ShiftKind.community == p.community)
    if p.active_only:
        query = query.where(ShiftKind.active == True)  # noqa: E712
    return query.order_by(ShiftKind.name).limit(200)


_KINDS = Statement(_kinds_query, literal=("active_only",))


async def kinds_of(community_id: int, active_only: bool = False) -> list[dict]:
    return await _KINDS.run(community=community_id, active_only=bool(active_only))


# --- Rosters -----------------------------------------------------------------------------


def _parse_time(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def _minutes(value: str) -> int:
    t = _parse_time(value)
    return t.hour * 60 + t.minute


TEMPLATE_FIELDS = ("weekdays", "start_time", "end_time", "min_people", "max_people", "weeks_ahead", "starts_on", "active")


async def _check_template(community_id: int, kind_id: int, data: dict, template_id: int | None = None) -> dict:
    kind = await kind_in_scope(kind_id, community_id)
    if not kind:
        raise ShiftError("kind", _("Choose a kind of shift of this community."))
    days = sorted({int(d) for d in data["weekdays"]})
    if not days or any(d < 0 or d > 6 for d in days):
        raise ShiftError("weekdays", _("Choose at least one day of the week."))
    if _minutes(data["end_time"]) <= _minutes(data["start_time"]):
        raise ShiftError("end_time", _("The end must be after the start (a shift ends on the day it starts)."))
    if data["max_people"] < data["min_people"]:
        raise ShiftError("max_people", _("The maximum cannot be below the minimum."))
    if data["min_people"] < 1:
        raise ShiftError("min_people", _("At least one person."))
    if not 1 <= data["weeks_ahead"] <= 26:
        raise ShiftError("weeks_ahead", _("Between 1 and 26 weeks."))
    # Two active patterns of one kind must not overlap on the same weekday.
    others = await RosterTemplate.select().where((RosterTemplate.kind == kind_id) & (RosterTemplate.active == True)).run()  # noqa: E712
    for other in others:
        if other["id"] == template_id or not data.get("active", True):
            continue
        shared = set(days) & {int(d) for d in other["weekdays"].split(",") if d}
        if shared and _minutes(other["start_time"]) < _minutes(data["end_time"]) and _minutes(data["start_time"]) < _minutes(other["end_time"]):
            raise ShiftError("start_time", _("These times overlap another roster of this kind (%(start)s–%(end)s).", start=other["start_time"], end=other["end_time"]))
    return {**data, "weekdays": ",".join(str(d) for d in days)}


async def create_template(actor, community_id: int, kind_id: int, data: dict, now: dt.datetime | None = None, idempotency_key: str | None = None) -> int:
    now = now or utcnow()
    data = {k: data[k] for k in TEMPLATE_FIELDS if k in data}
    data.setdefault("active", True)
    data = await _check_template(community_id, kind_id, data)
    async with write_transaction():
        if idempotency_key:
            again = await RosterTemplate.select(RosterTemplate.id).where(RosterTemplate.idempotency_key == idempotency_key).first().run()
            if again:
                return again["id"]
        row = await RosterTemplate.insert(RosterTemplate(kind=kind_id, community=community_id, idempotency_key=idempotency_key, created_at=now, updated_at=now, **data)).returning(RosterTemplate.id).run()
        template_id = row[0]["id"]
        await record("roster.created", "roster_template", template_id, actor=actor, after=data)
    await generate(template_id, now)
    return template_id


async def template_in_scope(template_id: int, community_id: int) -> dict | None:
    return await RosterTemplate.select().where((RosterTemplate.id == template_id) & (RosterTemplate.community == community_id)).first().run()


async def update_template(actor, community_id: int, template_id: int, data: dict, now: dt.datetime | None = None) -> dict:
    now = now or utcnow()
    before = await template_in_scope(template_id, community_id)
    if not before:
        raise NotFound(template_id)
    data = {k: data[k] for k in TEMPLATE_FIELDS if k in data}
    data = await _check_template(community_id, before["kind"], data, template_id)
    async with write_transaction():
        await RosterTemplate.update({**{getattr(RosterTemplate, k): v for k, v in data.items()}, RosterTemplate.updated_at: now}).where(RosterTemplate.id == template_id).run()
        await record("roster.updated", "roster_template", template_id, actor=actor, before={k: before[k] for k in data}, after=data)
    return await generate(template_id, now)


def _wanted_shifts(template: dict, tz: str, now: dt.datetime) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """The shifts a template asks for from now to its horizon, by their unique key."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    first = max(template["starts_on"], today)
    last = today + dt.timedelta(weeks=template["weeks_ahead"])
    days = {int(d) for d in template["weekdays"].split(",") if d}
    start_t, end_t = _parse_time(template["start_time"]), _parse_time(template["end_time"])
    wanted = {}
    day = first
    while day < last:
        if day.weekday() in days:
            starts = dt.datetime.combine(day, start_t, zone).astimezone(dt.timezone.utc)
            ends = dt.datetime.combine(day, end_t, zone).astimezone(dt.timezone.utc)
            if starts > now:
                wanted[f"{template['id']}:{starts:%Y%m%dT%H%MZ}"] = (starts, ends)
        day += dt.timedelta(days=1)
    return wanted


def _local_day(value: dt.datetime, tz: str) -> dt.date:
    return _aware(value).astimezone(ZoneInfo(tz)).date()


async def generate(template_id: int, now: dt.datetime | None = None) -> dict:
    """Bring a template's future shifts in line with it.

    - Missing shifts are created; the unique key (template + start) makes a second run,
      or two processes at once, create nothing more.
    - Future shifts nobody is on that no longer match are removed (and re-created at the
      new time); a new minimum or maximum is applied in place when the time still matches.
    - Shifts people are on (signed up, waiting, offered, needing a stand-in) stay where they
      are, are flagged and their people told, and the roster's new shift for that day is held
      back, so no two shifts of one roster sit side by side unnoticed: the officer decides
      per kept shift (``move_kept``, ``cancel_kept`` or ``keep_single``).
    - A shift the officer cancelled is never brought back (its key stays taken).
    """
    now = now or utcnow()
    counts = {"created": 0, "removed": 0, "flagged": 0}
    async with write_transaction():
        template = await RosterTemplate.select(*RosterTemplate.all_columns(), RosterTemplate.community.timezone, RosterTemplate.kind.name, RosterTemplate.kind.name_en).where(RosterTemplate.id == template_id).first().run()
        if not template:
            raise NotFound(template_id)
        tz = template["community.timezone"] or "Asia/Shanghai"
        wanted = _wanted_shifts(template, tz, now) if template["active"] else {}
        existing = await Shift.select(Shift.id, Shift.template_key, Shift.starts_at, Shift.ends_at, Shift.min_people, Shift.capacity, Shift.taken, Shift.mismatch).where(
            (Shift.template == template_id) & (Shift.starts_at > now) & (Shift.status == "open")
        ).run()
        held_days: set[dt.date] = set()
        for shift in existing:
            match = wanted.get(shift["template_key"])
            if match is not None and _aware(shift["ends_at"]) == match[1]:
                wanted.pop(shift["template_key"])
                changes = {}
                if shift["mismatch"]:
                    changes[Shift.mismatch] = False
                if shift["min_people"] != template["min_people"] or shift["capacity"] != max(template["max_people"], shift["taken"]):
                    # Same time, new numbers: applied in place (never below the people on it).
                    changes.update({Shift.min_people: template["min_people"], Shift.capacity: max(template["max_people"], shift["taken"])})
                if changes:
                    await Shift.update(changes).where(Shift.id == shift["id"]).run()
                continue
            people = await Signup.select(Signup.user).where((Signup.shift == shift["id"]) & Signup.status.is_in(list(LIVE_STATUSES))).run()
            if not people:
                # Nobody holds it: drop it (re-created below from the new pattern). The
                # condition re-checked in the DELETE loses to a sign-up that got in first.
                deleted = await Shift.delete().where((Shift.id == shift["id"]) & (Shift.taken == 0)).returning(Shift.id).run()
                if deleted:
                    counts["removed"] += 1
                    continue
            held_days.add(_local_day(shift["starts_at"], tz))
            wanted.pop(shift["template_key"], None)
            if not shift["mismatch"]:
                await Shift.update({Shift.mismatch: True}).where(Shift.id == shift["id"]).run()
                counts["flagged"] += 1
                label = Joined((kind_name(template), When(shift["starts_at"], tz)))
                for person in people:
                    await notify(
                        person["user"], "shift.roster_changed", N_("The roster changed: %(shift)s"),
                        N_("Your shift stays at its time for now. The officer will move it to the roster's new time or cancel it, and you will be told."),
                        link="/shifts/mine", dedupe_key=f"shift-kept:{shift['id']}:{person['user']}:{int(now.timestamp())}", shift=label,
                    )
        for key, (starts, ends) in wanted.items():
            if _local_day(starts, tz) in held_days:
                continue  # the kept shift of that day waits for the officer's decision
            inserted = await Shift.insert(
                Shift(community=template["community"], kind=template["kind"], template=template_id, template_key=key, starts_at=starts, ends_at=ends,
                      min_people=template["min_people"], capacity=template["max_people"], taken=0, status="open", created_at=now)
            ).on_conflict(target=Shift.template_key, action="DO NOTHING").returning(Shift.id).run()
            counts["created"] += len(inserted)
        if any(counts.values()):
            await record("roster.generated", "roster_template", template_id, after=counts)
    return counts


# --- Shifts an edit of their roster kept because people are on them --------------------------


async def kept_shifts(community_id: int, template_id: int, now: dt.datetime | None = None) -> list[dict]:
    """The roster's flagged shifts with their people and the roster's new time that day
    (``new_start``/``new_end``, None when the roster has no shift that day any more)."""
    now = now or utcnow()
    template = await RosterTemplate.select(*RosterTemplate.all_columns(), RosterTemplate.community.timezone).where(
        (RosterTemplate.id == template_id) & (RosterTemplate.community == community_id)
    ).first().run()
    if not template:
        return []
    tz = template["community.timezone"] or "Asia/Shanghai"
    # A roster reaches at most 26 weeks ahead: its kept shifts are few by construction.
    rows = await Shift.select(*SHIFT_COLUMNS).where((Shift.template == template_id) & Shift.mismatch.eq(True) & (Shift.status == "open") & (Shift.starts_at > now)).order_by(Shift.starts_at).limit(500).run()
    by_day = {_local_day(starts, tz): (starts, ends) for starts, ends in (_wanted_shifts(template, tz, now) if template["active"] else {}).values()}
    people = await Signup.select(Signup.shift, Signup.user.real_name, Signup.status).where(Signup.shift.is_in([r["id"] for r in rows]) & Signup.status.is_in(list(LIVE_STATUSES))).order_by(Signup.queued_at).run() if rows else []
    for row in rows:
        row["new_start"], row["new_end"] = by_day.get(_local_day(row["starts_at"], tz), (None, None))
        row["people"] = [p for p in people if p["shift"] == row["id"]]
    return rows


async def _kept(community_id: int, template_id: int, shift_id: int) -> dict:
    shift = await load_shift(shift_id)
    if not shift or shift["community"] != community_id or shift["template"] != template_id:
        raise NotFound(shift_id)
    if shift["status"] != "open" or not shift["mismatch"]:
        raise ShiftError("", _("This shift was already dealt with."))
    return shift


async def _tell_people(shift_id: int, kind: str, subject: str, body: str, key: str, **params) -> None:
    people = await Signup.select(Signup.user).where((Signup.shift == shift_id) & Signup.status.is_in(list(LIVE_STATUSES))).run()
    for p in people:
        await notify(p["user"], kind, subject, body, link="/shifts/mine", dedupe_key=f"{key}:{shift_id}:{p['user']}", **params)


async def move_kept(actor, community_id: int, template_id: int, shift_id: int, now: dt.datetime | None = None) -> int:
    """Move a kept shift, with its people, to the roster's new time on the same day.
    Returns the shift's id. The people are told; they may cancel as usual."""
    now = now or utcnow()
    async with write_transaction():
        await _lock_shift(shift_id)
        shift = await _kept(community_id, template_id, shift_id)
        tz = shift["community.timezone"] or "Asia/Shanghai"
        template = await RosterTemplate.select().where(RosterTemplate.id == template_id).first().run()
        day = _local_day(shift["starts_at"], tz)
        target = next(((key, span) for key, span in (_wanted_shifts(template, tz, now) if template["active"] else {}).items() if _local_day(span[0], tz) == day), None)
        if not target:
            raise ShiftError("", _("The roster has no shift on that day any more: cancel this one or keep it as a single shift."))
        key, (starts, ends) = target
        other = await Shift.select(Shift.id, Shift.status, Shift.taken).where((Shift.template_key == key) & (Shift.id != shift_id)).first().run()
        if other:
            has_people = await Signup.exists().where((Signup.shift == other["id"]) & Signup.status.is_in(list(LIVE_STATUSES))).run()
            if other["status"] != "open" or has_people:
                raise ShiftError("", _("The roster's shift at the new time exists already (cancelled or with people): cancel this one instead."))
            await Shift.delete().where(Shift.id == other["id"]).run()
        before = {"starts_at": shift["starts_at"], "ends_at": shift["ends_at"], "capacity": shift["capacity"]}
        capacity = max(template["max_people"], shift["taken"])
        await Shift.update({
            Shift.starts_at: starts, Shift.ends_at: ends, Shift.template_key: key, Shift.min_people: template["min_people"], Shift.capacity: capacity, Shift.mismatch: False,
        }).where(Shift.id == shift_id).run()
        await record("shift.moved_to_roster", "shift", shift_id, actor=actor, before=before, after={"starts_at": starts, "ends_at": ends, "capacity": capacity})
        await _tell_people(
            shift_id, "shift.moved", N_("Your shift moved: %(shift)s"), N_("It now runs %(start)s–%(end)s. If you can't make it, cancel under \"My shifts\"."),
            f"shift-moved:{int(starts.timestamp())}", shift=kind_name(shift), start=When(starts, tz), end=When(ends, tz, "time" if _local_day(starts, tz) == _local_day(ends, tz) else "moment"),
        )
        return shift_id


async def cancel_kept(actor, community_id: int, template_id: int, shift_id: int, reason: str, now: dt.datetime | None = None) -> dict:
    """Cancel a kept shift with a reason (its people are told), then let the roster put
    its new shift on that day."""
    now = now or utcnow()
    if not reason.strip():
        raise ShiftError("reason", _("Say why the shift is cancelled."))
    await _kept(community_id, template_id, shift_id)
    await cancel_shift(actor, community_id, shift_id, reason, now)
    return await generate(template_id, now)


async def keep_single(actor, community_id: int, template_id: int, shift_id: int, now: dt.datetime | None = None) -> dict:
    """Keep a kept shift as it is, as a single shift outside the roster (the roster then
    puts its own shift on that day, if it has one)."""
    now = now or utcnow()
    async with write_transaction():
        shift = await _kept(community_id, template_id, shift_id)
        await Shift.update({Shift.template: None, Shift.template_key: None, Shift.mismatch: False}).where(Shift.id == shift_id).run()
        await record("shift.detached_from_roster", "shift", shift_id, actor=actor, before={"template": template_id}, after={"template": None})
        tz = shift["community.timezone"] or "Asia/Shanghai"
        await _tell_people(shift_id, "shift.kept", N_("Your shift stays: %(shift)s"), N_("The officer keeps it at its time."), "shift-kept-single", shift=Joined((kind_name(shift), When(shift["starts_at"], tz))))
    return await generate(template_id, now)


async def fill_horizon(now: dt.datetime) -> int:
    """Every active template's shifts up to its horizon (the scheduled job)."""
    templates = await RosterTemplate.select(RosterTemplate.id).where(RosterTemplate.active == True).limit(10_000).run()  # noqa: E712
    created = 0
    for t in templates:
        created += (await generate(t["id"], now))["created"]
    return created


async def templates_of(community_id: int) -> list[dict]:
    return await RosterTemplate.select(*RosterTemplate.all_columns(), RosterTemplate.kind.name, RosterTemplate.kind.name_en).where(RosterTemplate.community == community_id).order_by(RosterTemplate.id).limit(200).run()


def local_to_utc(day: dt.date, time_text: str, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, _parse_time(time_text), ZoneInfo(tz)).astimezone(dt.timezone.utc)


async def add_shift(actor, community_id: int, kind_id: int, day: dt.date, start_time: str, end_time: str, min_people: int, max_people: int, note: str = "", now: dt.datetime | None = None, idempotency_key: str | None = None) -> int:
    """A single extra shift outside the rosters."""
    now = now or utcnow()
    kind = await kind_in_scope(kind_id, community_id)
    if not kind:
        raise ShiftError("kind", _("Choose a kind of shift of this community."))
    community = await Community.select(Community.timezone).where(Community.id == community_id).first().run()
    tz = community["timezone"] or "Asia/Shanghai"
    if _minutes(end_time) <= _minutes(start_time):
        raise ShiftError("end_time", _("The end must be after the start (a shift ends on the day it starts)."))
    starts, ends = local_to_utc(day, start_time, tz), local_to_utc(day, end_time, tz)
    if starts <= now:
        raise ShiftError("day", _("This time is in the past."))
    if min_people < 1:
        raise ShiftError("min_people", _("At least one person."))
    if max_people < min_people:
        raise ShiftError("max_people", _("The maximum cannot be below the minimum."))
    async with write_transaction():
        if idempotency_key:
            again = await Shift.select(Shift.id).where(Shift.idempotency_key == idempotency_key).first().run()
            if again:
                return again["id"]
        overlap = await Shift.select(Shift.starts_at, Shift.ends_at).where(
            (Shift.kind == kind_id) & (Shift.status == "open") & (Shift.starts_at < ends) & (Shift.ends_at > starts)
        ).first().run()
        if overlap:
            raise ShiftError("start_time", _("This overlaps another shift of this kind (%(when)s).", when=_local(overlap["starts_at"], tz)))
        row = await Shift.insert(
            Shift(community=community_id, kind=kind_id, starts_at=starts, ends_at=ends, min_people=min_people, capacity=max_people, taken=0, status="open", note=note.strip(), idempotency_key=idempotency_key, created_at=now)
        ).returning(Shift.id).run()
        await record("shift.created", "shift", row[0]["id"], actor=actor, after={"kind": kind_id, "starts_at": starts, "ends_at": ends, "capacity": max_people})
        return row[0]["id"]


async def cancel_shift(actor, community_id: int, shift_id: int, reason: str, now: dt.datetime | None = None) -> int:
    """Cancel with a reason; everyone on it (and waiting) is told. Returns how many were told."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise ShiftError("reason", _("Say why the shift is cancelled."))
    async with write_transaction():
        await _lock_shift(shift_id)
        shift = await load_shift(shift_id)
        if not shift or shift["community"] != community_id:
            raise NotFound(shift_id)
        if shift["status"] == "cancelled":
            return 0
        if _aware(shift["ends_at"]) <= now:
            raise ShiftError("reason", _("This shift has ended."))
        await Shift.update({Shift.status: "cancelled", Shift.cancel_reason: reason}).where(Shift.id == shift_id).run()
        await record("shift.cancelled", "shift", shift_id, actor=actor, before={"status": "open"}, after={"status": "cancelled", "reason": reason})
        people = await Signup.select(Signup.user).where((Signup.shift == shift_id) & Signup.status.is_in(list(LIVE_STATUSES))).run()
        for p in people:
            await notify(p["user"], "shift.cancelled", N_("Shift cancelled: %(shift)s"), N_("Reason: %(reason)s"), link="/shifts/mine", dedupe_key=f"shift-cancelled:{shift_id}:{p['user']}", shift=shift_label(shift), reason=reason)
        return len(people)


# --- The officer's roster and reports ----------------------------------------------------


def week_bounds(week_start: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    monday = week_start - dt.timedelta(days=week_start.weekday())
    zone = ZoneInfo(tz)
    return dt.datetime.combine(monday, dt.time(0), zone).astimezone(dt.timezone.utc), dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), zone).astimezone(dt.timezone.utc)


ROSTER_PAGE_SIZE = 60

# A shift's place in the roster: 0 when it has a gap (fewer people than its minimum or its
# buddy rule, a place needing a stand-in, or no experienced volunteer when its kind asks
# for one), else 1. The same test as ``_with_people`` below, in SQL, so that the roster can
# put gaps first and still be read a page at a time.
_ROSTER_ORDER = """
SELECT id, staffed FROM (
  SELECT s.id AS id, s.starts_at AS starts_at,
    CASE WHEN s.status = 'open' AND (
      s.taken < CASE WHEN k.buddy_min > s.min_people THEN k.buddy_min ELSE s.min_people END
      OR EXISTS (SELECT 1 FROM shift_signup x WHERE x.shift = s.id AND x.status = 'standin')
      OR (k.needs_experienced AND NOT EXISTS (
        SELECT 1 FROM shift_signup p WHERE p.shift = s.id AND p.status IN ('active', 'offered')
          AND ((SELECT COUNT(*) FROM shift_signup w WHERE w."user" = p."user" AND w.checked_out_at IS NOT NULL) >= {}
            OR EXISTS (SELECT 1 FROM shift_standing m WHERE m."user" = p."user" AND m.experienced)))))
    THEN 0 ELSE 1 END AS staffed
  FROM shift s JOIN shift_kind k ON k.id = s.kind
  WHERE s.community = {} AND s.starts_at >= {} AND s.starts_at < {}
) q
"""


def _roster_cursor(text: str | None) -> tuple[int, dt.datetime, int] | None:
    staffed, _sep, rest = (text or "").partition(".")
    position = parse_time_cursor(rest)
    if staffed not in ("0", "1") or not position:
        return None
    return int(staffed), position[0], position[1]


async def roster_page(community_id: int, start: dt.datetime, end: dt.datetime, after: str | None = None, policy: Policy = DEFAULT_POLICY, size: int | None = None) -> tuple[list[dict], str | None]:
    """A page of the week's shifts with who is on them, gaps first and then by start,
    after the cursor ``after``; returns the shifts and the next page's cursor. The
    (community, starts_at, id) index bounds the scan to the community's week."""
    size = size or ROSTER_PAGE_SIZE
    sql, args = _ROSTER_ORDER, [policy.experienced_after, community_id, start, end]
    cursor = _roster_cursor(after)
    if cursor:
        staffed, at, last = cursor
        sql += " WHERE staffed > {} OR (staffed = {} AND (starts_at > {} OR (starts_at = {} AND id > {})))"
        args += [staffed, staffed, at, at, last]
    sql += " ORDER BY staffed, starts_at, id LIMIT {}"
    order = await Shift.raw(sql, *args, size + 1).run()
    more = len(order) > size
    order = order[:size]
    ids = [r["id"] for r in order]
    rows = {r["id"]: r for r in await Shift.select(*SHIFT_COLUMNS).where(Shift.id.is_in(ids)).run()} if ids else {}
    shifts = await _with_people([rows[i] for i in ids if i in rows], policy)
    next_after = None
    if more and order and order[-1]["id"] in rows:
        last = order[-1]
        next_after = f"{int(last['staffed'])}.{time_cursor(_aware(rows[last['id']]['starts_at']), last['id'])}"
    return shifts, next_after


async def roster(community_id: int, start: dt.datetime, end: dt.datetime, policy: Policy = DEFAULT_POLICY) -> list[dict]:
    """Every shift between ``start`` and ``end`` (the pages of ``roster_page`` joined):
    for short spans, such as one shift's own page."""
    shifts, after = await roster_page(community_id, start, end, None, policy)
    while after:
        more, after = await roster_page(community_id, start, end, after, policy)
        shifts += more
    return shifts


async def _with_people(shifts: list[dict], policy: Policy) -> list[dict]:
    """Who is on each shift, their hours and experience, and the shift's gaps."""
    shifts = await with_standins(shifts)
    ids = [s["id"] for s in shifts]
    people = await Signup.select(
        Signup.id, Signup.shift, Signup.user, Signup.user.real_name, Signup.status, Signup.checked_in_at, Signup.checked_out_at, Signup.hours_override, Signup.hours_note, Signup.no_show, Signup.no_show_reason, Signup.offer_expires_at,
    ).where(Signup.shift.is_in(ids) & Signup.status.is_in(list(LIVE_STATUSES))).order_by(Signup.queued_at).run() if ids else []
    worked = await worked_counts(sorted({p["user"] for p in people}))
    marked = await _marked_experienced(sorted({p["user"] for p in people}))
    for s in shifts:
        s["people"] = [p for p in people if p["shift"] == s["id"]]
        for p in s["people"]:
            p["hours"] = worked_hours(p)
            p["worked"] = worked.get(p["user"], 0)
            p["marked_experienced"] = p["user"] in marked
            p["experienced"] = p["worked"] >= policy.experienced_after or p["marked_experienced"]
        on = [p for p in s["people"] if p["status"] in ("active", "offered")]
        s["on_count"] = len(on)
        s["waiting_count"] = sum(1 for p in s["people"] if p["status"] == "waiting")
        needed = max(s["min_people"], s["kind.buddy_min"] or 0)
        s["gap"] = max(0, needed - len(on)) + s["standins"]
        s["needs_experienced_gap"] = s["status"] == "open" and bool(s["kind.needs_experienced"]) and not any(p["experienced"] for p in on)
        s["understaffed"] = s["status"] == "open" and (s["gap"] > 0 or s["needs_experienced_gap"])
    states = await buddy_states(shifts, policy)
    for s in shifts:
        s["buddy"] = states.get(s["id"])
    return shifts


async def shift_detail(community_ids: frozenset[int] | None, shift_id: int, policy: Policy = DEFAULT_POLICY) -> dict | None:
    shift = await load_shift(shift_id)
    if not shift or (community_ids is not None and shift["community"] not in community_ids):
        return None
    return (await _with_people([shift], policy))[0]


async def hours_report(community_id: int, month: dt.date) -> list[dict]:
    """Worked hours per volunteer in a month (local), from check-in/out or corrections."""
    community = await Community.select(Community.timezone).where(Community.id == community_id).first().run()
    zone = ZoneInfo(community["timezone"] or "Asia/Shanghai")
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(0), zone).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(after, dt.time(0), zone).astimezone(dt.timezone.utc)
    rows = Signup.select(
        Signup.id, Signup.user, Signup.user.real_name, Signup.user.username, Signup.checked_in_at, Signup.checked_out_at, Signup.hours_override, Signup.no_show,
    ).where((Signup.shift.community == community_id) & (Signup.shift.starts_at >= start) & (Signup.shift.starts_at < end) & Signup.status.is_in(["active", "standin"]))
    people: dict[int, dict] = {}
    async for r in _every_row(rows, Signup.id):  # a batch at a time, however busy the month
        p = people.setdefault(r["user"], {"user": r["user"], "real_name": r["user.real_name"], "username": r["user.username"], "shifts": 0, "hours": 0.0, "no_shows": 0})
        hours = worked_hours(r)
        if hours:
            p["shifts"] += 1
            p["hours"] = round(p["hours"] + hours, 2)
        if r["no_show"] == "unexcused":
            p["no_shows"] += 1
    return sorted(people.values(), key=lambda p: (-p["hours"], p["real_name"]))


# --- Alerts, reminders and the lone-patroller check --------------------------------------


JOB_BATCH = 500


async def _every_row(query, key):
    """All rows of ``query`` a batch at a time by ``key`` (unique): a job or a report
    reaches every row however many there are, without holding them all at once."""
    after = None
    while True:
        page = await keyset_page(query, key, after, JOB_BATCH)
        for row in page.rows:
            yield row
        if page.next_after is None:
            return
        after = page.next_after


async def overdue_checkouts(community_ids: frozenset[int] | None, now: dt.datetime, policy: Policy = DEFAULT_POLICY, limit: int = 50) -> list[dict]:
    """Checked in, not checked out, N minutes after the shift's end: maybe alone and in trouble."""
    if community_ids is not None and not community_ids:
        return []
    query = _overdue_query(now, policy)
    if community_ids is not None:
        query = query.where(Signup.shift.community.is_in(list(community_ids)))
    return await query.order_by(Signup.shift.ends_at).limit(limit).run()


def _overdue_query(now: dt.datetime, policy: Policy):
    return Signup.select(
        Signup.id, Signup.user, Signup.user.real_name, Signup.user.phone, Signup.shift, Signup.shift.community, Signup.shift.ends_at, Signup.shift.kind.name, Signup.shift.kind.name_en, Signup.shift.community.timezone, Signup.checked_in_at,
    ).where(
        Signup.checked_in_at.is_not_null() & Signup.checked_out_at.is_null() & (Signup.shift.ends_at <= now - dt.timedelta(minutes=policy.overdue_minutes)) & (Signup.shift.ends_at > now - dt.timedelta(days=2))
    )


async def alert_overdue(now: dt.datetime, policy: Policy = DEFAULT_POLICY) -> int:
    sent = 0
    async for row in _every_row(_overdue_query(now, policy), Signup.id):
        for officer in await officers_of(row["shift.community"]):
            sent += await notify(
                officer, "shift.overdue", N_("%(name)s has not checked out of %(shift)s"), N_("The shift ended at %(end)s. Call them: %(phone)s."),
                link=f"/shifts/manage/{row['shift.community']}/shifts/{row['shift']}", dedupe_key=f"shift-overdue:{row['id']}:{officer}",
                name=row["user.real_name"], shift=kind_name(row, "shift.kind."), end=When(row["shift.ends_at"], row["shift.community.timezone"]), phone=row["user.phone"] or "—",
            )
    return sent


async def send_reminders(now: dt.datetime, policy: Policy = DEFAULT_POLICY) -> int:
    """Remind people before their shifts (24 h and 2 h by default), each reminder once."""
    sent = 0
    hours = sorted(policy.reminder_hours)
    for index, h in enumerate(hours):
        # Only the closest reminder window applies: no 24 h reminder two hours before.
        lower = now + dt.timedelta(hours=hours[index - 1]) if index else now
        query = Signup.select(Signup.id, Signup.user, Signup.shift, Signup.shift.starts_at, Signup.shift.kind.name, Signup.shift.kind.name_en, Signup.shift.kind.place, Signup.shift.community.timezone).where(
            (Signup.status == "active") & (Signup.shift.status == "open") & (Signup.shift.starts_at > lower) & (Signup.shift.starts_at <= now + dt.timedelta(hours=h))
        )
        async for r in _every_row(query, Signup.id):
            sent += await notify(
                r["user"], "shift.reminder", N_("Reminder: %(shift)s at %(start)s"), N_("Place: %(place)s. Check in from your phone from 15 minutes before the start."),
                link="/shifts/mine", dedupe_key=f"shift-reminder:{h}:{r['id']}",
                shift=kind_name(r, "shift.kind."), start=When(r["shift.starts_at"], r["shift.community.timezone"]), place=r["shift.kind.place"] or "—",
            )
    return sent


async def alert_understaffed(now: dt.datetime, policy: Policy = DEFAULT_POLICY) -> int:
    """Tell the officers, 24 hours before the start, about shifts below their minimum (or
    their buddy rule's number) and, separately, about shifts whose kind needs an
    experienced volunteer and has none signed up: each message once per shift and officer."""
    sent = 0
    query = Shift.select(*SHIFT_COLUMNS).where((Shift.status == "open") & (Shift.starts_at > now) & (Shift.starts_at <= now + dt.timedelta(hours=24)))
    after = None
    while True:
        page = await keyset_page(query, Shift.id, after, JOB_BATCH)
        sent += await _alert_understaffed_page(page.rows, policy)
        if page.next_after is None:
            return sent
        after = page.next_after


async def _alert_understaffed_page(rows: list[dict], policy: Policy) -> int:
    without = await _without_experienced([s["id"] for s in rows if s["kind.needs_experienced"]], policy)
    needed = {s["id"]: max(s["min_people"], s["kind.buddy_min"] or 0) for s in rows}
    short = {s["id"] for s in rows if s["taken"] < needed[s["id"]]}
    alerted = [s for s in rows if s["id"] in short or s["id"] in without]
    if not alerted:
        return 0
    # The community's officers and the messages already left, read for the whole page:
    # every run of the day finds the same shifts, their messages mostly sent.
    officers: dict[int, list[int]] = {}
    for grant in await RoleGrant.select(RoleGrant.user, RoleGrant.community).where(
        (RoleGrant.role == "officer") & RoleGrant.community.is_in(sorted({s["community"] for s in alerted}))
    ).order_by(RoleGrant.user).run():
        officers.setdefault(grant["community"], []).append(grant["user"])
    wanted = [
        (s, officer, understaffed, f"shift-{'understaffed' if understaffed else 'no-experienced'}:{s['id']}:{officer}")
        for s in alerted
        for officer in dict.fromkeys(officers.get(s["community"], []))
        for understaffed in (True, False)
        if (s["id"] in short if understaffed else s["id"] in without)
    ]
    sent_before = await already_sent([key for *_rest, key in wanted])
    sent = 0
    for s, officer, understaffed, key in wanted:
        if key in sent_before:
            continue
        link = f"/shifts/manage/{s['community']}/shifts/{s['id']}"
        if understaffed:
            sent += await notify(
                officer, "shift.understaffed", N_("Understaffed: %(shift)s"), NN_("%(taken)s of at least %(needed)s person is signed up.", "%(taken)s of at least %(needed)s people are signed up.", "needed"),
                link=link, dedupe_key=key, shift=shift_label(s), taken=s["taken"], needed=needed[s["id"]],
            )
        else:
            sent += await notify(
                officer, "shift.no_experienced", N_("No experienced volunteer signed up: %(shift)s"), N_("The buddy rule of this shift needs at least one experienced volunteer."),
                link=link, dedupe_key=key, shift=shift_label(s),
            )
    return sent


async def _without_experienced(shift_ids: list[int], policy: Policy) -> set[int]:
    """Of these shifts, those where nobody holding a place is experienced."""
    if not shift_ids:
        return set()
    rows = await Signup.select(Signup.shift, Signup.user).where(Signup.shift.is_in(shift_ids) & Signup.status.is_in(["active", "offered"])).run()
    experienced = await experienced_among(sorted({r["user"] for r in rows}), policy)
    covered = {r["shift"] for r in rows if r["user"] in experienced}
    return set(shift_ids) - covered


# --- The personal calendar feed ----------------------------------------------------------


def _feed_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def reset_calendar_token(user_id: int) -> str:
    """A new secret feed token (the old URL stops working); returned once, stored hashed."""
    token = secrets.token_urlsafe(32)
    async with write_transaction():
        await CalendarToken.delete().where(CalendarToken.user == user_id).run()
        await CalendarToken.insert(CalendarToken(user=user_id, token_hash=_feed_hash(token), created_at=utcnow())).run()
        await record("calendar.token_reset", "user", user_id, actor=_UserRef(user_id))
    return token


async def has_calendar(user_id: int) -> bool:
    return await CalendarToken.exists().where(CalendarToken.user == user_id).run()


async def user_for_feed(token: str) -> int | None:
    if not token or len(token) > 100:
        return None
    digest = _feed_hash(token)
    row = await CalendarToken.select(CalendarToken.user, CalendarToken.token_hash).where(CalendarToken.token_hash == digest).first().run()
    # Looked up by its hash, and compared in constant time all the same.
    return row["user"] if row and hmac.compare_digest(row["token_hash"], digest) else None


async def calendar_feed(user_id: int, now: dt.datetime, site: str = "shouwang") -> bytes:
    from icalendar import Calendar, Event

    rows = await Signup.select(
        Signup.id, Signup.status, Signup.shift, Signup.shift.starts_at, Signup.shift.ends_at, Signup.shift.status, Signup.shift.cancel_reason, Signup.shift.kind.name, Signup.shift.kind.name_en, Signup.shift.kind.place, Signup.shift.kind.description,
    ).where((Signup.user == user_id) & Signup.status.is_in(["active", "offered", "standin"]) & (Signup.shift.ends_at > now - dt.timedelta(days=60))).order_by(Signup.shift.starts_at).limit(500).run()
    # A feed is read without a session: its shifts are named in the account's language.
    reader = await User.select(User.preferred_language).where(User.id == user_id).first().run()
    english = bool(reader) and reader["preferred_language"] == "en"
    calendar = Calendar()
    calendar.add("prodid", "-//Shouwang//shifts//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Shouwang shifts")
    for r in rows:
        event = Event()
        event.add("uid", f"shift-{r['shift']}-{user_id}@{site}")
        event.add("dtstamp", now)
        event.add("dtstart", _aware(r["shift.starts_at"]))
        event.add("dtend", _aware(r["shift.ends_at"]))
        event.add("summary", r["shift.kind.name_en"] if english and r["shift.kind.name_en"] else r["shift.kind.name"])
        if r["shift.kind.place"]:
            event.add("location", r["shift.kind.place"])
        cancelled = r["shift.status"] == "cancelled" or r["status"] == "standin"
        event.add("status", "CANCELLED" if cancelled else ("TENTATIVE" if r["status"] == "offered" else "CONFIRMED"))
        if r["shift.cancel_reason"]:
            event.add("description", r["shift.cancel_reason"])
        calendar.add_component(event)
    return calendar.to_ical()
