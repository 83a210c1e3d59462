"""Reception room rules: the registry (create, edit, hours), verification, suspension and
retirement, and the queries behind the registry, the public page, the open-now lists and
"on duty now".

Who may do what: officers whose reach includes the room's community (a station head
reaches every community of the station) create, edit, verify, suspend, reinstate and
retire rooms; district and city heads read (their reach is empty on unsafe requests).
Every change is one write transaction with its audit row (before/after). Hours use the
watch points' format and rules (``portal.watchpoints.hours``). Who is on duty comes from
the shifts of the shift kinds that belong to the room (``ShiftKind.room``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import write_transaction
from portal.reception.tables import AMENITIES, ROOM_KINDS, SERVICES, Room
from portal.shifts.tables import HOLDS_PLACE, Shift, ShiftKind, Signup
from portal.watchpoints import hours as H
from portal.watchpoints.rules import check_position, distance_km
from portal.web.i18n import gettext as _

LANGUAGES = ("zh", "en", "ja", "ko", "ru", "fr", "de", "es", "ar")
MAX_CLOSED_DATES = 60
LIST_PAGE_SIZE = 50
ROOM_COLUMNS = (
    Room.id, Room.community, Room.kind, Room.slug, Room.name_zh, Room.name_en, Room.address, Room.latitude, Room.longitude,
    Room.hours, Room.holidays, Room.services, Room.amenities, Room.languages, Room.phone, Room.status, Room.verified_at,
    Room.verified_by, Room.created_at, Room.updated_at, Room.retired_at,
)
EDITABLE = ("community", "kind", "name_zh", "name_en", "address", "latitude", "longitude", "phone", "services", "amenities", "languages", "hours", "holidays")


class RoomError(ValueError):
    """A rule refused the change; ``field`` names the form field it belongs to."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


def _all_day_week() -> H.Week:
    return tuple(H.Day(H.ALL_DAY) for _ in range(7))


@dataclass
class RoomData:
    community_id: int
    kind: str
    name_zh: str
    address: str
    name_en: str = ""
    latitude: float | None = None
    longitude: float | None = None
    phone: str = ""
    services: list[str] = field(default_factory=list)
    amenities: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["zh"])
    week: H.Week = field(default_factory=_all_day_week)
    closed_dates: list[dt.date] = field(default_factory=list)

    def columns(self) -> dict:
        return {
            "community": self.community_id,
            "kind": self.kind,
            "name_zh": self.name_zh.strip(),
            "name_en": self.name_en.strip(),
            "address": self.address.strip(),
            "latitude": self.latitude,
            "longitude": self.longitude,
            "phone": self.phone.strip(),
            "services": ",".join(s for s in SERVICES if s in self.services),
            "amenities": ",".join(a for a in AMENITIES if a in self.amenities),
            "languages": ",".join(code for code in LANGUAGES if code in self.languages),
            "hours": H.week_to_text(self.week),
            "holidays": dates_text(self.closed_dates),
        }


def dates_text(dates) -> str:
    return json.dumps(sorted({d.isoformat() for d in dates}))


def new_slug() -> str:
    """The permanent key of a room's public page: short enough to type from a sign."""
    return secrets.token_urlsafe(9)


def split(text: str) -> list[str]:
    return [part for part in (text or "").split(",") if part]


# --- Checks --------------------------------------------------------------------------


def check_hours(week: H.Week, closed_dates) -> None:
    for index, day in enumerate(week):
        issue = H.problem(day)
        if issue == "closes_before_opening":
            raise RoomError(f"closes_{index}", _("Closing must be after opening, unless you tick \"closes after midnight\"."))
        if issue == "overnight_but_closes_later":
            raise RoomError(f"closes_{index}", _("With \"closes after midnight\", the closing time is on the next morning and must be at or before the opening time."))
        if issue == "missing":
            raise RoomError(f"opens_{index}", _("Give an opening and a closing time, or choose closed or 24 hours."))
    if len(set(closed_dates)) > MAX_CLOSED_DATES:
        raise RoomError("closed_dates", _("List at most %(count)d closed dates.", count=MAX_CLOSED_DATES))


