"""Public pages (no account; reached by a board's QR code) and the officers' intake list.

Public pages work without JavaScript; their scripts only add to them:
/static/js/locate.js fills the position fields when the visitor allows it, and
/static/js/copy.js shows the one-tap copy buttons (hidden without it).
"""

from __future__ import annotations

import datetime as dt
import math
import re

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Response, Template

from portal.accounts.rules import now
from portal.public import rules
from portal.public.forms import AnswerForm, IntakeForm
from portal.public.tables import INTAKE_KINDS
from portal.reception import rooms as reception_rooms
from portal.reception.rooms_forms import KIND_LABELS as ROOM_KIND_LABELS
from portal.stations.rules import communities_by_id
from portal.uploads import storage_for
from portal.watchpoints import duty, photos
from portal.watchpoints import hours as H
from portal.watchpoints import rules as points
from portal.watchpoints.forms import CAPABILITY_LABELS, KIND_LABELS, WEEKDAYS
from portal.watchpoints.tables import WatchPoint
from portal.web.guards import requires
from portal.web.i18n import current_language
from portal.web.i18n import gettext as _
from portal.web.middleware import client_ip
from portal.web.pages import invalid, render, see_other

SLUG = "^[A-Za-z0-9_-]{8,32}$"


def _labels() -> dict:
    return {"kinds": KIND_LABELS, "capabilities": CAPABILITY_LABELS, "weekdays": WEEKDAYS}


def _until(place: dict, timezone: str, moment: dt.datetime) -> dt.time | str | None:
    """"Open until 22:00" of a point or a room open at ``moment``."""
    return H.open_until(H.week_from_text(place["hours"]), H.dates_from_text(place["holidays"]), place.get("closed_today_on"), moment, timezone)


async def _who_to_call(community: dict, moment: dt.datetime) -> dict:
    """The officers to call first on a QR landing page (on duty now, else every officer
    of the community), each with ``photo_version`` when they have a photo."""
    officers, on_duty = await duty.who_to_call(community["id"], moment, community["timezone"])
    return {"officers": await photos.with_photos(officers), "on_duty": on_duty}


