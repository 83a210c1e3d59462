"""Every XLSX the portal writes, made for Excel and WPS users: a bold frozen header row,
an autofilter over the used range, column widths from the content (a Chinese character
counts double), numbers as numbers and dates as dates with a number format, and sheet
titles in the reader's language (the caller passes them translated)."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Column types: "text" (kept text, a formula-looking value is quoted), "int", "number",
# "date" (yyyy-mm-dd), "month" (yyyy-mm), "datetime" (yyyy-mm-dd hh:mm), "code" (text
# formatted "@" so phones and codes never become 1.38E+10).
FORMATS = {"date": "yyyy-mm-dd", "month": "yyyy-mm", "datetime": "yyyy-mm-dd hh:mm", "code": "@", "number": "0.##", "int": "0"}
MIN_WIDTH = 8
MAX_WIDTH = 60
_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    types: list[str] | None = None  # one per column; "text" when left out
    bold_last_row: bool = False  # a total row


def display_width(value) -> int:
    """How many character cells a value takes in a spreadsheet: a wide (CJK) character
    counts two, anything else one."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    text = value if isinstance(value, str) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# What makes Excel, WPS or LibreOffice run a cell (a formula or a DDE call): = + - @ at
# the start, also behind leading spaces, and a tab or carriage return first (OWASP's
# CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@")
CONTROL_STARTS = ("\t", "\r", "\n")


def safe_text(value):
    """The one neutraliser of every export (CSV and XLSX): text a spreadsheet would run
    is kept as text by a leading quote; anything else is returned as it is."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(CONTROL_STARTS) or value.lstrip(" \t\r\n\u3000").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell_value(value, kind: str):
    if value is None or value == "":
        return None
    if kind == "int":
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    if kind == "number":
        return value if isinstance(value, (int, float)) else value
    if kind == "month" and isinstance(value, str):
        return dt.date.fromisoformat(value + "-01")
    if kind in ("date", "month") and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if kind == "datetime" and isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; callers pass local time
    if isinstance(value, str):
        # A code (a username, a password, a phone) is kept as it is and written as a
        # string cell below; other text that looks like a formula is quoted.
        return value if kind == "code" else safe_text(value)
    return value


def sheet_title(title: str, taken: set[str]) -> str:
    base = (title.translate(_BAD_TITLE).strip() or "Sheet")[:31]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def workbook_bytes(sheets: list[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    taken: set[str] = set()
    for spec in sheets:
        page = book.create_sheet(title=sheet_title(spec.title, taken))
        columns = len(spec.headers)
        types = list(spec.types or []) + ["text"] * (columns - len(spec.types or []))
        page.append(list(spec.headers))
        for cell in page[1]:
            cell.font = bold
        widths = [display_width(h) for h in spec.headers]
        for row in spec.rows:
            values = [_cell_value(v, types[i] if i < columns else "text") for i, v in enumerate(row)]
            page.append(values)
            for i, kind in enumerate(types[:columns]):
                if kind == "code" and isinstance(values[i] if i < len(values) else None, str):
                    page.cell(row=page.max_row, column=i + 1).data_type = "s"  # never a formula
            for i, v in enumerate(values[:columns]):
                widths[i] = max(widths[i], display_width(v))
        for (index, kind) in enumerate(types[:columns], start=1):
            fmt = FORMATS.get(kind)
            if fmt and kind != "number":
                for (cell,) in page.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = fmt
            page.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(MAX_WIDTH, widths[index - 1] + 2))
        if spec.bold_last_row and spec.rows:
            for cell in page[page.max_row]:
                cell.font = bold
        page.freeze_panes = "A2"
        last = get_column_letter(max(1, columns))
        page.auto_filter.ref = f"A1:{last}{max(1, len(spec.rows) + 1)}"
    if not sheets:
        book.create_sheet("Sheet")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
