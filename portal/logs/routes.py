"""Field log pages: the five capture forms, "nothing to report", a log's page with photos,
notes, hazard actions and history, the author's answer, "My logs" and the logs at a watch
point. Thin: parse, call ``portal.logs.rules``, render or redirect."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from portal.logs import rules
from portal.logs.forms import FORMS, PARTY_ROWS, AnswerForm, LandmarkForm, LogForm, StageForm
from portal.reception.visits import visit_for_log
from portal.stations.rules import communities_by_id
from portal.logs.tables import KINDS, MAX_PHOTOS
from portal.uploads import MAX_BYTES, ProcessedImage, UploadError, check_size, process_image, storage_for
from portal.watchpoints.tables import WatchPoint
from portal.web.guards import logged_in, requires
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext
from portal.web.i18n import format_moment, localized
from portal.web.multipart import UploadLimits, upload_route
from portal.web.pages import invalid, navigate, render

PHOTOS = UploadLimits(file_bytes=MAX_BYTES, files=MAX_PHOTOS)


def labels() -> dict:
    return {
        "kind_labels": rules.KIND_LABELS, "category_labels": rules.CATEGORY_LABELS, "severity_labels": rules.SEVERITY_LABELS,
        "outcome_labels": rules.OUTCOME_LABELS, "status_labels": rules.STATUS_LABELS, "stage_labels": rules.STAGE_LABELS,
        "note_labels": rules.NOTE_LABELS, "action_labels": rules.ACTION_LABELS, "transition_labels": rules.TRANSITION_LABELS,
    }


def _kind_or_404(log_kind: str) -> str:
    if log_kind not in KINDS:
        raise NotFoundException()
    return log_kind


async def _may_log_or_403(request: Request) -> None:
    if not await rules.may_log(request.user):
        raise PermissionDeniedException()


async def _choices(request: Request, form: LogForm, places: bool = True) -> dict:
    """Fill the form's lists from what the actor may log at; returns the page context.
    Without ``places`` the watch points and landmarks are not read (a submission:
    ``rules.check`` checks the chosen ones in the database; they are read only to show
    the form again)."""
    actor = request.user
    communities = await rules.communities_for(actor)
    many = len(communities) > 1
    form.community.choices = [(c["id"], localized(c, "name")) for c in communities]
    if form.community.data is None and communities:
        form.community.data = communities[0]["id"]
    if not places and hasattr(form, "watch_point"):
        form.watch_point.choices = form.landmark.choices = None
    if not places and not hasattr(form, "shift"):
        return {"communities": communities, "many_communities": many, "shifts": []}
    points: list[tuple[int | None, str]] = []
    landmarks: list[tuple[int | None, str]] = []
    for community in communities[:20]:
        prefix = f"{localized(community, 'name')} · " if many else ""
        points += [(p["id"], prefix + localized(p, "name")) for p in await rules.points_for(actor, community["id"])]
        landmarks += [(m["id"], prefix + localized(m, "name")) for m in await rules.landmarks_of(community["id"])]
    if hasattr(form, "watch_point"):
        form.watch_point.choices = [("", _("— none —"))] + points
        form.landmark.choices = [("", _("— none —"))] + landmarks
    shifts: list[dict] = []
    if hasattr(form, "shift"):
        shifts = await rules.shifts_around(actor.id, rules.now())
        form.shift.choices = [("", _("— no shift —"))] + [(s["shift"], f"{localized(s, 'shift.kind.name')} · {format_moment(s['shift.starts_at'], _tz(communities, s['shift.community']))}") for s in shifts]
        form.points_passed.choices = points
    return {"communities": communities, "many_communities": many, "shifts": shifts}


def _tz(communities: list[dict], community_id: int | None) -> str:
    for community in communities:
        if community["id"] == community_id:
            return community["timezone"]
    return communities[0]["timezone"] if communities else "Asia/Shanghai"


def _prefill(form: LogForm, request: Request, communities: list[dict], shifts: list[dict]) -> None:
    """Sensible defaults: now (local), the actor's shift today, the watch point asked for
    (a host's own point when they have exactly one)."""
    tz = _tz(communities, form.community.data)
    local_now = rules.utc_to_local(rules.now(), tz).replace(second=0, microsecond=0)
    form.occurred_at.data = local_now
    if hasattr(form, "shift") and shifts:
        shift = shifts[0]
        form.shift.data = shift["shift"]
        form.community.data = shift["shift.community"]
        tz = _tz(communities, shift["shift.community"])
        local_now = rules.utc_to_local(rules.now(), tz).replace(second=0, microsecond=0)
        form.occurred_at.data = rules.utc_to_local(shift["shift.starts_at"], tz)
        form.ended_at.data = min(rules.utc_to_local(shift["shift.ends_at"], tz), local_now)
        form.route.data = shift["shift.kind.place"] or ""
    if hasattr(form, "ended_at"):
        _valid_patrol_times(form, local_now)
    if hasattr(form, "watch_point"):
        wanted = request.query_params.get("point", "")
        choices = [value for value, _label in form.watch_point.choices if value != ""]
        if wanted.isdigit() and int(wanted) in choices:
            form.watch_point.data = int(wanted)
        elif len(choices) == 1 and not request.user.has("volunteer"):
            form.watch_point.data = choices[0]


# A patrol opened without a shift that has begun ends now and began this long before.
DEFAULT_PATROL = dt.timedelta(hours=1)


def _valid_patrol_times(form: LogForm, local_now: dt.datetime) -> None:
    """Keep the shift's times where they make a patrol the rules accept; otherwise the last
    hour (no shift, or one not begun yet), and never longer than a patrol may last."""
    ended = form.ended_at.data if form.ended_at.data and form.ended_at.data <= local_now else local_now
    started = form.occurred_at.data
    if started is None or started >= ended:
        started = ended - DEFAULT_PATROL
    form.occurred_at.data, form.ended_at.data = max(started, ended - rules.MAX_PATROL), ended


async def _read_photos(request: Request, process: bool = True) -> list[ProcessedImage]:
    """The uploaded photos, through the pipeline; ``UploadError`` for the first bad one.
    Without ``process`` (a form refused anyway) only their number and sizes are checked."""
    data = await request.form()
    uploads = [u for u in data.getall("photos", []) if hasattr(u, "read") and getattr(u, "filename", "")]
    if len(uploads) > MAX_PHOTOS:
        raise UploadError(ngettext("At most %(count)d photo.", "At most %(count)d photos.", MAX_PHOTOS, count=MAX_PHOTOS))
    photos = []
    for upload in uploads:
        content = await upload.read(MAX_BYTES + 1)
        if process:
            photos.append(process_image(content))
        else:
            check_size(content)
    return photos


class LogController(Controller):
    path = "/logs"
    guards = [logged_in]

    @get("/new", name="logs.choose", guards=[requires("volunteer", "host", "officer", "head")])
    async def choose(self, request: Request, point: FromQuery[int | None] = None) -> Template:
        await _may_log_or_403(request)
        return render(request, "logs/choose.html", {"point": point, "kinds": KINDS, **labels()})

    @get("/new/{log_kind:str}", name="logs.new", guards=[requires("volunteer", "host", "officer", "head")])
    async def new(self, request: Request, log_kind: FromPath[str]) -> Template:
        kind = _kind_or_404(log_kind)
        await _may_log_or_403(request)
        form = FORMS[kind].blank()
        context = await _choices(request, form)
        _prefill(form, request, context["communities"], context["shifts"])
        # The parties' rows are no form fields: a form kept across a login fills them here.
        typed = dict(request.scope.get("restored_form") or ())
        return render(request, "logs/form.html", {"form": form, "kind": kind, "party_rows": _party_rows(typed), **context, **labels()})

    @post("/new/{log_kind:str}", name="logs.create", guards=[requires("volunteer", "host", "officer", "head")], **upload_route(PHOTOS))
    async def create(self, request: Request, log_kind: FromPath[str]) -> Template | Redirect | Response:
        kind = _kind_or_404(log_kind)
        await _may_log_or_403(request)
        form = await FORMS[kind].from_request(request)
        raw = await request.form()
        # A resend (double tap, retry, reload) is caught by rules.create's insert, guarded
        # by the key; one that no longer validates is looked up before errors are shown.
        context = await _choices(request, form, places=False)
        valid = form.validate()
        photos: list[ProcessedImage] = []
        if kind == "hazard":
            # Checked even when the rest is refused: the answer names every problem at once.
            try:
                photos = await _read_photos(request, process=valid)
            except UploadError as error:
                form.fail("photos", error.message)
                valid = False
        if valid:
            tz = _tz(context["communities"], form.community.data)
            data = form.to_data(tz, raw) if kind == "mediation" else form.to_data(tz)
            try:
                created = await rules.create(request.user, data, form.idempotency_key.data, photos, storage_for(request.app.state.settings))
            except rules.LogError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"/logs/{created.log_id}?saved=1")
        again = await rules.log_by_key(form.idempotency_key.data or "")
        if again and again["author"] == request.user.id:
            return navigate(request, f"/logs/{again['id']}?saved=1")
        context = await _choices(request, form)
        page = {"form": form, "kind": kind, "party_rows": _party_rows(raw), **context, **labels()}
        return invalid(request, "logs/form.html", page, fragment="logs/_form.html", target="log-form")

    @post("/nothing-to-report", name="logs.nothing_to_report", guards=[requires("volunteer", "host", "officer", "head")])
    async def nothing(self, request: Request) -> Redirect | Response | Template:
        await _may_log_or_403(request)
        try:
            created = await rules.nothing_to_report(request.user)
        except rules.LogError as error:
            return render(request, "logs/problem.html", {"message": error.message}, status=409)
        return navigate(request, f"/logs/{created.log_id}?saved=1")

    @get("/mine", name="logs.mine")
    async def mine(self, request: Request, after: FromQuery[int | None] = None) -> Template:
        page = await rules.my_logs(request.user, after)
        return render(request, "logs/mine.html", {"page": page, **labels()}, fragment="logs/_mine_rows.html", target="my-logs-more")

    @get("/{log_id:int}", name="logs.detail")
    async def detail(self, request: Request, log_id: FromPath[int], saved: FromQuery[int | None] = None) -> Template:
        log = await _log_or_404(request, log_id)
        return await _detail(request, log, saved=bool(saved))

    @get("/{log_id:int}/photos/{photo_id:int}", name="logs.photo")
    async def photo(self, request: Request, log_id: FromPath[int], photo_id: FromPath[int]) -> Response:
        return await _photo(request, log_id, photo_id, thumb=False)

    @get("/{log_id:int}/photos/{photo_id:int}/thumb", name="logs.photo_thumb")
    async def photo_thumb(self, request: Request, log_id: FromPath[int], photo_id: FromPath[int]) -> Response:
        return await _photo(request, log_id, photo_id, thumb=True)

    @post("/{log_id:int}/answer", name="logs.answer")
    async def answer(self, request: Request, log_id: FromPath[int]) -> Template | Redirect | Response:
        log = await _log_or_404(request, log_id)
        form = await AnswerForm.from_request(request)
        if form.validate():
            try:
                await rules.answer_question(request.user, log_id, form.text.data)
            except rules.LogError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"/logs/{log_id}")
        return await _detail(request, log, answer_form=form, status=422)

    @post("/{log_id:int}/hazard", name="logs.hazard_stage")
    async def hazard_stage(self, request: Request, log_id: FromPath[int]) -> Template | Redirect | Response:
        log = await _log_or_404(request, log_id)
        if not rules.may_act_on_hazard(request.user, log):
            raise PermissionDeniedException()
        form = await StageForm.from_request(request)
        if form.validate():
            try:
                await rules.transition(request.user, log_id, form.to.data or "", note=form.note.data or "", rectification_by=form.rectification_by.data or "", rectification_due=form.rectification_due.data)
            except rules.LogError as error:
                form.fail(error.field if error.field != "to" else "note", error.message)
            else:
                return navigate(request, f"/logs/{log_id}")
        return await _detail(request, log, stage_form=form, status=422)

    @get("/landmarks/{community_id:int}", name="logs.landmarks", guards=[requires("officer", "head")])
    async def landmarks(self, request: Request, community_id: FromPath[int]) -> Template:
        return await _landmarks_page(request, community_id, LandmarkForm())

    @post("/landmarks/{community_id:int}", name="logs.landmark_add", guards=[requires("officer", "head")])
    async def landmark_add(self, request: Request, community_id: FromPath[int]) -> Template | Redirect | Response:
        form = await LandmarkForm.from_request(request)
        if form.validate():
            try:
                await rules.add_landmark(request.user, community_id, form.name_zh.data, form.name_en.data or "")
            except rules.LogError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"/logs/landmarks/{community_id}")
        return await _landmarks_page(request, community_id, form, status=422)

    @post("/landmarks/{community_id:int}/{landmark_id:int}/retire", name="logs.landmark_retire", guards=[requires("officer", "head")])
    async def landmark_retire(self, request: Request, community_id: FromPath[int], landmark_id: FromPath[int]) -> Redirect | Response:
        return await _landmark_active(request, community_id, landmark_id, False)

    @post("/landmarks/{community_id:int}/{landmark_id:int}/restore", name="logs.landmark_restore", guards=[requires("officer", "head")])
    async def landmark_restore(self, request: Request, community_id: FromPath[int], landmark_id: FromPath[int]) -> Redirect | Response:
        return await _landmark_active(request, community_id, landmark_id, True)

    @get("/at/{point_id:int}", name="logs.at_point")
    async def at_point(self, request: Request, point_id: FromPath[int]) -> Template:
        point = await WatchPoint.select(WatchPoint.id, WatchPoint.community, WatchPoint.host, WatchPoint.name_zh, WatchPoint.name_en).where(WatchPoint.id == point_id).first().run()
        if not point:
            raise NotFoundException()
        if not (point["host"] == request.user.id or request.user.reaches(point["community"], "officer")):
            raise PermissionDeniedException()
        context = {"point": point, "logs": await rules.logs_at_point(point_id), "actor_id": request.user.id, **labels()}
        return render(request, "logs/at_point.html", context, fragment="logs/_at_point.html", target="point-logs")