def check_data(data: RoomData) -> None:
    if data.kind not in ROOM_KINDS:
        raise RoomError("kind", _("Choose a kind from the list."))
    if not data.name_zh.strip():
        raise RoomError("name_zh", _("Give the name of the room."))
    if any(s not in SERVICES for s in data.services):
        raise RoomError("services", _("Choose services from the list."))
    if any(a not in AMENITIES for a in data.amenities):
        raise RoomError("amenities", _("Choose amenities from the list."))
    if not data.languages or any(code not in LANGUAGES for code in data.languages):
        raise RoomError("languages", _("Choose at least one language from the list."))
    try:
        check_position(data.latitude, data.longitude)
    except ValueError as error:  # the watch points' PointError carries the field
        raise RoomError(getattr(error, "field", "latitude"), getattr(error, "message", str(error))) from None
    check_hours(data.week, data.closed_dates)


# --- Reading -------------------------------------------------------------------------


async def get_room(room_id: int) -> dict | None:
    return await Room.select(*ROOM_COLUMNS).where(Room.id == room_id).first().run()


async def get_by_slug(slug: str) -> dict | None:
    if not slug or len(slug) > 32:
        return None
    return await Room.select(*ROOM_COLUMNS).where(Room.slug == slug).first().run()


def may_read(actor: Actor, room: dict) -> bool:
    return actor.reaches(room["community"], "officer", "head")


def may_edit(actor: Actor, room: dict) -> bool:
    return actor.reaches(room["community"], "officer")


def creatable_communities(actor: Actor) -> frozenset[int] | None:
    return actor.communities("officer")


@dataclass(frozen=True)
class RoomsPage:
    rows: list[dict]
    next_after: int | None


async def rooms_for(actor: Actor, community_id: int | None = None, status: str = "all", after: int | None = None, size: int | None = None) -> RoomsPage:
    """The rooms of the actor's communities, a page at a time by id (keyset): retired rooms
    only when ``status`` asks for them. Scoped in SQL."""
    size = size or LIST_PAGE_SIZE
    scope = actor.communities("officer", "head")
    where = Room.id > (after or 0)
    if scope is not None:
        if not scope:
            return RoomsPage([], None)
        where = where & Room.community.is_in(sorted(scope))
    if community_id:
        where = where & (Room.community == community_id)
    if status == "retired":
        where = where & Room.retired_at.is_not_null()
    else:
        where = where & Room.retired_at.is_null()
        if status in ("pending", "verified", "suspended"):
            where = where & (Room.status == status)
    rows = await Room.select(*ROOM_COLUMNS, Room.community.name_zh, Room.community.name_en, Room.community.station.name_zh, Room.community.station.name_en).where(
        where
    ).order_by(Room.id).limit(size + 1).run()
    more = len(rows) > size
    rows = rows[:size]
    return RoomsPage(rows, rows[-1]["id"] if more and rows else None)


def is_public(room: dict) -> bool:
    return room["status"] == "verified" and room["retired_at"] is None


def open_state(room: dict, timezone: str, at: dt.datetime) -> bool:
    return is_public(room) and H.is_open(H.week_from_text(room["hours"]), H.dates_from_text(room["holidays"]), None, at, timezone)


