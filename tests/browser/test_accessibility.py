"""Every page each role reaches, in both languages, checked with axe-core at WCAG 2.2 AA;
and the main tasks done with the keyboard alone, the focus always visible.

The pages of a role are the links its home page and menus offer on the demo data (and
one level below them), plus the public pages; ``scripts/fetch-axe`` provides axe-core.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD
from portal.settings import ROOT
from tests.browser.test_phone_journeys import fill_login_form, login_button

AXE = ROOT / "static" / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ROLES = ("anonymous", "volunteer", "host", "officer", "head", "district_head", "admin")
# Pages that are files, end the session or change state when opened.
SKIP = (".csv", ".xlsx", ".ics", ".atom", ".xml", ".json", "/logout", "/photo", "/thumb", "/text", "/static/", "/schema", "/open311/", "/boards", "/print", "/export")
PER_ROLE = 60
# Sections a menu may not link from the home page (a 403 or 404 is skipped).
STAFF = ["/review", "/review/stats", "/ledger", "/ledger/new", "/ledger/overdue", "/ledger/templates", "/ledger/dashboard", "/ledger/calendar", "/bulletins", "/bulletins/tips", "/intake", "/watchpoints", "/officer/applications"]
START = {
    "anonymous": ["/login", "/track", "/volunteer/apply", "/c/xiguan", "/c/xiguan/ask/suggestion", "/c/xiguan/ledger", "/c/xiguan/bulletins"],
    "officer": STAFF + ["/communities/1/volunteers", "/shifts/manage/1", "/logs/landmarks/1", "/communities/1/board-registry"],
    "head": STAFF,
    "district_head": STAFF + ["/districts/chengzhong-district/bulletins"],
    "admin": STAFF,
}


def axe_violations(page: Page) -> list[str]:
    # After a click the new page may not have its style sheet yet: unstyled links are
    # smaller than the 24 px targets the page really has.
    page.wait_for_load_state("load")
    # From the portal's own static folder: the CSP (rightly) refuses an inline copy.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe.min.js")
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations"
        ".map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))",
        TAGS,
    )
    return found


def local_links(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        # The printable boards (``…/board``, ``…/boards``, ``…/print``) are documents of their own, not pages.
        if parts.netloc or not parts.path.startswith("/") or any(skip in parts.path for skip in SKIP) or parts.path.endswith("/board"):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def check_pages(page: Page, start: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The start pages, their links and the links of those pages, in order, one page of
    each shape (``/logs/3`` stands for every log), each checked with axe as it is visited:
    the pages seen and the violations found on them."""
    seen, shapes, problems = [], set(), {}
    frontier = start
    for _depth in range(3):
        following = []
        for url in frontier:
            shape = re.sub(r"^/admin/org/(\w+)/[^/?]+", r"/admin/org/\1/#", re.sub(r"\d+", "#", url))  # units by code
            if shape in shapes or len(seen) >= PER_ROLE:
                continue
            response = page.goto(url)
            if response is None or response.status >= 400:
                continue
            shapes.add(shape)
            seen.append(url)
            following += local_links(page)
            if "text/html" in response.headers.get("content-type", "") and (found := axe_violations(page)):
                problems[url] = found
        frontier = following
    return seen, problems


def sign_in(page: Page, username: str) -> None:
    fill_login_form(page, username, DEMO_PASSWORD)
    login_button(page).click()
    page.wait_for_url(lambda url: "/login" not in url)


# One test per role and language, so that parallel workers share the walk evenly.
@pytest.mark.walk
@pytest.mark.parametrize("language", ("zh_CN", "en"))
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_has_no_wcag_violations(open_phone, portal_url, role, language):
    if not AXE.exists():
        pytest.fail("static/vendor/axe.min.js is missing: run scripts/fetch-axe")
    phone = open_phone()
    page = phone.page
    # axe-core loaded into every page by the browser itself, before the page's own scripts.
    page.context.add_init_script(path=str(AXE))
    if role != "anonymous":
        sign_in(page, role)
    page.context.add_cookies([{"name": "lang", "value": language, "url": portal_url}])
    urls, problems = check_pages(page, ["/", *START.get(role, [])])
    assert len(urls) > (1 if role == "anonymous" else 5), urls
    assert page.evaluate("document.documentElement.lang").startswith(language[:2]), "the pages were not in the language asked for"
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_check_finds_a_violation(phone):
    """An unlabelled field and low contrast put into a page are reported."""
    page = phone.page
    page.goto("/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text><p class=x>low</p>');"
                  "Object.assign(document.querySelector('main p.x').style, {color: '#ccc', background: '#fff'})")
    found = " ".join(axe_violations(page))
    assert "label" in found and "color-contrast" in found


