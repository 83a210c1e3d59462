"""Watch point pages for hosts and officers: apply, edit, hours, closed today, visits,
suspension, photos, the printable contact boards (single and per community) and the
community's duty roster; officers' photos for the boards."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Response, Template

from portal.accounts.rules import now
from portal.boards import rules as board_rules
from portal.audit.rules import entries_for
from portal.public.rules import messages_at_point
from portal.stations.rules import communities_by_id
from portal.uploads import UploadError, check_size, process_image, storage_for
from portal.watchpoints import duty, photos
from portal.watchpoints import hours as H
from portal.watchpoints import rules
from portal.watchpoints.forms import CAPABILITY_LABELS, KIND_LABELS, WEEKDAYS, DutyForm, HoursForm, OfficerPhotoForm, PointForm, SuspendForm, VisitForm
from portal.watchpoints.tables import WatchPoint
from portal.web.guards import logged_in, requires
from portal.web.i18n import localized
from portal.web.multipart import UploadLimits, upload_route
from portal.web.pages import invalid, is_htmx, public_address, render, see_other
from portal.web.sorting import CURSOR_MAX_LENGTH, SORT_MAX_LENGTH

PHOTO = UploadLimits(file_bytes=rules.PHOTO_MAX_BYTES)


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG sized by CSS (no width/height of its own)."""
    import segno  # only where a QR code is drawn: ~9 MB a worker would hold for nothing

    return segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")


def labels() -> dict:
    return {"kinds": KIND_LABELS, "capabilities": CAPABILITY_LABELS, "weekdays": WEEKDAYS}


async def _community_choices(actor) -> list[tuple[int, str]]:
    rows = await communities_by_id(rules.application_communities(actor))
    return [(r["id"], f"{localized(r, 'station.name')} · {localized(r, 'name')}") for r in rows]


async def _point_or_404(request: Request, point_id: int, oversee: bool = False) -> dict:
    point = await rules.get_point(point_id)
    if not point:
        raise NotFoundException()
    allowed = rules.may_oversee(request.user, point) if oversee else rules.may_edit(request.user, point)
    if not allowed:
        raise PermissionDeniedException()
    return point


async def _read_photo(form: PointForm | OfficerPhotoForm, valid: bool) -> tuple[rules.Photo | None, bool]:
    """The photo through the pipeline and whether the form may be saved. A form refused
    anyway has only its photo's size checked, so that its answer names every problem."""
    upload = form.photo.data
    if not upload:
        return None, valid
    content = await upload.read(rules.PHOTO_MAX_BYTES + 1)
    try:
        check_size(content, rules.PHOTO_MAX_BYTES)
        return (process_image(content) if valid else None), valid
    except UploadError as error:
        form.fail("photo", error.message)
        return None, False


def storage(request: Request):
    return storage_for(request.app.state.settings)


def _data(form: PointForm) -> rules.PointData:
    return rules.PointData(
        community_id=form.community.data,
        name_zh=form.name_zh.data,
        name_en=form.name_en.data or "",
        kind=form.kind.data,
        address=form.address.data,
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        phone=form.phone.data or "",
        capabilities=list(form.capabilities.data or []),
        week=form.week(),
        closed_dates=form.dates(),
    )