async def open_now(community_id: int, at: dt.datetime, timezone: str, latitude: float | None = None, longitude: float | None = None) -> list[dict]:
    """Verified, not retired rooms of the community open at ``at``: nearest first when a
    position is given (rooms without one last), else by name."""
    candidates = await Room.select(*ROOM_COLUMNS).where(
        (Room.community == community_id) & (Room.status == "verified") & Room.retired_at.is_null()
    ).order_by(Room.id).limit(200).run()
    found = []
    for room in candidates:
        if not open_state(room, timezone, at):
            continue
        located = latitude is not None and longitude is not None and room["latitude"] is not None
        room["distance_km"] = distance_km(latitude, longitude, room["latitude"], room["longitude"]) if located else None
        found.append(room)
    if latitude is not None and longitude is not None:
        found.sort(key=lambda r: (r["distance_km"] is None, r["distance_km"] or 0, r["name_zh"]))
    else:
        from portal.web.i18n import localized

        found.sort(key=lambda r: localized(r, "name").lower())
    return found


def first_name(real_name: str) -> str:
    """What the public sees of a person on duty: a Chinese name's given name (the part after
    the one-character family name), or the first word of a Latin name."""
    name = (real_name or "").strip()
    if not name:
        return ""
    if " " in name:
        return name.split()[0]
    if all(ord(ch) > 0x2E80 for ch in name) and len(name) >= 2:
        return name[1:]
    return name


async def on_duty(room_id: int, at: dt.datetime) -> list[dict]:
    """People on a shift of the room at ``at``: every place-holding sign-up of a shift that
    is running (not cancelled), checked in or not, in the order they signed up; each with
    ``name`` (a first name only), ``checked_in`` and the shift's end."""
    kinds = ShiftKind.select(ShiftKind.id).where(ShiftKind.room == room_id)
    rows = await Signup.select(
        Signup.user.real_name, Signup.checked_in_at, Signup.checked_out_at, Signup.shift.ends_at, Signup.shift.id
    ).where(
        Signup.shift.kind.is_in(kinds) & (Signup.shift.status == "open") & (Signup.shift.starts_at <= at) & (Signup.shift.ends_at > at)
        & Signup.status.is_in(list(HOLDS_PLACE)) & Signup.checked_out_at.is_null()
    ).order_by(Signup.queued_at).limit(50).run()
    return [{"name": first_name(r["user.real_name"]), "checked_in": r["checked_in_at"] is not None, "ends_at": r["shift.ends_at"]} for r in rows]


async def upcoming_shifts(room_id: int, at: dt.datetime, limit: int = 10) -> list[dict]:
    """The room's next shifts (running or ahead): start, end, places taken and capacity."""
    kinds = ShiftKind.select(ShiftKind.id).where(ShiftKind.room == room_id)
    return await Shift.select(Shift.id, Shift.community, Shift.starts_at, Shift.ends_at, Shift.taken, Shift.capacity, Shift.kind.name, Shift.kind.name_en).where(
        Shift.kind.is_in(kinds) & (Shift.status == "open") & (Shift.ends_at > at)
    ).order_by(Shift.starts_at).limit(limit).run()


async def shift_kinds_of(room_id: int) -> list[dict]:
    return await ShiftKind.select(ShiftKind.id, ShiftKind.community, ShiftKind.name, ShiftKind.active).where(ShiftKind.room == room_id).order_by(ShiftKind.id).limit(50).run()


# --- Changes -------------------------------------------------------------------------


def _snapshot(room: dict) -> dict:
    return {k: room[k] for k in EDITABLE}


async def create(actor: Actor, data: RoomData, idempotency_key: str) -> int:
    """A new room, waiting for verification. The same form sent twice (same key) returns
    the room created the first time."""
    if not actor.reaches(data.community_id, "officer"):
        raise RoomError("community", _("Choose a community from the list."))
    check_data(data)
    async with write_transaction():
        existing = await Room.select(Room.id).where(Room.idempotency_key == idempotency_key).first().run()
        if existing:
            return existing["id"]
        moment = now()
        columns = data.columns()
        created = await Room.insert(
            Room(slug=new_slug(), status="pending", idempotency_key=idempotency_key, created_at=moment, updated_at=moment, **columns)
        ).returning(Room.id).run()
        room_id = created[0]["id"]
        await record("reception_room.created", "reception_room", room_id, actor=actor, after=columns)
    return room_id


