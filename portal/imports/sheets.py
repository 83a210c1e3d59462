"""Files to download: the empty template of each kind (headers in the reader's language, a
second sheet of instructions), example files made from the actor's own units (the demo's
on the demo), and the sheet of new accounts' one-time passwords."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from portal.accounts.rules import Actor
from portal.db import fetch
from portal.imports.columns import COLUMNS, KEY_COLUMN, Column
from portal.imports.plan import _reach_sql
from portal.web.i18n import activate, restore
from portal.web.i18n import gettext as _

if TYPE_CHECKING:
    from openpyxl import Workbook  # imported where a sheet is written

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
KIND_NAMES = {
    "officers": ("Officers and heads", "民警和所长"),
    "volunteers": ("Volunteers", "义警"),
    "watchpoints": ("Watch points", "守望点"),
    "landmarks": ("Landmarks", "地标"),
    "boards": ("Contact boards", "警民联系牌"),
}


def header(column: Column, language: str) -> str:
    return column.zh if language == "zh_CN" else column.en


def filename(kind: str, what: str, language: str, extension: str) -> str:
    return f"shouwang-{kind}-{what}-{'zh' if language == 'zh_CN' else 'en'}.{extension}"


def _sheet_of_rows(kind: str, language: str, rows: list[list]) -> bytes:
    # openpyxl only where a sheet is written: ~15 MB a worker would hold for nothing.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = COLUMNS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (KIND_NAMES[kind][1] if language == "zh_CN" else KIND_NAMES[kind][0])[:31]
    sheet.append([header(c, language) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(column.width, len(header(column, language)) * (2 if language == "zh_CN" else 1) + 2)
        for cell in sheet[letter][1:]:
            cell.number_format = "@"  # phones and codes stay text, never 1.38E+10
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(rows) + 1)}"
    _instructions(workbook, kind, language)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _instructions(workbook: Workbook, kind: str, language: str) -> None:
    from openpyxl.styles import Alignment, Font

    saved = activate(language)
    try:
        sheet = workbook.create_sheet(_("Instructions")[:31])
        sheet.append([_("How to fill in this file")])
        sheet["A1"].font = Font(bold=True, size=14)
        for line in (
            _("Fill in one row per record on the first sheet, under the header row; keep the headers as they are (Chinese or English headers both work)."),
            _("Columns marked * are required. An empty optional cell changes nothing on a record that exists already."),
            _("The key of a record is the column %(column)s: importing a file again updates the records with the same key and changes nothing else.", column=header(next(c for c in COLUMNS[kind] if c.key == KEY_COLUMN[kind]), language)),
            _("Type values, not formulas. Save as .xlsx, or as CSV (UTF-8 or GBK). At most 50,000 rows."),
            _("After the upload you see what each row would do; nothing is saved until you confirm, and a file with a refused row is not imported at all."),
            _("New people get an account with a one-time password, shown to you once after the import; never put passwords in this file."),
        ):
            sheet.append([line])
        sheet.append([])
        sheet.append([_("Column"), _("Required"), _("What to type"), _("Example")])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for column in COLUMNS[kind]:
            sheet.append([header(column, language) + (" *" if column.required else ""), _("yes") if column.required else _("no"), _(column.help),
                          column.example_zh if language == "zh_CN" else column.example])
        sheet.column_dimensions["A"].width = 22
        sheet.column_dimensions["B"].width = 10
        sheet.column_dimensions["C"].width = 90
        sheet.column_dimensions["D"].width = 40
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    finally:
        restore(saved)


def _csv(kind: str, language: str, rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header(c, language) for c in COLUMNS[kind]])
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM tells Excel it is UTF-8


def template(kind: str, language: str, fmt: str) -> bytes:
    return _sheet_of_rows(kind, language, []) if fmt == "xlsx" else _csv(kind, language, [])


# --- Examples from the actor's own units --------------------------------------------------------


async def _my_units(actor: Actor) -> tuple[list[dict], list[dict]]:
    sql, args = _reach_sql(actor.communities("officer"))
    communities = await fetch(f"SELECT id, code, station FROM community WHERE retired_at IS NULL AND {sql} ORDER BY id LIMIT 3", *args)
    station_ids = sorted({c["station"] for c in communities}) or [0]
    marks = ", ".join("{}" for _ in station_ids)
    stations = await fetch(f"SELECT id, code FROM station WHERE id IN ({marks}) ORDER BY id", *station_ids)
    return communities, stations


async def example_rows(actor: Actor, kind: str, language: str) -> list[list]:
    """A few rows that import as they are into the actor's units (the demo's on the demo)."""
    communities, stations = await _my_units(actor)
    codes = [c["code"] for c in communities] or ["xiguan"]
    station = stations[0]["code"] if stations else "chengzhong"
    zh = language == "zh_CN"

    def pick(n: int) -> str:
        return codes[n % len(codes)]

    if kind == "officers":
        return [
            ["王莉" if zh else "Wang Li", "13800138101", "社区民警" if zh else "officer", pick(0), ""],
            ["赵强" if zh else "Zhao Qiang", "13800138102", "社区民警" if zh else "officer", pick(1), ""],
            ["刘洋" if zh else "Liu Yang", "13800138103", "所长" if zh else "head", station, "liu.yang@example.org"],
        ]
    if kind == "volunteers":
        names = ("张伟", "李娜", "王芳", "陈杰", "杨敏", "黄磊") if zh else ("Zhang Wei", "Li Na", "Wang Fang", "Chen Jie", "Yang Min", "Huang Lei")
        skills = ("急救:2027-06-30, 英语", "调解", "", "消防", "驾驶, 手语", "first_aid") if zh else ("first_aid:2027-06-30, english", "mediation", "", "fire_safety", "driving, sign_language", "first_aid")
        return [[name, f"1390013{9100 + n:04d}", pick(n), skills[n], ("是" if zh else "yes") if n % 2 == 0 else ("否" if zh else "no"), ""] for n, name in enumerate(names)]
    if kind == "watchpoints":
        return [
            ["SW-001", pick(0), "西关大药房", "Xiguan Pharmacy", "药店" if zh else "pharmacy", "西关大街12号", "36.6171", "101.7782",
             "周一至周五 08:00-20:00; 周六至周日 09:00-18:00" if zh else "Mon-Fri 08:00-20:00; Sat-Sun 09:00-18:00", "0971-8123456", "李娜" if zh else "Li Na", "13700137101", "是" if zh else "yes"],
            ["SW-002", pick(1), "东门超市", "Dongmen Supermarket", "超市" if zh else "supermarket", "东门路3号", "", "",
             "每天 24小时" if zh else "daily 24h", "", "周强" if zh else "Zhou Qiang", "13700137102", "否" if zh else "no"],
            ["SW-003", pick(2), "南山宾馆", "", "宾馆" if zh else "hotel", "南山路88号", "36.6010", "101.7900",
             "每天 20:00-次日02:00" if zh else "daily 20:00-02:00+1", "0971-8234567", "周强" if zh else "Zhou Qiang", "13700137102", ""],
        ]
    if kind == "boards":
        return [
            ["B-0101", pick(0), "西门菜市场入口", "West Gate Market entrance", "市场" if zh else "market", "西门街1号", "", "", "民警, 110, 二维码, 反诈" if zh else "officers, emergency, qr, anti_fraud", "", ""],
            ["B-0102", pick(0), "3号楼2单元楼道", "Building 3, stairwell 2", "楼道" if zh else "stairwell", "", "", "", "", "2026-03-01", ""],
            ["B-0103", pick(1), "东门公交站", "", "街道" if zh else "street", "东门路", "36.6200", "101.7800", "", "", "靠近站牌" if zh else "beside the bus stop sign"],
        ]
    return [
        ["SW-L01", pick(0), "西门菜市场", "West Gate Market", "是" if zh else "yes"],
        ["SW-L02", pick(0), "3号楼", "Building 3", ""],
        ["SW-L03", pick(1), "东门公交站", "Dongmen Bus Stop", ""],
    ]


async def example(actor: Actor, kind: str, language: str, fmt: str) -> bytes:
    from portal.web.xlsx import safe_text

    # Unit names and codes come from the database: neutralised like every export.
    rows = [[safe_text(value) for value in row] for row in await example_rows(actor, kind, language)]
    return _sheet_of_rows(kind, language, rows) if fmt == "xlsx" else _csv(kind, language, rows)


def credentials_sheet(entries: list[dict], language: str) -> bytes:
    saved = activate(language)
    try:
        from portal.web.xlsx import Sheet, workbook_bytes

        return workbook_bytes([Sheet(
            _("One-time passwords"), [_("Real name"), _("Username"), _("One-time password"), _("Role")],
            [[e["name"], e["username"], e["password"], e["role"]] for e in entries], ["text", "code", "code", "text"],
        )])
    finally:
        restore(saved)
