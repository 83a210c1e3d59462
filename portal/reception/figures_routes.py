"""The reception rooms' figures: the officers' and heads' page and its XLSX, and the
public page of a station (counts only, by month)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter
from litestar.response import Template

from portal.accounts.rules import now
from portal.reception import counters
from portal.reception.counters import CATEGORY_LABELS, COUNTER_LABELS
from portal.stations.org import LEVEL_NAMES
from portal.stations.tables import Community, Station
from portal.web.guards import requires
from portal.web.i18n import N_
from portal.web.i18n import gettext as _
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import pgettext
from portal.web.pages import render
from portal.web.sorting import SORT_MAX_LENGTH, SortKey, Sorts
from portal.web.xlsx import safe_text
from portal.web.periods import PRESET_FILTER, PRESET_LABELS, PRESETS, Period, at_day, choose_period, from_to, neighbour_links

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEVELS = ("city", "district", "station", "community", "room")
ROOM_LEVEL = N_("reception room")
BY_FILTER = "^(" + "|".join(LEVELS) + ")$"


def _unit_key(row: dict) -> tuple:
    return (row["unit"] is None, (row["unit"] or {}).get("code") or "", row["part"] or 0)


# The figures' sortable columns: the unit (by its code, the organisation's own order,
# which is the default) and every counter, largest first on the first click. The parts
# are one row per unit, read in full: sorted in Python, where the sort is stable either
# way, so units with the same count stay in the units' order.
FIGURE_SORTS = Sorts({
    "unit": SortKey(_l("Unit"), key=_unit_key),
    **{name: SortKey(_l(label), key=lambda row, name=name: row[name], descending_first=True) for name, label in COUNTER_LABELS.items()},
    "visits": SortKey(_l("Visits logged"), key=lambda row: row["visits"], descending_first=True),
}, default="unit")
FILTERS = ("preset", "at", "from", "to", "by")


def level_name(level: str) -> str:
    return _(ROOM_LEVEL) if level == "room" else _(LEVEL_NAMES[level])


def _today(request: Request, timezone: str | None = None) -> dt.date:
    return now().astimezone(ZoneInfo(timezone or request.app.state.settings.timezone)).date()


def _from_to(request: Request) -> tuple[str | None, str | None]:
    return from_to(request.query_params)


def _period(request: Request, preset, first, last, at, today: dt.date, default: str) -> tuple[Period, dict[str, str]]:
    period, errors = choose_period(preset, first, last, at_day(at, today), default)
    return period, {name: _(message) for name, message in errors.items()}


class FiguresController(Controller):
    """Officers read their communities' rooms, heads their station, district or city
    (split by the units one level below, or any level under theirs they choose)."""

    path = "/reception"
    guards = [requires("officer", "head")]

    async def _context(self, request: Request, preset, at, by, sort: str | None = None) -> tuple[dict, int]:
        actor = request.user
        first, last = _from_to(request)
        scope = actor.communities("officer", "head")
        default_level = counters.part_level(actor.head_level, actor.has("admin"))
        levels = list(LEVELS[LEVELS.index(default_level):])
        level = by if by in levels else default_level
        today = _today(request)
        period, errors = _period(request, preset, first, last, at, today, "month")
        figures = await counters.figures(scope, period.first, period.last, level)
        order = FIGURE_SORTS.parse(sort)
        figures["parts"] = order.sorted(sorted(figures["parts"], key=_unit_key))
        filter_items = [(name, request.query_params[name][:40]) for name in FILTERS if request.query_params.get(name)]
        extra = f"&by={level}" if level != default_level else ""
        context = {
            "order": order, "filter_items": filter_items, "filter_query": urlencode(filter_items),
            "period": period, "errors": errors, "figures": figures, "level": level, "levels": [(lv, level_name(lv)) for lv in levels],
            "level_name": level_name(level), "presets": [(p, _(PRESET_LABELS[p])) for p in PRESETS],
            "counter_labels": COUNTER_LABELS, "category_labels": CATEGORY_LABELS, "links": neighbour_links("/reception/figures", period, extra), "extra": extra,
            "query": request.url.query or "", "first_text": first or "", "last_text": last or "",
        }
        return context, 422 if errors else 200

    @get("/figures", name="reception.figures")
    async def page(
        self, request: Request, preset: str | None = Parameter(default=None, pattern=PRESET_FILTER), at: str | None = Parameter(default=None, max_length=40),
        by: str | None = Parameter(default=None, pattern=BY_FILTER), sort: str | None = Parameter(default=None, max_length=SORT_MAX_LENGTH),
    ) -> Template:
        context, status = await self._context(request, preset, at, by, sort)
        return render(request, "reception/figures.html", context, status=status)

    @get("/figures.xlsx", name="reception.figures_xlsx")
    async def xlsx(
        self, request: Request, preset: str | None = Parameter(default=None, pattern=PRESET_FILTER), at: str | None = Parameter(default=None, max_length=40),
        by: str | None = Parameter(default=None, pattern=BY_FILTER),
    ) -> Response:
        context, _status = await self._context(request, preset, at, by)
        period = context["period"]
        scope = request.user.communities("officer", "head")
        monthly = await counters.monthly(scope, period.first, period.last)
        content = workbook(context["figures"], monthly, context["level_name"], period)
        filename = f"reception-{period.first.isoformat()}-{period.last.isoformat()}.xlsx"
        return Response(content=content, media_type=XLSX_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _unit_name(unit: dict | None) -> str:
    from portal.web.i18n import localized

    return safe_text(localized(unit, "name")) if unit else _("No district yet")


def workbook(figures: dict, monthly: list[dict], level_label: str, period: Period) -> bytes:
    """The figures as an XLSX made for Excel and WPS (portal.web.xlsx): bold frozen
    headers, autofilter, widths from the content, numbers as numbers, months as dates,
    sheet names and headers in the reader's language. Counts only: no visitor, note or
    contact."""
    from portal.web.xlsx import Sheet, workbook_bytes

    counter_headers = [_(COUNTER_LABELS[key]) for key in counters.COUNTERS]
    counts = ["int"] * (len(counters.COUNTERS) + 1)
    rows = [[_unit_name(r["unit"]), (r["unit"] or {}).get("code", ""), *[r[key] for key in counters.COUNTERS], r["visits"]] for r in figures["parts"]]
    total = figures["totals"]
    rows.append([_("Total"), "", *[total[key] for key in counters.COUNTERS], total["visits"]])
    return workbook_bytes([
        Sheet(_("By %(level)s", level=level_label), [_("Unit"), _("Code"), *counter_headers, pgettext("reception", "Visits")], rows, ["text", "code", *counts], bold_last_row=True),
        Sheet(
            _("By month"), [_("Month"), *counter_headers, pgettext("reception", "Visits")],
            [[dt.date.fromisoformat(m["month"] + "-01"), *[m[key] for key in counters.COUNTERS], m["visits"]] for m in monthly],
            ["month", *counts],
        ),
        Sheet(_("By category"), [_("Category"), pgettext("reception", "Visits")], [[_(CATEGORY_LABELS[name]), total["categories"][name]] for name in CATEGORY_LABELS], ["text", "int"]),
        Sheet(_("Period"), [_("First day"), _("Last day")], [[period.first, period.last]], ["date", "date"]),
    ])


class PublicFiguresController(Controller):
    """Everyone: a station's reception rooms in figures, by month (counts only)."""

    path = "/stations/{station_id:int}/reception"

    @get("/", name="reception.public_figures")
    async def station(
        self, request: Request, station_id: FromPath[int], preset: str | None = Parameter(default=None, pattern=PRESET_FILTER),
        at: str | None = Parameter(default=None, max_length=40),
    ) -> Template:
        station = await Station.select(Station.id, Station.name_zh, Station.name_en).where(Station.id == station_id).first().run()
        if not station:
            raise NotFoundException()
        first, last = _from_to(request)
        communities = await Community.select(Community.id, Community.code, Community.name_zh, Community.name_en).where(Community.station == station_id).order_by(Community.id).limit(200).run()
        ids = [c["id"] for c in communities]
        period, errors = _period(request, preset, first, last, at, _today(request), "year")
        figures = await counters.figures(ids, period.first, period.last, "community")
        context = {
            "station": station, "communities": communities, "period": period, "errors": errors, "figures": figures,
            "monthly": await counters.monthly(ids, period.first, period.last), "presets": [(p, _(PRESET_LABELS[p])) for p in PRESETS],
            "counter_labels": COUNTER_LABELS, "links": neighbour_links(f"/stations/{station_id}/reception", period), "extra": "",
            "first_text": first or "", "last_text": last or "",
        }
        return render(request, "reception/figures_public.html", context, status=422 if errors else 200)
