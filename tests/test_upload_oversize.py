"""A form sent with photos too large answers like any refused form: 422, the message by the
photo field, everything typed kept (the fields after the photos in the body too), nothing
saved. Before, three 5.5 MB photos made the whole request too large and the answer was a
bare "413 Too large" page: the text typed with them was lost. Every form with an upload:
hazard logs (plain and htmx), watch point application and edit, the officer's photo, the
urgent notice, the party's report of a fix and the spreadsheet import. What no person sends (a body far past any photo, or pages of text)
is still refused with 413, before it is read."""

from __future__ import annotations

import uuid

import pytest
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from portal.followups.tables import RectificationNotice, RectificationReport
from portal.imports.tables import ImportBatch
from portal.logs.tables import FieldLog, LogPhoto
from portal.notices.tables import Notice
from portal.watchpoints.tables import OfficerPhoto, WatchPoint
from portal.web.multipart import UploadLimits, read_multipart
from tests.conftest import ensure_csrf, field_error, http_client, log_in
from tests.test_followups import issue, notice_id_of, requested_hazard
from tests.test_logs_routes import valid
from tests.test_notices import notice_form
from tests.test_uploads import jpeg_with_gps
from tests.test_watchpoints_routes import application, stored_files
from tests.test_watchpoints_rules import make_point
from tests.unchanged import nothing_changes

MB = 1024 * 1024


def big_photo(name: str, megabytes: float = 5.5) -> tuple[str, bytes, str]:
    """A real JPEG padded past the 5 MB limit, as a phone's photo would be."""
    return (name, jpeg_with_gps() + b"\0" * int(megabytes * MB), "image/jpeg")


def multipart(parts: list[tuple[str, str | tuple[str, bytes, str]]]) -> tuple[bytes, str]:
    """A multipart body with its parts in the order given: a browser sends the fields in the
    form's order, so the text typed below the photo field comes after the photos."""
    boundary = f"----shouwang{uuid.uuid4().hex}"
    out = bytearray()
    for name, value in parts:
        out += f"--{boundary}\r\n".encode()
        if isinstance(value, tuple):
            filename, content, content_type = value
            out += f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            out += content
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode()
        out += b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


async def send(client, url: str, parts: list, htmx_target: str | None = None):
    token = await ensure_csrf(client)
    body, content_type = multipart([("_csrf_token", token), *parts])
    headers = {"content-type": content_type}
    if htmx_target:
        headers.update({"HX-Request": "true", "HX-Target": htmx_target, "x-csrftoken": token})
    return await client.post(url, content=body, headers=headers, follow_redirects=False)


def hazard_parts(community_id: int, photos: list, **changes) -> list:
    """The hazard form in the page's order: the photos between the description and the place."""
    data = {**valid("hazard", community_id), "description": "Fire door chained 消防门被锁", "address": "Block 3 stairwell 三号楼", **changes}
    before = ["idempotency_key", "community", "category", "description", "severity"]
    after = [name for name in data if name not in before]
    return [*[(name, data[name]) for name in before], *[("photos", photo) for photo in photos], *[(name, data[name]) for name in after]]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
async def test_three_large_photos_keep_the_hazard_form_and_name_the_photos(client_for, area, settings, htmx):
    client, _ = await client_for("volunteer")
    before = stored_files(settings, "logs")
    photos = [big_photo(f"IMG_{i}.jpg") for i in range(3)]
    async with nothing_changes(also=(FieldLog, LogPhoto)):
        response = await send(client, "/logs/new/hazard", hazard_parts(area.community_id, photos), htmx_target="log-form" if htmx else None)
        assert response.status_code == 422, response.text[:300]
    assert "larger than 5 MB" in (field_error(response.text, "photos") or "")
    assert "Fire door chained 消防门被锁" in response.text  # typed before the photos
    assert "Block 3 stairwell 三号楼" in response.text  # typed after them
    assert "Choose the photos again" in response.text
    assert stored_files(settings, "logs") == before
    if htmx:
        assert response.text.lstrip().startswith('<div id="log-form">')


