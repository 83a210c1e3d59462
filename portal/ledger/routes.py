"""Pages of the three ledgers: officers' lists, filing, an item with its timeline and
steps; the head's dashboard and its XLSX; the admin's calendar and deadline rules; the
public ledger of a community or station; the person's answer on the tracking page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from portal.accounts.rules import now
from portal.ledger import answer_templates, export, figures, labels, referrals, rules, search
from portal.ledger import mail as ledger_mail
from portal.ledger import saved_views
from portal.ledger.forms import AnswerForm, CallbackForm, ReferralAnswerForm, ReferralForm, SavedViewForm, TemplateEditForm, TemplateForm, EscalateLogForm, FileForm, FileIntakeForm, HolidayForm, MoveForm, PrefixForm, PrivateForm, PublicTextForm, RuleForm
from portal.ledger.rules import LedgerError, ListFilter, NewItem
from portal.ledger.tables import LEDGERS, SOURCES, STAGES, Holiday, LedgerDeadlineRule, LedgerItem
from portal.public import rules as public
from portal.stations.org import LEVEL_NAMES
from portal.stations.rules import communities_by_id, parts_level
from portal.stations.tables import Community, Station
from portal.watchpoints import rules as points
from portal.web.guards import requires
from portal.web.i18n import current_language, localized
from portal.web.i18n import gettext as _
from portal.web.pages import invalid, is_htmx, navigate, render, see_other
from portal.reception.visits import visit_for_item

STAGE_FILTER, LEDGER_FILTER, CATEGORY_FILTER, SOURCE_FILTER = saved_views.STAGE_FILTER, saved_views.LEDGER_FILTER, saved_views.CATEGORY_FILTER, saved_views.SOURCE_FILTER


def _chosen(ledger, stage, community, mine, q, category, owner, source, due_within, sort) -> ListFilter:
    return ListFilter(
        ledger=ledger, stage=stage, community_id=community, mine=mine, q=(q or "").strip() or None, category=category,
        owner=owner, source=source, due_within=due_within, sort=sort,
    )


def _fail(form, error: LedgerError) -> None:
    """Put a rule's refusal next to its field (or above the form)."""
    form.fail(error.field or "", _(error.message, **{k: v for k, v in error.params.items() if k != "stale"}))


async def _community_choices(actor) -> list[tuple[int, str]]:
    return [(c["id"], f"{localized(c, 'station.name')} · {localized(c, 'name')}") for c in await communities_by_id(actor.communities("officer", "head"))]


