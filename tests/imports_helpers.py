"""Helpers of the import tests: spreadsheets made in memory, an upload as the page sends it."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook

from tests.conftest import ensure_csrf, post_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VOLUNTEER_HEADER = ["姓名", "手机号", "社区代码", "技能", "已核实", "电子邮箱"]


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


async def upload(client, kind: str, content: bytes, name: str = "file.xlsx"):
    """Post the upload form; returns (response, token or None)."""
    token = await ensure_csrf(client)
    response = await client.post("/imports/", data={"kind": kind, "_csrf_token": token}, files={"file": (name, content, XLSX)}, follow_redirects=False)
    found = re.match(r"/imports/batch/([\w-]+)$", response.headers.get("location", ""))
    return response, (found.group(1) if found else None)


async def confirm(client, token: str):
    return await post_form(client, f"/imports/batch/{token}/confirm")