async def test_a_large_photo_is_named_with_every_other_problem_in_one_answer(client_for, area):
    client, _ = await client_for("volunteer")
    response = await send(client, "/logs/new/hazard", hazard_parts(area.community_id, [big_photo("a.jpg", 7)], description="", category=""))
    assert response.status_code == 422
    assert "larger than 5 MB" in (field_error(response.text, "photos") or "")
    assert field_error(response.text, "description") and field_error(response.text, "category")
    assert await FieldLog.count().run() == 0


async def test_good_photos_sent_after_the_form_was_refused_save_once(client_for, area):
    client, _ = await client_for("volunteer")
    parts = hazard_parts(area.community_id, [jpeg_with_gps_file("a.jpg"), big_photo("b.jpg")])
    assert (await send(client, "/logs/new/hazard", parts)).status_code == 422
    parts = [(name, value) for name, value in parts if not (name == "photos" and value[0] == "b.jpg")]
    response = await send(client, "/logs/new/hazard", parts)
    assert response.status_code == 303
    assert await FieldLog.count().run() == 1 and await LogPhoto.count().run() == 1


def jpeg_with_gps_file(name: str) -> tuple[str, bytes, str]:
    return (name, jpeg_with_gps(), "image/jpeg")


def _application_parts(community_id: int, photo, **overrides) -> list:
    data = application(community_id, name_zh="陈记药房 新店", **overrides)
    parts = []
    for name, value in data.items():
        parts += [(name, item) for item in value] if isinstance(value, list) else [(name, value)]
    # The photo field is near the end of the page's form, before nothing but the button.
    return [*parts[:-3], ("photo", photo), *parts[-3:]]


async def test_a_watch_point_application_with_a_large_photo_keeps_what_was_typed(client_for, area, settings):
    host, _ = await client_for("host")
    before = stored_files(settings)
    async with nothing_changes(also=(WatchPoint,)):
        response = await send(host, "/watchpoints/new", _application_parts(area.community_id, big_photo("front.jpg", 7)))
        assert response.status_code == 422
    assert "larger than 5 MB" in (field_error(response.text, "photo") or "")
    assert "陈记药房 新店" in response.text and "西关大街 18 号" in response.text
    assert stored_files(settings) == before


async def test_a_watch_point_edit_with_a_large_photo_keeps_what_was_typed(app, make_user, area):
    host_id = await make_user("host", username="host-with-a-big-photo")
    point_id, _ = await make_point(make_user, area, host_id=host_id)
    async with http_client(app) as host:
        await log_in(host, "host-with-a-big-photo")
        async with nothing_changes((WatchPoint, point_id)):
            response = await send(host, f"/watchpoints/{point_id}/edit", _application_parts(area.community_id, big_photo("front.jpg", 6)))
            assert response.status_code == 422
        assert "larger than 5 MB" in (field_error(response.text, "photo") or "")
        assert "陈记药房 新店" in response.text


async def test_an_officer_photo_too_large_is_named_by_the_field(client_for, settings):
    officer, officer_id = await client_for("officer")
    before = stored_files(settings, "officers")
    response = await send(officer, f"/officers/{officer_id}/photo/edit", [("photo", big_photo("me.jpg", 8))])
    assert response.status_code == 422 and "larger than 5 MB" in (field_error(response.text, "photo") or "")
    assert await OfficerPhoto.count().run() == 0 and stored_files(settings, "officers") == before


