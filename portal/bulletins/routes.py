"""Bulletin pages: officers review, edit and publish drafts and keep the tip library;
the public reads published bulletins (page, print, chat text, Atom) and subscribes."""

from __future__ import annotations

from litestar import Controller, MediaType, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from portal.bulletins import render as R
from portal.bulletins import rules
from portal.bulletins.forms import DraftForm, SubscribeForm, TipForm
from portal.bulletins.tables import Tip
from portal.public import rules as public_rules
from portal.stations.tables import City, Community, District, Station
from portal.web.guards import logged_in, requires
from portal.web.i18n import current_language
from portal.web.i18n import gettext as _
from portal.web.middleware import client_ip
from portal.web.pages import invalid, public_address, render, see_other


def _view(request: Request, bulletin: dict) -> dict:
    base = public_address(request)
    return {
        "b": bulletin,
        "qr": R.qr_codes(bulletin, base),
        "view": R.sections(bulletin, public_address(request)),
        "title": R.title(bulletin),
        "headline": R.headline(bulletin),
        "note": R.note(bulletin),
        "period": R.period(bulletin["figures"]),
        "public_path": R.public_path(bulletin),
    }


async def _manageable(request: Request, bulletin_id: int) -> dict:
    bulletin = await rules.get(bulletin_id)
    # Outside the officer's communities the bulletin does not exist for them.
    if not bulletin or not rules.may_manage(request.user, bulletin):
        raise NotFoundException()
    return bulletin


async def _readable(request: Request, bulletin_id: int) -> dict:
    bulletin = await rules.get(bulletin_id)
    if not bulletin or not await rules.may_read(request.user, bulletin_id):
        raise NotFoundException()
    return bulletin


async def _officer_page(request: Request, bulletin: dict, form: DraftForm | None = None, error: str = "", status: int = 200, confirm: bool = False) -> Template:
    form = form or DraftForm(data={k: bulletin[k] for k in ("headline_zh", "headline_en", "note_zh", "note_en")})
    if bulletin["status"] == "draft":
        # Counted now: the warning on top, the headline and the publish form's confirmation.
        bulletin = {**bulletin, "waiting": await rules.waiting_review(bulletin)}
    context = {
        "waiting": R.waiting(bulletin), "waiting_link": R.waiting_link(bulletin), "confirm": confirm,
        **_view(request, bulletin), "form": form, "error": error, "versions": await rules.versions(bulletin["scope_key"], bulletin["week"]),
        "manages": rules.may_manage(request.user, bulletin),
    }
    return render(request, "bulletins/detail.html", context, status=status)


class BulletinController(Controller):
    """Officers' and heads' review of their communities' bulletins and of the roll-ups of
    the units they head (heads above a station read those below and publish their own),
    and the tips, which officers and station heads keep."""

    path = "/bulletins"
    guards = [logged_in, requires("officer", "head", "district_head", "city_head")]

    @get("/", name="bulletins.list")
    async def list_bulletins(self, request: Request, after: FromQuery[int | None] = None) -> Template:
        page = await rules.managed_page(request.user, after)
        return render(request, "bulletins/list.html", {"page": page})

    @get("/{bulletin_id:int}", name="bulletins.detail")
    async def detail(self, request: Request, bulletin_id: FromPath[int]) -> Template:
        return await _officer_page(request, await _readable(request, bulletin_id))

    @post("/{bulletin_id:int}/edit", name="bulletins.edit")
    async def edit(self, request: Request, bulletin_id: FromPath[int]) -> Template | Redirect:
        bulletin = await _manageable(request, bulletin_id)
        form = await DraftForm.from_request(request)
        if not form.validate():
            return await _officer_page(request, bulletin, form, status=422)
        try:
            await rules.edit(request.user, bulletin_id, form.headline_zh.data or "", form.headline_en.data or "", form.note_zh.data or "", form.note_en.data or "")
        except rules.BulletinError as error:
            return await _officer_page(request, bulletin, form, error.message, status=409)
        return see_other(f"/bulletins/{bulletin_id}")

    @post("/{bulletin_id:int}/publish", name="bulletins.publish")
    async def publish(self, request: Request, bulletin_id: FromPath[int]) -> Template | Redirect:
        bulletin = await _manageable(request, bulletin_id)
        form = await request.form()
        try:
            await rules.publish(request.user, bulletin_id, confirm_waiting=form.get("confirm_waiting") == "yes")
        except rules.BulletinError as error:
            return await _officer_page(request, bulletin, error=error.message, status=409, confirm=error.field == "confirm_waiting")
        return see_other(f"/bulletins/{bulletin_id}")

    @post("/{bulletin_id:int}/correct", name="bulletins.correct")
    async def correct(self, request: Request, bulletin_id: FromPath[int]) -> Template | Redirect:
        bulletin = await _manageable(request, bulletin_id)
        try:
            draft = await rules.start_correction(request.user, bulletin_id)
        except rules.BulletinError as error:
            return await _officer_page(request, bulletin, error=error.message, status=409)
        return see_other(f"/bulletins/{draft}")

    @get("/tips", name="bulletins.tips")
    async def tips(self, request: Request) -> Template:
        return render(request, "bulletins/tips.html", {"tips": await rules.tip_list(), "labels": R.TIP_CATEGORY_LABELS, "form": TipForm()})

    @post("/tips", name="bulletins.tips.create", guards=[requires("officer", "head")])
    async def create_tip(self, request: Request) -> Template | Redirect:
        form = await TipForm.from_request(request)
        if form.validate():
            await rules.save_tip(request.user, None, form.category.data, form.text_zh.data, form.text_en.data, form.always.data, form.active.data)
            return see_other("/bulletins/tips")
        return invalid(request, "bulletins/tips.html", {"tips": await rules.tip_list(), "labels": R.TIP_CATEGORY_LABELS, "form": form})

    @get("/tips/{tip_id:int}", name="bulletins.tip")
    async def tip(self, request: Request, tip_id: FromPath[int]) -> Template:
        row = await Tip.select().where(Tip.id == tip_id).first().run()
        if not row:
            raise NotFoundException()
        return render(request, "bulletins/tip.html", {"tip": row, "form": TipForm(data=row)})

    @post("/tips/{tip_id:int}", name="bulletins.tip.save", guards=[requires("officer", "head")])
    async def save_tip(self, request: Request, tip_id: FromPath[int]) -> Template | Redirect:
        row = await Tip.select().where(Tip.id == tip_id).first().run()
        if not row:
            raise NotFoundException()
        form = await TipForm.from_request(request)
        if form.validate():
            await rules.save_tip(request.user, tip_id, form.category.data, form.text_zh.data, form.text_en.data, form.always.data, form.active.data)
            return see_other("/bulletins/tips")
        return invalid(request, "bulletins/tip.html", {"tip": row, "form": form})


