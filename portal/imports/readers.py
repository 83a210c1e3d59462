"""Reading an uploaded file into a header and rows of text, whatever Excel or WPS saved.

``.xlsx`` is read with openpyxl in read-only mode without cached values, so a formula is
seen as a formula (and refused, since its value is whatever the author's copy last
showed). Text files are CSV (or tab-separated) in UTF-8 with or without a BOM, UTF-16
with a BOM (Excel's "Unicode text"), or GB18030/GBK (what Chinese Excel and WPS save):
UTF-8 is tried first and strictly, since Chinese text in GBK is almost never valid UTF-8,
while any byte string decodes as GB18030. Empty rows are skipped; at most ``MAX_ROWS``
rows with data are read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext

MAX_ROWS = 50_000
MAX_COLUMNS = 40
# Rows looked at, empty ones included: past Excel's 1,048,576 nothing is a sheet people made.
MAX_SCANNED_ROWS = 1_100_000
MAX_CELL = 2000
# What an .xlsx may hold once unzipped: 50,000 rows of 40 columns stay far below; a "zip bomb" does not.
MAX_UNZIPPED_BYTES = 300 * 1024 * 1024
ROWS_TEXT, SCANNED_TEXT = f"{MAX_ROWS:,}", f"{MAX_SCANNED_ROWS:,}"

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .et (WPS) and other old binary formats


class FileRefused(ValueError):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass
class Sheet:
    header: list[str]
    # (spreadsheet row number, cells as text) for every row with something in it
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # row number -> column index -> the formula found there
    formulas: dict[int, dict[int, str]] = field(default_factory=dict)
    encoding: str = ""


def cell_text(value) -> str:
    """A cell as the text a person typed: whole numbers without ".0", dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()[:5] if isinstance(value, dt.time) else value.isoformat()
    return str(value).replace("\x00", "").strip()[:MAX_CELL]


def read(content: bytes, filename: str = "") -> Sheet:
    if not content.strip():
        raise FileRefused(_("The file is empty."))
    if content.startswith(XLSX_MAGIC):
        return _read_xlsx(content)
    if content.startswith(OLE_MAGIC):
        raise FileRefused(_("This is an old Excel (.xls) or WPS (.et) file: save it as .xlsx or CSV and upload that."))
    return _read_text(content)


def _read_xlsx(content: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise FileRefused(_("This file is not a spreadsheet we can read: save it from Excel or WPS as .xlsx or CSV.")) from error
    if unzipped > MAX_UNZIPPED_BYTES:
        raise FileRefused(_("This workbook holds far more than 50,000 rows once opened: split it or save it as CSV."))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as error:  # a zip that is not a workbook
        raise FileRefused(_("This file is not a spreadsheet we can read: save it from Excel or WPS as .xlsx or CSV.")) from error
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for broken files
        raise FileRefused(_("This file is not a spreadsheet we can read: save it from Excel or WPS as .xlsx or CSV.")) from error
    try:
        if not workbook.worksheets:
            raise FileRefused(_("The file is empty."))
        sheet = workbook.worksheets[0]
        return _collect(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
    except FileRefused:
        raise
    except Exception as error:  # noqa: BLE001 - a damaged sheet inside a valid zip
        raise FileRefused(_("This file is not a spreadsheet we can read: save it from Excel or WPS as .xlsx or CSV.")) from error
    finally:
        workbook.close()


def decode(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was in."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in content[:4096]:
        raise FileRefused(_("This file is not a spreadsheet we can read: save it from Excel or WPS as .xlsx or CSV."))
    try:
        return content.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as error:
        raise FileRefused(_("The text of this file is neither UTF-8 nor GBK: save it again as CSV (UTF-8).")) from error


def _read_text(content: bytes) -> Sheet:
    text, encoding = decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";", "，"), key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        sheet = _collect(reader)
    except csv.Error as error:
        raise FileRefused(_("This file is not a spreadsheet we can read: save it from Excel or WPS as .xlsx or CSV.")) from error
    sheet.encoding = encoding
    return sheet


def _collect(rows) -> Sheet:
    """The header (the first row with something in it) and the rows after it; a cell
    starting with "=" is noted as a formula (in a CSV too, where Excel would compute it)."""
    header: list[str] | None = None
    sheet = Sheet(header=[])
    for number, values in enumerate(rows, start=1):
        if number > MAX_SCANNED_ROWS:
            raise FileRefused(ngettext("The sheet has more than %(count)s row: remove the empty rows at its end or split it.", "The sheet has more than %(count)s rows: remove the empty rows at its end or split it.", SCANNED_TEXT, count=SCANNED_TEXT))
        if not any(value is not None and value != "" for value in values):
            continue
        cells = [cell_text(value) for value in values[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if header is None:
            header = cells
            sheet.header = cells
            continue
        found = {index: cell for index, cell in enumerate(cells) if cell.startswith("=") and len(cell) > 1}
        if found:
            sheet.formulas[number] = found
        sheet.rows.append((number, cells))
        if len(sheet.rows) > MAX_ROWS:
            raise FileRefused(ngettext("The file has more than %(count)s row of data: split it into several files.", "The file has more than %(count)s rows of data: split it into several files.", ROWS_TEXT, count=ROWS_TEXT))
    if header is None:
        raise FileRefused(_("The file is empty."))
    return sheet
