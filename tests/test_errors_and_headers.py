"""Friendly error pages, refused oversized bodies, security headers on every answer."""

import re

import pytest
from litestar import get

from portal.app import create_app
from portal.settings import HTMX_CDN_URL, HTMX_SRI, ROOT
from tests.conftest import http_client, post_form


async def test_unknown_urls_get_the_translated_404_page(client):
    response = await client.get("/no/such/page", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404
    assert "<h1>页面不存在</h1>" in response.text and 'href="/"' in response.text
    english = await client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert "<h1>Page not found</h1>" in english.text


async def test_a_nul_byte_in_a_path_gets_the_404_page_on_both_engines(client, area):
    """PostgreSQL refuses the byte in a query (a 500 found by the form fuzzing); no record has it."""
    for path in ("/c/a%00/ask/suggestion", "/c/a%00", "/p/x%00y", "/track/AB%00"):
        response = await client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 404, path
        assert "Page not found" in response.text
    # In a query: the intake form with a point slug that holds the byte is the form without a point.
    response = await client.get("/c/a/ask/suggestion?point=ab%00cd", headers={"Accept-Language": "en"})
    assert response.status_code == 200


async def test_oversized_bodies_are_refused_with_413(client, settings):
    response = await post_form(client, "/login", {"username": "x" * (settings.max_body_bytes + 10), "password": "y"})
    assert response.status_code == 413
    assert "Too large" in response.text


async def test_unexpected_errors_show_the_500_page_without_details(settings, database):
    @get("/explode", name="explode")
    async def explode() -> str:
        raise RuntimeError("secret internals")

    app = create_app(settings)
    app.register(explode)
    async with http_client(app) as client:
        response = await client.get("/explode")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "secret internals" not in response.text


async def test_security_headers_are_on_pages_and_error_pages(client):
    for path in ("/", "/no/such/page", "/healthz"):
        response = await client.get(path)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers  # plain HTTP in tests


async def test_hsts_and_secure_cookies_when_served_over_tls(settings, database):
    from dataclasses import replace

    app = create_app(replace(settings, https=True))
    async with http_client(app) as client:
        response = await client.get("/login")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "Secure" in response.headers["set-cookie"]


async def test_cdn_htmx_is_pinned_with_sri_and_allowed_only_by_csp(settings, database):
    from dataclasses import replace

    app = create_app(replace(settings, htmx_self_hosted=False))
    async with http_client(app) as client:
        response = await client.get("/login")
    # static/js/htmx-load.js loads the CDN's file, or this copy when the CDN fails or stalls.
    loader = re.search(r'<script src="/static/js/htmx-load\.js\?v=\w+" data-cdn="([^"]+)" data-local="([^"]+)" data-sri="([^"]+)" defer></script>', response.text)
    assert loader and loader.groups()[0] == HTMX_CDN_URL and loader.groups()[2] == HTMX_SRI
    assert loader.groups()[1].startswith("/static/vendor/htmx.min.js")
    assert f"script-src 'self' {HTMX_CDN_URL};" in response.headers["content-security-policy"]


async def test_the_local_htmx_is_loaded_alone_when_self_hosted(client):
    """Police networks: no CDN address in the page nor in the CSP, no loader."""
    response = await client.get("/login")
    assert "htmx-load.js" not in response.text and "jsdelivr" not in response.text
    assert "script-src 'self';" in response.headers["content-security-policy"]


async def test_self_hosted_htmx_matches_the_pinned_hash(client):
    import base64
    import hashlib

    path = ROOT / "static" / "vendor" / "htmx.min.js"
    if not path.exists():
        pytest.skip("run scripts/fetch-htmx first (scripts/test does)")
    digest = "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()
    assert digest == HTMX_SRI
    page = await client.get("/login")
    assert '<script src="/static/vendor/htmx.min.js?v=' in page.text
    served = await client.get("/static/vendor/htmx.min.js")
    assert served.status_code == 200 and served.content == path.read_bytes()


async def test_pages_carry_no_inline_script_and_send_the_csrf_header_from_body(client):
    page = (await client.get("/login")).text
    assert "<script>" not in page and "onclick" not in page
    assert 'hx-headers=\'{"x-csrftoken": "' in page


async def test_static_css_is_compressed(client):
    response = await client.get("/static/css/portal.css", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip"


async def test_pages_are_compressed_and_small_answers_and_redirects_go_as_they_are(client):
    """Compression is set up only for an answer that may need it (portal.web.compression):
    a page is gzipped and reads the same, an answer under 500 bytes and a redirect are not."""
    plain = await client.get("/track", headers={"Accept-Encoding": "identity"})
    packed = await client.get("/track", headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers and packed.headers.get("content-encoding") == "gzip"
    assert int(packed.headers["content-length"]) < len(plain.content)
    tokens = re.compile(r"[A-Za-z0-9_.-]{32,}")  # each answer has its own CSRF token
    assert tokens.sub("T", packed.text) == tokens.sub("T", plain.text)
    for path in ("/healthz", "/review"):
        answer = await client.get(path, headers={"Accept-Encoding": "gzip"}, follow_redirects=False)
        assert answer.status_code in (200, 302, 303) and "content-encoding" not in answer.headers, (path, answer.headers)
        assert int(answer.headers["content-length"]) == len(answer.content) < 500


async def test_a_nul_byte_in_a_static_path_is_a_404_not_a_500(client):
    """The file system lookup refuses the byte (ValueError: embedded null byte): no static
    path with it reaches the lookup."""
    for path in ("/static/%00", "/static/css/%00.css", "/static/css/portal.css%00", "/static/vendor/%00htmx.min.js"):
        for method in ("GET", "HEAD"):
            response = await client.request(method, path)
            assert response.status_code in (400, 404), (method, path, response.status_code)


async def test_a_logged_path_has_its_control_characters_escaped(settings, database, caplog):
    """A decoded path written as it came could forge a log line (a line feed) or hide
    the rest of it (a NUL, an escape sequence, a line separator)."""
    import logging

    @get("/explode/{rest:path}", name="explode.path")
    async def explode(rest: str) -> str:
        raise RuntimeError("boom")

    app = create_app(settings)
    app.register(explode)
    portal_log = logging.getLogger("portal")
    portal_log.addHandler(caplog.handler)  # Litestar's logging set-up replaced the root's handlers
    try:
        async with http_client(app) as client:
            response = await client.get("/explode/a%0a2026-01-01 INFO forged%0d%1b[31m%e2%80%a8end")
    finally:
        portal_log.removeHandler(caplog.handler)
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.getMessage().startswith("unhandled error on GET /explode/")]
    message = record.getMessage()
    assert "\n" not in message and "\r" not in message and "\x1b" not in message and "\u2028" not in message
    assert message == "unhandled error on GET /explode/a\\n2026-01-01 INFO forged\\r\\x1b[31m\\u2028end"
