"""The heads' overview page, its workbook and its A4 print: officers see their
communities, a station head the station's, a district or city head every unit below,
split by the units one level below; an administrator every city."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.params import Parameter
from litestar.response import Template

from portal.accounts.rules import now
from portal.overview.figures import Figures
from portal.overview.page import area_names, level_of, overview_of, workbook
from portal.stations.org import LEVEL_NAMES
from portal.stations.rules import parts_level
from portal.web.guards import requires
from portal.web.i18n import gettext as _
from portal.web.pages import render
from portal.web.periods import PRESET_FILTER, PRESET_LABELS, PRESETS, at_day, choose_period, from_to, neighbour_links
from portal.web.xlsx import XLSX_TYPE

BASE = "/overview"


class OverviewController(Controller):
    """The overview of the communities the actor reaches, for a period (a preset or any
    first and last day) and the eleven before it."""

    path = BASE
    guards = [requires("officer", "head")]

    async def _context(self, request: Request, preset, at) -> tuple[dict, Figures, int]:
        actor = request.user
        zone = request.app.state.settings.timezone
        moment = now()
        today = moment.astimezone(ZoneInfo(zone)).date()
        first, last = from_to(request.query_params)
        period, errors = choose_period(preset, first, last, at_day(at, today), "month")
        level = level_of(actor)
        figures, context = await overview_of(actor, period, zone, moment, fresh=request.query_params.get("fresh") == "1")
        recount_query = urlencode([(name, value) for name, value in request.query_params.multi_items() if name != "fresh"] + [("fresh", "1")])
        context |= {
            "period": period, "errors": {name: _(message) for name, message in errors.items()}, "presets": [(p, _(PRESET_LABELS[p])) for p in PRESETS],
            "links": neighbour_links(BASE, period), "extra": "", "base": BASE, "query": request.url.query or "",
            "recount": f"{BASE}/?{recount_query}", "zone": zone,
            "first_text": first or "", "last_text": last or "", "level_name": _(LEVEL_NAMES[parts_level(level)]),
            "area": await area_names(actor, level),
            "in_progress": {"day": (today - period.first).days + 1, "days": period.days} if period.first <= today < period.last else None,
        }
        return context, figures, 422 if errors else 200

    @get("/", name="overview")
    async def page(self, request: Request, preset: str | None = Parameter(default=None, pattern=PRESET_FILTER), at: str | None = Parameter(default=None, max_length=40)) -> Template:
        context, _figures, status = await self._context(request, preset, at)
        return render(request, "overview/overview.html", context, status=status)

    @get("/export.xlsx", name="overview.xlsx")
    async def xlsx(self, request: Request, preset: str | None = Parameter(default=None, pattern=PRESET_FILTER), at: str | None = Parameter(default=None, max_length=40)) -> Response:
        context, figures, _status = await self._context(request, preset, at)
        period = context["period"]
        filename = f"overview-{period.first.isoformat()}-{period.last.isoformat()}.xlsx"
        return Response(content=workbook(figures, context, period), media_type=XLSX_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

