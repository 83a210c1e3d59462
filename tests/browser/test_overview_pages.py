"""The heads' overview in a browser: the district head opens it from the home page on a PC
(the 4S panels side by side, no header broken inside a word, axe clean), a station head
reads it on a phone as labelled cards, and it prints on A4 with the 4S on the first sheet.
Screenshots are saved beside the test's files."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect
from pypdf import PdfReader

from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import LOCAL_HOSTS
from tests.browser.test_accessibility import AXE, axe_violations
from tests.browser.test_desk_layout import BROKEN_WORDS, LABELS, PC
from tests.browser.test_phone_journeys import fill_login_form, login_button


def test_a_district_head_reads_the_overview_on_a_pc_and_prints_it(browser, portal_url, demo_data, tmp_path: Path):
    context = browser.new_context(base_url=portal_url, **PC)
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname in LOCAL_HOSTS else route.abort("blockedbyclient"))
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        fill_login_form(page, "district_head", DEMO_PASSWORD)
        login_button(page).click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.get_by_role("link", name="打开总览").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("总览")
        # Layout is measured once the style sheet is in (a busy machine ran the check before it).
        page.wait_for_load_state("load")
        panels = page.locator(".four-s > section")
        expect(panels).to_have_count(4)
        tops = {round(panels.nth(n).bounding_box()["y"]) for n in range(4)}
        assert len(tops) == 1, tops  # side by side on a PC
        assert page.evaluate("document.querySelector('main').getBoundingClientRect().width") > 1000
        assert page.evaluate(BROKEN_WORDS) == []
        assert page.locator("svg.trend").count() >= 30
        # The period presets are plain links; the quarter shows the quarter's label.
        page.get_by_role("link", name="本季度").click()
        expect(page.locator("main")).to_contain_text("季度")
        assert axe_violations(page) == []
        page.screenshot(path=str(tmp_path / "overview-1366.png"), full_page=True)
        page.emulate_media(media="print")
        assert not page.locator(".site-header").is_visible() and not page.locator("main form").first.is_visible()
        pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
        width_mm = float(pdf.pages[0].mediabox.width) / 72 * 25.4
        height_mm = float(pdf.pages[0].mediabox.height) / 72 * 25.4
        assert abs(width_mm - 210) < 2 and abs(height_mm - 297) < 2  # A4
        assert 1 <= len(pdf.pages) <= 4, len(pdf.pages)
        first = unicodedata.normalize("NFKC", pdf.pages[0].extract_text())
        assert "4S" in first  # the 4S panels on the first sheet
    finally:
        context.close()


def test_a_station_head_reads_the_overview_as_labelled_cards_on_a_phone(open_phone, tmp_path: Path):
    head = open_phone().page
    fill_login_form(head, "head", DEMO_PASSWORD)
    login_button(head).tap()
    head.wait_for_url(lambda url: "/login" not in url)
    head.goto("/overview")
    head.wait_for_load_state("load")
    cells = head.evaluate(LABELS, ".overview-section")
    assert cells
    for cell in cells:
        assert cell["block"] == "block" and cell["label"] in cell["before"], cell
    assert head.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 391
    head.screenshot(path=str(tmp_path / "overview-390.png"), full_page=True)
