"""Generalised places of field logs: the street or area of an address without its door
(Chinese and English), written by the log form, filled for old logs by the migration a
batch at a time, and indexed for the bulletins' hot spots (both engines)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from portal import db
from portal.logs.migrations.logs_2026_12_03t07_50_00_000000 import backfill
from portal.logs.places import generalise
from portal.logs.tables import FieldLog
from tests.conftest import post_form
from tests.test_logs_routes import saved_id, valid

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("address, place", [
    # Chinese: everything from the first door number on goes.
    ("幸福路12号3单元", "幸福路"),
    ("幸福路15号", "幸福路"),
    ("幸福路 8 号", "幸福路"),
    ("幸福路１２号", "幸福路"),  # full-width digits
    ("幸福路12号附近", "幸福路"),
    ("幸福路12", "幸福路"),
    ("幸福路12A", "幸福路"),
    ("幸福路#5", "幸福路"),
    ("幸福小区3栋2单元501室", "幸福小区"),
    ("幸福小区3幢", "幸福小区"),
    ("幸福小区第3栋", "幸福小区"),
    ("幸福小区3-2-501", "幸福小区"),
    ("幸福路88弄5号", "幸福路"),
    ("人民东路100号院2号楼", "人民东路"),
    ("西关大街12-3号", "西关大街"),
    ("建设路3号楼401", "建设路"),
    ("光明小区五号楼", "光明小区"),
    ("光明小区三单元二楼", "光明小区"),
    ("幸福大厦A座1201", "幸福大厦"),
    ("城中区 幸福路12号", "城中区幸福路"),
    ("幸福路 No.12", "幸福路"),
    # Numbers that are part of a name, and names with 楼 or 号 in them, stay.
    ("107国道旁", "107国道旁"),
    ("798艺术区", "798艺术区"),
    ("鼓楼大街", "鼓楼大街"),
    ("地铁一号线西关站", "地铁一号线西关站"),
    ("菜市场门口", "菜市场门口"),
    # Nothing general left.
    ("12号", ""),
    ("3号楼楼道", ""),
    ("5栋302室", ""),
    ("—", ""),
    ("", ""),
    ("   ", ""),
    # English: numbered words go wherever they are; case, spaces and "Rd" normalised.
    ("12 Xingfu Road", "Xingfu Road"),
    ("Xingfu Road 3", "Xingfu Road"),
    ("xingfu road", "Xingfu Road"),
    ("XINGFU  ROAD", "Xingfu Road"),
    ("Room 301, No. 5 xingfu road", "Xingfu Road"),
    ("Flat 2B, 12 Xingfu Rd.", "Xingfu Road"),
    ("Unit 2, Block C, Xingfu Road", "Xingfu Road"),
    ("Apt 4, 7/9 Changjiang Avenue, Chengzhong District", "Changjiang Avenue, Chengzhong District"),
    ("#12 Xingfu St", "Xingfu Street"),
    ("12-3 Xingfu Road", "Xingfu Road"),
    ("No.5 Xingfu Road", "Xingfu Road"),
    ("Building 3, Floor 2, Xingfu Road", "Xingfu Road"),
    ("3rd floor, 5th Avenue", "5th Avenue"),  # an ordinal street stays, an ordinal floor goes
    ("Lane 88, Xingfu Road", "Xingfu Road"),
    ("Xingfu Lane 5", "Xingfu Lane"),
    ("Room 301", ""),
    ("No. 5", ""),
    ("Unit 2", ""),
    ("12", ""),
])
def test_an_address_is_generalised_to_its_street_or_area(address, place):
    assert generalise(address) == place


def test_the_same_street_is_one_place_whatever_the_door():
    assert {generalise(a) for a in ("幸福路12号3单元", "幸福路15号", "幸福路 8号2单元301室", "幸福路100号院")} == {"幸福路"}
    assert {generalise(a) for a in ("12 Xingfu Road", "Xingfu Road 3", "Room 301, 5 xingfu rd", "Unit 2, No. 7 Xingfu Road")} == {"Xingfu Road"}


STREET_CHARS = "幸福光明人民建设西关东门和平胜利文化新华解放中山长江黄河公园市场学校广场"
DOOR_PARTS = ("号", "号楼", "栋", "幢", "单元", "室", "楼", "层", "弄", "座", "号院")


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    street=st.text(alphabet=STREET_CHARS, min_size=2, max_size=8),
    kind=st.sampled_from(("路", "街", "大街", "小区", "巷", "村")),
    doors=st.lists(st.tuples(st.integers(1, 9999), st.sampled_from(DOOR_PARTS)), min_size=1, max_size=4),
)
def test_no_door_number_survives_in_chinese(street, kind, doors):
    address = street + kind + "".join(f"{n}{part}" for n, part in doors)
    assert generalise(address) == street + kind


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    street=st.lists(st.sampled_from(("Xingfu", "Guangming", "Renmin", "Jianshe", "Xiguan", "Heping")), min_size=1, max_size=2),
    kind=st.sampled_from(("Road", "Street", "Avenue", "Lane")),
    number=st.integers(1, 9999),
    unit=st.sampled_from(("", "Room {n}, ", "Unit {n}, ", "Flat {n}B, ", "No. {n} ", "Building {n}, ")),
    before=st.booleans(),
)
def test_no_door_number_survives_in_english(street, kind, number, unit, before):
    name = " ".join(street + [kind])
    address = unit.format(n=number + 1) + (f"{number} {name}" if before else f"{name} {number}")
    place = generalise(address)
    assert place == name
    assert not any(ch.isdigit() for ch in place)


async def test_the_log_form_writes_the_generalised_place(client_for, area):
    client, _ = await client_for("volunteer")
    saved = await post_form(client, "/logs/new/hazard", {**valid("hazard", area.community_id), "address": "幸福路12号3单元501室"})
    log_id = saved_id(saved)
    row = await FieldLog.select(FieldLog.address, FieldLog.place).where(FieldLog.id == log_id).first().run()
    assert row == {"address": "幸福路12号3单元501室", "place": "幸福路"}
    nowhere = await post_form(client, "/logs/new/help", {**valid("help", area.community_id), "address": "Room 301"})
    assert (await FieldLog.select(FieldLog.place).where(FieldLog.id == saved_id(nowhere)).first().run())["place"] == ""


async def test_the_migration_fills_old_logs_a_batch_at_a_time(area):
    addresses = ["幸福路12号", "", "12 Xingfu Road", "Room 301", "幸福小区3栋2单元", "Xingfu Road 3", ""]
    for address in addresses:
        await FieldLog.insert(FieldLog(kind="hazard", community=area.community_id, address=address, occurred_at=NOW, created_at=NOW, updated_at=NOW,
                                       idempotency_key=str(uuid.uuid4()))).run()
    assert {r["place"] for r in await FieldLog.select(FieldLog.place).run()} == {""}  # as old logs are
    assert await backfill(batch=2) == 4
    rows = await FieldLog.select(FieldLog.address, FieldLog.place).order_by(FieldLog.id).run()
    assert [r["place"] for r in rows] == ["幸福路", "", "Xingfu Road", "", "幸福小区", "Xingfu Road", ""]
    assert await backfill(batch=2) == 4  # running it again writes the same


async def test_the_hot_spot_index_exists(database, engine_name):
    if engine_name == "sqlite":
        rows = await db.engine().run_ddl("SELECT name FROM sqlite_master WHERE type = 'index'")
        names = {r["name"] for r in rows}
    else:
        rows = await db.engine().run_ddl("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        names = {r["indexname"] for r in rows}
    assert "bulletin_field_log_hotspot_week" in names
