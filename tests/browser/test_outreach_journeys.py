"""进建商 and 联访解 in a browser, on the demo data: the officer pairs with an elderly
person on a phone, logs a call, sends an opinion without its text (told by the field),
corrects the pairing's phone (a wrong one refused by the field, the note kept), then files
it into the ledger and follows the link to the item; the station head follows the home's
count of overdue resolutions to the list and the session, records a resolution of the demo
session as done and corrects a representative's post on a PC. Every page passed is checked with
axe-core (WCAG 2.2 AA) and fits the phone. English pages, so that the test reads the
same before and after the catalogues are filled."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import AXE, axe_violations
from tests.browser.test_desk_layout import PC
from tests.browser.test_phone_journeys import assert_fits_the_phone, fill_login_form, login_button
from portal.demo import DEMO_PASSWORD


def sign_in_in_english(page: Page, portal_url: str, username: str) -> None:
    fill_login_form(page, username, DEMO_PASSWORD)
    login_button(page).click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.context.add_cookies([{"name": "lang", "value": "en", "url": portal_url}])


def checked(page: Page, phone: bool = True) -> None:
    assert axe_violations(page) == [], page.url
    if phone:
        assert_fits_the_phone(page)


def test_an_officer_pairs_with_a_person_and_files_an_opinion_on_a_phone(open_phone, portal_url, tmp_path: Path):
    phone = open_phone()
    page = phone.page
    page.context.add_init_script(path=str(AXE))
    sign_in_in_english(page, portal_url, "officer")
    page.goto("/")
    page.get_by_role("link", name="My pairings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pairings (联访解)")
    expect(page.get_by_role("link", name="西关小学")).to_be_visible()
    checked(page)
    page.get_by_role("link", name="Pair with a unit or a person").click()
    page.get_by_label("A person").check()
    page.get_by_label("Name of the unit or the person").fill("杨爷爷")
    page.get_by_label("Phone (optional)").fill("138 0971 5566")
    page.get_by_label("Address (optional)").fill("西关大街 30 号")
    checked(page)
    page.get_by_role("button", name="Record the pairing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("杨爷爷")
    # A wrong phone corrected: refused by the field with the input kept, then saved.
    page.get_by_role("link", name="Change the pairing").click()
    page.get_by_label("Phone (optional)").fill("call his daughter")
    page.get_by_label("Note (optional)").fill("女儿在外地工作。")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.locator(".field.has-error .error").first).to_contain_text("phone number")
    expect(page.get_by_label("Note (optional)")).to_have_value("女儿在外地工作。")
    checked(page)
    page.get_by_label("Phone (optional)").fill("138 0971 5567")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.locator("main")).to_contain_text("138 0971 5567")
    expect(page.locator("main")).to_contain_text("女儿在外地工作。")
    page.get_by_label("Phone call").check()
    page.get_by_label("Note (optional)").fill("每周一次电话问候。")
    page.get_by_role("button", name="Log the contact").click()
    expect(page.locator("article h3").first).to_contain_text("Phone call")

    page.get_by_text("Record an opinion collected").click()
    page.get_by_label("Filed into the ledger").check()
    page.get_by_role("button", name="Record the opinion").click()
    # Refused: the message next to the empty field, the choice kept.
    error = page.locator(".field.has-error .error").first
    expect(error).to_have_text("Write the opinion collected.")
    expect(page.get_by_label("Filed into the ledger")).to_be_checked()
    checked(page)
    page.get_by_label("Opinion or request collected").fill("楼下夜里有人大声喧哗。")
    page.get_by_label("Ledger", exact=True).select_option("complaint")
    page.get_by_label("Category").select_option("noise")
    page.get_by_role("button", name="Record the opinion").click()
    link = page.get_by_role("link", name=re.compile(r"^[A-Z]+-\d{4}-\d{6}$"))
    expect(link).to_be_visible()
    checked(page)
    page.screenshot(path=str(tmp_path / "pairing-390.png"), full_page=True)
    link.click()
    expect(page.locator("main")).to_contain_text("楼下夜里有人大声喧哗。")
    page.goto("/pairings/officers")
    expect(page.locator("table")).to_contain_text("王莉")
    checked(page)
    assert phone.offsite == []


def test_the_station_head_records_a_resolution_as_done_on_a_pc(browser, portal_url, demo_data, tmp_path: Path):
    context = browser.new_context(base_url=portal_url, **PC)
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        sign_in_in_english(page, portal_url, "head")
        page.goto("/")
        # The demo's late resolution: counted on the home, listed, and its session one click away.
        page.get_by_role("link", name="1 resolution overdue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Overdue resolutions (进建商)")
        expect(page.locator("table")).to_contain_text("3 days late")
        checked(page, phone=False)
        page.get_by_role("link", name="Matter 4").click()
        expect(page.locator("#resolutions")).to_contain_text("Matter 4 · open")
        page.goto("/")
        page.get_by_role("link", name="Sessions and resolutions").click()
        checked(page, phone=False)
        page.get_by_role("link", name="校园周边交通与夜间出行安全", exact=True).click()
        expect(page.locator("#resolutions")).to_contain_text("Matter 3 · open")
        third = page.locator("article.resolution", has_text="Matter 3")
        third.locator("summary", has_text="Record it as done").click()
        third.get_by_role("button", name="Record it as done").click()
        third = page.locator("article.resolution", has_text="Matter 3")
        expect(third.locator(".field.has-error .error")).to_have_text("Write what was done.")
        third.get_by_label("What was done").fill("已联合物业排查 18 号院全部楼道，清走电动车 12 辆。")
        third.get_by_role("button", name="Record it as done").click()
        expect(page.locator("#resolutions")).to_contain_text("Matter 3 · done")
        expect(page.locator("#resolutions")).to_contain_text("已联合物业排查")
        checked(page, phone=False)
        page.goto("/councils/stations/1/representatives")
        expect(page.locator("table")).to_contain_text("13709710001")
        checked(page, phone=False)
        # A representative's post corrected on the register.
        page.get_by_role("link", name="Edit 陈立新").click()
        checked(page, phone=False)
        page.get_by_label("Post or organisation (optional)").fill("民间智库成员，退休法官，人民调解员")
        page.get_by_role("button", name="Save the changes").click()
        expect(page.locator("table")).to_contain_text("人民调解员")
        page.screenshot(path=str(tmp_path / "session-1366.png"), full_page=True)
    finally:
        context.close()