class WatchPointController(Controller):
    path = "/watchpoints"
    guards = [logged_in]

    @get("/", name="watchpoints.list", guards=[requires("officer", "head")])
    async def list_points(
        self,
        request: Request,
        community: int | None = Parameter(default=None, ge=0, le=2**31),
        status: str = Parameter(default="all", pattern="^(all|pending|verified|suspended)$"),
        sort: str | None = Parameter(default=None, max_length=SORT_MAX_LENGTH),
        after: str | None = Parameter(default=None, max_length=CURSOR_MAX_LENGTH),
    ) -> Template:
        order = rules.POINT_SORTS.parse(sort)
        page = await rules.points_to_oversee(request.user, community or None, status, after, order=order)
        communities = await communities_by_id(request.user.communities("officer"))
        filters = {"community": community or 0, "status": status}
        filter_items = list(filters.items())
        context = {
            "points": page.rows, "next_after": page.next_after, "after": after, "filters": dict(filter_items + order.query_items()), "communities": communities,
            "community": community, "status": status, "order": order, "filter_items": filter_items, "filter_query": urlencode(filter_items), **labels(),
        }
        return render(request, "watchpoints/list.html", context)

    @get("/mine", name="watchpoints.mine", guards=[requires("host", "volunteer")])
    async def mine(self, request: Request) -> Template:
        return render(request, "watchpoints/mine.html", {"points": await rules.points_of_host(request.user), **labels()})

    @get("/new", name="watchpoints.new", guards=[requires("host", "volunteer")])
    async def new(self, request: Request) -> Template:
        form = PointForm.blank()
        form.community.choices = await _community_choices(request.user)
        return render(request, "watchpoints/form.html", {"form": form, "point": None, **labels()})

    @post("/new", name="watchpoints.apply", guards=[requires("host", "volunteer")], **upload_route(PHOTO))
    async def apply(self, request: Request) -> Template | Redirect:
        form = await PointForm.from_request(request)
        form.community.choices = await _community_choices(request.user)
        photo, valid = await _read_photo(form, form.validate())
        if valid:
            try:
                point_id = await rules.apply(request.user, _data(form), photo, form.idempotency_key.data, storage(request))
            except rules.PointError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/watchpoints/{point_id}?applied=1")
        return invalid(request, "watchpoints/form.html", {"form": form, "point": None, **labels()})

    async def _detail(self, request: Request, point: dict, **extra) -> Template:
        community = await rules.community_with_station(point["community"])
        tz = community["timezone"]
        context = {
            "point": point,
            "community": community,
            "tz": tz,
            "open_now": rules.open_state(point, tz, now()),
            "week": H.week_from_text(point["hours"]),
            "closed_dates": H.date_ranges(H.dates_from_text(point["holidays"])),
            "today": H.local_now(now(), tz).date(),
            "visits": await rules.visits_of(point["id"]),
            "qr_messages": await messages_at_point(point["id"]),
            "history": await entries_for("watchpoint", point["id"], limit=20),
            "oversee": rules.may_oversee(request.user, point),
            "visit_form": extra.pop("visit_form", None) or VisitForm(visited_on=H.local_now(now(), tz).date(), outcome="verified"),
            "suspend_form": extra.pop("suspend_form", None) or SuspendForm(),
            "public_link": public_address(request, f"/p/{point['slug']}"),
            "applied": request.query_params.get("applied"),
            **labels(),
            **extra,
        }
        failed = context["visit_form"].has_errors or context["suspend_form"].has_errors
        return render(request, "watchpoints/detail.html", context, status=422 if failed else 200)

    @get("/{point_id:int}", name="watchpoints.detail")
    async def detail(self, request: Request, point_id: FromPath[int]) -> Template:
        return await self._detail(request, await _point_or_404(request, point_id))

    @get("/{point_id:int}/edit", name="watchpoints.edit")
    async def edit(self, request: Request, point_id: FromPath[int]) -> Template:
        point = await _point_or_404(request, point_id)
        form = PointForm(data={k: point[k] for k in ("name_zh", "name_en", "kind", "address", "phone")})
        form.community.choices = await self._edit_communities(request, point)
        form.community.data = point["community"]
        form.latitude.data = point["latitude"]
        form.longitude.data = point["longitude"]
        form.capabilities.data = [c for c in point["capabilities"].split(",") if c]
        form.fill(H.week_from_text(point["hours"]), H.dates_from_text(point["holidays"]))
        return render(request, "watchpoints/form.html", {"form": form, "point": point, **labels()})

    async def _edit_communities(self, request: Request, point: dict) -> list[tuple[int, str]]:
        scope = request.user.communities("officer")
        ids = None if scope is None else frozenset(scope | {point["community"]})
        rows = await communities_by_id(ids)
        return [(r["id"], f"{localized(r, 'station.name')} · {localized(r, 'name')}") for r in rows]

    @post("/{point_id:int}/edit", name="watchpoints.update", **upload_route(PHOTO))
    async def update(self, request: Request, point_id: FromPath[int]) -> Template | Redirect:
        point = await _point_or_404(request, point_id)
        form = await PointForm.from_request(request)
        form.community.choices = await self._edit_communities(request, point)
        photo, valid = await _read_photo(form, form.validate())
        if valid:
            try:
                await rules.update(request.user, point_id, _data(form), photo, storage(request))
            except rules.PointError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/watchpoints/{point_id}")
        return invalid(request, "watchpoints/form.html", {"form": form, "point": point, **labels()})

    @get("/{point_id:int}/hours", name="watchpoints.hours")
    async def hours_page(self, request: Request, point_id: FromPath[int]) -> Template:
        point = await _point_or_404(request, point_id)
        form = HoursForm()
        form.fill(H.week_from_text(point["hours"]), H.dates_from_text(point["holidays"]))
        return render(request, "watchpoints/hours.html", {"form": form, "point": point, **labels()})

    @post("/{point_id:int}/hours", name="watchpoints.hours.save")
    async def save_hours(self, request: Request, point_id: FromPath[int]) -> Template | Redirect:
        point = await _point_or_404(request, point_id)
        form = await HoursForm.from_request(request)
        if form.validate():
            try:
                await rules.set_hours(request.user, point_id, form.week(), form.dates())
            except rules.PointError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/watchpoints/{point_id}")
        return invalid(request, "watchpoints/hours.html", {"form": form, "point": point, **labels()})

    @post("/{point_id:int}/closed-today", name="watchpoints.closed_today")
    async def closed_today(self, request: Request, point_id: FromPath[int]) -> Template | Redirect:
        """Closing for the rest of today asks first (``confirm=yes`` closes); opening again does not."""
        point = await _point_or_404(request, point_id)
        data = await request.form()
        closing = data.get("closed") == "1"
        asking = closing and data.get("confirm") != "yes"
        if not asking:
            point = await rules.set_closed_today(request.user, point_id, closing)
        if is_htmx(request) and request.headers.get("hx-target") == "closed-today":
            community = await rules.community_with_station(point["community"])
            tz = community["timezone"]
            return render(request, "watchpoints/_closed_today.html", {"point": point, "today": H.local_now(now(), tz).date(), "open_now": rules.open_state(point, tz, now()), "confirm_close": asking})
        if asking:
            return await self._detail(request, point, confirm_close=True)
        return see_other(f"/watchpoints/{point_id}")

    @post("/{point_id:int}/visits", name="watchpoints.visit")
    async def visit(self, request: Request, point_id: FromPath[int]) -> Template | Redirect:
        point = await _point_or_404(request, point_id, oversee=True)
        form = await VisitForm.from_request(request)
        if form.validate():
            try:
                await rules.record_visit(request.user, point_id, form.visited_on.data, form.note.data or "", form.outcome.data == "verified")
            except rules.PointError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/watchpoints/{point_id}")
        return await self._detail(request, point, visit_form=form)

    @post("/{point_id:int}/suspend", name="watchpoints.suspend")
    async def suspend(self, request: Request, point_id: FromPath[int]) -> Template | Redirect:
        point = await _point_or_404(request, point_id, oversee=True)
        form = await SuspendForm.from_request(request)
        if not form.validate():
            return await self._detail(request, point, suspend_form=form)
        await rules.set_suspended(request.user, point_id, True, form.note.data or "")
        return see_other(f"/watchpoints/{point_id}")

    @post("/{point_id:int}/reinstate", name="watchpoints.reinstate")
    async def reinstate(self, request: Request, point_id: FromPath[int]) -> Redirect:
        await _point_or_404(request, point_id, oversee=True)
        await rules.set_suspended(request.user, point_id, False)
        return see_other(f"/watchpoints/{point_id}")

    @get("/{point_id:int}/photo", name="watchpoints.photo")
    async def photo(self, request: Request, point_id: FromPath[int]) -> Response:
        point = await _point_or_404(request, point_id)
        content = await storage(request).get(point["photo_key"]) if point["photo_key"] else None
        if content is None:
            raise NotFoundException()
        return Response(content, media_type="image/jpeg", headers={"cache-control": "private, max-age=300"})

    @get("/{point_id:int}/board", name="watchpoints.board")
    async def board(self, request: Request, point_id: FromPath[int], size: str = Parameter(default="a4", pattern="^(a4|a5)$")) -> Template:
        point = await _point_or_404(request, point_id)
        community = await rules.community_with_station(point["community"])
        officers = await photos.with_photos(await rules.officers_of(point["community"]))
        board = {"point": point, "url": public_address(request, f"/p/{point['slug']}")}
        board["qr"] = qr_svg(board["url"])
        return render(request, "watchpoints/boards.html", {"boards": [board], "community": community, "officers": officers, "size": size, "back": f"/watchpoints/{point_id}"})


