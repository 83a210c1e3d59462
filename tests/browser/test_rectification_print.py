"""Browser: the 西关 officer finds the demo's overdue rectification notice from the home
page on a PC and prints it: one A4 sheet, without the screen's buttons, whose QR code a
phone's camera reads as the party's report page. On a phone the party opens that page,
sends it without a photo and with a file that is no photo (each answered next to the
field, the note kept), then with a photo; the officer's page then asks for the
re-inspection and shows the photo. Screenshots and the PDF are saved beside the test's files."""

from __future__ import annotations

import asyncio
import io
import threading
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from portal import db
from portal.demo import DEMO_PASSWORD
from portal.settings import load_settings
from tests.browser.conftest import LOCAL_HOSTS
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_desk_layout import PC
from tests.browser.test_phone_journeys import assert_fits_the_phone, fill_login_form, login_button


def jpeg() -> bytes:
    return _jpeg(Image.new("RGB", (640, 480), (90, 140, 60)))


def add_photos(settings) -> None:
    """Three photos of the blocked exit on the demo's overdue hazard, in the upload folder
    the served portal reads (its settings are the test database's and nothing else)."""

    async def add() -> None:
        from portal.followups.tables import RectificationNotice
        from portal.logs.tables import LogPhoto
        from portal.uploads import new_key, process_image, storage_for

        db.configure(settings)
        await db.open_pool(settings)
        try:
            storage = storage_for(load_settings({}, database_url=settings.database_url))
            notice = await RectificationNotice.select(RectificationNotice.log).where(RectificationNotice.idempotency_key == "00000000-0000-4000-8000-000000000192").first().run()
            for ordinal, colour in enumerate(((150, 90, 40), (120, 70, 30), (90, 110, 130))):
                image = Image.new("RGB", (1200, 900), (200, 200, 190))
                image.paste(colour, (400, 250, 800, 900))  # a pile of crates before the door
                photo = process_image(_jpeg(image))
                full, thumb = new_key("logs"), new_key("logs")
                await storage.put(full, photo.content)
                await storage.put(thumb, photo.thumb)
                await LogPhoto.insert(LogPhoto(log=notice["log"], storage_key=full, thumb_key=thumb, width=photo.width, height=photo.height, ordinal=ordinal, created_at=db_now())).run()
        finally:
            await db.close_pool()

    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(add())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


def db_now():
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def test_an_overdue_notice_prints_on_a4_and_its_qr_code_opens_the_party_s_report_page(browser, portal_url, demo_data, open_phone, settings, tmp_path: Path):
    add_photos(settings)
    context = browser.new_context(base_url=portal_url, **PC)
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname in LOCAL_HOSTS else route.abort("blockedbyclient"))
    context.set_default_timeout(10_000)
    try:
        officer = context.new_page()
        fill_login_form(officer, "officer", DEMO_PASSWORD)
        login_button(officer).click()
        officer.wait_for_url(lambda url: "/login" not in url)
        # From the home page to the overdue notices, and to the demo's overdue one.
        officer.locator('a[href="/rectification?show=overdue"]').first.click()
        overdue = officer.locator("ul.notices li.overdue")
        expect(overdue).to_have_count(1)
        assert axe_violations(officer) == []
        overdue.locator('a[href^="/rectification/"]').first.click()
        expect(officer.locator(".screen-only .state-overdue")).to_be_visible()
        expect(officer.locator(".notice-sheet")).to_contain_text("西关菜市场经营管理处")
        notice_url = officer.url
        assert axe_violations(officer) == []
        officer.screenshot(path=str(tmp_path / "notice-screen.png"), full_page=True)
        officer.emulate_media(media="print")
        assert not officer.locator(".screen-only").is_visible()
        photos = officer.locator(".notice-photos img")
        expect(photos).to_have_count(3)
        for n in range(3):  # the hazard's photos on the sheet, loaded
            assert officer.evaluate("(img) => img.complete && img.naturalWidth > 0", photos.nth(n).element_handle())
        officer.screenshot(path=str(tmp_path / "notice-print.png"), full_page=True)
        printed = officer.pdf(prefer_css_page_size=True, print_background=True)
        (tmp_path / "notice.pdf").write_bytes(printed)
        pdf = PdfReader(io.BytesIO(printed))
        width_mm = float(pdf.pages[0].mediabox.width) / 72 * 25.4
        height_mm = float(pdf.pages[0].mediabox.height) / 72 * 25.4
        assert abs(width_mm - 210) < 2 and abs(height_mm - 297) < 2  # A4
        assert len(pdf.pages) == 1  # one sheet to sign and hand over
        text = unicodedata.normalize("NFKC", pdf.pages[0].extract_text())
        # (The PDF's CJK font has no text map, so the check reads the numbers.)
        for expected in ("2026-0002", "0971-0000000", "/rectify/"):
            assert expected in text.replace("\n", ""), expected
        # The QR code as a phone's camera sees the printed sheet.
        qr = officer.locator(".notice-qr svg")
        decoded = [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))]
        assert len(decoded) == 1 and decoded[0].startswith(f"{portal_url}/rectify/"), decoded
        report_url = decoded[0]
        assert report_url in text.replace("\n", "")  # the address printed under it is the same
        officer.emulate_media(media="screen")

        # The party, on a phone, without an account.
        phone = open_phone()
        party = phone.page
        party.goto(report_url)
        expect(party.get_by_role("heading", level=1)).to_be_visible()
        expect(party.locator("main")).to_contain_text("2026-0002")
        expect(party.locator("main")).not_to_contain_text("西关菜市场经营管理处")  # no names on a page the QR code opens
        assert_fits_the_phone(party)
        assert axe_violations(party) == []
        party.locator("#note").fill("货箱已经搬走，出口畅通。")
        party.locator("form button.primary").click()
        expect(party.locator("#photo-error")).to_be_visible()
        expect(party.locator("#photo")).to_have_attribute("aria-invalid", "true")
        expect(party.locator("#note")).to_have_value("货箱已经搬走，出口畅通。")
        assert party.url == report_url
        assert axe_violations(party) == []
        party.screenshot(path=str(tmp_path / "report-no-photo.png"), full_page=True)
        party.locator("#photo").set_input_files(files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.5 not a photo"}])
        party.locator("form button.primary").click()
        expect(party.locator("#photo-error")).to_be_visible()
        expect(party.locator("#note")).to_have_value("货箱已经搬走，出口畅通。")
        party.locator("#photo").set_input_files(files=[{"name": "exit.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
        party.locator("form button.primary").click()
        party.wait_for_url(f"{report_url}?sent=1")
        expect(party.locator(".alert.success")).to_be_visible()
        expect(party.locator("#photo")).to_have_count(0)  # reported once: no form again
        party.screenshot(path=str(tmp_path / "report-sent.png"), full_page=True)
        assert phone.offsite == []

        # Back at the station: the notice waits for its re-inspection, with the photo.
        officer.goto(notice_url)
        expect(officer.locator(".screen-only .state-reported")).to_be_visible()
        photo = officer.locator(".reports img")
        expect(photo).to_have_count(1)
        assert officer.evaluate("(img) => img.complete && img.naturalWidth > 0", photo.element_handle())
        expect(officer.locator('.screen-only a[href$="#hazard-actions"]')).to_be_visible()
    finally:
        context.close()