class LedgerController(Controller):
    """Officers and station heads: the items of their communities."""

    path = "/ledger"
    guards = [requires("officer", "head")]

    @get("/", name="ledger.list")
    async def list_items(
        self,
        request: Request,
        ledger: str | None = Parameter(default=None, pattern=LEDGER_FILTER),
        stage: str = Parameter(default="open", pattern=STAGE_FILTER),
        community: int | None = Parameter(default=None, ge=1),
        mine: bool = Parameter(default=False),
        after: int | None = Parameter(default=None, ge=0),
        q: str | None = Parameter(default=None, max_length=200),
        category: str | None = Parameter(default=None, pattern=CATEGORY_FILTER),
        owner: str | None = Parameter(default=None, pattern=r"^(none|\d{1,9})$"),
        source: str | None = Parameter(default=None, pattern=SOURCE_FILTER),
        due_within: int | None = Parameter(default=None, ge=1, le=366),
        sort: str = Parameter(default="new", pattern="^(new|due)$"),
        cursor: str | None = Parameter(default=None, max_length=40),
    ) -> Template:
        chosen = _chosen(ledger, stage, community, mine, q, category, owner, source, due_within, sort)
        return await self._list_page(request, chosen, cursor if sort == "due" else after, fragment=True)

    async def _list_page(self, request: Request, chosen: ListFilter, after, *, bulk: dict | None = None, view_form: SavedViewForm | None = None, fragment: bool = False, status: int = 200) -> Template:
        """The list with its filters, the preset and the person's own saved views."""
        params = search.params_of(chosen)
        mine = await saved_views.views_of(request.user.id)
        context = {
            "page": await rules.item_page(request.user, chosen, after), "chosen": chosen, "communities": await _community_choices(request.user), "stages": STAGES,
            "ledgers": LEDGERS, "at": now(), "params": params, "views": search.VIEWS, "categories": search.CATEGORY_CODES, "sources": SOURCES,
            "owners": await search.owners_of(request.user), "bulk": bulk, "my_views": mine, "view_form": view_form or SavedViewForm(),
            "views_full": len(mine) >= saved_views.MAX_VIEWS,
        }
        if fragment:
            return render(request, "ledger/list.html", context, fragment="ledger/_rows.html", target="ledger-rows", status=status)
        return render(request, "ledger/list.html", context, status=status)

    @post("/views", name="ledger.view_save")
    async def view_save(self, request: Request) -> Template | Redirect | Response:
        """Keep the list's current filters under a name, for the person only."""
        form = await SavedViewForm.from_request(request)
        valid = form.validate()
        filters = saved_views.clean_filters(form.filters())
        if filters is None:
            form.fail("", _("These filters cannot be saved: show the list with them again and save it from there."))
        elif valid:
            try:
                await saved_views.save_view(request.user, form.name.data or "", filters)
                return navigate(request, f"/ledger?{saved_views.query_of(filters)}")
            except LedgerError as error:
                _fail(form, error)
        filters = filters or {}
        chosen = _chosen(
            filters.get("ledger"), filters.get("stage", "open"), int(filters["community"]) if "community" in filters else None, "mine" in filters, filters.get("q"),
            filters.get("category"), filters.get("owner"), filters.get("source"), int(filters["due_within"]) if "due_within" in filters else None, filters.get("sort", "new"),
        )
        return await self._list_page(request, chosen, None, view_form=form, status=422)

    @post("/views/{view_id:int}/remove", name="ledger.view_remove")
    async def view_remove(self, request: Request, view_id: FromPath[int]) -> Redirect | Response:
        """Remove one of the person's own views; anyone else's is not found."""
        if not await saved_views.remove_view(request.user, view_id):
            raise NotFoundException()
        return navigate(request, "/ledger")

    @get("/export", name="ledger.export")
    async def export_items(
        self,
        request: Request,
        format: str = Parameter(default="xlsx", pattern="^(xlsx|csv)$"),
        ledger: str | None = Parameter(default=None, pattern=LEDGER_FILTER),
        stage: str = Parameter(default="open", pattern=STAGE_FILTER),
        community: int | None = Parameter(default=None, ge=1),
        mine: bool = Parameter(default=False),
        q: str | None = Parameter(default=None, max_length=200),
        category: str | None = Parameter(default=None, pattern=CATEGORY_FILTER),
        owner: str | None = Parameter(default=None, pattern=r"^(none|\d{1,9})$"),
        source: str | None = Parameter(default=None, pattern=SOURCE_FILTER),
        due_within: int | None = Parameter(default=None, ge=1, le=366),
        sort: str = Parameter(default="new", pattern="^(new|due)$"),
    ) -> Response:
        """The filtered items as XLSX or CSV (no contact of the person, whoever asks)."""
        chosen = _chosen(ledger, stage, community, mine, q, category, owner, source, due_within, sort)
        rows = await search.export_rows(request.user, chosen)
        stamp = now().strftime("%Y%m%d-%H%M")
        if format == "csv":
            # Litestar adds "; charset=utf-8" to every text/* type itself.
            body, media, name = search.export_csv(rows), "text/csv", f"ledger-items-{stamp}.csv"
        else:
            body, media, name = search.export_xlsx(rows), export.XLSX_TYPE, f"ledger-items-{stamp}.xlsx"
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})

    @post("/bulk-reassign", name="ledger.bulk_reassign")
    async def bulk_reassign(self, request: Request) -> Template:
        """Assign the ticked items to one officer, each through the ledger's own step."""
        data = await request.form()
        ids = [int(v) for v in data.getall("item", []) if str(v).isdigit() and len(str(v)) < 10]
        officer = str(data.get("officer") or "")
        error = None
        if not ids:
            error = _("Tick the items to reassign.")
        elif not officer.isdigit() or len(officer) > 9:
            error = _("Choose an officer.")
        done, refused = ([], []) if error else await search.bulk_reassign(request.user, ids, int(officer))
        return await self._list_page(request, ListFilter(stage="open"), None, bulk={"error": error, "done": done, "refused": refused}, status=422 if error else 200)

    async def _new_page(self, request: Request, form: FileForm, status: int = 200) -> Template:
        return render(request, "ledger/new.html", {"form": form}, status=status)

    @get("/new", name="ledger.new")
    async def new(self, request: Request) -> Template:
        return await self._new_page(request, FileForm.blank(await _community_choices(request.user), current_language()))

    @post("/new", name="ledger.create")
    async def create(self, request: Request) -> Template | Redirect | Response:
        form = await FileForm.from_request(request)
        form.community.choices = await _community_choices(request.user)
        if form.validate():
            try:
                made = await rules.file_item(
                    request.user,
                    NewItem(
                        ledger=form.ledger.data, category=form.category.data, community_id=form.community.data, summary=form.summary.data,
                        details=form.details.data or "", landmark=form.landmark.data or "", raised_by_name=form.raised_by_name.data or "",
                        raised_by_phone=form.raised_by_phone.data or "", raised_by_email=form.raised_by_email.data or "",
                        anonymous=bool(form.anonymous.data), source=form.source.data, language=form.language.data or current_language(), idempotency_key=form.key(),
                    ),
                )
                return navigate(request, f"/ledger/{made['id']}?filed=1")
            except LedgerError as error:
                _fail(form, error)
        return await self._new_page(request, form, 422)

    async def _item(self, request: Request, item_id: int) -> dict:
        item = await rules.item_for_officer(request.user, item_id)
        if not item:
            raise NotFoundException()
        return item

    async def _templates_page(self, request: Request, form: TemplateForm | None = None, status: int = 200, editing: tuple[int, TemplateEditForm] | None = None) -> Template:
        """The station's templates, each with its edit form (``editing``: the one sent
        back with its errors), and the form to add one."""
        stations = await answer_templates.template_stations(request.user)
        form = form or TemplateForm(data={"language": current_language()})
        form.station.choices = [(s["id"], localized(s, "name")) for s in stations]
        templates = await answer_templates.templates_for([s["id"] for s in stations])
        edit_forms = {} if request.user.read_only else {t["id"]: TemplateEditForm(prefix=f"t{t['id']}", data=t) for t in templates}
        if editing:
            edit_forms[editing[0]] = editing[1]
        context = {"form": form, "templates": templates, "stations": {s["id"]: s for s in stations}, "edit_forms": edit_forms, "editing": editing[0] if editing else None}
        return render(request, "ledger/templates.html", context, status=status)

    @get("/templates", name="ledger.templates")
    async def templates(self, request: Request) -> Template:
        return await self._templates_page(request)

    @post("/templates", name="ledger.template_save")
    async def template_save(self, request: Request) -> Template | Redirect | Response:
        form = await TemplateForm.from_request(request)
        form.station.choices = [(s["id"], "") for s in await answer_templates.template_stations(request.user)]
        if form.validate():
            try:
                template_id = int(form.template.data) if (form.template.data or "").isdigit() else None
                await answer_templates.save_template(request.user, form.station.data, form.category.data or "", form.language.data or "", form.title.data or "", form.body.data or "", template_id)
                return navigate(request, "/ledger/templates")
            except LedgerError as error:
                _fail(form, error)
        return await self._templates_page(request, form, 422)

    @post("/templates/{answer_template_id:int}/edit", name="ledger.template_update")
    async def template_update(self, request: Request, answer_template_id: FromPath[int]) -> Template | Redirect | Response:
        """Change a template in place: officers and the head of its station only."""
        if not await answer_templates.kept_template(request.user, answer_template_id):
            raise NotFoundException()
        form = await TemplateEditForm.from_request(request, prefix=f"t{answer_template_id}")
        if form.validate():
            try:
                await answer_templates.update_template(request.user, answer_template_id, form.category.data or "", form.language.data or "", form.title.data or "", form.body.data or "")
                return navigate(request, "/ledger/templates")
            except LedgerError as error:
                if not error.field:
                    raise NotFoundException() from error  # removed meanwhile
                _fail(form, error)
        return await self._templates_page(request, status=422, editing=(answer_template_id, form))

    @post("/templates/remove", name="ledger.template_remove")
    async def template_remove(self, request: Request) -> Redirect | Response:
        data = await request.form()
        raw = str(data.get("template") or "")
        if not raw.isdigit() or not await answer_templates.remove_template(request.user, int(raw)):
            raise NotFoundException()
        return navigate(request, "/ledger/templates")

    async def _detail(self, request: Request, item_id: int, *, move: MoveForm | None = None, private: PrivateForm | None = None, text: PublicTextForm | None = None, callback: CallbackForm | None = None, referral: ReferralForm | None = None, referral_answer: ReferralAnswerForm | None = None, stale: bool = False, status: int = 200) -> Template:
        item = await self._item(request, item_id)
        # Answer templates of the item's station and category, for the answer to the person.
        offered = await answer_templates.templates_for([item["station"]], item["category"]) if item["stage"] == "handled" else []
        context = {
            "item": item,
            "officers": await rules.officers_of(item["community"]),
            "move": move,
            "private_form": private or PrivateForm(data={"private": item["private"], "reason": item["private_reason"], "version": item["version"]}),
            "text_form": text or PublicTextForm(data={"public_summary": item["public_summary"] or rules.suggested_public_summary(item), "place_public": item["place_public"], "version": item["version"]}),
            "suggested": not item["public_summary"],
            "callback_form": callback or CallbackForm(data={"version": item["version"]}),
            "referral_form": referral or ReferralForm(data={"version": item["version"], "sent_on": now().date()}),
            "answer_templates": offered,
            "picked": next((t["body"] for t in offered if str(t["id"]) == request.query_params.get("template")), ""),
            "answer_form": referral_answer,
            "stale": stale,
            "filed": request.query_params.get("filed"),
            "pretty": public.pretty_code(item["tracking_code"]),
            "at": now(),
            "reception_visit": await visit_for_item(item_id),
            "personal": request.user.sees_personal_data(item["community"]),
        }
        return render(request, "ledger/item.html", context, status=status)

    @get("/{item_id:int}", name="ledger.item")
    async def item(self, request: Request, item_id: FromPath[int]) -> Template:
        return await self._detail(request, item_id)

    @post("/{item_id:int}/move", name="ledger.move")
    async def move(self, request: Request, item_id: FromPath[int]) -> Template | Redirect | Response:
        await self._item(request, item_id)
        form = await MoveForm.from_request(request)
        if form.validate():
            try:
                await rules.transition(
                    item_id, form.to.data or "", request.user, form.note.data or "", form.page_version(),
                    officer_id=form.officer.data or None, via=form.via.data or "", referred_to=form.referred_to.data or "", duplicate_of=form.duplicate_of.data or "",
                    policy=rules.Policy.from_settings(request.app.state.settings),
                )
                return navigate(request, f"/ledger/{item_id}")
            except LedgerError as error:
                if error.params.get("stale"):
                    return await self._detail(request, item_id, stale=True, status=409)
                _fail(form, error)
        return await self._detail(request, item_id, move=form, status=422)

    async def _save(self, request: Request, item_id: int, form_class, change, form_key: str) -> Template | Redirect | Response:
        """The private flag and the public text: the same form path and stale check."""
        await self._item(request, item_id)
        form = await form_class.from_request(request)
        if form.validate():
            try:
                await change(form)
                return navigate(request, f"/ledger/{item_id}")
            except LedgerError as error:
                if error.params.get("stale"):
                    return await self._detail(request, item_id, stale=True, status=409)
                _fail(form, error)
        return await self._detail(request, item_id, status=422, **{form_key: form})

    @post("/{item_id:int}/private", name="ledger.private")
    async def private(self, request: Request, item_id: FromPath[int]) -> Template | Redirect | Response:
        async def change(form: PrivateForm) -> None:
            await rules.set_private(request.user, item_id, bool(form.private.data), form.reason.data or "", form.page_version())

        return await self._save(request, item_id, PrivateForm, change, "private")

    @post("/{item_id:int}/public-text", name="ledger.public_text")
    async def public_text(self, request: Request, item_id: FromPath[int]) -> Template | Redirect | Response:
        async def change(form: PublicTextForm) -> None:
            await rules.set_public_text(request.user, item_id, form.public_summary.data or "", form.place_public.data or "", form.page_version())

        return await self._save(request, item_id, PublicTextForm, change, "text")

    @post("/{item_id:int}/callback", name="ledger.callback")
    async def callback(self, request: Request, item_id: FromPath[int]) -> Template | Redirect | Response:
        async def change(form: CallbackForm) -> None:
            await rules.record_callback(request.user, item_id, form.channel.data or "", form.said.data or "", form.satisfied.data == "yes", form.page_version())

        return await self._save(request, item_id, CallbackForm, change, "callback")

    @post("/{item_id:int}/referrals", name="ledger.referral")
    async def referral(self, request: Request, item_id: FromPath[int]) -> Template | Redirect | Response:
        async def change(form: ReferralForm) -> None:
            await referrals.add_referral(request.user, item_id, form.body_kind.data or "", form.body_name.data or "", form.sent_on.data, form.note.data or "", form.page_version())

        return await self._save(request, item_id, ReferralForm, change, "referral")

    @post("/{item_id:int}/referral-answer", name="ledger.referral_answer")
    async def referral_answer(self, request: Request, item_id: FromPath[int]) -> Template | Redirect | Response:
        async def change(form: ReferralAnswerForm) -> None:
            await referrals.answer_referral(request.user, item_id, form.referral.data, form.answer.data or "", form.answered_on.data, form.page_version())

        return await self._save(request, item_id, ReferralAnswerForm, change, "referral_answer")

    @get("/overdue", name="ledger.overdue")
    async def overdue(self, request: Request, after: int | None = Parameter(default=None, ge=0)) -> Template:
        moment = now()
        context = {
            "by_officer": await figures.overdue_by_officer(request.user, moment),
            "page": await rules.item_page(request.user, ListFilter(stage="overdue"), after, at=moment),
            "at": moment,
        }
        return render(request, "ledger/overdue.html", context)

    @post("/from-intake/{intake_id:int}", name="ledger.from_intake")
    async def from_intake(self, request: Request, intake_id: FromPath[int]) -> Redirect | Response:
        from portal.public.tables import Intake

        intake = await Intake.select(Intake.community).where(Intake.id == intake_id).first().run()
        if not intake or not request.user.reaches(intake["community"], "officer"):
            raise NotFoundException()
        form = await FileIntakeForm.from_request(request)
        if not form.validate():
            return see_other(f"/intake/{intake_id}?file_error=1")
        try:
            made = await rules.file_from_intake(intake_id, form.ledger.data, form.category.data, actor=request.user)
        except LedgerError as error:
            if error.field in ("ledger", "category"):
                return see_other(f"/intake/{intake_id}?file_error=1")
            raise NotFoundException() from error
        return navigate(request, f"/ledger/{made['id']}?filed=1")

    @post("/from-log/{log_id:int}", name="ledger.from_log")
    async def from_log(self, request: Request, log_id: FromPath[int]) -> Redirect | Response:
        from portal.logs.tables import FieldLog

        log = await FieldLog.select(FieldLog.community).where(FieldLog.id == log_id).first().run()
        if not log or not request.user.reaches(log["community"], "officer"):
            raise NotFoundException()
        form = await EscalateLogForm.from_request(request)
        if not form.validate():
            return see_other(f"/logs/{log_id}?ledger_error=1")
        try:
            made = await rules.escalate_log(request.user, log_id, form.ledger.data, form.category.data, form.summary.data or "")
        except LedgerError as error:
            if error.field in ("ledger", "category", "summary"):
                return see_other(f"/logs/{log_id}?ledger_error=1")
            raise NotFoundException() from error
        return navigate(request, f"/ledger/{made['id']}?filed=1")


