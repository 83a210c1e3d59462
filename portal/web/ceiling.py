"""The benchmark's ceiling: the officers' review queue rendered from rows held in memory.

Registered only with ``PORTAL_BENCH_CEILING=true`` (``scripts/bench`` sets it), so it is
never part of a normal portal. The first request builds the queue's context through the
same code as ``/review/``; every later one renders the same template from that copy,
so the difference to ``/review/`` is what the database and the queries cost.
"""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from portal.web.guards import requires
from portal.web.pages import render

CEILING_PATH = "/_bench/ceiling"


@get(CEILING_PATH, name="bench.ceiling", guards=[requires("officer", "head")])
async def review_ceiling(request: Request) -> Template:
    from portal.logs.review_routes import ReviewController

    held = getattr(request.app.state, "bench_ceiling", None)
    if held is None:
        # The context of the review queue for this query, computed once.
        held = await ReviewController._queue_context(None, request)  # type: ignore[arg-type]
        request.app.state.bench_ceiling = held
    return render(request, "logs/review/queue.html", dict(held), fragment="logs/review/_list.html", target="review-list")
