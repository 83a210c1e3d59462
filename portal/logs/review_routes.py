"""The officer's review pages: the queue with its filters, decisions on one log or on the
ticked ones, the exports of the filtered queue, and the statistics page.

Officers see their communities, station heads their station's, admins every one; the
queries take the actor and scope themselves (``portal.logs.review``).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.datastructures import MultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Stream, Template

from portal.logs import export, labels, review, stats
from portal.logs.labels import CATEGORY_LABELS, KIND_LABELS, OUTCOME_LABELS, label
from portal.logs.review_forms import BulkForm, DecisionForm, QueueFilterForm, StatsForm
from portal.stations.tables import Community, Station
from portal.web.guards import requires
from portal.web.i18n import gettext as _
from portal.web.i18n import localized
from portal.web.pages import is_htmx, render, safe_next, see_other
from portal.web.sorting import SORT_MAX_LENGTH

QUEUE = "/review/"
LIST_TARGET = "review-list"


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _tz(request: Request) -> str:
    return request.app.state.settings.timezone


async def queue_row(actor, log_id: int) -> dict | None:
    """One row of the queue, as the list shows it (after a decision on it)."""
    page = await review.queue_page(actor, review.QueueFilters(), None, size=1, columns=review.QUEUE_COLUMNS, only=log_id)
    return page.rows[0] if page.rows else None


class ReviewController(Controller):
    path = "/review"
    guards = [requires("officer", "head")]

    async def _queue_context(self, request: Request, params=None, after: str | None = None) -> dict:
        """The queue page's context for the filters in ``params`` (the request's query)."""
        actor = request.user
        params = request.query_params if params is None else params
        choices = await review.filter_choices(actor, *QueueFilterForm.requested(params))
        form = QueueFilterForm.from_query(params, choices)
        form.validate()
        filters = form.filters(_tz(request), review.queue_order(params))
        page = await review.queue_page(actor, filters, after)
        query = urlencode(filters.query_items())
        others = urlencode([(k, v) for k, v in filters.query_items() if k != "status"])
        return {
            "order": filters.order, "filter_items": filters.filter_items(), "filter_query": urlencode(filters.filter_items()),
            "query_without_status": others + "&" if others else "",
            "form": form, "filters": filters, "page": page, "query": query, "people_listed": choices["people_listed"],
            "counts": await review.status_counts(actor, filters), "count_cap": review.COUNT_CAP, "after": after or "",
            "here": QUEUE + (f"?{query}" if query else "") + (("&" if query else "?") + urlencode({"after": after}) if after else ""),
            "label": label, "names": labels.tables(), "result": None, "error": None,
            "ledger_items": await review.ledger_items([row["id"] for row in page.rows]), "ledger_choices": review.ledger_choices(),
        }

    def _queue(self, request: Request, context: dict, status: int = 200) -> Template:
        return render(request, "logs/review/queue.html", context, fragment="logs/review/_list.html", target=LIST_TARGET, status=status)

    @get("/", name="logs.review.queue")
    async def queue(self, request: Request, after: FromQuery[str | None] = None, sort: str | None = Parameter(default=None, max_length=SORT_MAX_LENGTH)) -> Template:
        return self._queue(request, await self._queue_context(request, after=after))

    # --- decisions on one log ---------------------------------------------------------------

    async def _answer(self, request: Request, log_id: int, form: DecisionForm, error: str | None = None) -> Template | Redirect:
        """htmx gets the row (or the log page's actions) again; a plain form goes back."""
        target = request.headers.get("hx-target") or ""
        status = 422 if error else 200
        if is_htmx(request) and target == f"log-{log_id}":
            row = await queue_row(request.user, log_id)
            if not row:
                raise NotFoundException()
            return render(request, "logs/review/_rows.html", {"rows": [row], "names": labels.tables(), "row_error": error, "ledger_items": await review.ledger_items([log_id])}, status=status)
        if is_htmx(request) and target == "review-actions":
            log = await review.review_log(request.user, log_id)
            return render(request, "logs/review/_actions.html", {"log": log, "review_error": error, **await review.duplicate_context(log_id)}, status=status)
        back = safe_next(form.next.data, QUEUE)
        if error:
            # The queue as the officer had filtered it (``next`` keeps the query), the error on top.
            context = await self._queue_context(request, MultiDict(parse_qsl(back.partition("?")[2])) if back.startswith(QUEUE) else MultiDict())
            context["error"] = error
            return self._queue(request, context, status=status)
        return see_other(back)

    async def _decide(self, request: Request, log_id: int, action: str) -> Template | Redirect:
        form = await DecisionForm.from_request(request)
        error = None
        if not form.validate():
            error = next(iter(e for field in form for e in field.errors), _("Please correct the fields marked below."))
        else:
            try:
                await review.decide(request.user, action, log_id, form.version.data or "", form.note.data, form.original.data, ip=_ip(request), ledger=form.ledger.data)
            except review.LogNotFound:
                raise NotFoundException() from None
            except review.ReviewError as failure:
                error = failure.message
        if error:
            # A log out of reach is a 404 whatever the form said.
            try:
                await review.review_log(request.user, log_id)
            except review.LogNotFound:
                raise NotFoundException() from None
        return await self._answer(request, log_id, form, error)

    @post("/{log_id:int}/accept", name="logs.review.accept")
    async def accept(self, request: Request, log_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, log_id, "accept")

    @post("/{log_id:int}/ask", name="logs.review.ask")
    async def ask(self, request: Request, log_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, log_id, "ask")

    @post("/{log_id:int}/duplicate", name="logs.review.duplicate")
    async def duplicate(self, request: Request, log_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, log_id, "duplicate")

    @post("/{log_id:int}/comment", name="logs.review.comment")
    async def comment(self, request: Request, log_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, log_id, "comment")

    @post("/{log_id:int}/file", name="logs.review.file")
    async def file(self, request: Request, log_id: FromPath[int]) -> Template | Redirect:
        """File the log into the ledger and category chosen in the list's "File into" select."""
        return await self._decide(request, log_id, "file")

    # --- the bulk bar ------------------------------------------------------------------

    @post("/bulk", name="logs.review.bulk")
    async def bulk(self, request: Request) -> Template | Redirect:
        """The ticked rows: htmx swaps the list with the outcome on top; a plain form gets
        the queue page with it."""
        form = await BulkForm.from_request(request)
        back = safe_next(form.next.data, QUEUE)
        result, error = None, None
        if not form.validate():
            error = next(iter(e for field in form for e in field.errors), _("Please correct the fields marked below."))
        else:
            try:
                result = await review.decide_many(request.user, form.action.data, form.items(), form.note.data, form.original.data, ip=_ip(request), ledger=form.ledger.data)
            except review.ReviewError as failure:
                error = failure.message
        # The list is shown again as the officer had filtered it (``next`` keeps the query).
        context = await self._queue_context(request, MultiDict(parse_qsl(back.partition("?")[2])))
        context.update(result=result, error=error, bulk_form=form if error else None)
        return self._queue(request, context, status=422 if error else 200)

    # --- exports -----------------------------------------------------------------------

    async def _export_filters(self, request: Request) -> review.QueueFilters:
        form = QueueFilterForm.from_query(request.query_params, await review.filter_choices(request.user, *QueueFilterForm.requested(request.query_params)))
        form.validate()
        return form.filters(_tz(request), review.queue_order(request.query_params))

    def _filename(self, extension: str) -> str:
        return f"field-logs-{dt.datetime.now(dt.timezone.utc):%Y%m%d-%H%M}.{extension}"

    @get("/export.csv", name="logs.review.export_csv")
    async def export_csv(self, request: Request) -> Stream:
        filters = await self._export_filters(request)
        return Stream(
            export.csv_chunks(request.user, filters), media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{self._filename("csv")}"', "Cache-Control": "private, no-store"},
        )

    @get("/export.xlsx", name="logs.review.export_xlsx")
    async def export_xlsx(self, request: Request) -> Stream:
        filters = await self._export_filters(request)
        output = await export.xlsx_file(request.user, filters)

        def chunks():
            try:
                while block := output.read(64 * 1024):
                    yield block
            finally:
                output.close()

        return Stream(
            chunks(), media_type=export.XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{self._filename("xlsx")}"', "Cache-Control": "private, no-store"},
        )

    # --- statistics --------------------------------------------------------------------

    async def _places(self, actor) -> tuple[list[tuple[str, str]], dict[str, list[int]], dict[int, dict]]:
        """The stations and communities the actor may see figures of: choices, the
        communities behind each choice, and the communities by id."""
        scope = review.reviewer_scope(actor)
        query = Community.select(Community.id, Community.name_zh, Community.name_en, Community.timezone, Community.station).order_by(Community.station).order_by(Community.id)
        if scope is not None:
            if not scope:
                return [], {}, {}
            query = query.where(Community.id.is_in(sorted(scope)))
        communities = await query.limit(1000).run()
        station_ids = sorted({c["station"] for c in communities})
        stations = await Station.select(Station.id, Station.name_zh, Station.name_en).where(Station.id.is_in(station_ids)).run() if station_ids else []
        choices: list[tuple[str, str]] = []
        members: dict[str, list[int]] = {}
        for station in stations:
            inside = [c["id"] for c in communities if c["station"] == station["id"]]
            # A station's figures only for those who reach all of its communities.
            everyone = await Community.count().where(Community.station == station["id"]).run()
            if len(inside) == everyone and len(inside) > 1:
                choices.append((f"s{station['id']}", _("%(station)s (whole station)", station=localized(station, "name"))))
                members[f"s{station['id']}"] = inside
            for community in communities:
                if community["station"] == station["id"]:
                    choices.append((f"c{community['id']}", localized(community, "name")))
                    members[f"c{community['id']}"] = [community["id"]]
        return choices, members, {c["id"]: c for c in communities}

    @get("/stats", name="logs.review.stats")
    async def statistics(self, request: Request) -> Template:
        choices, members, communities = await self._places(request.user)
        form = StatsForm.from_query(request.query_params, choices)
        if not form.place.data and choices:
            form.place.data = choices[0][0]
        form.validate()
        place = form.place.data if form.place.data in members else (choices[0][0] if choices else None)
        chosen = members.get(place, []) if place else []
        tz = communities[chosen[0]]["timezone"] if chosen else _tz(request)
        first, last = form.period(dt.datetime.now(ZoneInfo(tz)).date())
        figures = await stats.statistics(chosen, first, last, tz)
        return render(request, "logs/review/stats.html", {
            "form": form, "figures": figures, "first": first, "last": last, "communities": communities,
            "label": label, "kinds": KIND_LABELS, "categories": CATEGORY_LABELS, "outcomes": OUTCOME_LABELS,
            "place_name": dict(choices).get(place, ""),
        })


REVIEW_CONTROLLERS = [ReviewController]
