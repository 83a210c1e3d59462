"""htmx from the CDN, and the portal's own copy when the CDN's request fails or stalls
(static/js/htmx-load.js): on a phone in Chinese, on a portal that is not self-hosted,
htmx is there within a few seconds and swaps the login form's error in place."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, Route, expect

from portal.settings import HTMX_CDN_URL, ROOT
from tests.browser.conftest import serve_portal
from tests.browser.test_phone_journeys import WRONG_MESSAGE, fill_login_form, login_button

LOCAL_COPY = "/static/vendor/htmx.min.js"


@pytest.fixture(scope="module")
def portal_url(settings, tmp_path_factory):
    """This module's portal loads htmx from the CDN, as in production."""
    if not (ROOT / "static" / "vendor" / "htmx.min.js").exists():
        pytest.skip("static/vendor/htmx.min.js is missing: run scripts/fetch-htmx")
    yield from serve_portal(settings, tmp_path_factory, PORTAL_HTMX_SELF_HOSTED="false")


def requested(page: Page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def seconds_until_htmx(page: Page, started: float, limit_ms: int) -> float:
    page.wait_for_function("() => typeof window.htmx === 'object'", timeout=limit_ms)
    return time.monotonic() - started


def assert_the_wrong_password_is_swapped_in(page: Page) -> None:
    """An hx-post whose 422 answer htmx swaps into the form: the page is not reloaded."""
    page.evaluate("window.__marker = 1")
    page.get_by_label("用户名", exact=True).fill("volunteer")
    page.get_by_label("密码", exact=True).fill("not the password")
    login_button(page).tap()
    expect(page.locator("#login-form")).to_contain_text(WRONG_MESSAGE)
    assert page.evaluate("window.__marker") == 1, "the form was posted without htmx"


def test_htmx_comes_from_the_cdn_when_it_answers(phone):
    page = phone.page
    body = (ROOT / "static" / "vendor" / "htmx.min.js").read_bytes()
    page.context.route(HTMX_CDN_URL, lambda route: route.fulfill(status=200, body=body, headers={"content-type": "text/javascript", "access-control-allow-origin": "*"}))
    urls = requested(page)
    fill_login_form(page, "volunteer", "")
    seconds_until_htmx(page, time.monotonic(), 5_000)
    assert HTMX_CDN_URL in urls
    assert not any(LOCAL_COPY in url for url in urls)
    assert_the_wrong_password_is_swapped_in(page)


def test_a_blocked_cdn_falls_back_to_the_local_copy_at_once(phone):
    # The phone fixture refuses every request that would leave the machine, the CDN's too.
    page = phone.page
    urls = requested(page)
    started = time.monotonic()
    page.goto("/login")
    assert seconds_until_htmx(page, started, 5_000) < 2
    assert any(url.startswith(HTMX_CDN_URL) for url in phone.offsite)
    assert any(LOCAL_COPY in url for url in urls)
    assert_the_wrong_password_is_swapped_in(page)


def test_a_stalled_cdn_falls_back_within_a_few_seconds(phone):
    page = phone.page
    stalled: list[Route] = []
    page.context.route(HTMX_CDN_URL, lambda route: stalled.append(route))  # never answered
    started = time.monotonic()
    page.goto("/login", wait_until="domcontentloaded")
    waited = seconds_until_htmx(page, started, 8_000)
    assert stalled and 2.5 < waited < 6, waited
    assert_the_wrong_password_is_swapped_in(page)
    # The CDN's file arriving late runs a second htmx: the form still posts once.
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    body = (ROOT / "static" / "vendor" / "htmx.min.js").read_bytes()
    stalled[0].fulfill(status=200, body=body, headers={"content-type": "text/javascript", "access-control-allow-origin": "*"})
    page.wait_for_load_state("load")
    page.get_by_label("密码", exact=True).fill("still not the password")
    with page.expect_response(lambda response: response.request.method == "POST"):
        login_button(page).tap()
    expect(page.locator("#login-form")).to_contain_text(WRONG_MESSAGE)
    page.wait_for_timeout(500)
    assert len(posts) == 1, posts
