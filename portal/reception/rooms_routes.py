"""Reception room pages: the registry (list, new, edit, hours, verify, suspend, reinstate,
retire) for officers and heads, the public page of a room (``/rr/<slug>``) and the
phrasebook of a station."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from portal.accounts.rules import now
from portal.audit.rules import entries_for
from portal.reception import phrasebook
from portal.reception import rooms as rules
from portal.reception.rooms_forms import SITUATION_LABELS, NoteForm, PhraseForm, RoomForm, labels
from portal.stations.rules import communities_by_id
from portal.watchpoints import hours as H
from portal.watchpoints.forms import WEEKDAYS, HoursForm
from portal.watchpoints.rules import community_with_station
from portal.web.guards import requires
from portal.web.i18n import localized
from portal.web.pages import invalid, public_address, render, see_other

BOOK_CACHE = "private, max-age=86400"


async def _community_choices(ids) -> list[tuple[int, str]]:
    rows = await communities_by_id(ids)
    return [(r["id"], f"{localized(r, 'station.name')} · {localized(r, 'name')}") for r in rows]


def _data(form: RoomForm) -> rules.RoomData:
    return rules.RoomData(
        community_id=form.community.data,
        kind=form.kind.data,
        name_zh=form.name_zh.data,
        name_en=form.name_en.data or "",
        address=form.address.data,
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        phone=form.phone.data or "",
        services=list(form.services.data or []),
        amenities=list(form.amenities.data or []),
        languages=list(form.languages.data or []),
        week=form.week(),
        closed_dates=form.dates(),
    )


def _context(**extra) -> dict:
    return {**labels(), "weekdays": WEEKDAYS, **extra}


class RoomController(Controller):
    path = "/reception/rooms"
    guards = [requires("officer", "head")]

    async def _room(self, request: Request, room_id: int, edit: bool = False) -> dict:
        room = await rules.get_room(room_id)
        if not room or not rules.may_read(request.user, room):
            raise NotFoundException()
        if edit and not rules.may_edit(request.user, room):
            raise PermissionDeniedException()
        return room

    @get("/", name="reception.rooms")
    async def list_rooms(
        self,
        request: Request,
        community: int | None = Parameter(default=None, ge=0, le=2**31),
        status: str = Parameter(default="all", pattern="^(all|pending|verified|suspended|retired)$"),
        after: int | None = Parameter(default=None, ge=0, le=2**31),
    ) -> Template:
        page = await rules.rooms_for(request.user, community or None, status, after)
        communities = await communities_by_id(request.user.communities("officer", "head"))
        stations = await phrasebook.stations_of(request.user, "officer", "head")
        context = _context(
            rooms=page.rows, next_after=page.next_after, after=after, communities=communities, community=community or 0, status=status,
            can_create=bool(rules.creatable_communities(request.user) is None or rules.creatable_communities(request.user)),
            books=[{**s, "version": await phrasebook.version(s["id"])} for s in stations[:20]],
        )
        return render(request, "reception/rooms.html", context)

    @get("/new", name="reception.rooms.new")
    async def new(self, request: Request) -> Template:
        form = RoomForm.blank()
        form.community.choices = await _community_choices(rules.creatable_communities(request.user))
        return render(request, "reception/room_form.html", _context(form=form, room=None))

    @post("/new", name="reception.rooms.create")
    async def create(self, request: Request) -> Template | Redirect:
        form = await RoomForm.from_request(request)
        form.community.choices = await _community_choices(rules.creatable_communities(request.user))
        if form.validate():
            try:
                room_id = await rules.create(request.user, _data(form), form.idempotency_key.data)
            except rules.RoomError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/reception/rooms/{room_id}")
        return invalid(request, "reception/room_form.html", _context(form=form, room=None))

    async def _detail(self, request: Request, room: dict, note_form: NoteForm | None = None, error: str | None = None) -> Template:
        community = await community_with_station(room["community"])
        tz = community["timezone"]
        moment = now()
        context = _context(
            room=room,
            community=community,
            open_now=rules.open_state(room, tz, moment),
            week=H.week_from_text(room["hours"]),
            closed_dates=H.date_ranges(H.dates_from_text(room["holidays"])),
            today_index=H.local_now(moment, tz).weekday(),
            on_duty=await rules.on_duty(room["id"], moment),
            shifts=await rules.upcoming_shifts(room["id"], moment),
            shift_kinds=await rules.shift_kinds_of(room["id"]),
            history=await entries_for("reception_room", room["id"], limit=20),
            may_edit=rules.may_edit(request.user, room),
            note_form=note_form or NoteForm(),
            error=error,
            public_link=public_address(request, f"/rr/{room['slug']}"),
            tz=tz,
        )
        failed = bool(error) or context["note_form"].has_errors
        return render(request, "reception/room_detail.html", context, status=422 if failed else 200)

    @get("/{room_id:int}", name="reception.rooms.detail")
    async def detail(self, request: Request, room_id: FromPath[int]) -> Template:
        return await self._detail(request, await self._room(request, room_id))

    async def _edit_choices(self, request: Request, room: dict) -> list[tuple[int, str]]:
        scope = rules.creatable_communities(request.user)
        return await _community_choices(None if scope is None else frozenset(scope | {room["community"]}))

    @get("/{room_id:int}/edit", name="reception.rooms.edit")
    async def edit(self, request: Request, room_id: FromPath[int]) -> Template:
        room = await self._room(request, room_id, edit=True)
        form = RoomForm(data={k: room[k] for k in ("name_zh", "name_en", "kind", "address", "phone")})
        form.community.choices = await self._edit_choices(request, room)
        form.community.data = room["community"]
        form.latitude.data = room["latitude"]
        form.longitude.data = room["longitude"]
        form.services.data = rules.split(room["services"])
        form.amenities.data = rules.split(room["amenities"])
        form.languages.data = rules.split(room["languages"])
        form.fill(H.week_from_text(room["hours"]), H.dates_from_text(room["holidays"]))
        return render(request, "reception/room_form.html", _context(form=form, room=room))

    @post("/{room_id:int}/edit", name="reception.rooms.update")
    async def update(self, request: Request, room_id: FromPath[int]) -> Template | Redirect:
        room = await self._room(request, room_id, edit=True)
        form = await RoomForm.from_request(request)
        form.community.choices = await self._edit_choices(request, room)
        if form.validate():
            try:
                await rules.update(request.user, room_id, _data(form))
            except rules.RoomError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/reception/rooms/{room_id}")
        return invalid(request, "reception/room_form.html", _context(form=form, room=room))

    @get("/{room_id:int}/hours", name="reception.rooms.hours")
    async def hours_page(self, request: Request, room_id: FromPath[int]) -> Template:
        room = await self._room(request, room_id, edit=True)
        form = HoursForm()
        form.fill(H.week_from_text(room["hours"]), H.dates_from_text(room["holidays"]))
        return render(request, "reception/room_hours.html", _context(form=form, room=room))

    @post("/{room_id:int}/hours", name="reception.rooms.hours.save")
    async def save_hours(self, request: Request, room_id: FromPath[int]) -> Template | Redirect:
        room = await self._room(request, room_id, edit=True)
        form = await HoursForm.from_request(request)
        if form.validate():
            try:
                await rules.set_hours(request.user, room_id, form.week(), form.dates())
            except rules.RoomError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/reception/rooms/{room_id}")
        return invalid(request, "reception/room_hours.html", _context(form=form, room=room))

    async def _change(self, request: Request, room_id: int, change) -> Template | Redirect:
        room = await self._room(request, room_id, edit=True)
        form = await NoteForm.from_request(request)
        if not form.validate():
            return await self._detail(request, room, note_form=form)
        try:
            await change(form.note.data or "")
        except rules.RoomError as error:
            return await self._detail(request, room, error=error.message)
        return see_other(f"/reception/rooms/{room_id}")

    @post("/{room_id:int}/verify", name="reception.rooms.verify")
    async def verify(self, request: Request, room_id: FromPath[int]) -> Template | Redirect:
        return await self._change(request, room_id, lambda note: rules.verify(request.user, room_id))

    @post("/{room_id:int}/suspend", name="reception.rooms.suspend")
    async def suspend(self, request: Request, room_id: FromPath[int]) -> Template | Redirect:
        return await self._change(request, room_id, lambda note: rules.set_suspended(request.user, room_id, True, note))

    @post("/{room_id:int}/reinstate", name="reception.rooms.reinstate")
    async def reinstate(self, request: Request, room_id: FromPath[int]) -> Template | Redirect:
        return await self._change(request, room_id, lambda note: rules.set_suspended(request.user, room_id, False, note))

    @post("/{room_id:int}/retire", name="reception.rooms.retire")
    async def retire(self, request: Request, room_id: FromPath[int]) -> Template | Redirect:
        return await self._change(request, room_id, lambda note: rules.retire(request.user, room_id, note))


class PublicRoomController(Controller):
    """A room's public page: everyone, no account."""

    @get("/rr/{room_slug:str}", name="reception.public_room")
    async def room_page(self, request: Request, room_slug: FromPath[str]) -> Template:
        room = await rules.get_by_slug(room_slug)
        if not room:
            raise NotFoundException()
        community = await community_with_station(room["community"])
        station = await phrasebook.station_of_community(room["community"])
        tz = community["timezone"]
        moment = now()
        local = H.local_now(moment, tz)
        active = rules.is_public(room)
        context = _context(
            room=room,
            community=community,
            station_id=station,
            active=active,
            open_now=rules.open_state(room, tz, moment),
            closed_today=local.date() in H.dates_from_text(room["holidays"]),
            week=H.week_from_text(room["hours"]),
            today_index=local.weekday(),
            on_duty=await rules.on_duty(room["id"], moment) if active else [],
        )
        return render(request, "reception/room_public.html", context)


