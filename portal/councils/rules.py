"""Rules of 进建商: the register of representatives, sessions with their attendance and
minutes, and resolutions decided one matter at a time (一事一议), each with an owner, a
due date and, where the matter is one, a ledger item.

Who: the officers of a station's communities and its head keep the station's register and
sessions (an officer records a session under one of their own communities); heads above a
station read; a resolution is done (or given another owner or due date) by its owner or
the station head. A representative's phone is for the station's officers and head only
(``Actor.sees_personal_data``).

Every change is one write transaction with its audit row (object types
``council_representative``, ``council_session``, ``council_resolution``); phones never go
into the audit, only whether there was one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from portal.accounts.rules import Actor, now
from portal.accounts.tables import RoleGrant, User
from portal.audit.rules import record
from portal.councils.tables import REPRESENTATIVE_KINDS, CouncilAttendance, CouncilRepresentative, CouncilResolution, CouncilSession
from portal.db import fetch, insert_row, is_unique_violation, write_transaction
from portal.ledger.tables import CLOSED_STAGES, LedgerItem
from portal.stations.tables import Community, Station
from portal.web.i18n import N_
from portal.web.i18n import gettext as _

NAME_MAX = 100
TEXT_MAX = 200
MATTER_MAX = 2000
MINUTES_MAX = 20000
OTHER_ATTENDEES_MAX = 10000
PHONE_PATTERN = re.compile(r"^\+?[0-9 -]{3,20}$")
# A session may be put in the calendar ahead, by up to a year.
AHEAD = dt.timedelta(days=366)
EARLIEST = dt.date(2000, 1, 1)
PAGE = 50

KIND_LABELS = {
    "npc_deputy": N_("Deputy to the people's congress"),
    "cppcc_member": N_("Member of the political consultative conference"),
    "think_tank": N_("Member of the station's think tank"),
    "resident": N_("Residents' representative"),
    "enterprise": N_("Enterprises' representative"),
    "other": N_("Other representative"),
}
assert set(KIND_LABELS) == set(REPRESENTATIVE_KINDS)
ACTION_LABELS = {
    "council.representative_added": N_("Added to the register"),
    "council.representative_retired": N_("Taken off the register"),
    "council.session_created": N_("Session recorded"),
    "council.session_changed": N_("Session changed"),
    "council.resolution_added": N_("Resolution decided"),
    "council.resolution_ledger": N_("Linked to a ledger item"),
    "council.resolution_done": N_("Resolution done"),
    "council.resolution_reminded": N_("Owner reminded on the due day"),
    "council.resolution_handed_over": N_("Handed over to a successor"),
    "council.resolution_changed": N_("Owner or due date changed"),
    "council.representative_changed": N_("Register entry changed"),
    "council.representative_reinstated": N_("Put back on the register"),
}
# A resolution filed into the ledger is done when its item closes settled: with the
# person's satisfaction, or without their answer after the feedback (as 联访解 counts an
# opinion solved). Closed as a duplicate or outside the remit, the matter is not settled:
# the resolution stays open for its owner to decide.
SETTLED_STAGES = ("closed", "closed_unconfirmed")


class CouncilError(Exception):
    """A rule refused the input; ``field`` names the form field the (translated) message
    belongs to."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def local_today(timezone: str | None, moment: dt.datetime | None = None) -> dt.date:
    return _aware(moment or now()).astimezone(ZoneInfo(timezone or "Asia/Shanghai")).date()


def _too_long(text: str, limit: int, field_name: str) -> None:
    if len(text) > limit:
        raise CouncilError(field_name, _("Use at most %(max)d characters.", max=limit))


# --- Who keeps and who reads a station's sessions -------------------------------------------


async def stations_of(actor: Actor, *roles: str) -> list[dict]:
    """The stations whose communities the actor reaches with ``roles`` (every station for
    an administrator), in the stations' order."""
    scope = actor.communities(*roles)
    query = Station.select(Station.id, Station.code, Station.name_zh, Station.name_en).where(Station.retired_at.is_null()).order_by(Station.code)
    if scope is not None:
        if not scope:
            return []
        ids = {r["station"] for r in await Community.select(Community.station).where(Community.id.is_in(sorted(scope))).run()}
        query = query.where(Station.id.is_in(sorted(ids) or [0]))
    return await query.limit(500).run()


async def kept_station_ids(actor: Actor) -> set[int]:
    """Stations whose register and sessions the actor keeps: an officer's or the head's
    own (never a head above a station, who reads)."""
    if actor.read_only:
        return set()
    return {s["id"] for s in await stations_of(actor, "officer")}


async def read_station_ids(actor: Actor) -> set[int]:
    return {s["id"] for s in await stations_of(actor, "officer", "head")}


async def station(station_id: int) -> dict | None:
    return await Station.select(Station.id, Station.code, Station.name_zh, Station.name_en).where(Station.id == station_id).first().run()


