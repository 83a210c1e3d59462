"""The benchmark's ceiling: the stack's own limit, a bare Litestar app serving the
portal's pages from memory.

``scripts/bench`` starts it beside the portal, with the same server settings (uvicorn,
the same number of workers), and measures the same addresses on both. At start each
worker asks the portal itself, in process, for each page the benchmark measures (with
the benchmark's session cookies, passed in ``PORTAL_BENCH_PAGES``) and keeps what the
handler gave its template: the template's name, its context (the rows as the handler
built them), the person and the language. From then on it serves those pages with no
session, no middleware and no database: each request sets the person and the language
held in memory, makes a fresh masked CSRF token (so every form carries one, as on the
portal) and renders the SAME Jinja templates, with the same filters (times converted
to the community's zone), gzipped as the portal does. What a portal page costs beyond
this is the portal's own work: session, middleware, queries, building the rows.

Never part of a running portal: only ``uvicorn --factory portal.web.ceiling:bare_app``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from litestar import Litestar, Request, get
from litestar.config.compression import CompressionConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Template
from litestar.template.config import TemplateConfig
from litestar.utils.scope.state import ScopeState

from portal.settings import Settings, load_settings
from portal.web import i18n
from portal.web.csrf import Tokens

PAGES_VARIABLE = "PORTAL_BENCH_PAGES"


@dataclass
class HeldPage:
    template: str
    context: dict[str, Any]
    user: Any
    unread: int
    language: str
    binding: str


def _key(path: str) -> str:
    return path.rstrip("/") or "/"


async def capture(settings: Settings, pages: dict[str, str], base: str, portal: Litestar | None = None) -> dict[str, HeldPage]:
    """Each page's template and context, as the portal's handler built them for the
    person whose cookie is given: ``pages`` maps an address to a Cookie header. Without
    ``portal`` a portal is built and started (its lifespan) for the while."""
    import httpx
    from litestar.response import template as template_module

    from portal.app import create_app

    started = portal is None
    portal = portal or create_app(settings)
    seen: list[HeldPage] = []
    original = template_module.Template.create_template_context

    def recording(self, request):
        scope = request.scope
        seen.append(HeldPage(self.template_name, dict(self.context), scope.get("user"), scope.get("unread_count", 0),
                             i18n.current_language(), "session:" + (scope.get("session_token") or "")))
        return original(self, request)

    held: dict[str, HeldPage] = {}
    template_module.Template.create_template_context = recording  # type: ignore[method-assign]
    try:
        async with portal.lifespan() if started else contextlib.nullcontext():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=portal), base_url=base) as client:
                for path, cookie in pages.items():
                    seen.clear()
                    answer = await client.get(path, headers={"Cookie": cookie})
                    if answer.status_code != 200 or len(seen) != 1:
                        raise RuntimeError(f"{path}: the portal answered {answer.status_code} ({len(seen)} templates)")
                    held[_key(path.split("?", 1)[0])] = seen[0]
    finally:
        template_module.Template.create_template_context = original  # type: ignore[method-assign]
    return held


def bare_app(settings: Settings | None = None, held: dict[str, HeldPage] | None = None) -> Litestar:
    """Factory for uvicorn: the pages of ``PORTAL_BENCH_PAGES`` from memory, captured at
    start; or the pages ``held`` already (a test)."""
    from portal.app import template_environment

    settings = settings or load_settings()
    pages = json.loads(os.environ.get(PAGES_VARIABLE, "{}"))
    tokens = Tokens(settings.secret_key)
    captured = held is None
    held = {} if held is None else held

    @contextlib.asynccontextmanager
    async def held_pages(app: Litestar) -> AsyncIterator[None]:
        if captured:
            held.update(await capture(settings, pages, settings.public_url or "http://127.0.0.1"))
        yield

    @get(["/", "/{rest:path}"], name="bench.bare")
    async def page(request: Request) -> Template:
        page = held.get(_key(request.url.path))
        if page is None:
            raise NotFoundException()
        scope = request.scope
        scope["user"] = page.user
        scope["unread_count"] = page.unread
        ScopeState.from_scope(scope).csrf_token = tokens.token(page.binding)
        i18n.activate(page.language)
        return Template(template_name=page.template, context=page.context)

    return Litestar(
        route_handlers=[page],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(template_environment(settings))),
        compression_config=CompressionConfig(backend="gzip", minimum_size=500, gzip_compress_level=6),
        lifespan=[held_pages],
        state=State({"settings": settings}),
        debug=False,
        openapi_config=None,
    )
