"""Admin pages: create users (officers, heads, …), roles, deactivation, password reset."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from portal.accounts import handover, rules
from portal.accounts.forms import RoleForm, UserCreateForm
from portal.accounts.tables import RoleGrant, User
from portal.audit.rules import entries_for
from portal.db import icontains
from portal.stations.rules import city_choices, community_choices, district_choices, station_choices
from portal.volunteers.rules import ensure_profile
from portal.web.guards import requires
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp
from portal.web.pages import invalid, is_htmx, render, see_other
from portal.web.sorting import CURSOR_MAX_LENGTH, SORT_MAX_LENGTH, SortKey, Sorts, sorted_page

USER_COLUMNS = (User.id, User.username, User.real_name, User.phone, User.active, User.last_login_at)
# The user list's sortable columns, each served by an index on portal_user (username's
# own unique index; (real_name, id) and (last_login_at, id) from the accounts migrations).
USER_SORTS = Sorts({
    "username": SortKey(_l("Username"), column=User.username),
    "name": SortKey(_lp("person", "Name"), column=User.real_name),
    "last_login": SortKey(_l("Last login"), column=User.last_login_at, descending_first=True),
}, default="username")
# The unit a grant is scoped to, whichever level it is.
UNIT_NAMES = (
    RoleGrant.community.name_zh, RoleGrant.community.name_en, RoleGrant.station.name_zh, RoleGrant.station.name_en,
    RoleGrant.district.name_zh, RoleGrant.district.name_en, RoleGrant.city.name_zh, RoleGrant.city.name_en,
)


async def _attach_grants(rows: list[dict]) -> None:
    """Each user row gets ``grants``: its roles with the community or station of each (one query for the page)."""
    for row in rows:
        row["grants"] = []
    if not rows:
        return
    by_user = {row["id"]: row for row in rows}
    grants = await RoleGrant.select(
        RoleGrant.user, RoleGrant.role, *UNIT_NAMES
    ).where(RoleGrant.user.is_in(list(by_user))).order_by(RoleGrant.id).run()
    for grant in grants:
        by_user[grant["user"]]["grants"].append(grant)


async def _with_choices(form: RoleForm) -> RoleForm:
    form.community.choices = [(0, "—")] + await community_choices()
    form.station.choices = [(0, "—")] + await station_choices()
    form.district.choices = [(0, "—")] + await district_choices()
    form.city.choices = [(0, "—")] + await city_choices()
    return form


class AdminUsersController(Controller):
    path = "/admin/users"
    guards = [requires("admin")]

    @get("/", name="admin.users")
    async def list_users(
        self,
        request: Request,
        q: str = Parameter(default="", max_length=64),
        role: str = Parameter(default="", max_length=16),
        community: int = Parameter(default=0, ge=0, le=2**31 - 1),
        station: int = Parameter(default=0, ge=0, le=2**31 - 1),
        status: str = Parameter(default="", max_length=16),
        sort: str | None = Parameter(default=None, max_length=SORT_MAX_LENGTH),
        after: str | None = Parameter(default=None, max_length=CURSOR_MAX_LENGTH),
    ) -> Template:
        # Role and unit filter the users by their grants, in SQL; a community role's grant
        # names its station too, so a station is its heads and everyone in its communities.
        grants = []
        if role in rules.SCOPED_ROLES:
            grants.append(RoleGrant.role == role)
        if community:
            grants.append(RoleGrant.community == community)
        if station:
            grants.append(RoleGrant.station == station)

        def select():
            query = User.select(*USER_COLUMNS)
            if q.strip():
                query = query.where(icontains(User.username, q.strip()) | icontains(User.real_name, q.strip()))
            if grants:
                condition = grants[0]
                for more in grants[1:]:
                    condition = condition & more
                query = query.where(User.id.is_in(RoleGrant.select(RoleGrant.user).where(condition)))
            if status in ("active", "deactivated"):
                query = query.where(User.active == (status == "active"))
            return query

        order = USER_SORTS.parse(sort)
        page = await sorted_page(select, order, User.id, after)
        await _attach_grants(page.rows)
        filters = {"q": q, "role": role, "community": community, "station": station, "status": status}
        filter_items = [(key, value) for key, value in filters.items() if value]
        context = {
            "page": page,
            "q": q,
            "filters": filters,
            "order": order,
            "filter_items": filter_items,
            "filter_query": urlencode(filter_items),
            "query": urlencode(filter_items + order.query_items()),
            "community_choices": await community_choices(),
            "station_choices": await station_choices(),
        }
        return render(request, "admin/users.html", context)

    @get("/new", name="admin.users.new")
    async def new_user(self, request: Request) -> Template:
        return render(request, "admin/user_new.html", {"form": await _with_choices(UserCreateForm())})

    @post("/new", name="admin.users.create")
    async def create_user(self, request: Request) -> Template | Redirect:
        form = await _with_choices(await UserCreateForm.from_request(request))
        if form.validate():
            try:
                user_id = await rules.create_user(
                    request.user,
                    username=form.username.data,
                    password=form.password.data,
                    real_name=form.real_name.data,
                    role=form.role.data,
                    phone=form.phone.data or "",
                    email=form.email.data or "",
                    preferred_language=form.preferred_language.data,
                    station_id=form.station.data or None,
                    community_id=form.community.data or None,
                    district_id=form.district.data or None,
                    city_id=form.city.data or None,
                    must_change_password=form.must_change_password.data,
                )
            except rules.AccountError as error:
                form.fail(error.field, error.message)
            else:
                if form.role.data == "volunteer":
                    # The admin vouches for a volunteer they create: verified at once.
                    await ensure_profile(request.user, user_id, form.community.data)
                return see_other(f"/admin/users/{user_id}?created=1")
        return invalid(request, "admin/user_new.html", {"form": form})

    async def _detail(self, request: Request, user_id: int, **extra) -> Template:
        user = await User.select(*USER_COLUMNS, User.email, User.preferred_language, User.created_at).where(User.id == user_id).first().run()
        if not user:
            raise NotFoundException()
        grants = await RoleGrant.select(
            RoleGrant.id, RoleGrant.role, *UNIT_NAMES
        ).where(RoleGrant.user == user_id).order_by(RoleGrant.id).run()
        form = extra.pop("role_form", None) or await _with_choices(RoleForm())
        context = {"user": user, "grants": grants, "role_form": form, "history": await entries_for("user", user_id), "notice": None, "temporary_password": None, **extra}
        return render(request, "admin/user_detail.html", context, status=422 if form.has_errors else 200)

    @get("/{user_id:int}", name="admin.users.detail")
    async def user_detail(self, request: Request, user_id: FromPath[int]) -> Template:
        return await self._detail(request, user_id)

    @post("/{user_id:int}/roles", name="admin.users.grant")
    async def grant(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        form = await _with_choices(await RoleForm.from_request(request))
        if form.validate():
            try:
                await rules.grant_role(request.user, user_id, form.role.data, form.station.data or None, form.community.data or None, form.district.data or None, form.city.data or None)
            except rules.AccountError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/admin/users/{user_id}")
        return await self._detail(request, user_id, role_form=form)

    @get("/{user_id:int}/roles/{grant_id:int}/revoke", name="admin.users.revoke.confirm")
    async def confirm_revoke(self, request: Request, user_id: FromPath[int], grant_id: FromPath[int]) -> Template:
        """The step before removing a role: what the person holds through it, and who takes it over."""
        return await handover.confirm_page(request, user_id, grant_id)

    @post("/{user_id:int}/roles/{grant_id:int}/revoke", name="admin.users.revoke")
    async def revoke(self, request: Request, user_id: FromPath[int], grant_id: FromPath[int]) -> Template | Redirect:
        return await handover.hand_over(request, user_id, grant_id) or see_other(f"/admin/users/{user_id}")

    @get("/{user_id:int}/deactivate", name="admin.users.deactivate.confirm")
    async def confirm_deactivate(self, request: Request, user_id: FromPath[int]) -> Template:
        """What deactivating does, what the person holds and who takes it over."""
        return await handover.confirm_page(request, user_id, None)

    @get("/{user_id:int}/reset-password", name="admin.users.reset.confirm")
    async def confirm_reset(self, request: Request, user_id: FromPath[int]) -> Template:
        return await self._confirm(request, user_id, "reset-password")

    async def _confirm(self, request: Request, user_id: int, action: str) -> Template:
        """The step before deactivating or resetting a password: what it does, one button."""
        user = await User.select(*USER_COLUMNS).where(User.id == user_id).first().run()
        if not user:
            raise NotFoundException()
        return render(request, "admin/user_confirm.html", {"user": user, "action": action})

    @post("/{user_id:int}/deactivate", name="admin.users.deactivate")
    async def deactivate(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        return await self._set_active(request, user_id, False)

    @post("/{user_id:int}/activate", name="admin.users.activate")
    async def activate(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        return await self._set_active(request, user_id, True)

    async def _set_active(self, request: Request, user_id: int, active: bool) -> Template | Redirect:
        if user_id == request.user.id and not active:
            return await self._detail(request, user_id, notice="self")
        if not active:
            refused = await handover.hand_over(request, user_id)  # with whatever they hold, in one step
            if refused is not None:
                return refused
        elif not await rules.set_active(request.user, user_id, active, request.app.state.sessions):
            raise NotFoundException()
        if is_htmx(request) and request.headers.get("hx-target") == f"user-{user_id}":
            row = await User.select(*USER_COLUMNS).where(User.id == user_id).first().run()
            await _attach_grants([row])
            return render(request, "admin/_user_row.html", {"row": row})
        return see_other(f"/admin/users/{user_id}")

    @post("/{user_id:int}/reset-password", name="admin.users.reset")
    async def reset(self, request: Request, user_id: FromPath[int]) -> Template:
        temporary = await rules.reset_password(request.user, user_id, request.app.state.sessions)
        if temporary is None:
            raise NotFoundException()
        return await self._detail(request, user_id, temporary_password=temporary)

