"""The phrasebook of a station: its officers (any community of the station) and head add
and edit entries, heads above read, other stations neither read nor change it; bad input
is answered next to the field; the book is a plain page the browser keeps for a day
(private, max-age=86400, no script of its own) and links to it change with its content."""

from __future__ import annotations

import re

from portal.audit.tables import AuditEntry
from portal.reception.tables import Phrase
from tests.conftest import field_error, post_form
from tests.unchanged import nothing_changes

ENTRY = {"situation": "lost_passport", "text_zh": "护照丢了请不要着急。", "text_en": "Don't worry about your lost passport.", "position": "0"}


async def test_station_officers_keep_the_book_and_the_browser_keeps_the_page(area, client_for):
    officer, _ = await client_for("officer")
    book = f"/reception/phrasebook/{area.station_id}"
    bad = await post_form(officer, f"{book}/new", {**ENTRY, "text_en": "", "situation": "karaoke", "position": "x"})
    assert bad.status_code == 422
    assert field_error(bad.text, "text_en") and field_error(bad.text, "situation") and field_error(bad.text, "position")
    assert "护照丢了请不要着急。" in bad.text  # the input is kept
    assert await Phrase.count().run() == 0

    created = await post_form(officer, f"{book}/new", ENTRY)
    assert created.status_code == 303 and created.headers["location"].startswith(f"{book}?v=")
    phrase = await Phrase.select().first().run()
    assert phrase["station"] == area.station_id and phrase["situation"] == "lost_passport"

    page = await officer.get(created.headers["location"])
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, max-age=86400"
    assert "护照丢了请不要着急。" in page.text and "Don&#39;t worry about your lost passport." in page.text
    assert 'lang="zh-CN">护照丢了' in page.text
    # No script of the book's own (the page's scripts are the site's: htmx, and the offline
    # outbox every signed-in page carries).
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts and all("htmx" in s or "/static/js/offline.js" in s for s in scripts), scripts
    # Every other page of a signed-in person stays uncached.
    assert "no-store" in (await officer.get("/reception/phrasebook")).headers["cache-control"]

    # An officer of the station's other community edits; the link to the book changes.
    colleague, _ = await client_for("officer", community_id=area.other_community_id)
    listing = await colleague.get("/reception/phrasebook")
    before = re.search(rf'href="{book}\?v=([^"]+)"', listing.text).group(1)
    edited = await post_form(colleague, f"/reception/phrases/{phrase['id']}/edit", {**ENTRY, "text_en": "Please don't worry about your passport.", "position": "2"})
    assert edited.status_code == 303
    after = re.search(rf'href="{book}\?v=([^"]+)"', (await colleague.get("/reception/phrasebook")).text).group(1)
    assert after != before
    assert (await Phrase.select(Phrase.text_en).first().run())["text_en"] == "Please don't worry about your passport."
    changes = await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_type == "reception_phrase").order_by(AuditEntry.id).run()
    assert [c["action"] for c in changes] == ["reception_phrase.created", "reception_phrase.updated"]

    # Another station: no book of theirs to read, nothing to change.
    outsider, _ = await client_for("head", station_id=area.other_station_id)
    assert (await outsider.get(book)).status_code == 404
    async with nothing_changes((Phrase, phrase["id"])):
        assert (await post_form(outsider, f"/reception/phrases/{phrase['id']}/edit", ENTRY)).status_code == 404
        assert (await post_form(outsider, f"{book}/new", ENTRY)).status_code == 404
        assert (await post_form(outsider, f"/reception/phrases/{phrase['id']}/remove")).status_code == 404
    # A district head reads the book and changes nothing; a volunteer has no phrasebook.
    district, _ = await client_for("district_head")
    assert (await district.get(book)).status_code == 200
    async with nothing_changes((Phrase, phrase["id"])):
        assert (await post_form(district, f"/reception/phrases/{phrase['id']}/edit", ENTRY)).status_code == 403
    volunteer, _ = await client_for("volunteer")
    assert (await volunteer.get(book)).status_code == 403

    head, _ = await client_for("head")
    assert (await post_form(head, f"/reception/phrases/{phrase['id']}/remove")).status_code == 303
    assert await Phrase.count().run() == 0
