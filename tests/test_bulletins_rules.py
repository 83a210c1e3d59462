"""Bulletin rules: weeks, the job's timing with a fixed clock in two zones, exactly once
with several schedulers, catch-up, every section's figures against a hand-made week,
confidential data never compiled, no half bulletin, and draft → publish → correction."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from portal.audit.tables import AuditEntry
from portal.bulletins import compile as C
from portal.bulletins import rules
from portal.bulletins.demo import seed_tips
from portal.bulletins.jobs import JOBS
from portal.bulletins.tables import Bulletin
from portal.jobs.runner import JobScheduler
from portal.notifications.tables import Notification
from portal.stations.tables import Community
from portal.web import i18n
from tests.bulletin_data import DUE, SECRETS, WEEK, age_communities, build_week, count, local, log, point, week_ago

UTC = dt.timezone.utc


@pytest.fixture(autouse=True)
def english():
    """Messages of the rules read in English, whatever an earlier test left active."""
    token = i18n.activate("en")
    yield
    i18n.restore(token)


async def keys(week: str = WEEK) -> list[str]:
    rows = await Bulletin.select(Bulletin.scope_key).where(Bulletin.week == week).order_by(Bulletin.scope_key).run()
    return [r["scope_key"] for r in rows]


async def figures_for(scope_key: str, week: str = WEEK) -> dict:
    row = await Bulletin.select(Bulletin.figures).where((Bulletin.scope_key == scope_key) & (Bulletin.week == week)).order_by(Bulletin.version, ascending=False).first().run()
    return rules.figures_of(row)


def test_weeks_that_do_not_exist_are_refused_with_a_clear_message():
    assert rules.parse_week("2026-W47") == ("2026-W47", dt.date(2026, 11, 16))
    assert rules.parse_week("2026-W53")[1] == dt.date(2026, 12, 28)  # 2026 has 53 ISO weeks
    with pytest.raises(rules.BulletinError, match="There is no week 2025-W53: the year 2025 has weeks 1 to 52"):
        rules.parse_week("2025-W53")
    for bad in ("2026-W00", "2026-W54"):
        with pytest.raises(rules.BulletinError, match="There is no week"):
            rules.parse_week(bad)
    with pytest.raises(rules.BulletinError, match="e.g. 2026-W47"):
        rules.parse_week("next week")


async def test_a_week_not_over_or_a_community_that_does_not_exist_is_refused(area):
    with pytest.raises(rules.BulletinError, match="not over yet"):
        await rules.compile_week(WEEK, now=local(22, 23))
    with pytest.raises(rules.BulletinError, match="no such community"):
        await rules.compile_week(WEEK, [999_999], now=DUE)
    assert await Bulletin.count().run() == 0


async def test_the_job_compiles_at_monday_six_in_each_communitys_zone(area, make_user):
    """Shanghai (no daylight saving) and London: each compiles at its own 06:00."""
    await age_communities(area.community_id, area.other_community_id, area.other_station_community_id)
    await Community.update({Community.timezone: "Europe/London"}).where(Community.id == area.other_station_community_id).run()
    before_shanghai = DUE - dt.timedelta(minutes=1)
    assert await rules.compile_due(before_shanghai, 1) == 8  # W46 only: three communities, two stations, two districts, the city
    assert rules.community_key(area.community_id) not in await keys()
    officer = await make_user("officer")
    assert await rules.compile_due(DUE, 1) == 5  # two communities, their station and district, and the city (Shanghai's by majority), W47
    # The community's officer is told once that the draft waits.
    notes = await Notification.select(Notification.subject, Notification.link).where(Notification.user == officer).run()
    mine = (await Bulletin.select(Bulletin.id).where((Bulletin.scope_key == rules.community_key(area.community_id)) & (Bulletin.week == WEEK)).first().run())["id"]
    assert notes == [{"subject": "The bulletin of 2026-W47 is ready to check and publish", "link": f"/bulletins/{mine}"}]
    assert await keys() == sorted([
        rules.community_key(area.community_id), rules.community_key(area.other_community_id), rules.station_key(area.station_id),
        rules.unit_key("district", area.district_id), rules.unit_key("city", area.city_id),
    ])
    london_six = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Europe/London"))
    assert await rules.compile_due(london_six - dt.timedelta(minutes=1), 1) == 0
    assert await rules.compile_due(london_six, 1) == 3  # community c, its station and its district
    assert rules.community_key(area.other_station_community_id) in await keys()
    # London in summer time: Monday 06:00 BST is 05:00 UTC.
    summer = dt.datetime(2026, 6, 1, 6, 0, tzinfo=ZoneInfo("Europe/London"))
    assert rules.last_due_monday(summer - dt.timedelta(seconds=1), "Europe/London") == dt.date(2026, 5, 18)
    assert rules.last_due_monday(summer, "Europe/London") == dt.date(2026, 5, 25)
    assert summer.astimezone(UTC).hour == 5


def test_a_stations_zone_is_the_one_most_of_its_communities_use_then_its_oldest():
    shanghai, london = "Asia/Shanghai", "Europe/London"
    assert C.station_zone([{"id": 1, "timezone": shanghai}, {"id": 2, "timezone": london}, {"id": 3, "timezone": london}]) == london
    assert C.station_zone([{"id": 2, "timezone": shanghai}, {"id": 1, "timezone": london}]) == london  # a tie: the oldest community's
    assert C.station_zone([{"id": 1, "timezone": shanghai}, {"id": 2, "timezone": london}]) == shanghai
    assert C.station_zone([{"id": 1, "timezone": ""}]) == shanghai


async def test_a_station_whose_communities_are_in_two_zones_rolls_up_one_week(area):
    """Station 1: community a in Shanghai, b and d in London. Its roll-up counts the week
    of London (most of its communities) for all three and is compiled at Monday 06:00 in
    London; a's own bulletin keeps Shanghai's week. Station 2 (c, Shanghai) is as before."""
    a, b, c = area.community_id, area.other_community_id, area.other_station_community_id
    london = ZoneInfo("Europe/London")
    d = (await Community.insert(Community(station=area.station_id, code="d", name_zh="社区d", name_en="Community D", timezone="Europe/London", created_at=local(1, 8)))
         .returning(Community.id).run())[0]["id"]
    await Community.update({Community.timezone: "Europe/London"}).where(Community.id == b).run()
    await age_communities(a, b, c, d)
    await log(a, "patrol", local(16, 3), minutes=60)  # Sunday 15 Nov 19:00 in London: a's W47, the station's W46
    await log(a, "patrol", local(18, 10), minutes=60)  # W47 everywhere
    await log(a, "patrol", local(23, 7), minutes=60)  # Sunday 22 Nov 23:00 in London: a's W48, the station's W47
    await log(b, "patrol", dt.datetime(2026, 11, 22, 23, 30, tzinfo=london).astimezone(UTC), minutes=60)  # b's W47 and the station's

    # Monday 06:00 in Shanghai: a's and station 2's W47; in London it is still Sunday, so
    # b, d and station 1 get W46 (the last week due there).
    # The city (a and c in Shanghai, b and d in London: a tie) takes its oldest community's
    # zone, Shanghai; district 1 is station 1's London, district 2 station 2's Shanghai.
    assert await rules.compile_due(DUE, 1) == 9
    assert await keys() == sorted([
        rules.community_key(a), rules.community_key(c), rules.station_key(area.other_station_id),
        rules.unit_key("district", area.other_district_id), rules.unit_key("city", area.city_id),
    ])
    w46 = await figures_for(rules.station_key(area.station_id), "2026-W46")
    assert w46["timezone"] == "Europe/London" and count(w46, "patrols")["this"] == 1  # a's Monday 03:00 in Shanghai

    london_six = dt.datetime(2026, 11, 23, 6, 0, tzinfo=london)
    assert await rules.compile_due(london_six - dt.timedelta(minutes=1), 1) == 0
    assert await rules.compile_due(london_six, 1) == 4  # b, d, station 1 and its district
    station = await figures_for(rules.station_key(area.station_id))
    assert (station["timezone"], station["starts_on"], station["ends_on"]) == ("Europe/London", "2026-11-16", "2026-11-22")
    assert count(station, "patrols")["this"] == 3
    assert {p["code"]: p["counts"]["patrols"] for p in station["communities"]} == {"a": 2, "b": 1, "d": 0}
    # District 1 is station 1 alone: the same week, the same sums, one row for the station.
    district = await figures_for(rules.unit_key("district", area.district_id))
    assert (district["scope"], district["timezone"], district["counts"]) == ("district", "Europe/London", station["counts"])
    assert {p["code"]: p["counts"]["patrols"] for p in district["communities"]} == {"chengzhong": 3}
    # The city's week is Shanghai's: a's two patrols of that week (b's falls on Monday
    # morning there), split by district.
    city = await figures_for(rules.unit_key("city", area.city_id))
    assert (city["scope"], city["timezone"], count(city, "patrols")["this"]) == ("city", "Asia/Shanghai", 2)
    assert {p["code"]: p["counts"]["patrols"] for p in city["communities"]} == {"district-1": 2, "district-2": 0}
    own = await figures_for(rules.community_key(a))
    assert own["timezone"] == "Asia/Shanghai" and count(own, "patrols")["this"] == 2
    assert (await figures_for(rules.station_key(area.other_station_id)))["timezone"] == "Asia/Shanghai"
    # London's trend crosses the end of summer time (25 October): a report in the last
    # hour of the week is still that week's.
    own_b = await figures_for(rules.community_key(b))
    assert own_b["timezone"] == "Europe/London" and count(own_b, "patrols")["trend"][-2:] == [0, 1]

    # A correction of the roll-up is compiled for the same week.
    rolled = (await Bulletin.select(Bulletin.id).where((Bulletin.scope_key == rules.station_key(area.station_id)) & (Bulletin.week == WEEK)).first().run())["id"]
    await rules.publish(None, rolled)
    corrected = await rules.get(await rules.start_correction(None, rolled))
    assert corrected["figures"]["timezone"] == "Europe/London" and count(corrected["figures"], "patrols")["this"] == 3


async def test_a_tie_of_zones_rolls_up_in_the_oldest_communitys_zone(area):
    """Station 1: a in Shanghai, b in London: the roll-up's week is Shanghai's (a is the
    older), compiled with a's at Monday 06:00 there, b's reports counted in that window."""
    a, b = area.community_id, area.other_community_id
    await Community.update({Community.timezone: "Europe/London"}).where(Community.id == b).run()
    await age_communities(a, b, area.other_station_community_id)
    await log(b, "patrol", local(22, 20), minutes=60)  # Sunday 20:00 in Shanghai, 12:00 in London
    await log(b, "patrol", local(23, 2), minutes=60)  # Monday 02:00 in Shanghai, Sunday 18:00 in London: not in Shanghai's week
    await rules.compile_due(DUE, 1)
    assert rules.station_key(area.station_id) in await keys() and rules.community_key(b) not in await keys()
    station = await figures_for(rules.station_key(area.station_id))
    assert station["timezone"] == "Asia/Shanghai" and count(station, "patrols")["this"] == 1


async def test_several_schedulers_compile_each_community_and_week_exactly_once(area, settings):
    await age_communities(area.community_id, area.other_community_id, area.other_station_community_id)
    settings = dataclasses.replace(settings, bulletin_catch_up_weeks=2)
    schedulers = [JobScheduler(settings, [JOBS[0]]) for _ in range(4)]
    # Four schedulers at slightly different moments of the same minute, and two direct
    # calls that skip the job's claim: only the per-week unique index stands between them.
    await asyncio.gather(
        *(s.run_due(DUE + dt.timedelta(seconds=n)) for n, s in enumerate(schedulers)),
        rules.compile_due(DUE, 2), rules.compile_due(DUE + dt.timedelta(minutes=30), 2),
    )
    rows = await Bulletin.select(Bulletin.scope_key, Bulletin.week, Bulletin.version).run()
    # Shanghai (a, b, station, district, city) × W46, W47; London (c, station, district) × W45, W46
    assert len(rows) == len({(r["scope_key"], r["week"]) for r in rows}) == 16
    assert all(r["version"] == 1 for r in rows)
    assert await AuditEntry.count().where(AuditEntry.action == "bulletin.compiled").run() == 16


async def test_weeks_missed_while_down_are_caught_up_within_the_limit(area):
    await age_communities(area.community_id, area.other_community_id, area.other_station_community_id)
    three_weeks_later = DUE + dt.timedelta(weeks=3, hours=2)
    made = await rules.compile_due(three_weeks_later, 4)
    weeks = sorted({r["week"] for r in await Bulletin.select(Bulletin.week).run()})
    assert weeks == ["2026-W47", "2026-W48", "2026-W49", "2026-W50"]
    assert made == 4 * 8  # three communities, two stations, two districts, one city
    assert await rules.compile_due(three_weeks_later + dt.timedelta(minutes=10), 4) == 0
    # A community does not get weeks from before it existed.
    await Community.update({Community.created_at: local(25, 12)}).where(Community.id == area.community_id).run()
    await Bulletin.delete().where(Bulletin.scope_key == rules.community_key(area.community_id)).run()
    await rules.compile_due(three_weeks_later, 4)
    rows = await Bulletin.select(Bulletin.week).where(Bulletin.scope_key == rules.community_key(area.community_id)).order_by(Bulletin.week).run()
    assert [r["week"] for r in rows] == ["2026-W48", "2026-W49", "2026-W50"]


async def test_every_section_against_the_hand_made_week(area, make_volunteer, make_user):
    made = await build_week(area, make_volunteer)
    await make_user("officer", real_name="王莉", phone="13700000000")
    await seed_tips()
    result = await rules.compile_week(WEEK, now=DUE)
    assert result.communities == 3 and len(result.created) == 3 + 2 + 2 + 1
    f = await figures_for(rules.community_key(area.community_id))

    patrols = count(f, "patrols")
    assert (patrols["this"], patrols["last"], patrols["avg4"]) == (3, 1, 1.0)  # (1 + 0 + 2 + 1) / 4
    assert patrols["trend"] == [0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 3]
    assert count(f, "patrol_hours")["this"] == 3.0
    assert count(f, "hazards_found")["this"] == 7 and count(f, "hazards_found")["avg4"] == 0.5  # the two of three weeks ago
    assert count(f, "hazards_fixed")["this"] == 2 and count(f, "hazards_verified")["this"] == 1
    assert count(f, "help_given")["this"] == 2 and count(f, "people_helped")["this"] == 5
    assert count(f, "mediations")["this"] == 1 and count(f, "mediations_resolved")["this"] == 1
    assert count(f, "ledger_filed")["this"] == 2 and count(f, "ledger_closed")["this"] == 2
    fire = next(c for c in f["categories"] if (c["metric"], c["category"]) == ("hazard", "fire_exit"))
    assert (fire["this"], fire["last"], fire["avg4"]) == (4, 0, 0.0)

    # Hot spots: the pharmacy (4 hazards) and the market (1 hazard + 2 help = 3, each under 3
    # so not shown); building 2 with 2 hazards is left out.
    assert f["hotspots"] == [
        {"name_zh": "陈记药房", "name_en": "陈记药房 EN", "total": 4, "hazards": 4, "help": None},
        {"name_zh": "东门菜市场", "name_en": "East Gate Market", "total": 3, "hazards": None, "help": None},
    ]

    ledger = f["ledger"]
    assert ledger["open"] == {"age_0_2": 1, "age_3_7": 0, "age_8_30": 0, "age_30": 0} and ledger["overdue"] == 1
    assert ledger["closed"] == 2 and ledger["satisfied"] == 1 and ledger["median_close_days"] == 6.0  # (8 + 4) / 2
    assert [s["summary"] for s in ledger["you_said"]] == ["东门路灯已修好"]

    # Fire exits rose: a fire tip, and one anti-fraud tip as always.
    assert [t["category"] for t in f["tips"] if t["rising"]][:1] == ["fire"]
    assert [t["category"] for t in f["tips"] if not t["rising"]] == ["fraud"]

    cover = f["coverage"]
    assert (cover["filled"], cover["unfilled"]) == (1, 1)
    assert cover["routes"] == [{"name": "东街巡逻", "name_en": "", "hours": 4.0}]
    # Patrols on Monday and Wednesday evenings (logs) and Tuesday (the shift); Friday's was a morning.
    assert cover["gaps"] == ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]

    assert [p["name_zh"] for p in f["watchpoints"]["new"]] == ["陈记药房"]
    assert [p["name_zh"] for p in f["watchpoints"]["hours_changed"]] == ["平安超市"]
    assert f["thanks"] == [{"name": "王小明", "hours": 2.0}]  # the other did not agree to be named
    assert [(s["shift"], s["missing"]) for s in f["coming_up"]] == [(made["coming"], 3)]
    assert f["contacts"]["officers"] == [{"name": "王莉", "phone": "13700000000"}]

    station_figures = await figures_for(rules.station_key(area.station_id))
    assert count(station_figures, "patrols")["this"] == 4  # 3 in a, 1 in b
    assert station_figures["ledger"]["median_close_days"] == 6.0

    everything = json.dumps([rules.figures_of(r) for r in await Bulletin.select(Bulletin.figures).run()], ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in everything


async def test_small_counts_are_never_stored(area, make_volunteer):
    """Two hazards at a place: the place is not a hot spot and its count is nowhere."""
    await age_communities(area.community_id)
    shop = await point(area.community_id, "小卖部")

    for day in (17, 18):
        await log(area.community_id, "hazard", local(day, 9), category="gas", watch_point=shop)
    await rules.compile_week(WEEK, [area.community_id], now=DUE)
    figures = await figures_for(rules.community_key(area.community_id))
    assert figures["hotspots"] == []
    assert "小卖部" not in json.dumps(figures, ensure_ascii=False)


DOORS = ("幸福路12号", "幸福路15号3单元", "幸福路 8 号", "12 Xingfu Road", "Xingfu Road 3", "Room 301, No. 5 xingfu road", "幸福路20号")


async def test_logs_at_addresses_are_hot_spots_by_their_street_from_three(area):
    """Logs at neither a watch point nor a landmark count at the generalised place of
    their address: three doors of one street are one hot spot; two are not shown; the
    doors themselves are never compiled."""
    a = area.community_id
    await age_communities(a)
    shop = await point(a, "小卖部")
    await log(a, "hazard", local(16, 9), category="gas", address="幸福路12号")
    await log(a, "hazard", local(17, 9), category="gas", address="幸福路15号3单元")
    await log(a, "help", local(18, 9), category="directions", address="幸福路 8 号")
    await log(a, "hazard", local(18, 10), category="gas", address="幸福路20号", watch_point=shop)  # counted at the shop, not the street
    await log(a, "hazard", local(18, 11), category="gas", address="幸福路21号", status="submitted")  # not reviewed
    await log(a, "hazard", week_ago(local(18, 9), 1), category="gas", address="幸福路22号")  # last week
    await log(a, "hazard", local(19, 9), category="gas", address="12 Xingfu Road")
    await log(a, "help", local(20, 9), category="directions", address="Xingfu Road 3")
    await log(a, "patrol", local(20, 19), address="幸福路30号")  # patrols are not hot spots
    await log(area.other_community_id, "hazard", local(20, 9), category="gas", address="Xingfu Rd 9")  # another community
    await rules.compile_week(WEEK, [a], now=DUE)
    figures = await figures_for(rules.community_key(a))
    assert figures["hotspots"] == [{"name_zh": "幸福路", "name_en": "幸福路", "total": 3, "hazards": None, "help": None}]
    text = json.dumps(figures, ensure_ascii=False)
    assert "Xingfu" not in text  # two reports: not shown
    for door in DOORS + ("幸福路21号", "幸福路22号", "Xingfu Rd 9", "号"):
        assert door not in text

    # A third report in the same street written another way makes it a hot spot.
    await log(a, "hazard", local(21, 9), category="gas", address="Room 301, No. 5 xingfu road")
    await rules.compile_week(WEEK, [a], now=DUE, refresh_drafts=True)
    spots = (await figures_for(rules.community_key(a)))["hotspots"]
    assert {"name_zh": "Xingfu Road", "name_en": "Xingfu Road", "total": 3, "hazards": None, "help": None} in spots
    assert sorted(s["name_zh"] for s in spots) == ["Xingfu Road", "幸福路"]


async def test_a_compile_failing_half_way_leaves_no_half_bulletin(area, make_volunteer, monkeypatch):
    await build_week(area, make_volunteer)

    async def broken(*args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(C, "thanks", broken)
    with pytest.raises(RuntimeError):
        await rules.compile_week(WEEK, now=DUE)
    assert await Bulletin.count().run() == 0
    monkeypatch.undo()

    # The audit row of the station's bulletin fails: its bulletin row goes with it.
    real = rules.record_many

    async def failing_record(entries):
        if any(after.get("scope", "").startswith("s") for _, _, _, after in entries):
            raise RuntimeError("audit failed")
        await real(entries)

    monkeypatch.setattr(rules, "record_many", failing_record)
    with pytest.raises(RuntimeError):
        await rules.compile_week(WEEK, now=DUE)
    assert await keys() == sorted([rules.community_key(area.community_id), rules.community_key(area.other_community_id), rules.community_key(area.other_station_community_id)])
    monkeypatch.undo()
    result = await rules.compile_week(WEEK, now=DUE)  # a second run completes the week
    assert len(result.created) == 2 + 2 + 1 and result.existing == 3  # the roll-ups: stations, districts, city


async def test_draft_publish_immutable_and_correction_as_a_new_version(area, make_volunteer):
    await age_communities(area.community_id, area.other_community_id, area.other_station_community_id)
    await rules.compile_week(WEEK, [area.community_id, area.other_community_id], now=DUE)
    draft = (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.community_key(area.community_id)).first().run())["id"]
    await rules.edit(None, draft, "本周平安", "A safe week", "感谢大家", "Thank you all")
    await rules.publish(None, draft)
    with pytest.raises(rules.BulletinError, match="cannot be changed"):
        await rules.edit(None, draft, "改", "changed", "", "")
    with pytest.raises(rules.BulletinError, match="already published"):
        await rules.publish(None, draft)
    # A hazard accepted late: the correction sees it, the published version does not change.
    await log(area.community_id, "hazard", local(18, 9), category="gas")
    second = await rules.start_correction(None, draft)
    assert second != draft and await rules.start_correction(None, draft) == second  # one draft at a time
    first_row, second_row = await rules.get(draft), await rules.get(second)
    assert count(first_row["figures"], "hazards_found")["this"] == 0
    assert count(second_row["figures"], "hazards_found")["this"] == 1
    assert second_row["version"] == 2 and second_row["headline_zh"] == "本周平安"
    assert (await rules.published(rules.community_key(area.community_id), WEEK))["id"] == draft
    await rules.publish(None, second)
    assert (await rules.published(rules.community_key(area.community_id), WEEK))["id"] == second
    assert (await rules.get(draft))["status"] == "superseded"
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_type == "bulletin").order_by(AuditEntry.id).run()]
    assert actions.count("bulletin.published") == 2 and "bulletin.edited" in actions and "bulletin.correction_started" in actions
    # Recompiling refreshes drafts only: the published week stays as it was.
    result = await rules.compile_week(WEEK, [area.community_id], now=DUE, refresh_drafts=True)
    assert result.refreshed == [] and result.existing == 1


async def test_may_manage_only_in_scope(area, make_user):
    from portal.accounts.rules import load_actor

    await age_communities(area.community_id, area.other_community_id)
    await rules.compile_week(WEEK, [area.community_id, area.other_community_id], now=DUE)
    mine = await rules.get((await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.community_key(area.community_id)).first().run())["id"])
    station = await rules.get((await Bulletin.select(Bulletin.id).where(Bulletin.scope == "station").first().run())["id"])
    officer = await load_actor(await make_user("officer"))
    other = await load_actor(await make_user("officer", community_id=area.other_community_id))
    head = await load_actor(await make_user("head"))
    assert rules.may_manage(officer, mine) and not rules.may_manage(other, mine)
    assert not rules.may_manage(officer, station) and rules.may_manage(head, station) and rules.may_manage(head, mine)
    page = await rules.managed_page(other)
    assert [r["id"] for r in page.rows] == [(await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.community_key(area.other_community_id)).first().run())["id"]]


def test_choose_tips_by_rising_categories_and_always_one_anti_fraud():
    library = [
        {"id": 1, "category": "fire", "text_zh": "火", "text_en": "fire", "always": False},
        {"id": 2, "category": "elderly", "text_zh": "老", "text_en": "old", "always": False},
        {"id": 3, "category": "fraud", "text_zh": "骗", "text_en": "fraud", "always": True},
    ]
    categories = [
        {"metric": "hazard", "category": "gas", "this": 3, "last": 0, "avg4": 1.0},
        {"metric": "help", "category": "lost_elderly", "this": 1, "last": 2, "avg4": 1.0},  # not above its average
    ]
    chosen = C.choose_tips(categories, library, 47)
    assert [(t["category"], t["rising"]) for t in chosen] == [("fire", True), ("fraud", False)]
    assert [t["category"] for t in C.choose_tips([], library, 47)] == ["fraud"]


async def test_mediations_by_outcome_with_last_week_and_the_four_week_average(area):
    """Each outcome is a line of the counts computed in SQL: this week, last week, the
    average of the four weeks before and the 12-week trend, counted by hand from
    ``MEDIATIONS``; logs not reviewed or duplicates are not counted; the station sums its
    communities. An outcome with nothing in the 12 weeks is not shown."""
    from portal.bulletins import render
    from tests.bulletin_data import build_mediations

    await build_mediations(area)
    await rules.compile_week(WEEK, now=DUE)
    f = await figures_for(rules.community_key(area.community_id))
    expected = {  # key: (this, last, 4-week average, trend)
        "mediations": (5, 2, 2.5, [0, 0, 0, 0, 0, 0, 1, 3, 2, 3, 2, 5]),
        "mediations_resolved": (2, 1, 1.0, [0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 1, 2]),
        "mediations_partly": (1, 0, 0.5, [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]),
        "mediations_referred_committee": (1, 0, 0.0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        "mediations_referred_court": (0, 1, 0.5, [0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0]),
        "mediations_police_case": (1, 0, 0.5, [0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1]),
    }
    for key, (this, last, avg4, trend) in expected.items():
        line = count(f, key)
        assert (line["this"], line["last"], line["avg4"], line["trend"]) == (this, last, avg4, trend), key
    assert [c["key"] for c in f["counts"]][5:11] == list(expected)  # in order, after the other mediation line

    station = await figures_for(rules.station_key(area.station_id))
    assert count(station, "mediations_resolved")["this"] == 3 and count(station, "mediations")["this"] == 6
    assert count(station, "mediations_referred_court")["avg4"] == 0.5

    # b had one resolved mediation: only that outcome is shown, named as the logs name it.
    b = {"id": 1, "version": 1, "figures": await figures_for(rules.community_key(area.other_community_id))}
    labels = [c["label"] for c in render.sections(b)["counts"]]
    assert labels == ["Mediations", "Mediations · Resolved"]
    mine = render.sections({"id": 2, "version": 1, "figures": f})["counts"]
    court = next(c for c in mine if c["label"] == "Mediations · Referred to court")
    assert (court["this"], court["vs_last"]["text"], court["vs_avg"]["text"]) == ("0", "−1", "−0.5")


async def test_the_station_roll_up_lists_each_communitys_evenings_without_a_patrol(area):
    """An evening is a gap for the station when one of its communities had no patrol
    then: the roll-up lists the gaps of each community, and a community with no patrol
    at all this week is there with every evening."""
    from portal.bulletins import render

    a, b = area.community_id, area.other_community_id
    await age_communities(a, b, area.other_station_community_id)
    await log(a, "patrol", local(16, 19), minutes=60, ended_at=local(16, 20))  # Monday evening
    await log(a, "patrol", local(18, 20), minutes=60, ended_at=local(18, 21))  # Wednesday evening
    await log(a, "patrol", local(20, 10), minutes=60, ended_at=local(20, 11))  # Friday morning: not an evening
    for day in range(16, 22):  # b: every evening but Sunday's
        await log(b, "patrol", local(day, 19), minutes=60, ended_at=local(day, 20))
    await log(b, "patrol", local(22, 19), minutes=60, ended_at=local(22, 20), status="submitted")  # not reviewed: still a gap
    await rules.compile_week(WEEK, [a, b], now=DUE)
    station = (await figures_for(rules.station_key(area.station_id)))["coverage"]
    assert station["gaps_by_community"] == [
        {"name_zh": "社区a", "name_en": "Community A", "code": "a", "gaps": ["2026-11-17", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]},
        {"name_zh": "社区b", "name_en": "Community B", "code": "b", "gaps": ["2026-11-22"]},
    ]
    assert station["gaps"] == ["2026-11-17", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]
    assert (await figures_for(rules.community_key(b)))["coverage"]["gaps"] == ["2026-11-22"]

    # A third community that patrolled not once: every evening is a gap there.
    d = (await Community.insert(Community(station=area.station_id, code="d", name_zh="社区d", name_en="Community D", created_at=local(1, 8)))
         .returning(Community.id).run())[0]["id"]
    await rules.compile_week(WEEK, [a, b, d], now=DUE, refresh_drafts=True)
    figures = await figures_for(rules.station_key(area.station_id))
    station = figures["coverage"]
    assert [(c["code"], len(c["gaps"])) for c in station["gaps_by_community"]] == [("a", 5), ("b", 1), ("d", 7)]
    assert station["gaps"] == [f"2026-11-{day}" for day in range(16, 23)]
    assert (station["filled"], station["unfilled"], station["routes"]) == (0, 0, [])

    view = render.sections({"id": 1, "version": 1, "figures": figures})["coverage"]
    assert view["gaps_by_community"] == [
        # Each evening as a day with its weekday ("Tue 17 Nov", with the year in another year).
        {"name": "Community A", "evenings": ", ".join(i18n.format_day(dt.date(2026, 11, day)) for day in (17, 19, 20, 21, 22))},
        {"name": "Community B", "evenings": i18n.format_day(dt.date(2026, 11, 22))},
        {"name": "Community D", "evenings": "every evening"},
    ]
