"""Home visits in a browser, on the demo data: the volunteer 张建国 on a phone finds the
visits assigned to him on his home, opens the overdue one, records "needs help" without
saying what (told by the field, the choice kept), then with the note; the officer on a PC
finds the visit on the register and the person's page and files it into the ledger. Every
page passed is checked with axe-core (WCAG 2.2 AA), the phone's fit the screen. English
pages, so that the test reads the same before and after the catalogues are filled."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_accessibility import AXE
from tests.browser.test_desk_layout import PC
from tests.browser.test_outreach_journeys import checked, sign_in_in_english

OVERDUE = "李桂芳"  # due three days ago in the demo
NOTE = "暖气片漏水，地上有积水，老人怕滑倒。"


def test_a_volunteer_records_a_visit_on_a_phone_and_the_officer_files_it(open_phone, browser, portal_url, tmp_path: Path):
    phone = open_phone()
    page = phone.page
    page.context.add_init_script(path=str(AXE))
    sign_in_in_english(page, portal_url, "volunteer")
    page.goto("/")
    assigned = page.locator("section", has=page.get_by_role("heading", name="Visits assigned to you"))
    expect(assigned).to_contain_text(OVERDUE)
    expect(assigned).to_contain_text("Overdue")
    checked(page)
    assigned.get_by_role("link", name=OVERDUE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(OVERDUE)
    expect(page.locator("main")).to_contain_text("79 岁")  # the needs
    expect(page.locator("main")).not_to_contain_text("李强")  # never the contact person
    checked(page)
    page.get_by_label("How it went").select_option("needs_help")
    page.get_by_role("button", name="Record the visit").click()
    expect(page.locator(".field.has-error .error")).to_have_text("Say what help is needed.")
    expect(page.get_by_label("How it went")).to_have_value("needs_help")
    checked(page)
    page.get_by_label("Note").fill(NOTE)
    page.get_by_role("button", name="Record the visit").click()
    expect(page.get_by_role("status")).to_contain_text("Visit recorded. Thank you.")
    expect(page.locator("main")).to_contain_text(OVERDUE)
    expect(page.locator("main")).not_to_contain_text("Overdue")  # the next visit is a week on
    checked(page)
    page.screenshot(path=str(tmp_path / "care-visits-390.png"), full_page=True)
    page.goto("/care/assigned")
    expect(page.get_by_role("heading", level=1)).to_have_text("Visits assigned to you")
    checked(page)
    assert phone.offsite == []

    context = browser.new_context(base_url=portal_url, **PC)
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(AXE))
    try:
        office = context.new_page()
        sign_in_in_english(office, portal_url, "officer")
        office.goto("/")
        office.get_by_role("link", name=re.compile(r"^Care register of ")).first.click()
        row = office.locator("tr", has_text=OVERDUE)
        expect(row).to_contain_text("Needs help")
        checked(office, phone=False)
        row.get_by_role("link", name=OVERDUE).click()
        expect(office.locator("main")).to_contain_text(NOTE)
        expect(office.locator("main")).to_contain_text("李强")  # the officer sees the contact person
        checked(office, phone=False)
        visit = office.locator("li", has_text=NOTE)
        visit.locator("summary", has_text="File into a ledger").click()
        visit.get_by_label("Ledger", exact=True).select_option("claim:help")
        visit.get_by_role("button", name="File into the ledger").click()
        link = office.get_by_role("link", name=re.compile(r"^Ledger item [A-Z]+-\d{4}-\d{6}$"))
        expect(link).to_be_visible()
        checked(office, phone=False)
        office.screenshot(path=str(tmp_path / "care-person-1366.png"), full_page=True)
        office.get_by_role("link", name="Change the details or the schedule").click()
        expect(office.get_by_label("Visit every (days)")).to_have_value("7")
        checked(office, phone=False)
        office.goto("/communities/1/care?ended=1")
        expect(office.locator("main")).to_contain_text("孙德明")
        checked(office, phone=False)
        office.get_by_role("link", name="Add a person").click()
        checked(office, phone=False)
    finally:
        context.close()
