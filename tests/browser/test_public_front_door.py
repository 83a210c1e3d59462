"""The public front door on a 390×844 phone (issue 18): the home leads to a community's
safe places and forms; the QR landing page puts the officer's name, photo and a large
call button first, then the ways to write, then the hours; the tracking code is copied
with one tap (and stays text without JavaScript); every link and button of the public
pages is a target of at least 24×24 px; axe finds nothing, in both languages.

Target size (WCAG 2.2, 2.5.8): every visible ``a[href]``, ``button`` and ``summary`` is
measured by its bounding box. The success criterion exempts a target "in a sentence or
whose size is otherwise constrained by the line-height of non-target text": here an
inline link (computed display ``inline``) whose nearest block (p, li, dd, td, th,
label, figcaption) has other words beside the link's own text. A link standing alone
in its block is no sentence and must be 24×24 itself. The skip link, off screen until
focused, is measured once focused.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import AXE, axe_violations

# The targets smaller than 24×24 px that no exception covers, as "tag 'text' w×h".
SMALL_TARGETS = r"""() => {
  const small = [];
  for (const el of document.querySelectorAll("a[href], button, summary, input[type=submit]")) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === "hidden" || box.right <= 0 || box.bottom <= 0) continue;
    if (box.width >= 24 && box.height >= 24) continue;
    if (el.tagName === "A" && style.display === "inline") {
      const block = el.parentElement.closest("p, li, dd, td, th, label, figcaption");
      const rest = block ? block.textContent.replace(el.textContent, "").replace(/[\s\p{P}\p{S}]/gu, "") : "";
      if (rest.length > 0) continue;  // inside a sentence: the inline exception
    }
    small.push(`${el.tagName.toLowerCase()} '${el.textContent.trim().slice(0, 40)}' ${box.width.toFixed(0)}x${box.height.toFixed(0)}`);
  }
  return small;
}"""


def small_targets(page: Page) -> list[str]:
    page.wait_for_load_state("load")
    found = page.evaluate(SMALL_TARGETS)
    page.keyboard.press("Tab")  # the skip link comes into view when focused
    skip = page.locator(".skip-link").bounding_box()
    page.evaluate("document.activeElement.blur()")  # the focused skip link covers the brand
    if skip and (skip["width"] < 24 or skip["height"] < 24):
        found.append(f"skip link {skip['width']:.0f}x{skip['height']:.0f}")
    return found


def send_help_request(page: Page, email: str = "") -> str:
    """From the community page, a help request; the tracking page's code."""
    page.goto("/c/xiguan/ask/help")
    page.locator("#text").fill("Someone keeps trying the doors of the bicycle shed at night.")
    if email:
        page.locator("#contact_email").fill(email)
    page.locator("form button.primary").click()
    expect(page.locator(".secret code")).to_be_visible()
    return page.locator(".secret code").inner_text()


def test_the_home_leads_to_the_communitys_safe_places_and_its_forms(phone):
    page = phone.page
    page.goto("/")
    page.get_by_role("button", name="English").click()
    community = page.locator("ul.communities li", has_text="Xiguan")
    community.get_by_role("link", name="Safe places open now").click()
    expect(page).to_have_url(re.compile(r"/c/xiguan#open-now$"))
    expect(page.get_by_role("heading", name="Safe places open now")).to_be_in_viewport()
    page.go_back()
    page.locator("ul.communities li", has_text="Xiguan").get_by_role("link", name="Write to the police").click()
    expect(page.get_by_role("heading", name="Write to the community police")).to_be_in_viewport()
    page.get_by_role("link", name="Ask for help (not an emergency)").click()
    expect(page.get_by_label("Your e-mail, for the answer (optional)")).to_be_visible()
    assert phone.offsite == []


