"""Per-request context: who is asking (from the session cookie) and in which language."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import NotFoundException
from litestar.response.base import ASGIResponse
from litestar.response.redirect import ASGIRedirectResponse
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.accounts.rules import DatabaseSessions, SessionStore, load_actor_and_unread
from portal.settings import HTMX_CDN_URL, Settings
from portal.web.csrf import cookie_name
from portal.web import i18n

SESSION_COOKIE = "shouwang_session"
# Pages a user who must change a password may still reach.
PASSWORD_CHANGE_EXEMPT = ("/account/password", "/logout", "/language", "/static/", "/healthz")
# Addresses that serve everyone alike: the session cookie is not looked up.
WITHOUT_PERSON = ("/static/", "/healthz")


def _redirect(connection: ASGIConnection, path: str) -> ASGIResponse:
    if connection.headers.get("hx-request") == "true":
        return ASGIResponse(status_code=200, headers={"HX-Redirect": path})
    return ASGIRedirectResponse(path=path, status_code=303)


def session_cookie_name(settings: Settings) -> str:
    return cookie_name(settings, SESSION_COOKIE)


def client_ip(connection: ASGIConnection) -> str:
    return connection.client.host if connection.client else ""


def request_language(connection: ASGIConnection, settings: Settings) -> str:
    actor = connection.scope.get("user")
    return i18n.choose_language(
        connection.cookies.get(i18n.LANGUAGE_COOKIE),
        actor.preferred_language if actor else None,
        connection.headers.get("accept-language"),
        settings.default_language,
    )


def context_middleware(settings: Settings, sessions: SessionStore):
    """Sets ``scope['user']`` (an Actor or None), ``scope['session_token']`` and the language."""

    session_name = session_cookie_name(settings)

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            if "\x00" in scope["path"]:
                # No record has a NUL in its code, and PostgreSQL refuses the byte in a query.
                raise NotFoundException()
            connection = ASGIConnection(scope)
            token = connection.cookies.get(session_name)
            actor, unread = None, 0
            if token and not scope["path"].startswith(WITHOUT_PERSON):
                # The header's inbox badge is counted in the same statement for full
                # pages (htmx fragments carry their own), so that templates never query.
                full_page = scope.get("method") == "GET" and connection.headers.get("hx-request") != "true"
                reading = scope.get("method") in ("GET", "HEAD")
                if isinstance(sessions, DatabaseSessions):
                    # The session and the person in one statement.
                    actor, unread = await sessions.actor_for(token, count_unread=full_page, reading=reading)
                elif user_id := await sessions.user_id_for(token):
                    actor, unread = await load_actor_and_unread(user_id, count_unread=full_page, reading=reading)
            scope["user"] = actor
            scope["session_token"] = token if actor else None
            scope["unread_count"] = unread
            reset = i18n.activate(request_language(connection, settings))
            try:
                if actor and actor.must_change_password and not scope["path"].startswith(PASSWORD_CHANGE_EXEMPT):
                    await _redirect(connection, "/account/password")(scope, receive, send)
                    return
                await app(scope, receive, send)
            finally:
                i18n.restore(reset)

        return middleware

    return factory


def security_headers(settings: Settings):
    """``before_send`` hook: the same headers on every response, error pages included."""
    script_src = "'self'" if settings.htmx_self_hosted else f"'self' {HTMX_CDN_URL}"
    csp = (
        "default-src 'self'; "
        f"script-src {script_src}; "
        "style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
        "frame-ancestors 'none'"
    )
    headers = {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(self)",
        "cross-origin-opener-policy": "same-origin",
    }
    if settings.secure_cookies:
        headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            out = MutableScopeHeaders.from_message(message)
            for name, value in headers.items():
                if name not in out:
                    out[name] = value
            out["vary"] = "Cookie, Accept-Language, HX-Request" if "vary" not in out else out["vary"]
            # Pages for a signed-in person (and the answer that signs them in or out) are
            # theirs alone: no browser or proxy cache keeps them.
            # A handler may keep its own private cache (a page meant to open offline, such
            # as the reception phrasebook) by setting ``scope["keep_private_cache"]``.
            if (scope.get("user") is not None or "set-cookie" in out) and not scope.get("keep_private_cache"):
                cache = out.get("cache-control", "")
                if "no-store" not in cache and not scope["path"].startswith("/static/"):
                    out["cache-control"] = "private, no-store"

    return before_send
