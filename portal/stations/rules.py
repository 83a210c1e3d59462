"""Queries over stations and communities."""

from __future__ import annotations

from portal.db import Statement
from portal.stations.tables import City, Community, District, Station
from portal.web.i18n import localized


async def community_choices() -> list[tuple[int, str]]:
    rows = await Community.select(Community.id, Community.name_zh, Community.name_en, Community.station.name_zh, Community.station.name_en).where(Community.retired_at.is_null()).order_by(Community.station).order_by(Community.id).run()
    return [(r["id"], f"{localized(r, 'station.name')} · {localized(r, 'name')}") for r in rows]


async def station_choices() -> list[tuple[int, str]]:
    rows = await Station.select(Station.id, Station.name_zh, Station.name_en).where(Station.retired_at.is_null()).order_by(Station.id).run()
    return [(r["id"], localized(r, "name")) for r in rows]


async def district_choices() -> list[tuple[int, str]]:
    rows = await District.select(District.id, District.name_zh, District.name_en, District.city.name_zh, District.city.name_en).where(District.retired_at.is_null()).order_by(District.id).run()
    return [(r["id"], f"{localized(r, 'city.name')} · {localized(r, 'name')}") for r in rows]


async def city_choices() -> list[tuple[int, str]]:
    rows = await City.select(City.id, City.name_zh, City.name_en).where(City.retired_at.is_null()).order_by(City.id).run()
    return [(r["id"], localized(r, "name")) for r in rows]


def _communities_query(p):
    query = Community.select(Community.id, Community.code, Community.name_zh, Community.name_en, Community.timezone, Community.station.name_zh, Community.station.name_en)
    if p.ids is not None:
        query = query.where(Community.id.is_in(p.ids))
    return query.order_by(Community.id).limit(500)


_COMMUNITIES = Statement(_communities_query)  # every list page of a volunteer asks


async def communities_by_id(ids: frozenset[int] | None) -> list[dict]:
    """The communities in ``ids`` (None: all), with their station's names."""
    if ids is not None and not ids:
        return []
    return await _COMMUNITIES.run(ids=sorted(ids) if ids is not None else None)


async def without_officer(ids: frozenset[int] | None) -> list[dict]:
    """Active communities in ``ids`` (None: all) where no active user is a community officer:
    their public pages have nobody to name, which the administrator and the heads are told."""
    from portal.accounts.tables import RoleGrant

    officered = RoleGrant.select(RoleGrant.community).where((RoleGrant.role == "officer") & (RoleGrant.user.active == True))  # noqa: E712 - SQL
    query = Community.select(Community.id, Community.code, Community.name_zh, Community.name_en).where(
        Community.retired_at.is_null() & Community.id.not_in(officered)
    )
    if ids is not None:
        if not ids:
            return []
        query = query.where(Community.id.is_in(list(ids)))
    return await query.order_by(Community.id).limit(200).run()


# The unit one level below each head's level, as a column reached from ``community c``
# (with ``station s`` and ``district d`` joined): a roll-up groups its parts by it.
PART_OF = {"city": ("district", "d"), "district": ("station", "s"), "station": ("community", "c"), None: ("city", "d")}
PART_JOINS = "JOIN community c ON c.id = {alias}.community JOIN station s ON s.id = c.station LEFT JOIN district d ON d.id = s.district"


def parts_level(head_level: str | None) -> str:
    """The level a head's figures are split by: a city head's by district, a district
    head's by station, a station head's by community; an administrator's by city."""
    return PART_OF[head_level][0]


def part_column(head_level: str | None) -> str:
    level, alias = PART_OF[head_level]
    return "d.city" if level == "city" else f"{alias}.id"


async def part_names(level: str, ids: list[int]) -> dict[int, dict]:
    """{id: row with code and names} of the units at ``level``."""
    if not ids:
        return {}
    table = {"city": City, "district": District, "station": Station, "community": Community}[level]
    rows = await table.select(table.id, table.code, table.name_zh, table.name_en).where(table.id.is_in(ids)).run()
    return {row["id"]: row for row in rows}
