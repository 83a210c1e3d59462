"""Urgent notice pages: the officers' list and form, one notice (its photo and the text for
chat groups) for its readers and senders, and ending it early."""

from __future__ import annotations

from litestar import Controller, MediaType, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Response, Template

from portal.notices import rules
from portal.notices.forms import NoticeForm
from portal.stations.rules import communities_by_id
from portal.uploads import MAX_BYTES, UploadError, check_size, process_image, storage_for
from portal.web.guards import logged_in, requires
from portal.web.i18n import localized
from portal.web.multipart import UploadLimits, upload_route
from portal.web.pages import invalid, public_address, render, see_other

PHOTO = UploadLimits(file_bytes=MAX_BYTES)


class NoticeController(Controller):
    path = "/notices"
    guards = [logged_in]

    @get("/", name="notices.list", guards=[requires("officer", "head")])
    async def sent(self, request: Request, after: int | None = Parameter(default=None, ge=0, le=2**31)) -> Template:
        page = await rules.sent_page(request.user, after)
        return render(request, "notices/list.html", {"page": page, "after": after, "kind_label": rules.kind_label})

    async def _form(self, request: Request, form: NoticeForm) -> NoticeForm:
        rows = await communities_by_id(rules.sender_scope(request.user))
        form.community.choices = [(r["id"], f"{localized(r, 'station.name')} · {localized(r, 'name')}") for r in rows]
        return form

    @get("/new", name="notices.new", guards=[requires("officer", "head")])
    async def new(self, request: Request) -> Template:
        if request.user.read_only:
            raise PermissionDeniedException()  # heads above a station read, they never send
        form = await self._form(request, NoticeForm.blank())
        if len(form.community.choices) == 1:
            form.community.data = form.community.choices[0][0]
        return render(request, "notices/form.html", {"form": form})

    @post("/new", name="notices.send", guards=[requires("officer", "head")], **upload_route(PHOTO))
    async def send(self, request: Request) -> Template | Redirect:
        form = await self._form(request, await NoticeForm.from_request(request))
        valid = form.validate()
        content = await form.photo.data.read(MAX_BYTES + 1) if form.photo.data else None
        if not valid and content is not None:
            try:  # the photo's size too, so that the answer names every problem
                check_size(content)
            except UploadError as error:
                form.fail("photo", error.message)
        if valid:
            try:
                photo = process_image(content) if content is not None else None
                data = rules.NoticeData(form.community.data, form.kind.data, form.title.data or "", form.body.data or "", form.lasts.data)
                notice_id = await rules.send(request.user, data, photo, storage_for(request.app.state.settings), form.idempotency_key.data)
            except UploadError as error:
                form.fail("photo", error.message)
            except rules.NoticeError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/notices/{notice_id}?sent=1")
        return invalid(request, "notices/form.html", {"form": form})

    async def _notice(self, request: Request, notice_id: int) -> dict:
        notice = await rules.notice_for(request.user, notice_id)
        if not notice:
            raise NotFoundException()
        return notice

    @get("/{notice_id:int}", name="notices.detail")
    async def detail(self, request: Request, notice_id: FromPath[int]) -> Template:
        notice = await self._notice(request, notice_id)
        return render(request, "notices/detail.html", {
            "notice": notice, "sent": bool(request.query_params.get("sent")), "kind_label": rules.kind_label,
            "chat_text": rules.chat_text(notice, public_address(request)),
        })

    @get("/{notice_id:int}/text", name="notices.text", media_type=MediaType.TEXT)
    async def text(self, request: Request, notice_id: FromPath[int]) -> Response:
        """The notice as text to paste into a chat group."""
        notice = await self._notice(request, notice_id)
        return Response(content=rules.chat_text(notice, public_address(request)), media_type=MediaType.TEXT, headers={"Cache-Control": "private, no-store"})

    @get("/{notice_id:int}/photo", name="notices.photo")
    async def photo(self, request: Request, notice_id: FromPath[int], size: str = Parameter(default="full", pattern="^(full|thumb)$")) -> Response:
        notice = await self._notice(request, notice_id)
        key = notice["thumb_key"] if size == "thumb" else notice["photo_key"]
        content = await storage_for(request.app.state.settings).get(key) if key else None
        if content is None:
            raise NotFoundException()
        return Response(content, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})

    @post("/{notice_id:int}/end", name="notices.end", guards=[requires("officer", "head")])
    async def end(self, request: Request, notice_id: FromPath[int]) -> Redirect:
        if not await rules.end(request.user, notice_id):
            raise NotFoundException()
        return see_other(f"/notices/{notice_id}")


NOTICE_CONTROLLERS = [NoticeController]
