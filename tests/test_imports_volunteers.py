"""Importing volunteers: preview writes nothing, confirm writes every row with an audit row
each, a second confirm and an identical file change nothing, an edited file updates by the
phone; one-time passwords are shown to the importer only; scope refusals; the CLI path."""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook

from portal.accounts.tables import RoleGrant, User
from portal.audit.tables import AuditEntry
from portal.imports.tables import ImportBatch
from portal.volunteers.tables import VolunteerProfile, VolunteerSkill
from tests.conftest import http_client, log_in
from tests.imports_helpers import VOLUNTEER_HEADER, confirm, upload, xlsx
from tests.test_cli import portal

FUTURE = (dt.date.today() + dt.timedelta(days=400)).isoformat()


def rows(*people):
    return xlsx([VOLUNTEER_HEADER, *people])


async def counts():
    return {t.__name__: await t.count().run() for t in (User, RoleGrant, VolunteerProfile, VolunteerSkill, AuditEntry)}


async def test_preview_confirm_reimport_and_update(client_for, area, app):
    """The whole path of a station head's file of two volunteers."""
    officer, _officer_id = await client_for("head")
    first = rows(["张伟", "138 0013 8000", "a", f"急救:{FUTURE}, english", "是", ""], ["Li Na", "+86 13900139000", "A", "", "", "li@example.org"])
    response, token = await upload(officer, "volunteers", first, "志愿者.xlsx")
    assert response.status_code == 303 and token
    before = await counts()
    page = await officer.get(f"/imports/batch/{token}")
    assert "Preview: nothing is saved yet" in page.text and "To create: 2" in page.text and "Confirm the import" in page.text
    assert await counts() == before, "a preview writes nothing"

    done = await confirm(officer, token)
    assert done.status_code == 303
    page = await officer.get(f"/imports/batch/{token}")
    assert "Imported: 2 created, 0 updated, 0 unchanged." in page.text
    zhang = await User.select().where(User.phone == "13800138000").first().run()
    assert zhang["username"] == "13800138000" and zhang["must_change_password"] and zhang["real_name"] == "张伟"
    profile = await VolunteerProfile.select().where(VolunteerProfile.user == zhang["id"]).first().run()
    assert profile["status"] == "verified" and profile["community"] == area.community_id
    assert {(s["skill"], str(s["expires_on"])) for s in await VolunteerSkill.select().where(VolunteerSkill.user == zhang["id"]).run()} == {("first_aid", FUTURE), ("english", "None")}
    li = await User.select().where(User.phone == "13900139000").first().run()
    assert (await VolunteerProfile.select().where(VolunteerProfile.user == li["id"]).first().run())["status"] == "pending"
    assert await AuditEntry.count().where(AuditEntry.action == "volunteer.imported").run() == 2

    # The one-time passwords: to the importer only, once per person, never in the file.
    listing = await officer.get(f"/imports/batch/{token}/passwords")
    password = re.search(r"<td>13800138000</td><td><code>([0-9a-f-]+)</code>", listing.text).group(1)
    sheet = await officer.get(f"/imports/batch/{token}/passwords.xlsx")
    values = [[c for c in r] for r in load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True)]
    assert ["张伟", "13800138000", password, "volunteer"] in [list(v) for v in values]
    other, _ = await client_for("officer")
    assert (await other.get(f"/imports/batch/{token}/passwords")).status_code == 404
    async with http_client(app) as volunteer:
        await log_in(volunteer, "13800138000", password)
        assert (await volunteer.get("/", follow_redirects=False)).headers["location"].startswith("/account/password")

    # Confirming again (a double submit) imports nothing more.
    after = await counts()
    assert (await confirm(officer, token)).status_code == 303
    assert await counts() == after

    # The same file again: every row unchanged, no button, and a forced confirm writes nothing.
    _response, again = await upload(officer, "volunteers", first)
    page = await officer.get(f"/imports/batch/{again}")
    assert "Unchanged: 2" in page.text and "Confirm the import" not in page.text
    audit = await AuditEntry.count().run()
    await confirm(officer, again)
    assert await AuditEntry.count().run() == audit
    assert (await ImportBatch.select(ImportBatch.status).where(ImportBatch.token == again).first().run())["status"] == "previewed"

    # An edited file updates by the phone: the changed fields shown, audited before/after.
    edited = rows(["张伟", "13800138000", "a", f"急救:{FUTURE}, english", "是", ""], ["李娜", "13900139000", "b", "mediation", "yes", ""])
    _response, third = await upload(officer, "volunteers", edited)
    page = await officer.get(f"/imports/batch/{third}?show=update")
    assert "To update: 1" in page.text and "Li Na → 李娜" in page.text and "a → b" in page.text
    await confirm(officer, third)
    li = await User.select().where(User.id == li["id"]).first().run()
    profile = await VolunteerProfile.select().where(VolunteerProfile.user == li["id"]).first().run()
    assert li["real_name"] == "李娜" and profile["community"] == area.other_community_id and profile["status"] == "verified"
    grant = await RoleGrant.select().where((RoleGrant.user == li["id"]) & (RoleGrant.role == "volunteer")).first().run()
    assert grant["community"] == area.other_community_id
    entry = await AuditEntry.select().where(AuditEntry.action == "volunteer.updated").output(load_json=True).first().run()
    assert entry["before"]["name"] == "Li Na" and entry["after"]["name"] == "李娜" and entry["after"]["verified"] == "yes"


