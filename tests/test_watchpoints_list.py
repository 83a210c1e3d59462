"""The officers' list of watch points a page at a time: keyset pages that together give
the whole list in order (never verified first, then the stalest verification, ties by
id), links that keep the filters and work without JavaScript, malformed cursors, and
the index that serves the filter and the order."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from portal.accounts.rules import load_actor
from portal.watchpoints import rules
from portal.watchpoints.tables import WatchPoint
from tests.test_watchpoints_rules import make_point

UTC = dt.timezone.utc


async def seven_points(make_user, area) -> list[int]:
    """Three never verified and four verified (two at the same instant), in list order."""
    never = [(await make_point(make_user, area, name=f"未验{i}", status="pending"))[0] for i in range(3)]
    verified = [(await make_point(make_user, area, name=f"已验{i}"))[0] for i in range(4)]
    moments = [dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2025, 5, 1, 8, 30, 0, 123456, tzinfo=UTC), dt.datetime(2025, 5, 1, 8, 30, 0, 123456, tzinfo=UTC), dt.datetime(2026, 1, 1, tzinfo=UTC)]
    for point_id, moment in zip(verified, moments):
        await WatchPoint.update({WatchPoint.verified_at: moment}).where(WatchPoint.id == point_id).run()
    return never + [verified[1], verified[2], verified[3], verified[0]]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 50])
async def test_pages_together_give_the_whole_list_in_order(make_user, area, size):
    expected = await seven_points(make_user, area)
    await make_point(make_user, area, name="别社区", community_id=area.other_community_id)
    officer = await load_actor(await make_user("officer"))
    seen, after, pages = [], None, 0
    while True:
        page = await rules.points_to_oversee(officer, after=after, size=size)
        assert len(page.rows) <= size
        seen += [p["id"] for p in page.rows]
        pages += 1
        if not page.next_after:
            break
        after = page.next_after
    assert seen == expected
    assert pages == max(1, -(-len(expected) // size))


async def test_status_and_community_filters_apply_on_every_page(make_user, area):
    expected = await seven_points(make_user, area)
    officer = await load_actor(await make_user("officer"))
    first = await rules.points_to_oversee(officer, status="verified", size=2)
    second = await rules.points_to_oversee(officer, status="verified", after=first.next_after, size=2)
    assert [p["id"] for p in first.rows + second.rows] == expected[3:] and second.next_after is None
    pending = await rules.points_to_oversee(officer, community_id=area.community_id, status="pending", size=10)
    assert [p["id"] for p in pending.rows] == expected[:3]
    assert (await rules.points_to_oversee(officer, community_id=area.other_community_id)).rows == []


@pytest.mark.parametrize("cursor", ["", "n", "n.x", "v.1", "v.x.1", "v.99999999999999999999999.1", "z.1.2", "n.1.2.3", "WyJ4IiwyXQ", "W251bGwsIngiXQ"])
def test_malformed_cursors_mean_the_first_page(cursor):
    from portal.web.sorting import decode_cursor

    assert decode_cursor(WatchPoint.verified_at, cursor) is None


async def test_next_links_keep_the_filters_and_walk_the_list_without_javascript(client_for, make_user, area, monkeypatch):
    monkeypatch.setattr(rules, "LIST_PAGE_SIZE", 2)
    expected = await seven_points(make_user, area)
    names = {p["id"]: p["name_zh"] for p in await WatchPoint.select(WatchPoint.id, WatchPoint.name_zh).run()}
    officer, _ = await client_for("officer")
    url, seen = f"/watchpoints?community={area.community_id}&status=verified", []
    while url:
        page = await officer.get(url)
        assert page.status_code == 200 and "<script" not in page.text.split("</head>")[1].split("</main>")[0]
        seen += re.findall(r'<a href="/watchpoints/\d+">([^<]+)</a>', page.text)
        found = re.search(r'<a class="button" rel="next" href="([^"]+)"', page.text)
        url = unescape(found.group(1)) if found else None
        if url:
            assert f"community={area.community_id}" in url and "status=verified" in url and "after=" in url
    assert seen == [names[i] for i in expected[3:]]
    # A link that was tampered with shows the first page, not an error.
    assert (await officer.get("/watchpoints?after=v.nonsense")).status_code == 200
    assert (await officer.get("/watchpoints?status=deleted")).status_code == 400


async def test_the_list_query_uses_the_index_for_its_filter_and_order(make_user, area, engine_name):
    """The page query filters by community and orders by (verified_at, id) straight from
    the index: no full scan, no sort of the whole table."""
    await seven_points(make_user, area)
    where = (WatchPoint.community == area.community_id) & WatchPoint.verified_at.is_not_null()
    query = WatchPoint.select(WatchPoint.id).where(where).order_by(WatchPoint.verified_at).order_by(WatchPoint.id).limit(51)
    if engine_name == "sqlite":
        plan = " ".join(str(row) for row in await WatchPoint.raw(f"EXPLAIN QUERY PLAN {query}").run())
        assert "watch_point_community_verified_id" in plan and "TEMP B-TREE" not in plan, plan
    else:
        from portal.db import engine

        async with engine().transaction():
            await WatchPoint.raw("SET LOCAL enable_seqscan = off").run()
            plan = " ".join(str(row) for row in await WatchPoint.raw(f"EXPLAIN {query}").run())
        assert "watch_point_community_verified_id" in plan and "Sort" not in plan, plan
