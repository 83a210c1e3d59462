"""Watch point pages over HTTP: applying (with a photo), bad input, who may edit,
closed today in one tap, visits, suspension, and contact boards whose QR code
(decoded from the very SVG that is served) opens the point's public page."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
import zxingcpp
from PIL import Image

from portal.audit.tables import AuditEntry
from portal.uploads import storage_for
from portal.watchpoints.tables import WatchPoint, WatchPointVisit
from tests.conftest import csrf_token, ensure_csrf, field_error, htmx_post, post_form
from tests.test_watchpoints_rules import image_bytes, make_point
from tests.unchanged import nothing_changes


def application(community_id: int, **overrides) -> dict:
    form = {
        "idempotency_key": str(uuid.uuid4()),
        "name_zh": "陈记药房",
        "name_en": "Chen's Pharmacy",
        "kind": "pharmacy",
        "community": str(community_id),
        "address": "西关大街 18 号",
        "latitude": "36.6171",
        "longitude": "101.7662",
        "phone": "0971-1234567",
        "capabilities": ["phone", "aed", "english"],
        "closed_dates": "2027-02-17\n2027-02-18",
    }
    for day in range(7):
        form.update({f"mode_{day}": "open", f"opens_{day}": "08:00", f"closes_{day}": "22:00"})
    form.update(overrides)
    return form


async def post_multipart(client, url, data: dict, photo: tuple[str, bytes, str] | None = None):
    token = await ensure_csrf(client)
    files = {"photo": photo} if photo else {"photo": ("", b"", "application/octet-stream")}
    return await client.post(url, data={**data, "_csrf_token": token}, files=files, follow_redirects=False)


def svg_to_image(svg: str, cell: int = 8) -> Image.Image:
    """Rasterise segno's inline SVG (one path of horizontal strokes) to a PNG-like image."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    path = re.search(r'class="qrline"[^>]*\sd="([^"]+)"', svg).group(1)
    image = Image.new("L", (size * cell, size * cell), 255)
    x = y = 0.0
    for command, numbers in re.findall(r"([Mmh])([-\d.\s]+)", path):
        values = [float(v) for v in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            row = int(y)
            for column in range(int(x), int(x + values[0])):
                image.paste(0, (column * cell, row * cell, (column + 1) * cell, (row + 1) * cell))
            x += values[0]
    return image


def stored_files(settings, prefix: str = "watchpoints") -> set[str]:
    """The files under a prefix of the upload storage (photos written and not removed)."""
    root = settings.upload_path / prefix
    return {str(p.relative_to(root)) for p in root.rglob("*.jpg")} if root.exists() else set()


async def test_host_applies_with_a_photo_and_sees_the_pending_point(client_for, area, settings):
    host, host_id = await client_for("host")
    response = await post_multipart(host, "/watchpoints/new", application(area.community_id), ("front.jpg", image_bytes(), "image/jpeg"))
    assert response.status_code == 303, response.text
    point = await WatchPoint.select().first().run()
    assert response.headers["location"] == f"/watchpoints/{point['id']}?applied=1"
    assert (point["host"], point["status"], point["capabilities"], point["has_photo"]) == (host_id, "pending", "phone,aed,english", True)
    stored = await storage_for(settings).get(point["photo_key"])
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    with Image.open(io.BytesIO(await storage_for(settings).get(point["photo_thumb_key"]))) as thumb:
        assert max(thumb.size) <= 320
    page = await host.get(response.headers["location"])
    assert "Waiting for an officer" in page.text and 'id="field-log"' in page.text
    photo = await host.get(f"/watchpoints/{point['id']}/photo")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"


async def test_repeat_of_the_application_form_creates_one_point(client_for, area):
    host, _ = await client_for("host")
    form = application(area.community_id)
    for _ in range(2):
        assert (await post_multipart(host, "/watchpoints/new", form)).status_code == 303
    assert await WatchPoint.count().run() == 1


@pytest.mark.parametrize(
    "overrides, field_id, fragment",
    [
        ({"closes_2": "07:00"}, "closes_2", "Closing must be after opening"),
        ({"closes_2": "23:00", "overnight_2": "y"}, "closes_2", "next morning"),
        ({"opens_4": "25:00"}, "opens_4", "HH:MM"),
        ({"latitude": "95"}, "latitude", "between -90 and 90"),
        ({"longitude": "east"}, "longitude", "number in degrees"),
        ({"latitude": "", "longitude": "101.7"}, "latitude", "both latitude and longitude"),
        ({"name_zh": "名" * 101}, "name_zh", "at most 100"),
        ({"name_zh": ""}, "name_zh", "Give the name"),
        ({"address": "路" * 201}, "address", "at most 200"),
        ({"closed_dates": "2027-02-30"}, "closed_dates", "not a date"),
        ({"closed_dates": "next Friday"}, "closed_dates", "2026-02-17"),
        ({"community": str(10**6)}, "community", "Choose a community"),
        ({"kind": "casino"}, "kind", None),
    ],
)
async def test_bad_application_is_refused_with_the_input_kept_and_nothing_saved(client_for, area, overrides, field_id, fragment):
    host, _ = await client_for("host")
    form = application(area.community_id, **overrides)
    async with nothing_changes(also=(WatchPoint,)):
        response = await post_multipart(host, "/watchpoints/new", form)
        assert response.status_code == 422
    error = field_error(response.text, field_id)
    assert error is not None
    if fragment:
        assert fragment in error
    assert "Chen&#39;s Pharmacy" in response.text or "Chen's Pharmacy" in response.text  # input kept
    assert await WatchPoint.count().run() == 0


async def test_overnight_hours_are_accepted_when_ticked(client_for, area):
    host, _ = await client_for("host")
    response = await post_multipart(host, "/watchpoints/new", application(area.community_id, opens_5="20:00", closes_5="02:00", overnight_5="y"))
    assert response.status_code == 303
    assert '"overnight": true' in (await WatchPoint.select(WatchPoint.hours).first().run())["hours"]


@pytest.mark.parametrize(
    "photo, fragment",
    [
        (("notes.txt", b"hello", "text/plain"), "not an image"),
        (("renamed.jpg", b"%PDF-1.4 a document", "image/jpeg"), "not an image"),
        (("fake.jpg", b"not really a jpeg", "image/jpeg"), "not an image"),
        (("huge.jpg", b"\xff\xd8" + b"0" * (5 * 1024 * 1024), "image/jpeg"), "larger than 5 MB"),
    ],
)
async def test_bad_photo_is_refused_and_nothing_is_saved(client_for, area, settings, photo, fragment):
    host, _ = await client_for("host")
    before = stored_files(settings)
    async with nothing_changes(also=(WatchPoint,)):
        response = await post_multipart(host, "/watchpoints/new", application(area.community_id), photo)
        assert response.status_code == 422
    assert fragment in (field_error(response.text, "photo") or "")
    assert await WatchPoint.count().run() == 0 and stored_files(settings) == before


async def test_host_can_edit_only_their_own_point(client_for, make_user, area):
    host, host_id = await client_for("host")
    mine, _ = await make_point(make_user, area, host_id=host_id, status="pending")
    theirs, _ = await make_point(make_user, area, name="别家药店", status="pending")
    assert (await host.get(f"/watchpoints/{mine}/edit")).status_code == 200
    assert (await post_multipart(host, f"/watchpoints/{mine}/edit", application(area.community_id, name_zh="改名"))).status_code == 303
    assert (await host.get(f"/watchpoints/{theirs}")).status_code == 403
    assert (await host.get(f"/watchpoints/{theirs}/edit")).status_code == 403
    async with nothing_changes((WatchPoint, theirs)):
        assert (await post_multipart(host, f"/watchpoints/{theirs}/edit", application(area.community_id, name_zh="抢来的"))).status_code == 403
        assert (await post_form(host, f"/watchpoints/{theirs}/hours", {"mode_0": "24h"})).status_code == 403
        assert (await post_form(host, f"/watchpoints/{theirs}/closed-today", {"closed": "1"})).status_code == 403
    names = {r["id"]: r["name_zh"] for r in await WatchPoint.select(WatchPoint.id, WatchPoint.name_zh).run()}
    assert names == {mine: "改名", theirs: "别家药店"}


async def test_closed_today_asks_first_then_closes_with_htmx_and_without(client_for, make_user, area):
    """The button says what it does ("Close for the rest of today"); its first tap asks,
    the answer "yes" closes; opening again needs no question."""
    host, host_id = await client_for("host")
    point_id, _ = await make_point(make_user, area, host_id=host_id)
    page = (await host.get(f"/watchpoints/{point_id}")).text
    assert "Close for the rest of today</button>" in page and "Closed today</button>" not in page
    async with nothing_changes((WatchPoint, point_id)):
        question = await htmx_post(host, f"/watchpoints/{point_id}/closed-today", {"closed": "1"}, target="closed-today")
        assert question.status_code == 200 and "Close the place for the rest of today?" in question.text and "<html" not in question.text
        assert 'name="confirm" value="yes"' in question.text and "No, stay open" in question.text
        plain = await post_form(host, f"/watchpoints/{point_id}/closed-today", {"closed": "1"})
        assert plain.status_code == 200 and "<html" in plain.text and "Close the place for the rest of today?" in plain.text
    response = await htmx_post(host, f"/watchpoints/{point_id}/closed-today", {"closed": "1", "confirm": "yes"}, target="closed-today")
    assert response.status_code == 200 and 'id="closed-today"' in response.text and "Open again today" in response.text
    assert "<html" not in response.text
    assert (await WatchPoint.select(WatchPoint.closed_today_on).first().run())["closed_today_on"] is not None
    response = await post_form(host, f"/watchpoints/{point_id}/closed-today", {"closed": "0"})
    assert response.status_code == 303
    assert (await WatchPoint.select(WatchPoint.closed_today_on).first().run())["closed_today_on"] is None


async def test_hours_page_saves_hours_and_holidays_and_refuses_impossible_ones(client_for, make_user, area):
    host, host_id = await client_for("host")
    point_id, _ = await make_point(make_user, area, host_id=host_id)
    form = {f"mode_{d}": "24h" for d in range(7)} | {"mode_6": "closed", "closed_dates": "2027-01-01"}
    assert (await post_form(host, f"/watchpoints/{point_id}/hours", form)).status_code == 303
    row = await WatchPoint.select(WatchPoint.hours, WatchPoint.holidays).first().run()
    assert row["hours"].count('"24h"') == 6 and row["holidays"] == '["2027-01-01"]'
    async with nothing_changes((WatchPoint, point_id)):
        bad = await post_form(host, f"/watchpoints/{point_id}/hours", form | {"mode_1": "open", "opens_1": "09:00", "closes_1": "08:00"})
        assert bad.status_code == 422 and "Closing must be after opening" in field_error(bad.text, "closes_1")
    assert (await WatchPoint.select(WatchPoint.hours).first().run())["hours"] == row["hours"]


async def test_officer_verifies_after_a_visit_and_can_suspend_and_reinstate(client_for, make_user, area):
    officer, _ = await client_for("officer")
    point_id, _ = await make_point(make_user, area, status="pending")
    response = await post_form(officer, f"/watchpoints/{point_id}/visits", {"visited_on": "2026-03-01", "note": "门口有标识", "outcome": "verified"})
    assert response.status_code == 303
    page = await officer.get(f"/watchpoints/{point_id}")
    assert "Verified" in page.text and "门口有标识" in page.text and "Visit recorded" in page.text
    assert (await post_form(officer, f"/watchpoints/{point_id}/suspend", {"note": "停业"})).status_code == 303
    assert (await WatchPoint.select(WatchPoint.status).first().run())["status"] == "suspended"
    assert (await post_form(officer, f"/watchpoints/{point_id}/reinstate")).status_code == 303
    assert (await WatchPoint.select(WatchPoint.status).first().run())["status"] == "verified"
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_type == "watchpoint").order_by(AuditEntry.id).run()]
    assert actions[-3:] == ["watchpoint.visited", "watchpoint.suspended", "watchpoint.reinstated"]


