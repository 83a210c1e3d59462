"""Heads at three levels (三长): a station head, a district head and a city head each read
exactly their part of the tree, change nothing above a station, and every figure they
see rolls up: a head's figure is the sum of the figures of the units below."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import random
import uuid

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from openpyxl import load_workbook

from portal import db
from portal.accounts import rules as accounts
from portal.accounts.rules import load_actor
from portal.ledger import figures
from portal.ledger.rules import NewItem, file_item
from portal.ledger.tables import LedgerItem
from portal.logs import rules as log_rules
from portal.stations.tables import City, Community, District, Station
from tests.conftest import PASSWORD, http_client, log_in, post_form
from tests.test_logs_routes import make_point
from tests.unchanged import nothing_changes


async def _marked_world(area, make_user) -> dict[str, int]:
    """In each of the three communities (a, b of the first station in the first district;
    c of the other station in the other district): a ledger item, a field log waiting
    for review and a watch point, each named after its community."""
    items = {}
    for mark, community in (("a", area.community_id), ("b", area.other_community_id), ("c", area.other_station_community_id)):
        made = await file_item(None, NewItem(ledger="complaint", category="noise", community_id=community, summary=f"ledger-mark-{mark}"))
        items[mark] = made["id"]
        author = await load_actor(await make_user("officer", username=f"reporter-{mark}", community_id=community))
        data = log_rules.LogData(kind="hazard", community_id=community, occurred_at=log_rules.now() - dt.timedelta(hours=1), category="gas", severity="high", description=f"log-mark-{mark}", address="Block")
        await log_rules.create(author, data, f"heads-{mark}")
        point = await make_point(community, None, status="pending")
        await db.fetch("UPDATE watch_point SET name_en = {} WHERE id = {}", f"point-mark-{mark}", point)
    return items


HEADS = {
    # column: (role, unit keyword for make_user, communities seen)
    "head": ("head", {}, {"a", "b"}),
    "head_district": ("district_head", {}, {"a", "b"}),
    "head_other_district": ("district_head", {"other": True}, {"c"}),
    "head_city": ("city_head", {}, {"a", "b", "c"}),
}


@pytest.mark.parametrize("column", list(HEADS))
async def test_each_head_reads_exactly_their_part_of_the_tree(app, area, make_user, column):
    items = await _marked_world(area, make_user)
    role, unit, seen = HEADS[column]
    await make_user(role, username="the-head", district_id=area.other_district_id if unit.get("other") else None)
    pages = ["/ledger", "/review", "/review/export.csv", "/watchpoints", "/ledger/overdue?stage=open"]
    async with http_client(app) as client:
        await log_in(client, "the-head")
        for path in pages:
            response = await client.get(path)
            assert response.status_code == 200, path
            for mark in "abc":
                kind = {"/ledger": "ledger", "/review": "log", "/review/export.csv": "log", "/watchpoints": "point"}.get(path.split("?")[0], "ledger")
                if path.startswith("/ledger/overdue"):
                    continue
                assert (f"{kind}-mark-{mark}" in response.text) == (mark in seen), (path, mark)
        for mark, item in items.items():
            answer = await client.get(f"/ledger/{item}")
            assert answer.status_code == (200 if mark in seen else 404), (mark, answer.status_code)
        home = (await client.get("/")).text
        if column == "head_city":
            assert "By district or county bureau" in home and "District 1" in home and "District 2" in home
            assert "<dd>City head</dd>" in home  # the role held, not the station head's it reads as
        elif column.startswith("head_") and column != "head":
            assert "<dd>District head</dd>" in home
            assert "By police station" in home and ("城中派出所 EN" in home) == (column == "head_district") and ("城东派出所 EN" in home) == (column != "head_district")
        # The dashboard's workbook: one row per unit below, adding up to the head's total.
        book = load_workbook(io.BytesIO((await client.get("/ledger/dashboard/export.xlsx")).content))
        sheet = book["By unit"] if "By unit" in book.sheetnames else book[book.sheetnames[[n.startswith("按") for n in book.sheetnames].index(True)]]
        filed = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert sum(filed) == len(seen)


async def test_heads_above_a_station_change_nothing(app, area, make_user):
    """A district head posts the complete forms an officer's would be accepted with: each
    is refused and nothing changes (the station head, for contrast, is let through)."""
    items = await _marked_world(area, make_user)
    await make_user("district_head", username="district")
    await make_user("head", username="station")
    forms = [
        (f"/ledger/{items['a']}/move", {"to": "assigned", "note": "mine"}),
        (f"/ledger/{items['a']}/private", {"private": "true", "reason": "A neighbour dispute"}),
        ("/ledger/new", {"ledger": "suggestion", "category": "traffic", "community": str(area.community_id), "summary": "More lights"}),
    ]
    async with http_client(app) as client:
        await log_in(client, "district")
        for path, data in forms:
            async with nothing_changes((LedgerItem, items["a"])):
                response = await post_form(client, path, data)
            assert response.status_code == 403, (path, response.status_code)
        page = (await client.get(f"/ledger/{items['a']}")).text
        assert "read-only" in page.split("<body", 1)[1].split(">", 1)[0].split('class="', 1)[1].split('"', 1)[0].split()  # beside "desk"
    async with http_client(app) as client:
        await log_in(client, "station")
        response = await post_form(client, forms[1][0], forms[1][1])
        assert response.status_code == 303


# --- Roll-ups over random trees ----------------------------------------------------------

# A tree: districts of stations of communities, each community with a number of items.
TREES = st.lists(st.lists(st.lists(st.integers(0, 3), min_size=1, max_size=3), min_size=1, max_size=3), min_size=1, max_size=3)
STAGES = ("registered", "assigned", "in_progress", "handled", "closed", "closed_unconfirmed", "closed_duplicate")


async def _grow(tree, seed: int) -> dict:
    """The tree in the database with a head at every level and its items at random stages
    (some past their deadline); returns what was made, counted by hand."""
    await db.wipe()
    moment = accounts.now()
    rng = random.Random(seed)
    city = (await City.insert(City(code="c", name_zh="市", created_at=moment)).returning(City.id).run())[0]["id"]
    made = {"city": city, "districts": [], "expected": {}}
    await accounts.create_user(None, username="head-city", password=PASSWORD, real_name="市局局长", role="city_head", city_id=city)
    for d, stations in enumerate(tree):
        district = (await District.insert(District(city=city, code=f"d{d}", name_zh=f"区{d}", created_at=moment)).returning(District.id).run())[0]["id"]
        await accounts.create_user(None, username=f"head-d{d}", password=PASSWORD, real_name="分局局长", role="district_head", district_id=district)
        entry = {"username": f"head-d{d}", "stations": []}
        for s, communities in enumerate(stations):
            station = (await Station.insert(Station(district=district, code=f"s{d}-{s}", name_zh=f"所{d}{s}", created_at=moment)).returning(Station.id).run())[0]["id"]
            await accounts.create_user(None, username=f"head-s{d}-{s}", password=PASSWORD, real_name="所长", role="head", station_id=station)
            station_entry = {"username": f"head-s{d}-{s}", "communities": []}
            for c, count in enumerate(communities):
                community = (await Community.insert(Community(station=station, code=f"k{d}-{s}-{c}", name_zh=f"社区{d}{s}{c}", created_at=moment)).returning(Community.id).run())[0]["id"]
                tally = {"filed": count, "open": 0, "closed": 0, "closed_satisfied": 0, "overdue": 0}
                for _ in range(count):
                    item = await file_item(None, NewItem(ledger="complaint", category="noise", community_id=community, summary="x"))
                    stage = rng.choice(STAGES)
                    overdue = not stage.startswith("closed") and rng.random() < 0.5
                    due = moment - dt.timedelta(days=1) if overdue else moment + dt.timedelta(days=5)
                    await LedgerItem.update({LedgerItem.stage: stage, LedgerItem.stage_due_at: due}).where(LedgerItem.id == item["id"]).run()
                    if stage.startswith("closed"):
                        tally["closed"] += 1
                        tally["closed_satisfied"] += stage == "closed"
                    else:
                        tally["open"] += 1
                        tally["overdue"] += overdue
                station_entry["communities"].append((community, tally))
            entry["stations"].append(station_entry)
        made["districts"].append(entry)
    return made


def _sum(tallies) -> dict:
    keys = ("filed", "open", "closed", "closed_satisfied", "overdue")
    return {key: sum(t[key] for t in tallies) for key in keys}


async def _figures_of(username: str, moment) -> tuple[dict, list[dict]]:
    user_id = (await accounts.User.select(accounts.User.id).where(accounts.User.username == username).first().run())["id"]
    actor = await load_actor(user_id, reading=True)
    ids = sorted(actor.communities("head"))
    totals = await figures.totals(ids)
    parts = await figures.by_part(ids, actor.head_level, moment)
    overdue = sum(r["count"] for r in await figures.overdue_by_officer(actor, moment))
    return {**{k: totals[k] for k in ("filed", "open", "closed", "closed_satisfied")}, "overdue": overdue}, parts


def _shown(parts: list[dict]) -> list[dict]:
    return [{k: p[k] for k in ("filed", "open", "closed", "closed_satisfied", "overdue")} for p in parts]


async def _check(tree, seed: int) -> None:
    made = await _grow(tree, seed)
    moment = accounts.now()
    district_totals = []
    for district in made["districts"]:
        station_totals = []
        for station in district["stations"]:
            tallies = [tally for _, tally in station["communities"]]
            totals, parts = await _figures_of(station["username"], moment)
            assert totals == _sum(tallies)
            # Split by community: one row per community that has items, in code order.
            assert _shown(parts) == [t for t in tallies if t["filed"]]
            station_totals.append(totals)
        totals, parts = await _figures_of(district["username"], moment)
        assert totals == _sum(station_totals)
        assert _shown(parts) == [t for t in station_totals if t["filed"]]
        district_totals.append(totals)
    totals, parts = await _figures_of("head-city", moment)
    assert totals == _sum(district_totals)
    assert _shown(parts) == [t for t in district_totals if t["filed"]]


async def test_a_heads_figures_are_the_sum_of_the_units_below_on_random_trees(database):
    loop = asyncio.get_running_loop()

    @hypothesis_settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(TREES, st.integers(0, 2**16))
    def roll_up(tree, seed):
        asyncio.run_coroutine_threadsafe(_check(tree, seed), loop).result(timeout=120)

    await asyncio.to_thread(roll_up)


async def test_district_and_city_roll_ups_are_read_by_the_heads_above_and_published_by_their_own(app, area, make_user):
    """The week's district roll-up: its district head publishes it; the city head reads it
    and cannot; the other district's head and the station head below never see it. Once
    published, everyone reads it on the district's public page."""
    from portal.bulletins import rules
    from portal.bulletins.tables import Bulletin
    from tests.bulletin_data import DUE, WEEK, age_communities

    await age_communities(area.community_id, area.other_community_id, area.other_station_community_id)
    await rules.compile_week(WEEK, now=DUE)
    district = (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.unit_key("district", area.district_id)).first().run())["id"]
    city = (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.unit_key("city", area.city_id)).first().run())["id"]
    await make_user("district_head", username="district")
    await make_user("district_head", username="other-district", district_id=area.other_district_id)
    await make_user("city_head", username="city")
    await make_user("head", username="station")
    for username, reads, publishes in (("city", {district, city}, False), ("other-district", set(), False), ("station", set(), False), ("district", {district}, True)):
        async with http_client(app) as client:
            await log_in(client, username)
            listed = (await client.get("/bulletins")).text
            for bulletin in (district, city):
                assert (f'href="/bulletins/{bulletin}"' in listed) == (bulletin in reads), (username, bulletin)
                assert (await client.get(f"/bulletins/{bulletin}")).status_code == (200 if bulletin in reads else 404)
            if publishes:
                response = await post_form(client, f"/bulletins/{district}/publish")
                assert response.status_code == 303
            else:
                async with nothing_changes((Bulletin, district)):
                    assert (await post_form(client, f"/bulletins/{district}/publish")).status_code == 404
    async with http_client(app) as client:
        page = await client.get(f"/districts/district-1/bulletins/{WEEK}")
        assert page.status_code == 200 and ("District 1" in page.text or "一区" in page.text)
        assert (await client.get(f"/cities/test-city/bulletins/{WEEK}")).status_code == 404  # not published
        wider = (await client.get("/c/a/bulletins")).text
        assert 'href="/districts/district-1/bulletins"' in wider and 'href="/cities/test-city/bulletins"' in wider