async def _community(code: str) -> dict:
    row = await Community.select(Community.id, Community.code, Community.name_zh, Community.name_en, Community.station).where(Community.code == code).first().run()
    if not row:
        raise NotFoundException()
    return row


async def _unit(level: str, code: str) -> dict:
    table = {"district": District, "city": City}[level]
    row = await table.select(table.id, table.code, table.name_zh, table.name_en).where(table.code == code).first().run()
    if not row:
        raise NotFoundException()
    return row


async def _wider(station_id: int) -> list[dict]:
    """The roll-ups above a community: its station's, district's and city's bulletin pages."""
    station = await Station.select(Station.id, Station.name_zh, Station.name_en, Station.district.code, Station.district.name_zh, Station.district.name_en,
                                   Station.district.city.code, Station.district.city.name_zh, Station.district.city.name_en).where(Station.id == station_id).first().run()
    wider = [{"name_zh": station["name_zh"], "name_en": station["name_en"], "path": f"/stations/{station_id}/bulletins"}]
    for level, prefix in (("district", "district"), ("city", "district.city")):
        if station[f"{prefix}.code"]:
            wider.append({"name_zh": station[f"{prefix}.name_zh"], "name_en": station[f"{prefix}.name_en"], "path": f"{R.UNIT_PATHS[level]}/{station[prefix + '.code']}/bulletins"})
    return wider


async def _station(station_id: int) -> dict:
    row = await Station.select(Station.id, Station.name_zh, Station.name_en).where(Station.id == station_id).first().run()
    if not row:
        raise NotFoundException()
    return row


def _missing_week(request: Request, message: str) -> Template:
    return render(request, "bulletins/missing.html", {"message": message}, status=404)


async def _published_page(request: Request, scope_key: str, week: str) -> Template:
    try:
        week, _monday = rules.parse_week(week)
    except rules.BulletinError as error:
        return _missing_week(request, error.message)
    bulletin = await rules.published(scope_key, week)
    if not bulletin:
        return _missing_week(request, _("No bulletin has been published for the week %(week)s.", week=week))
    return render(request, "bulletins/show.html", _view(request, bulletin))


def _atom(request: Request, bulletins: list[dict], title: str, path: str, feed_id: str) -> Response:
    body = R.atom(bulletins, title, path, public_address(request), feed_id)
    return Response(content=body, media_type="application/atom+xml; charset=utf-8")