async def test_bad_visit_is_refused_with_a_message(client_for, make_user, area):
    officer, _ = await client_for("officer")
    point_id, _ = await make_point(make_user, area, status="pending")
    async with nothing_changes((WatchPoint, point_id), also=(WatchPointVisit,)):
        response = await post_form(officer, f"/watchpoints/{point_id}/visits", {"visited_on": "yesterday", "outcome": "verified"})
        assert response.status_code == 422 and field_error(response.text, "visited_on")
        future = (dt.date.today() + dt.timedelta(days=5)).isoformat()
        response = await post_form(officer, f"/watchpoints/{point_id}/visits", {"visited_on": future, "outcome": "verified"})
        assert response.status_code == 422 and "future" in field_error(response.text, "visited_on")
    assert (await WatchPoint.select(WatchPoint.status).first().run())["status"] == "pending"


async def test_officer_of_another_community_gets_403(client_for, make_user, area):
    stranger, _ = await client_for("officer", community_id=area.other_community_id)
    point_id, _ = await make_point(make_user, area, status="pending")
    assert (await stranger.get(f"/watchpoints/{point_id}")).status_code == 403
    async with nothing_changes((WatchPoint, point_id), also=(WatchPointVisit,)):
        assert (await post_form(stranger, f"/watchpoints/{point_id}/visits", {"visited_on": "2026-03-01", "outcome": "verified"})).status_code == 403
        assert (await post_form(stranger, f"/watchpoints/{point_id}/suspend", {"note": "not mine"})).status_code == 403
        assert (await post_multipart(stranger, f"/watchpoints/{point_id}/edit", application(area.community_id, name_zh="抢来的"))).status_code == 403
    assert (await stranger.get(f"/communities/{area.community_id}/boards")).status_code == 403
    listing = await stranger.get("/watchpoints")
    assert "陈记药房" not in listing.text


