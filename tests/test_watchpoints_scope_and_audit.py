"""What a host may not do with their own point (verify, suspend or reinstate it, move it
to another community) or with someone else's (see its photo), every change a host makes
audited with what it was before and after, and the history an officer reads; tracking
codes that cannot be enumerated through the lookup form either."""

from __future__ import annotations

import json
import math

from portal.audit.tables import AuditEntry
from portal.public import rules as public
from portal.watchpoints.tables import WatchPoint, WatchPointVisit
from tests.conftest import post_form
from tests.test_public_routes import intake_form
from tests.test_watchpoints_routes import application, post_multipart
from tests.test_watchpoints_rules import image_bytes, make_point
from tests.unchanged import nothing_changes


def loaded(value):
    return json.loads(value) if isinstance(value, str) else value


async def test_a_host_cannot_verify_suspend_reinstate_or_move_their_own_point(client_for, make_user, area):
    host, host_id = await client_for("host")
    point_id, _ = await make_point(make_user, area, host_id=host_id, status="pending")
    async with nothing_changes((WatchPoint, point_id), also=(WatchPointVisit,)):
        assert (await post_form(host, f"/watchpoints/{point_id}/visits", {"visited_on": "2026-03-01", "outcome": "verified"})).status_code == 403
        assert (await post_form(host, f"/watchpoints/{point_id}/suspend", {"note": "x"})).status_code == 403
        assert (await post_form(host, f"/watchpoints/{point_id}/reinstate")).status_code == 403
    page = (await host.get(f"/watchpoints/{point_id}")).text
    assert "Record a visit" not in page and f'action="/watchpoints/{point_id}/suspend"' not in page
    async with nothing_changes((WatchPoint, point_id)):
        moved = await post_multipart(host, f"/watchpoints/{point_id}/edit", application(area.other_community_id))
        assert moved.status_code == 422
    row = await WatchPoint.select(WatchPoint.status, WatchPoint.community).first().run()
    assert row == {"status": "pending", "community": area.community_id}
    assert await WatchPointVisit.count().run() == 0


async def test_a_host_cannot_see_another_points_photo(client_for, area):
    owner, _ = await client_for("host")
    await post_multipart(owner, "/watchpoints/new", application(area.community_id), ("front.jpg", image_bytes(), "image/jpeg"))
    point_id = (await WatchPoint.select(WatchPoint.id).first().run())["id"]
    assert (await owner.get(f"/watchpoints/{point_id}/photo")).status_code == 200
    other, _ = await client_for("host")
    assert (await other.get(f"/watchpoints/{point_id}/photo")).status_code == 403
    # Nor on the public page before an officer verified the point.
    slug = (await WatchPoint.select(WatchPoint.slug).first().run())["slug"]
    assert (await other.get(f"/p/{slug}/photo")).status_code == 404


async def test_every_change_by_a_host_is_audited_with_before_and_after(client_for, make_user, area):
    host, host_id = await client_for("host")
    point_id, _ = await make_point(make_user, area, host_id=host_id, status="pending")
    await post_multipart(host, f"/watchpoints/{point_id}/edit", application(area.community_id, name_zh="改过的名字"))
    await post_form(host, f"/watchpoints/{point_id}/hours", {f"mode_{d}": "24h" for d in range(7)} | {"closed_dates": "2027-02-17"})
    await post_form(host, f"/watchpoints/{point_id}/closed-today", {"closed": "1", "confirm": "yes"})
    await post_form(host, f"/watchpoints/{point_id}/closed-today", {"closed": "0"})
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.actor, AuditEntry.before, AuditEntry.after).where(
        (AuditEntry.object_type == "watchpoint") & (AuditEntry.object_id == str(point_id))
    ).order_by(AuditEntry.id).run()
    assert [r["action"] for r in rows] == ["watchpoint.applied", "watchpoint.updated", "watchpoint.hours", "watchpoint.closed_today", "watchpoint.reopened_today"]
    assert {r["actor"] for r in rows} == {host_id}
    updated, hours, closed, reopened = rows[1:]
    assert loaded(updated["before"])["name_zh"] == "陈记药房" and loaded(updated["after"])["name_zh"] == "改过的名字"
    assert '"24h"' in loaded(hours["after"])["hours"] and loaded(hours["after"])["holidays"] == '["2027-02-17"]'
    assert '"24h"' not in loaded(hours["before"])["hours"]
    assert loaded(closed["before"])["closed_today_on"] is None and loaded(closed["after"])["closed_today_on"]
    assert loaded(reopened["after"])["closed_today_on"] is None
    officer, _ = await client_for("officer")
    history = (await officer.get(f"/watchpoints/{point_id}")).text
    for label in ("Applied", "Details changed", "Hours changed", "Marked closed today", "Open again today"):
        assert label in history, label


def test_the_tracking_code_space_is_far_beyond_guessing():
    """12 characters from 31 (no 0/O, 1/I/L): more than 2^59 codes."""
    assert len(set(public.CODE_ALPHABET)) == 31 and public.CODE_LENGTH == 12
    assert math.log2(len(public.CODE_ALPHABET) ** public.CODE_LENGTH) > 59


async def test_guessing_through_the_lookup_form_counts_too_and_then_even_a_real_code_waits(client, area, monkeypatch):
    import time

    monkeypatch.setattr(public, "TRACK_FREE_MISSES", 3)
    monkeypatch.setattr(public, "TRACK_FIRST_DELAY", 0.2)
    sent = await post_form(client, "/c/a/ask/suggestion", intake_form())
    real = sent.headers["location"].split("/track/")[1].split("?")[0]
    statuses = []
    for guess in ("AAAA-BBBB-CCCC", "not a code", public.new_tracking_code()):
        statuses.append((await client.get("/track", params={"code": guess})).status_code)
    assert statuses == [404, 404, 404]
    # Slowed now: a real code, typed or in the path, is shown, after the same wait as a miss.
    for lookup in (lambda: client.get(f"/track/{real}"), lambda: client.get("/track", params={"code": real}, follow_redirects=True)):
        started = time.monotonic()
        assert (await lookup()).status_code == 200
        assert time.monotonic() - started >= 0.2