async def test_scope_and_unknown_units_are_refused_per_row(client_for, area, make_volunteer):
    """Another station's community, an unknown code and a volunteer of a community that is
    not the officer's are each refused with the row's reason; nothing can be confirmed."""
    other_volunteer = await make_volunteer(community_id=area.other_station_community_id, phone="13700137000")
    officer, _ = await client_for("officer")
    file = rows(["甲", "13800138001", "c", "", "", ""], ["乙", "13800138002", "zzz", "", "", ""], ["丙", "13700137000", "a", "", "", ""], ["丁", "13800138003", "a", "", "", ""])
    _response, token = await upload(officer, "volunteers", file)
    page = await officer.get(f"/imports/batch/{token}?show=refused")
    assert "Row 2: The community c is not one of yours." in page.text
    assert "Row 3: There is no community with the code zzz." in page.text
    assert "Row 4: The phone 13700137000 belongs to a volunteer of a community that is not yours." in page.text
    assert "Refused: 3" in page.text and "Confirm the import" not in page.text
    users = await User.count().run()
    await confirm(officer, token)
    assert await User.count().run() == users
    assert (await User.select(User.real_name).where(User.id == other_volunteer).first().run())["real_name"] != "丙"
    # A host may not import at all.
    host, _ = await client_for("host")
    assert (await upload(host, "volunteers", file))[0].status_code == 403


def test_cli_previews_then_imports(settings, tmp_path):
    """`portal import` prints the per-row report, writes nothing without --confirm, then
    imports and hands over the one-time passwords in a file only its owner reads."""
    import asyncio

    from portal import db
    from portal.accounts import rules as accounts
    from portal.stations.tables import Community, Station

    async def world():
        db.configure(settings)
        await db.open_pool(settings)
        try:
            await db.wipe()
            station = (await Station.insert(Station(code="s1", name_zh="所", created_at=accounts.now())).returning(Station.id).run())[0]["id"]
            await Community.insert(Community(station=station, code="xiguan", name_zh="西关", created_at=accounts.now())).run()
            await accounts.create_user(None, username="boss", password="correct horse battery", real_name="Boss", role="admin")
        finally:
            await db.close_pool()

    asyncio.run(world())
    file = tmp_path / "v.xlsx"
    file.write_bytes(rows(["张伟", "13800138000", "xiguan", "", "是", ""], ["李娜", "13800138001", "xiguan", "", "", ""]))
    preview = portal("import", "volunteers", str(file), database_url=settings.database_url)
    assert preview.returncode == 0, preview.stderr
    assert "row 2\t13800138000\tcreate" in preview.stdout and "create 2, update 0, unchanged 0, refused 0" in preview.stdout and "Nothing written" in preview.stdout
    secrets_file = tmp_path / "passwords.csv"
    done = portal("import", "volunteers", str(file), "--as", "boss", "--confirm", "--passwords", str(secrets_file), database_url=settings.database_url)
    assert done.returncode == 0, done.stderr
    assert "Imported: created 2, updated 0, unchanged 0." in done.stdout
    assert "writing: 2/2 rows" in done.stderr
    assert secrets_file.stat().st_mode & 0o077 == 0
    assert secrets_file.read_text(encoding="utf-8-sig").count("\n") == 3
    again = portal("import", "volunteers", str(file), "--confirm", database_url=settings.database_url)
    assert "unchanged 2" in again.stdout and "Nothing to import" in again.stdout


async def test_a_large_file_shows_its_progress_then_the_report(client_for, area, monkeypatch):
    """When the preview takes longer than the request waits, the page shows the progress
    (asked for again by htmx every second, with a plain link without JavaScript); once done
    the progress answer sends htmx to the report."""
    from portal.imports import rules as import_rules

    import asyncio

    monkeypatch.setattr(import_rules, "INLINE_SECONDS", 0)
    gate, real_preview = asyncio.Event(), import_rules.preview

    async def slow_preview(*args, **kwargs):  # a file that takes long: held until the page was seen
        await gate.wait()
        return await real_preview(*args, **kwargs)

    monkeypatch.setattr(import_rules, "preview", slow_preview)
    officer, _ = await client_for("officer")
    _response, token = await upload(officer, "volunteers", rows(["张伟", "13800138000", "a", "", "", ""]))
    page = await officer.get(f"/imports/batch/{token}")
    assert "Checking the file…" in page.text and f'hx-get="/imports/batch/{token}/progress"' in page.text and "Refresh" in page.text
    fragment = await officer.get(f"/imports/batch/{token}/progress", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="import-progress"') and "HX-Redirect" not in fragment.headers
    gate.set()
    await import_rules.wait_for(token)
    progress = await officer.get(f"/imports/batch/{token}/progress", headers={"HX-Request": "true"})
    assert progress.headers["HX-Redirect"] == f"/imports/batch/{token}"
    assert "To create: 1" in (await officer.get(f"/imports/batch/{token}")).text
