"""Browser: a resident opens the published bulletin of 西关社区 on a phone, and an officer
prints it on A4 for the notice board (no header, footer or buttons; the charts print)."""

from __future__ import annotations

import io
import re
import unicodedata

from playwright.sync_api import expect
import zxingcpp
from PIL import Image
from pypdf import PdfReader


def test_published_bulletin_reads_on_a_phone_and_prints_on_a4(open_phone):
    phone = open_phone(java_script_enabled=False)  # a notice-board page needs no script
    page = phone.page
    page.goto("/c/xiguan/bulletins")
    page.get_by_role("link", name=re.compile("西关社区平安周报")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("西关社区平安周报")
    expect(page.get_by_role("heading", name="联系方式")).to_be_visible()
    # The trend charts are SVG drawn by the server, named for screen readers.
    charts = page.locator("svg.trend")
    if charts.count():
        expect(charts.first).to_have_attribute("role", "img")
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width + 1
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible() and not page.locator("p.actions").is_visible()
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    width_mm = float(pdf.pages[0].mediabox.width) / 72 * 25.4
    height_mm = float(pdf.pages[0].mediabox.height) / 72 * 25.4
    assert abs(width_mm - 210) < 2 and abs(height_mm - 297) < 2  # A4
    assert len(pdf.pages) == 1  # one sheet for the notice board, the figures on it
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in pdf.pages))
    # (The PDF's CJK font has no text map, so the check reads the figures and numbers.)
    week = re.search(r"\d{4}-W\d{2}", page.url).group(0)
    for expected in (week, "110", "13800000000", "0971-0000000"):
        assert expected in text, expected
    assert "/text" not in text and "Atom" not in text  # the buttons stay on screen
    # The QR codes at the foot of the sheet lead to this bulletin online and to the
    # community's page where residents ask and report; a phone's camera reads them.
    qr = page.locator(".bulletin-qr")
    expect(qr).to_be_visible()
    image = Image.open(io.BytesIO(qr.screenshot()))
    decoded = sorted(result.text for result in zxingcpp.read_barcodes(image))
    origin = page.url.split("/c/")[0]
    assert decoded == sorted([page.url, f"{origin}/c/xiguan"])
    page.emulate_media(media="screen")
    expect(qr).to_be_hidden()  # on screen the page is already open
    assert phone.offsite == []
