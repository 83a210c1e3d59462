"""A session that ends while a form is open loses nothing: the form sent then leads to the
login and, after it, back to its page filled with what was typed, once, with a fresh CSRF
token (the form is shown again, never replayed). Both ways a session ends: on the server
(the cookie still there: the guard keeps the form) and in the browser or by another login
(the token no longer fits: the CSRF check's refusal keeps it, for a form from the portal's
own page only). Never a password or a file; only for the browser that sent it and, when it
was sent signed in, only for that person."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import httpx
import pytest

from portal.accounts.tables import FormDraft, UserSession
from portal.logs.tables import FieldLog, MediationParty
from portal.web.middleware import SESSION_COOKIE
from tests.conftest import PASSWORD, ensure_csrf, http_client, log_in, post_form, token_in
from tests.page_forms import form_values
from tests.test_logs_routes import saved_id

BASE = "http://testserver.local"
FORM_PAGE = "/logs/new/hazard"
TYPED = {"category": "fire_exit", "description": "消防门被铁链锁住 kept", "address": "3 号楼一层"}
NOTICE = "You were signed out before this form was sent"


@pytest.fixture
async def volunteer(app, make_user):
    await make_user("volunteer", username="draft-volunteer")
    async with http_client(app) as client:
        await log_in(client, "draft-volunteer")
        yield client


async def open_and_type(client, page: str = FORM_PAGE, typed: dict | None = None) -> list[tuple[str, str]]:
    """The form's fields as the page gives them with ``typed`` typed in, its token included."""
    html = (await client.get(page)).text
    typed = TYPED if typed is None else typed
    values = [(name, value) for name, value in form_values(html, page.split("?")[0]) if name not in typed]
    return [*values, *typed.items()]


async def send(client, fields, page: str = FORM_PAGE, htmx: bool = False, **headers):
    body = urlencode(fields)
    headers = {"content-type": "application/x-www-form-urlencoded", **headers}
    if htmx:
        token = dict(fields)["_csrf_token"]
        # As a browser sends an XMLHttpRequest's POST: with its Origin.
        headers.update({"HX-Request": "true", "HX-Current-URL": f"{BASE}{page}", "HX-Target": "log-form", "x-csrftoken": token, "Origin": BASE})
    return await client.post(page.split("?")[0], content=body, headers=headers, follow_redirects=False)


async def end_sessions() -> None:
    await UserSession.update({UserSession.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)}, force=True).run()


