"""Browser: the reception rooms' pages in both languages checked with axe-core (WCAG 2.2
AA) on the demo data — the registry, a room, its form and hours, the phrasebook and its
entry form as the officer of 西关社区, the room's public page and the community's open-now
list as a visitor; and the phrasebook opening without a connection once it was opened."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import AXE, axe_violations, sign_in


@pytest.mark.parametrize("language", ("zh_CN", "en"))
def test_reception_pages_have_no_wcag_violations(open_phone, portal_url, language):
    if not AXE.exists():
        pytest.fail("static/vendor/axe.min.js is missing: run scripts/fetch-axe")
    visitor = open_phone().page
    visitor.context.add_cookies([{"name": "lang", "value": language, "url": portal_url}])
    officer = open_phone().page
    sign_in(officer, "officer")
    officer.context.add_cookies([{"name": "lang", "value": language, "url": portal_url}])
    officer.goto("/")
    officer.locator('a[href="/reception/rooms"]').click()
    room = officer.locator('a[href^="/reception/rooms/"]:not([href$="/desk"]):not([href$="/new"])').first.get_attribute("href")
    book = officer.locator('a[href^="/reception/phrasebook/"]').first.get_attribute("href")
    pages = ["/reception/rooms", room, f"{room}/edit", f"{room}/hours", "/reception/rooms/new", "/reception/phrasebook", book, re.sub(r"\?.*", "", book) + "/new"]
    problems = {}
    for url in pages:
        response = officer.goto(url)
        assert response.status == 200, url
        if found := axe_violations(officer):
            problems[url] = found
    officer.goto(room)
    public = officer.locator('a[href^="/rr/"]').first.get_attribute("href")
    for url in (public, "/c/xiguan"):
        assert visitor.goto(url).status == 200, url
        if found := axe_violations(visitor):
            problems[url] = found
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    visitor.goto("/c/xiguan")
    expect(visitor.locator(f'a[href="{public}"]')).to_be_visible()


def test_the_phrasebook_opens_offline_once_opened(browser, portal_url, demo_data):
    # A context of its own: the phone sessions route every request, which turns the
    # browser's HTTP cache off.
    context = browser.new_context(base_url=portal_url, locale="zh-CN")
    context.set_default_timeout(10_000)
    officer = context.new_page()
    sign_in(officer, "officer")
    officer.goto("/reception/phrasebook")
    book = officer.locator('a[href^="/reception/phrasebook/"]').first.get_attribute("href")
    officer.goto(book)
    expect(officer.locator('p[lang="en"]').first).to_be_visible()
    entries = officer.locator(".phrase").count()
    assert entries >= 12
    officer.goto("/reception/rooms")
    officer.context.set_offline(True)
    try:
        officer.goto(book)
        expect(officer.locator(".phrase")).to_have_count(entries)
        with pytest.raises(Exception):  # an ordinary signed-in page is not kept
            officer.goto("/reception/rooms")
    finally:
        context.close()