async def communities_of_station(station_id: int) -> list[dict]:
    return await Community.select(Community.id, Community.code, Community.name_zh, Community.name_en, Community.timezone).where(
        (Community.station == station_id) & Community.retired_at.is_null()
    ).order_by(Community.code).limit(200).run()


async def sees_phones(actor: Actor, station_id: int) -> bool:
    """Representatives' phones: the station's officers and head, admins (not heads above)."""
    return any(actor.sees_personal_data(c["id"]) for c in await communities_of_station(station_id))


async def owners_of(station_id: int) -> list[dict]:
    """Who can own a resolution: the active officers of the station's communities and its heads."""
    community_ids = [c["id"] for c in await Community.select(Community.id).where(Community.station == station_id).run()]
    rows = await RoleGrant.select(RoleGrant.user, RoleGrant.user.real_name).where(
        (RoleGrant.user.active == True)  # noqa: E712 - SQL
        & (((RoleGrant.role == "officer") & RoleGrant.community.is_in(community_ids or [0])) | ((RoleGrant.role == "head") & (RoleGrant.station == station_id)))
    ).run()
    seen: dict[int, str] = {}
    for row in rows:
        seen.setdefault(row["user"], row["user.real_name"])
    return [{"id": k, "real_name": v} for k, v in sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))]


# --- The register of representatives ---------------------------------------------------------


@dataclass
class RepresentativeData:
    name: str
    kind: str
    affiliation: str = ""
    phone: str = ""
    appointed_on: dt.date | None = None

    def checked(self) -> dict:
        name, affiliation, phone = self.name.strip(), self.affiliation.strip(), self.phone.strip()
        if not name:
            raise CouncilError("name", _("Give the representative's name."))
        _too_long(name, NAME_MAX, "name")
        if self.kind not in REPRESENTATIVE_KINDS:
            raise CouncilError("kind", _("Choose a kind of representative from the list."))
        _too_long(affiliation, TEXT_MAX, "affiliation")
        if phone and not PHONE_PATTERN.match(phone):
            raise CouncilError("phone", _("Enter a phone number of digits, spaces or dashes."))
        if self.appointed_on and not EARLIEST <= self.appointed_on <= dt.date(2100, 12, 31):
            raise CouncilError("appointed_on", _("Choose a day between 2000 and 2100."))
        return {"name": name, "kind": self.kind, "affiliation": affiliation, "phone": phone, "appointed_on": self.appointed_on}


async def representatives_of(station_id: int, with_retired: bool = False) -> list[dict]:
    query = CouncilRepresentative.select(*CouncilRepresentative.all_columns()).where(CouncilRepresentative.station == station_id)
    if not with_retired:
        query = query.where(CouncilRepresentative.retired_at.is_null())
    rows = await query.order_by(CouncilRepresentative.id).limit(500).run()
    attended = await _attendance_counts([r["id"] for r in rows])
    for row in rows:
        row["sessions"], row["attended"] = attended.get(row["id"], (0, 0))
    return rows


