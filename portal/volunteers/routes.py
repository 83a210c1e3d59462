"""Volunteer pages: the public application, one's own profile, and the officer's pages."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from portal.accounts.routes import session_cookie, start_session
from portal.accounts.rules import AccountError, password_matches
from portal.accounts.tables import User
from portal.public import rules as public_rules
from portal.stations.rules import community_choices
from portal.volunteers import rules
from portal.volunteers.forms import ApplicationForm, DeleteAccountForm, ProfileForm, ReasonForm
from portal.volunteers.rules import LISTED_STATUSES
from portal.web.guards import requires
from portal.web.i18n import current_language
from portal.web.middleware import client_ip
from portal.web.pages import invalid, render, see_other
from portal.web.sorting import CURSOR_MAX_LENGTH, SORT_MAX_LENGTH


class VolunteerController(Controller):
    """The application (no account needed) and a volunteer's own profile."""

    @get("/volunteer/apply", name="volunteers.apply")
    async def apply_page(self, request: Request) -> Template | Redirect:
        if request.scope.get("user"):
            return see_other("/")
        form = ApplicationForm()
        form.community.choices = await community_choices()
        form.application_key.data = rules.new_application_key()
        return render(request, "volunteers/apply.html", {"form": form})

    @post("/volunteer/apply", name="volunteers.apply.submit")
    async def apply(self, request: Request) -> Template | Redirect:
        if request.scope.get("user"):
            return see_other("/")
        form = await ApplicationForm.from_request(request)
        form.community.choices = await community_choices()
        if (form.website.data or "").strip():
            # A bot filled the hidden field: no account, and nothing that tells it so.
            return see_other("/volunteer/apply")
        valid = form.validate()
        if valid and not await rules.was_sent(form.application_key.data):
            settings = request.app.state.settings
            bucket = "apply:" + public_rules.address_bucket(client_ip(request), settings.secret_key)
            if await public_rules.over_limit([(bucket, *rules.APPLY_PER_ADDRESS)]):
                form.password.data = ""
                return render(request, "volunteers/apply.html", {"form": form, "limited": True}, status=429)
        if valid:
            try:
                applied = await rules.apply(
                    rules.Application(
                        real_name=form.real_name.data,
                        phone=form.phone.data,
                        email=form.email.data or "",
                        community_id=form.community.data,
                        username=form.username.data,
                        password=form.password.data,
                        consent=form.consent.data,
                        application_key=form.application_key.data,
                        availability=form.availability.data or "",
                        may_be_named=form.may_be_named.data,
                        skills=form.chosen_skills(),
                        preferred_language=current_language(),
                    )
                )
            except AccountError as error:
                form.fail(error.field, error.message)
            else:
                if applied.created:
                    return await start_session(request, applied.user_id, "/")
                # The same form again (a double tap): log in if it is really them.
                user = await User.select(User.password_hash, User.active).where(User.id == applied.user_id).first().run()
                if user and user["active"] and password_matches(user["password_hash"], form.password.data):
                    return await start_session(request, applied.user_id, "/")
                return see_other("/login")
        form.password.data = ""
        return invalid(request, "volunteers/apply.html", {"form": form})

    async def _profile_page(self, request: Request, form: ProfileForm | None = None, delete_form: DeleteAccountForm | None = None, status: int = 200) -> Template:
        mine = await rules.own_profile(request.user.id)
        if form is None:
            form = ProfileForm(
                data={
                    "phone": mine["user"]["phone"],
                    "email": mine["user"]["email"],
                    "availability": mine["profile"]["availability"] if mine["profile"] else "",
                    "may_be_named": bool(mine["profile"] and mine["profile"]["may_be_named"]),
                    "skills": [s["skill"] for s in mine["skills"]],
                    **{f"expires_{s['skill']}": s["expires_on"] for s in mine["skills"]},
                }
            )
        context = {"form": form, "delete_form": delete_form or DeleteAccountForm(), "mine": mine, "saved": request.query_params.get("saved")}
        return render(request, "volunteers/profile.html", context, status=status)

    @get("/volunteer/profile", name="volunteers.profile", guards=[requires("volunteer")])
    async def profile_page(self, request: Request) -> Template:
        return await self._profile_page(request)

    @post("/volunteer/profile", name="volunteers.profile.submit", guards=[requires("volunteer")])
    async def save_profile(self, request: Request) -> Template | Redirect:
        form = await ProfileForm.from_request(request)
        if form.validate():
            try:
                await rules.update_profile(
                    request.user,
                    phone=form.phone.data,
                    email=form.email.data or "",
                    availability=form.availability.data or "",
                    may_be_named=form.may_be_named.data,
                    skills=form.chosen_skills(),
                )
            except AccountError as error:
                form.fail(error.field, error.message)
            else:
                return see_other("/volunteer/profile?saved=1")
        return await self._profile_page(request, form=form, status=422)

    @post("/volunteer/profile/delete", name="volunteers.delete", guards=[requires("volunteer")])
    async def delete_account(self, request: Request) -> Template | Redirect:
        form = await DeleteAccountForm.from_request(request)
        if form.validate():
            try:
                await rules.delete_account(request.user, form.password.data, request.app.state.sessions)
            except AccountError as error:
                form.fail(error.field, error.message)
            else:
                response = see_other("/?changed=deleted")
                response.cookies.append(session_cookie(request, None))
                return response
        return await self._profile_page(request, delete_form=form, status=422)


