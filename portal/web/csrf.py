"""CSRF protection bound to the session.

A token is an HMAC (keyed by ``PORTAL_SECRET_KEY``) of the session cookie, or, before
login, of a random pre-session cookie: another person's cookie and token pair does not
fit one's own session, and the token changes with the session at every login. Each
page gets the token masked with fresh random bytes (as Django does), so a compressed
page never repeats it byte for byte (BREACH). Unsafe requests also need an ``Origin``
(or, without one, a ``Referer``) of the portal itself when the browser sends one.

Cookies are named ``__Host-…`` when the portal is served over TLS
(``Settings.secure_cookies``): a sibling domain cannot set or shadow them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from portal.settings import Settings

CSRF_FIELD = "_csrf_token"
CSRF_HEADER = "x-csrftoken"
# The pre-session cookie: before login, tokens are bound to its random value.
PRESESSION_COOKIE = "csrftoken"
CSRF_FAILED = "CSRF token verification failed"
CROSS_SITE = "Cross-site request refused"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Nothing to protect and no token to hand out: static files (GET only) and the health check.
UNGUARDED_PREFIXES = ("/static/", "/healthz")
_DIGEST = 32


def cookie_name(settings: Settings, name: str) -> str:
    """``__Host-<name>`` over TLS: only this host, with Secure and Path=/, can set it."""
    return f"__Host-{name}" if settings.secure_cookies else name


def _origin(url: str | None) -> str | None:
    """scheme://host[:port] of ``url``, lower case, without a default port; None if none."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{parts.hostname.lower()}" + (f":{port}" if port and port != default else "")


class Tokens:
    """Tokens bound to a binding (the session or pre-session cookie's value)."""

    def __init__(self, secret: str):
        self.key = hashlib.sha256(b"shouwang-csrf:" + secret.encode()).digest()

    def _digest(self, binding: str) -> bytes:
        return hmac.new(self.key, binding.encode(), hashlib.sha256).digest()

    def token(self, binding: str) -> str:
        mask = secrets.token_bytes(_DIGEST)
        masked = bytes(a ^ b for a, b in zip(mask, self._digest(binding)))
        return base64.urlsafe_b64encode(mask + masked).decode().rstrip("=")

    def valid(self, token: str | None, binding: str) -> bool:
        if not token or len(token) > 200:
            return False
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return False
        if len(raw) != 2 * _DIGEST:
            return False
        unmasked = bytes(a ^ b for a, b in zip(raw[:_DIGEST], raw[_DIGEST:]))
        return hmac.compare_digest(unmasked, self._digest(binding))


def csrf_middleware(settings: Settings, session_cookie: str):
    """Checks unsafe requests and puts the page's token where templates read it
    (``csrf_input``, ``csrf_token()``). Runs after the context middleware. A handler
    opts out with ``opt={"exclude_from_csrf": True}`` (the Open311 API, authorised by
    its key and not by cookies)."""
    tokens = Tokens(settings.secret_key)
    session_name = cookie_name(settings, session_cookie)
    presession_name = cookie_name(settings, PRESESSION_COOKIE)
    public_origin = _origin(settings.public_url)

    def own_origins(connection: ASGIConnection) -> set[str]:
        served = _origin(f"{connection.scope.get('scheme', 'http')}://{connection.headers.get('host', '')}")
        return {origin for origin in (served, public_origin) if origin}

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            handler = scope.get("route_handler")
            if scope["type"] != "http" or scope["path"].startswith(UNGUARDED_PREFIXES) or (handler and handler.opt.get("exclude_from_csrf")):
                await app(scope, receive, send)
                return
            connection = ASGIConnection(scope)
            session = connection.cookies.get(session_name)
            presession = connection.cookies.get(presession_name)
            new_presession = None
            if session:
                # The cookie as sent, live or expired: whoever can read it owns the session anyway.
                binding = "session:" + session
            else:
                if not presession:
                    presession = new_presession = secrets.token_urlsafe(32)
                binding = "presession:" + presession
            if scope["method"] not in SAFE_METHODS:
                claimed = connection.headers.get("origin")
                if claimed is None and connection.headers.get("referer"):
                    claimed = _origin(connection.headers["referer"]) or "null"
                if claimed is not None and _origin(claimed) not in own_origins(connection):
                    raise PermissionDeniedException(CROSS_SITE)
                submitted = connection.headers.get(CSRF_HEADER)
                if submitted is None:
                    request = scope["litestar_app"].request_class(scope=scope, receive=receive)
                    if request.content_type[0] in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
                        submitted = (await request.form()).get(CSRF_FIELD)
                if new_presession or not tokens.valid(submitted if isinstance(submitted, str) else None, binding):
                    raise PermissionDeniedException(CSRF_FAILED)
            ScopeState.from_scope(scope).csrf_token = tokens.token(binding)
            if not new_presession:
                await app(scope, receive, send)
                return
            cookie = Cookie(key=presession_name, value=new_presession, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax").to_header(header="")

            async def send_with_cookie(message: Message) -> None:
                if message["type"] == "http.response.start":
                    MutableScopeHeaders.from_message(message).add("set-cookie", cookie)
                await send(message)

            await app(scope, receive, send_with_cookie)

        return middleware

    return factory
