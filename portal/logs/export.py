"""The filtered review queue as CSV (streamed) or XLSX (written row by row), read from the
database a batch at a time so an export never holds the whole table.

The columns are the queue's: no mediation party's name or contact is ever read. Headers
and code names are in the language of the request; in XLSX, times are spreadsheet dates in
the community's zone and counts are numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from typing import AsyncIterator, Callable
from zoneinfo import ZoneInfo

from portal.logs.labels import label
from portal.logs.review import QueueFilters, walk_queue
from portal.volunteers.rules import display_name
from portal.web.i18n import gettext as _
from portal.web.i18n import pgettext
from portal.web.i18n import localized
from portal.web.xlsx import safe_text

BATCH = 500
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(moment: dt.datetime | None, tz: str) -> dt.datetime | None:
    """A spreadsheet has no time zones: the community's wall-clock time, without zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(ZoneInfo(tz or "Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


# (header, value of a queue row); the value's Python type decides the XLSX cell type.
COLUMNS: list[tuple[Callable[[], str], Callable[[dict], object]]] = [
    (lambda: _("Log number"), lambda r: r["id"]),
    (lambda: pgettext("kind of", "Kind"), lambda r: label("kind", r["kind"])),
    (lambda: _("Review status"), lambda r: label("status", r["status"])),
    (lambda: _("Community"), lambda r: localized({"name_zh": r["community_name_zh"], "name_en": r["community_name_en"]}, "name")),
    (lambda: _("Logged by"), lambda r: display_name(r["author_name"]) if r["author_name"] else ""),
    (lambda: _("Happened at"), lambda r: _local(r["occurred_at"], r["timezone"])),
    (lambda: _("Received at"), lambda r: _local(r["created_at"], r["timezone"])),
    (lambda: _("Category"), lambda r: label("category", r["category"], r["kind"])),
    (lambda: _("Severity"), lambda r: label("severity", r["severity"])),
    (lambda: _("Hazard stage"), lambda r: label("stage", r["hazard_stage"])),
    (lambda: pgettext("how many", "People"), lambda r: r["people_count"]),
    (lambda: _("Outcome"), lambda r: label("outcome", r["outcome"])),
    (lambda: _("Patrol minutes"), lambda r: r["minutes"]),
    (lambda: _("Photos"), lambda r: r["photo_count"]),
    (lambda: _("Nothing to report"), lambda r: _("Yes") if r["nothing_to_report"] else ""),
    (lambda: _("Duplicate of"), lambda r: r["duplicate_of"]),
    (lambda: _("Description"), lambda r: r["description"]),
]
DATE_COLUMNS = {5, 6}
# Column widths (in character cells) for the streamed XLSX: times, names, the description.
WIDTH_HINTS = {1: 12, 2: 12, 3: 20, 4: 14, 5: 18, 6: 18, 7: 16, 16: 60}


def headers() -> list[str]:
    return [header() for header, _value in COLUMNS]


def values(row: dict) -> list:
    return [value(row) for _header, value in COLUMNS]


async def csv_chunks(actor, filters: QueueFilters) -> AsyncIterator[str]:
    """The CSV a batch at a time (a BOM first, so spreadsheet programs read UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers())
    yield "\ufeff" + _drain(buffer)
    count = 0
    async for row in walk_queue(actor, filters, batch=BATCH):
        writer.writerow(["" if v is None else (v.isoformat(sep=" ") if isinstance(v, dt.datetime) else safe_text(v)) for v in values(row)])
        count += 1
        if count % BATCH == 0:
            yield _drain(buffer)
    rest = _drain(buffer)
    if rest:
        yield rest


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


async def xlsx_file(actor, filters: QueueFilters) -> tempfile.SpooledTemporaryFile:
    """The XLSX in a temporary file (kept in memory while small), written with openpyxl's
    write-only mode, which streams rows to disk instead of building the sheet in memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from openpyxl.utils import get_column_letter

    from portal.web.xlsx import MAX_WIDTH, display_width

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Field logs")[:31])
    bold = Font(bold=True)
    # Written row by row, so the widths come from the headers and what each column holds
    # (set before the first row: a streamed sheet writes its columns first).
    for index, text in enumerate(headers()):
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(MAX_WIDTH, max(display_width(text) + 2, WIDTH_HINTS.get(index, 10)))
    sheet.freeze_panes = "A2"
    header_cells = []
    for text in headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    rows = 0
    async for row in walk_queue(actor, filters, batch=BATCH):
        cells = []
        for index, value in enumerate(values(row)):
            cell = WriteOnlyCell(sheet, value=safe_text(value))
            if index in DATE_COLUMNS and value is not None:
                cell.number_format = "yyyy-mm-dd hh:mm"
            cells.append(cell)
        sheet.append(cells)
        rows += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{rows + 1}"
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    book.save(output)
    output.seek(0)
    return output
