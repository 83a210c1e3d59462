"""The home page: who you are and what you can do next, per role; and the health check."""

from __future__ import annotations

from itertools import groupby

from litestar import Request, get
from litestar.response import Response, Template

from portal import db
from portal.boards.rules import counts as board_counts
from portal.boards.rules import local_today
from portal.care.rules import home_context as care_home
from portal.councils.rules import overdue_resolutions as council_overdue
from portal.followups.home import followup_counts
from portal.overview.page import glance
from portal.public.rules import QUERY_MAX, communities_for_home
from portal.logs.rules import open_questions
from portal.notices.rules import kind_label as notice_kind
from portal.notices.rules import running_for as running_notices
from portal.shifts.rules import Policy, next_place, overdue_checkouts, utcnow
from portal.stations.rules import communities_by_id, without_officer
from portal.volunteers.facts import volunteer_facts
from portal.web.pages import render


@get("/", name="home")
async def home(request: Request) -> Template:
    actor = request.scope.get("user")
    context: dict = {"changed": request.query_params.get("changed")}
    if actor:
        context["without_officer"] = await without_officer(actor.communities("head")) if actor.has("head", "admin") else []
        context["member_of"] = await communities_by_id(actor.communities("volunteer", "host"))
        # Heads see their area's month at a glance; officers a link to the same overview.
        context["glance"] = await glance(actor, request.app.state.settings.timezone, utcnow()) if actor.head_level or actor.has("admin") else []
        # 进建商 resolutions past their due day, for the officers and heads who read them.
        context["council_overdue"] = len(await council_overdue(actor)) if actor.has("officer", "head", "district_head", "city_head", "admin") else 0
        if actor.read_only:
            return render(request, "home/overseer.html", context | await _overseer_context(actor))
        context["oversees"] = await communities_by_id(actor.communities("officer", "head")) if actor.has("officer", "head", "admin") else []
        context["board_counts"] = await board_counts([c["id"] for c in context["oversees"]], local_today()) if context["oversees"] else {}
        # Lone-patroller safety: whoever has not checked out after a shift shows up here.
        context["overdue"] = await overdue_checkouts(actor.communities("officer"), utcnow(), Policy.from_settings(request.app.state.settings)) if actor.has("officer", "head", "admin") else []
        context["volunteer_status"] = (await volunteer_facts(actor.id)).status if actor.home_role == "volunteer" else None
        # Home visits: the registers an officer keeps, the people a volunteer is asked to visit.
        context |= await care_home(actor, context["oversees"])
        context["followup_counts"] = await followup_counts(actor, request.app.state.settings.timezone)
        if actor.home_role in ("volunteer", "host"):
            context["notices"] = await running_notices(actor)
            context["notice_kind"] = notice_kind
            # The field day: the shift on now or next, then the logs, then the officer's questions.
            context["next_shift"] = await next_place(actor.id, utcnow(), Policy.from_settings(request.app.state.settings))
            context["questions"] = await open_questions(actor.id)
        return render(request, f"home/{actor.home_role}.html", context)
    # The front door: pick a community for its safe places open now and its forms.
    query = (request.query_params.get("q") or "")[:QUERY_MAX]
    communities, many = await communities_for_home(query)
    stations = [(rows[0], rows) for _station, rows in groupby(communities, key=lambda c: c["station.id"]) for rows in [list(rows)]]
    return render(request, "home/anonymous.html", context | {"stations": stations, "many": many, "q": query})


async def _overseer_context(actor) -> dict:
    """A district's or a city's head: their area's ledger figures by the units below."""
    from portal.ledger.figures import by_part
    from portal.stations.org import LEVEL_NAMES
    from portal.stations.rules import parts_level
    from portal.web.i18n import gettext as _

    ids = sorted(actor.communities("head") or [])
    return {"by_part": await by_part(ids, actor.head_level, utcnow()), "parts_name": _(LEVEL_NAMES[parts_level(actor.head_level)])}


@get("/healthz", name="health", cache=False)
async def health() -> Response:
    ok = await db.is_healthy()
    # A monitor must see the state now, never a copy a proxy kept (the cookie is not read here).
    return Response(content={"status": "ok" if ok else "degraded", "database": "ok" if ok else "unavailable"}, status_code=200 if ok else 503, headers={"cache-control": "no-store"})
