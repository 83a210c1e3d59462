"""Photos through the one image pipeline (``portal.uploads``): officers' photos on the
contact boards (who may change them, bad files, replacing and removing them, audit),
front photos of watch points kept in the upload storage (edit replaces, a bad file
keeps the old one), and the migration that moved the old in-database photos there."""

from __future__ import annotations

import importlib
import io
import re

from PIL import Image

from portal.audit.tables import AuditEntry
from portal.uploads import storage_for
from portal.watchpoints.tables import OfficerPhoto, WatchPoint
from tests.conftest import ensure_csrf, field_error, http_client, post_form
from tests.test_watchpoints_routes import application, post_multipart, stored_files
from tests.test_watchpoints_rules import image_bytes, make_point
from tests.unchanged import nothing_changes

MIGRATION = "portal.watchpoints.migrations.watchpoints_2026_11_23t17_14_00_000000"


async def upload(client, user_id: int, photo: tuple[str, bytes, str] | None):
    token = await ensure_csrf(client)
    files = {"photo": photo or ("", b"", "application/octet-stream")}
    return await client.post(f"/officers/{user_id}/photo/edit", data={"_csrf_token": token}, files=files, follow_redirects=False)


async def test_officer_uploads_their_photo_and_the_boards_show_it(app, client_for, make_user, area, settings):
    officer, officer_id = await client_for("officer", real_name="王莉")
    point_id, _ = await make_point(make_user, area)
    board = (await officer.get(f"/watchpoints/{point_id}/board")).text
    assert '<div class="board-photo" aria-hidden="true">王</div>' in board  # the placeholder first
    response = await upload(officer, officer_id, ("me.png", image_bytes("PNG", (900, 1200)), "image/png"))
    assert response.status_code == 303 and response.headers["location"] == f"/officers/{officer_id}/photo/edit?saved=1"
    for url in (f"/watchpoints/{point_id}/board?size=a5", f"/communities/{area.community_id}/boards"):
        page = (await officer.get(url)).text
        sources = re.findall(rf'<img class="board-photo" src="(/officers/{officer_id}/photo\?v=\d+)" alt="王莉">', page)
        assert sources and '<div class="board-photo" aria-hidden="true">王</div>' not in page, url
    served = await officer.get(sources[0])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "JPEG" and max(image.size) <= 320 and not image.getexif()
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.object_type == "user").order_by(AuditEntry.id, ascending=False).first().run()
    assert audit == {"action": "officer.photo_set", "actor": officer_id}
    # Any logged-in user printing a board loads it; nobody without an account does.
    host, _ = await client_for("host")
    assert (await host.get(sources[0])).status_code == 200
    async with http_client(app) as anonymous:
        refused = await anonymous.get(sources[0], follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


async def test_replacing_and_removing_a_photo_removes_its_files(client_for, settings):
    officer, officer_id = await client_for("officer")
    before = stored_files(settings, "officers")
    await upload(officer, officer_id, ("a.jpg", image_bytes(), "image/jpeg"))
    first = stored_files(settings, "officers") - before
    await upload(officer, officer_id, ("b.jpg", image_bytes(size=(80, 80)), "image/jpeg"))
    second = stored_files(settings, "officers") - before
    assert len(first) == len(second) == 2 and not first & second
    assert (await post_form(officer, f"/officers/{officer_id}/photo/remove")).status_code == 303
    assert stored_files(settings, "officers") == before and await OfficerPhoto.count().run() == 0
    assert (await officer.get(f"/officers/{officer_id}/photo")).status_code == 404
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_type == "user").order_by(AuditEntry.id).run()]
    assert actions[-3:] == ["officer.photo_set", "officer.photo_set", "officer.photo_removed"]