async def log_in_again(client, next_path: str, username: str = "draft-volunteer"):
    token = token_in((await client.get(f"/login?next={next_path}")).text)
    response = await client.post("/login", data={"username": username, "password": PASSWORD, "next": next_path, "_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == next_path
    return response


def filled(html: str) -> bool:
    return "消防门被铁链锁住 kept" in html and "3 号楼一层" in html and NOTICE in html


async def test_a_form_sent_after_the_session_expired_is_back_filled_after_the_login_once(volunteer):
    fields = await open_and_type(volunteer)
    old_token = dict(fields)["_csrf_token"]
    await end_sessions()
    response = await send(volunteer, fields, Referer=f"{BASE}{FORM_PAGE}?point=")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/logs/new/hazard%3Fpoint%3D"
    assert "shouwang_draft=" in response.headers["set-cookie"]
    assert await FieldLog.count().run() == 0

    await log_in_again(volunteer, "/logs/new/hazard?point=")
    page = await volunteer.get("/logs/new/hazard?point=")
    assert page.status_code == 200 and filled(page.text)
    assert ("category", "fire_exit") in form_values(page.text, FORM_PAGE)
    assert token_in(page.text) != old_token
    assert "shouwang_draft=" in page.headers.get("set-cookie", "") and "Max-Age=0" in page.headers["set-cookie"]
    assert await FormDraft.count().run() == 0
    assert not filled((await volunteer.get(FORM_PAGE)).text)  # once

    # The old token is never replayed: the form comes back again, nothing is saved...
    again = await send(volunteer, fields, Referer=f"{BASE}{FORM_PAGE}")
    assert again.status_code == 303 and again.headers["location"] == FORM_PAGE
    assert await FieldLog.count().run() == 0
    # ...until it is sent from the page as shown, with its fresh token.
    refilled = await volunteer.get(FORM_PAGE)
    assert filled(refilled.text)
    resent = await send(volunteer, form_values(refilled.text, FORM_PAGE))
    log_id = saved_id(resent)
    row = await FieldLog.select(FieldLog.description, FieldLog.address, FieldLog.category).where(FieldLog.id == log_id).first().run()
    assert row == {"description": "消防门被铁链锁住 kept", "address": "3 号楼一层", "category": "fire_exit"}


async def test_an_htmx_form_after_the_session_expired_goes_to_the_login_by_a_client_redirect(volunteer):
    fields = await open_and_type(volunteer)
    await end_sessions()
    response = await send(volunteer, fields, htmx=True)
    assert response.status_code == 401 and response.headers["hx-redirect"] == "/login?next=/logs/new/hazard"
    assert "shouwang_draft=" in response.headers["set-cookie"]
    await log_in_again(volunteer, FORM_PAGE)
    assert filled((await volunteer.get(FORM_PAGE)).text)


async def test_a_session_cookie_gone_from_the_browser_keeps_the_form_through_the_csrf_refusal(volunteer):
    fields = await open_and_type(volunteer)
    volunteer.cookies.delete(SESSION_COOKIE)  # the cookie's own lifetime ran out
    response = await send(volunteer, fields, Origin=BASE, Referer=f"{BASE}{FORM_PAGE}")
    assert response.status_code == 303 and response.headers["location"] == FORM_PAGE
    page = await volunteer.get(FORM_PAGE, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/logs/new/hazard"
    await log_in_again(volunteer, FORM_PAGE)
    assert filled((await volunteer.get(FORM_PAGE)).text)
    assert await FieldLog.count().run() == 0


async def test_a_login_in_another_tab_keeps_the_form_for_that_person_only(volunteer, make_user):
    fields = await open_and_type(volunteer)
    await log_in(volunteer, "draft-volunteer")  # a new session: the open form's token no longer fits
    response = await send(volunteer, fields, htmx=True)
    assert response.status_code == 200 and response.headers["hx-redirect"] == FORM_PAGE
    await make_user("volunteer", username="draft-someone-else")
    await log_in(volunteer, "draft-someone-else")
    assert not filled((await volunteer.get(FORM_PAGE)).text)  # someone else on this phone
    await log_in(volunteer, "draft-volunteer")
    assert filled((await volunteer.get(FORM_PAGE)).text)


async def test_another_browser_gets_nothing_and_a_draft_past_its_time_is_not_shown(app, volunteer):
    fields = await open_and_type(volunteer)
    await end_sessions()
    await send(volunteer, fields, Referer=f"{BASE}{FORM_PAGE}")
    async with http_client(app) as other:
        await log_in(other, "draft-volunteer")
        assert not filled((await other.get(FORM_PAGE)).text)
    await FormDraft.update({FormDraft.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)}, force=True).run()
    await log_in_again(volunteer, FORM_PAGE)
    assert not filled((await volunteer.get(FORM_PAGE)).text)


async def test_the_mediation_parties_come_back_with_the_form(volunteer):
    typed = {"category": "neighbours", "description": "Noise at night", "party_name_0": "Wang Secret", "party_contact_0": "13900000001"}
    fields = await open_and_type(volunteer, "/logs/new/mediation", typed)
    await end_sessions()
    await send(volunteer, fields, "/logs/new/mediation", Referer=f"{BASE}/logs/new/mediation")
    await log_in_again(volunteer, "/logs/new/mediation")
    page = (await volunteer.get("/logs/new/mediation")).text
    assert "Noise at night" in page and 'value="Wang Secret"' in page and 'value="13900000001"' in page
    assert await MediationParty.count().run() == 0


async def test_no_password_is_kept_and_a_refusal_without_origin_keeps_nothing(volunteer):
    page = await volunteer.get("/account/password")
    token = token_in(page.text)
    await log_in(volunteer, "draft-volunteer")  # the page's token no longer fits
    form = {"current_password": PASSWORD, "new_password": "another horse battery", "new_password_again": "another horse battery", "_csrf_token": token}
    response = await send(volunteer, list(form.items()), "/account/password", Referer=f"{BASE}/account/password")
    assert response.status_code == 403
    fields = await open_and_type(volunteer)
    await log_in(volunteer, "draft-volunteer")
    response = await send(volunteer, fields)  # neither Origin nor Referer
    assert response.status_code == 403 and "This form has expired" in response.text
    assert await FormDraft.count().run() == 0


async def test_a_resend_by_the_service_worker_keeps_nothing(volunteer):
    """The outbox's resend names no page (no HX-Current-URL): a draft of it would take the
    cookie of a form the person typed meanwhile, and the outbox keeps the log anyway."""
    fields = await open_and_type(volunteer)
    await end_sessions()
    token = dict(fields)["_csrf_token"]
    headers = {"content-type": "application/x-www-form-urlencoded", "HX-Request": "true", "x-csrftoken": token, "Origin": BASE, "Referer": f"{BASE}/sw.js"}
    response = await volunteer.post(FORM_PAGE, content=urlencode(fields), headers=headers, follow_redirects=False)
    assert response.status_code == 401 and response.headers["hx-redirect"].startswith("/login?next=")
    assert await FormDraft.count().run() == 0


async def test_a_form_with_nothing_typed_is_not_kept(volunteer):
    await end_sessions()
    response = await post_form(volunteer, "/logs/nothing-to-report", headers={"Referer": f"{BASE}/"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    assert "set-cookie" not in response.headers or "shouwang_draft" not in response.headers["set-cookie"]
    assert await FormDraft.count().run() == 0