async def _editable(actor: Actor, room_id: int) -> dict:
    room = await get_room(room_id)
    if not room or not may_edit(actor, room):
        raise PermissionError(room_id)
    return room


async def update(actor: Actor, room_id: int, data: RoomData) -> None:
    room = await _editable(actor, room_id)
    if room["retired_at"] is not None:
        raise RoomError("name_zh", _("This room is retired: it can no longer be changed."))
    if data.community_id != room["community"] and not actor.reaches(data.community_id, "officer"):
        raise RoomError("community", _("Choose a community from the list."))
    check_data(data)
    columns = data.columns()
    async with write_transaction():
        await Room.update({**{getattr(Room, k): v for k, v in columns.items()}, Room.updated_at: now()}).where(Room.id == room_id).run()
        await record("reception_room.updated", "reception_room", room_id, actor=actor, before=_snapshot(room), after=columns)


async def set_hours(actor: Actor, room_id: int, week: H.Week, closed_dates: list[dt.date]) -> None:
    room = await _editable(actor, room_id)
    if room["retired_at"] is not None:
        raise RoomError("closed_dates", _("This room is retired: it can no longer be changed."))
    check_hours(week, closed_dates)
    after = {"hours": H.week_to_text(week), "holidays": dates_text(closed_dates)}
    async with write_transaction():
        await Room.update({Room.hours: after["hours"], Room.holidays: after["holidays"], Room.updated_at: now()}).where(Room.id == room_id).run()
        await record("reception_room.hours", "reception_room", room_id, actor=actor, before={"hours": room["hours"], "holidays": room["holidays"]}, after=after)


async def verify(actor: Actor, room_id: int) -> None:
    """An officer has seen the room: it is verified and shown to the public."""
    room = await _editable(actor, room_id)
    if room["retired_at"] is not None:
        raise RoomError("status", _("This room is retired: it can no longer be changed."))
    if room["status"] == "suspended":
        raise RoomError("status", _("Reinstate the room before verifying it again."))
    if room["status"] == "verified":
        return
    moment = now()
    async with write_transaction():
        await Room.update({Room.status: "verified", Room.verified_at: moment, Room.verified_by: actor.id, Room.updated_at: moment}).where(Room.id == room_id).run()
        await record("reception_room.verified", "reception_room", room_id, actor=actor, before={"status": room["status"]}, after={"status": "verified"})


async def set_suspended(actor: Actor, room_id: int, suspended: bool, note: str = "") -> None:
    """Suspend (no longer shown to the public) or reinstate (verified again if it had been
    verified, else back to waiting)."""
    room = await _editable(actor, room_id)
    if room["retired_at"] is not None:
        raise RoomError("status", _("This room is retired: it can no longer be changed."))
    status = "suspended" if suspended else ("verified" if room["verified_at"] else "pending")
    if status == room["status"]:
        return
    async with write_transaction():
        await Room.update({Room.status: status, Room.updated_at: now()}).where(Room.id == room_id).run()
        await record("reception_room.suspended" if suspended else "reception_room.reinstated", "reception_room", room_id, actor=actor,
                     before={"status": room["status"]}, after={"status": status, "note": note.strip()})


async def retire(actor: Actor, room_id: int, note: str = "") -> None:
    """The room is closed for good: off the public lists and the registry (its visits and
    counters stay). Its shift kinds stop offering new shifts."""
    room = await _editable(actor, room_id)
    if room["retired_at"] is not None:
        return
    moment = now()
    async with write_transaction():
        await Room.update({Room.retired_at: moment, Room.updated_at: moment}).where(Room.id == room_id).run()
        await ShiftKind.update({ShiftKind.active: False, ShiftKind.updated_at: moment}).where(ShiftKind.room == room_id).run()
        await record("reception_room.retired", "reception_room", room_id, actor=actor, before={"status": room["status"], "retired_at": None}, after={"retired_at": moment, "note": note.strip()})