async def test_who_may_change_an_officers_photo(client_for, make_user, area):
    """The officer, a head of their station and an admin; not another officer, a head of
    another station, a volunteer; and nobody's photo for someone who is not an officer."""
    officer_id = await make_user("officer")
    volunteer_id = await make_user("volunteer")
    photo = ("me.jpg", image_bytes(), "image/jpeg")
    for role, kwargs, expected in (
        ("officer", {}, 404),
        ("head", {"station_id": area.other_station_id}, 404),
        ("volunteer", {}, 404),
        ("head", {}, 303),
        ("admin", {}, 303),
    ):
        client, _ = await client_for(role, **kwargs)
        assert (await client.get(f"/officers/{officer_id}/photo/edit")).status_code == (200 if expected == 303 else 404), role
        if expected == 303:
            assert (await upload(client, officer_id, photo)).status_code == expected, (role, kwargs)
            continue
        async with nothing_changes(also=(OfficerPhoto,)):
            assert (await upload(client, officer_id, photo)).status_code == expected, (role, kwargs)
            assert (await post_form(client, f"/officers/{officer_id}/photo/remove")).status_code == expected, (role, kwargs)
    admin, _ = await client_for("admin")
    assert (await admin.get(f"/officers/{volunteer_id}/photo/edit")).status_code == 404
    async with nothing_changes((OfficerPhoto, OfficerPhoto.user == officer_id)):
        assert (await upload(admin, volunteer_id, photo)).status_code == 404
    assert await OfficerPhoto.count().run() == 1


async def test_bad_officer_photo_is_refused_with_a_message_and_nothing_saved(client_for, settings):
    officer, officer_id = await client_for("officer")
    before = stored_files(settings, "officers")
    for photo, fragment in (
        (None, "Choose a photo"),
        (("cv.pdf", b"%PDF-1.4 not an image", "application/pdf"), "not an image"),
        (("huge.jpg", b"\xff\xd8" + b"0" * (5 * 1024 * 1024), "image/jpeg"), "larger than 5 MB"),
    ):
        async with nothing_changes(also=(OfficerPhoto,)):
            response = await upload(officer, officer_id, photo)
            assert response.status_code == 422 and fragment in (field_error(response.text, "photo") or ""), fragment
    assert await OfficerPhoto.count().run() == 0 and stored_files(settings, "officers") == before


async def test_a_new_front_photo_replaces_the_old_files_and_a_bad_one_keeps_them(client_for, area, settings):
    host, _ = await client_for("host")
    form = application(area.community_id)
    await post_multipart(host, "/watchpoints/new", form, ("front.jpg", image_bytes(), "image/jpeg"))
    point = await WatchPoint.select().first().run()
    old = {point["photo_key"], point["photo_thumb_key"]}
    edit = application(area.community_id, name_zh="新名字")
    async with nothing_changes((WatchPoint, point["id"])):
        bad = await post_multipart(host, f"/watchpoints/{point['id']}/edit", edit, ("x.jpg", b"not a photo", "image/jpeg"))
        assert bad.status_code == 422 and "not an image" in field_error(bad.text, "photo")
    unchanged = await WatchPoint.select().first().run()
    assert (unchanged["name_zh"], unchanged["photo_key"]) == ("陈记药房", point["photo_key"])
    assert (await post_multipart(host, f"/watchpoints/{point['id']}/edit", edit, ("new.jpg", image_bytes(size=(90, 60)), "image/jpeg"))).status_code == 303
    changed = await WatchPoint.select().first().run()
    assert changed["photo_key"] not in old and await storage_for(settings).get(changed["photo_key"])
    for key in old:
        assert await storage_for(settings).get(key) is None
    # Saving again without a photo keeps the current one.
    assert (await post_multipart(host, f"/watchpoints/{point['id']}/edit", edit)).status_code == 303
    assert (await WatchPoint.select(WatchPoint.photo_key).first().run())["photo_key"] == changed["photo_key"]


