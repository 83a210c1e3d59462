"""The contact boards registry: every board of a community with its place, what it shows
and when it was printed, put up and is due to be replaced.

Who: officers of the community and the heads of its station (``may_edit``) change the
registry; the heads above them (district and city heads, when they exist) and the
administrator read it (``READ_ROLES``). Every change writes its audit row (object
``board``, with before and after) in the same transaction.

For an import (rows from a spreadsheet, matched on ``code``):

- ``BoardData(community_id, code, name_zh, place_kind="other", name_en="", address="",
  latitude=None, longitude=None, shows=DEFAULT_SHOWS, note="", printed_on=None,
  replaced_on=None, replace_due=None)``: one board; ``code`` is upper-cased, letters,
  digits and ``. _ -``, unique in the community.
- ``clean(data) -> dict``: the columns, or ``BoardError(field, message)``.
- ``upsert_many(actor, rows) -> UpsertResult``: creates the boards whose (community,
  code) is new and updates the others, all in one transaction, or raises
  ``BoardError`` (with ``row``, the index of the refused row) and writes nothing. Rows
  equal to the stored board change nothing, so an import run twice writes once.
- ``create(actor, data) -> id`` and ``update(actor, board_id, data)``: one board.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Iterable
from zoneinfo import ZoneInfo

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.boards.tables import PLACE_KINDS, SHOWS, Board
from portal.db import fetch, write_transaction
from portal.web.i18n import gettext as _
from portal.web.i18n import lazy_gettext as _l
from portal.web.sorting import Order, SortedPage, SortKey, Sorts, sorted_page

READ_ROLES = ("officer", "head", "district_head", "city_head")
DEFAULT_SHOWS = ("officers", "emergency", "qr")
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
REPLACE_AFTER = dt.timedelta(days=730)  # the next replacement, unless one is given
PRINT_LIMIT = 500  # boards in one printed document
DEFAULT_TIMEZONE = "Asia/Shanghai"
EDITABLE = ("code", "place_kind", "name_zh", "name_en", "address", "latitude", "longitude", "shows", "note", "printed_on", "replaced_on", "replace_due")


class BoardError(ValueError):
    """A rule refused the change; ``field`` names the form field, ``row`` the import row."""

    def __init__(self, field_name: str, message: str, row: int | None = None):
        super().__init__(message)
        self.field = field_name
        self.message = message
        self.row = row


@dataclass(frozen=True)
class BoardData:
    community_id: int
    code: str
    name_zh: str
    place_kind: str = "other"
    name_en: str = ""
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    shows: tuple[str, ...] = DEFAULT_SHOWS
    note: str = ""
    printed_on: dt.date | None = None
    replaced_on: dt.date | None = None
    replace_due: dt.date | None = None


@dataclass
class UpsertResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


def local_today(timezone: str = DEFAULT_TIMEZONE, at: dt.datetime | None = None) -> dt.date:
    return (at or now()).astimezone(ZoneInfo(timezone)).date()


def may_edit(actor: Actor, community_id: int) -> bool:
    """Officers of the community, heads of its station (who hold an officer's authority
    there) and the administrator; never a head above the station, who only reads."""
    return actor.reaches(community_id, "officer") and not getattr(actor, "read_only", False)


def normal_code(code: str) -> str:
    return (code or "").strip().upper()


def clean(data: BoardData) -> dict:
    """The board's columns from ``data``, checked."""
    code = normal_code(data.code)
    if not CODE_PATTERN.match(code):
        raise BoardError("code", _("Use up to 40 letters, digits, dots, dashes or underscores, starting with a letter or digit."))
    if data.place_kind not in PLACE_KINDS:
        raise BoardError("place_kind", _("Choose a kind of place from the list."))
    name_zh = (data.name_zh or "").strip()
    if not name_zh:
        raise BoardError("name_zh", _("Give the place's name in Chinese."))
    for name, value, limit in (("name_zh", name_zh, 100), ("name_en", data.name_en, 100), ("address", data.address, 200), ("note", data.note, 2000)):
        if len((value or "").strip()) > limit:
            raise BoardError(name, _("At most %(limit)d characters.", limit=limit))
    if (data.latitude is None) != (data.longitude is None):
        raise BoardError("latitude", _("Give both the latitude and the longitude, or neither."))
    if data.latitude is not None and not (-90 <= data.latitude <= 90):
        raise BoardError("latitude", _("The latitude is between -90 and 90."))
    if data.longitude is not None and not (-180 <= data.longitude <= 180):
        raise BoardError("longitude", _("The longitude is between -180 and 180."))
    shows = [s for s in SHOWS if s in set(data.shows or ())]
    if set(data.shows or ()) - set(SHOWS):
        raise BoardError("shows", _("Choose what the board shows from the list."))
    if not shows:
        raise BoardError("shows", _("Choose at least one thing the board shows."))
    if data.replaced_on and data.replace_due and data.replace_due < data.replaced_on:
        raise BoardError("replace_due", _("The next replacement is due after the last one."))
    return {
        "code": code, "place_kind": data.place_kind, "name_zh": name_zh, "name_en": (data.name_en or "").strip(),
        "address": (data.address or "").strip(), "latitude": data.latitude, "longitude": data.longitude,
        "shows": ",".join(shows), "note": (data.note or "").strip(), "printed_on": data.printed_on,
        "replaced_on": data.replaced_on, "replace_due": data.replace_due,
    }