class PhrasebookController(Controller):
    """The phrasebook of a station: read by its officers and heads (and the heads above),
    kept by its officers and head. The book is a plain page the browser keeps for a day,
    so it opens without signal once opened; links carry the book's version, so a changed
    book is a new address."""

    path = "/reception/phrasebook"
    guards = [requires("officer", "head")]

    @get("/", name="reception.phrasebook.stations")
    async def stations(self, request: Request) -> Template:
        stations = await phrasebook.stations_of(request.user, "officer", "head")
        books = [{**s, "version": await phrasebook.version(s["id"])} for s in stations[:50]]
        return render(request, "reception/phrasebook_stations.html", {"books": books})

    async def _station(self, request: Request, station_id: int, edit: bool = False) -> dict:
        station = await phrasebook.station(station_id)
        if not station or not await phrasebook.may_read(request.user, station_id):
            raise NotFoundException()
        if edit and not await phrasebook.may_edit(request.user, station_id):
            raise PermissionDeniedException()
        return station

    @get("/{station_id:int}", name="reception.phrasebook")
    async def book(self, request: Request, station_id: FromPath[int], v: str | None = Parameter(default=None, max_length=40)) -> Template:
        station = await self._station(request, station_id)
        context = {
            "station": station,
            "phrases": await phrasebook.phrases_of(station_id),
            "situations": SITUATION_LABELS,
            "may_edit": await phrasebook.may_edit(request.user, station_id),
        }
        response = render(request, "reception/phrasebook.html", context)
        response.headers["cache-control"] = BOOK_CACHE
        request.scope["keep_private_cache"] = True  # type: ignore[typeddict-unknown-key]
        return response

    @get("/{station_id:int}/new", name="reception.phrasebook.new")
    async def new(self, request: Request, station_id: FromPath[int]) -> Template:
        station = await self._station(request, station_id, edit=True)
        return render(request, "reception/phrase_form.html", {"station": station, "form": PhraseForm(), "phrase": None})

    @post("/{station_id:int}/new", name="reception.phrasebook.create")
    async def create(self, request: Request, station_id: FromPath[int]) -> Template | Redirect:
        station = await self._station(request, station_id, edit=True)
        form = await PhraseForm.from_request(request)
        if form.validate():
            try:
                await phrasebook.create(request.user, station_id, form.data_for_rules())
            except phrasebook.PhraseError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/reception/phrasebook/{station_id}?v={await phrasebook.version(station_id)}")
        return invalid(request, "reception/phrase_form.html", {"station": station, "form": form, "phrase": None})