class OfficerVolunteersController(Controller):
    """Applications and volunteers of the officer's own communities."""

    guards = [requires("officer", "head")]

    @get("/officer/applications", name="volunteers.applications")
    async def applications(self, request: Request, after: int | None = Parameter(default=None, ge=0)) -> Template:
        page = await rules.pending_page(request.user, after)
        skills = await rules.skills_of([r["user"] for r in page.rows])
        return render(request, "volunteers/applications.html", {"page": page, "skills": skills})

    @get("/communities/{community_id:int}/volunteers", name="volunteers.list")
    async def community_volunteers(
        self,
        request: Request,
        community_id: FromPath[int],
        status: str = Parameter(default="", max_length=16),
        sort: str | None = Parameter(default=None, max_length=SORT_MAX_LENGTH),
        after: str | None = Parameter(default=None, max_length=CURSOR_MAX_LENGTH),
    ) -> Template:
        order = rules.VOLUNTEER_SORTS.parse(sort)
        page = await rules.volunteers_page(request.user, community_id, status, after, order)
        skills = await rules.skills_of([r["user"] for r in page.rows])
        community = (await rules.community_names([community_id])).get(community_id)
        if not community:
            raise NotFoundException()
        status = status if status in LISTED_STATUSES else ""
        filter_items = [("status", status)] if status else []
        context = {
            "page": page, "skills": skills, "status": status, "statuses": LISTED_STATUSES, "community": community,
            "order": order, "filter_items": filter_items, "filter_query": urlencode(filter_items), "query": urlencode(filter_items + order.query_items()),
        }
        return render(request, "volunteers/list.html", context)

    async def _detail(self, request: Request, profile_id: int, form: ReasonForm | None = None, status: int = 200) -> Template:
        profile = await rules.profile_for_officer(request.user, profile_id)
        if not profile:
            raise NotFoundException()
        context = {"profile": profile, "form": form or ReasonForm(), "done": request.query_params.get("done")}
        return render(request, "volunteers/detail.html", context, status=status)

    @get("/officer/volunteers/{profile_id:int}", name="volunteers.detail")
    async def detail(self, request: Request, profile_id: FromPath[int]) -> Template:
        return await self._detail(request, profile_id)

    async def _decide(self, request: Request, profile_id: int, action: str) -> Template | Redirect:
        form = await ReasonForm.from_request(request)
        if form.validate():
            try:
                new_status = await rules.decide(request.user, profile_id, action, form.reason.data or "")
            except AccountError as error:
                form.fail(error.field, error.message)
                return await self._detail(request, profile_id, form=form, status=409 if error.field == "status" else 422)
            if new_status is None:
                raise NotFoundException()
            return see_other(f"/officer/volunteers/{profile_id}?done={action}")
        return await self._detail(request, profile_id, form=form, status=422)

    @post("/officer/volunteers/{profile_id:int}/verify", name="volunteers.verify")
    async def verify(self, request: Request, profile_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, profile_id, "verify")

    @post("/officer/volunteers/{profile_id:int}/reject", name="volunteers.reject")
    async def reject(self, request: Request, profile_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, profile_id, "reject")

    @post("/officer/volunteers/{profile_id:int}/suspend", name="volunteers.suspend")
    async def suspend(self, request: Request, profile_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, profile_id, "suspend")

    @post("/officer/volunteers/{profile_id:int}/reinstate", name="volunteers.reinstate")
    async def reinstate(self, request: Request, profile_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, profile_id, "reinstate")