async def _landmarks_page(request: Request, community_id: int, form: LandmarkForm, status: int = 200) -> Template:
    community = (await communities_by_id(frozenset({community_id})) or [None])[0]
    if not community:
        raise NotFoundException()
    context = {"community": community, "landmarks": await rules.landmarks_for_officer(community_id), "form": form}
    return render(request, "logs/landmarks.html", context, status=status)


async def _landmark_active(request: Request, community_id: int, landmark_id: int, active: bool) -> Redirect | Response:
    if not await rules.set_landmark_active(request.user, community_id, landmark_id, active):
        raise NotFoundException()
    return navigate(request, f"/logs/landmarks/{community_id}")


def _party_rows(raw) -> list[tuple[str, str]]:
    return [((raw.get(f"party_name_{i}") or "") if raw else "", (raw.get(f"party_contact_{i}") or "") if raw else "") for i in range(PARTY_ROWS)]


async def _log_or_404(request: Request, log_id: int) -> dict:
    log = await rules.visible_log(request.user, log_id)
    if not log:
        raise NotFoundException()
    return log


async def _photo(request: Request, log_id: int, photo_id: int, thumb: bool) -> Response:
    await _log_or_404(request, log_id)
    key = await rules.photo_key(log_id, photo_id, thumb)
    content = await storage_for(request.app.state.settings).get(key) if key else None
    if content is None:
        raise NotFoundException()
    return Response(content, media_type="image/jpeg", headers={"cache-control": "private, max-age=3600"})