async def test_a_spreadsheet_over_twice_the_limit_is_named_by_the_file_field(client_for):
    officer, _ = await client_for("officer")
    sheet = ("volunteers.xlsx", b"PK\x03\x04" + b"\0" * (21 * MB), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = await send(officer, "/imports/", [("kind", "volunteers"), ("file", sheet), ("file_language", "zh_CN")])
    assert response.status_code == 422 and "larger than 10 MB" in (field_error(response.text, "file") or "")
    assert await ImportBatch.count().run() == 0


async def test_an_urgent_notice_with_a_large_photo_keeps_its_title_and_text(client_for, area, settings):
    officer, _ = await client_for("officer")
    form = notice_form(area.community_id, title="走失：男孩 8 岁", body="红色外套，16:30 在二小西门")
    parts = [(name, form[name]) for name in ("idempotency_key", "community", "kind", "title", "body")] + [("photo", big_photo("boy.jpg", 6)), ("lasts", form["lasts"])]
    async with nothing_changes(also=(Notice,)):
        response = await send(officer, "/notices/new", parts)
        assert response.status_code == 422
    assert "larger than 5 MB" in (field_error(response.text, "photo") or "")
    assert "走失：男孩 8 岁" in response.text and "红色外套，16:30 在二小西门" in response.text
    # With a field missing as well, the one answer names both.
    response = await send(officer, "/notices/new", [(name, "" if name == "title" else value) for name, value in parts])
    assert response.status_code == 422 and field_error(response.text, "title") and "larger than 5 MB" in (field_error(response.text, "photo") or "")


async def test_the_partys_report_of_a_fix_with_a_large_photo_keeps_the_note(client_for, client, area):
    volunteer, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer")
    notice_id = notice_id_of(await issue(officer, await requested_hazard(volunteer_id, officer_id, area.community_id)))
    token = (await RectificationNotice.select(RectificationNotice.token).where(RectificationNotice.id == notice_id).first().run())["token"]
    parts = [("idempotency_key", str(uuid.uuid4())), ("photo", big_photo("fixed.jpg", 6)), ("note", "铁链已拆除 Chain removed"), ("website", "")]
    async with nothing_changes(also=(RectificationReport,)):
        response = await send(client, f"/rectify/{token}", parts)
        assert response.status_code == 422
        assert "larger than 5 MB" in (field_error(response.text, "photo") or "") and "铁链已拆除 Chain removed" in response.text
        response = await send(client, f"/rectify/{token}", [(name, "n" * 1001 if name == "note" else value) for name, value in parts])
        assert response.status_code == 422 and field_error(response.text, "note") and "larger than 5 MB" in (field_error(response.text, "photo") or "")


def _receive(body: bytes, chunk: int = 65536):
    chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]

    async def receive():
        data = chunks.pop(0)
        return {"type": "http.request", "body": data, "more_body": bool(chunks)}

    return receive


def _boundary(content_type: str) -> bytes:
    return content_type.split("boundary=")[1].encode()


async def test_the_reader_keeps_one_byte_past_a_files_limit_and_every_field_after_it():
    body, content_type = multipart([("a", "before"), ("photos", ("x.jpg", b"1" * 5000, "image/jpeg")), ("photos", ("y.jpg", b"2" * 10, "image/jpeg")), ("photos", ("z.jpg", b"3" * 10, "image/jpeg")), ("b", "after 之后")])
    form = await read_multipart(_receive(body, 700), _boundary(content_type), UploadLimits(file_bytes=1000, files=2))
    assert form["a"] == "before" and form["b"] == "after 之后"
    first, second, third = form["photos"]
    assert await first.read() == b"1" * 1001 and await second.read() == b"2" * 10
    assert third.filename == "z.jpg" and await third.read() == b""  # past the number of files: its name only


async def test_the_reader_still_refuses_what_no_person_sends():
    limits = UploadLimits(file_bytes=1000, files=1, text_bytes=2000)
    body, content_type = multipart([("a", "x" * 2001)])
    with pytest.raises(RequestEntityTooLarge):
        await read_multipart(_receive(body), _boundary(content_type), limits)
    body, content_type = multipart([("photo", ("x.jpg", b"1" * (limits.body_bytes + 1), "image/jpeg"))])
    with pytest.raises(RequestEntityTooLarge):
        await read_multipart(_receive(body, 8 * MB), _boundary(content_type), limits)
    with pytest.raises(ClientException):
        await read_multipart(_receive(b"--nonsense\r\n"), b"other", limits)


async def test_a_body_announced_past_the_limit_is_refused_before_it_is_read(client_for, area, monkeypatch):
    client, _ = await client_for("volunteer")
    token = await ensure_csrf(client)
    body, content_type = multipart([("_csrf_token", token), *hazard_parts(area.community_id, [])])
    from portal.logs.routes import PHOTOS

    response = await client.post("/logs/new/hazard", content=body, headers={"content-type": content_type, "content-length": str(PHOTOS.body_bytes + 1)}, follow_redirects=False)
    assert response.status_code == 413 and "larger than we accept" in response.text
    assert await FieldLog.count().run() == 0