async def test_board_qr_code_decodes_to_the_points_public_page(client_for, make_user, area, settings):
    officer, _ = await client_for("officer", real_name="王莉", phone="0971-5550001")
    point_id, _ = await make_point(make_user, area)
    slug = (await WatchPoint.select(WatchPoint.slug).first().run())["slug"]
    response = await officer.get(f"/watchpoints/{point_id}/board?size=a5")
    assert response.status_code == 200
    assert "王莉" in response.text and "0971-5550001" in response.text and "110" in response.text and "陈记药房" in response.text
    assert "board-a5.css" in response.text
    svg = re.search(r"<svg.*?</svg>", response.text, re.S).group(0)
    decoded = zxingcpp.read_barcodes(svg_to_image(svg))
    assert [d.text for d in decoded] == [f"http://testserver.local/p/{slug}"]  # the address served, in development


async def test_community_bulk_boards_hold_the_community_board_and_every_active_point(client_for, make_user, area, settings):
    officer, _ = await client_for("officer")
    await make_point(make_user, area, name="一号点")
    await make_point(make_user, area, name="二号点", status="pending")
    await make_point(make_user, area, name="停用点", status="suspended")
    await make_point(make_user, area, name="别社区点", community_id=area.other_community_id)
    response = await officer.get(f"/communities/{area.community_id}/boards")
    assert response.status_code == 200
    assert response.text.count('<article class="board">') == 3
    assert "一号点" in response.text and "二号点" in response.text and "停用点" not in response.text and "别社区点" not in response.text
    svgs = re.findall(r"<svg.*?</svg>", response.text, re.S)
    assert zxingcpp.read_barcodes(svg_to_image(svgs[0]))[0].text == "http://testserver.local/c/a"
