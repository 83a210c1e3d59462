"""The desk of a reception room: big category buttons (one tap logs a visit), today's
visits, a visit's details and corrections, filing it in a ledger or as a mediation log,
and the receipt slip. Thin: parse, call ``portal.reception.visits``, render or redirect."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from portal.audit.rules import entries_for
from portal.reception import visits
from portal.reception.desk_forms import DetailsForm, LedgerForm, TapForm
from portal.reception.tables import VISIT_CATEGORIES
from portal.watchpoints.routes import qr_svg
from portal.web.guards import logged_in
from portal.web.pages import invalid, is_htmx, navigate, public_address, render

CATEGORY_ICONS = {
    "consultation": "?", "help_request": "✋", "emergency": "!", "mediation": "⚖", "suggestion": "✎", "claim": "¥",
    "complaint": "✉", "errand": "⇄", "convenience": "☂", "business": "▤", "foreign_visitor": "A/文",
}


def labels() -> dict:
    return {
        "category_labels": visits.CATEGORY_LABELS, "outcome_labels": visits.OUTCOME_LABELS, "language_labels": visits.LANGUAGE_LABELS,
        "categories": VISIT_CATEGORIES, "icons": CATEGORY_ICONS, "ledger_of_category": visits.LEDGER_OF_CATEGORY,
        "action_labels": visits.ACTION_LABELS,
    }


async def _room_or_404(request: Request, room_id: int) -> dict:
    """The room if the actor may keep its desk (log, or read it as a head); 404 otherwise."""
    room = await visits.get_room(room_id)
    if not room or not await visits.may_log(request.user, room):
        raise NotFoundException()
    return room


async def refuse_overseers(connection, _handler) -> None:
    """District and city heads read the desk and change nothing: 403 before anything."""
    actor = connection.scope.get("user")
    if actor is not None and actor.read_only:
        raise PermissionDeniedException()


async def _visit_or_404(request: Request, visit_id: int) -> dict:
    visit = await visits.get_visit(visit_id)
    if not visit or not visits.may_view(request.user, visit):
        raise NotFoundException()
    return visit


async def _desk(request: Request, room: dict, *, tap_form: TapForm | None = None, saved: dict | None = None, details: DetailsForm | None = None, status: int = 200) -> Template:
    actor = request.user
    today = visits.local_today(room)
    rows = await visits.visits_of_day(room["id"], today)
    contact = await visits.contact_allowed(actor, room["community.station"])
    if not contact:
        rows = [visits.without_contact(r) for r in rows]
    if saved is not None and details is None:
        details = DetailsForm()
        details.set_languages(visits.room_languages(room))
        details.fill(saved, contact)
    elif details is not None:
        details.set_languages(visits.room_languages(room))
    context = {
        "room": room, "tz": room["community.timezone"], "today": today, "rows": rows, "tap_form": tap_form or TapForm.blank(),
        "saved": saved, "details": details, "contact": contact, "writable": not actor.read_only,
        "people_today": sum(r["people"] for r in rows), **labels(),
    }
    return render(request, "reception/desk.html", context, fragment="reception/desk_panel.html", target="desk-panel", status=status)


async def _visit_page(request: Request, visit: dict, *, form: DetailsForm | None = None, ledger_form: LedgerForm | None = None, message: str = "", status: int = 200) -> Template:
    actor = request.user
    contact = await visits.contact_allowed(actor, visit["community.station"])
    room = await visits.get_room(visit["room"])
    if form is None:
        form = DetailsForm()
        form.fill(visit, contact)
    form.set_languages(visits.room_languages(room))
    officer = not actor.read_only and actor.reaches(visit["community"], "officer")
    history = await entries_for(visits.OBJECT, visit["id"], limit=50)
    context = {
        "visit": visit if contact else visits.without_contact(visit), "room": room, "tz": visit["community.timezone"], "form": form,
        "ledger_form": ledger_form or LedgerForm(), "contact": contact, "may_correct": visits.may_correct(actor, visit), "officer": officer,
        "history": list(reversed(history)), "message": message, **labels(),
    }
    return render(request, "reception/visit.html", context, fragment="reception/visit_form.html", target="visit-form", status=status)


class DeskController(Controller):
    path = "/reception"
    guards = [logged_in]

    @get("/rooms/{room_id:int}/desk", name="reception.desk")
    async def desk(self, request: Request, room_id: FromPath[int], saved: FromQuery[int | None] = None) -> Template:
        room = await _room_or_404(request, room_id)
        visit = None
        if saved:
            visit = await visits.get_visit(saved)
            if not visit or visit["room"] != room["id"] or not visits.may_correct(request.user, visit):
                visit = None
        return await _desk(request, room, saved=visit)

    @post("/rooms/{room_id:int}/desk", name="reception.desk_log", guards=[refuse_overseers])
    async def log(self, request: Request, room_id: FromPath[int]) -> Template | Redirect | Response:
        room = await visits.get_room(room_id)
        if not room or request.user.read_only or not await visits.may_log(request.user, room):
            raise PermissionDeniedException()
        form = await TapForm.from_request(request)
        form.validate()
        try:
            logged = await visits.log_visit(request.user, room_id, visits.VisitData(category=form.category.data or ""), form.idempotency_key.data, room=room)
        except visits.VisitError as error:
            form.fail("category" if error.field != "room" else "category", error.message)
            return await _desk(request, room, tap_form=form, status=422)
        if is_htmx(request):
            visit = await visits.get_visit(logged.visit_id)
            return await _desk(request, room, saved=visit)
        return navigate(request, f"/reception/rooms/{room_id}/desk?saved={logged.visit_id}#details")

    @get("/visits/{visit_id:int}", name="reception.visit")
    async def visit(self, request: Request, visit_id: FromPath[int]) -> Template:
        return await _visit_page(request, await _visit_or_404(request, visit_id))

    @post("/visits/{visit_id:int}", name="reception.visit_correct", guards=[refuse_overseers])
    async def correct(self, request: Request, visit_id: FromPath[int], desk: FromQuery[int | None] = None) -> Template | Redirect | Response:
        visit = await _visit_or_404(request, visit_id)
        if not visits.may_correct(request.user, visit):
            raise PermissionDeniedException()
        contact = await visits.contact_allowed(request.user, visit["community.station"])
        form = await DetailsForm.from_request(request)
        room = await visits.get_room(visit["room"])
        form.set_languages(visits.room_languages(room))
        if form.validate():
            try:
                await visits.correct_visit(request.user, visit_id, form.to_data(visit, contact))
            except visits.VisitError as error:
                form.fail(error.field, error.message)
            else:
                if desk and is_htmx(request):
                    return await _desk(request, room)
                if desk:
                    return navigate(request, f"/reception/rooms/{visit['room']}/desk")
                return navigate(request, f"/reception/visits/{visit_id}")
        if desk:
            return await _desk(request, room, saved=visit, details=form, status=422)
        return await _visit_page(request, visit, form=form, status=422)

    @post("/visits/{visit_id:int}/ledger", name="reception.visit_ledger", guards=[refuse_overseers])
    async def ledger(self, request: Request, visit_id: FromPath[int]) -> Redirect | Response | Template:
        visit = await _visit_or_404(request, visit_id)
        if request.user.read_only or not request.user.reaches(visit["community"], "officer"):
            raise PermissionDeniedException()
        form = await LedgerForm.from_request(request)
        try:
            await visits.to_ledger(request.user, visit_id, form.ledger.data)
        except visits.VisitError as error:
            form.fail("ledger", error.message)
            return await _visit_page(request, visit, ledger_form=form, status=422)
        return navigate(request, f"/reception/visits/{visit_id}")

    @post("/visits/{visit_id:int}/mediation", name="reception.visit_mediation", guards=[refuse_overseers])
    async def mediation(self, request: Request, visit_id: FromPath[int]) -> Redirect | Response | Template:
        visit = await _visit_or_404(request, visit_id)
        if request.user.read_only or not request.user.reaches(visit["community"], "officer"):
            raise PermissionDeniedException()
        try:
            log_id = await visits.to_mediation(request.user, visit_id)
        except visits.VisitError as error:
            return await _visit_page(request, visit, message=error.message, status=422)
        return navigate(request, f"/logs/{log_id}")

    @get("/visits/{visit_id:int}/receipt", name="reception.receipt")
    async def receipt(self, request: Request, visit_id: FromPath[int]) -> Template:
        visit = await _visit_or_404(request, visit_id)
        if not visit["ledger_item"]:
            raise NotFoundException()
        url = public_address(request, f"/track/{visit['ledger_item.tracking_code']}")
        context = {"visit": visit, "tz": visit["community.timezone"], "url": url, "qr": qr_svg(url), **labels()}
        return render(request, "reception/receipt.html", context)
