"""联访解 pages: the pairings the reader reads (an officer's own, a head's area's), a new
pairing, a pairing's page with its contact log, opinions and forms, its end, and the
counts per officer for a period."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Response, Template

from portal.accounts.rules import now
from portal.pairings import rules
from portal.pairings.forms import ContactForm, EndForm, OpinionForm, PairingEditForm, PairingForm
from portal.web.guards import requires
from portal.web.i18n import gettext as _
from portal.web.i18n import localized
from portal.web.pages import navigate, render
from portal.web.periods import PRESET_FILTER, PRESET_LABELS, PRESETS, at_day, choose_period, from_to, neighbour_links

BASE = "/pairings"


def _labels() -> dict:
    return {"kinds": rules.KIND_LABELS, "unit_kinds": rules.UNIT_KIND_LABELS, "channels": rules.CHANNEL_LABELS, "outcomes": rules.OUTCOME_LABELS}


class PairingController(Controller):
    path = BASE
    guards = [requires("officer", "head")]

    @get("/", name="pairings")
    async def pairings(
        self,
        request: Request,
        officer: int | None = Parameter(default=None, ge=0, le=2**31 - 1),
        kind: str = Parameter(default="", pattern="^(|unit|person)$"),
        ended: str = Parameter(default="", max_length=3),
        after: int | None = Parameter(default=None, ge=0, le=2**31 - 1),
    ) -> Template:
        chosen = rules.ListFilter(officer=officer or None, kind=kind, ended=bool(ended))
        page = await rules.pairing_page(request.user, chosen, after)
        filters = {"officer": officer or "", "kind": kind, "ended": "1" if chosen.ended else ""}
        context = {
            "page": page, "filters": filters, "query": urlencode([(k, v) for k, v in filters.items() if v]), "labels": _labels(),
            "officers": await rules.officers_listed(request.user) if request.user.has("head", "admin") else [], "may_pair": rules.may_pair(request.user),
        }
        return render(request, "pairings/list.html", context)

    async def _form(self, request: Request, form: PairingForm, status: int = 200) -> Template:
        form.community.choices = [(c["id"], localized(c, "name")) for c in await rules.pairing_communities(request.user)]
        return render(request, "pairings/form.html", {"form": form, "labels": _labels()}, status=status)

    @get("/new", name="pairings.new")
    async def new(self, request: Request) -> Template:
        if not rules.may_pair(request.user):
            raise PermissionDeniedException()
        communities = await rules.pairing_communities(request.user)
        form = PairingForm.blank(data={"started_on": rules.local_today(communities[0]["timezone"] if communities else None)})
        return await self._form(request, form)

    @post("/new", name="pairings.create")
    async def create(self, request: Request) -> Template | Redirect | Response:
        if not rules.may_pair(request.user):
            raise PermissionDeniedException()
        form = await PairingForm.from_request(request)
        if form.validate():
            try:
                pairing_id = await rules.create_pairing(request.user, form.pairing_data(), form.idempotency_key.data)
            except rules.PairingError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{pairing_id}")
        return await self._form(request, form, 422)

    @get("/officers", name="pairings.officers")
    async def officers(
        self, request: Request, preset: str | None = Parameter(default=None, pattern=PRESET_FILTER), at: str | None = Parameter(default=None, max_length=40),
    ) -> Template:
        zone = request.app.state.settings.timezone
        today = now().astimezone(ZoneInfo(zone)).date()
        first, last = from_to(request.query_params)
        period, errors = choose_period(preset, first, last, at_day(at, today), "month")
        rows, total = await rules.officer_figures(request.user, period.first, period.last, zone)
        context = {
            "rows": rows, "total": total, "period": period, "errors": {k: _(v) for k, v in errors.items()}, "presets": [(p, _(PRESET_LABELS[p])) for p in PRESETS],
            "links": neighbour_links(f"{BASE}/officers", period), "extra": "", "base": f"{BASE}/officers", "first_text": first or "", "last_text": last or "",
        }
        return render(request, "pairings/officers.html", context, status=422 if errors else 200)

    async def _pairing(self, request: Request, pairing_id: int) -> dict:
        pairing = await rules.readable_pairing(request.user, pairing_id)
        if not pairing:
            raise NotFoundException()
        return pairing

    async def _page(self, request: Request, pairing: dict, *, contact: ContactForm | None = None, opinions: dict | None = None, end: EndForm | None = None, status: int = 200) -> Template:
        today = rules.local_today(pairing["community.timezone"])
        open_pairing = pairing["kept"] and not pairing["ended_on"]
        opinion_forms = dict(opinions or {})
        if open_pairing:
            for c in pairing["contacts"]:
                opinion_forms.setdefault(c["id"], OpinionForm.blank(prefix=f"o{c['id']}"))
        context = {
            "pairing": pairing, "labels": _labels(), "opinion_forms": opinion_forms,
            "contact_form": contact or (ContactForm.blank(data={"contacted_on": today}) if open_pairing else None),
            "end_form": end or (EndForm(data={"ended_on": today, "version": pairing["version"]}) if open_pairing else None),
        }
        return render(request, "pairings/pairing.html", context, status=status)

    @get("/{pairing_id:int}", name="pairings.pairing")
    async def pairing(self, request: Request, pairing_id: FromPath[int]) -> Template:
        return await self._page(request, await self._pairing(request, pairing_id))

    async def _kept(self, request: Request, pairing_id: int) -> dict:
        pairing = await self._pairing(request, pairing_id)
        if not pairing["kept"]:
            raise PermissionDeniedException()
        return pairing

    async def _edit_page(self, request: Request, pairing: dict, form: PairingEditForm, status: int = 200) -> Template:
        return render(request, "pairings/edit.html", {"pairing": pairing, "form": form, "labels": _labels()}, status=status)

    async def _open_kept(self, request: Request, pairing_id: int) -> dict:
        pairing = await self._kept(request, pairing_id)
        if pairing["ended_on"]:
            raise PermissionDeniedException()
        return pairing

    @get("/{pairing_id:int}/edit", name="pairings.edit")
    async def edit(self, request: Request, pairing_id: FromPath[int]) -> Template:
        pairing = await self._open_kept(request, pairing_id)
        form = PairingEditForm(data={k: pairing[k] for k in ("unit_kind", "name", "contact_name", "phone", "address", "started_on", "note", "version")})
        return await self._edit_page(request, pairing, form)

    @post("/{pairing_id:int}/edit", name="pairings.update")
    async def update(self, request: Request, pairing_id: FromPath[int]) -> Template | Redirect | Response:
        pairing = await self._open_kept(request, pairing_id)
        form = await PairingEditForm.from_request(request)
        if form.validate():
            try:
                await rules.update_pairing(request.user, pairing_id, form.pairing_data(), form.page_version())
            except rules.PairingError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{pairing_id}")
        return await self._edit_page(request, pairing, form, 422)

    @post("/{pairing_id:int}/contacts", name="pairings.contact")
    async def contact(self, request: Request, pairing_id: FromPath[int]) -> Template | Redirect | Response:
        pairing = await self._kept(request, pairing_id)
        form = await ContactForm.from_request(request)
        if form.validate():
            try:
                contact_id = await rules.add_contact(request.user, pairing_id, form.contact_data(), form.idempotency_key.data)
            except rules.PairingError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{pairing_id}#contact-{contact_id}")
        return await self._page(request, pairing, contact=form, status=422)

    @post("/contacts/{contact_id:int}/opinions", name="pairings.opinion")
    async def opinion(self, request: Request, contact_id: FromPath[int]) -> Template | Redirect | Response:
        contact = await rules.contact_of(contact_id)
        if not contact:
            raise NotFoundException()
        pairing = await self._kept(request, contact["pairing"])
        form = await OpinionForm.from_request(request, prefix=f"o{contact_id}")
        if form.validate():
            try:
                await rules.add_opinion(request.user, contact_id, form.opinion_data(), form.idempotency_key.data)
            except rules.PairingError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{pairing['id']}#contact-{contact_id}")
        return await self._page(request, pairing, opinions={contact_id: form}, status=422)

    @post("/{pairing_id:int}/end", name="pairings.end")
    async def end(self, request: Request, pairing_id: FromPath[int]) -> Template | Redirect | Response:
        pairing = await self._kept(request, pairing_id)
        form = await EndForm.from_request(request)
        if form.validate():
            try:
                await rules.end_pairing(request.user, pairing_id, form.ended_on.data, form.end_note.data or "", form.page_version())
            except rules.PairingError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"{BASE}/{pairing_id}")
        return await self._page(request, pairing, end=form, status=422)
