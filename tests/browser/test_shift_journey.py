"""A volunteer's shift on a phone, in Chinese: find a shift, sign up (htmx swaps the
row), see it in "My shifts", check in, check out (confirmed, as it is early); then the
officer sees the hours.

The demo data has a 放学护学岗 shift starting five minutes after it is loaded."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD
from tests.browser.test_phone_journeys import assert_fits_the_phone, assert_htmx_loaded, fill_login_form, login_button


def test_a_volunteer_signs_up_checks_in_and_out_and_the_officer_sees_the_hours(open_phone):
    volunteer = open_phone()
    page = volunteer.page
    fill_login_form(page, "volunteer", DEMO_PASSWORD)
    login_button(page).tap()
    page.get_by_role("link", name="我可以报名的班次").first.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("我可以报名的班次")
    assert_htmx_loaded(page)
    assert_fits_the_phone(page)

    row = page.locator("li.shift-row", has_text="放学护学岗")
    expect(row).to_contain_text("共 3 个名额，还剩 3 个。")
    page.evaluate("window.__marker = 1")  # lost if the page reloads
    row.get_by_role("button", name="报名").tap()
    expect(row).to_contain_text("您已报名。")
    assert page.evaluate("window.__marker") == 1  # htmx swapped the row in place
    expect(row.get_by_role("button", name="我去不了了")).to_be_visible()  # within the 12 h cut-off

    page.get_by_role("link", name="我的班次").first.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的班次")
    mine = page.locator("li.shift-row", has_text="放学护学岗")
    mine.get_by_role("button", name="签到").tap()
    expect(mine).to_contain_text("已签到")
    mine.get_by_role("button", name="签退").tap()
    # Right after the check-in (before the start) the check-out asks first.
    page.locator("form:has(input[name=confirm][value=yes]) button").tap()
    expect(page.locator("li.shift-row", has_text="放学护学岗")).to_contain_text("已签退")
    expect(page.get_by_text("累计服务时长")).to_be_visible()
    assert_fits_the_phone(page)
    assert volunteer.offsite == []

    officer = open_phone()
    page = officer.page
    fill_login_form(page, "officer", DEMO_PASSWORD)
    login_button(page).tap()
    page.get_by_role("link", name="西关社区 排班表").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("排班表")
    shift = page.locator("li.shift-row", has_text="放学护学岗")
    expect(shift).to_contain_text("张建国")
    shift.get_by_role("link").first.tap()
    expect(page.locator("li", has_text="张建国")).to_contain_text("签退")
    expect(page.locator("li", has_text="张建国")).to_contain_text("小时")
    page.get_by_role("link", name="时长").first.tap()
    expect(page.get_by_role("rowheader", name="张建国")).to_be_visible()  # each row is headed by the name
    assert_fits_the_phone(page)
    assert officer.offsite == []
