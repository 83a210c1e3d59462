"""The overview's kept counts (portal.overview.snapshots): a slow count is kept and shown
with its time until it is 20 minutes old or the head asks to count again; quick counts are
never kept; each area and period has its own; the scheduler counts the district and city
heads' month before theirs runs out, each area once, and drops day-old counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.accounts.rules import now
from portal.overview import jobs, snapshots
from portal.overview.tables import OverviewSnapshot
from tests.test_overview import OCTOBER, figures_sheet, local, log


async def patrols(client, query: str = OCTOBER) -> float:
    response = await client.get(f"/overview/export.xlsx?{query}")
    assert response.status_code == 200
    return figures_sheet(response.content)[1]["Patrols"][-1]


@pytest.fixture
def every_count_slow(monkeypatch):
    monkeypatch.setattr(snapshots, "SLOW", 0.0)


async def test_a_slow_count_is_kept_until_it_is_old_or_counted_again(area, client_for, every_count_slow):
    client, _ = await client_for("district_head")
    await log(area.community_id, "patrol", local(5), minutes=60)
    assert await patrols(client) == 1
    await log(area.community_id, "patrol", local(6), minutes=60)
    assert await patrols(client) == 1  # the kept count
    page = (await client.get(f"/overview?{OCTOBER}")).text
    assert 'id="counted-at"' in page and "Counted at " in page
    recount = re.search(r'<a class="no-print" href="([^"]+)">Count again now</a>', page).group(1).replace("&amp;", "&")
    assert recount.startswith("/overview/?") and set(recount.split("?")[1].split("&")) == {"preset=month", "at=2026-10-15", "fresh=1"}

    recounted = (await client.get(f"/overview/?{OCTOBER}&fresh=1")).text
    assert 'id="counted-at"' not in recounted  # counted for this page
    assert await patrols(client) == 2  # and kept for the next

    await log(area.community_id, "patrol", local(7), minutes=60)
    await OverviewSnapshot.update({OverviewSnapshot.counted_at: now() - snapshots.KEPT_FOR - dt.timedelta(seconds=1)}, force=True).run()
    assert await patrols(client) == 3


async def test_quick_counts_are_never_kept(area, client_for, monkeypatch):
    monkeypatch.setattr(snapshots, "SLOW", 60.0)  # however slow the machine running the test
    client, _ = await client_for("district_head")
    await log(area.community_id, "patrol", local(5), minutes=60)
    assert await patrols(client) == 1
    await log(area.community_id, "patrol", local(6), minutes=60)
    assert await patrols(client) == 2
    assert 'id="counted-at"' not in (await client.get(f"/overview?{OCTOBER}")).text
    assert await OverviewSnapshot.count().run() == 0


async def test_each_area_and_period_has_its_own_kept_count(area, client_for, every_count_slow):
    await log(area.community_id, "patrol", local(5), minutes=60)
    await log(area.other_station_community_id, "patrol", local(5), minutes=60)
    await log(area.other_station_community_id, "patrol", local(6), minutes=60)
    first, _ = await client_for("district_head")
    other, _ = await client_for("district_head", district_id=area.other_district_id)
    city, _ = await client_for("city_head")
    station, _ = await client_for("head")
    assert [await patrols(c) for c in (first, other, city, station)] == [1, 2, 3, 1]
    assert await patrols(first, "preset=month&at=2026-09-15") == 0
    # A second head of the first district shares its count.
    second, _ = await client_for("district_head")
    await log(area.community_id, "patrol", local(7), minutes=60)
    assert await patrols(second) == 1
    assert await OverviewSnapshot.count().run() == 5


async def test_the_scheduler_counts_each_heads_month_once_and_drops_old_counts(area, make_user, settings, every_count_slow):
    await make_user("district_head")
    await make_user("district_head")  # the same district: one count
    await make_user("district_head", district_id=area.other_district_id)
    await make_user("city_head")
    await make_user("head")  # a station head: counted when read
    stale = snapshots.Counted(snapshots.Figures([]), [], {})
    await snapshots.keep("x" * 64, stale, now() - dt.timedelta(days=2), 5.0)

    moment = now()
    assert await jobs.warm(moment, settings) == 3
    assert await OverviewSnapshot.count().run() == 3  # the day-old count dropped
    assert await jobs.warm(moment + dt.timedelta(minutes=5), settings) == 0  # still recent
    assert await jobs.warm(moment + snapshots.WARM_AFTER + dt.timedelta(minutes=1), settings) == 3
    assert await OverviewSnapshot.count().run() == 3
