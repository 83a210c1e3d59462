"""Logging in and out, throttling, sessions, CSRF, password changes."""


from portal.accounts.tables import LoginFailure, User, UserSession
from portal.audit.tables import AuditEntry
from portal.web.middleware import SESSION_COOKIE
from tests.conftest import PASSWORD, field_error, htmx_post, http_client, log_in, post_form
from tests.unchanged import nothing_changes


async def test_login_opens_the_role_home_page_and_logout_ends_the_session(client, make_user):
    await make_user("officer", username="wangli", real_name="王莉", preferred_language="zh_CN")
    response = await log_in(client, "wangli")
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert "王莉" in home.text and "您负责的社区" in home.text  # the account's language: Chinese
    assert 'action="/logout"' in home.text
    await post_form(client, "/logout")
    assert await UserSession.count().run() == 0
    assert 'href="/login"' in (await client.get("/")).text
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id).run()]
    assert actions[-2:] == ["login", "logout"]


async def test_login_returns_to_the_page_asked_for_but_never_off_site(client, make_user):
    await make_user("admin", username="root1")
    response = await post_form(client, "/login", {"username": "root1", "password": PASSWORD, "next": "/admin/users/"})
    assert response.headers["location"] == "/admin/users/"
    await post_form(client, "/logout")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await post_form(client, "/login", {"username": "root1", "password": PASSWORD, "next": evil})
        assert response.headers["location"] == "/"
        await post_form(client, "/logout")


