"""Bad files get a clear message and import nothing, never a 500: not a spreadsheet, an
old .xls, wrong and missing columns, duplicates inside the file, formulas, 100,000 empty
rows, too many rows, too big, and the encodings Chinese Excel and WPS save (GBK CSV)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from portal.accounts.tables import User
from portal.imports import readers, rules
from tests.conftest import field_error
from tests.imports_helpers import VOLUNTEER_HEADER, csv_bytes, upload, xlsx


async def _page(client, kind, content, name="file.xlsx"):
    response, token = await upload(client, kind, content, name)
    assert response.status_code == 303, response.text[:500]
    await rules.wait_for(token)  # a large file goes on in the background after the redirect
    return (await client.get(f"/imports/batch/{token}")).text


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "This file is not a spreadsheet we can read"),
    (b"PK\x03\x04" + b"not really a zip" * 10, "This file is not a spreadsheet we can read"),
    (readers.OLE_MAGIC + bytes(600), "This is an old Excel (.xls) or WPS (.et) file"),
    (xlsx([["name", "phone", "colour"], ["A", "13800138000", "red"]]), "Unknown columns: “colour”"),
    (xlsx([["姓名", "社区代码"], ["A", "a"]]), "Missing columns: 手机号 / phone"),
    (xlsx([["姓名", "姓名", "手机号", "社区代码"], ["A", "A", "13800138000", "a"]]), "The column “姓名” appears twice"),
    (xlsx([[], [None, None]]), "The file is empty."),
])
async def test_files_that_are_refused_whole(client_for, area, content, message):
    officer, _ = await client_for("officer")
    users = await User.count().run()
    page = await _page(officer, "volunteers", content)
    assert "The file was refused: nothing was imported." in page and message in page
    assert await User.count().run() == users


async def test_rows_refused_inside_a_readable_file(client_for, area):
    """Duplicates name the first row; a formula is refused with what it was; an empty
    required cell and a bad yes/no are named; nothing can be confirmed."""
    officer, _ = await client_for("officer")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(VOLUNTEER_HEADER)
    sheet.append(["甲", "13800138000", "a", "", "", ""])
    sheet.append(["乙", "138-0013-8000", "a", "", "", ""])
    sheet.append(["丙", "=A2&B2", "a", "", "", ""])
    sheet.append(["", "13800138009", "a", "", "maybe", ""])
    sheet.append(["丁", "13800138008", "a", "flying", "", ""])
    out = io.BytesIO()
    workbook.save(out)
    page = await _page(officer, "volunteers", out.getvalue())
    assert "Row 3: The phone 13800138000 is also on row 2." in page
    assert "Row 4: The cell in column “phone” is a formula (=A2&amp;B2): type the value itself." in page
    assert "Row 5: “name” is empty." in page
    assert "Row 6: The skill flying is not one of" in page
    assert "Refused: 4" in page and "Confirm the import" not in page


async def test_empty_rows_too_many_rows_and_too_big(client_for, area):
    officer, _ = await client_for("officer")
    # 100,000 trailing empty rows (cells that were formatted, then emptied) are skipped.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(VOLUNTEER_HEADER)
    sheet.append(["甲", "13800138000", "a", "", "", ""])
    for _ in range(100_000):
        sheet.append(["", None, "", None, "", None])
    out = io.BytesIO()
    workbook.save(out)
    page = await _page(officer, "volunteers", out.getvalue())
    assert "All rows: 1" in page and "To create: 1" in page
    blank_csv = csv_bytes([VOLUNTEER_HEADER, ["甲", "13800138000", "a", "", "", ""]]) + b",,,,,\r\n" * 100_000
    page = await _page(officer, "volunteers", blank_csv, "v.csv")
    assert "All rows: 1" in page
    # More than 50,000 rows of data: the whole file is refused with the limit.
    many = csv_bytes([VOLUNTEER_HEADER] + [[f"人{n}", f"139{n:08d}", "a", "", "", ""] for n in range(readers.MAX_ROWS + 1)])
    page = await _page(officer, "volunteers", many, "many.csv")
    assert "The file has more than 50,000 rows of data: split it into several files." in page
    # Larger than the limit: the form says so next to the field.
    big, _token = await upload(officer, "volunteers", b"a,b\r\n" * (2 * 1024 * 1024 + 1), "big.csv")
    assert big.status_code == 422
    assert field_error(big.text, "file") == "The file is larger than 10 MB: split it."
    empty, _token = await upload(officer, "volunteers", b"", "empty.csv")
    assert empty.status_code == 422 and field_error(empty.text, "file") == "The file is empty."


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8", "utf-16"])
async def test_csv_in_the_encodings_excel_and_wps_save(client_for, area, encoding):
    """Chinese headers and names read right in GBK/GB18030, UTF-8 with or without a BOM and
    UTF-16 (Excel's "Unicode text", tab-separated)."""
    officer, _ = await client_for("officer")
    rows = [VOLUNTEER_HEADER, ["欧阳娜娜", "13800138000", "a", "急救, 英语", "是", ""]]
    if encoding == "utf-16":
        content = "\r\n".join("\t".join(r) for r in rows).encode("utf-16")
    else:
        content = csv_bytes(rows, encoding)
    page = await _page(officer, "volunteers", content, "v.csv")
    assert "To create: 1" in page and "Refused: 0" in page


async def test_a_workbook_that_unzips_into_too_much_is_refused(client_for, area, monkeypatch):
    """A small .xlsx may unzip into gigabytes (a "zip bomb"): its declared size is checked
    before anything is parsed (here against a lowered limit)."""
    monkeypatch.setattr(readers, "MAX_UNZIPPED_BYTES", 2000)
    officer, _ = await client_for("officer")
    page = await _page(officer, "volunteers", xlsx([VOLUNTEER_HEADER, ["甲", "13800138000", "a", "", "", ""]]))
    assert "This workbook holds far more than 50,000 rows once opened" in page


def test_gbk_is_never_read_as_utf8_and_the_reverse():
    text = "姓名,手机号\r\n张伟,13800138000\r\n"
    assert readers.decode(text.encode("gbk")) == (text, "GB18030")
    assert readers.decode(text.encode("utf-8")) == (text, "UTF-8")
    assert readers.decode(("\ufeff" + text).encode("utf-8")) == (text, "UTF-8")
