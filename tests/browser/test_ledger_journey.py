"""The three ledgers on phones: a resident (in English) sends a complaint from the
community's page; the officer (in Chinese) assigns it to herself, starts, marks it
handled and gives feedback; the resident says "satisfied" on the tracking page; the
community's public ledger shows it closed, without the resident's name or phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD
from tests.browser.test_phone_journeys import assert_fits_the_phone, assert_htmx_loaded, fill_login_form, login_button

COMPLAINT = "Motorbikes race on Xiguan Road after midnight."
NAME, PHONE_NUMBER = "Anna Smith", "13812345678"


def test_complaint_from_resident_to_satisfied_and_public(open_phone):
    resident = open_phone().page
    resident.goto("/c/xiguan/ask/complaint")
    resident.get_by_role("button", name="English").click()
    expect(resident.locator("html")).to_have_attribute("lang", "en")
    resident.get_by_label("What is it about?").fill(COMPLAINT)
    resident.get_by_label("Your name (optional)").fill(NAME)
    resident.get_by_label("Your phone (optional)").fill(PHONE_NUMBER)
    resident.get_by_role("button", name="Send").click()
    expect(resident.get_by_text("Thank you, your message was received.")).to_be_visible()
    tracking_url = resident.url.split("?")[0]
    heading = resident.locator(".ledger-tracking h2").inner_text()
    number = re.search(r"[A-Z0-9]+-\d{4}-\d{6}", heading).group(0)
    expect(resident.locator(".stage-now")).to_have_text("Registered")
    assert_fits_the_phone(resident)

    officer = open_phone().page
    fill_login_form(officer, "officer", DEMO_PASSWORD)
    login_button(officer).tap()
    officer.wait_for_url(lambda url: "/login" not in url)
    assert_htmx_loaded(officer)
    officer.get_by_role("link", name="我负责的社区的在办事项").tap()
    officer.get_by_role("link", name=number).tap()
    expect(officer.get_by_role("heading", name=number)).to_be_visible()
    expect(officer.get_by_text(PHONE_NUMBER)).to_be_visible()  # officers see the contact
    officer.get_by_role("button", name="指派").tap()
    expect(officer.locator(".badge")).to_have_text("已指派")
    officer.get_by_role("button", name="开始办理").tap()
    expect(officer.locator(".badge")).to_have_text("办理中")
    # "Handled" needs what was done: refused with the message next to the field first.
    officer.get_by_role("button", name="标记为已办理").tap()
    expect(officer.locator("#handled-note-error")).to_have_text("请填写办理情况。")
    officer.get_by_label("办理情况").fill("与交警联合夜查，已在西关路设卡。")
    officer.get_by_role("button", name="标记为已办理").tap()
    expect(officer.locator(".badge")).to_have_text("已办理")
    # One matter, made public: the answer waits for the public summary, pre-filled with a
    # suggestion from the category and the outcome that the officer checks and saves.
    officer.get_by_role("button", name="保存公开内容").tap()
    expect(officer.locator(".badge")).to_have_text("已办理")
    officer.get_by_label("给群众的答复").fill("We now check Xiguan Road every night with the traffic police.")
    officer.get_by_role("button", name="反馈给群众").tap()
    expect(officer.locator(".badge")).to_have_text("已反馈")
    assert_fits_the_phone(officer)

    resident.goto(tracking_url)
    expect(resident.locator(".answer")).to_have_text("We now check Xiguan Road every night with the traffic police.")
    expect(resident.get_by_text("与交警联合夜查")).to_have_count(0)  # the internal note stays inside
    resident.get_by_label("Yes, I am satisfied").check()
    resident.get_by_role("button", name="Send my answer").tap()
    expect(resident.get_by_text("Thank you. The matter is closed.")).to_be_visible()
    expect(resident.locator(".stage-now")).to_have_text("Closed, satisfied")

    resident.goto("/c/xiguan/ledger")
    row = resident.locator(f"#item-{number}")
    expect(row).to_contain_text("Closed, satisfied")
    content = resident.content()
    assert NAME not in content and PHONE_NUMBER not in content and COMPLAINT not in content
    assert_fits_the_phone(resident)
    officer.reload()
    expect(officer.locator(".badge")).to_have_text("已办结（群众满意）")
