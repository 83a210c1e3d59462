"""Uploads refused through the real routes, by the three checks: the type read from the
bytes (never the name or the declared content type), the size (per file), and the pixel
count (decompression bombs: a small file that decodes to a huge image). Each refusal
leaves no row and no file behind."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from portal.logs.tables import FieldLog, LogPhoto
from portal.uploads import MAX_PIXELS, UploadError, process_image
from portal.watchpoints.tables import OfficerPhoto
from tests.conftest import ensure_csrf, field_error
from tests.test_logs_routes import post_multipart, valid
from tests.test_uploads import english, jpeg_with_gps  # noqa: F401 - english: messages in English
from tests.test_watchpoints_photos import upload
from tests.test_watchpoints_routes import stored_files


def png_bomb(width: int = 12_000, height: int = 12_000) -> bytes:
    """A one-bit PNG of one colour: a few kilobytes that decode to ``width`` x ``height`` pixels."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def test_just_above_the_pixel_limit_is_refused_by_our_check_not_pillows():
    # 41 MP: over MAX_PIXELS, yet under twice it, where Pillow's own guard would only warn.
    width = 8_000
    content = png_bomb(width, MAX_PIXELS // width + 125)
    with pytest.raises(UploadError, match="too many pixels"):
        process_image(content)


def test_svg_and_html_dressed_as_images_are_refused():
    for content in (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', b"<html><body>hi</body></html>"):
        with pytest.raises(UploadError, match="not an image we can read"):
            process_image(content)


@pytest.mark.parametrize(
    "photo,message",
    [
        (("bomb.png", png_bomb(), "image/png"), "too many pixels"),
        (("photo.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/jpeg"), "not an image we can read"),
        (("photo.jpg", jpeg_with_gps() + b"\0" * (5 * 1024 * 1024), "image/jpeg"), "larger than 5 MB"),
    ],
    ids=["decompression-bomb", "svg-named-jpg", "too-large"],
)
async def test_a_hazard_photo_refused_saves_nothing(client_for, area, settings, photo, message):
    client, _ = await client_for("volunteer")
    before = stored_files(settings, "logs")
    response = await post_multipart(client, "/logs/new/hazard", valid("hazard", area.community_id), [("photos", photo)])
    assert response.status_code == 422
    assert message in (field_error(response.text, "photos") or "")
    assert await FieldLog.count().run() == 0 and await LogPhoto.count().run() == 0
    assert stored_files(settings, "logs") == before


async def test_the_type_comes_from_the_bytes_not_the_name_or_declared_type(client_for, area):
    client, _ = await client_for("volunteer")
    response = await post_multipart(client, "/logs/new/hazard", valid("hazard", area.community_id), [("photos", ("scan.exe", jpeg_with_gps(), "application/octet-stream"))])
    assert response.status_code == 303
    assert await LogPhoto.count().run() == 1


async def test_photos_over_the_limit_together_past_the_old_body_limit_are_422_and_save_nothing(client_for, area, settings):
    client, _ = await client_for("volunteer")
    before = stored_files(settings, "logs")
    huge = [("photos", (f"{i}.jpg", b"\xff\xd8" + b"0" * (6 * 1024 * 1024), "image/jpeg")) for i in range(3)]
    response = await post_multipart(client, "/logs/new/hazard", valid("hazard", area.community_id), huge)
    assert response.status_code == 422 and "larger than 5 MB" in field_error(response.text, "photos")
    assert await FieldLog.count().run() == 0
    assert stored_files(settings, "logs") == before


async def test_an_officer_photo_bomb_is_refused_and_nothing_saved(client_for, settings):
    officer, officer_id = await client_for("officer")
    await ensure_csrf(officer)
    before = stored_files(settings, "officers")
    response = await upload(officer, officer_id, ("me.png", png_bomb(), "image/png"))
    assert response.status_code == 422 and "too many pixels" in (field_error(response.text, "photo") or "")
    assert await OfficerPhoto.count().run() == 0 and stored_files(settings, "officers") == before
