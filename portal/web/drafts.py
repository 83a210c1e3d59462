"""A session that ends while a form is open loses nothing: the form sent then is kept
(``portal.accounts.drafts``) and, after the login, its page shows the form filled with
what was typed, once, with a fresh CSRF token: the form is shown again, never replayed.

Two ways a form meets an ended session:
- its token still fits the cookies (the session expired or was ended on the server): the
  route's guard finds nobody signed in and calls ``keep_typed_form`` before the login
  redirect (``portal.web.errors.not_authorized`` adds the cookie and the form's page as
  ``next``);
- its token no longer fits (the browser dropped the session cookie, or a login elsewhere
  replaced it): the CSRF check refuses it, and this module's middleware, outside that
  check, keeps the form when its Origin or Referer was the portal's own and sends the
  person to the form's page, which asks for the login first when it needs one.

The key lives in a short-lived HttpOnly cookie of the browser that sent the form; the
middleware gives the fields to ``render`` (``scope["restored_form"]``) on a full page load
of the form's page by whoever sent them, and once that page has shown them they are
forgotten and the cookie cleared (a login page on the way leaves them).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.response.base import ASGIResponse
from litestar.response.redirect import ASGIRedirectResponse
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.accounts import drafts
from portal.settings import Settings
from portal.web.csrf import CSRF_FAILED, CSRF_FIELD, SAFE_METHODS, UNGUARDED_PREFIXES, cookie_name
from portal.web.pages import safe_next

DRAFT_COOKIE = "shouwang_draft"
# Nothing typed worth keeping (the login page's own form is simply shown again).
NOT_KEPT = ("/login", "/logout", "/language")
# Fields a person did not type: a form with nothing else is not kept.
NOT_TYPED = {CSRF_FIELD, "idempotency_key", "next"}


def draft_cookie(settings: Settings, key: str | None) -> Cookie:
    """The cookie holding ``key`` in the browser that sent the form (None: removing it)."""
    return Cookie(
        key=cookie_name(settings, DRAFT_COOKIE), value=key or "", max_age=int(drafts.LIFETIME.total_seconds()) if key else 0,
        path="/", secure=settings.secure_cookies, httponly=True, samesite="lax",
    )


def form_page(connection: ASGIConnection) -> str | None:
    """The page the form was on (a same-site path): the one htmx names, else the Referer,
    else the post's own address. None for an htmx request that names no page: no person's
    page sent it (the service worker resending the outbox), and its draft would take the
    cookie of the form the person did type."""
    headers = connection.headers
    if headers.get("hx-request") == "true":
        if not headers.get("hx-current-url"):
            return None
        source = headers["hx-current-url"]
    else:
        source = headers.get("referer")
    if source:
        parts = urlsplit(source)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    else:
        target = connection.scope["path"]
    return safe_next(target)


def _typed_fields(form) -> list[tuple[str, str]]:
    fields = [(name, value) for name, value in form.multi_items() if isinstance(value, str) and name != CSRF_FIELD and "password" not in name.lower()]
    return fields if any(value.strip() for name, value in fields if name not in NOT_TYPED) else []


async def keep_typed_form(request: Request) -> tuple[str, str] | None:
    """Keeps the text fields of an unsafe form request; returns (cookie key, form page)."""
    if request.method in SAFE_METHODS or request.scope["path"].startswith(NOT_KEPT):
        return None
    if request.content_type[0] not in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        return None
    try:
        form = await request.form()
    except HTTPException:
        return None
    fields = _typed_fields(form)
    page = form_page(request)
    if page is None:
        return None
    path = urlsplit(page).path
    if not drafts.fits(fields, path):
        return None
    actor = request.scope.get("user")
    return await drafts.keep(path, fields, actor.id if actor else None), page


def form_drafts_middleware(settings: Settings):
    """Keeps a form the CSRF check refused for a session that changed, and hands a kept
    form to its page. Runs after the context middleware (it needs the actor) and outside
    the CSRF middleware (it catches its refusal)."""
    name = cookie_name(settings, DRAFT_COOKIE)

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"].startswith(UNGUARDED_PREFIXES):
                await app(scope, receive, send)
                return
            connection = ASGIConnection(scope)
            if scope["method"] not in SAFE_METHODS:
                try:
                    await app(scope, receive, send)
                except PermissionDeniedException as error:
                    kept = await _keep_refused(scope, receive, connection, error)
                    if kept is None:
                        raise
                    key, page = kept
                    await _go(connection, page, draft_cookie(settings, key).to_header(header=""))(scope, receive, send)
                return
            key = connection.cookies.get(name)
            if not key or scope["method"] != "GET" or connection.headers.get("hx-request") == "true":
                await app(scope, receive, send)
                return
            actor = scope.get("user")
            found = await drafts.find(key, scope["path"], actor.id if actor else None)
            cleared = draft_cookie(settings, None).to_header(header="")
            if found.fields is None:
                # Another page first (the login) keeps it for later; a key with nothing
                # under it any more loses its cookie.
                await app(scope, receive, send if not found.gone else _adding_cookie(send, cleared))
                return
            scope["restored_form"] = found.fields

            async def send_and_forget(message: Message) -> None:
                if message["type"] == "http.response.start" and "restored_form" not in scope:
                    # The page showed the form (``render`` took the fields): they go, and
                    # the cookie with them. A page that did not (an error) leaves both.
                    await drafts.discard(key)
                    MutableScopeHeaders.from_message(message).add("set-cookie", cleared)
                await send(message)

            await app(scope, receive, send_and_forget)

        return middleware

    return factory


def _adding_cookie(send: Send, cookie: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableScopeHeaders.from_message(message).add("set-cookie", cookie)
        await send(message)

    return wrapped


async def _keep_refused(scope: Scope, receive: Receive, connection: ASGIConnection, error: PermissionDeniedException) -> tuple[str, str] | None:
    # Only a form from the portal's own page: the CSRF check has refused any other Origin
    # or Referer already, so one that is there is the portal's. A browser that sends
    # neither gets the refusal as before, or another site could plant a draft.
    if CSRF_FAILED not in str(error.detail) or not (connection.headers.get("origin") or connection.headers.get("referer")):
        return None
    request = scope["litestar_app"].request_class(scope=scope, receive=receive)
    return await keep_typed_form(request)


def _go(connection: ASGIConnection, path: str, cookie: str) -> ASGIResponse:
    """To ``path`` with the draft's cookie: a 303, or for htmx a client-side redirect (htmx
    would swap the page it followed into the form's target)."""
    if connection.headers.get("hx-request") == "true":
        return ASGIResponse(status_code=200, headers=[("HX-Redirect", path), ("set-cookie", cookie)])
    return ASGIRedirectResponse(path=path, status_code=303, headers={"set-cookie": cookie})
