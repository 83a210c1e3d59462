"""The organisation: create, rename, move and retire cities, districts, stations and
communities. Every change is one audited step; a unit is retired, never deleted, so the
records that point at it keep their history."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from portal.accounts.tables import RoleGrant
from portal.audit.rules import record
from portal.db import is_unique_violation, write_transaction
from portal.stations.tables import City, Community, District, Station
from portal.web.i18n import N_, ngettext
from portal.web.i18n import gettext as _

TABLES = {"city": City, "district": District, "station": Station, "community": Community}
# Each level's parent level and the column that points at the parent.
PARENT = {"district": ("city", District.city), "station": ("district", Station.district), "community": ("station", Community.station)}
CHILD = {"city": "district", "district": "station", "station": "community"}
LEVEL_NAMES = {"city": N_("city bureau"), "district": N_("district or county bureau"), "station": N_("police station"), "community": N_("community")}
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class OrgError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class UnitData:
    level: str
    code: str
    name_zh: str
    name_en: str = ""
    parent_code: str | None = None
    timezone: str | None = None  # communities
    latitude: float | None = None  # communities: the centre of the area
    longitude: float | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _level(level: str) -> type:
    if level not in TABLES:
        raise OrgError("level", _("Choose a level: city, district, station or community."))
    return TABLES[level]


async def find(level: str, code: str) -> dict | None:
    table = _level(level)
    return await table.select().where(table.code == code).first().run()


async def _parent(level: str, parent_code: str | None) -> dict | None:
    if level not in PARENT:
        if parent_code:
            raise OrgError("parent", _("A city has no parent unit."))
        return None
    parent_level, _column = PARENT[level]
    if not parent_code:
        raise OrgError("parent", _("Give the code of the unit it belongs to."))
    parent = await find(parent_level, parent_code)
    if parent is None:
        raise OrgError("parent", _("No %(level)s has the code %(code)s.", level=_(LEVEL_NAMES[parent_level]), code=parent_code))
    if parent["retired_at"] is not None:
        raise OrgError("parent", _("%(code)s is retired: nothing new goes under it.", code=parent_code))
    return parent


def _check_names(name_zh: str, name_en: str) -> None:
    if not name_zh.strip():
        raise OrgError("name_zh", _("Give the Chinese name."))
    if len(name_zh) > 100 or len(name_en) > 100:
        raise OrgError("name_zh" if len(name_zh) > 100 else "name_en", _("A name has at most 100 characters."))


def _check_place(data: UnitData) -> None:
    if data.timezone is not None and data.timezone not in _time_zones():
        raise OrgError("timezone", _("%(zone)s is not a time zone (e.g. Asia/Shanghai).", zone=data.timezone))
    if (data.latitude is None) != (data.longitude is None):
        raise OrgError("centre", _("Give both the latitude and the longitude of the centre, or neither."))
    if data.latitude is not None and not (-90 <= data.latitude <= 90 and -180 <= data.longitude <= 180):
        raise OrgError("centre", _("The centre is not a position on Earth."))


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())  # read from the tz database's files: once


async def create(actor, data: UnitData) -> int:
    """A new unit under its parent (a city has none); refused with the field at fault."""
    table = _level(data.level)
    code = data.code.strip().lower()
    if not CODE.match(code):
        raise OrgError("code", _("A code is 1 to 40 lower-case letters, digits and hyphens, e.g. xiguan or cz-1."))
    _check_names(data.name_zh, data.name_en)
    if data.level == "community":
        _check_place(data)
    elif data.timezone is not None or data.latitude is not None:
        raise OrgError("timezone", _("Only a community has a time zone and a centre."))
    async with write_transaction():
        if await table.exists().where(table.code == code).run():
            raise OrgError("code", _("The code %(code)s is taken.", code=code))
        parent = await _parent(data.level, data.parent_code)
        values = {"code": code, "name_zh": data.name_zh.strip(), "name_en": data.name_en.strip(), "created_at": _now()}
        if parent is not None:
            values[PARENT[data.level][1]._meta.name] = parent["id"]
        if data.level == "community":
            values.update(timezone=data.timezone or "Asia/Shanghai", latitude=data.latitude, longitude=data.longitude)
        try:
            row = await table.insert(table(**values)).returning(table.id).run()
        except Exception as error:
            if is_unique_violation(error):  # the same code, written at the same moment
                raise OrgError("code", _("The code %(code)s is taken.", code=code)) from None
            raise
        unit_id = row[0]["id"]
        await record(f"org.{data.level}.create", data.level, unit_id, actor=actor, after=values)
    return unit_id


async def _existing(level: str, code: str) -> dict:
    row = await find(level, code)
    if row is None:
        raise OrgError("code", _("No %(level)s has the code %(code)s.", level=_(LEVEL_NAMES[level]), code=code))
    return row


async def rename(actor, level: str, code: str, name_zh: str | None = None, name_en: str | None = None) -> None:
    table = _level(level)
    async with write_transaction():
        row = await _existing(level, code)
        changes = {"name_zh": row["name_zh"] if name_zh is None else name_zh.strip(), "name_en": row["name_en"] if name_en is None else name_en.strip()}
        _check_names(changes["name_zh"], changes["name_en"])
        if changes == {"name_zh": row["name_zh"], "name_en": row["name_en"]}:
            return
        await table.update(changes).where(table.id == row["id"]).run()
        await record(f"org.{level}.rename", level, row["id"], actor=actor, before={k: row[k] for k in changes}, after=changes)


async def move(actor, level: str, code: str, parent_code: str) -> None:
    """Under another parent of the level above (a station to another district, ...)."""
    table = _level(level)
    if level not in PARENT:
        raise OrgError("parent", _("A city has no parent unit."))
    column = PARENT[level][1]._meta.name
    async with write_transaction():
        row = await _existing(level, code)
        if row["retired_at"] is not None:
            raise OrgError("code", _("%(code)s is retired.", code=code))
        parent = await _parent(level, parent_code)
        if row[column] == parent["id"]:
            return
        await table.update({column: parent["id"]}).where(table.id == row["id"]).run()
        after = {column: parent["id"]}
        if level == "community":
            # A community role's grant names its station too (what station filters read).
            moved = await RoleGrant.update({RoleGrant.station: parent["id"]}).where(RoleGrant.community == row["id"]).returning(RoleGrant.id).run()
            after["role_grants"] = [grant["id"] for grant in moved]
        await record(f"org.{level}.move", level, row["id"], actor=actor, before={column: row[column]}, after=after)


async def retire(actor, level: str, code: str) -> None:
    """Retired: kept with its history, offered for nothing new. A unit with units still
    active under it is refused: retire or move them first."""
    table = _level(level)
    async with write_transaction():
        row = await _existing(level, code)
        if row["retired_at"] is not None:
            return
        if level in CHILD:
            child = TABLES[CHILD[level]]
            link = PARENT[CHILD[level]][1]
            active = await child.count().where((link == row["id"]) & child.retired_at.is_null()).run()
            if active:
                raise OrgError("code", ngettext(
                    "%(code)s still has %(num)d active unit under it: retire or move it first.",
                    "%(code)s still has %(num)d active units under it: retire or move them first.", active, code=code))
        moment = _now()
        await table.update({table.retired_at: moment}).where(table.id == row["id"]).run()
        await record(f"org.{level}.retire", level, row["id"], actor=actor, before={"retired_at": None}, after={"retired_at": moment})


async def tree(include_retired: bool = False, levels: tuple[str, ...] = tuple(TABLES)) -> list[dict]:
    """Every unit of ``levels`` (top down), parents before their children, each with its
    level and depth. Units whose parent is not listed (stations from before the levels, or
    under a retired unit) come after the tree."""
    units: dict[str, list[dict]] = {level: [] for level in TABLES}
    for level in levels:
        table = TABLES[level]
        query = table.select()
        if not include_retired:
            query = query.where(table.retired_at.is_null())
        units[level] = await query.order_by(table.code).run()
    by_parent: dict[tuple[str, int | None], list[dict]] = {}
    for level, rows in units.items():
        for row in rows:
            parent = row[PARENT[level][1]._meta.name] if level in PARENT else None
            by_parent.setdefault((level, parent), []).append({**row, "level": level})
    ordered: list[dict] = []
    placed: set[tuple[str, int]] = set()

    def walk(level: str, parent_id: int | None, depth: int) -> None:
        for unit in by_parent.get((level, parent_id), []):
            ordered.append({**unit, "depth": depth})
            placed.add((level, unit["id"]))
            if level in CHILD:
                walk(CHILD[level], unit["id"], depth + 1)

    walk("city", None, 0)
    for level in ("district", "station", "community"):  # under a parent not listed (retired, or none yet)
        for row in units[level]:
            if (level, row["id"]) not in placed:
                ordered.append({**row, "level": level, "depth": 0})
                placed.add((level, row["id"]))
                if level in CHILD:
                    walk(CHILD[level], row["id"], 1)
    return ordered