class CommunityBoardsController(Controller):
    path = "/communities"
    guards = [requires("officer", "head")]

    @get("/{community_id:int}/boards", name="watchpoints.community_boards")
    async def boards(self, request: Request, community_id: FromPath[int], size: str = Parameter(default="a4", pattern="^(a4|a5)$")) -> Template:
        """Every board of a community in one printable document: the community's own board
        first, then one per watch point that is not suspended."""
        community = await rules.community_with_station(community_id)
        if not community:
            raise NotFoundException()
        officers = await photos.with_photos(await rules.officers_of(community_id))
        url = public_address(request, f"/c/{community['code']}")
        boards = [{"point": None, "url": url, "qr": qr_svg(url)}]
        points = await WatchPoint.select(*rules.POINT_COLUMNS).where((WatchPoint.community == community_id) & (WatchPoint.status != "suspended")).order_by(WatchPoint.id).limit(rules.LIST_LIMIT).run()
        for point in points:
            point_url = public_address(request, f"/p/{point['slug']}")
            boards.append({"point": point, "url": point_url, "qr": qr_svg(point_url)})
        registry = await board_rules.totals([community_id], board_rules.local_today(community["timezone"]))
        return render(request, "watchpoints/boards.html", {"boards": boards, "community": community, "officers": officers, "size": size, "back": "/watchpoints", "registry": registry})


