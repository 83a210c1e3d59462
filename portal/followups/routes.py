"""Follow-up pages: the follow-ups list and recording one; the rectification notices (the
list, issuing, the A4 notice, withdrawing, the report photos, each station's wording);
and the party's public report page behind the notice's QR code. Thin: parse, call the
rules, render or redirect."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Response, Template

from portal.followups import labels, mediation, notices
from portal.followups.forms import FollowUpForm, NoticeForm, ReportForm, WordingForm
from portal.logs.labels import CATEGORY_LABELS, OUTCOME_LABELS
from portal.public import rules as public_rules
from portal.uploads import MAX_BYTES, UploadError, check_size, process_image, storage_for
from portal.watchpoints.routes import qr_svg
from portal.web.guards import logged_in, requires
from portal.web.middleware import client_ip
from portal.web.multipart import UploadLimits, upload_route
from portal.web.pages import invalid, navigate, public_address, render, see_other

PHOTO = UploadLimits(file_bytes=MAX_BYTES)


def _labels() -> dict:
    return {
        "result_labels": labels.RESULT_LABELS, "state_labels": labels.STATE_LABELS, "category_labels": CATEGORY_LABELS, "outcome_labels": OUTCOME_LABELS,
        "task_filters": labels.TASK_FILTERS, "notice_filters": labels.NOTICE_FILTERS,
    }


def _today(request: Request) -> dt.date:
    return mediation.local_day(mediation.utcnow(), request.app.state.settings.timezone)


class FollowUpController(Controller):
    path = "/followups"
    guards = [logged_in]

    @get("/", name="followups.list")
    async def tasks(self, request: Request, show: str = Parameter(default="todo", pattern="^(todo|overdue|upcoming|done)$"),
                    after: str | None = Parameter(default=None, max_length=40)) -> Template:
        today = _today(request)
        page = await mediation.tasks_page(request.user, show, today, after)
        context = {"page": page, "show": show, "today": today, "recorded": request.query_params.get("recorded"), **_labels()}
        return render(request, "followups/list.html", context)

    async def _mediation(self, request: Request, mediation_id: int) -> dict:
        log = await mediation.mediation_for(request.user, mediation_id)
        if not log:
            raise NotFoundException()
        return log

    @get("/{mediation_id:int}/record", name="followups.record_form")
    async def record_form(self, request: Request, mediation_id: FromPath[int]) -> Template:
        log = await self._mediation(request, mediation_id)
        form = FollowUpForm(followed_up_on=mediation.local_day(mediation.utcnow(), log["community.timezone"]))
        return render(request, "followups/record.html", {"log": log, "form": form, **_labels()})

    @post("/{mediation_id:int}/record", name="followups.record")
    async def record(self, request: Request, mediation_id: FromPath[int]) -> Template | Response:
        if request.user.read_only:
            raise PermissionDeniedException()  # heads above a station read, they never record
        log = await self._mediation(request, mediation_id)
        form = await FollowUpForm.from_request(request)
        if form.validate():
            try:
                done = await mediation.record_follow_up(request.user, mediation_id, form.result.data, form.followed_up_on.data, form.note.data or "")
            except mediation.FollowUpError as error:
                form.fail(error.field, error.message)
            else:
                if done is None:
                    raise NotFoundException()
                return navigate(request, f"/followups?show=done&recorded={mediation_id}")
        return invalid(request, "followups/record.html", {"log": log, "form": form, **_labels()})


class RectificationController(Controller):
    path = "/rectification"
    guards = [logged_in, requires("officer", "head")]

    @get("/", name="rectification.list")
    async def notices_list(self, request: Request, show: str = Parameter(default="open", pattern="^(open|overdue|reported|all)$"),
                           after: str | None = Parameter(default=None, max_length=40)) -> Template:
        page = await notices.notices_page(request.user, show, after)
        stations = sorted({(r["station"], r["station.name_zh"], r["station.name_en"]) for r in page.rows})
        return render(request, "followups/notices.html", {"page": page, "show": show, "stations": stations, **_labels()})

    async def _hazard(self, request: Request, log_id: int) -> dict:
        log = await notices.hazard_for_notice(request.user, log_id)
        if not log:
            raise NotFoundException()
        return log

    @get("/new/{hazard_id:int}", name="rectification.new")
    async def new(self, request: Request, hazard_id: FromPath[int]) -> Template:
        log = await self._hazard(request, hazard_id)
        form = NoticeForm.blank(party=log["rectification_by"])
        return render(request, "followups/issue.html", {"log": log, "form": form, "wording": await notices.wording_of(log["community.station"]), **_labels()})

    @post("/new/{hazard_id:int}", name="rectification.issue")
    async def issue(self, request: Request, hazard_id: FromPath[int]) -> Template | Response:
        form = await NoticeForm.from_request(request)
        if form.validate():
            try:
                issued = await notices.issue(request.user, hazard_id, form.party.data, form.party_address.data or "", form.idempotency_key.data)
            except notices.NoticeError as error:
                form.fail(error.field, error.message)
            else:
                if issued is None:
                    raise NotFoundException()
                return navigate(request, f"/rectification/{issued.notice_id}?issued=1")
        log = await self._hazard(request, hazard_id)
        return invalid(request, "followups/issue.html", {"log": log, "form": form, "wording": await notices.wording_of(log["community.station"]), **_labels()})

    async def _notice(self, request: Request, rectification_id: int) -> dict:
        notice = await notices.notice_for(request.user, rectification_id)
        if not notice:
            raise NotFoundException()
        return notice

    @get("/{rectification_id:int}", name="rectification.notice")
    async def notice(self, request: Request, rectification_id: FromPath[int]) -> Template:
        notice = await self._notice(request, rectification_id)
        url = public_address(request, f"/rectify/{notice['token']}")
        context = {"notice": notice, "tz": notice["community.timezone"], "report_url": url, "qr": qr_svg(url), "issued": request.query_params.get("issued"), **_labels()}
        return render(request, "followups/notice.html", context)

    @post("/{rectification_id:int}/withdraw", name="rectification.withdraw")
    async def withdraw(self, request: Request, rectification_id: FromPath[int]) -> Redirect:
        if not await notices.withdraw(request.user, rectification_id):
            raise NotFoundException()
        return see_other(f"/rectification/{rectification_id}")

    @get("/{rectification_id:int}/reports/{report_id:int}/photo", name="rectification.report_photo")
    async def report_photo(self, request: Request, rectification_id: FromPath[int], report_id: FromPath[int],
                           size: str = Parameter(default="full", pattern="^(full|thumb)$")) -> Response:
        key = await notices.report_photo_key(request.user, rectification_id, report_id, size == "thumb")
        content = await storage_for(request.app.state.settings).get(key) if key else None
        if content is None:
            raise NotFoundException()
        return Response(content, media_type="image/jpeg", headers={"cache-control": "private, max-age=3600"})

    async def _station(self, request: Request, station_id: int) -> dict:
        station = await notices.station_of(request.user, station_id)
        if not station:
            raise NotFoundException()
        return station

    @get("/wording/{station_id:int}", name="rectification.wording")
    async def wording(self, request: Request, station_id: FromPath[int]) -> Template:
        station = await self._station(request, station_id)
        wording = await notices.wording_of(station_id)
        return render(request, "followups/wording.html", {
            "station": station, "wording": wording, "form": WordingForm(text=wording["text"]), "may_edit": notices.may_edit_wording(request.user, station_id),
            "saved": request.query_params.get("saved"),
        })

    @post("/wording/{station_id:int}", name="rectification.wording_save")
    async def wording_save(self, request: Request, station_id: FromPath[int]) -> Template | Response:
        station = await self._station(request, station_id)
        if not notices.may_edit_wording(request.user, station_id):
            raise PermissionDeniedException()
        form = await WordingForm.from_request(request)
        if form.validate():
            try:
                await notices.save_wording(request.user, station_id, form.text.data)
            except notices.NoticeError as error:
                form.fail(error.field, error.message)
            else:
                return navigate(request, f"/rectification/wording/{station_id}?saved=1")
        context = {"station": station, "wording": await notices.wording_of(station_id), "form": form, "may_edit": True, "saved": None}
        return invalid(request, "followups/wording.html", context)


class RectifyController(Controller):
    """The party's page behind the notice's QR code: no account, the token is the key."""

    path = "/rectify"

    async def _notice(self, token: str) -> dict:
        notice = await notices.notice_by_token(token)
        if not notice:
            raise NotFoundException()
        return notice

    @get("/{rectify_token:str}", name="rectify.page")
    async def page(self, request: Request, rectify_token: FromPath[str]) -> Template:
        notice = await self._notice(rectify_token)
        return render(request, "followups/report.html", {"notice": notice, "token": rectify_token, "form": ReportForm.blank(), "limited": False, "sent": request.query_params.get("sent"), **_labels()})

    @post("/{rectify_token:str}", name="rectify.report", **upload_route(PHOTO))
    async def report(self, request: Request, rectify_token: FromPath[str]) -> Template | Redirect:
        notice = await self._notice(rectify_token)
        form = await ReportForm.from_request(request)
        context = {"notice": notice, "token": rectify_token, "form": form, "limited": False, "sent": None, **_labels()}
        if (form.website.data or "").strip():
            return see_other(f"/rectify/{rectify_token}?sent=1")  # a bot: answered as if it worked
        if await notices.reported_with(notice["id"], form.idempotency_key.data or ""):
            return see_other(f"/rectify/{rectify_token}?sent=1")  # the same form again: as the first time
        if not notice["may_report"]:
            return render(request, "followups/report.html", context, status=409)
        if not form.validate():
            if form.photo.data:
                try:  # the photo's size too, so that the answer names every problem
                    check_size(await form.photo.data.read(MAX_BYTES + 1))
                except UploadError as error:
                    form.fail("photo", error.message)
            return invalid(request, "followups/report.html", context)
        settings = request.app.state.settings
        buckets = [(public_rules.address_bucket(client_ip(request), settings.secret_key), *public_rules.SUBMIT_PER_ADDRESS), (f"rectify:{notice['id']}", *notices.REPORTS_PER_NOTICE)]
        if await public_rules.over_limit(buckets):
            context["limited"] = True
            return render(request, "followups/report.html", context, status=429)
        try:
            photo = process_image(await form.photo.data.read(MAX_BYTES + 1))
            done = await notices.report_fixed(rectify_token, form.note.data or "", photo, storage_for(settings), form.idempotency_key.data)
        except UploadError as error:
            form.fail("photo", error.message)
        except notices.NoticeError as error:
            form.fail(error.field, error.message)
            context["notice"] = await self._notice(rectify_token)
            return render(request, "followups/report.html", context, status=409)
        else:
            if done is None:
                raise NotFoundException()
            return see_other(f"/rectify/{rectify_token}?sent=1")
        return invalid(request, "followups/report.html", context)


FOLLOWUP_CONTROLLERS = [FollowUpController, RectificationController, RectifyController]
