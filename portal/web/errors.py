"""Friendly error pages; an expired session on htmx becomes a client-side redirect."""

from __future__ import annotations

import logging
import unicodedata
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from portal.web import i18n
from portal.web.drafts import draft_cookie
from portal.web.i18n import N_
from portal.web.middleware import request_language
from portal.web.pages import is_htmx

log = logging.getLogger("portal")
CSRF_FAILED = "CSRF token verification failed"


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if is_htmx(request):
        # The page the fragment belongs to, not the fragment's URL.
        current = request.headers.get("hx-current-url", "")
        target = "/" + current.split("/", 3)[3] if current.count("/") >= 3 else "/"
    return f"/login?next={quote(target, safe='/')}"


def not_authorized(request: Request, exc: NotAuthorizedException) -> Response:
    # A form sent after its session ended was kept by the guard (portal.web.drafts): the
    # login leads back to the form's page, where this browser's cookie fills it again.
    kept = request.scope.get("kept_form")
    url = f"/login?next={quote(kept[1], safe='/')}" if kept else login_url(request)
    cookies = [draft_cookie(request.app.state.settings, kept[0])] if kept else []
    if is_htmx(request):
        return Response(content="", status_code=401, headers={"HX-Redirect": url}, cookies=cookies)
    return Redirect(path=url, status_code=303, cookies=cookies)


_MESSAGES = {
    400: (N_("Bad request"), N_("The address or the form had something we could not read.")),
    403: (N_("Not allowed"), N_("You do not have access to this page.")),
    404: (N_("Page not found"), N_("There is no page at this address. It may have moved.")),
    405: (N_("Not allowed"), N_("This page cannot be used that way.")),
    413: (N_("Too large"), N_("What you sent is larger than we accept.")),
    429: (N_("Too many requests"), N_("Please wait a moment and try again.")),
    500: (N_("Something went wrong"), N_("The error was recorded. Please try again in a moment.")),
}


def _page(request: Request, status: int, detail: str | None = None) -> Template:
    """The error page; ``detail`` is an untranslated message marked with N_."""
    # Error pages may render outside the context middleware (routing and CSRF errors,
    # or after it returned); each request has its own context, so this leaks nowhere.
    request.scope.setdefault("user", None)
    i18n.activate(request_language(request, request.app.state.settings))
    title, message = _MESSAGES.get(status, _MESSAGES[400] if status < 500 else _MESSAGES[500])
    return Template(
        template_name="errors/error.html",
        context={"status": status, "title": i18n.gettext(title), "message": i18n.gettext(detail or message)},
        status_code=status,
    )


def http_error(request: Request, exc: HTTPException) -> Template:
    status = exc.status_code
    detail = None
    if status == 403 and CSRF_FAILED in str(exc.detail):
        detail = N_("This form has expired. Go back, reload the page and send it again.")
    if status >= 500:
        log.exception("server error", exc_info=exc)
    return _page(request, status, detail)


def _out_of_range(exc: Exception) -> bool:
    """An id or page cursor too large for the database's integers (SQLite: 64-bit;
    PostgreSQL: 32- or 64-bit columns): no row can have it."""
    text = str(exc)
    if isinstance(exc, OverflowError):
        return "SQLite INTEGER" in text
    return type(exc).__name__ == "DataError" and "out of int" in text and "range" in text


def printable(text: str) -> str:
    """``text`` with every control, format or line-separating character escaped (\\n,
    \\x00, \\u2028...): a decoded path written to the log as it came could start a
    forged line or hide what follows."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in text
    )


def server_error(request: Request, exc: Exception) -> Template:
    if _out_of_range(exc):
        return _page(request, 404)
    log.exception("unhandled error on %s %s", request.method, printable(request.url.path), exc_info=exc)
    return _page(request, HTTP_500_INTERNAL_SERVER_ERROR)
