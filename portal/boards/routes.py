"""The contact boards registry of a community: the list (by kind, due for replacement,
retired), a board's form with its history, "replaced", retire/restore, and bulk print
(one printable document of the chosen boards, or of every board in use) with "printed
on" set for the printed boards."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from portal.audit.rules import entries_for
from portal.boards import rules
from portal.boards.forms import PLACE_KIND_LABELS, SHOW_LABELS, BoardForm, PrintedForm, ReplacedForm
from portal.watchpoints import photos
from portal.watchpoints.routes import qr_svg
from portal.watchpoints.rules import community_with_station, officers_of
from portal.web.guards import requires
from portal.web.i18n import gettext as _
from portal.web.pages import public_address, render, see_other
from portal.web.sorting import CURSOR_MAX_LENGTH, SORT_MAX_LENGTH

MAX_ID = 2**31 - 1


async def _community_or_404(community_id: int) -> dict:
    community = await community_with_station(community_id)
    if not community:
        raise NotFoundException()
    return community


def _editor_only(request: Request, community_id: int) -> None:
    if not rules.may_edit(request.user, community_id):
        raise PermissionDeniedException()


def _ids(values) -> list[int]:
    """Board ids from a form or query: whole numbers only, the rest ignored."""
    ids = []
    for value in values:
        text = str(value).strip()
        if text.isdigit() and 0 < int(text) <= MAX_ID:
            ids.append(int(text))
    return ids


def labels() -> dict:
    return {"kinds": PLACE_KIND_LABELS, "shows": SHOW_LABELS}


class BoardRegistryController(Controller):
    path = "/communities/{community_id:int}/board-registry"
    guards = [requires(*rules.READ_ROLES)]

    @get("/", name="boards.registry")
    async def registry(
        self,
        request: Request,
        community_id: FromPath[int],
        kind: str = Parameter(default="", max_length=20),
        due: str = Parameter(default="", max_length=3),
        retired: str = Parameter(default="", max_length=3),
        sort: str | None = Parameter(default=None, max_length=SORT_MAX_LENGTH),
        after: str | None = Parameter(default=None, max_length=CURSOR_MAX_LENGTH),
    ) -> Template:
        community = await _community_or_404(community_id)
        today = rules.local_today(community["timezone"])
        chosen = rules.ListFilter(kind=kind if kind in PLACE_KIND_LABELS else "", due=bool(due), retired=bool(retired))
        order = rules.BOARD_SORTS.parse(sort)
        page = await rules.board_page(community_id, chosen, order, after, today)
        filters = {"kind": chosen.kind, "due": "1" if chosen.due else "", "retired": "1" if chosen.retired else ""}
        filter_items = [(k, v) for k, v in filters.items() if v]
        context = {
            "community": community, "page": page, "filters": filters, "labels": labels(),
            "order": order, "filter_items": filter_items, "filter_query": urlencode(filter_items),
            "query": urlencode(filter_items + order.query_items()),
            "counts": await rules.totals([community_id], today), "may_edit": rules.may_edit(request.user, community_id),
            "printed": request.query_params.get("printed"),
        }
        return render(request, "boards/registry.html", context)

    async def _form(self, request: Request, community: dict, form: BoardForm, board: dict | None = None, replaced: ReplacedForm | None = None) -> Template:
        context = {
            "community": community, "form": form, "board": board, "labels": labels(),
            "replaced_form": replaced or ReplacedForm(replaced_on=rules.local_today(community["timezone"])),
            "history": await entries_for("board", board["id"], limit=30) if board else [],
            "may_edit": rules.may_edit(request.user, community["id"]),
            "today": rules.local_today(community["timezone"]),
        }
        status = 422 if form.has_errors or (replaced is not None and replaced.has_errors) else 200
        return render(request, "boards/board.html", context, status=status)

    @get("/new", name="boards.new")
    async def new(self, request: Request, community_id: FromPath[int]) -> Template:
        community = await _community_or_404(community_id)
        _editor_only(request, community_id)
        return await self._form(request, community, BoardForm())

    @post("/new", name="boards.create")
    async def create(self, request: Request, community_id: FromPath[int]) -> Template | Redirect:
        community = await _community_or_404(community_id)
        _editor_only(request, community_id)
        form = await BoardForm.from_request(request)
        if form.validate():
            try:
                board_id = await rules.create(request.user, form.data_for(community_id))
            except rules.BoardError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/communities/{community_id}/board-registry/{board_id}?saved=1")
        return await self._form(request, community, form)

    async def _board_or_404(self, community_id: int, board_id: int) -> dict:
        board = await rules.get(community_id, board_id)
        if not board:
            raise NotFoundException()
        return board

    @get("/{board_id:int}", name="boards.detail")
    async def detail(self, request: Request, community_id: FromPath[int], board_id: FromPath[int]) -> Template:
        community = await _community_or_404(community_id)
        board = await self._board_or_404(community_id, board_id)
        form = BoardForm(data={**board, "shows": [s for s in board["shows"].split(",") if s], "latitude": board["latitude"], "longitude": board["longitude"]})
        return await self._form(request, community, form, board)

    @post("/{board_id:int}", name="boards.update")
    async def update(self, request: Request, community_id: FromPath[int], board_id: FromPath[int]) -> Template | Redirect:
        community = await _community_or_404(community_id)
        _editor_only(request, community_id)
        board = await self._board_or_404(community_id, board_id)
        form = await BoardForm.from_request(request)
        if form.validate():
            try:
                await rules.update(request.user, board_id, form.data_for(community_id))
            except rules.BoardError as error:
                form.fail(error.field, error.message)
            else:
                return see_other(f"/communities/{community_id}/board-registry/{board_id}?saved=1")
        return await self._form(request, community, form, board)

    @post("/{board_id:int}/replaced", name="boards.replaced")
    async def replaced(self, request: Request, community_id: FromPath[int], board_id: FromPath[int]) -> Template | Redirect:
        community = await _community_or_404(community_id)
        _editor_only(request, community_id)
        board = await self._board_or_404(community_id, board_id)
        replaced = await ReplacedForm.from_request(request)
        if replaced.validate():
            try:
                await rules.mark_replaced(request.user, community_id, board_id, replaced.replaced_on.data, replaced.next_due.data)
            except rules.BoardError as error:
                replaced.fail(error.field, error.message)
            else:
                return see_other(f"/communities/{community_id}/board-registry/{board_id}?saved=1")
        form = BoardForm(data={**board, "shows": [s for s in board["shows"].split(",") if s]})
        return await self._form(request, community, form, board, replaced)

    @post("/{board_id:int}/retire", name="boards.retire")
    async def retire(self, request: Request, community_id: FromPath[int], board_id: FromPath[int]) -> Redirect:
        return await self._set_retired(request, community_id, board_id, True)

    @post("/{board_id:int}/restore", name="boards.restore")
    async def restore(self, request: Request, community_id: FromPath[int], board_id: FromPath[int]) -> Redirect:
        return await self._set_retired(request, community_id, board_id, False)

    async def _set_retired(self, request: Request, community_id: int, board_id: int, retired: bool) -> Redirect:
        _editor_only(request, community_id)
        if not await rules.set_retired(request.user, community_id, board_id, retired):
            raise NotFoundException()
        return see_other(f"/communities/{community_id}/board-registry/{board_id}")

    async def _print(self, request: Request, community: dict, ids: list[int] | None, size: str, form: PrintedForm | None = None) -> Template:
        rows = await rules.for_print(community["id"], ids)
        url = public_address(request, f"/c/{community['code']}")
        qr = qr_svg(url)
        context = {
            "community": community, "officers": await photos.with_photos(await officers_of(community["id"])), "size": size,
            "boards": [{"entry": row, "url": url, "qr": qr, "shows": [s for s in row["shows"].split(",") if s]} for row in rows],
            "ids": [row["id"] for row in rows], "may_edit": rules.may_edit(request.user, community["id"]),
            "printed_form": form or PrintedForm(printed_on=rules.local_today(community["timezone"])),
            "query": urlencode([("ids", i) for i in ids or []]),
        }
        return render(request, "boards/print.html", context, status=422 if form is not None else 200)

    @get("/print", name="boards.print")
    async def print_boards(self, request: Request, community_id: FromPath[int], size: str = Parameter(default="a4", pattern="^(a4|a5)$")) -> Template:
        """The chosen boards (``ids``), or every board in use, as one printable document."""
        community = await _community_or_404(community_id)
        chosen = request.query_params.getall("ids", [])
        return await self._print(request, community, _ids(chosen) if chosen else None, size)

    @post("/print", name="boards.printed")
    async def printed(self, request: Request, community_id: FromPath[int]) -> Template | Redirect:
        """Set "printed on" for the boards of the document just printed."""
        community = await _community_or_404(community_id)
        _editor_only(request, community_id)
        form = await PrintedForm.from_request(request)
        ids = _ids((await request.form()).getall("ids", []))
        if form.validate():
            if ids:
                changed = await rules.mark_printed(request.user, community_id, ids, form.printed_on.data)
                return see_other(f"/communities/{community_id}/board-registry?printed={changed}")
            form.fail("printed_on", _("Choose the boards that were printed."))
        return await self._print(request, community, ids, "a4", form)
