"""The public front door on a phone in English: from the community's safe places to a
point's page, a suggestion sent without JavaScript and with it, and followed by its
code; and the officer's bulk contact boards printed to PDF, whose QR code decodes to
the community's public page.

Every test ends by checking that no request tried to leave the machine.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from portal.demo import DEMO_PASSWORD

SUGGESTION = "Please add a street light near the school gate."


def switch_to_english(page) -> None:
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_visitor_opens_a_point_sends_a_suggestion_and_follows_it(open_phone, javascript):
    phone = open_phone(java_script_enabled=javascript)
    page = phone.page
    page.goto("/c/xiguan")
    switch_to_english(page)
    expect(page.get_by_role("heading", name="Safe places open now")).to_be_visible()
    page.get_by_role("link", name="Xiguan 24h Store").click()
    expect(page.get_by_role("heading", name="Xiguan 24h Store")).to_be_visible()
    expect(page.get_by_text("Open now", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Call 110", exact=True)).to_have_attribute("href", "tel:110")
    page.get_by_role("link", name="Make a suggestion").click()
    # An empty message is refused with a message next to the field, in English.
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#text-error")).to_have_text("Tell us what it is about.")
    page.get_by_label("What is it about?").fill(SUGGESTION)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Thank you, your message was received.")).to_be_visible()
    code = page.locator(".secret code").inner_text()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    # Later, from another visit: typed in lower case on the tracking page.
    page.goto("/track")
    page.get_by_label("Tracking code").fill(code.lower())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text(SUGGESTION)).to_be_visible()
    # A suggestion goes straight into the ledger of suggestions.
    expect(page.get_by_text("Filed in the ledger")).to_be_visible()
    expect(page.locator(".stage-now")).to_have_text("Registered")
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width
    assert phone.offsite == []


def test_officer_prints_all_boards_of_the_community_to_pdf(phone, portal_url):
    page = phone.page
    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill("officer")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    page.goto("/watchpoints")
    page.get_by_role("link", name=re.compile("打印西关社区的全部联系牌")).click()
    # The community's own board, then its four demo points (three verified, one pending).
    expect(page.locator("article.board")).to_have_count(5)
    boards = page.locator("article.board").count()
    # The QR code as the browser draws it decodes to the community's public page.
    shot = page.locator("article.board").first.locator("svg").screenshot()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert [d.text for d in decoded] == [f"{portal_url}/c/xiguan"]  # the address served: PORTAL_PUBLIC_URL is unset
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == boards  # one board a page
    width_mm = float(reader.pages[0].mediabox.width) / 72 * 25.4
    assert abs(width_mm - 210) < 2  # A4
    # NFKC undoes the ligatures ("ﬃ") and radicals ("⺠") of the PDF's fonts.
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))
    for expected in ("Police Contact Board", "Emergency", "110", "Community officer", "王莉", "Chen's Pharmacy", "0971-0000000", f"{portal_url}/p/"):
        assert expected in text, expected
    page.goto(page.url.replace("size=a4", "size=a5"))
    a5 = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    assert abs(float(a5.pages[0].mediabox.width) / 72 * 25.4 - 148) < 2 and len(a5.pages) == boards
    assert phone.offsite == []


def test_officer_uploads_a_photo_that_the_printed_board_shows(phone):
    """From the home page on the phone: the officer's photo replaces the initial on the
    board, loads in Chromium and is in the printed PDF (the QR code is vector, so the
    page's only raster image is the photo)."""
    page = phone.page
    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill("officer")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("link", name="我在联系牌上的照片").click()
    portrait = io.BytesIO()
    Image.new("RGB", (600, 800), (30, 60, 160)).save(portrait, format="PNG")
    page.get_by_label("照片", exact=True).set_input_files({"name": "me.png", "mimeType": "image/png", "buffer": portrait.getvalue()})
    page.get_by_role("button", name="上传照片").click()
    expect(page.get_by_text("照片已保存")).to_be_visible()
    page.goto("/watchpoints")
    page.get_by_role("link", name=re.compile("打印西关社区的全部联系牌")).click()
    photo = page.locator("article.board").first.locator("img.board-photo")
    expect(photo).to_have_attribute("alt", "王莉")
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
    reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    assert len(reader.pages[0].images) >= 1
    assert "Police Contact Board" in reader.pages[0].extract_text()
    assert phone.offsite == []


def test_officer_puts_themself_on_duty_today_and_the_public_page_says_so(open_phone):
    """Without JavaScript: the officer adds today (all day) to the roster on the phone;
    the community's public page then names them as the officer on duty."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    phone = open_phone(java_script_enabled=False)
    page = phone.page
    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill("officer")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.goto("/watchpoints")
    page.get_by_role("link", name="西关社区的值班表").click()
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    page.get_by_label("每周").select_option("")
    page.get_by_label("或仅限这一天").fill(today.isoformat())
    page.get_by_label("从").fill("00:00")
    page.get_by_label("到", exact=True).fill("00:00")
    page.get_by_label("跨过午夜结束").check()
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.get_by_text("00:00–00:00 (次日)")).to_be_visible()
    expect(page.locator("section", has_text="当前值班").get_by_text("王莉").first).to_be_visible()
    page.goto("/c/xiguan")
    expect(page.locator(".who-to-call .officer", has_text="当前值班民警")).to_contain_text("王莉")
    assert phone.offsite == []