async def _detail(request: Request, log: dict, *, saved: bool = False, answer_form: AnswerForm | None = None, stage_form: StageForm | None = None, status: int = 200) -> Template:
    from portal.followups.on_log import log_context
    from portal.logs.review import duplicate_context, ledger_items

    actor = request.user
    parties_visible = rules.may_see_parties(actor, log)
    stage_form = stage_form or StageForm(rectification_due=dt.date.today() + dt.timedelta(days=7))
    context = {
        "log": log,
        "tz": log["community.timezone"],
        "saved": saved,
        "is_author": log["author"] == actor.id,
        "photos": await rules.photos_of(log["id"]),
        "notes": await rules.notes_of(log["id"]),
        "history": await rules.history(log["id"]),
        "parties": await rules.parties_of(log["id"]) if parties_visible and log["kind"] == "mediation" else None,
        "points_passed": await rules.points_passed(log) if log["kind"] == "patrol" else [],
        "next_stages": rules.next_stages(actor, log),
        "answer_form": answer_form or AnswerForm(),
        "stage_form": stage_form,
        "reception_visit": await visit_for_log(log["id"]) if log["kind"] == "mediation" else None,
        "ledger_item": (await ledger_items([log["id"]])).get(log["id"]),
        **(await log_context(actor, log)),
        **(await duplicate_context(log["id"]) if actor.has("officer", "head", "admin") and actor.reaches(log["community"], "officer", "head") else {}),
        **labels(),
    }
    return render(request, "logs/detail.html", context, status=status)
