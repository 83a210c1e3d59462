"""Queries over stations and communities."""

from __future__ import annotations

from portal.stations.tables import Community, Station
from portal.web.i18n import localized


async def community_choices() -> list[tuple[int, str]]:
    rows = await Community.select(Community.id, Community.name_zh, Community.name_en, Community.station.name_zh, Community.station.name_en).where(Community.retired_at.is_null()).order_by(Community.station).order_by(Community.id).run()
    return [(r["id"], f"{localized(r, 'station.name')} · {localized(r, 'name')}") for r in rows]


async def station_choices() -> list[tuple[int, str]]:
    rows = await Station.select(Station.id, Station.name_zh, Station.name_en).where(Station.retired_at.is_null()).order_by(Station.id).run()
    return [(r["id"], localized(r, "name")) for r in rows]


async def communities_by_id(ids: frozenset[int] | None) -> list[dict]:
    """The communities in ``ids`` (None: all), with their station's names."""
    query = Community.select(Community.id, Community.code, Community.name_zh, Community.name_en, Community.timezone, Community.station.name_zh, Community.station.name_en)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Community.id.is_in(list(ids)))
    return await query.order_by(Community.id).limit(500).run()


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
