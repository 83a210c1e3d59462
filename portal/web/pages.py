"""Rendering: one template serves the full page and, for htmx, its fragment."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.response import Redirect, Template

from portal.web.forms import refill


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    page: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    target: str | None = None,
    status: int = 200,
) -> Template:
    """The page, or ``fragment`` when htmx asked to swap the element ``target``. A form
    kept across a login (``portal.web.drafts``) fills the page's form, once."""
    restored = request.scope.pop("restored_form", None)
    if restored and context:
        refill(context, restored)
    chosen = page
    if fragment and is_htmx(request) and request.headers.get("hx-target") == target:
        chosen = fragment
    return Template(template_name=chosen, context=context or {}, status_code=status)


def invalid(request: Request, page: str, context: dict[str, Any], **kwargs) -> Template:
    """The form again with its errors: 422, which the htmx config swaps like a 200."""
    return render(request, page, context, status=422, **kwargs)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths may be redirected to after login or a language switch."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def public_address(request: Request, path: str = "") -> str:
    """``path`` as the public reaches it: under PORTAL_PUBLIC_URL, else under the address
    this request was served at (development)."""
    return request.app.state.settings.public_base(str(request.base_url)) + path


def see_other(path: str) -> Redirect:
    """POST → redirect → GET."""
    return Redirect(path=path, status_code=303)


def navigate(request: Request, path: str) -> Response:
    """Go to ``path`` after a successful post: a 303 for a plain form, and for htmx an
    ``HX-Redirect`` (htmx would otherwise follow the 303 itself and swap the whole next
    page into the form's target)."""
    if is_htmx(request):
        return Response(content="", status_code=200, headers={"HX-Redirect": path})
    return see_other(path)
