"""The reception rooms' counters: they equal hand counts of a made-up month at every level
(room, community, station, district, city); the daily counts kept visit by visit equal a
recount; the figures page, its XLSX and the public page show them to whom they should."""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid

import pytest

from portal.accounts.rules import now
from portal.db import fetch, write_transaction
from portal.reception import counters
from portal.reception.tables import OUTCOMES, VISIT_CATEGORIES, Room, Visit

MONTH = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
LANGUAGES = ("zh", "zh", "zh", "en", "ja", "")


async def make_room(community_id: int, slug: str, name: str) -> int:
    moment = now()
    row = Room(community=community_id, slug=slug, name_zh=name, name_en=f"{name} EN", status="verified", idempotency_key=str(uuid.uuid4()), created_at=moment, updated_at=moment)
    return (await Room.insert(row).returning(Room.id).run())[0]["id"]


def made_up_visits(rooms: dict[int, int], seed: int = 16, n: int = 240) -> list[dict]:
    """Visits of November 2026 and a few on the days either side, in every category."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        room = rng.choice(sorted(rooms))
        category = VISIT_CATEGORIES[i % len(VISIT_CATEGORIES)]
        day = MONTH[0] + dt.timedelta(days=rng.randint(-2, 31))
        out.append({
            "room": room, "community": rooms[room], "category": category, "people": rng.randint(1, 5), "language": rng.choice(LANGUAGES),
            "outcome": rng.choice(OUTCOMES + ("",)), "local_day": day, "contact_name": "王某某", "contact_phone": "13800000000",
        })
    return out


async def insert_visits(visits: list[dict]) -> None:
    moment = now()
    rows = [
        Visit(room=v["room"], community=v["community"], category=v["category"], people=v["people"], language=v["language"], outcome=v["outcome"],
              contact_name=v["contact_name"], contact_phone=v["contact_phone"], visited_at=moment, local_day=v["local_day"],
              idempotency_key=str(uuid.uuid4()), created_at=moment, updated_at=moment)
        for v in visits
    ]
    await Visit.insert(*rows).run()
    async with write_transaction():
        for v in visits:
            await counters.bump_daily(v)


def hand_count(visits: list[dict], keep) -> dict:
    """The definitions of the module docstring, counted visit by visit."""
    chosen = [v for v in visits if MONTH[0] <= v["local_day"] <= MONTH[1] and keep(v)]

    def of(*categories):
        return sum(1 for v in chosen if v["category"] in categories)

    return {
        "people_received": sum(v["people"] for v in chosen),
        "consultations_help": of("consultation", "help_request"),
        "disputes_resolved": sum(1 for v in chosen if v["category"] == "mediation" and v["outcome"] == "resolved"),
        "emergency_rescues": of("emergency"),
        "errands": of("errand"),
        "convenience": of("convenience"),
        "business": of("business"),
        "foreign_visitors": sum(v["people"] for v in chosen if v["category"] == "foreign_visitor" or v["language"] not in ("zh", "")),
        "visits": len(chosen),
        "mediations": of("mediation"),
        "categories": {c: of(c) for c in VISIT_CATEGORIES},
    }


def shown(entry: dict) -> dict:
    return {k: entry[k] for k in (*counters.COUNTERS, "visits", "mediations", "categories")}


@pytest.fixture
async def month(area):
    """Four rooms: two in community a and one in b (station 1, district 1), one in c
    (station 2, district 2); 240 visits kept in the daily counts as the desk would."""
    rooms = {
        await make_room(area.community_id, "room-a1", "甲一"): area.community_id,
        await make_room(area.community_id, "room-a2", "甲二"): area.community_id,
        await make_room(area.other_community_id, "room-b1", "乙一"): area.other_community_id,
        await make_room(area.other_station_community_id, "room-c1", "丙一"): area.other_station_community_id,
    }
    visits = made_up_visits(rooms)
    await insert_visits(visits)
    return rooms, visits


async def test_counters_equal_hand_counts_at_every_level(area, month):
    """Each room, community, station, district and the city: the counters of November
    equal the visits counted by hand (the days either side left out), and the parts of
    every view add up to its total."""
    rooms, visits = month
    station_1 = [area.community_id, area.other_community_id]
    station_2 = [area.other_station_community_id]
    station_of = {area.community_id: area.station_id, area.other_community_id: area.station_id, area.other_station_community_id: area.other_station_id}
    district_of = {area.station_id: area.district_id, area.other_station_id: area.other_district_id}

    # A station head: by room.
    seen = await counters.figures(station_1, *MONTH, "room")
    assert shown(seen["totals"]) == hand_count(visits, lambda v: v["community"] in station_1)
    by_room = {p["part"]: p for p in seen["parts"]}
    assert set(by_room) == {r for r, c in rooms.items() if c in station_1}
    for room in by_room:
        assert shown(by_room[room]) == hand_count(visits, lambda v, room=room: v["room"] == room)
        assert by_room[room]["unit"]["code"].startswith("room-")
    # Communities.
    seen = await counters.figures(None, *MONTH, "community")
    for part in seen["parts"]:
        assert shown(part) == hand_count(visits, lambda v, c=part["part"]: v["community"] == c)
    # A district head: by station.
    seen = await counters.figures(station_1, *MONTH, "station")
    assert [p["part"] for p in seen["parts"]] == [area.station_id]
    assert shown(seen["parts"][0]) == shown(seen["totals"])
    # A city head: by district; each district equals its hand count.
    seen = await counters.figures(station_1 + station_2, *MONTH, "district")
    assert {p["part"] for p in seen["parts"]} == {area.district_id, area.other_district_id}
    for part in seen["parts"]:
        assert shown(part) == hand_count(visits, lambda v, d=part["part"]: district_of[station_of[v["community"]]] == d)
    assert shown(seen["totals"]) == hand_count(visits, lambda v: True)
    # The administrator: by city, everything.
    seen = await counters.figures(None, *MONTH, "city")
    assert [p["part"] for p in seen["parts"]] == [area.city_id] and shown(seen["totals"]) == hand_count(visits, lambda v: True)
    for key in counters.COUNTERS:
        assert sum(p[key] for p in (await counters.figures(None, *MONTH, "room"))["parts"]) == seen["totals"][key]
    # By month: November alone is the month's total; October's last days are October's.
    months = await counters.monthly(None, dt.date(2026, 10, 1), dt.date(2026, 11, 30))
    assert [m["month"] for m in months] == ["2026-10", "2026-11"]
    assert shown(months[1]) == hand_count(visits, lambda v: True)
    assert months[0]["visits"] == sum(1 for v in visits if v["local_day"].month == 10)


async def test_daily_counts_kept_by_each_visit_equal_a_recount_and_follow_corrections(area, month):
    """bump_daily visit by visit leaves the same table as counting every visit again; a
    correction (old taken away, new added) moves the visit between categories and days."""
    columns = "room, community, day, visits, people, " + ", ".join(VISIT_CATEGORIES) + ", mediation_resolved, foreign_people"

    async def table():
        return sorted(tuple(str(x) for x in r.values()) for r in await fetch(f"SELECT {columns} FROM reception_daily WHERE visits <> 0"))

    kept = await table()
    await counters.rebuild_daily()
    assert await table() == kept
    rooms, visits = month
    room = next(iter(rooms))
    old = {"room": room, "community": rooms[room], "category": "consultation", "people": 2, "language": "zh", "outcome": "", "local_day": dt.date(2026, 11, 5)}
    before = (await counters.figures(None, *MONTH))["totals"]
    async with write_transaction():
        await counters.bump_daily(old)
    new = old | {"category": "mediation", "outcome": "resolved", "language": "en", "people": 3}
    async with write_transaction():
        await counters.bump_daily(old, -1)
        await counters.bump_daily(new)
    after = (await counters.figures(None, *MONTH))["totals"]
    assert after["consultations_help"] == before["consultations_help"]
    assert after["disputes_resolved"] == before["disputes_resolved"] + 1
    assert after["people_received"] == before["people_received"] + 3
    assert after["foreign_visitors"] == before["foreign_visitors"] + 3
    with pytest.raises(ValueError):
        await counters.bump_daily(old | {"category": "payroll"})


def test_periods():
    """Presets hold the day asked about; previous and next step by whole presets; bad
    dates are refused with a message, and so is a period that ends before it starts."""
    day = dt.date(2026, 11, 18)  # a Wednesday
    assert counters.preset_period("week", day) == counters.Period(dt.date(2026, 11, 16), dt.date(2026, 11, 22), "week")
    assert counters.preset_period("month", day).last == dt.date(2026, 11, 30)
    assert counters.preset_period("quarter", day) == counters.Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31), "quarter")
    assert counters.preset_period("year", day).first == dt.date(2026, 1, 1)
    assert counters.shifted(counters.preset_period("quarter", day), 1).first == dt.date(2027, 1, 1)
    assert counters.shifted(counters.preset_period("month", dt.date(2026, 1, 9)), -1).first == dt.date(2025, 12, 1)
    assert counters.choose_period(None, "2026-11-01", "2026-11-30", day) == (counters.Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "custom"), {})
    period, errors = counters.choose_period(None, "2026-11-31", "2026-11-30", day)
    assert set(errors) == {"from"} and period.preset == "month"
    assert set(counters.choose_period(None, "2026-11-30", "2026-11-01", day)[1]) == {"to"}


async def test_figures_pages_export_and_public_page(area, month, client_for, client):
    """An officer reads their community's rooms; a station head their station by room, a
    district head by station, a city head by district, each with the parts summing to the
    total; a bad day is answered next to the field; the XLSX is made for Excel (frozen
    header, filter, numbers as numbers, sheets in the reader's language) and names nobody;
    the public page of a station shows its counts by month and no contact."""
    from openpyxl import load_workbook

    rooms, visits = month
    query = "?from=2026-11-01&to=2026-11-30"
    officer, _ = await client_for("officer")
    page = await officer.get("/reception/figures" + query)
    assert page.status_code == 200 and "甲一" in page.text and "乙一" not in page.text and "丙一" not in page.text
    station_total = hand_count(visits, lambda v: v["community"] in (area.community_id, area.other_community_id))
    head, _ = await client_for("head")
    page = await head.get("/reception/figures" + query)
    assert "甲一" in page.text and "乙一" in page.text and "丙一" not in page.text
    assert f'<td data-label="Visits logged">{station_total["visits"]}</td></tr></tfoot>' in page.text
    district, _ = await client_for("district_head")
    page = await district.get("/reception/figures" + query)
    assert page.status_code == 200 and "城中派出所" in page.text and "甲一" not in page.text
    page = await district.get("/reception/figures" + query + "&by=room")
    assert "甲一" in page.text and "丙一" not in page.text
    city, _ = await client_for("city_head")
    page = await city.get("/reception/figures" + query)
    assert "District 1" in page.text and "District 2" in page.text
    assert f'<td data-label="Visits logged">{hand_count(visits, lambda v: True)["visits"]}</td></tr></tfoot>' in page.text
    page = await head.get("/reception/figures?from=2026-11-31&to=2026-11-30")
    assert page.status_code == 422 and 'id="period-from-error"' in page.text and "2026-12-08" in page.text
    for preset in counters.PRESETS:
        assert (await head.get(f"/reception/figures?preset={preset}&at=2026-11-18")).status_code == 200

    chinese, _ = await client_for("head", preferred_language="zh_CN")
    response = await chinese.get("/reception/figures.xlsx" + query)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[1] == "按月"
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    total_row = [c.value for c in sheet[sheet.max_row]]
    assert total_row[2] == station_total["people_received"] and isinstance(total_row[2], int)
    cells = " ".join(str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row)
    assert "王某某" not in cells and "13800000000" not in cells

    page = await client.get(f"/stations/{area.station_id}/reception?preset=month&at=2026-11-18")
    assert page.status_code == 200 and "2026-11" in page.text
    assert f"<dd>{station_total['people_received']}</dd>" in page.text
    assert "王某某" not in page.text and "13800000000" not in page.text
    assert (await client.get("/stations/999999/reception")).status_code == 404
    assert (await client.get(f"/s/{area.station_id}/ledger")).text.count(f"/stations/{area.station_id}/reception") == 1
    home = await head.get("/")
    assert "/reception/figures" in home.text
    assert "/reception/figures" in (await district.get("/")).text


async def test_the_desk_rules_keep_the_daily_counts(area, make_user):
    """Logging a visit (twice with one key), correcting it and filing it in a ledger change
    the day's counters in the same transactions: a resolved mediation filed in a ledger is
    no longer counted as resolved, and the counts equal a recount of the visits."""
    from portal.accounts.rules import load_actor
    from portal.reception import visits as desk

    room = await make_room(area.community_id, "room-desk", "前台")
    actor = await load_actor(await make_user("officer"))
    moment = dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.timezone.utc)
    key = str(uuid.uuid4())
    logged = await desk.log_visit(actor, room, desk.VisitData(category="mediation", people=2, language="en", outcome="resolved"), key, moment=moment)
    await desk.log_visit(actor, room, desk.VisitData(category="mediation", people=2, language="en", outcome="resolved"), key, moment=moment)
    totals = (await counters.figures(None, *MONTH))["totals"]
    assert (totals["visits"], totals["people_received"], totals["disputes_resolved"], totals["foreign_visitors"]) == (1, 2, 1, 2)
    await desk.correct_visit(actor, logged.visit_id, desk.VisitData(category="mediation", people=3, language="zh", outcome="resolved"), moment=moment)
    totals = (await counters.figures(None, *MONTH))["totals"]
    assert (totals["visits"], totals["people_received"], totals["disputes_resolved"], totals["foreign_visitors"]) == (1, 3, 1, 0)
    await desk.to_ledger(actor, logged.visit_id, "claim", moment=moment)
    totals = (await counters.figures(None, *MONTH))["totals"]
    assert (totals["visits"], totals["mediations"], totals["disputes_resolved"]) == (1, 1, 0)
    kept = (await counters.figures(None, *MONTH))["totals"]
    await counters.rebuild_daily()
    assert (await counters.figures(None, *MONTH))["totals"] == kept


async def test_the_weekly_bulletin_has_a_reception_section_with_small_counts_hidden(area, client):
    """Community a's week: 4 emergency rescues and 2 errands (hidden: under 3), community b
    2 errands; the station's roll-up shows 4 errands (the full counts summed, then hidden
    again), the district and city the same; a visit of the next Monday is not counted."""
    from portal.bulletins import render
    from portal.bulletins import rules as bulletins
    from portal.bulletins.tables import Bulletin
    from tests.bulletin_data import DUE, MONDAY, WEEK, age_communities

    await age_communities(area.community_id, area.other_community_id, area.other_station_community_id)
    room_a = await make_room(area.community_id, "room-a", "甲厅")
    room_b = await make_room(area.other_community_id, "room-b", "乙厅")
    base = {"people": 1, "language": "zh", "outcome": "", "contact_name": "王某某", "contact_phone": "13800000000"}
    visits = [base | {"room": room_a, "community": area.community_id, "category": "emergency", "local_day": MONDAY + dt.timedelta(days=n)} for n in range(4)]
    visits += [base | {"room": room_a, "community": area.community_id, "category": "errand", "local_day": MONDAY + dt.timedelta(days=6)}] * 2
    visits += [base | {"room": room_b, "community": area.other_community_id, "category": "errand", "local_day": MONDAY}] * 2
    visits += [base | {"room": room_b, "community": area.other_community_id, "category": "errand", "local_day": MONDAY + dt.timedelta(days=7)}] * 5
    await insert_visits(visits)
    await bulletins.compile_due(DUE, 1)

    async def figures(key):
        row = await Bulletin.select(Bulletin.figures).where((Bulletin.scope_key == key) & (Bulletin.week == WEEK)).first().run()
        return bulletins.figures_of(row)

    own = (await figures(bulletins.community_key(area.community_id)))["reception"]
    assert own["emergency_rescues"] == 4 and own["errands"] is None and own["people_received"] == 6 and own["disputes_resolved"] is None
    assert (await figures(bulletins.community_key(area.other_community_id)))["reception"]["errands"] is None
    assert (await figures(bulletins.community_key(area.other_station_community_id)))["reception"] == {}
    station = await figures(bulletins.station_key(area.station_id))
    assert (station["reception"]["errands"], station["reception"]["emergency_rescues"], station["reception"]["people_received"]) == (4, 4, 8)
    for key in (bulletins.unit_key("district", area.district_id), bulletins.unit_key("city", area.city_id)):
        assert (await figures(key))["reception"]["errands"] == 4
    from portal.web import i18n

    token = i18n.activate("en")
    try:
        view = render.sections({"id": 1, "version": 1, "figures": station})
    finally:
        i18n.restore(token)
    assert [r["label"] for r in view["reception"]] == ["People received", "Emergency rescues", "Errands done on people's behalf"]
    assert render.sections({"id": 1, "version": 1, "figures": {}})["reception"] is None
    rolled = (await Bulletin.select(Bulletin.id).where((Bulletin.scope_key == bulletins.station_key(area.station_id)) & (Bulletin.week == WEEK)).first().run())["id"]
    await bulletins.publish(None, rolled)
    page = await client.get(f"/stations/{area.station_id}/bulletins/{WEEK}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and 'id="s-reception"' in page.text and "王某某" not in page.text
