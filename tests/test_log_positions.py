"""Logs with only a position: their generalised place is the grid cell of the position
(about 400 m across, named by its centre), written by the log form when the address gives
nothing; three reports in one cell make a hot spot shown as "near …" in both languages,
two do not, and no position more precise than the cell is ever compiled."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, strategies as st

from portal.bulletins import render
from portal.bulletins import rules as bulletins
from portal.bulletins.tables import Bulletin
from portal.logs.places import GRID_STEPS, is_position, near
from portal.logs.tables import FieldLog
from portal.web import i18n
from tests.bulletin_data import DUE, WEEK, age_communities, local, log
from tests.conftest import post_form
from tests.test_logs_routes import saved_id, valid


@pytest.mark.parametrize("latitude, longitude, place", [
    (34.2612, 108.9411, "34.262°N 108.942°E"),
    (34.2600, 108.9400, "34.262°N 108.942°E"),  # a cell's corner belongs to it
    (34.2639, 108.9439, "34.262°N 108.942°E"),
    (34.2640, 108.9440, "34.266°N 108.946°E"),  # the next cell
    (-33.8688, 151.2093, "33.870°S 151.210°E"),
    (51.5007, -0.1246, "51.502°N 0.126°W"),
    (90, 180, "89.998°N 179.998°E"),
    (None, 108.94, ""),
    (34.26, None, ""),
    (math.nan, 108.94, ""),
    (91, 108.94, ""),
])
def test_a_position_is_named_by_the_centre_of_its_cell(latitude, longitude, place):
    assert near(latitude, longitude) == place
    assert is_position(place) == bool(place)


def test_streets_are_not_taken_for_positions():
    for place in ("幸福路", "Xingfu Road", "107国道旁", "34.26 Road", ""):
        assert not is_position(place)


@given(st.floats(-89.99, 89.99), st.floats(-179.99, 179.99))
def test_every_position_in_a_cell_has_its_name_and_the_name_is_no_closer_than_the_cell(latitude, longitude):
    place = near(latitude, longitude)
    lat_text, lon_text = place.split(" ")
    lat = float(lat_text[:-2]) * (1 if lat_text.endswith("N") else -1)
    lon = float(lon_text[:-2]) * (1 if lon_text.endswith("E") else -1)
    half = 0.5 / GRID_STEPS
    # The name is the cell's centre: within half a cell of the position, never nearer
    # in kind (three decimals), and every position of the cell gives it.
    assert abs(lat - latitude) <= half + 1e-6 and abs(lon - longitude) <= half + 1e-6
    assert near(lat - half * 0.9, lon + half * 0.9) == place
    assert near(lat + half * 1.1, lon) != place


def test_a_cell_is_roughly_250_to_500_metres_across_in_china():
    metres_per_degree = 111_320
    for latitude in (18.2, 34.26, 53.5):  # Sanya, Xi'an, Mohe
        north_south = metres_per_degree / GRID_STEPS
        east_west = metres_per_degree * math.cos(math.radians(latitude)) / GRID_STEPS
        assert 250 <= east_west <= 450 and 440 <= north_south <= 450


async def test_the_log_form_writes_the_cell_when_the_address_gives_no_place(client_for, area):
    client, _ = await client_for("volunteer")
    position = {"latitude": "34.2612", "longitude": "108.9411"}

    async def place_of(kind: str, **values) -> dict:
        log_id = saved_id(await post_form(client, f"/logs/new/{kind}", {**valid(kind, area.community_id), **values}))
        return await FieldLog.select(FieldLog.address, FieldLog.place, FieldLog.latitude).where(FieldLog.id == log_id).first().run()

    assert await place_of("hazard", address="", **position) == {"address": "", "place": "34.262°N 108.942°E", "latitude": 34.2612}
    assert (await place_of("help", address="Room 301", **position))["place"] == "34.262°N 108.942°E"  # nothing general in the address
    assert (await place_of("hazard", address="幸福路12号", **position))["place"] == "幸福路"  # the street first
    assert (await place_of("help", address=""))["place"] == ""  # neither


async def test_three_reports_in_one_cell_are_a_hot_spot_named_near_it(area):
    """Reports at three positions of one cell count as one place; two in the next cell
    are not shown; the positions themselves are never compiled."""
    a = area.community_id
    await age_communities(a)
    for n, (lat, lon) in enumerate([(34.2601, 108.9405), (34.2622, 108.9419), (34.2638, 108.9433)]):
        await log(a, "hazard" if n else "help", local(17 + n, 9), category="gas" if n else "directions", latitude=lat, longitude=lon, place=near(lat, lon))
    for n, (lat, lon) in enumerate([(34.2645, 108.9405), (34.2671, 108.9419)]):
        await log(a, "hazard", local(17 + n, 10), category="gas", latitude=lat, longitude=lon, place=near(lat, lon))
    await bulletins.compile_week(WEEK, [a], now=DUE)
    row = await Bulletin.select(Bulletin.id, Bulletin.figures, Bulletin.version).where(Bulletin.scope_key == bulletins.community_key(a)).first().run()
    figures = bulletins.figures_of(row)
    assert figures["hotspots"] == [{"name_zh": "34.262°N 108.942°E", "name_en": "34.262°N 108.942°E", "total": 3, "hazards": None, "help": None, "near": True}]
    text = json.dumps(figures, ensure_ascii=False)
    for precise in ("34.2601", "34.2622", "34.2638", "108.9405", "34.266°N", "34.2645"):
        assert precise not in text
    bulletin = {"id": row["id"], "version": row["version"], "figures": figures}
    for language, name in (("en", "near 34.262°N 108.942°E"), ("zh_CN", "34.262°N 108.942°E 附近")):
        token = i18n.activate(language)
        try:
            assert [s["name"] for s in render.sections(bulletin)["hotspots"]] == [name]
        finally:
            i18n.restore(token)


async def test_the_migration_gives_old_logs_with_only_a_position_their_cell(area):
    """Logs written before: those with a position and no place get the cell, a batch at
    a time; a street already there stays; logs without a position keep ""."""
    import datetime as dt
    import uuid

    from portal.logs.migrations.logs_2026_12_03t08_30_00_000000 import backfill

    moment = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)
    for place, lat, lon in [("", 34.2612, 108.9411), ("幸福路", 34.2612, 108.9411), ("", None, None), ("", 34.2645, 108.9405), ("", 34.2622, 108.9419)]:
        await FieldLog.insert(FieldLog(kind="hazard", community=area.community_id, place=place, latitude=lat, longitude=lon, occurred_at=moment, created_at=moment,
                                       updated_at=moment, idempotency_key=str(uuid.uuid4()))).run()
    assert await backfill(batch=2) == 3
    rows = await FieldLog.select(FieldLog.place).order_by(FieldLog.id).run()
    assert [r["place"] for r in rows] == ["34.262°N 108.942°E", "幸福路", "", "34.266°N 108.942°E", "34.262°N 108.942°E"]
    assert await backfill(batch=2) == 0  # nothing left without a place
