"""Every XLSX the portal writes is made for Excel and WPS users: a bold frozen header row,
an autofilter over the used range, widths from the content (a Chinese character counts
double), numbers as numbers, dates as dates, sheet names in the reader's language."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from portal.imports.sheets import credentials_sheet
from portal.shifts import rules
from portal.shifts.tables import Signup
from portal.web.xlsx import Sheet, display_width, workbook_bytes
from tests.conftest import post_form
from tests.test_shifts_routes import a_shift


def made_for_excel(book) -> None:
    """What every sheet of every export has."""
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None), sheet.title


def test_the_helper_types_dates_numbers_codes_and_widths():
    content = workbook_bytes([
        Sheet("按月: 2026/11", ["月份", "说明", "数量", "密码"], [
            [dt.date(2026, 11, 1), "西门菜市场入口旁边的三号楼二单元楼道", 3, "-abc"],
            ["2026-12", "=HYPERLINK(\"x\")", 4.5, "0123"],
        ], ["month", "text", "number", "code"]),
        Sheet("按月: 2026/11", ["a"], []),  # the same title twice gets a suffix
    ])
    book = load_workbook(io.BytesIO(content))
    made_for_excel(book)
    first = book.worksheets[0]
    # ':' and '/' are not allowed in a sheet name: replaced, the name is kept otherwise.
    assert book.sheetnames == ["按月  2026 11", "按月  2026 11 (2)"]
    assert first.auto_filter.ref == "A1:D3"
    assert isinstance(first["A2"].value, dt.datetime) and first["A2"].number_format == "yyyy-mm"
    assert first["A3"].value == dt.datetime(2026, 12, 1)
    assert first["B3"].value == "'=HYPERLINK(\"x\")"  # never run as a formula
    assert first["C2"].value == 3 and isinstance(first["C2"].value, int) and first["C3"].value == 4.5
    assert first["D2"].value == "-abc" and first["D2"].data_type == "s" and first["D3"].value == "0123"
    # Eighteen Chinese characters take 36 cells: the column is wider than the default 8.43.
    assert display_width("西门") == 4 and display_width("ab") == 2
    assert first.column_dimensions["B"].width == 38 and first.column_dimensions["C"].width == 8


def test_the_one_time_passwords_sheet_in_each_language():
    entries = [{"name": "张伟", "username": "13800138000", "password": "-x_Yz", "role": "volunteer"}]
    for language, title in (("zh_CN", "一次性密码"), ("en", "One-time passwords")):
        book = load_workbook(io.BytesIO(credentials_sheet(entries, language)))
        made_for_excel(book)
        assert book.sheetnames == [title]
        assert [c.value for c in book.active[2]] == ["张伟", "13800138000", "-x_Yz", "volunteer"]


async def test_each_export_of_the_desk_is_made_for_excel(client_for, area, make_volunteer):
    """The shifts' hours, the ledger dashboard, the reception figures and the review queue,
    read back in Chinese and in English."""
    officer, _ = await client_for("officer")
    shift = await a_shift(area.community_id, starts_in=dt.timedelta(hours=-3))
    worker = await make_volunteer(real_name="欧阳建国建国")
    now = rules.utcnow()
    await Signup.insert(Signup(shift=shift, user=worker, status="active", queued_at=now, updated_at=now)).run()
    signup = (await Signup.select(Signup.id).where(Signup.user == worker).first().run())["id"]
    assert (await post_form(officer, f"/shifts/manage/{area.community_id}/signups/{signup}/hours", {"hours": "2.5", "note": "late check-in"})).status_code == 303
    month = now.astimezone(rules.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")

    async def book(client, path):
        response = await client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/vnd.openxmlformats"), path
        workbook = load_workbook(io.BytesIO(response.content))
        made_for_excel(workbook)
        return workbook

    hours = await book(officer, f"/shifts/manage/{area.community_id}/hours.xlsx?month={month}")
    first = now.astimezone(rules.ZoneInfo("Asia/Shanghai")).date()
    assert hours.sheetnames == [f"Hours {first:%B %Y}"]  # the month as the reader says it
    assert hours.active["A2"].value == "欧阳建国建国" and hours.active.column_dimensions["A"].width == 14  # 12 cells + 2
    row = [c.value for c in hours.active[2]]
    assert row[0] == "欧阳建国建国" and row[2] == 1 and isinstance(row[2], int) and row[3] == 2.5
    chinese_officer, _ = await client_for("officer", preferred_language="zh_CN")
    hours_zh = await book(chinese_officer, f"/shifts/manage/{area.community_id}/hours.xlsx?month={month}")
    assert hours_zh.sheetnames == [f"工时 {first.year}年{first.month}月"]

    head_zh, _ = await client_for("head", preferred_language="zh_CN")
    head_en, _ = await client_for("head")
    dashboard_zh = await book(head_zh, "/ledger/dashboard/export.xlsx")
    dashboard_en = await book(head_en, "/ledger/dashboard/export.xlsx")
    assert dashboard_zh.sheetnames[0] == "按月" and dashboard_en.sheetnames[0] == "By month"
    # The "Closed as duplicate or outside remit" header is long: its column is wider than the default.
    assert dashboard_en.worksheets[0].column_dimensions["G"].width > 30

    query = "?from=2026-11-01&to=2026-11-30"
    figures_zh = await book(head_zh, "/reception/figures.xlsx" + query)
    figures_en = await book(head_en, "/reception/figures.xlsx" + query)
    assert figures_zh.sheetnames[1] == "按月" and figures_en.sheetnames[1] == "By month"
    period = figures_en.worksheets[-1]
    assert period["A2"].value == dt.datetime(2026, 11, 1) and period["A2"].number_format == "yyyy-mm-dd"
    total = [c.value for c in figures_en.worksheets[0][figures_en.worksheets[0].max_row]]
    assert total[0] == "Total" and all(isinstance(v, int) for v in total[2:])

    review = await book(officer, "/review/export.xlsx")
    assert review.sheetnames == ["Field logs"]
    assert review.active.column_dimensions["Q"].width >= 60  # the description
