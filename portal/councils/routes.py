"""进建商 pages: the sessions of the stations the reader reaches, a station's register of
representatives, a new session, a session's page (attendance, minutes, resolutions with
their ledger items) and its edit form, and the resolutions' ledger step and "done"."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Response, Template

from portal.audit.rules import entries_for
from portal.councils import rules
from portal.councils.forms import ChangeForm, DoneForm, LedgerStepForm, RepresentativeEditForm, RepresentativeForm, ResolutionForm, SessionForm
from portal.web.guards import requires
from portal.web.i18n import localized
from portal.web.pages import invalid, navigate, render

BASE = "/councils"


def _labels() -> dict:
    return {"kinds": rules.KIND_LABELS, "actions": rules.ACTION_LABELS}


async def _readable_station(request: Request, station_id: int) -> dict:
    station = await rules.station(station_id)
    if not station or station_id not in await rules.read_station_ids(request.user):
        raise NotFoundException()
    return station


async def _kept_station(request: Request, station_id: int) -> dict:
    station = await _readable_station(request, station_id)
    if station_id not in await rules.kept_station_ids(request.user):
        raise PermissionDeniedException()
    return station


class CouncilController(Controller):
    path = BASE
    guards = [requires("officer", "head")]

    @get("/", name="councils")
    async def sessions(
        self,
        request: Request,
        station: int | None = Parameter(default=None, ge=0, le=2**31 - 1),
        after: str | None = Parameter(default=None, max_length=40),
    ) -> Template:
        stations = await rules.stations_of(request.user, "officer", "head")
        chosen = station if station and any(s["id"] == station for s in stations) else None
        page = await rules.session_page(request.user, chosen, after)
        kept = await rules.kept_station_ids(request.user)
        context = {
            "page": page, "stations": stations, "station": chosen or 0, "kept": kept, "labels": _labels(),
            "owed": await rules.open_resolutions_of(request.user.id), "overdue": len(await rules.overdue_resolutions(request.user)),
        }
        return render(request, "councils/sessions.html", context)

    @get("/overdue", name="councils.overdue")
    async def overdue(self, request: Request) -> Template:
        rows = await rules.overdue_resolutions(request.user)
        return render(request, "councils/overdue.html", {"rows": rows, "limit": 500})

    # --- The register ------------------------------------------------------------------------

    async def _register(self, request: Request, station: dict, form: RepresentativeForm | None = None, status: int = 200) -> Template:
        kept = station["id"] in await rules.kept_station_ids(request.user)
        rows = await rules.representatives_of(station["id"], with_retired=True)
        if not await rules.sees_phones(request.user, station["id"]):
            rows = [rules.without_phone(r) for r in rows]
        context = {"station": station, "representatives": rows, "kept": kept, "form": form or (RepresentativeForm.blank() if kept else None), "labels": _labels()}
        return render(request, "councils/representatives.html", context, status=status)

    @get("/stations/{station_id:int}/representatives", name="councils.representatives")
    async def register(self, request: Request, station_id: FromPath[int]) -> Template:
        return await self._register(request, await _readable_station(request, station_id))

    @post("/stations/{station_id:int}/representatives", name="councils.representative_add")
    async def add_representative(self, request: Request, station_id: FromPath[int]) -> Template | Redirect | Response:
        station = await _kept_station(request, station_id)
        form = await RepresentativeForm.from_request(request)
        if form.validate():
            try:
                await rules.add_representative(request.user, station_id, form.representative_data(), form.idempotency_key.data)
            except rules.CouncilError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/stations/{station_id}/representatives")
        return await self._register(request, station, form, 422)

    @post("/representatives/{representative_id:int}/retire", name="councils.representative_retire")
    async def retire_representative(self, request: Request, representative_id: FromPath[int]) -> Redirect | Response:
        station_id = await rules.retire_representative(request.user, representative_id)
        if station_id is None:
            raise NotFoundException()
        return navigate(request, f"{BASE}/stations/{station_id}/representatives")

    async def _kept_representative(self, request: Request, representative_id: int) -> tuple[dict, dict]:
        row = await rules.representative(representative_id)
        if not row:
            raise NotFoundException()
        return row, await _kept_station(request, row["station"])

    async def _representative_form(self, request: Request, station: dict, row: dict, form: RepresentativeEditForm, status: int = 200) -> Template:
        context = {"station": station, "representative": row, "form": form, "labels": _labels()}
        return render(request, "councils/representative_form.html", context, status=status)

    @get("/representatives/{representative_id:int}/edit", name="councils.representative_edit")
    async def edit_representative(self, request: Request, representative_id: FromPath[int]) -> Template:
        row, station = await self._kept_representative(request, representative_id)
        form = RepresentativeEditForm(data={k: row[k] for k in ("name", "kind", "affiliation", "phone", "appointed_on", "version")})
        return await self._representative_form(request, station, row, form)

    @post("/representatives/{representative_id:int}/edit", name="councils.representative_update")
    async def update_representative(self, request: Request, representative_id: FromPath[int]) -> Template | Redirect | Response:
        row, station = await self._kept_representative(request, representative_id)
        form = await RepresentativeEditForm.from_request(request)
        if form.validate():
            try:
                await rules.update_representative(request.user, representative_id, form.representative_data(), form.page_version())
            except rules.CouncilError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/stations/{station['id']}/representatives")
        return await self._representative_form(request, station, row, form, 422)

    @post("/representatives/{representative_id:int}/reinstate", name="councils.representative_reinstate")
    async def reinstate_representative(self, request: Request, representative_id: FromPath[int]) -> Redirect | Response:
        station_id = await rules.reinstate_representative(request.user, representative_id)
        if station_id is None:
            raise NotFoundException()
        return navigate(request, f"{BASE}/stations/{station_id}/representatives")

    # --- Sessions ------------------------------------------------------------------------------

    async def _choices(self, request: Request, form: SessionForm, station_id: int, session: dict | None = None) -> list[dict]:
        """Fill the form's communities (the actor's of the station, and the one a session
        being changed is under) and representatives (the active register plus those
        already on the session); returns the representatives."""
        current = session["community"] if session else None
        extra = {a["representative"] for a in session["attendance"]} if session else set()
        form.community.choices = [(c["id"], localized(c, "name")) for c in await rules.communities_of_station(station_id) if request.user.reaches(c["id"], "officer") or c["id"] == current]
        shown = [r for r in await rules.representatives_of(station_id, with_retired=True) if r["retired_at"] is None or r["id"] in extra]
        choices = [(r["id"], r["name"]) for r in shown]
        form.invited.choices = choices
        form.attended.choices = choices
        return shown

    async def _session_form(self, request: Request, station: dict, form: SessionForm, session: dict | None = None, status: int = 200) -> Template:
        shown = await self._choices(request, form, station["id"], session)
        context = {"station": station, "form": form, "session": session, "representatives": shown, "labels": _labels()}
        return render(request, "councils/session_form.html", context, status=status)

    @get("/stations/{station_id:int}/new", name="councils.new")
    async def new_session(self, request: Request, station_id: FromPath[int]) -> Template:
        station = await _kept_station(request, station_id)
        communities = [c for c in await rules.communities_of_station(station_id) if request.user.reaches(c["id"], "officer")]
        form = SessionForm.blank(data={"held_on": rules.local_today(communities[0]["timezone"] if communities else None), "other_attendees": 0})
        return await self._session_form(request, station, form)

    @post("/stations/{station_id:int}/new", name="councils.create")
    async def create_session(self, request: Request, station_id: FromPath[int]) -> Template | Redirect | Response:
        station = await _kept_station(request, station_id)
        form = await SessionForm.from_request(request)
        await self._choices(request, form, station_id)
        if form.validate():
            try:
                session_id = await rules.create_session(request.user, station_id, form.session_data(), form.idempotency_key.data)
            except rules.CouncilError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{session_id}")
        return await self._session_form(request, station, form, status=422)

    async def _session(self, request: Request, session_id: int) -> dict:
        session = await rules.readable_session(request.user, session_id)
        if not session:
            raise NotFoundException()
        return session

    async def _page(
        self, request: Request, session: dict, *, resolution: ResolutionForm | None = None, steps: dict | None = None, dones: dict | None = None,
        changes: dict | None = None, status: int = 200,
    ) -> Template:
        kept = session["kept"]
        owners = await rules.owners_of(session["station"]) if kept else []
        if kept and resolution is None:
            resolution = ResolutionForm.blank(data={"owner": request.user.id, "due_on": max(session["held_on"], rules.local_today(session["community.timezone"])) + dt.timedelta(days=14)})
        if resolution is not None:
            resolution.owner.choices = [(o["id"], o["real_name"]) for o in owners]
        # A form sent back with its errors is shown whatever else the page would offer.
        step_forms, done_forms, change_forms = dict(steps or {}), dict(dones or {}), dict(changes or {})
        for r in session["resolutions"]:
            if not kept:
                continue
            if not r["ledger_item"] and r["id"] not in step_forms:
                step_forms[r["id"]] = LedgerStepForm(prefix=f"r{r['id']}", data={"ledger_choice": "file"})
            if r["status"] == "open" and r["id"] not in done_forms and (r["owner"] == request.user.id or request.user.has("head", "admin")):
                done_forms[r["id"]] = DoneForm(prefix=f"d{r['id']}", data={"done_on": rules.local_today(session["community.timezone"]), "version": r["version"]})
            if r["status"] == "open" and r["id"] not in change_forms and (r["owner"] == request.user.id or request.user.has("head", "admin")):
                change_forms[r["id"]] = ChangeForm(prefix=f"c{r['id']}", data={"owner": r["owner"], "due_on": r["due_on"], "version": r["version"]})
        for form in change_forms.values():
            form.owner.choices = [(o["id"], o["real_name"]) for o in owners]
        context = {
            "session": session, "kept": kept, "resolution_form": resolution, "step_forms": step_forms, "done_forms": done_forms, "change_forms": change_forms, "labels": _labels(),
            "history": await entries_for("council_session", session["id"], limit=20),
        }
        return render(request, "councils/session.html", context, status=status)

    @get("/{session_id:int}", name="councils.session")
    async def session(self, request: Request, session_id: FromPath[int]) -> Template:
        return await self._page(request, await self._session(request, session_id))

    @get("/{session_id:int}/edit", name="councils.edit")
    async def edit_session(self, request: Request, session_id: FromPath[int]) -> Template:
        session = await self._session(request, session_id)
        if not session["kept"]:
            raise PermissionDeniedException()
        form = SessionForm(data={
            "community": session["community"], "held_on": session["held_on"], "topic": session["topic"], "place": session["place"],
            "invited": [a["representative"] for a in session["attendance"]], "attended": [a["representative"] for a in session["attendance"] if a["attended"]],
            "other_attendees": session["other_attendees"], "minutes": session["minutes"], "version": session["version"],
        })
        return await self._session_form(request, await rules.station(session["station"]), form, session)

    @post("/{session_id:int}/edit", name="councils.update")
    async def update_session(self, request: Request, session_id: FromPath[int]) -> Template | Redirect | Response:
        session = await self._session(request, session_id)
        if not session["kept"]:
            raise PermissionDeniedException()
        form = await SessionForm.from_request(request)
        station = await rules.station(session["station"])
        await self._choices(request, form, station["id"], session)
        if form.validate():
            try:
                await rules.update_session(request.user, session_id, form.session_data(), form.page_version())
            except rules.CouncilError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{session_id}")
        return await self._session_form(request, station, form, session, status=422)

    # --- Resolutions ---------------------------------------------------------------------------

    @post("/{session_id:int}/resolutions", name="councils.resolution_add")
    async def add_resolution(self, request: Request, session_id: FromPath[int]) -> Template | Redirect | Response:
        session = await self._session(request, session_id)
        if not session["kept"]:
            raise PermissionDeniedException()
        form = await ResolutionForm.from_request(request)
        form.owner.choices = [(o["id"], o["real_name"]) for o in await rules.owners_of(session["station"])]
        if form.validate():
            try:
                await rules.add_resolution(request.user, session_id, form.resolution_data(), form.idempotency_key.data)
            except rules.CouncilError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{session_id}#resolutions")
        return await self._page(request, session, resolution=form, status=422)

    async def _kept_resolution(self, request: Request, resolution_id: int) -> tuple[dict, dict]:
        resolution = await rules.readable_resolution(request.user, resolution_id)
        if not resolution:
            raise NotFoundException()
        session = await self._session(request, resolution["session"])
        if not session["kept"]:
            raise PermissionDeniedException()
        return resolution, session

    @post("/resolutions/{resolution_id:int}/ledger", name="councils.resolution_ledger")
    async def resolution_ledger(self, request: Request, resolution_id: FromPath[int]) -> Template | Redirect | Response:
        resolution, session = await self._kept_resolution(request, resolution_id)
        form = await LedgerStepForm.from_request(request, prefix=f"r{resolution_id}")
        if form.validate():
            try:
                await rules.link_ledger(request.user, resolution_id, form.step(rules.ResolutionData(matter="", decision="", owner_id=None, due_on=None)))
            except rules.CouncilError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{session['id']}#resolution-{resolution_id}")
        return await self._page(request, session, steps={resolution_id: form}, status=422)

    @post("/resolutions/{resolution_id:int}/done", name="councils.resolution_done")
    async def resolution_done(self, request: Request, resolution_id: FromPath[int]) -> Template | Redirect | Response:
        resolution, session = await self._kept_resolution(request, resolution_id)
        form = await DoneForm.from_request(request, prefix=f"d{resolution_id}")
        if form.validate():
            try:
                await rules.mark_done(request.user, resolution_id, form.done_on.data, form.note.data or "", form.page_version())
            except rules.CouncilError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{session['id']}#resolution-{resolution_id}")
        return await self._page(request, session, dones={resolution_id: form}, status=422)

    @post("/resolutions/{resolution_id:int}/change", name="councils.resolution_change")
    async def resolution_change(self, request: Request, resolution_id: FromPath[int]) -> Template | Redirect | Response:
        resolution, session = await self._kept_resolution(request, resolution_id)
        form = await ChangeForm.from_request(request, prefix=f"c{resolution_id}")
        if form.validate():
            try:
                await rules.change_resolution(request.user, resolution_id, form.owner.data, form.due_on.data, form.page_version())
            except rules.CouncilError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{session['id']}#resolution-{resolution_id}")
        return await self._page(request, session, changes={resolution_id: form}, status=422)
