"""Journeys on a phone in Chinese: logging in per role, switching the language, a wrong
password with and without JavaScript, and logging in with the keyboard alone.

Every test ends by checking that no request tried to leave the machine.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.demo import ACCOUNTS, DEMO_PASSWORD

REAL_NAMES = {username: real_name for username, real_name, *_ in ACCOUNTS}
WRONG_MESSAGE = "用户名或密码不正确。"
MIN_TAP_PX = 44  # the smallest comfortable touch target
PHONE_WIDTH = 390  # the viewport of the phone fixture

# Text only the role's own home page shows (the demo communities: 西关社区 is the
# officer's, the head's station has all three).
ROLE_HOME_TEXT = {
    "volunteer": ["感谢您和我们一起守护社区", "西关社区"],
    "host": ["您的店铺是平安守望点", "西关社区"],
    "officer": ["您负责审核义警和守望点", "您负责的社区", "西关社区"],
    "head": ["您关注本所各社区的台账", "您负责的社区", "西关社区", "东门社区", "南山社区"],
    "admin": ["您负责管理组织机构，以及民警、所长、义警和守望点负责人的账号"],
}


def username_field(page: Page):
    return page.get_by_label("用户名", exact=True)


def password_field(page: Page):
    return page.get_by_label("密码", exact=True)


def login_button(page: Page):
    return page.get_by_role("button", name="登录", exact=True)


def fill_login_form(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    username_field(page).fill(username)
    password_field(page).fill(password)


def assert_htmx_loaded(page: Page) -> None:
    # The script is deferred: a heading can be checked before it has run.
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load from /static/vendor/"


def assert_fits_the_phone(page: Page) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    # A mobile browser zooms out to show content wider than the screen, which widens
    # innerWidth too: so the viewport must also still be the phone's own width.
    assert inner_width == PHONE_WIDTH, f"the page was zoomed out to {inner_width} px"
    assert scroll_width <= inner_width, f"horizontal scroll: {scroll_width} px wide content on a {inner_width} px screen"


def assert_tap_target(locator, what: str) -> None:
    box = locator.bounding_box()
    assert box is not None, f"{what} is not visible"
    assert box["height"] >= MIN_TAP_PX, f"{what} is {box['height']} px tall, below {MIN_TAP_PX} px"


def assert_home_of(page: Page, username: str) -> None:
    expect(page).to_have_url("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"您好，{REAL_NAMES[username]}")


@pytest.mark.parametrize("role", ["volunteer", "host", "officer", "head", "admin"])
def test_each_role_logs_in_on_the_phone_and_lands_on_its_own_home_page(phone, role):
    """The demo account of ``role`` logs in by tapping, sees its own home page in Chinese
    without horizontal scrolling, and the buttons are big enough to tap; log-out works."""
    page = phone.page
    fill_login_form(page, role, DEMO_PASSWORD)
    assert_htmx_loaded(page)
    assert_fits_the_phone(page)
    assert_tap_target(login_button(page), "the 登录 button")
    login_button(page).tap()

    assert_home_of(page, role)
    for text in ROLE_HOME_TEXT[role]:
        expect(page.get_by_text(text).first).to_be_visible()
    manage_users = page.get_by_role("link", name="管理用户")
    if role == "admin":
        expect(manage_users).to_be_visible()
    else:
        expect(manage_users).to_have_count(0)
    expect(page.locator("header.site-header")).to_have_count(1)  # a whole page, not one nested in another
    assert_htmx_loaded(page)
    assert_fits_the_phone(page)
    log_out = page.get_by_role("button", name="退出登录")
    assert_tap_target(log_out, "the 退出登录 button")

    log_out.tap()
    expect(page.get_by_role("banner").get_by_role("link", name="登录")).to_be_visible()
    expect(log_out).to_have_count(0)
    assert phone.offsite == []


def test_the_language_switch_reloads_in_english_and_is_remembered(phone):
    """Tapping English in the footer reloads the page in English, other pages stay
    English, and 中文 switches back."""
    page = phone.page
    fill_login_form(page, "volunteer", DEMO_PASSWORD)
    login_button(page).tap()
    assert_home_of(page, "volunteer")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-CN")

    page.get_by_role("contentinfo").get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, 张建国")
    expect(page).to_have_url("/")
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")

    page.goto("/account/password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change password")
    expect(html).to_have_attribute("lang", "en")
    assert_fits_the_phone(page)

    page.get_by_role("contentinfo").get_by_role("button", name="中文").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")
    expect(page).to_have_url("/account/password")
    expect(html).to_have_attribute("lang", "zh-CN")
    assert_htmx_loaded(page)
    assert phone.offsite == []


def test_a_wrong_password_swaps_only_the_form_with_htmx(phone):
    """With JavaScript, htmx replaces the login form in place: same page (no reload),
    the error shown, the username kept and the password cleared."""
    page = phone.page
    fill_login_form(page, "volunteer", "not-the-password")
    assert_htmx_loaded(page)
    page.evaluate("window.__marker = 1")  # lost if the page reloads
    login_button(page).tap()

    expect(page.get_by_role("alert")).to_have_text(WRONG_MESSAGE)
    expect(page).to_have_url("/login")
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the form"
    expect(username_field(page)).to_have_value("volunteer")
    expect(password_field(page)).to_have_value("")
    expect(page.locator("#login-form")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    assert_fits_the_phone(page)
    assert phone.offsite == []


def test_a_wrong_password_without_javascript_shows_the_same_error(open_phone):
    """With JavaScript off the plain HTML form posts and the page shows the same error,
    with the username kept."""
    phone = open_phone(java_script_enabled=False)
    page = phone.page
    fill_login_form(page, "volunteer", "not-the-password")
    login_button(page).tap()

    expect(page.get_by_role("alert")).to_have_text(WRONG_MESSAGE)
    expect(page).to_have_url("/login")
    expect(username_field(page)).to_have_value("volunteer")
    expect(password_field(page)).to_have_value("")
    assert_fits_the_phone(page)
    assert phone.offsite == []


def test_a_volunteer_logs_in_with_the_keyboard_alone(phone):
    """Tab reaches the username field within a few presses, Tab again the password,
    and Enter logs in."""
    page = phone.page
    page.goto("/login")
    assert_htmx_loaded(page)
    focused = "document.activeElement.id"
    for _ in range(6):  # skip link, brand, header link, then the form
        page.keyboard.press("Tab")
        if page.evaluate(focused) == "username":
            break
    else:
        pytest.fail("Tab never reached the username field")
    page.keyboard.type("volunteer")
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")

    assert_home_of(page, "volunteer")
    assert phone.offsite == []