async def _attendance_counts(ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per representative: the sessions they were invited to and those they came to."""
    if not ids:
        return {}
    rows = await CouncilAttendance.select(CouncilAttendance.representative, CouncilAttendance.attended).where(CouncilAttendance.representative.is_in(ids)).run()
    out: dict[int, list[int]] = {}
    for row in rows:
        counts = out.setdefault(row["representative"], [0, 0])
        counts[0] += 1
        counts[1] += 1 if row["attended"] else 0
    return {k: (v[0], v[1]) for k, v in out.items()}


def without_phone(row: dict) -> dict:
    return {**row, "phone": ""}


async def add_representative(actor: Actor, station_id: int, data: RepresentativeData, idempotency_key: str) -> int:
    """Add someone to the station's register; the same key again returns them."""
    if station_id not in await kept_station_ids(actor):
        raise CouncilError("name", _("You do not keep this station's register."))
    columns = data.checked()
    try:
        async with write_transaction():
            moment = now()
            rows = await insert_row(
                CouncilRepresentative,
                {**columns, "station": station_id, "created_by": actor.id, "created_at": moment, "idempotency_key": idempotency_key},
                on_conflict_do_nothing="idempotency_key",
            )
            if not rows:
                raise _Again()
            audited = {k: v for k, v in columns.items() if k != "phone"} | {"station": station_id, "phone": bool(columns["phone"])}
            await record("council.representative_added", "council_representative", rows[0]["id"], actor=actor, after=audited)
            return rows[0]["id"]
    except BaseException as error:
        if isinstance(error, _Again) or is_unique_violation(error):
            again = await CouncilRepresentative.select(CouncilRepresentative.id).where(CouncilRepresentative.idempotency_key == idempotency_key).first().run()
            if again:
                return again["id"]
        raise


async def retire_representative(actor: Actor, representative_id: int) -> int | None:
    """Take someone off the register (kept for the sessions they attended); returns the
    station, or None when the actor does not keep it. Retiring twice changes nothing."""
    async with write_transaction():
        row = await CouncilRepresentative.select(CouncilRepresentative.station, CouncilRepresentative.retired_at).where(CouncilRepresentative.id == representative_id).first().run()
        if not row or row["station"] not in await kept_station_ids(actor):
            return None
        if row["retired_at"] is None:
            moment = now()
            await CouncilRepresentative.update({CouncilRepresentative.retired_at: moment}).where(CouncilRepresentative.id == representative_id).run()
            await record("council.representative_retired", "council_representative", representative_id, actor=actor, before={"retired_at": None}, after={"retired_at": moment})
    return row["station"]


async def update_representative(actor: Actor, representative_id: int, data: RepresentativeData, expected_version: int | None) -> int:
    """Correct an entry of the register (name, kind, post, phone, day appointed); returns
    the station. A stale page changes nothing. The audit keeps before and after, the phone
    only as whether there was one and whether it changed."""
    columns = data.checked()
    async with write_transaction():
        row = await CouncilRepresentative.select(*CouncilRepresentative.all_columns()).where(CouncilRepresentative.id == representative_id).first().run()
        if not row or row["station"] not in await kept_station_ids(actor):
            raise CouncilError("name", _("You do not keep this station's register."))
        if expected_version is not None and row["version"] != expected_version:
            raise CouncilError("name", _("Someone else changed this entry meanwhile; nothing was changed. Look at it again and repeat your change."))
        changed = {k: v for k, v in columns.items() if row[k] != v}
        if changed:
            await CouncilRepresentative.update(
                {**{getattr(CouncilRepresentative, k): v for k, v in changed.items()}, CouncilRepresentative.version: row["version"] + 1}
            ).where(CouncilRepresentative.id == representative_id).run()

            def shown(values: dict) -> dict:
                return {k: (bool(values[k]) if k == "phone" else values[k]) for k in changed}

            await record(
                "council.representative_changed", "council_representative", representative_id, actor=actor,
                before=shown(row) | {"version": row["version"]}, after=shown(columns) | {"phone_changed": "phone" in changed, "version": row["version"] + 1},
            )
    return row["station"]


async def reinstate_representative(actor: Actor, representative_id: int) -> int | None:
    """Put someone taken off the register back on it; returns the station, or None when the
    actor does not keep it. Twice changes nothing."""
    async with write_transaction():
        row = await CouncilRepresentative.select(CouncilRepresentative.station, CouncilRepresentative.retired_at, CouncilRepresentative.version).where(
            CouncilRepresentative.id == representative_id
        ).first().run()
        if not row or row["station"] not in await kept_station_ids(actor):
            return None
        if row["retired_at"] is not None:
            await CouncilRepresentative.update({CouncilRepresentative.retired_at: None, CouncilRepresentative.version: row["version"] + 1}).where(CouncilRepresentative.id == representative_id).run()
            await record("council.representative_reinstated", "council_representative", representative_id, actor=actor, before={"retired_at": row["retired_at"]}, after={"retired_at": None})
    return row["station"]


async def representative(representative_id: int) -> dict | None:
    return await CouncilRepresentative.select(*CouncilRepresentative.all_columns()).where(CouncilRepresentative.id == representative_id).first().run()


class _Again(Exception):
    """The idempotency key was used before: the first record stands."""


# --- Sessions ------------------------------------------------------------------------------


@dataclass
class SessionData:
    community_id: int | None
    held_on: dt.date | None
    topic: str
    place: str = ""
    invited: tuple[int, ...] = ()
    attended: tuple[int, ...] = ()
    other_attendees: int = 0
    minutes: str = ""


async def _checked_session(actor: Actor, station_id: int, data: SessionData, known: set[int], current_community: int | None = None) -> tuple[dict, set[int], set[int]]:
    """The session's columns and the representatives invited and attending, or the first
    refusal. ``known``: representatives the session may name (the active register plus
    those already on the session); ``current_community``: the one a session being
    changed is recorded under, which any of the station's officers may keep."""
    communities = {c["id"]: c for c in await communities_of_station(station_id)}
    if data.community_id not in communities or not (actor.reaches(data.community_id, "officer") or data.community_id == current_community):
        raise CouncilError("community", _("Choose one of your communities of this station."))
    zone = communities[data.community_id]["timezone"]
    if data.held_on is None:
        raise CouncilError("held_on", _("Give the date as 2026-12-08."))
    today = local_today(zone)
    if not EARLIEST <= data.held_on <= today + AHEAD:
        raise CouncilError("held_on", _("Choose a day from 2000 up to a year ahead."))
    topic, place, minutes = data.topic.strip(), data.place.strip(), data.minutes.strip()
    if not topic:
        raise CouncilError("topic", _("Say what the session is about."))
    _too_long(topic, TEXT_MAX, "topic")
    _too_long(place, TEXT_MAX, "place")
    _too_long(minutes, MINUTES_MAX, "minutes")
    if not 0 <= data.other_attendees <= OTHER_ATTENDEES_MAX:
        raise CouncilError("other_attendees", _("Give a number from 0 to %(max)d.", max=OTHER_ATTENDEES_MAX))
    invited, attended = set(data.invited), set(data.attended)
    if not invited | attended <= known:
        raise CouncilError("invited", _("Choose representatives from the station's register."))
    if data.held_on > today and (attended or data.other_attendees):
        raise CouncilError("attended", _("Attendance is recorded on or after the day of the session."))
    columns = {"community": data.community_id, "held_on": data.held_on, "topic": topic, "place": place, "minutes": minutes, "other_attendees": data.other_attendees}
    return columns, invited | attended, attended


async def _active_ids(station_id: int) -> set[int]:
    rows = await CouncilRepresentative.select(CouncilRepresentative.id).where((CouncilRepresentative.station == station_id) & CouncilRepresentative.retired_at.is_null()).run()
    return {r["id"] for r in rows}


async def create_session(actor: Actor, station_id: int, data: SessionData, idempotency_key: str) -> int:
    """Record a session of the station with who was invited and who came; the same key
    again returns the first session."""
    if station_id not in await kept_station_ids(actor):
        raise CouncilError("community", _("You do not keep this station's sessions."))
    columns, invited, attended = await _checked_session(actor, station_id, data, await _active_ids(station_id))
    try:
        async with write_transaction():
            moment = now()
            rows = await insert_row(
                CouncilSession,
                {**columns, "station": station_id, "created_by": actor.id, "created_at": moment, "updated_at": moment, "version": 1, "idempotency_key": idempotency_key},
                on_conflict_do_nothing="idempotency_key",
            )
            if not rows:
                raise _Again()
            session_id = rows[0]["id"]
            if invited:
                await CouncilAttendance.insert(*[CouncilAttendance(session=session_id, representative=r, attended=r in attended) for r in sorted(invited)]).run()
            after = columns | {"station": station_id, "invited": sorted(invited), "attended": sorted(attended)}
            after.pop("minutes")
            after["minutes_length"] = len(columns["minutes"])
            await record("council.session_created", "council_session", session_id, actor=actor, after=after)
            return session_id
    except BaseException as error:
        if isinstance(error, _Again) or is_unique_violation(error):
            again = await CouncilSession.select(CouncilSession.id).where(CouncilSession.idempotency_key == idempotency_key).first().run()
            if again:
                return again["id"]
        raise


async def _attendance(session_id: int) -> list[dict]:
    return await CouncilAttendance.select(
        CouncilAttendance.representative, CouncilAttendance.attended, CouncilAttendance.representative.name, CouncilAttendance.representative.kind,
        CouncilAttendance.representative.affiliation, CouncilAttendance.representative.retired_at,
    ).where(CouncilAttendance.session == session_id).order_by(CouncilAttendance.representative).limit(500).run()


async def update_session(actor: Actor, session_id: int, data: SessionData, expected_version: int | None) -> None:
    """Change a session (after it was held: who came, the minutes). A page that went stale
    (someone else changed it meanwhile) is refused and nothing changes."""
    async with write_transaction():
        before = await CouncilSession.select(*CouncilSession.all_columns()).where(CouncilSession.id == session_id).first().run()
        if not before or before["station"] not in await kept_station_ids(actor):
            raise CouncilError("topic", _("No such session."))
        if expected_version is not None and before["version"] != expected_version:
            raise CouncilError("topic", _("Someone else changed this session meanwhile; nothing was changed. Look at it again and repeat your change."))
        old = {r["representative"]: bool(r["attended"]) for r in await _attendance(session_id)}
        columns, invited, attended = await _checked_session(actor, before["station"], data, await _active_ids(before["station"]) | set(old), before["community"])
        await CouncilSession.update(
            {**{getattr(CouncilSession, k): v for k, v in columns.items()}, CouncilSession.updated_at: now(), CouncilSession.version: before["version"] + 1}
        ).where(CouncilSession.id == session_id).run()
        gone = set(old) - invited
        if gone:
            await CouncilAttendance.delete().where((CouncilAttendance.session == session_id) & CouncilAttendance.representative.is_in(sorted(gone))).run()
        for representative in sorted(invited):
            if representative not in old:
                await CouncilAttendance.insert(CouncilAttendance(session=session_id, representative=representative, attended=representative in attended)).run()
            elif old[representative] != (representative in attended):
                await CouncilAttendance.update({CouncilAttendance.attended: representative in attended}).where(
                    (CouncilAttendance.session == session_id) & (CouncilAttendance.representative == representative)
                ).run()

        def shown(values: dict, invited_ids, attended_ids) -> dict:
            out = {k: values[k] for k in columns if k != "minutes"} | {"invited": sorted(invited_ids), "attended": sorted(attended_ids)}
            return out | {"minutes_length": len(values["minutes"])}

        await record(
            "council.session_changed", "council_session", session_id, actor=actor,
            before=shown(before, old, [r for r, came in old.items() if came]), after=shown(columns, invited, attended),
        )


SESSION_COLUMNS = (
    CouncilSession.id, CouncilSession.station, CouncilSession.community, CouncilSession.held_on, CouncilSession.topic, CouncilSession.place,
    CouncilSession.minutes, CouncilSession.other_attendees, CouncilSession.version, CouncilSession.created_at, CouncilSession.updated_at,
    CouncilSession.created_by.real_name, CouncilSession.station.name_zh, CouncilSession.station.name_en,
    CouncilSession.community.name_zh, CouncilSession.community.name_en, CouncilSession.community.timezone,
)


async def readable_session(actor: Actor, session_id: int) -> dict | None:
    """The session if the actor reads its station, with its attendance and resolutions."""
    session = await CouncilSession.select(*SESSION_COLUMNS).where(CouncilSession.id == session_id).first().run()
    if not session or session["station"] not in await read_station_ids(actor):
        return None
    session["attendance"] = await _attendance(session_id)
    session["resolutions"] = await resolutions_of(session_id)
    session["kept"] = session["station"] in await kept_station_ids(actor)
    return session


@dataclass(frozen=True)
class SessionPage:
    rows: list[dict]
    next_after: str | None


def _cursor(text: str | None) -> tuple[dt.date, int] | None:
    day, _sep, row_id = (text or "").partition(".")
    try:
        return dt.date.fromisoformat(day), int(row_id)
    except ValueError:
        return None


async def session_page(actor: Actor, station_id: int | None, after: str | None) -> SessionPage:
    """Sessions of the stations the actor reads (or of one of them), latest first, a page
    at a time, each with its counts."""
    stations = await read_station_ids(actor)
    if station_id is not None:
        stations &= {station_id}
    query = CouncilSession.select(*SESSION_COLUMNS).where(CouncilSession.station.is_in(sorted(stations) or [0]))
    position = _cursor(after)
    if position:
        day, last = position
        query = query.where((CouncilSession.held_on < day) | ((CouncilSession.held_on == day) & (CouncilSession.id < last)))
    rows = await query.order_by(CouncilSession.held_on, ascending=False).order_by(CouncilSession.id, ascending=False).limit(PAGE + 1).run()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    counts = await session_counts([r["id"] for r in rows])
    for row in rows:
        row.update(counts.get(row["id"], {}))
    next_after = f"{rows[-1]['held_on'].isoformat()}.{rows[-1]['id']}" if more and rows else None
    return SessionPage(rows, next_after)


async def session_counts(session_ids: list[int]) -> dict[int, dict]:
    """Per session: representatives invited and attending, resolutions decided and done."""
    out = {i: {"invited": 0, "attended": 0, "resolutions": 0, "done": 0} for i in session_ids}
    if not session_ids:
        return out
    for row in await CouncilAttendance.select(CouncilAttendance.session, CouncilAttendance.attended).where(CouncilAttendance.session.is_in(session_ids)).run():
        out[row["session"]]["invited"] += 1
        out[row["session"]]["attended"] += 1 if row["attended"] else 0
    for row in await CouncilResolution.select(CouncilResolution.session, CouncilResolution.status).where(CouncilResolution.session.is_in(session_ids)).run():
        out[row["session"]]["resolutions"] += 1
        out[row["session"]]["done"] += 1 if row["status"] == "done" else 0
    return out


# --- Resolutions (一事一议) ------------------------------------------------------------------

LEDGER_CHOICES = ("none", "file", "link")


@dataclass
class ResolutionData:
    matter: str
    decision: str
    owner_id: int | None
    due_on: dt.date | None
    ledger_choice: str = "none"  # "file": a new item of the ledger and category; "link": an item of the station by number
    ledger: str = ""
    category: str = "other"
    item_number: str = ""


@dataclass
class Filed:
    item_id: int | None = None
    number: str = ""
    extra: dict = field(default_factory=dict)


async def resolutions_of(session_id: int) -> list[dict]:
    return await CouncilResolution.select(
        *CouncilResolution.all_columns(), CouncilResolution.owner.real_name, CouncilResolution.ledger_item.number, CouncilResolution.ledger_item.stage,
    ).where(CouncilResolution.session == session_id).order_by(CouncilResolution.seq).limit(500).run()


async def _kept_session(actor: Actor, session_id: int) -> dict:
    session = await CouncilSession.select(*SESSION_COLUMNS).where(CouncilSession.id == session_id).first().run()
    if not session or session["station"] not in await kept_station_ids(actor):
        raise CouncilError("matter", _("No such session."))
    return session


async def _to_ledger(actor: Actor, session: dict, resolution_id: int, data: ResolutionData) -> Filed:
    """The ledger step of a resolution, inside the caller's transaction: a new item filed
    through the ledger's own rule (source "council", the owner accountable where they may
    hold it), or an item of the same station found by its number."""
    from portal.ledger.rules import LedgerError, NewItem, file_item, officers_of, transition

    if data.ledger_choice == "link":
        number = data.item_number.strip().upper()
        if not number:
            raise CouncilError("item_number", _("Give the ledger item's number, e.g. CZ-2026-000123."))
        item = await LedgerItem.select(LedgerItem.id, LedgerItem.number, LedgerItem.community).where(
            (LedgerItem.number == number[:32]) & (LedgerItem.station == session["station"])
        ).first().run()
        if not item or not actor.reaches(item["community"], "officer"):
            raise CouncilError("item_number", _("No ledger item of this station has that number."))
        return Filed(item["id"], item["number"])
    if data.ledger_choice != "file":
        return Filed()
    try:
        item = await file_item(
            actor,
            NewItem(
                ledger=data.ledger, category=data.category or "other", community_id=session["community"], summary=data.matter.strip(),
                details=data.decision.strip(), source="council", idempotency_key=f"council-resolution-{resolution_id}",
            ),
        )
        if data.owner_id in {o["id"] for o in await officers_of(session["community"])}:
            await transition(item["id"], "assigned", actor, officer_id=data.owner_id)
    except LedgerError as error:
        raise CouncilError(error.field if error.field in ("ledger", "category") else "ledger", _(error.message, **error.params)) from error
    return Filed(item["id"], item["number"])


def _check_ledger_choice(data: ResolutionData) -> None:
    from portal.ledger.rules import CATEGORIES

    if data.ledger_choice not in LEDGER_CHOICES:
        raise CouncilError("ledger_choice", _("Choose what to do in the ledger."))
    if data.ledger_choice == "file":
        if data.ledger not in CATEGORIES:
            raise CouncilError("ledger", _("Choose one of the three ledgers."))
        if (data.category or "other") not in CATEGORIES[data.ledger]:
            raise CouncilError("category", _("Choose a category of this ledger."))


async def add_resolution(actor: Actor, session_id: int, data: ResolutionData, idempotency_key: str) -> int:
    """Decide one matter of a session: numbered within the session, with its owner and due
    date, and its ledger item (filed now or linked) in the same transaction. The same key
    again returns the first resolution and files nothing more."""
    session = await _kept_session(actor, session_id)
    matter, decision = data.matter.strip(), data.decision.strip()
    if not matter:
        raise CouncilError("matter", _("Say what the matter is."))
    _too_long(matter, MATTER_MAX, "matter")
    _too_long(decision, MATTER_MAX, "decision")
    if data.owner_id not in {o["id"] for o in await owners_of(session["station"])}:
        raise CouncilError("owner", _("Choose an officer of this station."))
    if data.due_on is None:
        raise CouncilError("due_on", _("Give the date as 2026-12-08."))
    if not session["held_on"] <= data.due_on <= dt.date(2100, 12, 31):
        raise CouncilError("due_on", _("The due date is on or after the day of the session."))
    _check_ledger_choice(data)
    try:
        async with write_transaction():
            moment = now()
            # Holds the session's row until the commit, so two matters decided at once take
            # numbers one after the other (SQLite's BEGIN IMMEDIATE already does).
            await fetch("UPDATE council_session SET version = version WHERE id = {}", session_id)
            seq_rows = await CouncilResolution.select(CouncilResolution.seq).where(CouncilResolution.session == session_id).order_by(CouncilResolution.seq, ascending=False).first().run()
            columns = {"session": session_id, "seq": (seq_rows["seq"] + 1) if seq_rows else 1, "matter": matter, "decision": decision, "owner": data.owner_id, "due_on": data.due_on, "status": "open"}
            rows = await insert_row(
                CouncilResolution,
                {**columns, "created_by": actor.id, "created_at": moment, "updated_at": moment, "version": 1, "idempotency_key": idempotency_key},
                on_conflict_do_nothing="idempotency_key",
            )
            if not rows:
                raise _Again()
            resolution_id = rows[0]["id"]
            filed = await _to_ledger(actor, session, resolution_id, data)
            if filed.item_id:
                await CouncilResolution.update({CouncilResolution.ledger_item: filed.item_id}).where(CouncilResolution.id == resolution_id).run()
            await record("council.resolution_added", "council_resolution", resolution_id, actor=actor, after=columns | {"ledger_item": filed.item_id, "number": filed.number, "ledger_step": data.ledger_choice})
            return resolution_id
    except BaseException as error:
        if isinstance(error, _Again) or is_unique_violation(error):
            again = await CouncilResolution.select(CouncilResolution.id).where(CouncilResolution.idempotency_key == idempotency_key).first().run()
            if again:
                return again["id"]
        raise


async def _resolution(resolution_id: int) -> dict | None:
    return await CouncilResolution.select(
        *CouncilResolution.all_columns(), CouncilResolution.session.station, CouncilResolution.session.community, CouncilResolution.session.held_on,
        CouncilResolution.ledger_item.stage, CouncilResolution.session.community.timezone,
    ).where(CouncilResolution.id == resolution_id).first().run()


async def readable_resolution(actor: Actor, resolution_id: int) -> dict | None:
    row = await _resolution(resolution_id)
    if not row or row["session.station"] not in await read_station_ids(actor):
        return None
    return row


async def link_ledger(actor: Actor, resolution_id: int, data: ResolutionData) -> dict:
    """Give a resolution without a ledger item its item: filed now or found by number."""
    _check_ledger_choice(data)
    if data.ledger_choice == "none":
        raise CouncilError("ledger_choice", _("Choose what to do in the ledger."))
    async with write_transaction():
        row = await _resolution(resolution_id)
        if not row or row["session.station"] not in await kept_station_ids(actor):
            raise CouncilError("ledger_choice", _("No such resolution."))
        if row["ledger_item"]:
            raise CouncilError("ledger_choice", _("This resolution already has its ledger item."))
        session = await _kept_session(actor, row["session"])
        data.matter, data.decision, data.owner_id = row["matter"], row["decision"], row["owner"]
        filed = await _to_ledger(actor, session, resolution_id, data)
        await CouncilResolution.update({CouncilResolution.ledger_item: filed.item_id, CouncilResolution.updated_at: now(), CouncilResolution.version: row["version"] + 1}).where(CouncilResolution.id == resolution_id).run()
        await record("council.resolution_ledger", "council_resolution", resolution_id, actor=actor, before={"ledger_item": None}, after={"ledger_item": filed.item_id, "number": filed.number, "ledger_step": data.ledger_choice})
    return row


async def mark_done(actor: Actor, resolution_id: int, done_on: dt.date | None, note: str, expected_version: int | None = None) -> dict:
    """Record a resolution as done (what was done, and when): its owner or the station
    head. A resolution whose ledger item is still open is done when the ledger closes it."""
    note = note.strip()
    async with write_transaction():
        row = await _resolution(resolution_id)
        if not row or row["session.station"] not in await kept_station_ids(actor):
            raise CouncilError("note", _("No such resolution."))
        if row["owner"] != actor.id and not actor.has("head", "admin"):
            raise CouncilError("note", _("Only the resolution's owner or the station head records it as done."))
        if expected_version is not None and row["version"] != expected_version:
            raise CouncilError("note", _("Someone else changed this resolution meanwhile; nothing was changed. Look at it again and repeat your change."))
        if row["status"] == "done":
            raise CouncilError("note", _("This resolution is already done."))
        if row["ledger_item"] and row["ledger_item.stage"] not in CLOSED_STAGES:
            raise CouncilError("note", _("Its ledger item is still open: close the item in the ledger first."))
        if not note:
            raise CouncilError("note", _("Write what was done."))
        _too_long(note, MATTER_MAX, "note")
        today = local_today(row["session.community.timezone"])
        if done_on is None:
            raise CouncilError("done_on", _("Give the date as 2026-12-08."))
        if not row["session.held_on"] <= done_on <= today:
            raise CouncilError("done_on", _("Choose a day from the session up to today."))
        await CouncilResolution.update({
            CouncilResolution.status: "done", CouncilResolution.done_on: done_on, CouncilResolution.done_note: note, CouncilResolution.done_via: "owner",
            CouncilResolution.updated_at: now(), CouncilResolution.version: row["version"] + 1,
        }).where(CouncilResolution.id == resolution_id).run()
        await record("council.resolution_done", "council_resolution", resolution_id, actor=actor, before={"status": "open"}, after={"status": "done", "done_on": done_on, "done_note": note})
    return row


async def change_resolution(actor: Actor, resolution_id: int, owner_id: int | None, due_on: dt.date | None, expected_version: int | None = None) -> dict:
    """Give an open resolution another owner or due date (its owner or the station head):
    the new owner is told; a stale page changes nothing. Its ledger item, if any, keeps its
    own accountable officer (the ledger reassigns it). A new due date is reminded on its
    day in turn."""
    async with write_transaction():
        row = await _resolution(resolution_id)
        if not row or row["session.station"] not in await kept_station_ids(actor):
            raise CouncilError("owner", _("No such resolution."))
        if row["owner"] != actor.id and not actor.has("head", "admin"):
            raise CouncilError("owner", _("Only the resolution's owner or the station head changes it."))
        if expected_version is not None and row["version"] != expected_version:
            raise CouncilError("owner", _("Someone else changed this resolution meanwhile; nothing was changed. Look at it again and repeat your change."))
        if row["status"] == "done":
            raise CouncilError("owner", _("This resolution is already done."))
        if owner_id not in {o["id"] for o in await owners_of(row["session.station"])}:
            raise CouncilError("owner", _("Choose an officer of this station."))
        if due_on is None:
            raise CouncilError("due_on", _("Give the date as 2026-12-08."))
        if not row["session.held_on"] <= due_on <= dt.date(2100, 12, 31):
            raise CouncilError("due_on", _("The due date is on or after the day of the session."))
        changed = {k: v for k, v in (("owner", owner_id), ("due_on", due_on)) if row[k] != v}
        if not changed:
            return row
        await CouncilResolution.update({
            **{getattr(CouncilResolution, k): v for k, v in changed.items()}, CouncilResolution.updated_at: now(), CouncilResolution.version: row["version"] + 1,
        }).where(CouncilResolution.id == resolution_id).run()
        await record(
            "council.resolution_changed", "council_resolution", resolution_id, actor=actor,
            before={k: row[k] for k in changed} | {"version": row["version"]}, after=changed | {"version": row["version"] + 1},
        )
        if "owner" in changed and owner_id != actor.id:
            from portal.notifications.rules import When, notify

            topic = await CouncilSession.select(CouncilSession.topic).where(CouncilSession.id == row["session"]).first().run()
            await notify(
                owner_id, "council.owner", N_("Resolution yours: %(topic)s, matter %(number)s"),
                N_("You are now accountable for matter %(number)s decided at the session \"%(topic)s\", to be done by %(day)s."),
                f"/councils/{row['session']}#resolution-{resolution_id}", topic=topic["topic"], number=row["seq"], day=When(due_on, purpose="day"),
            )
    return row


async def open_resolutions_of(user_id: int, limit: int = 20) -> list[dict]:
    """A user's open resolutions, soonest due first (their list of what they owe)."""
    return await CouncilResolution.select(
        CouncilResolution.id, CouncilResolution.session, CouncilResolution.seq, CouncilResolution.matter, CouncilResolution.due_on, CouncilResolution.session.topic,
    ).where((CouncilResolution.owner == user_id) & (CouncilResolution.status == "open")).order_by(CouncilResolution.due_on).limit(limit).run()


# --- Resolutions falling due and overdue ------------------------------------------------------


async def overdue_resolutions(actor: Actor, moment: dt.datetime | None = None, limit: int = 500) -> list[dict]:
    """Open resolutions of the stations the actor reads whose due day has passed in the
    session's community, the longest overdue first, with their owner and session."""
    moment = _aware(moment or now())
    stations = await read_station_ids(actor)
    # The zones ahead of UTC are on the next day: the exact test is per row below.
    latest = (moment + dt.timedelta(days=1)).date()
    rows = await CouncilResolution.select(
        CouncilResolution.id, CouncilResolution.session, CouncilResolution.seq, CouncilResolution.matter, CouncilResolution.due_on, CouncilResolution.owner,
        CouncilResolution.owner.real_name, CouncilResolution.ledger_item, CouncilResolution.ledger_item.number, CouncilResolution.session.topic,
        CouncilResolution.session.held_on, CouncilResolution.session.station, CouncilResolution.session.community,
        CouncilResolution.session.community.name_zh, CouncilResolution.session.community.name_en, CouncilResolution.session.community.timezone,
    ).where(
        (CouncilResolution.status == "open") & (CouncilResolution.due_on < latest) & CouncilResolution.session.station.is_in(sorted(stations) or [0])
    ).order_by(CouncilResolution.due_on).order_by(CouncilResolution.id).limit(limit).run()
    out = []
    for row in rows:
        today = local_today(row["session.community.timezone"], moment)
        if row["due_on"] < today:
            row["days_late"] = (today - row["due_on"]).days
            out.append(row)
    return out


async def done_by_ledger(item_id: int, stage: str, actor: Actor | None, at: dt.datetime) -> int:
    """Inside the ledger's transition (its transaction): the open resolutions linked to an
    item that closed settled are done on the day it closed, in the session's community;
    the note stays empty (the page says it was done in the ledger, with the item's
    number). Returns how many."""
    if stage not in SETTLED_STAGES:
        return 0
    rows = await CouncilResolution.select(CouncilResolution.id, CouncilResolution.version, CouncilResolution.session.community.timezone, CouncilResolution.session.held_on).where(
        (CouncilResolution.ledger_item == item_id) & (CouncilResolution.status == "open")
    ).run()
    for row in rows:
        day = max(local_today(row["session.community.timezone"], at), row["session.held_on"])
        await CouncilResolution.update({
            CouncilResolution.status: "done", CouncilResolution.done_on: day, CouncilResolution.done_via: "ledger",
            CouncilResolution.updated_at: at, CouncilResolution.version: row["version"] + 1,
        }).where((CouncilResolution.id == row["id"]) & (CouncilResolution.status == "open")).run()
        await record(
            "council.resolution_done", "council_resolution", row["id"], actor=actor,
            before={"status": "open"}, after={"status": "done", "done_on": day, "via": "ledger", "ledger_item": item_id, "stage": stage},
        )
    return len(rows)