class LedgerDashboardController(Controller):
    """Heads: the figures of their station, district or city, on a page and as XLSX,
    split by the units one level below."""

    path = "/ledger/dashboard"
    guards = [requires("head")]

    async def _context(self, request: Request) -> dict:
        scope = request.user.communities("head")
        ids = None if scope is None else sorted(scope)
        moment = now()
        timezone = request.app.state.settings.timezone
        today = moment.astimezone(ZoneInfo(timezone)).date()
        since = dt.date(today.year - 1, today.month, 1)
        return {
            "at": moment,
            "totals": await figures.totals(ids),
            "per_ledger": await figures.per_ledger(ids),
            "by_age": await figures.open_by_age(ids, moment),
            "buckets": [label for _, label in figures.AGE_BUCKETS],
            "overdue": await figures.overdue_by_officer(request.user, moment),
            "by_part": await figures.by_part(ids, request.user.head_level, moment),
            "parts_name": _(LEVEL_NAMES[parts_level(request.user.head_level)]),
            "satisfaction": await figures.satisfaction_rate(ids),
            "referrals": await figures.referral_counts(ids),
            "monthly": await figures.monthly(ids, since, today, timezone),
            "ids": ids,
        }

    @get("/", name="ledger.dashboard")
    async def dashboard(self, request: Request) -> Template:
        return render(request, "ledger/dashboard.html", await self._context(request))

    @get("/export.xlsx", name="ledger.dashboard_xlsx")
    async def xlsx(self, request: Request) -> Response:
        context = await self._context(request)
        content = await export.dashboard_workbook(context, request.app.state.settings.timezone)
        filename = f"ledger-{context['at']:%Y-%m-%d}.xlsx"
        return Response(content=content, media_type=export.XLSX_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class LedgerCalendarController(Controller):
    """Administrators: the holiday calendar, the deadline rules and the letters of each
    station's numbers."""

    path = "/ledger/calendar"
    guards = [requires("admin")]

    async def _page(self, request: Request, holiday: HolidayForm | None = None, rule: RuleForm | None = None, prefix: PrefixForm | None = None, status: int = 200) -> Template:
        today = now().date()
        stations = await Station.select(Station.id, Station.name_zh, Station.name_en).order_by(Station.id).limit(500).run()
        for station in stations:
            station["prefix"] = await rules.prefix_of(station["id"])
        prefix = prefix or PrefixForm()
        prefix.station.choices = [(s["id"], localized(s, "name")) for s in stations]
        context = {
            "stations": stations,
            "prefix_form": prefix,
            "holidays": await Holiday.select().where(Holiday.date >= dt.date(today.year - 1, 1, 1)).order_by(Holiday.date).limit(400).run(),
            "rules": await LedgerDeadlineRule.select().order_by(LedgerDeadlineRule.ledger).order_by(LedgerDeadlineRule.stage).limit(400).run(),
            "defaults": rules.DEFAULT_DAYS,
            "holiday_form": holiday or HolidayForm(),
            "rule_form": rule or RuleForm(),
        }
        return render(request, "ledger/calendar.html", context, status=status)

    @get("/", name="ledger.calendar")
    async def calendar_page(self, request: Request) -> Template:
        return await self._page(request)

    @post("/holidays", name="ledger.holiday_add")
    async def add_holiday(self, request: Request) -> Template | Redirect | Response:
        form = await HolidayForm.from_request(request)
        if form.validate():
            await rules.add_holiday(request.user, form.date.data, form.name.data or "", bool(form.is_workday.data), form.name_en.data or "")
            return navigate(request, "/ledger/calendar")
        return await self._page(request, holiday=form, status=422)

    @post("/holidays/{day:str}/remove", name="ledger.holiday_remove")
    async def remove_holiday(self, request: Request, day: FromPath[str]) -> Redirect | Response:
        try:
            date = dt.date.fromisoformat(day[:10])
        except ValueError as error:
            raise NotFoundException() from error
        if not await rules.remove_holiday(request.user, date):
            raise NotFoundException()
        return navigate(request, "/ledger/calendar")

    @post("/rules", name="ledger.rule_set")
    async def set_rule(self, request: Request) -> Template | Redirect | Response:
        form = await RuleForm.from_request(request)
        if form.validate():
            try:
                await rules.set_deadline_rule(request.user, form.ledger.data, form.category.data or "", form.stage.data, form.working_days.data)
                return navigate(request, "/ledger/calendar")
            except LedgerError as error:
                _fail(form, error)
        return await self._page(request, rule=form, status=422)

    @post("/prefix", name="ledger.prefix_set")
    async def set_prefix(self, request: Request) -> Template | Redirect | Response:
        form = await PrefixForm.from_request(request)
        form.station.choices = [(s["id"], "") for s in await Station.select(Station.id).limit(500).run()]
        if form.validate():
            try:
                await rules.set_prefix(request.user, form.station.data, form.prefix.data)
                return navigate(request, "/ledger/calendar")
            except LedgerError as error:
                _fail(form, error)
        return await self._page(request, prefix=form, status=422)


class PublicLedgerController(Controller):
    """Everyone: the public ledger of a community or a station, and the person's answer."""

    async def _public(self, request: Request, *, community: dict | None, station: dict | None, ledger: str | None, after: int | None) -> Template:
        ids = [community["id"]] if community else None
        station_id = station["id"] if station else None
        page = await figures.public_page(community_ids=ids, station_id=station_id, ledger=ledger, after=after)
        timezone = community["timezone"] if community else request.app.state.settings.timezone
        today = now().astimezone(ZoneInfo(timezone)).date()
        since = dt.date(today.year - 1, today.month, 1)
        context = {"community": community, "station": station, "page": page, "ledger": ledger, "timezone": timezone, "monthly": [], "totals": {}}
        # htmx's "more" swaps only the rows: the figures are not summed again for it.
        if not (is_htmx(request) and request.headers.get("hx-target") == "public-rows"):
            context["monthly"] = await figures.monthly(ids, since, today, timezone, station_id=station_id)
            context["totals"] = await figures.totals(ids, station_id=station_id)
        return render(request, "ledger/public.html", context, fragment="ledger/_public_rows.html", target="public-rows")

    @get("/c/{code:str}/ledger", name="ledger.public_community")
    async def community_ledger(self, request: Request, code: FromPath[str], ledger: str | None = Parameter(default=None, pattern=LEDGER_FILTER), after: int | None = Parameter(default=None, ge=0)) -> Template:
        community = await points.community_with_station(code=code[:40])
        if not community:
            raise NotFoundException()
        return await self._public(request, community=community, station=None, ledger=ledger, after=after)

    @get("/s/{station_id:int}/ledger", name="ledger.public_station")
    async def station_ledger(self, request: Request, station_id: FromPath[int], ledger: str | None = Parameter(default=None, pattern=LEDGER_FILTER), after: int | None = Parameter(default=None, ge=0)) -> Template:
        station = await Station.select(Station.id, Station.name_zh, Station.name_en).where(Station.id == station_id).first().run()
        if not station:
            raise NotFoundException()
        station["communities"] = await Community.select(Community.code, Community.name_zh, Community.name_en).where(Community.station == station_id).order_by(Community.id).limit(100).run()
        return await self._public(request, community=None, station=station, ledger=ledger, after=after)

    async def _mailed(self, request: Request, token: str) -> dict:
        """The public view of the item an answer e-mail's signed link names; 404 for any
        other token."""
        item_id = ledger_mail.item_of_token(request.app.state.settings.secret_key, token)
        row = await LedgerItem.select(LedgerItem.tracking_code).where(LedgerItem.id == item_id).first().run() if item_id else None
        item = await rules.tracked(row["tracking_code"]) if row else None
        if not item:
            raise NotFoundException()
        return item

    def _mailed_page(self, request: Request, token: str, item: dict, form: AnswerForm | None = None, status: int = 200) -> Template:
        context = {"item": {"ledger": item}, "answer_form": form, "answer_action": f"/satisfaction/{token}", "stale": status == 409 and item["stage"] == "feedback_given"}
        return render(request, "ledger/satisfaction.html", context, status=status)

    @get("/satisfaction/{token:str}", name="ledger.mail_answer")
    async def mail_answer(self, request: Request, token: FromPath[str]) -> Template:
        """The answer e-mail's link: the form only. Mail scanners open links before the
        person does, so showing the page records nothing."""
        return self._mailed_page(request, token, await self._mailed(request, token))

    @post("/satisfaction/{token:str}", name="ledger.mail_answer_save")
    async def mail_answer_save(self, request: Request, token: FromPath[str]) -> Template | Redirect | Response:
        """The person's answer from the e-mail's page, through the tracking page's rule."""
        item = await self._mailed(request, token)
        form = await AnswerForm.from_request(request)
        if item["stage"] != "feedback_given":
            return self._mailed_page(request, token, item, status=409)  # answered already, or not yet asked
        if form.validate():
            satisfied = form.answer.data == "satisfied"
            try:
                await rules.answer_from_person(item["id"], satisfied, form.reason.data or "", form.page_version(), via="email")
                return navigate(request, f"/track/{item['tracking_code']}?answered={'yes' if satisfied else 'no'}")
            except LedgerError as error:
                if error.params.get("stale"):
                    return self._mailed_page(request, token, await self._mailed(request, token), form, status=409)
                form.fail("reason" if error.field == "note" else "", _(error.message, **error.params))
        return self._mailed_page(request, token, item, form, status=422)

    @post("/track/{code:str}/answer", name="ledger.track_answer")
    async def answer(self, request: Request, code: FromPath[str]) -> Template | Redirect | Response:
        normalised = public.normalise_code(code)
        exists = normalised and await LedgerItem.exists().where(LedgerItem.tracking_code == normalised).run()
        if not exists:
            raise NotFoundException()
        form = await AnswerForm.from_request(request)
        stale = False
        if form.validate():
            satisfied = form.answer.data == "satisfied"
            try:
                await rules.answer_from_tracking(normalised, satisfied, form.reason.data or "", form.page_version())
                return navigate(request, f"/track/{normalised}?answered={'yes' if satisfied else 'no'}")
            except LedgerError as error:
                stale = bool(error.params.get("stale"))
                if not stale:
                    form.fail("reason" if error.field == "note" else "", _(error.message, **error.params))
        item = await public.tracked(normalised)
        return render(
            request, "public/tracking.html",
            {"item": item, "pretty": public.pretty_code(normalised), "new": None, "answer_form": form, "stale": stale},
            status=409 if stale else 422,
        )
