"""Shift pages: the volunteer's list, "My shifts" and calendar feed; the officer's roster,
kinds, rosters, shift detail (no-shows, hours, cancelling) and the hours report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Response, Template

from portal.reception.tables import Room
from portal.shifts import rules
from portal.shifts.forms import CancelShiftForm, ExtraShiftForm, HoursForm, NoShowForm, RosterForm, ShiftKindForm
from portal.stations.rules import communities_by_id
from portal.watchpoints.tables import WatchPoint
from portal.web.guards import requires
from portal.web.i18n import gettext as _
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp
from portal.web.i18n import format_month, pgettext
from portal.web.i18n import localized
from portal.web.pages import invalid, is_htmx, public_address, render, safe_next, see_other
from portal.web.sorting import SORT_MAX_LENGTH, SortKey, Sorts


def policy(request: Request) -> rules.Policy:
    return rules.Policy.from_settings(request.app.state.settings)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class VolunteerShiftsController(Controller):
    path = "/shifts"
    guards = [requires("volunteer", "host")]

    async def _list_context(self, request: Request, community: int | None, kind: int | None, after: str | None = None) -> dict:
        actor = request.user
        scope = actor.communities("volunteer", "host")
        now = rules.utcnow()
        items, next_after = await rules.shifts_for_person(actor.id, scope, now, community=community, kind=kind, after=after, policy=policy(request))
        communities = await communities_by_id(scope)
        kinds = []
        for c in communities:
            kinds += [{**k, "community_name": localized(c, "name")} for k in await rules.kinds_of(c["id"], active_only=True)]
        filters = {k: v for k, v in (("community", community), ("kind", kind)) if v}
        return {
            "days": rules.by_day(items), "communities": communities, "kinds": kinds, "community": community, "kind": kind, "error": None,
            "after": after, "next_after": next_after, "filters": filters,
        }

    @get("/", name="shifts.list")
    async def shift_list(self, request: Request, community: FromQuery[str | None] = None, kind: FromQuery[str | None] = None, after: str | None = Parameter(default=None, max_length=40)) -> Template:
        # htmx appends the next page below the list; without JavaScript the link opens it.
        context = await self._list_context(request, _int(community), _int(kind), after)
        return render(request, "shifts/list.html", context, fragment="shifts/_list_page.html", target="shifts-more")

    async def _row_or_back(self, request: Request, shift_id: int, error: str | None = None) -> Template | Redirect:
        """htmx gets the shift's row again; a plain form goes back to where it came from."""
        data = await request.form()
        back = safe_next(data.get("next"), "/shifts/")
        if is_htmx(request) and request.headers.get("hx-target") == f"shift-{shift_id}":
            shift = rules.annotate(await rules.load_shift(shift_id), rules.utcnow(), policy(request))
            state = await rules.eligibility_for(request.user.id, shift, rules.utcnow(), policy(request))
            return render(request, "shifts/_row.html", {"shift": shift, "state": state, "error": error, "next": back}, status=409 if error else 200)
        if error:
            context = await self._list_context(request, None, None)
            context["error"] = error
            return render(request, "shifts/list.html", context, status=409)
        return see_other(back)

    async def _shift_in_reach(self, request: Request, shift_id: int) -> dict:
        shift = await rules.load_shift(shift_id)
        if not shift or not request.user.reaches(shift["community"], "volunteer", "host"):
            raise NotFoundException()
        return shift

    @post("/{shift_id:int}/signup", name="shifts.signup")
    async def signup(self, request: Request, shift_id: FromPath[int]) -> Template | Redirect:
        await self._shift_in_reach(request, shift_id)
        data = await request.form()
        try:
            await rules.sign_up(request.user.id, shift_id, rules.utcnow(), policy(request), actor=request.user, expect=data.get("expect") or None)
        except rules.ShiftError as error:
            return await self._row_or_back(request, shift_id, error.message)
        return await self._row_or_back(request, shift_id)

    @post("/{shift_id:int}/withdraw", name="shifts.withdraw")
    async def withdraw(self, request: Request, shift_id: FromPath[int]) -> Template | Redirect:
        await self._shift_in_reach(request, shift_id)
        try:
            await rules.withdraw(request.user.id, shift_id, rules.utcnow(), policy(request), actor=request.user)
        except rules.ShiftError as error:
            return await self._row_or_back(request, shift_id, error.message)
        return await self._row_or_back(request, shift_id)

    @post("/{shift_id:int}/check-in", name="shifts.check_in")
    async def check_in(self, request: Request, shift_id: FromPath[int]) -> Template | Redirect:
        await self._shift_in_reach(request, shift_id)
        data = await request.form()
        try:
            await rules.check_in(request.user.id, shift_id, rules.utcnow())
        except rules.ShiftError as error:
            return await self._mine(request, error.message)
        return see_other(safe_next(data.get("next"), "/shifts/mine"))

    @post("/{shift_id:int}/check-out", name="shifts.check_out")
    async def check_out(self, request: Request, shift_id: FromPath[int]) -> Template | Redirect:
        """Check out; an early one first answers with a page that asks "check out now?"
        (a plain form: it works without JavaScript) and changes nothing."""
        shift = await self._shift_in_reach(request, shift_id)
        data = await request.form()
        back = safe_next(data.get("next"), "/shifts/mine")
        try:
            await rules.check_out(request.user.id, shift_id, rules.utcnow(), confirmed=data.get("confirm") == "yes")
        except rules.NeedsConfirmation as question:
            return render(request, "shifts/check_out.html", {"shift": shift, "reason": question.message, "next": back})
        except rules.ShiftError as error:
            return await self._mine(request, error.message)
        return see_other(back)

    async def _mine(self, request: Request, error: str | None = None, past_after: str | None = None) -> Template:
        context = await rules.my_shifts(request.user.id, rules.utcnow(), past_after, policy=policy(request))
        return render(request, "shifts/mine.html", {**context, "error": error}, status=409 if error else 200, fragment="shifts/_past_rows.html", target="past-more")

    @get("/mine", name="shifts.mine")
    async def mine(self, request: Request, past: str | None = Parameter(default=None, max_length=40)) -> Template:
        return await self._mine(request, past_after=past)

    @get("/calendar", name="shifts.calendar")
    async def calendar(self, request: Request) -> Template:
        return render(request, "shifts/calendar.html", {"has_feed": await rules.has_calendar(request.user.id), "feed_url": None})

    @post("/calendar/reset", name="shifts.calendar.reset")
    async def calendar_reset(self, request: Request) -> Template:
        token = await rules.reset_calendar_token(request.user.id)
        feed_url = public_address(request, f"/calendar/{token}/shifts.ics")
        # Shown once: only its hash is kept.
        return render(request, "shifts/calendar.html", {"has_feed": True, "feed_url": feed_url})