class DutyController(Controller):
    """The duty roster of a community: officers and station heads who reach it."""

    path = "/communities/{community_id:int}/duty"
    guards = [requires("officer", "head")]

    async def _page(self, request: Request, community_id: int, form: DutyForm | None = None) -> Template:
        community = await rules.community_with_station(community_id)
        if not community:
            raise NotFoundException()
        officers = await rules.officers_of(community_id)
        if form is None:
            form = DutyForm()
        form.officer.choices = [(o["id"], o["real_name"]) for o in officers]
        on_duty, anyone = await duty.who_to_call(community_id, now(), community["timezone"])
        context = {
            "community": community,
            "form": form,
            "slots": await duty.roster(community_id),
            "on_duty": on_duty if anyone else [],
            "history": await entries_for("duty", community_id, limit=20),
            "weekdays": WEEKDAYS,
            "today": H.local_now(now(), community["timezone"]).date(),
        }
        return render(request, "watchpoints/duty.html", context, status=422 if form.has_errors else 200)

    @get("/", name="watchpoints.duty")
    async def roster(self, request: Request, community_id: FromPath[int]) -> Template:
        return await self._page(request, community_id)

    @post("/", name="watchpoints.duty.add")
    async def add(self, request: Request, community_id: FromPath[int]) -> Template | Redirect:
        community = await rules.community_with_station(community_id)
        if not community:
            raise NotFoundException()
        form = await DutyForm.from_request(request)
        form.officer.choices = [(o["id"], o["real_name"]) for o in await rules.officers_of(community_id)]
        if form.validate():
            slot = duty.Slot(form.officer.data, form.time(form.starts), form.time(form.ends), form.weekday(), form.on_date.data, bool(form.overnight.data))
            try:
                await duty.add_slot(request.user, community_id, slot, community["timezone"])
            except duty.DutyError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/communities/{community_id}/duty")
        return await self._page(request, community_id, form)

    @post("/{slot_id:int}/remove", name="watchpoints.duty.remove")
    async def remove(self, request: Request, community_id: FromPath[int], slot_id: FromPath[int]) -> Redirect:
        if not await duty.remove_slot(request.user, community_id, slot_id):
            raise NotFoundException()
        return see_other(f"/communities/{community_id}/duty")


class OfficerPhotoController(Controller):
    """An officer's photo on the contact boards: shown to logged-in users (boards are
    printed from the portal), changed by the officer, their station head or an admin."""

    path = "/officers/{user_id:int}/photo"
    guards = [logged_in]

    @get("/", name="watchpoints.officer_photo")
    async def photo(self, request: Request, user_id: FromPath[int]) -> Response:
        row = await photos.photo_of(user_id)
        content = await storage(request).get(row["thumb_key"]) if row else None
        if content is None:
            raise NotFoundException()
        return Response(content, media_type="image/jpeg", headers={"cache-control": "private, max-age=86400"})

    async def _page(self, request: Request, user_id: int, form: OfficerPhotoForm | None = None, saved: bool = False) -> Template:
        officer = await photos.photo_target(request.user, user_id)
        if officer is None:
            raise NotFoundException()
        form = form or OfficerPhotoForm()
        context = {"officer": officer, "photo": await photos.photo_of(user_id), "form": form, "saved": saved or bool(request.query_params.get("saved"))}
        return render(request, "watchpoints/officer_photo.html", context, status=422 if form.has_errors else 200)

    @get("/edit", name="watchpoints.officer_photo.edit")
    async def edit(self, request: Request, user_id: FromPath[int]) -> Template:
        return await self._page(request, user_id)

    @post("/edit", name="watchpoints.officer_photo.save", **upload_route(PHOTO))
    async def save(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        if await photos.photo_target(request.user, user_id) is None:
            raise NotFoundException()
        form = await OfficerPhotoForm.from_request(request)
        image, valid = await _read_photo(form, form.validate())
        if valid and image:
            await photos.set_photo(request.user, user_id, image, storage(request))
            return see_other(f"/officers/{user_id}/photo/edit?saved=1")
        return await self._page(request, user_id, form)

    @post("/remove", name="watchpoints.officer_photo.remove")
    async def remove(self, request: Request, user_id: FromPath[int]) -> Redirect:
        try:
            await photos.remove_photo(request.user, user_id, storage(request))
        except PermissionError:
            raise NotFoundException() from None
        return see_other(f"/officers/{user_id}/photo/edit")
