"""The volunteer's field day on a 390×844 phone: the home starts with today's shift, the
check-in is done from the home and comes back to it, and an early check-out asks first
(a plain form): "No" keeps the person checked in, "Yes" checks out.

The demo data has a 放学护学岗 shift starting five minutes after it is loaded; the page is
switched to English, whose words this feature has before the catalogues do."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD
from tests.browser.test_phone_journeys import assert_fits_the_phone, assert_tap_target, fill_login_form, login_button


def test_a_volunteer_checks_in_from_the_home_and_confirms_an_early_check_out(phone):
    page = phone.page
    fill_login_form(page, "volunteer", DEMO_PASSWORD)
    login_button(page).tap()
    page.wait_for_url(lambda url: "/login" not in url)  # the language is switched on the home, not during the login
    page.get_by_role("contentinfo").get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, 张建国")

    # Take the shift that starts in a few minutes, then go home.
    page.get_by_role("link", name="Shifts I can take").first.tap()
    page.locator("li.shift-row", has_text="放学护学岗").get_by_role("button", name="Sign up").tap()
    expect(page.locator("li.shift-row", has_text="放学护学岗")).to_contain_text("You are signed up.")
    page.get_by_role("link", name="Shouwang").first.tap()

    top = page.locator("section.next-shift")
    expect(top.get_by_role("heading", level=2)).to_have_text("Today's shift")
    expect(top).to_contain_text("放学护学岗")
    expect(top).to_contain_text("西关小学门口")  # the place
    # The shift comes first, the quick log buttons after it.
    assert top.bounding_box()["y"] < page.locator("#logs-heading").bounding_box()["y"]
    check_in = top.get_by_role("button", name="Check in")
    assert_tap_target(check_in, "the check-in button")
    assert_fits_the_phone(page)
    check_in.tap()

    expect(page).to_have_url("/")
    expect(top).to_contain_text("Checked in at")
    top.get_by_role("button", name="Check out").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check out now?")
    expect(page.get_by_role("alert")).to_contain_text("checking out now ends it before it began")
    assert_fits_the_phone(page)
    page.get_by_role("link", name="No, stay checked in").tap()
    expect(page).to_have_url("/")
    expect(top).to_contain_text("Checked in at")

    top.get_by_role("button", name="Check out").tap()
    page.get_by_role("button", name="Yes, check out now").tap()
    expect(page).to_have_url("/")
    expect(page.locator("section.next-shift")).not_to_contain_text("放学护学岗")
    page.get_by_role("link", name="My shifts").first.tap()
    expect(page.locator("li.shift-row", has_text="放学护学岗")).to_contain_text("Checked out.")
    assert phone.offsite == []
