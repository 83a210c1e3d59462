"""CSRF tokens belong to their session (portal.web.csrf): another person's cookie and
token pair is refused, the token changes at login, unsafe requests from another origin
are refused, and over TLS the cookies carry the __Host- prefix."""

from dataclasses import replace

from portal.accounts.tables import User, UserSession
from portal.app import create_app
from portal.web.csrf import PRESESSION_COOKIE
from portal.web.middleware import SESSION_COOKIE
from tests.conftest import ensure_csrf, http_client, log_in, post_form
from tests.unchanged import nothing_changes


async def test_another_persons_cookie_and_token_pair_is_refused(client_for):
    officer, officer_id = await client_for("officer", real_name="Officer Owner")
    attacker, _ = await client_for("volunteer")
    stolen_token = await ensure_csrf(attacker)
    # The attacker's own pre-session cookie and token, planted beside the officer's session.
    anonymous = http_client(officer._transport.app)
    anonymous_token = await ensure_csrf(anonymous)
    officer.cookies.set(PRESESSION_COOKIE, anonymous.cookies.get(PRESESSION_COOKIE), domain="testserver.local")
    async with nothing_changes((User, User.id == officer_id), also=(UserSession,)):
        for token in (stolen_token, anonymous_token):
            refused = await officer.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
            assert refused.status_code == 403 and "This form has expired" in refused.text
            refused = await officer.post("/logout", headers={"x-csrftoken": token, "HX-Request": "true"}, follow_redirects=False)
            assert refused.status_code == 403
    assert "Officer Owner" in (await officer.get("/")).text
    await anonymous.aclose()


async def test_the_token_changes_at_login_and_the_old_one_is_refused(client, make_user):
    await make_user("volunteer", username="rotator")
    before_login = await ensure_csrf(client)
    await log_in(client, "rotator")
    first_session = await ensure_csrf(client)
    assert first_session != before_login
    async with nothing_changes((User, User.username == "rotator"), also=(UserSession,)):
        refused = await client.post("/language", data={"language": "en", "_csrf_token": before_login}, follow_redirects=False)
        assert refused.status_code == 403
    assert (await post_form(client, "/logout")).status_code == 303
    await log_in(client, "rotator")
    refused = await client.post("/language", data={"language": "en", "_csrf_token": first_session}, follow_redirects=False)
    assert refused.status_code == 403
    assert (await post_form(client, "/language", {"language": "en"})).status_code == 303


async def test_unsafe_requests_from_another_origin_are_refused(client_for):
    officer, officer_id = await client_for("officer")
    token = await ensure_csrf(officer)
    async with nothing_changes((User, User.id == officer_id)):
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Referer": "https://evil.example/page"},
                        {"Origin": "http://testserver.local.evil.example"}, {"Origin": "https://testserver.local"}):
            refused = await officer.post("/language", data={"language": "zh_CN", "_csrf_token": token}, headers=headers, follow_redirects=False)
            assert refused.status_code == 403, headers
    for headers in ({"Origin": "http://testserver.local"}, {"Referer": "http://testserver.local/shifts/"}, {}):
        allowed = await officer.post("/language", data={"language": "en", "_csrf_token": token}, headers=headers, follow_redirects=False)
        assert allowed.status_code == 303, headers


async def test_over_tls_the_cookies_are_host_prefixed(settings, database, make_user):
    await make_user("volunteer", username="tls-user", real_name="Tls Person")
    app = create_app(replace(settings, https=True))
    async with http_client(app) as client:
        client.base_url = "https://testserver.local"
        page = await client.get("/login")
        [cookie] = page.headers.get_list("set-cookie")
        assert cookie.startswith(f"__Host-{PRESESSION_COOKIE}=") and "Secure" in cookie and "Path=/" in cookie and "domain" not in cookie.lower()
        answer = await log_in(client, "tls-user")
        cookies = answer.headers.get_list("set-cookie")
        assert sorted(cookie.split("=")[0] for cookie in cookies) == ["__Host-shouwang_device", f"__Host-{SESSION_COOKIE}"]
        assert all("Secure" in cookie and "Path=/" in cookie and "domain" not in cookie.lower() for cookie in cookies)
        assert "Tls Person" in (await client.get("/")).text
        # A cookie without the prefix (set by a sibling host, say) is not the session.
        session = client.cookies.get(f"__Host-{SESSION_COOKIE}")
        async with http_client(app) as other:
            other.base_url = "https://testserver.local"
            other.cookies.set(SESSION_COOKIE, session, domain="testserver.local")
            assert "Tls Person" not in (await other.get("/")).text