def _columns(values: dict) -> dict:
    return {getattr(Board, name): value for name, value in values.items()}


def _refuse_unless_editor(actor: Actor, community_id: int, row: int | None = None) -> None:
    if not may_edit(actor, community_id):
        raise BoardError("community", _("You may not change the boards of this community."), row)


async def _code_taken(community_id: int, code: str, except_id: int | None = None) -> bool:
    query = Board.exists().where((Board.community == community_id) & (Board.code == code))
    if except_id is not None:
        query = query.where(Board.id != except_id)
    return await query.run()


async def next_code(community_id: int) -> str:
    """A free code for a board typed in without one: B-0001, B-0002, …"""
    count = await Board.count().where(Board.community == community_id).run()
    number = count + 1
    while await _code_taken(community_id, f"B-{number:04d}"):
        number += 1
    return f"B-{number:04d}"


async def _insert(actor: Actor, community_id: int, values: dict) -> int:
    at = now()
    row = await Board.insert(Board(community=community_id, created_at=at, updated_at=at, **values)).returning(Board.id).run()
    board_id = row[0]["id"]
    await record("board.created", "board", board_id, actor=actor, after={"community": community_id, **values})
    return board_id


async def create(actor: Actor, data: BoardData) -> int:
    """Add a board to its community's registry; a blank code gets the next free one."""
    _refuse_unless_editor(actor, data.community_id)
    async with write_transaction():
        if not (data.code or "").strip():
            data = _with_code(data, await next_code(data.community_id))
        values = clean(data)
        if await _code_taken(data.community_id, values["code"]):
            raise BoardError("code", _("Another board of this community has this code."))
        return await _insert(actor, data.community_id, values)


def _with_code(data: BoardData, code: str) -> BoardData:
    return replace(data, code=code)


async def get(community_id: int, board_id: int) -> dict | None:
    return await Board.select().where((Board.id == board_id) & (Board.community == community_id)).first().run()


def _changes(row: dict, values: dict) -> tuple[dict, dict]:
    before = {k: row[k] for k in values if row[k] != values[k]}
    after = {k: values[k] for k in before}
    return before, after


async def _write(actor: Actor, board_id: int, action: str, before: dict, after: dict) -> None:
    await Board.update({**_columns(after), Board.updated_at: now()}).where(Board.id == board_id).run()
    await record(action, "board", board_id, actor=actor, before=before, after=after)


async def update(actor: Actor, board_id: int, data: BoardData) -> bool:
    """Change a board's place, code, contents or dates; False when nothing changed."""
    _refuse_unless_editor(actor, data.community_id)
    values = clean(data)
    async with write_transaction():
        row = await get(data.community_id, board_id)
        if not row:
            raise BoardError("community", _("No such board."))
        if values["code"] != row["code"] and await _code_taken(data.community_id, values["code"], board_id):
            raise BoardError("code", _("Another board of this community has this code."))
        before, after = _changes(row, values)
        if not after:
            return False
        await _write(actor, board_id, "board.updated", before, after)
    return True


async def upsert_many(actor: Actor, rows: Iterable[BoardData]) -> UpsertResult:
    """Create or update boards by (community, code), all or nothing (see the module's
    docstring). A code appearing twice for one community refuses the second row."""
    result = UpsertResult()
    rows = list(rows)
    cleaned = []
    seen: set[tuple[int, str]] = set()
    for index, data in enumerate(rows):
        try:
            _refuse_unless_editor(actor, data.community_id, index)
            values = clean(data)
        except BoardError as error:
            raise BoardError(error.field, error.message, index) from None
        key = (data.community_id, values["code"])
        if key in seen:
            raise BoardError("code", _("The code %(code)s appears twice.", code=values["code"]), index)
        seen.add(key)
        cleaned.append((data.community_id, values))
    async with write_transaction():
        for community_id, values in cleaned:
            row = await Board.select().where((Board.community == community_id) & (Board.code == values["code"])).first().run()
            if row is None:
                result.created.append(await _insert(actor, community_id, values))
                continue
            before, after = _changes(row, values)
            if after:
                await _write(actor, row["id"], "board.updated", before, after)
                result.updated.append(row["id"])
            else:
                result.unchanged.append(row["id"])
    return result


