"""Bad input on the watch point and public pages: positions outside plausible ranges,
over-long text in every free-text field, a photo over the upload limit. Each
gets a clear message next to its field (or a friendly page), the input is kept and
nothing is half-saved."""

from __future__ import annotations

import pytest

from portal.public.tables import Intake, IntakeAnswer
from portal.watchpoints.tables import WatchPoint, WatchPointVisit
from tests.conftest import ensure_csrf, field_error, post_form
from tests.test_public_routes import intake_form
from tests.test_watchpoints_routes import application, post_multipart
from tests.test_watchpoints_rules import ALL, make_point
from tests.unchanged import nothing_changes


@pytest.mark.parametrize(
    "overrides, field_id, fragment",
    [
        ({"longitude": "181"}, "longitude", "between -180 and 180"),
        ({"longitude": "-200.5"}, "longitude", "between -180 and 180"),
        ({"latitude": "-90.01"}, "latitude", "between -90 and 90"),
        ({"latitude": "nan"}, "latitude", "between -90 and 90"),
        ({"latitude": "inf"}, "latitude", "between -90 and 90"),
        ({"longitude": "1e999"}, "longitude", "between -180 and 180"),
        ({"latitude": "0", "longitude": "0"}, "latitude", "0, 0 is in the sea"),
        ({"latitude": "36°37'", "longitude": "101.7"}, "latitude", "number in degrees"),
        ({"latitude": "3" * 300}, "latitude", None),
    ],
)
async def test_positions_outside_plausible_ranges_are_refused(client_for, area, overrides, field_id, fragment):
    host, _ = await client_for("host")
    async with nothing_changes(also=(WatchPoint,)):
        response = await post_multipart(host, "/watchpoints/new", application(area.community_id, **overrides))
        assert response.status_code == 422
    error = field_error(response.text, field_id)
    assert error is not None
    if fragment:
        assert fragment in error
    assert "西关大街 18 号" in response.text  # input kept
    assert await WatchPoint.count().run() == 0


@pytest.mark.parametrize(
    "overrides, field_id",
    [
        ({"name_en": "N" * 101}, "name_en"),
        ({"phone": "1" * 40}, "phone"),
        ({"closed_dates": "2027-01-01\n" * 140}, "closed_dates"),
        ({"opens_0": "08:000"}, "opens_0"),
        ({"closes_6": "2" * 200}, "closes_6"),
    ],
)
async def test_over_long_point_fields_are_refused(client_for, area, overrides, field_id):
    host, _ = await client_for("host")
    async with nothing_changes(also=(WatchPoint,)):
        response = await post_multipart(host, "/watchpoints/new", application(area.community_id, **overrides))
        assert response.status_code == 422 and field_error(response.text, field_id)
    assert await WatchPoint.count().run() == 0


async def test_over_long_hours_page_input_changes_nothing(client_for, make_user, area):
    host, host_id = await client_for("host")
    point_id, _ = await make_point(make_user, area, host_id=host_id)
    before = await WatchPoint.select(WatchPoint.hours, WatchPoint.holidays).first().run()
    form = {f"mode_{d}": "24h" for d in range(7)} | {"closed_dates": "2027-01-01 " * 200}
    async with nothing_changes((WatchPoint, point_id)):
        response = await post_form(host, f"/watchpoints/{point_id}/hours", form)
        assert response.status_code == 422 and "at most 1500" in field_error(response.text, "closed_dates")
    assert await WatchPoint.select(WatchPoint.hours, WatchPoint.holidays).first().run() == before


async def test_over_long_visit_note_and_suspension_reason_are_refused(client_for, make_user, area):
    officer, _ = await client_for("officer")
    point_id, _ = await make_point(make_user, area, status="pending")
    async with nothing_changes((WatchPoint, point_id), also=(WatchPointVisit,)):
        response = await post_form(officer, f"/watchpoints/{point_id}/visits", {"visited_on": "2026-03-01", "note": "看" * 1001, "outcome": "verified"})
        assert response.status_code == 422 and "at most 1000" in field_error(response.text, "note")
        assert await WatchPointVisit.count().run() == 0
        assert (await WatchPoint.select(WatchPoint.status).first().run())["status"] == "pending"
        response = await post_form(officer, f"/watchpoints/{point_id}/suspend", {"note": "停" * 501})
        assert response.status_code == 422 and "at most 500" in (field_error(response.text, "note") or "")
    assert "停" * 501 in response.text  # the reason is kept
    assert (await WatchPoint.select(WatchPoint.status).first().run())["status"] == "pending"


async def test_over_long_answer_to_the_public_is_refused(client, client_for, area):
    await post_form(client, "/c/a/ask/help", intake_form())
    intake_id = (await Intake.select(Intake.id).first().run())["id"]
    officer, _ = await client_for("officer")
    async with nothing_changes((Intake, intake_id), also=(IntakeAnswer,)):
        response = await post_form(officer, f"/intake/{intake_id}/answer", {"text": "答" * 2001})
        assert response.status_code == 422 and "at most 2000" in field_error(response.text, "text")
    assert await IntakeAnswer.count().run() == 0


async def test_a_photo_over_the_upload_limit_is_named_by_its_field_and_saves_nothing(client_for, area):
    host, _ = await client_for("host")
    token = await ensure_csrf(host)
    files = {"photo": ("huge.jpg", b"\xff\xd8" + b"0" * (7 * 1024 * 1024), "image/jpeg")}
    async with nothing_changes(also=(WatchPoint,)):
        response = await host.post("/watchpoints/new", data={**application(area.community_id), "_csrf_token": token}, files=files, follow_redirects=False)
        assert response.status_code == 422 and "larger than 5 MB" in field_error(response.text, "photo")
    assert "陈记药房" in response.text
    assert await WatchPoint.count().run() == 0


@pytest.mark.parametrize("lat, lon", [("nan", "nan"), ("inf", "-inf"), ("91", "10"), ("10", "181"), ("1e999", "0")])
async def test_public_page_refuses_an_implausible_position_and_still_lists(client, make_user, area, lat, lon):
    await make_point(make_user, area, name="开着的店", week=(ALL,) * 7)
    response = await client.get("/c/a", params={"lat": lat, "lon": lon})
    assert response.status_code == 200 and "That position is not valid" in response.text and "开着的店" in response.text
