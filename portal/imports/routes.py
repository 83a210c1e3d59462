"""Import pages: templates and examples to download, the upload, the preview with its
progress, the confirmation and the one-time passwords of new accounts."""

from __future__ import annotations

import re

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from portal.imports import rules, sheets
from portal.imports.forms import UploadForm
from portal.imports.plan import ACTIONS, kinds_for
from portal.web.guards import requires
from portal.web.i18n import current_language
from portal.web.i18n import gettext as _
from portal.web.multipart import UploadLimits, upload_route
from portal.web.pages import is_htmx, navigate, render, see_other

PAGE_SIZE = 100
FILE_NAME = re.compile(r"^(template|example)-(zh|en)\.(xlsx|csv)$")
IMPORTERS = ("officer", "head")


def kind_labels() -> dict[str, str]:
    return {"officers": _("Officers and heads"), "volunteers": _("Volunteers"), "watchpoints": _("Watch points"), "landmarks": _("Landmarks"), "boards": _("Contact boards")}


def _download(content: bytes, name: str, fmt: str) -> Response:
    return Response(content=content, media_type=sheets.XLSX_TYPE if fmt == "xlsx" else sheets.CSV_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _kind_or_404(request: Request, kind: str) -> str:
    if kind not in kinds_for(request.user):
        raise NotFoundException()
    return kind


async def _batch_or_404(request: Request, token: str) -> rules.Batch:
    batch = await rules.get(request.user, token)
    if batch is None:
        raise NotFoundException()
    return batch


async def may_import(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Only who may import something: district and city heads read, never import."""
    if not kinds_for(connection.scope["user"]):
        raise PermissionDeniedException()


class ImportController(Controller):
    path = "/imports"
    guards = [requires(*IMPORTERS), may_import]

    async def _index(self, request: Request, form: UploadForm | None = None, status: int = 200) -> Template:
        kinds = kinds_for(request.user)
        labels = kind_labels()
        if form is None:
            form = UploadForm(data={"kind": request.query_params.get("kind", kinds[0] if kinds else "")})
        form.kind.choices = [(k, labels[k]) for k in kinds]
        context = {"form": form, "kinds": kinds, "labels": labels, "recent": await rules.recent(request.user), "max_mb": rules.MAX_BYTES // (1024 * 1024),
                   "file_languages": (("zh_CN", "中文"), ("en", "English"))}
        return render(request, "imports/index.html", context, status=status)

    @get("/", name="imports.index")
    async def index(self, request: Request) -> Template:
        return await self._index(request)

    @post("/", name="imports.upload", **upload_route(UploadLimits(file_bytes=rules.MAX_BYTES)))
    async def upload(self, request: Request) -> Template | Redirect:
        form = await UploadForm.from_request(request)
        form.kind.choices = [(k, k) for k in kinds_for(request.user)]
        upload = form.file.data
        content = b""
        if form.validate():
            if not upload or not hasattr(upload, "read"):
                form.fail("file", _("Choose the file to import."))
            else:
                content = await upload.read(rules.MAX_BYTES + 1)
                if len(content) > rules.MAX_BYTES:
                    form.fail("file", _("The file is larger than %(size)s MB: split it.", size=rules.MAX_BYTES // (1024 * 1024)))
                elif not content:
                    form.fail("file", _("The file is empty."))
        if form.has_errors:
            return await self._index(request, form, status=422)
        try:
            token = await rules.start(request.user, form.kind.data, getattr(upload, "filename", "") or "", content, current_language())
        except rules.ImportError_ as error:
            form.fail("file", str(error))
            return await self._index(request, form, status=422)
        actor = request.user
        await rules.in_background(token, lambda: rules.preview(actor, token), current_language())
        return see_other(f"/imports/batch/{token}")

    @get("/files/{import_kind:str}/{file_name:str}", name="imports.file")
    async def file(self, request: Request, import_kind: FromPath[str], file_name: FromPath[str]) -> Response:
        """``template-zh.xlsx``, ``example-en.csv``…: the empty template or the example
        file (made from the actor's own units) of a kind, in a language and a format."""
        kind = _kind_or_404(request, import_kind)
        found = FILE_NAME.match(file_name)
        if not found:
            raise NotFoundException()
        what, language, fmt = found.group(1), "zh_CN" if found.group(2) == "zh" else "en", found.group(3)
        content = sheets.template(kind, language, fmt) if what == "template" else await sheets.example(request.user, kind, language, fmt)
        return _download(content, sheets.filename(kind, what, language, fmt), fmt)

    async def _batch_context(self, request: Request, batch: rules.Batch, show: str, page: int) -> dict:
        rows = await rules.report(batch.token) if batch.status in ("previewed", "done", "importing", "failed") else []
        if show != "all":
            rows = [r for r in rows if r["action"] == show]
        pages = max(1, (len(rows) + PAGE_SIZE - 1) // PAGE_SIZE)
        page = min(max(1, page), pages)
        return {
            "batch": batch, "status": batch.status_now, "counts": batch.counts_dict, "rows": rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
            "show": show, "page": page, "pages": pages, "actions": ACTIONS, "labels": kind_labels(), "progress": rules.PROGRESS.get(batch.token),
            "has_passwords": await rules.credentials(request.user, batch.token) is not None if batch.status == "done" else False,
        }

    @get("/batch/{token:str}", name="imports.batch")
    async def batch(self, request: Request, token: FromPath[str],
                    show: str = Parameter(default="all", pattern="^(all|create|update|unchanged|refused)$"),
                    page: int = Parameter(default=1, ge=1, le=10_000)) -> Template:
        batch = await _batch_or_404(request, token)
        return render(request, "imports/batch.html", await self._batch_context(request, batch, show, page))

    @get("/batch/{token:str}/progress", name="imports.progress")
    async def progress(self, request: Request, token: FromPath[str]) -> Template | Response:
        batch = await _batch_or_404(request, token)
        if batch.status_now not in ("previewing", "importing") and is_htmx(request):
            # Finished: the whole page again, with the report.
            return Response(content="", status_code=200, headers={"HX-Redirect": f"/imports/batch/{token}"})
        return render(request, "imports/_progress.html", {"batch": batch, "status": batch.status_now, "progress": rules.PROGRESS.get(batch.token)})

    @post("/batch/{token:str}/confirm", name="imports.confirm")
    async def confirm(self, request: Request, token: FromPath[str]) -> Response:
        await _batch_or_404(request, token)
        claimed = await rules.claim(request.user, token)
        if claimed == "claimed":
            actor = request.user
            await rules.in_background(token, lambda: rules.run_import(actor, token), current_language())
        elif claimed in ("expired", "blocked"):
            return navigate(request, f"/imports/batch/{token}?refused={claimed}")
        return navigate(request, f"/imports/batch/{token}")

    @get("/batch/{token:str}/passwords", name="imports.passwords")
    async def passwords(self, request: Request, token: FromPath[str]) -> Template:
        batch = await _batch_or_404(request, token)
        entries = await rules.credentials(request.user, token)
        if entries is None:
            raise NotFoundException()
        await rules.note_credentials_shown(request.user, token, "page")
        return render(request, "imports/passwords.html", {"batch": batch, "entries": entries, "labels": kind_labels()})

    @get("/batch/{token:str}/passwords.xlsx", name="imports.passwords_xlsx")
    async def passwords_xlsx(self, request: Request, token: FromPath[str]) -> Response:
        batch = await _batch_or_404(request, token)
        entries = await rules.credentials(request.user, token)
        if entries is None:
            raise NotFoundException()
        await rules.note_credentials_shown(request.user, token, "xlsx")
        return _download(sheets.credentials_sheet(entries, current_language()), f"shouwang-{batch.kind}-passwords.xlsx", "xlsx")

    @post("/batch/{token:str}/passwords/erase", name="imports.passwords_erase")
    async def erase(self, request: Request, token: FromPath[str]) -> Redirect:
        await _batch_or_404(request, token)
        await rules.erase_credentials(request.user, token)
        return see_other(f"/imports/batch/{token}?erased=1")