class PhraseController(Controller):
    """One entry of a phrasebook: edit or remove."""

    path = "/reception/phrases/{phrase_id:int}"
    guards = [requires("officer", "head")]

    async def _phrase(self, request: Request, phrase_id: int) -> tuple[dict, dict]:
        phrase = await phrasebook.get_phrase(phrase_id)
        if not phrase or not await phrasebook.may_read(request.user, phrase["station"]):
            raise NotFoundException()
        if not await phrasebook.may_edit(request.user, phrase["station"]):
            raise PermissionDeniedException()
        return phrase, await phrasebook.station(phrase["station"])

    @get("/edit", name="reception.phrase.edit")
    async def edit(self, request: Request, phrase_id: FromPath[int]) -> Template:
        phrase, station = await self._phrase(request, phrase_id)
        form = PhraseForm(data={k: phrase[k] for k in ("situation", "text_zh", "text_en", "position")})
        return render(request, "reception/phrase_form.html", {"station": station, "form": form, "phrase": phrase})

    @post("/edit", name="reception.phrase.update")
    async def update(self, request: Request, phrase_id: FromPath[int]) -> Template | Redirect:
        phrase, station = await self._phrase(request, phrase_id)
        form = await PhraseForm.from_request(request)
        if form.validate():
            try:
                await phrasebook.update(request.user, phrase_id, form.data_for_rules())
            except phrasebook.PhraseError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/reception/phrasebook/{station['id']}?v={await phrasebook.version(station['id'])}")
        return invalid(request, "reception/phrase_form.html", {"station": station, "form": form, "phrase": phrase})

    @post("/remove", name="reception.phrase.remove")
    async def remove(self, request: Request, phrase_id: FromPath[int]) -> Redirect:
        phrase, station = await self._phrase(request, phrase_id)
        await phrasebook.remove(request.user, phrase_id)
        return see_other(f"/reception/phrasebook/{station['id']}?v={await phrasebook.version(station['id'])}")


ROOM_CONTROLLERS = [RoomController, PublicRoomController, PhrasebookController, PhraseController]
