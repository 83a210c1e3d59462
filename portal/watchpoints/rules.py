"""Watch point rules: applying, editing, hours, "closed today", photos, visits,
verification, suspension, and the queries behind the lists and the open-now page.

Who may do what: the host of a point (its applicant) edits it; an officer whose
reach includes the point's community edits, verifies, suspends and reinstates it.
A volunteer may apply too and receives the host role for that community when the
point is verified. Every change is audited in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass, field

from portal.accounts.rules import Actor, now
from portal.accounts.tables import RoleGrant, User
from portal.audit.rules import record
from portal.db import Statement, write_transaction
from portal.stations.tables import Community
from portal.watchpoints import hours as H
from portal.uploads import MAX_BYTES, ProcessedImage, Storage, UploadError, new_key, process_image
from portal.watchpoints.tables import CAPABILITIES, KINDS, WatchPoint, WatchPointVisit
from portal.web.i18n import gettext as _
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp
from portal.web.sorting import Order, SortedPage, SortKey, Sorts, sorted_page

PHOTO_MAX_BYTES = MAX_BYTES
MAX_CLOSED_DATES = 60
LIST_LIMIT = 200
POINT_COLUMNS = (
    WatchPoint.id, WatchPoint.community, WatchPoint.host, WatchPoint.slug, WatchPoint.name_zh, WatchPoint.name_en, WatchPoint.kind,
    WatchPoint.address, WatchPoint.latitude, WatchPoint.longitude, WatchPoint.hours, WatchPoint.holidays, WatchPoint.closed_today_on,
    WatchPoint.capabilities, WatchPoint.phone, WatchPoint.status, WatchPoint.verified_at, WatchPoint.last_visit_on, WatchPoint.has_photo,
    WatchPoint.photo_key, WatchPoint.photo_thumb_key, WatchPoint.created_at, WatchPoint.updated_at,
)


class PointError(ValueError):
    """A rule refused the change; ``field`` names the form field it belongs to."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


Photo = ProcessedImage  # a front photo as the shared pipeline made it


@dataclass
class PointData:
    community_id: int
    name_zh: str
    kind: str
    address: str
    name_en: str = ""
    latitude: float | None = None
    longitude: float | None = None
    phone: str = ""
    capabilities: list[str] = field(default_factory=list)
    week: H.Week = field(default_factory=lambda: tuple(H.Day() for _ in range(7)))
    closed_dates: list[dt.date] = field(default_factory=list)

    def columns(self) -> dict:
        return {
            "community": self.community_id,
            "name_zh": self.name_zh.strip(),
            "name_en": self.name_en.strip(),
            "kind": self.kind,
            "address": self.address.strip(),
            "latitude": self.latitude,
            "longitude": self.longitude,
            "phone": self.phone.strip(),
            "capabilities": ",".join(c for c in CAPABILITIES if c in self.capabilities),
            "hours": H.week_to_text(self.week),
            "holidays": dates_text(self.closed_dates),
        }


def dates_text(dates) -> str:
    import json

    return json.dumps(sorted({d.isoformat() for d in dates}))


def new_slug() -> str:
    """The permanent, unguessable key of a point's public page (96 random bits)."""
    return secrets.token_urlsafe(12)


# --- Checks --------------------------------------------------------------------------