def _coordinate(raw: str | None, limit: float) -> float | None:
    try:
        value = float((raw or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


async def _point_by_slug(slug: str) -> dict:
    point = await WatchPoint.select(*points.POINT_COLUMNS).where(WatchPoint.slug == slug).first().run() if len(slug) <= 32 else None
    if not point:
        raise NotFoundException()
    return point


class PublicController(Controller):
    """Everyone, with or without an account."""

    @get("/p/{slug:str}", name="public.point")
    async def point_page(self, request: Request, slug: FromPath[str]) -> Template:
        point, community = await points.point_with_community(slug) if len(slug) <= 32 else (None, None)
        if not point:
            raise NotFoundException()
        tz = community["timezone"]
        moment = now()
        context = {
            "point": point,
            "community": community,
            **await _who_to_call(community, moment),
            "active": point["status"] == "verified",
            "open_now": point["status"] == "verified" and points.open_state(point, tz, moment),
            "open_until": _until(point, tz, moment) if point["status"] == "verified" else None,
            "week": H.week_from_text(point["hours"]),
            "today_index": H.local_now(moment, tz).weekday(),
            "closed_today": point["closed_today_on"] == H.local_now(moment, tz).date() or H.local_now(moment, tz).date() in H.dates_from_text(point["holidays"]),
            "kinds_of_intake": INTAKE_KINDS,
            **_labels(),
        }
        return render(request, "public/point.html", context)

    @get("/p/{slug:str}/photo", name="public.point.photo")
    async def point_photo(self, request: Request, slug: FromPath[str]) -> Response:
        point = await _point_by_slug(slug)
        shown = point["status"] == "verified" and point["photo_key"]
        content = await storage_for(request.app.state.settings).get(point["photo_key"]) if shown else None
        if content is None:
            raise NotFoundException()
        return Response(content, media_type="image/jpeg", headers={"cache-control": "public, max-age=3600"})

    @get("/c/{code:str}", name="public.community")
    async def community_page(self, request: Request, code: FromPath[str], lat: str | None = Parameter(default=None, max_length=32), lon: str | None = Parameter(default=None, max_length=32)) -> Template:
        """The community's safe places open now (nearest first with a position) and who to call."""
        community = await points.community_with_station(code=code[:40])
        if not community:
            raise NotFoundException()
        latitude, longitude = _coordinate(lat, 90), _coordinate(lon, 180)
        position_error = bool((lat or lon) and (latitude is None or longitude is None))
        if position_error:
            latitude = longitude = None
        moment = now()
        open_points = await points.open_now(community["id"], moment, community["timezone"], latitude, longitude)
        rooms_open = await reception_rooms.open_now(community["id"], moment, community["timezone"], latitude, longitude)
        for place in (*open_points, *rooms_open):
            place["open_until"] = _until(place, community["timezone"], moment)
        context = {
            "community": community,
            **await _who_to_call(community, moment),
            "points": open_points,
            "rooms_open": rooms_open,
            "room_kinds": ROOM_KIND_LABELS,
            "lat": lat or "",
            "lon": lon or "",
            "located": latitude is not None,
            "position_error": position_error,
            "point": None,
            "kinds_of_intake": INTAKE_KINDS,
            **_labels(),
        }
        return render(request, "public/community.html", context)

    @get("/c/{code:str}/officers/{user_id:int}/photo", name="public.officer.photo")
    async def officer_photo(self, request: Request, code: FromPath[str], user_id: FromPath[int]) -> Response:
        """The portrait a community officer put on the contact boards, for the QR landing
        pages: only of an officer of this community (the boards show it in public)."""
        community = await points.community_with_station(code=code[:40])
        row = await photos.photo_of(user_id) if community and community["id"] in await photos.officer_communities(user_id) else None
        content = await storage_for(request.app.state.settings).get(row["thumb_key"]) if row else None
        if content is None:
            raise NotFoundException()
        return Response(content, media_type="image/jpeg", headers={"cache-control": "public, max-age=86400"})

    async def _ask_context(self, code: str, kind: str, point_slug: str | None) -> dict:
        if kind not in INTAKE_KINDS:
            raise NotFoundException()
        community = await points.community_with_station(code=code[:40])
        if not community:
            raise NotFoundException()
        point = None
        # Slugs are URL-safe base64 (letters, digits, - and _); anything else (a NUL byte,
        # which PostgreSQL refuses in a query) names no point.
        if point_slug and re.fullmatch(SLUG, point_slug):
            point = await WatchPoint.select(WatchPoint.id, WatchPoint.slug, WatchPoint.name_zh, WatchPoint.name_en, WatchPoint.community).where(WatchPoint.slug == point_slug[:32]).first().run()
            if point and point["community"] != community["id"]:
                point = None
        return {"community": community, "kind": kind, "point": point}

    @get("/c/{code:str}/ask/{kind:str}", name="public.ask")
    async def ask(self, request: Request, code: FromPath[str], kind: FromPath[str], point: str | None = Parameter(default=None, max_length=64)) -> Template:
        context = await self._ask_context(code, kind, point)
        return render(request, "public/ask.html", {**context, "form": IntakeForm.blank(), "limited": False})

    @post("/c/{code:str}/ask/{kind:str}", name="public.ask.submit")
    async def submit(self, request: Request, code: FromPath[str], kind: FromPath[str], point: str | None = Parameter(default=None, max_length=64)) -> Template | Redirect:
        context = await self._ask_context(code, kind, point)
        form = await IntakeForm.from_request(request)
        context.update(form=form, limited=False)
        if (form.website.data or "").strip():
            # A bot filled the hidden field: answer as if it worked, file nothing.
            return see_other("/track?received=1")
        if not form.validate():
            return invalid(request, "public/ask.html", context)
        settings = request.app.state.settings
        buckets = [(rules.address_bucket(client_ip(request), settings.secret_key), *rules.SUBMIT_PER_ADDRESS)]
        if context["point"]:
            buckets.append((f"point:{context['point']['id']}", *rules.SUBMIT_PER_POINT))
        if await rules.over_limit(buckets):
            context["limited"] = True
            return render(request, "public/ask.html", context, status=429)
        tracking_code = await rules.create_intake(
            kind=kind,
            community_id=context["community"]["id"],
            point_id=context["point"]["id"] if context["point"] else None,
            text=form.text.data,
            contact_name=form.contact_name.data or "",
            contact_phone=form.contact_phone.data or "",
            contact_email=form.contact_email.data or "",
            language=current_language(),
            idempotency_key=form.key(),
        )
        return see_other(f"/track/{tracking_code}?new=1")

    @get("/track", name="public.track")
    async def track(self, request: Request, code: str | None = Parameter(default=None, max_length=64), received: FromQuery[str | None] = None) -> Template | Redirect:
        if code:
            normalised = rules.normalise_code(code)
            if normalised:
                return see_other(f"/track/{normalised}")
            return await self._slowed(request) or await self._unknown(request, code)
        return render(request, "public/track.html", {"code": "", "unknown": False, "received": bool(received), "limited": False})

    @staticmethod
    def _miss_bucket(request: Request) -> str:
        return "miss:" + rules.address_bucket(client_ip(request), request.app.state.settings.secret_key)

    async def _slowed(self, request: Request) -> Template | None:
        """Wait the address's rising delay (rules.slow_down); None, or the 429 page when
        too many of its lookups wait already."""
        try:
            await rules.slow_down(self._miss_bucket(request))
        except rules.TrackingBusy as busy:
            page = render(request, "public/track.html", {"code": "", "unknown": False, "received": False, "limited": True}, status=429)
            page.headers["Retry-After"] = str(busy.retry_after)
            return page
        return None

    async def _unknown(self, request: Request, typed: str) -> Template:
        """An unknown code and a malformed one get the same page, and count as a miss of
        the address (its later lookups slow down)."""
        await rules.record_miss(self._miss_bucket(request))
        return render(request, "public/track.html", {"code": typed[:20], "unknown": True, "received": False, "limited": False}, status=404)

    @get("/track/{code:str}", name="public.tracking")
    async def tracking(self, request: Request, code: FromPath[str]) -> Template:
        if busy := await self._slowed(request):
            return busy
        normalised = rules.normalise_code(code)
        item = await rules.tracked(normalised) if normalised else None
        if not item:
            return await self._unknown(request, code)
        return render(request, "public/tracking.html", {"item": item, "pretty": rules.pretty_code(item["tracking_code"]), "new": request.query_params.get("new")})


class IntakeController(Controller):
    """Officers: new intake of their communities, one record with its contact, answers."""

    path = "/intake"
    guards = [requires("officer", "head")]

    @get("/", name="intake.list")
    async def list_intake(self, request: Request, status: str = Parameter(default="new", pattern="^(new|answered|all)$"), after: int | None = Parameter(default=None, ge=0)) -> Template:
        page = await rules.intake_page(request.user, status, after)
        return render(request, "public/intake_list.html", {"page": page, "status": status})

    async def _detail(self, request: Request, intake_id: int, form: AnswerForm | None = None) -> Template:
        item = await rules.intake_for_officer(request.user, intake_id)
        if not item:
            raise NotFoundException()
        form = form or AnswerForm()
        context = {"item": item, "form": form, "pretty": rules.pretty_code(item["tracking_code"]), "personal": request.user.sees_personal_data(item["community"])}
        return render(request, "public/intake_detail.html", context, status=422 if form.has_errors else 200)

    @get("/{intake_id:int}", name="intake.detail")
    async def detail(self, request: Request, intake_id: FromPath[int]) -> Template:
        return await self._detail(request, intake_id)

    @post("/{intake_id:int}/answer", name="intake.answer")
    async def answer(self, request: Request, intake_id: FromPath[int]) -> Template | Redirect:
        form = await AnswerForm.from_request(request)
        if form.validate():
            if not await rules.answer(request.user, intake_id, form.text.data):
                raise NotFoundException()
            return see_other(f"/intake/{intake_id}")
        return await self._detail(request, intake_id, form)