async def test_wrong_password_and_unknown_user_get_the_same_message_and_input_back(client, make_user):
    await make_user("volunteer", username="zhang")
    wrong = await post_form(client, "/login", {"username": "zhang", "password": "nope-nope-nope"})
    unknown = await post_form(client, "/login", {"username": "nobody", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 422
    message = "The username or password is not correct."
    assert message in wrong.text and message in unknown.text
    assert 'value="zhang"' in wrong.text and 'value="nobody"' in unknown.text
    assert "nope-nope-nope" not in wrong.text  # the password is never echoed
    assert await AuditEntry.count().where(AuditEntry.action == "login.failed").run() == 2


async def test_missing_fields_are_reported_next_to_each_field_in_chinese(client):
    response = await post_form(client, "/login", {"username": "", "password": ""}, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 422
    assert field_error(response.text, "username") == "请输入用户名。"
    assert field_error(response.text, "password") == "请输入密码。"


async def test_repeated_failures_lock_the_account_even_for_the_right_password(client, make_user, settings):
    await make_user("volunteer", username="target")
    for _ in range(settings.login_max_failures):
        await post_form(client, "/login", {"username": "target", "password": "wrong-password"})
    locked = await post_form(client, "/login", {"username": "target", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    assert SESSION_COOKIE not in locked.cookies
    assert await AuditEntry.count().where(AuditEntry.action == "login.throttled").run() == 1


async def test_failures_from_one_address_across_accounts_are_throttled(client, settings):
    for n in range(settings.login_max_failures * 4):
        await post_form(client, "/login", {"username": f"guess{n}", "password": "wrong-password"})
    assert await LoginFailure.count().run() == settings.login_max_failures * 4
    response = await post_form(client, "/login", {"username": "guess-new", "password": "wrong-password"})
    assert response.status_code == 429


async def test_a_successful_login_clears_the_account_failures(client, make_user, settings):
    await make_user("volunteer", username="forgetful")
    for _ in range(settings.login_max_failures - 1):
        await post_form(client, "/login", {"username": "forgetful", "password": "wrong-password"})
    await log_in(client, "forgetful")
    assert await LoginFailure.count().where(LoginFailure.username == "forgetful").run() == 0


async def test_login_issues_a_new_session_id_and_ends_the_old_one(client, make_user):
    await make_user("volunteer", username="first")
    await make_user("volunteer", username="second")
    await log_in(client, "first")
    first_token = client.cookies.get(SESSION_COOKIE)
    await log_in(client, "second")
    second_token = client.cookies.get(SESSION_COOKIE)
    assert first_token and second_token and first_token != second_token
    assert await UserSession.count().run() == 1
    # A planted (fixated) cookie is never adopted: the server creates its own id.
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, "planted-by-attacker", domain="testserver.local")
    await log_in(client, "first")
    assert client.cookies.get(SESSION_COOKIE) != "planted-by-attacker"


async def test_session_cookie_is_httponly_and_samesite(client, make_user):
    await make_user("volunteer", username="cookie")
    response = await log_in(client, "cookie")
    header = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in header and "SameSite=lax" in header and "Path=/" in header


async def test_deactivating_a_user_ends_their_sessions_at_once(app, client_for):
    volunteer, volunteer_id = await client_for("volunteer")
    admin, _ = await client_for("admin")
    assert (await volunteer.get("/account/password", follow_redirects=False)).status_code == 200
    response = await post_form(admin, f"/admin/users/{volunteer_id}/deactivate")
    assert response.status_code == 303
    after = await volunteer.get("/account/password", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].startswith("/login")
    assert await UserSession.count().where(UserSession.user == volunteer_id).run() == 0
    # Logging in again is refused: with the right password the person is told why and whom
    # to ask; with a wrong one nothing tells that the account exists.
    username = (await User.select(User.username).where(User.id == volunteer_id).first().run())["username"]
    failures = await LoginFailure.count().run()
    again = await post_form(volunteer, "/login", {"username": username, "password": PASSWORD})
    assert again.status_code == 403
    assert await UserSession.count().where(UserSession.user == volunteer_id).run() == 0 and await LoginFailure.count().run() == failures
    assert "This account has been deactivated" in again.text and "ask your community officer" in again.text
    assert await AuditEntry.count().where((AuditEntry.action == "login.deactivated") & (AuditEntry.object_id == str(volunteer_id))).run() == 1
    wrong = await post_form(volunteer, "/login", {"username": username, "password": "not the password"})
    assert wrong.status_code == 422 and "deactivated" not in wrong.text and "The username or password is not correct." in wrong.text


async def test_unsafe_requests_without_csrf_token_are_refused(client, make_user):
    await make_user("volunteer", username="csrf")
    await client.get("/login")
    async with nothing_changes((User, User.username == "csrf"), also=(UserSession, LoginFailure)):
        plain = await client.post("/login", data={"username": "csrf", "password": PASSWORD}, follow_redirects=False)
        assert plain.status_code == 403
        assert "This form has expired" in plain.text
        htmx = await client.post("/login", data={"username": "csrf", "password": PASSWORD}, headers={"HX-Request": "true"}, follow_redirects=False)
        assert htmx.status_code == 403
        forged = await client.post("/login", data={"username": "csrf", "password": PASSWORD}, headers={"HX-Request": "true", "x-csrftoken": "forged"}, follow_redirects=False)
        assert forged.status_code == 403
    ok = await htmx_post(client, "/login", {"username": "csrf", "password": PASSWORD})
    assert ok.status_code == 200 and ok.headers["HX-Redirect"] == "/"  # htmx navigates; no page nested in the form


async def test_htmx_login_errors_swap_only_the_form(client):
    response = await htmx_post(client, "/login", {"username": "x", "password": "y"}, target="login-form")
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form id=\"login-form\"")
    assert "<html" not in response.text


async def test_anonymous_page_request_redirects_to_login_with_next(client):
    response = await client.get("/admin/users/?q=wang", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/users%3Fq%3Dwang"


async def test_expired_session_on_htmx_answers_with_a_client_redirect(client, make_user):
    await make_user("admin", username="expiring")
    await log_in(client, "expiring")
    await UserSession.delete(force=True).run()  # the session expired or was revoked
    target = (await User.select(User.id).where(User.username == "expiring").first().run())["id"]
    async with nothing_changes((User, target)):
        posted = await htmx_post(client, f"/admin/users/{target}/deactivate", target=f"user-{target}")
        assert posted.status_code == 401 and posted.headers["HX-Redirect"] == "/login?next=/"
    response = await client.get("/admin/users/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver.local/admin/users/?q=li"}, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/admin/users/%3Fq%3Dli"
    assert response.text == ""


async def test_password_change_checks_the_current_one_and_logs_out_other_devices(app, client_for):
    phone, user_id = await client_for("volunteer")
    username = (await User.select(User.username).where(User.id == user_id).first().run())["username"]
    async with http_client(app) as laptop:
        await log_in(laptop, username)
        async with nothing_changes((User, user_id), (UserSession, UserSession.user == user_id)):
            wrong = await post_form(phone, "/account/password", {"current_password": "not-it", "new_password": "a-new-secret-1", "confirm_password": "a-new-secret-1"})
            assert wrong.status_code == 422 and field_error(wrong.text, "current_password") == "The current password is not correct."
            mismatch = await post_form(phone, "/account/password", {"current_password": PASSWORD, "new_password": "a-new-secret-1", "confirm_password": "different-one"})
            assert mismatch.status_code == 422 and field_error(mismatch.text, "confirm_password") == "The two new passwords are not the same."
            short = await post_form(phone, "/account/password", {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"})
            assert short.status_code == 422 and field_error(short.text, "new_password") == "Use at least 10 characters."
        done = await post_form(phone, "/account/password", {"current_password": PASSWORD, "new_password": "a-new-secret-1", "confirm_password": "a-new-secret-1"})
        assert done.status_code == 303
        assert (await phone.get("/account/password", follow_redirects=False)).status_code == 200  # still logged in
        assert (await laptop.get("/account/password", follow_redirects=False)).status_code == 303  # logged out
    await post_form(phone, "/logout")
    await log_in(phone, username, "a-new-secret-1")


async def test_a_user_with_a_reset_password_must_change_it_first(client, make_user):
    await make_user("host", username="newhost", must_change_password=True)
    await log_in(client, "newhost")
    home = await client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/account/password"
    page = await client.get("/account/password")
    assert "Please choose your own password before you continue." in page.text