def check_position(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise PointError("latitude", _("Give both latitude and longitude, or neither."))
    if latitude is None:
        return
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise PointError("latitude", _("Latitude must be between -90 and 90."))
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise PointError("longitude", _("Longitude must be between -180 and 180."))
    if latitude == 0 and longitude == 0:
        raise PointError("latitude", _("0, 0 is in the sea: the position was not found. Type it or leave it empty."))


def check_data(data: PointData) -> None:
    if data.kind not in KINDS:
        raise PointError("kind", _("Choose a kind from the list."))
    check_position(data.latitude, data.longitude)
    for index, day in enumerate(data.week):
        issue = H.problem(day)
        if issue == "closes_before_opening":
            raise PointError(f"closes_{index}", _("Closing must be after opening, unless you tick \"closes after midnight\"."))
        if issue == "overnight_but_closes_later":
            raise PointError(f"closes_{index}", _("With \"closes after midnight\", the closing time is on the next morning and must be at or before the opening time."))
        if issue == "missing":
            raise PointError(f"opens_{index}", _("Give an opening and a closing time, or choose closed or 24 hours."))
    if len(set(data.closed_dates)) > MAX_CLOSED_DATES:
        raise PointError("closed_dates", _("List at most %(count)d closed dates.", count=MAX_CLOSED_DATES))


def process_photo(content: bytes) -> Photo:
    """A front photo through the shared pipeline (``portal.uploads``): JPEG, PNG or WebP
    recognised by its bytes, within the byte and pixel limits, re-encoded upright as a
    JPEG of at most 1600 px without metadata (EXIF, GPS), with a thumbnail."""
    try:
        return process_image(content)
    except UploadError as error:
        raise PointError("photo", error.message) from None


# --- Access --------------------------------------------------------------------------


async def get_point(point_id: int) -> dict | None:
    return await WatchPoint.select(*POINT_COLUMNS).where(WatchPoint.id == point_id).first().run()


def may_edit(actor: Actor, point: dict) -> bool:
    return point["host"] == actor.id or actor.reaches(point["community"], "officer")


def may_oversee(actor: Actor, point: dict) -> bool:
    return actor.reaches(point["community"], "officer")


def application_communities(actor: Actor) -> frozenset[int] | None:
    """Where the actor may apply to host a point: as a host or a volunteer there."""
    return actor.communities("host", "volunteer")


def _snapshot(row: dict) -> dict:
    keep = ("name_zh", "name_en", "kind", "address", "latitude", "longitude", "phone", "capabilities", "hours", "holidays", "closed_today_on", "status", "community")
    return {k: row.get(k) for k in keep}


# --- Changes -------------------------------------------------------------------------


async def _put_photo(storage: Storage | None, photo: Photo | None) -> dict:
    """Write the photo's files before the database change that points at them (so no row
    ever names a missing file); returns the point's photo columns, or {} without one."""
    if photo is None:
        return {}
    if storage is None:
        raise ValueError("a photo needs a storage")
    full_key, thumb_key = new_key("watchpoints"), new_key("watchpoints")
    await storage.put(full_key, photo.content)
    await storage.put(thumb_key, photo.thumb)
    return {WatchPoint.photo_key: full_key, WatchPoint.photo_thumb_key: thumb_key, WatchPoint.has_photo: True}


async def _drop_files(storage: Storage | None, *keys: str) -> None:
    for key in keys:
        if storage is not None and key:
            await storage.delete(key)


async def apply(actor: Actor, data: PointData, photo: Photo | None, idempotency_key: str, storage: Storage | None = None) -> int:
    """A host (or volunteer) applies to host a watch point; it waits for an officer's visit.
    A repeat of the same form (same key) returns the point created the first time."""
    scope = application_communities(actor)
    if scope is not None and data.community_id not in scope:
        raise PointError("community", _("Choose a community from the list."))
    check_data(data)
    photo_columns = await _put_photo(storage, photo)
    keys = [photo_columns.get(WatchPoint.photo_key, ""), photo_columns.get(WatchPoint.photo_thumb_key, "")]
    try:
        async with write_transaction():
            existing = await WatchPoint.select(WatchPoint.id, WatchPoint.host).where(WatchPoint.idempotency_key == idempotency_key).first().run()
            if existing:
                await _drop_files(storage, *keys)
                return existing["id"]
            moment = now()
            photo_values = {column._meta.name: value for column, value in photo_columns.items()}
            created = await WatchPoint.insert(
                WatchPoint(slug=new_slug(), host=actor.id, status="pending", idempotency_key=idempotency_key, created_at=moment, updated_at=moment, **data.columns(), **photo_values)
            ).returning(WatchPoint.id).run()
            point_id = created[0]["id"]
            await record("watchpoint.applied", "watchpoint", point_id, actor=actor, after={**data.columns(), "photo": bool(photo)})
    except BaseException:
        await _drop_files(storage, *keys)
        raise
    return point_id


async def update(actor: Actor, point_id: int, data: PointData, photo: Photo | None, storage: Storage | None = None) -> None:
    point = await get_point(point_id)
    if not point or not may_edit(actor, point):
        raise PermissionError(point_id)
    if data.community_id != point["community"] and not actor.reaches(data.community_id, "officer"):
        raise PointError("community", _("Choose a community from the list."))
    check_data(data)
    photo_columns = await _put_photo(storage, photo)
    try:
        async with write_transaction():
            columns = data.columns()
            await WatchPoint.update({**{getattr(WatchPoint, k): v for k, v in columns.items()}, **photo_columns, WatchPoint.updated_at: now()}).where(WatchPoint.id == point_id).run()
            await record("watchpoint.updated", "watchpoint", point_id, actor=actor, before=_snapshot(point), after={**columns, "photo_replaced": bool(photo)})
    except BaseException:
        await _drop_files(storage, *(v for k, v in photo_columns.items() if k is not WatchPoint.has_photo))
        raise
    if photo:  # the replaced photo's files go once nothing points at them
        await _drop_files(storage, point["photo_key"], point["photo_thumb_key"])


async def set_hours(actor: Actor, point_id: int, week: H.Week, closed_dates: list[dt.date]) -> None:
    point = await get_point(point_id)
    if not point or not may_edit(actor, point):
        raise PermissionError(point_id)
    if any(H.problem(day) for day in week):
        check_data(PointData(point["community"], point["name_zh"], point["kind"], point["address"], week=week))
    if len(set(closed_dates)) > MAX_CLOSED_DATES:
        raise PointError("closed_dates", _("List at most %(count)d closed dates.", count=MAX_CLOSED_DATES))
    after = {"hours": H.week_to_text(week), "holidays": dates_text(closed_dates)}
    async with write_transaction():
        await WatchPoint.update({WatchPoint.hours: after["hours"], WatchPoint.holidays: after["holidays"], WatchPoint.updated_at: now()}).where(WatchPoint.id == point_id).run()
        await record("watchpoint.hours", "watchpoint", point_id, actor=actor, before={"hours": point["hours"], "holidays": point["holidays"]}, after=after)


async def community_timezone(community_id: int) -> str:
    row = await Community.select(Community.timezone).where(Community.id == community_id).first().run()
    return (row or {}).get("timezone") or "Asia/Shanghai"


async def set_closed_today(actor: Actor, point_id: int, closed: bool, at: dt.datetime | None = None) -> dict:
    """One tap: closed for the rest of today (the community's local day), or open again."""
    point = await get_point(point_id)
    if not point or not may_edit(actor, point):
        raise PermissionError(point_id)
    today = H.local_now(at or now(), await community_timezone(point["community"])).date()
    value = today if closed else None
    async with write_transaction():
        await WatchPoint.update({WatchPoint.closed_today_on: value, WatchPoint.updated_at: now()}).where(WatchPoint.id == point_id).run()
        await record("watchpoint.closed_today" if closed else "watchpoint.reopened_today", "watchpoint", point_id, actor=actor, before={"closed_today_on": point["closed_today_on"]}, after={"closed_today_on": value})
    return await get_point(point_id)


async def record_visit(actor: Actor, point_id: int, visited_on: dt.date, note: str, verified: bool) -> None:
    """An officer's visit. ``verified`` makes the point verified (and its applicant a host
    of the community); otherwise the visit is noted and the status kept."""
    point = await get_point(point_id)
    if not point or not may_oversee(actor, point):
        raise PermissionError(point_id)
    if visited_on > H.local_now(now(), await community_timezone(point["community"])).date():
        raise PointError("visited_on", _("The visit cannot be in the future."))
    if verified and point["status"] == "suspended":
        raise PointError("outcome", _("Reinstate the point before verifying it again."))
    async with write_transaction():
        await WatchPointVisit.insert(
            WatchPointVisit(point=point_id, officer=actor.id, visited_on=visited_on, note=note.strip(), outcome="verified" if verified else "noted", created_at=now())
        ).run()
        changes = {WatchPoint.last_visit_on: visited_on, WatchPoint.updated_at: now()}
        if verified:
            changes.update({WatchPoint.status: "verified", WatchPoint.verified_at: now()})
        await WatchPoint.update(changes).where(WatchPoint.id == point_id).run()
        await record("watchpoint.visited", "watchpoint", point_id, actor=actor, before={"status": point["status"]}, after={"visited_on": visited_on, "note": note.strip(), "verified": verified})
        if verified and point["host"]:
            has_host_role = await RoleGrant.exists().where((RoleGrant.user == point["host"]) & (RoleGrant.role == "host") & (RoleGrant.community == point["community"])).run()
            if not has_host_role:
                community = await Community.select(Community.station).where(Community.id == point["community"]).first().run()
                grant = {"role": "host", "station": community["station"], "community": point["community"]}
                await RoleGrant.insert(RoleGrant(user=point["host"], created_at=now(), **grant)).run()
                await record("role.granted", "user", point["host"], actor=actor, after=grant)


async def set_suspended(actor: Actor, point_id: int, suspended: bool, note: str = "") -> None:
    """Suspend (no longer shown as a safe place) or reinstate (back to waiting for a visit
    unless it had been verified before)."""
    point = await get_point(point_id)
    if not point or not may_oversee(actor, point):
        raise PermissionError(point_id)
    status = "suspended" if suspended else ("verified" if point["verified_at"] else "pending")
    if status == point["status"]:
        return
    async with write_transaction():
        await WatchPoint.update({WatchPoint.status: status, WatchPoint.updated_at: now()}).where(WatchPoint.id == point_id).run()
        await record("watchpoint.suspended" if suspended else "watchpoint.reinstated", "watchpoint", point_id, actor=actor, before={"status": point["status"]}, after={"status": status, "note": note.strip()})


# --- Queries -------------------------------------------------------------------------


LIST_PAGE_SIZE = 50
LIST_STATUSES = ("all", "pending", "verified", "suspended")

# The officers' list's sortable columns, each led by the community in an index (the
# watchpoints migrations); by default never verified first (oldest application first),
# then the stalest verification.
POINT_SORTS = Sorts({
    "name": SortKey(_lp("thing", "Name"), column=WatchPoint.name_zh),
    "verified": SortKey(_l("Last verified"), column=WatchPoint.verified_at),
}, default="verified")


async def points_to_oversee(actor: Actor, community_id: int | None = None, status: str = "all", after: str | None = None, size: int | None = None, order: Order | None = None) -> SortedPage:
    """Points of the actor's communities a page at a time (keyset, never OFFSET) in
    ``order`` (by default the stalest verification first), read from the (community,
    column, id) indexes."""
    size = size or LIST_PAGE_SIZE
    scope = actor.communities("officer")
    columns = (*POINT_COLUMNS, WatchPoint.community.name_zh, WatchPoint.community.name_en, WatchPoint.host.real_name)
    where = WatchPoint.id > 0
    if scope is not None:
        if not scope:
            return SortedPage([], None)
        where = WatchPoint.community.is_in(list(scope))
    if community_id:
        where = where & (WatchPoint.community == community_id)
    if status in ("pending", "verified", "suspended"):
        where = where & (WatchPoint.status == status)
    return await sorted_page(lambda: WatchPoint.select(*columns).where(where), order or POINT_SORTS.parse(None), WatchPoint.id, after, size)


async def points_of_host(actor: Actor) -> list[dict]:
    return await WatchPoint.select(*POINT_COLUMNS, WatchPoint.community.name_zh, WatchPoint.community.name_en).where(WatchPoint.host == actor.id).order_by(WatchPoint.id).limit(LIST_LIMIT).run()


async def visits_of(point_id: int, limit: int = 20) -> list[dict]:
    return await WatchPointVisit.select(
        WatchPointVisit.visited_on, WatchPointVisit.note, WatchPointVisit.outcome, WatchPointVisit.officer.real_name
    ).where(WatchPointVisit.point == point_id).order_by(WatchPointVisit.id, ascending=False).limit(limit).run()


def open_state(point: dict, timezone: str, at: dt.datetime) -> bool:
    return H.is_open(H.week_from_text(point["hours"]), H.dates_from_text(point["holidays"]), point["closed_today_on"], at, timezone)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0088 * 2 * math.asin(min(1.0, math.sqrt(a)))


async def open_now(community_id: int, at: dt.datetime, timezone: str, latitude: float | None = None, longitude: float | None = None) -> list[dict]:
    """Verified points of the community open at ``at``: nearest first when a position is
    given (points without one last), else by name. The candidates are bounded."""
    candidates = await WatchPoint.select(*POINT_COLUMNS).where((WatchPoint.community == community_id) & (WatchPoint.status == "verified")).order_by(WatchPoint.id).limit(500).run()
    found = []
    for point in candidates:
        if not open_state(point, timezone, at):
            continue
        if latitude is not None and longitude is not None and point["latitude"] is not None:
            point["distance_km"] = distance_km(latitude, longitude, point["latitude"], point["longitude"])
        else:
            point["distance_km"] = None
        found.append(point)
    if latitude is not None and longitude is not None:
        found.sort(key=lambda p: (p["distance_km"] is None, p["distance_km"] or 0, p["name_zh"]))
    else:
        from portal.web.i18n import localized

        found.sort(key=lambda p: localized(p, "name").lower())
    return found


# Every public page of a point or community asks these (portal.db.Statement: built once).
_OFFICERS = Statement(lambda p: RoleGrant.select(RoleGrant.user.as_alias("id"), RoleGrant.user.real_name.as_alias("real_name"), RoleGrant.user.phone.as_alias("phone")).where(
    (RoleGrant.role == "officer") & (RoleGrant.community == p.community) & (RoleGrant.user.active == True)  # noqa: E712
).order_by(RoleGrant.user).limit(20))
_COMMUNITY_COLUMNS = (
    Community.id, Community.code, Community.name_zh, Community.name_en, Community.timezone, Community.station.name_zh, Community.station.name_en, Community.station.phone
)
_COMMUNITY_BY_ID = Statement(lambda p: Community.select(*_COMMUNITY_COLUMNS).where(Community.id == p.id).first())
_COMMUNITY_BY_CODE = Statement(lambda p: Community.select(*_COMMUNITY_COLUMNS).where(Community.code == p.code).first())
# The point and its community (as community_with_station gives it) in one statement.
_POINT_WITH_COMMUNITY = Statement(lambda p: WatchPoint.select(
    *POINT_COLUMNS, *(getattr(WatchPoint.community, column._meta.name) for column in _COMMUNITY_COLUMNS[:5]),
    WatchPoint.community.station.name_zh, WatchPoint.community.station.name_en, WatchPoint.community.station.phone,
).where(WatchPoint.slug == p.slug).first())


async def officers_of(community_id: int) -> list[dict]:
    """The active community officers of a community: name and work phone (shown on boards)."""
    rows = await _OFFICERS.run(community=community_id)
    return list({row["id"]: row for row in rows}.values())  # one row per person, in id order


async def community_with_station(community_id: int | None = None, code: str | None = None) -> dict | None:
    if community_id is not None:
        return await _COMMUNITY_BY_ID.run(id=community_id)
    return await _COMMUNITY_BY_CODE.run(code=code)


async def point_with_community(slug: str) -> tuple[dict, dict] | tuple[None, None]:
    """The point with this slug and its community with the station's names and phone."""
    row = await _POINT_WITH_COMMUNITY.run(slug=slug)
    if row is None:
        return None, None
    point = {column._meta.name: row[column._meta.name] for column in POINT_COLUMNS}
    community = {key.removeprefix("community."): value for key, value in row.items() if key.startswith("community.")}
    return point, community