async def test_old_photos_in_the_database_move_to_the_upload_storage(client, make_user, area, settings, engine_name):
    """The migration dropped ``watch_point_photo``; recreated with the old layout and
    rows, its copy moves each photo into storage (once) and serves it from there."""
    copy_photos = importlib.import_module(MIGRATION).copy_photos
    good, _ = await make_point(make_user, area, name="有照片")
    broken, _ = await make_point(make_user, area, name="坏照片")
    missing, _ = await make_point(make_user, area, name="没有照片行")
    blob = "BYTEA" if engine_name == "postgres" else "BLOB"
    serial = "SERIAL PRIMARY KEY" if engine_name == "postgres" else "INTEGER PRIMARY KEY"
    # No IF NOT EXISTS: this fails unless the migration really dropped the table.
    await WatchPoint.raw(f"CREATE TABLE watch_point_photo (id {serial}, point INTEGER NOT NULL UNIQUE, content {blob} NOT NULL, width INTEGER, height INTEGER, updated_at TIMESTAMP)").run()
    try:
        jpeg = image_bytes(size=(120, 90), exif=False)
        await WatchPoint.raw("INSERT INTO watch_point_photo (point, content, width, height) VALUES ({}, {}, 120, 90)", good, jpeg).run()
        await WatchPoint.raw("INSERT INTO watch_point_photo (point, content, width, height) VALUES ({}, {}, 1, 1)", broken, b"garbage").run()
        await WatchPoint.update({WatchPoint.has_photo: True}).where(WatchPoint.id.is_in([good, broken, missing])).run()
        storage = storage_for(settings)
        assert await copy_photos(storage) == 1
        assert await copy_photos(storage) == 0  # a second run changes nothing
    finally:
        await WatchPoint.raw("DROP TABLE watch_point_photo").run()
    rows = {r["id"]: r for r in await WatchPoint.select(WatchPoint.id, WatchPoint.slug, WatchPoint.has_photo, WatchPoint.photo_key).run()}
    assert rows[good]["has_photo"] and rows[good]["photo_key"].startswith("watchpoints/")
    assert not rows[broken]["has_photo"] and rows[broken]["photo_key"] == ""
    assert not rows[missing]["has_photo"]
    served = await client.get(f"/p/{rows[good]['slug']}/photo")
    assert served.status_code == 200 and Image.open(io.BytesIO(served.content)).size == (120, 90)
    assert (await client.get(f"/p/{rows[broken]['slug']}/photo")).status_code == 404
    page = (await client.get(f"/p/{rows[good]['slug']}")).text
    assert f'src="/p/{rows[good]["slug"]}/photo"' in page


async def test_home_page_links_an_officer_to_their_photo(client_for):
    officer, officer_id = await client_for("officer")
    assert f'href="/officers/{officer_id}/photo/edit"' in (await officer.get("/")).text
    volunteer, _ = await client_for("volunteer")
    assert "/photo/edit" not in (await volunteer.get("/")).text


async def test_the_migration_itself_moves_the_photos_and_drops_the_table(make_user, area, settings, engine_name, monkeypatch):
    """Replays the real migration on this database: the old table with a photo, the
    migration marked as not run, ``migrate`` again: the photo is in storage, the table gone."""
    monkeypatch.setenv("PORTAL_UPLOAD_DIR", settings.upload_dir)  # the migration reads the environment, as `portal migrate` does
    from piccolo.apps.migrations.tables import Migration

    from portal import db

    point_id, _ = await make_point(make_user, area, name="老照片")
    blob = "BYTEA" if engine_name == "postgres" else "BLOB"
    serial = "SERIAL PRIMARY KEY" if engine_name == "postgres" else "INTEGER PRIMARY KEY"
    await WatchPoint.raw(f"CREATE TABLE watch_point_photo (id {serial}, point INTEGER NOT NULL UNIQUE, content {blob} NOT NULL, width INTEGER, height INTEGER, updated_at TIMESTAMP)").run()
    await WatchPoint.raw("INSERT INTO watch_point_photo (point, content, width, height) VALUES ({}, {}, 64, 48)", point_id, image_bytes(exif=False)).run()
    migration_id = importlib.import_module(MIGRATION).ID
    await Migration.delete().where((Migration.app_name == "watchpoints") & (Migration.name == migration_id)).run()
    await db.migrate()
    row = await WatchPoint.select(WatchPoint.photo_key, WatchPoint.has_photo).where(WatchPoint.id == point_id).first().run()
    assert row["has_photo"] and await storage_for(settings).get(row["photo_key"])
    assert await Migration.exists().where(Migration.name == migration_id).run()
    # The table is gone: creating it again works (and is undone).
    await WatchPoint.raw(f"CREATE TABLE watch_point_photo (id {serial})").run()
    await WatchPoint.raw("DROP TABLE watch_point_photo").run()