# The focused element, and whether its focus can be seen (the outline or ring portal.css
# gives :focus-visible).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  const rect = el.getBoundingClientRect();
  const item = el.closest('li');
  return {id: el.id, text: (el.innerText || el.value || '').trim(), tag: el.tagName, item: item ? item.innerText : '', visible: ring && rect.width > 0 && rect.height > 0};
}"""


class Keyboard:
    """Moves through a page with Tab alone, noting every stop whose focus cannot be seen."""

    def __init__(self, page: Page):
        self.page = page
        self.unseen: list[str] = []

    def tab_to(self, wanted: str, within: str = "", limit: int = 120) -> None:
        """Tab until the focus is on the field with id ``wanted`` or the control whose text
        is ``wanted`` (in a list item that says ``within``)."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate(FOCUSED)
            if focused is None:
                continue
            if not focused["visible"]:
                self.unseen.append(f"{self.page.url} {focused['tag']} {focused['id'] or focused['text'][:40]}")
            if wanted in (focused["id"], focused["text"]) and within in focused["item"]:
                return
        raise AssertionError(f"{wanted!r} cannot be reached with Tab on {self.page.url}")


def test_a_volunteer_signs_up_for_a_shift_and_logs_nothing_to_report_by_keyboard(phone):
    page = phone.page
    keys = Keyboard(page)
    page.goto("/login")
    keys.tab_to("username")
    page.keyboard.type("volunteer")
    keys.tab_to("password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    keys.tab_to("我可以报名的班次")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("我可以报名的班次")
    row = page.locator("li.shift-row", has_text="放学护学岗")
    keys.tab_to("报名", within="放学护学岗")
    page.keyboard.press("Enter")
    expect(row).to_contain_text("您已报名。")
    page.goto("/")
    keys.tab_to("巡逻：无异常")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "saved=1" in url)
    expect(page.get_by_text("无异常").first).to_be_visible()
    assert keys.unseen == []
    assert phone.offsite == []


def test_a_resident_sends_a_suggestion_by_keyboard(phone):
    page = phone.page
    keys = Keyboard(page)
    page.goto("/c/xiguan/ask/suggestion")
    keys.tab_to("text")
    page.keyboard.type("路灯坏了，晚上很黑。")
    keys.tab_to("contact_name")
    page.keyboard.type("李女士")
    keys.tab_to("contact_phone")
    page.keyboard.type("13800000000")
    keys.tab_to("提交")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/ask/" not in url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert keys.unseen == []
    assert phone.offsite == []


def test_an_officer_accepts_a_log_from_the_queue_by_keyboard(open_phone, portal_url):
    """The queue with a fresh log on top passes axe in both languages, and the row's
    Accept is reached and pressed with the keyboard (htmx swaps the row)."""
    volunteer = open_phone()
    sign_in(volunteer.page, "volunteer")
    volunteer.page.get_by_role("button", name="巡逻：无异常").click()
    expect(volunteer.page.get_by_role("status")).to_contain_text("已保存，谢谢。")
    phone = open_phone()
    page = phone.page
    sign_in(page, "officer")
    problems = {}
    for language in ("en", "zh_CN"):
        page.context.add_cookies([{"name": "lang", "value": language, "url": portal_url}])
        page.goto("/review/")
        expect(page.locator("tr.review-row").first).to_have_class(re.compile(r"\bstatus-submitted\b"))
        if found := axe_violations(page):
            problems[language] = found
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    page.wait_for_function("typeof window.htmx === 'object'")
    row = page.locator("tr.review-row").first  # the newest: the volunteer's patrol
    log_id = row.get_attribute("id")
    keys = Keyboard(page)
    keys.tab_to("采纳")
    assert page.evaluate("document.activeElement.closest('tr').id") == log_id
    page.keyboard.press("Enter")
    expect(page.locator(f"#{log_id} .tag.status")).to_have_text("已采纳")
    assert page.url.endswith("/review/")
    assert keys.unseen == []
    assert phone.offsite == [] and volunteer.offsite == []