def test_the_qr_landing_page_puts_the_officer_and_the_call_first_then_writing_then_hours(phone):
    page = phone.page
    page.goto("/c/xiguan")
    page.get_by_role("button", name="English").click()
    page.get_by_role("link", name="Xiguan 24h Store").click()
    expect(page.get_by_role("heading", name="Xiguan 24h Store", level=1)).to_be_visible()
    photo = page.locator(".who-to-call .officer-photo").first
    name = page.locator(".who-to-call .officer-name").first
    call = page.locator(".who-to-call a.call").first
    writing = page.get_by_role("heading", name="Write to the community police")
    hours = page.get_by_role("heading", name="Opening hours")
    expect(call).to_have_attribute("href", re.compile(r"^tel:[0-9+-]+$"))
    expect(call).to_have_text(re.compile(r"^Call "))
    # The officer, the photo (or its initial) and the call button on the first screen.
    for element in (photo, name, call):
        expect(element).to_be_in_viewport()
    tops = [element.bounding_box()["y"] for element in (photo, call, writing, hours)]
    assert tops == sorted(tops), tops
    box = call.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 300  # large: the width of the phone
    expect(page.locator(".open-state")).to_contain_text(re.compile(r"Open until \d\d:\d\d|Open 24 hours today"))
    directions = page.locator(".directions").first
    expect(directions.get_by_role("button", name="Copy the address")).to_be_visible()
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width
    assert phone.offsite == []


def test_the_tracking_code_is_copied_with_one_tap(phone, portal_url):
    page = phone.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal_url)
    code = send_help_request(page, "li.na@example.org")
    copy = page.get_by_role("button", name="复制查询码")
    expect(copy).to_be_visible()
    assert copy.bounding_box()["height"] >= 44
    copy.tap()
    expect(page.locator(".copy-status").first).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == code
    assert phone.offsite == []


def test_without_javascript_the_code_stays_text_and_no_dead_button_shows(open_phone):
    phone = open_phone(java_script_enabled=False)
    page = phone.page
    code = send_help_request(page)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    expect(page.locator("button.copy")).to_be_hidden()
    assert page.locator(".tracking-code").evaluate("el => getComputedStyle(el).userSelect") == "all"  # one tap selects it
    page.goto("/c/xiguan")
    expect(page.locator("button.copy").first).to_be_hidden()
    assert phone.offsite == []


@pytest.mark.parametrize("language", ("zh_CN", "en"))
def test_every_target_of_the_public_pages_is_24px_and_axe_finds_nothing(phone, portal_url, language):
    if not AXE.exists():
        pytest.fail("static/vendor/axe.min.js is missing: run scripts/fetch-axe")
    page = phone.page
    page.context.add_cookies([{"name": "lang", "value": language, "url": portal_url}])
    page.goto("/c/xiguan")
    point = page.locator("ol.places a[href^='/p/']").first.get_attribute("href")
    room = page.locator("ol.places a[href^='/rr/']").first.get_attribute("href")
    code = send_help_request(page)
    tracking = page.url
    pages = [
        "/", "/c/xiguan", point, room, "/c/xiguan/ask/help", "/c/xiguan/ask/complaint", "/track", tracking, f"/track?code=NOPE{code[:2]}",
        "/c/xiguan/ledger", "/c/xiguan/bulletins", "/login", "/volunteer/apply",
    ]
    problems = {}
    for url in pages:
        page.goto(url)
        found = {"axe": axe_violations(page), "small": small_targets(page)}
        if found["small"] or found["axe"]:
            problems[url] = found
    assert page.evaluate("document.documentElement.lang").startswith(language[:2])
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    assert phone.offsite == []


def test_the_size_check_finds_a_small_target(phone):
    """A lone link of 10 px put into a page is reported; one inside a sentence is not."""
    page = phone.page
    page.goto("/track")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        "'<p><a href=\"/x\" style=\"font-size:8px\">x</a></p><p>Read <a href=\"/y\" style=\"font-size:8px\">y</a> here.</p>')"
    )
    found = page.evaluate(SMALL_TARGETS)
    assert len(found) == 1 and found[0].startswith("a 'x'")