async def test_heads_above_a_station_read_the_work_without_the_peoples_contacts(app, area, make_user):
    """Who raised a matter, a public message's contact and mediation parties are for the
    community's officers and its station head; the district and city heads read the item
    without them."""
    from portal.logs.tables import MediationParty
    from portal.public.rules import create_intake
    from portal.public.tables import Intake

    item = (await file_item(None, NewItem(ledger="complaint", category="noise", community_id=area.community_id, summary="Noise at night",
                                          raised_by_name="刘阿姨", raised_by_phone="13911112222")))["id"]
    await create_intake(kind="help", community_id=area.community_id, point_id=None, text="?", contact_name="王先生", contact_phone="13700001111", language="zh_CN", idempotency_key=str(uuid.uuid4()))
    intake = (await Intake.select(Intake.id).first().run())["id"]
    officer = await load_actor(await make_user("officer", username="mediator"))
    data = log_rules.LogData(kind="mediation", community_id=area.community_id, occurred_at=log_rules.now() - dt.timedelta(hours=1), category="neighbours",
                             description="Dispute over a parking space", agreement="Take turns", outcome="resolved",
                             parties=[("赵大爷", "13600002222"), ("钱女士", "13600003333")])
    log = (await log_rules.create(officer, data, "heads-mediation")).log_id
    assert await MediationParty.count().where(MediationParty.log == log).run() == 2
    await make_user("head", username="station")
    await make_user("district_head", username="district")
    await make_user("city_head", username="city")
    secrets = ("13911112222", "13700001111", "赵大爷", "13600002222")
    for username, sees in (("station", True), ("district", False), ("city", False)):
        async with http_client(app) as client:
            await log_in(client, username)
            pages = [await client.get(path) for path in (f"/ledger/{item}", f"/intake/{intake}", f"/logs/{log}")]
            assert [page.status_code for page in pages] == [200, 200, 200], username
            text = "".join(page.text for page in pages)
            assert [secret in text for secret in secrets] == [sees] * len(secrets), username
