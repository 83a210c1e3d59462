"""The benchmark's ceiling (portal/web/ceiling.py) serves the portal's own page from memory.

``scripts/bench`` compares each list page with the bare stack rendering the same rows; the
comparison means something only if the bare stack's page is the portal's page: the same
rows, the same template, times in the community's zone, a CSRF token in every form, and
no session, middleware or database behind it. Speed itself is measured by the benchmark.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx

from portal.web import ceiling
from tests.test_shifts_routes import a_shift, verified_client

TOKEN = re.compile(r'(name="_csrf_token" value=")([^"]+)|("x-csrftoken": ")([^"]+)')


def without_tokens(html: str) -> str:
    return TOKEN.sub(lambda m: (m.group(1) or m.group(3)) + "TOKEN", html)


async def test_the_bare_stack_serves_the_portals_shift_list_from_memory(client_for, area, app, settings):
    for hours in (20, 30, 44):  # one of them on another day
        await a_shift(area.community_id, starts_in=dt.timedelta(hours=hours))
    client, _ = await verified_client(client_for, area)
    portal_page = (await client.get("/shifts")).text
    assert portal_page.count('<li class="shift-row') == 3
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())

    held = await ceiling.capture(settings, {"/shifts": cookie}, "http://testserver.local", portal=app)
    assert held["/shifts"].template == "shifts/list.html"
    bare = ceiling.bare_app(settings, held)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://testserver.local") as anonymous:
        answer = await anonymous.get("/shifts")  # no cookie: the person is held in memory
        again = await anonymous.get("/shifts")
        missing = await anonymous.get("/review/")

    assert answer.status_code == 200 and missing.status_code == 404
    assert without_tokens(answer.text) == without_tokens(portal_page)
    tokens = [m.group(2) or m.group(4) for m in TOKEN.finditer(answer.text)]
    assert len(tokens) == answer.text.count('method="post"') + 1 and all(tokens)  # each post form, and htmx's header
    # A fresh masked token on every page, as the portal gives.
    assert TOKEN.search(answer.text).group(4) != TOKEN.search(again.text).group(4)