@get("/calendar/{token:str}/shifts.ics", name="shifts.feed", cache=False)
async def calendar_feed(token: FromPath[str]) -> Response:
    """The personal iCal feed: no session, only the secret in the URL."""
    user_id = await rules.user_for_feed(token)
    if user_id is None:
        raise NotFoundException()
    body = await rules.calendar_feed(user_id, rules.utcnow())
    return Response(content=body, media_type="text/calendar", headers={"Cache-Control": "private, no-store"})


class OfficerShiftsController(Controller):
    path = "/shifts/manage/{community_id:int}"
    guards = [requires("officer", "head")]

    async def _community(self, community_id: int) -> dict:
        rows = await communities_by_id(frozenset({community_id}))
        if not rows:
            raise NotFoundException()
        return rows[0]

    # --- roster -----------------------------------------------------------------------

    @get("/", name="shifts.roster")
    async def roster(self, request: Request, community_id: FromPath[int], week: FromQuery[str | None] = None, after: str | None = Parameter(default=None, max_length=40)) -> Template:
        community = await self._community(community_id)
        tz = community["timezone"] or "Asia/Shanghai"
        try:
            day = dt.date.fromisoformat(week) if week else rules.utcnow().astimezone(rules.ZoneInfo(tz)).date()
        except ValueError:
            day = rules.utcnow().date()
        start, end = rules.week_bounds(day, tz)
        monday = day - dt.timedelta(days=day.weekday())
        shifts, next_after = await rules.roster_page(community_id, start, end, after, policy(request))
        return render(request, "shifts/roster.html", {
            "community": community, "tz": tz, "shifts": shifts, "monday": monday, "after": after, "next_after": next_after,
            "previous": monday - dt.timedelta(days=7), "next_week": monday + dt.timedelta(days=7),
            "blocked": await rules.blocked_people(community_id, policy(request)),
            "overdue": await rules.overdue_checkouts(frozenset({community_id}), rules.utcnow(), policy(request)),
            "experienced_after": policy(request).experienced_after,
        }, fragment="shifts/_roster_page.html", target="roster-more")

    @post("/people/{user_id:int}/unblock", name="shifts.unblock")
    async def unblock(self, request: Request, community_id: FromPath[int], user_id: FromPath[int]) -> Redirect:
        if not any(p["user"] == user_id for p in await rules.blocked_people(community_id, policy(request))):
            raise NotFoundException()
        await rules.lift_block(request.user, user_id)
        return see_other(f"/shifts/manage/{community_id}/")

    @post("/people/{user_id:int}/experienced", name="shifts.experienced")
    async def experienced(self, request: Request, community_id: FromPath[int], user_id: FromPath[int]) -> Redirect:
        """Count a person as experienced for the buddy rule before their worked shifts do."""
        data = await request.form()
        try:
            await rules.set_experienced(request.user, community_id, user_id, data.get("experienced") == "1")
        except rules.NotFound:
            raise NotFoundException() from None
        return see_other(safe_next(data.get("next"), f"/shifts/manage/{community_id}/"))

    # --- kinds and rosters --------------------------------------------------------------

    @get("/setup", name="shifts.setup")
    async def setup(self, request: Request, community_id: FromPath[int]) -> Template:
        return render(request, "shifts/setup.html", {
            "community": await self._community(community_id), "kinds": await rules.kinds_of(community_id), "templates": await rules.templates_of(community_id),
        })

    async def _kind_form(self, form: ShiftKindForm, community_id: int) -> ShiftKindForm:
        points = await WatchPoint.select(WatchPoint.id, WatchPoint.name_zh, WatchPoint.name_en).where(WatchPoint.community == community_id).order_by(WatchPoint.id).limit(500).run()
        form.watch_point.choices = [(0, "—")] + [(p["id"], localized(p, "name")) for p in points]
        rooms = await Room.select(Room.id, Room.name_zh, Room.name_en).where((Room.community == community_id) & Room.retired_at.is_null()).order_by(Room.id).limit(200).run()
        form.room.choices = [(0, "—")] + [(r["id"], localized(r, "name")) for r in rooms]
        return form

    def _kind_page(self, request: Request, community: dict, form: ShiftKindForm, kind_id: int | None = None, status: int = 200) -> Template:
        return render(request, "shifts/kind_form.html", {"community": community, "form": form, "kind_id": kind_id}, status=status)

    @get("/kinds/new", name="shifts.kind.new")
    async def new_kind(self, request: Request, community_id: FromPath[int]) -> Template:
        form = await self._kind_form(ShiftKindForm(idempotency_key=str(uuid.uuid4()), min_people=2, max_people=4), community_id)
        return self._kind_page(request, await self._community(community_id), form)

    @post("/kinds/new", name="shifts.kind.create")
    async def create_kind(self, request: Request, community_id: FromPath[int]) -> Template | Redirect:
        form = await self._kind_form(await ShiftKindForm.from_request(request), community_id)
        if form.validate():
            try:
                await rules.create_kind(request.user, community_id, form.data_for_rules(), form.idempotency_key.data or None)
            except rules.ShiftError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/shifts/manage/{community_id}/setup")
        return self._kind_page(request, await self._community(community_id), form, status=422)

    @get("/kinds/{kind_id:int}", name="shifts.kind.edit")
    async def edit_kind(self, request: Request, community_id: FromPath[int], kind_id: FromPath[int]) -> Template:
        kind = await rules.kind_in_scope(kind_id, community_id)
        if not kind:
            raise NotFoundException()
        form = ShiftKindForm(data={**kind, "required_skills": rules.skills_of(kind["required_skills"]), "watch_point": kind["watch_point"] or 0, "room": kind["room"] or 0})
        return self._kind_page(request, await self._community(community_id), await self._kind_form(form, community_id), kind_id)

    @post("/kinds/{kind_id:int}", name="shifts.kind.update")
    async def update_kind(self, request: Request, community_id: FromPath[int], kind_id: FromPath[int]) -> Template | Redirect:
        if not await rules.kind_in_scope(kind_id, community_id):
            raise NotFoundException()
        form = await self._kind_form(await ShiftKindForm.from_request(request), community_id)
        if form.validate():
            try:
                await rules.update_kind(request.user, community_id, kind_id, form.data_for_rules())
            except rules.ShiftError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/shifts/manage/{community_id}/setup")
        return self._kind_page(request, await self._community(community_id), form, kind_id, status=422)

    async def _kind_choices(self, form, community_id: int):
        form.kind.choices = [(k["id"], localized(k, "name")) for k in await rules.kinds_of(community_id, active_only=True)]
        return form

    async def _roster_page(self, request: Request, community: dict, form: RosterForm, template_id: int | None = None, status: int = 200, counts: dict | None = None, **extra) -> Template:
        kept = await rules.kept_shifts(community["id"], template_id) if template_id else []
        return render(request, "shifts/roster_form.html", {
            "community": community, "form": form, "template_id": template_id, "counts": counts, "kept": kept,
            "kept_error": extra.get("kept_error"), "kept_shift": extra.get("kept_shift"), "cancel_form": extra.get("cancel_form") or CancelShiftForm(),
        }, status=status)

    @get("/rosters/new", name="shifts.roster_template.new")
    async def new_roster(self, request: Request, community_id: FromPath[int]) -> Template:
        form = RosterForm(idempotency_key=str(uuid.uuid4()), start_time="19:00", end_time="21:00", min_people=2, max_people=4, starts_on=rules.utcnow().date())
        return await self._roster_page(request, await self._community(community_id), await self._kind_choices(form, community_id))

    @post("/rosters/new", name="shifts.roster_template.create")
    async def create_roster(self, request: Request, community_id: FromPath[int]) -> Template | Redirect:
        form = await self._kind_choices(await RosterForm.from_request(request), community_id)
        if form.validate():
            try:
                await rules.create_template(request.user, community_id, form.kind.data, form.data_for_rules(), idempotency_key=form.idempotency_key.data or None)
            except rules.ShiftError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/shifts/manage/{community_id}/setup")
        return await self._roster_page(request, await self._community(community_id), form, status=422)

    @get("/rosters/{template_id:int}", name="shifts.roster_template.edit")
    async def edit_roster(self, request: Request, community_id: FromPath[int], template_id: FromPath[int]) -> Template:
        template = await rules.template_in_scope(template_id, community_id)
        if not template:
            raise NotFoundException()
        form = RosterForm(data={**template, "weekdays": [d for d in template["weekdays"].split(",") if d]})
        return await self._roster_page(request, await self._community(community_id), await self._kind_choices(form, community_id), template_id)

    @post("/rosters/{template_id:int}", name="shifts.roster_template.update")
    async def update_roster(self, request: Request, community_id: FromPath[int], template_id: FromPath[int]) -> Template | Redirect:
        template = await rules.template_in_scope(template_id, community_id)
        if not template:
            raise NotFoundException()
        form = await self._kind_choices(await RosterForm.from_request(request), community_id)
        form.kind.data = template["kind"]  # a roster keeps its kind
        if form.validate():
            try:
                counts = await rules.update_template(request.user, community_id, template_id, form.data_for_rules())
            except rules.ShiftError as error:
                form.fail(error.field, error.message)
            else:
                return await self._roster_page(request, await self._community(community_id), form, template_id, counts=counts)
        return await self._roster_page(request, await self._community(community_id), form, template_id, status=422)

    # --- shifts a roster edit kept because people are on them -------------------------------

    async def _template_form(self, community_id: int, template_id: int) -> RosterForm:
        template = await rules.template_in_scope(template_id, community_id)
        if not template:
            raise NotFoundException()
        return await self._kind_choices(RosterForm(data={**template, "weekdays": [d for d in template["weekdays"].split(",") if d]}), community_id)

    async def _kept_action(self, request: Request, community_id: int, template_id: int, shift_id: int, action) -> Template | Redirect:
        form = await self._template_form(community_id, template_id)
        try:
            await action()
        except rules.NotFound:
            raise NotFoundException() from None
        except rules.ShiftError as error:
            return await self._roster_page(request, await self._community(community_id), form, template_id, status=409, kept_error=error.message, kept_shift=shift_id)
        return see_other(f"/shifts/manage/{community_id}/rosters/{template_id}#kept")

    @post("/rosters/{template_id:int}/kept/{shift_id:int}/move", name="shifts.kept.move")
    async def move_kept(self, request: Request, community_id: FromPath[int], template_id: FromPath[int], shift_id: FromPath[int]) -> Template | Redirect:
        return await self._kept_action(request, community_id, template_id, shift_id, lambda: rules.move_kept(request.user, community_id, template_id, shift_id))

    @post("/rosters/{template_id:int}/kept/{shift_id:int}/keep", name="shifts.kept.keep")
    async def keep_kept(self, request: Request, community_id: FromPath[int], template_id: FromPath[int], shift_id: FromPath[int]) -> Template | Redirect:
        return await self._kept_action(request, community_id, template_id, shift_id, lambda: rules.keep_single(request.user, community_id, template_id, shift_id))

    @post("/rosters/{template_id:int}/kept/{shift_id:int}/cancel", name="shifts.kept.cancel")
    async def cancel_kept(self, request: Request, community_id: FromPath[int], template_id: FromPath[int], shift_id: FromPath[int]) -> Template | Redirect:
        cancel_form = await CancelShiftForm.from_request(request)
        if not cancel_form.validate():
            form = await self._template_form(community_id, template_id)
            return await self._roster_page(request, await self._community(community_id), form, template_id, status=422, cancel_form=cancel_form, kept_shift=shift_id)
        return await self._kept_action(request, community_id, template_id, shift_id, lambda: rules.cancel_kept(request.user, community_id, template_id, shift_id, cancel_form.reason.data))

    # --- single shifts ------------------------------------------------------------------

    @get("/shifts/new", name="shifts.extra.new")
    async def new_shift(self, request: Request, community_id: FromPath[int]) -> Template:
        form = ExtraShiftForm(idempotency_key=str(uuid.uuid4()), start_time="19:00", end_time="21:00", min_people=2, max_people=4)
        return render(request, "shifts/extra_form.html", {"community": await self._community(community_id), "form": await self._kind_choices(form, community_id)})

    @post("/shifts/new", name="shifts.extra.create")
    async def create_shift(self, request: Request, community_id: FromPath[int]) -> Template | Redirect:
        form = await self._kind_choices(await ExtraShiftForm.from_request(request), community_id)
        if form.validate():
            try:
                shift_id = await rules.add_shift(
                    request.user, community_id, form.kind.data, form.day.data, form.start_time.data, form.end_time.data, form.min_people.data, form.max_people.data,
                    form.note.data or "", idempotency_key=form.idempotency_key.data or None,
                )
            except rules.ShiftError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/shifts/manage/{community_id}/shifts/{shift_id}")
        return invalid(request, "shifts/extra_form.html", {"community": await self._community(community_id), "form": form})

    async def _detail(self, request: Request, community_id: int, shift_id: int, status: int = 200, **forms) -> Template:
        shift = await rules.shift_detail(frozenset({community_id}), shift_id, policy(request))
        if not shift:
            raise NotFoundException()
        return render(request, "shifts/shift.html", {
            "community": await self._community(community_id), "shift": shift, "now": rules.utcnow(),
            "cancel_form": forms.get("cancel_form") or CancelShiftForm(), "error": forms.get("error"), "error_signup": forms.get("error_signup"),
            "no_show_form": forms.get("no_show_form") or NoShowForm(), "hours_form": forms.get("hours_form") or HoursForm(),
        }, status=status)

    @get("/shifts/{shift_id:int}", name="shifts.detail")
    async def shift_detail(self, request: Request, community_id: FromPath[int], shift_id: FromPath[int]) -> Template:
        return await self._detail(request, community_id, shift_id)

    @post("/shifts/{shift_id:int}/cancel", name="shifts.cancel")
    async def cancel(self, request: Request, community_id: FromPath[int], shift_id: FromPath[int]) -> Template | Redirect:
        form = await CancelShiftForm.from_request(request)
        if form.validate():
            try:
                await rules.cancel_shift(request.user, community_id, shift_id, form.reason.data)
            except rules.NotFound:
                raise NotFoundException() from None
            except rules.ShiftError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/shifts/manage/{community_id}/shifts/{shift_id}")
        return await self._detail(request, community_id, shift_id, status=422, cancel_form=form)

    async def _signup_shift(self, community_id: int, signup_id: int) -> dict:
        row = await rules.signup_in_scope(signup_id, frozenset({community_id}))
        if not row:
            raise NotFoundException()
        return row

    @post("/signups/{signup_id:int}/no-show", name="shifts.no_show")
    async def no_show(self, request: Request, community_id: FromPath[int], signup_id: FromPath[int]) -> Template | Redirect:
        row = await self._signup_shift(community_id, signup_id)
        form = await NoShowForm.from_request(request)
        if form.validate():
            try:
                value = "" if form.excused.data == "none" else form.excused.data
                await rules.set_no_show(request.user, signup_id, value, form.reason.data, frozenset({community_id}), policy=policy(request))
            except rules.ShiftError as error:
                form.fail("reason", error.message)
            else:
                return see_other(f"/shifts/manage/{community_id}/shifts/{row['shift']}")
        return await self._detail(request, community_id, row["shift"], status=422, no_show_form=form, error_signup=signup_id)

    @post("/signups/{signup_id:int}/hours", name="shifts.hours")
    async def hours(self, request: Request, community_id: FromPath[int], signup_id: FromPath[int]) -> Template | Redirect:
        row = await self._signup_shift(community_id, signup_id)
        form = await HoursForm.from_request(request)
        if form.validate():
            try:
                await rules.correct_hours(request.user, signup_id, float(form.hours.data), form.note.data, frozenset({community_id}))
            except rules.ShiftError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/shifts/manage/{community_id}/shifts/{row['shift']}")
        return await self._detail(request, community_id, row["shift"], status=422, hours_form=form, error_signup=signup_id)

    # --- hours report -------------------------------------------------------------------

    def _month(self, month: str | None) -> dt.date:
        try:
            return dt.date.fromisoformat(f"{month}-01") if month else rules.utcnow().date().replace(day=1)
        except ValueError:
            return rules.utcnow().date().replace(day=1)

    # The hours table's sortable columns (a month's rows, read in full: sorted in Python);
    # by default most hours first.
    HOURS_SORTS = Sorts({
        "name": SortKey(_lp("person", "Name"), key=lambda r: (r["real_name"] or "", r["username"])),
        "shifts": SortKey(_l("Shifts worked"), key=lambda r: (r["shifts"], r["hours"]), descending_first=True),
        "hours": SortKey(_lp("time served", "Hours"), key=lambda r: (r["hours"], r["shifts"]), descending_first=True),
        "no_shows": SortKey(_l("Unexcused no-shows"), key=lambda r: (r["no_shows"], r["hours"]), descending_first=True),
    }, default="-hours")

    @get("/hours", name="shifts.hours_report")
    async def hours_report(
        self, request: Request, community_id: FromPath[int], month: str | None = Parameter(default=None, max_length=7),
        sort: str | None = Parameter(default=None, max_length=SORT_MAX_LENGTH),
    ) -> Template:
        first = self._month(month)
        order = self.HOURS_SORTS.parse(sort)
        rows = order.sorted(await rules.hours_report(community_id, first))
        filters = [("month", first.strftime("%Y-%m"))]
        return render(request, "shifts/hours.html", {"community": await self._community(community_id), "month": first, "rows": rows, "order": order, "filters": filters})

    def _table(self, rows: list[dict]) -> list[list]:
        header = [pgettext("person", "Name"), _("Username"), _("Shifts worked"), pgettext("time served", "Hours"), _("Unexcused no-shows")]
        return [header] + [[r["real_name"], r["username"], r["shifts"], r["hours"], r["no_shows"]] for r in rows]

    @get("/hours.csv", name="shifts.hours_csv")
    async def hours_csv(self, request: Request, community_id: FromPath[int], month: str | None = Parameter(default=None, max_length=7)) -> Response:
        first = self._month(month)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        from portal.web.xlsx import safe_text

        for line in self._table(await rules.hours_report(community_id, first)):
            writer.writerow([safe_text(c) for c in line])
        filename = f"hours-{community_id}-{first:%Y-%m}.csv"
        return Response(content="\ufeff" + buffer.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @get("/hours.xlsx", name="shifts.hours_xlsx")
    async def hours_xlsx(self, request: Request, community_id: FromPath[int], month: str | None = Parameter(default=None, max_length=7)) -> Response:
        from portal.web.xlsx import Sheet, workbook_bytes

        first = self._month(month)
        table = self._table(await rules.hours_report(community_id, first))
        content = workbook_bytes([Sheet(_("Hours %(month)s", month=format_month(first)), table[0], table[1:], ["text", "text", "int", "number", "int"])])
        filename = f"hours-{community_id}-{first:%Y-%m}.xlsx"
        return Response(content=content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


SHIFT_CONTROLLERS = [VolunteerShiftsController, OfficerShiftsController, calendar_feed]