async def mark_printed(actor: Actor, community_id: int, board_ids: Iterable[int], on: dt.date) -> int:
    """Set "printed on" for the community's boards among ``board_ids`` (others are
    ignored); returns how many changed."""
    _refuse_unless_editor(actor, community_id)
    ids = sorted({int(i) for i in board_ids})[:PRINT_LIMIT]
    if not ids:
        return 0
    changed = 0
    async with write_transaction():
        rows = await Board.select(Board.id, Board.printed_on).where((Board.community == community_id) & Board.id.is_in(ids) & Board.retired_at.is_null()).run()
        for row in rows:
            if row["printed_on"] != on:
                await _write(actor, row["id"], "board.printed", {"printed_on": row["printed_on"]}, {"printed_on": on})
                changed += 1
    return changed


async def mark_replaced(actor: Actor, community_id: int, board_id: int, on: dt.date, next_due: dt.date | None = None) -> None:
    """A new board was put up on ``on``: the next replacement is due ``next_due`` (by
    default two years later)."""
    _refuse_unless_editor(actor, community_id)
    next_due = next_due or on + REPLACE_AFTER
    if next_due <= on:
        raise BoardError("next_due", _("The next replacement is due after the last one."))
    async with write_transaction():
        row = await get(community_id, board_id)
        if not row or row["retired_at"]:
            raise BoardError("replaced_on", _("No such board."))
        before = {"replaced_on": row["replaced_on"], "replace_due": row["replace_due"]}
        await _write(actor, board_id, "board.replaced", before, {"replaced_on": on, "replace_due": next_due})


async def set_retired(actor: Actor, community_id: int, board_id: int, retired: bool) -> bool:
    """Retire a board that came down (kept with its history), or restore it."""
    _refuse_unless_editor(actor, community_id)
    async with write_transaction():
        row = await get(community_id, board_id)
        if not row:
            return False
        if bool(row["retired_at"]) == retired:
            return True
        value = now() if retired else None
        await _write(actor, board_id, "board.retired" if retired else "board.restored", {"retired_at": row["retired_at"]}, {"retired_at": value})
    return True


# --- Reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilter:
    kind: str = ""
    due: bool = False
    retired: bool = False


def _filtered(query, community_id: int, chosen: ListFilter, today: dt.date):
    query = query.where(Board.community == community_id)
    query = query.where(Board.retired_at.is_not_null() if chosen.retired else Board.retired_at.is_null())
    if chosen.kind in PLACE_KINDS:
        query = query.where(Board.place_kind == chosen.kind)
    if chosen.due:
        query = query.where(Board.replace_due <= today)
    return query


# The registry's sortable columns, each led by the community in an index (the code's
# unique index; the others from the boards migrations); by default by code.
BOARD_SORTS = Sorts({
    "code": SortKey(_l("Board code"), column=Board.code, alone=True),
    "place": SortKey(_l("Place"), column=Board.name_zh),
    "printed": SortKey(_l("Printed on"), column=Board.printed_on, descending_first=True),
    "due": SortKey(_l("Replacement due"), column=Board.replace_due, nulls="high"),
}, default="code")


async def board_page(community_id: int, chosen: ListFilter, order: Order, after: str | None, today: dt.date) -> SortedPage:
    page = await sorted_page(lambda: _filtered(Board.select(), community_id, chosen, today), order, Board.id, after)
    for row in page.rows:
        row["due"] = is_due(row, today)
    return page


def is_due(row: dict, today: dt.date) -> bool:
    return not row.get("retired_at") and row.get("replace_due") is not None and row["replace_due"] <= today


async def counts(community_ids: Iterable[int] | None, today: dt.date) -> dict[int, dict]:
    """Boards in use and due for replacement per community (``None``: every community)."""
    sql = (
        "SELECT community, COUNT(*) AS total, SUM(CASE WHEN replace_due <= {} THEN 1 ELSE 0 END) AS due "
        "FROM contact_board WHERE retired_at IS NULL"
    )
    args: list = [today]
    if community_ids is not None:
        ids = sorted(community_ids)
        if not ids:
            return {}
        sql += f" AND community IN ({', '.join('{}' for _ in ids)})"
        args += ids
    rows = await fetch(sql + " GROUP BY community", *args)
    return {row["community"]: {"total": int(row["total"]), "due": int(row["due"] or 0)} for row in rows}


async def totals(community_ids: Iterable[int] | None, today: dt.date) -> dict:
    found = await counts(community_ids, today)
    return {"total": sum(c["total"] for c in found.values()), "due": sum(c["due"] for c in found.values())}


async def for_print(community_id: int, board_ids: Iterable[int] | None) -> list[dict]:
    """The boards to print: those of ``board_ids`` in the community, or every board in use."""
    query = Board.select().where((Board.community == community_id) & Board.retired_at.is_null())
    if board_ids is not None:
        ids = sorted({int(i) for i in board_ids})[:PRINT_LIMIT]
        if not ids:
            return []
        query = query.where(Board.id.is_in(ids))
    return await query.order_by(Board.code).limit(PRINT_LIMIT).run()
