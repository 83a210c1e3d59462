"""Care register pages: a community's register (people still visited, soonest due and
overdue first; those whose visits ended), registering and editing a person, a person's
page (schedule, volunteers, visits, ending), and "visits assigned to you" for the
volunteers asked to visit, who see only the name, the address and the needs."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from portal.audit.rules import entries_for
from portal.care import rules
from portal.care.forms import CONSENT_FROM_LABELS, END_LABELS, OUTCOME_LABELS, AssignForm, EndForm, FileForm, NewPersonForm, PersonForm, VisitForm
from portal.web.guards import requires
from portal.web.pages import invalid, render, see_other

MAX_ID = 2**31 - 1
CURSOR_MAX = 40


def labels() -> dict:
    return {"outcomes": OUTCOME_LABELS, "consent_from": CONSENT_FROM_LABELS, "ends": END_LABELS}


def _ledger_choices() -> list:
    from portal.logs.review import ledger_choices

    return ledger_choices()


def _fail(form, error: rules.CareError) -> None:
    if error.field and hasattr(form, error.field):
        form.fail(error.field, error.message)
    else:
        form.form_errors.append(error.message)


async def _community_seen(request: Request, community_id: int) -> dict:
    """The community, for those who see its personal data (never the heads above)."""
    place = await rules.community(community_id)
    if not place:
        raise NotFoundException()
    if not rules.may_see(request.user, community_id):
        raise PermissionDeniedException()
    return place


class CareRegisterController(Controller):
    path = "/communities/{community_id:int}/care"
    guards = [requires("officer", "head")]

    @get("/", name="care.register")
    async def register(
        self, request: Request, community_id: FromPath[int], ended: str = Parameter(default="", max_length=3),
        after: str | None = Parameter(default=None, max_length=CURSOR_MAX),
    ) -> Template:
        place = await _community_seen(request, community_id)
        page = await rules.register_page(community_id, bool(ended), after)
        today = rules.local_today(place["timezone"])
        counts = (await rules.counts_by_community([community_id])).get(community_id, {"people": 0, "overdue": 0})
        return render(request, "care/register.html", {"community": place, "page": page, "ended": bool(ended), "today": today, "counts": counts, "labels": labels()})

    @get("/new", name="care.new")
    async def new(self, request: Request, community_id: FromPath[int]) -> Template:
        place = await _community_seen(request, community_id)
        today = rules.local_today(place["timezone"])
        form = NewPersonForm.blank(data={"consent_on": today, "next_due_on": today, "every_days": 7, "consent_from": "person"})
        return render(request, "care/person_form.html", {"community": place, "form": form, "person": None})

    @post("/new", name="care.create")
    async def create(self, request: Request, community_id: FromPath[int]) -> Template | Redirect:
        place = await _community_seen(request, community_id)
        form = await NewPersonForm.from_request(request)
        if form.validate():
            try:
                person_id = await rules.register(request.user, community_id, form.person_data(), form.idempotency_key.data)
            except rules.CareError as error:
                _fail(form, error)
            else:
                return see_other(f"/care/{person_id}?saved=1")
        return invalid(request, "care/person_form.html", {"community": place, "form": form, "person": None})


class CareController(Controller):
    path = "/care"

    async def _person(self, request: Request, person_id: int) -> dict:
        person = await rules.person_for_officer(request.user, person_id)
        if not person:
            raise NotFoundException()
        return person

    async def _page(
        self, request: Request, person: dict, *, visit: VisitForm | None = None, end: EndForm | None = None, assign: AssignForm | None = None,
        filing: tuple[int, FileForm] | None = None, after: int | None = None, status: int = 200,
    ) -> Template:
        today = rules.local_today(person["community.timezone"])
        assigned = await rules.assigned_volunteers(person["id"])
        taken = {v["id"] for v in assigned}
        assign = assign or AssignForm()
        assign.volunteer.choices = [(v["id"], v["real_name"]) for v in await rules.volunteers_of(person["community"]) if v["id"] not in taken]
        context = {
            "person": person, "today": today, "labels": labels(), "ledger_choices": _ledger_choices(),
            "visits": await rules.visit_page(person["id"], after), "assigned": assigned, "assign_form": assign,
            "visit_form": visit or VisitForm.blank(officer=True, data={"visited_on": today, "outcome": "all_well"}),
            "end_form": end or EndForm(data={"ended_on": today, "reason": "withdrawn"}),
            "filing": filing, "history": await entries_for("care_person", person["id"], limit=30),
        }
        return render(request, "care/person.html", context, status=status)

    @get("/{care_person_id:int}", name="care.person", guards=[requires("officer", "head")])
    async def person(self, request: Request, care_person_id: FromPath[int], after: int | None = Parameter(default=None, ge=0, le=MAX_ID)) -> Template:
        return await self._page(request, await self._person(request, care_person_id), after=after)

    @get("/{care_person_id:int}/edit", name="care.edit", guards=[requires("officer", "head")])
    async def edit(self, request: Request, care_person_id: FromPath[int]) -> Template:
        person = await self._person(request, care_person_id)
        form = PersonForm(data=person)
        return render(request, "care/person_form.html", {"community": {"id": person["community"], "name_zh": person["community.name_zh"], "name_en": person["community.name_en"]}, "form": form, "person": person})

    @post("/{care_person_id:int}/edit", name="care.update", guards=[requires("officer", "head")])
    async def update(self, request: Request, care_person_id: FromPath[int]) -> Template | Redirect:
        person = await self._person(request, care_person_id)
        form = await PersonForm.from_request(request)
        if form.validate():
            try:
                await rules.update(request.user, care_person_id, form.person_data())
            except rules.CareError as error:
                _fail(form, error)
            else:
                return see_other(f"/care/{care_person_id}?saved=1")
        community = {"id": person["community"], "name_zh": person["community.name_zh"], "name_en": person["community.name_en"]}
        return invalid(request, "care/person_form.html", {"community": community, "form": form, "person": person})

    @post("/{care_person_id:int}/visits", name="care.visit", guards=[requires("officer", "head")])
    async def visit(self, request: Request, care_person_id: FromPath[int]) -> Template | Redirect:
        person = await self._person(request, care_person_id)
        form = await VisitForm.from_request(request, officer=True)
        if form.validate():
            try:
                await rules.record_visit(request.user, care_person_id, form.visit_data(), form.idempotency_key.data)
            except rules.CareError as error:
                _fail(form, error)
            else:
                return see_other(f"/care/{care_person_id}?saved=visit")
        return await self._page(request, person, visit=form, status=422)

    @post("/visits/{care_visit_id:int}/ledger", name="care.file", guards=[requires("officer", "head")])
    async def file(self, request: Request, care_visit_id: FromPath[int]) -> Template | Redirect:
        person_id = await rules.person_of_visit(care_visit_id)
        person = await self._person(request, person_id) if person_id else None
        if not person:
            raise NotFoundException()
        form = await FileForm.from_request(request)
        if form.validate():
            try:
                if await rules.file_visit(request.user, care_visit_id, form.ledger.data, form.summary.data or "") is None:
                    raise NotFoundException()
            except rules.CareError as error:
                _fail(form, error)
            else:
                return see_other(f"/care/{person['id']}?saved=filed")
        return await self._page(request, person, filing=(care_visit_id, form), status=422)

    @post("/{care_person_id:int}/assign", name="care.assign", guards=[requires("officer", "head")])
    async def assign(self, request: Request, care_person_id: FromPath[int]) -> Template | Redirect:
        person = await self._person(request, care_person_id)
        form = await AssignForm.from_request(request)
        if form.validate():
            try:
                await rules.assign(request.user, care_person_id, form.volunteer.data)
            except rules.CareError as error:
                _fail(form, error)
            else:
                return see_other(f"/care/{care_person_id}?saved=assigned")
        return await self._page(request, person, assign=form, status=422)

    @post("/{care_person_id:int}/unassign", name="care.unassign", guards=[requires("officer", "head")])
    async def unassign(self, request: Request, care_person_id: FromPath[int]) -> Template | Redirect:
        person = await self._person(request, care_person_id)
        form = await AssignForm.from_request(request)
        if not form.validate():
            return await self._page(request, person, assign=form, status=422)
        await rules.unassign(request.user, care_person_id, form.volunteer.data)
        return see_other(f"/care/{care_person_id}?saved=unassigned")

    @post("/{care_person_id:int}/end", name="care.end", guards=[requires("officer", "head")])
    async def end(self, request: Request, care_person_id: FromPath[int]) -> Template | Redirect:
        person = await self._person(request, care_person_id)
        form = await EndForm.from_request(request)
        if form.validate():
            try:
                await rules.end(request.user, care_person_id, form.reason.data, form.ended_on.data)
            except rules.CareError as error:
                _fail(form, error)
            else:
                return see_other(f"/care/{care_person_id}?saved=ended")
        return await self._page(request, person, end=form, status=422)

    @post("/{care_person_id:int}/resume", name="care.resume", guards=[requires("officer", "head")])
    async def resume(self, request: Request, care_person_id: FromPath[int]) -> Template | Redirect:
        person = await self._person(request, care_person_id)
        try:
            await rules.resume(request.user, care_person_id)
        except rules.CareError as error:
            end = EndForm(data={"ended_on": rules.local_today(person["community.timezone"]), "reason": "withdrawn"})
            end.form_errors.append(error.message)
            return await self._page(request, person, end=end, status=409)
        return see_other(f"/care/{care_person_id}?saved=resumed")

    # --- The volunteer's side ---------------------------------------------------------

    @get("/assigned", name="care.assigned", guards=[requires("volunteer")])
    async def assigned(self, request: Request) -> Template:
        return render(request, "care/assigned.html", {"people": await rules.assigned_to(request.user), "recorded": request.query_params.get("recorded")})

    async def _assigned(self, request: Request, person_id: int) -> dict:
        person = await rules.assigned_person(request.user, person_id)
        if not person:
            raise NotFoundException()
        return person

    @get("/assigned/{care_person_id:int}", name="care.assigned_person", guards=[requires("volunteer")])
    async def assigned_person(self, request: Request, care_person_id: FromPath[int]) -> Template:
        person = await self._assigned(request, care_person_id)
        form = VisitForm.blank(data={"visited_on": rules.local_today(person["timezone"]), "outcome": "all_well"})
        return render(request, "care/assigned_person.html", {"person": person, "form": form})

    @post("/assigned/{care_person_id:int}", name="care.assigned_visit", guards=[requires("volunteer")])
    async def assigned_visit(self, request: Request, care_person_id: FromPath[int]) -> Template | Redirect:
        person = await self._assigned(request, care_person_id)
        form = await VisitForm.from_request(request)
        if form.validate():
            try:
                if await rules.record_visit(request.user, care_person_id, form.visit_data(), form.idempotency_key.data) is None:
                    raise NotFoundException()
            except rules.CareError as error:
                _fail(form, error)
            else:
                return see_other("/care/assigned?recorded=1")
        return invalid(request, "care/assigned_person.html", {"person": person, "form": form})


CARE_CONTROLLERS = [CareRegisterController, CareController]