class BulletinPublicController(Controller):
    """Published bulletins for everyone: no account needed."""

    path = "/"

    @get("/c/{code:str}/bulletins", name="bulletins.public.list")
    async def community_list(self, request: Request, code: FromPath[str]) -> Template:
        community = await _community(code)
        rows = await rules.published_list(rules.community_key(community["id"]))
        return render(request, "bulletins/public_list.html", {
            "place": community, "bulletins": [{"b": b, "title": R.title(b), "headline": R.headline(b), "path": R.public_path(b)} for b in rows],
            "feed": f"/c/{code}/bulletins.atom", "subscribe": f"/c/{code}/subscribe", "wider": await _wider(community["station"]),
        })

    @get("/c/{code:str}/bulletins.atom", name="bulletins.public.atom")
    async def community_feed(self, request: Request, code: FromPath[str]) -> Response:
        community = await _community(code)
        rows = await rules.published_list(rules.community_key(community["id"]))
        name = community["name_en"] if current_language() == "en" and community["name_en"] else community["name_zh"]
        return _atom(request, rows, _("%(place)s safety bulletins", place=name), f"/c/{code}/bulletins.atom", f"tag:shouwang,2026:bulletins/c/{code}")

    @get("/c/{code:str}/bulletins/{week:str}", name="bulletins.public.show")
    async def community_bulletin(self, request: Request, code: FromPath[str], week: FromPath[str]) -> Template:
        community = await _community(code)
        return await _published_page(request, rules.community_key(community["id"]), week)

    @get("/c/{code:str}/bulletins/{week:str}/text", name="bulletins.public.text", media_type=MediaType.TEXT)
    async def community_text(self, request: Request, code: FromPath[str], week: FromPath[str]) -> Response:
        community = await _community(code)
        try:
            week, _monday = rules.parse_week(week)
        except rules.BulletinError as error:
            return Response(content=error.message, status_code=404, media_type=MediaType.TEXT)
        bulletin = await rules.published(rules.community_key(community["id"]), week)
        if not bulletin:
            return Response(content=_("No bulletin has been published for the week %(week)s.", week=week), status_code=404, media_type=MediaType.TEXT)
        return Response(content=R.as_text(bulletin, public_address(request)), media_type=MediaType.TEXT)

    @get("/c/{code:str}/subscribe", name="bulletins.subscribe")
    async def subscribe_form(self, request: Request, code: FromPath[str]) -> Template:
        return render(request, "bulletins/subscribe.html", {"place": await _community(code), "form": SubscribeForm(), "sent": False})

    @post("/c/{code:str}/subscribe", name="bulletins.subscribe.save")
    async def subscribe(self, request: Request, code: FromPath[str]) -> Template:
        community = await _community(code)
        form = await SubscribeForm.from_request(request)
        settings = request.app.state.settings
        if form.validate():
            if not settings.smtp_url:
                form.fail("email", _("E-mail is not available on this portal at the moment."))
            elif rules.valid_email((form.email.data or "").strip()) and await public_rules.over_limit(
                [("subscribe:" + public_rules.address_bucket(client_ip(request), settings.secret_key), *rules.SUBSCRIBE_PER_CLIENT)]
            ):
                # The public forms' limit per client (in the database, shared by every
                # process): one client cannot have confirmations sent to many addresses.
                return render(request, "bulletins/subscribe.html", {"place": community, "form": form, "sent": False, "limited": True}, status=429)
            else:
                try:
                    subscriber, send = await rules.subscribe(form.email.data, community["id"], current_language())
                except rules.BulletinError as error:
                    form.fail(error.field, error.message)
                else:
                    if send and not await rules.send_confirmation(settings, subscriber, community):
                        form.fail("email", _("The confirmation e-mail could not be sent. Please try again later."))
                    else:
                        # The same answer whether or not the address was already subscribed.
                        return render(request, "bulletins/subscribe.html", {"place": community, "form": SubscribeForm(), "sent": True})
        return invalid(request, "bulletins/subscribe.html", {"place": community, "form": form, "sent": False})

    @get("/stations/{station_id:int}/bulletins", name="bulletins.station.list")
    async def station_list(self, request: Request, station_id: FromPath[int]) -> Template:
        station = await _station(station_id)
        rows = await rules.published_list(rules.station_key(station_id))
        return render(request, "bulletins/public_list.html", {
            "place": station, "bulletins": [{"b": b, "title": R.title(b), "headline": R.headline(b), "path": R.public_path(b)} for b in rows],
            "feed": f"/stations/{station_id}/bulletins.atom", "subscribe": None,
        })

    @get("/stations/{station_id:int}/bulletins.atom", name="bulletins.station.atom")
    async def station_feed(self, request: Request, station_id: FromPath[int]) -> Response:
        station = await _station(station_id)
        rows = await rules.published_list(rules.station_key(station_id))
        name = station["name_en"] if current_language() == "en" and station["name_en"] else station["name_zh"]
        return _atom(request, rows, _("%(place)s safety bulletins", place=name), f"/stations/{station_id}/bulletins.atom", f"tag:shouwang,2026:bulletins/s/{station_id}")

    @get("/stations/{station_id:int}/bulletins/{week:str}", name="bulletins.station.show")
    async def station_bulletin(self, request: Request, station_id: FromPath[int], week: FromPath[str]) -> Template:
        await _station(station_id)
        return await _published_page(request, rules.station_key(station_id), week)

    async def _unit_list(self, request: Request, level: str, code: str) -> Template:
        unit = await _unit(level, code)
        base = f"{R.UNIT_PATHS[level]}/{code}/bulletins"
        rows = await rules.published_list(rules.unit_key(level, unit["id"]))
        return render(request, "bulletins/public_list.html", {
            "place": unit, "bulletins": [{"b": b, "title": R.title(b), "headline": R.headline(b), "path": R.public_path(b)} for b in rows],
            "feed": f"{base}.atom", "subscribe": None,
        })

    async def _unit_feed(self, request: Request, level: str, code: str) -> Response:
        unit = await _unit(level, code)
        rows = await rules.published_list(rules.unit_key(level, unit["id"]))
        name = unit["name_en"] if current_language() == "en" and unit["name_en"] else unit["name_zh"]
        path = f"{R.UNIT_PATHS[level]}/{code}/bulletins.atom"
        return _atom(request, rows, _("%(place)s safety bulletins", place=name), path, f"tag:shouwang,2026:bulletins/{level}/{code}")

    @get("/districts/{district_code:str}/bulletins", name="bulletins.district.list")
    async def district_list(self, request: Request, district_code: FromPath[str]) -> Template:
        return await self._unit_list(request, "district", district_code)

    @get("/districts/{district_code:str}/bulletins.atom", name="bulletins.district.atom")
    async def district_feed(self, request: Request, district_code: FromPath[str]) -> Response:
        return await self._unit_feed(request, "district", district_code)

    @get("/districts/{district_code:str}/bulletins/{week:str}", name="bulletins.district.show")
    async def district_bulletin(self, request: Request, district_code: FromPath[str], week: FromPath[str]) -> Template:
        return await _published_page(request, rules.unit_key("district", (await _unit("district", district_code))["id"]), week)

    @get("/cities/{city_code:str}/bulletins", name="bulletins.city.list")
    async def city_list(self, request: Request, city_code: FromPath[str]) -> Template:
        return await self._unit_list(request, "city", city_code)

    @get("/cities/{city_code:str}/bulletins.atom", name="bulletins.city.atom")
    async def city_feed(self, request: Request, city_code: FromPath[str]) -> Response:
        return await self._unit_feed(request, "city", city_code)

    @get("/cities/{city_code:str}/bulletins/{week:str}", name="bulletins.city.show")
    async def city_bulletin(self, request: Request, city_code: FromPath[str], week: FromPath[str]) -> Template:
        return await _published_page(request, rules.unit_key("city", (await _unit("city", city_code))["id"]), week)

    @get("/bulletins/confirm/{token:str}", name="bulletins.confirm")
    async def confirm_page(self, request: Request, token: FromPath[str]) -> Template:
        row = await _subscriber(token, "confirm")
        return render(request, "bulletins/token.html", {"action": "confirm", "token": token, "done": False, "row": row})

    @post("/bulletins/confirm/{token:str}", name="bulletins.confirm.save")
    async def confirm(self, request: Request, token: FromPath[str]) -> Template:
        row = await rules.confirm(token)
        if not row:
            raise NotFoundException()
        return render(request, "bulletins/token.html", {"action": "confirm", "token": token, "done": True, "row": row})

    @get("/bulletins/unsubscribe/{token:str}", name="bulletins.unsubscribe")
    async def unsubscribe_page(self, request: Request, token: FromPath[str]) -> Template:
        row = await _subscriber(token, "unsubscribe")
        return render(request, "bulletins/token.html", {"action": "unsubscribe", "token": token, "done": bool(row["unsubscribed_at"]), "row": row})

    @post("/bulletins/unsubscribe/{token:str}", name="bulletins.unsubscribe.save")
    async def unsubscribe(self, request: Request, token: FromPath[str]) -> Template:
        row = await rules.unsubscribe(token)
        if not row:
            raise NotFoundException()
        return render(request, "bulletins/token.html", {"action": "unsubscribe", "token": token, "done": True, "row": row})


async def _subscriber(token: str, kind: str) -> dict:
    from portal.bulletins.tables import Subscriber

    column = Subscriber.confirm_token if kind == "confirm" else Subscriber.unsubscribe_token
    row = await Subscriber.select(Subscriber.id, Subscriber.email, Subscriber.community.name_zh, Subscriber.community.name_en, Subscriber.confirmed_at, Subscriber.unsubscribed_at).where(
        column == token
    ).first().run()
    if not row:
        raise NotFoundException()
    return row


BULLETIN_CONTROLLERS = [BulletinController, BulletinPublicController]
