"""The head's dashboard as an XLSX workbook: numbers as numbers, months as dates,
headers in the reader's language, and no personal data (no names of the people who
raised items, no contacts, no texts)."""

from __future__ import annotations

import datetime as dt
import io

from portal.ledger import labels
from portal.ledger.tables import OPEN_STAGES
from portal.web.i18n import localized
from portal.web.i18n import gettext as _

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ledger(row: dict) -> str:
    name = labels.LEDGERS[row["ledger"]]
    return _(name)


def _stage(code: str) -> str:
    return _(labels.STAGES[code])


def _text(value: str) -> str:
    # A cell a spreadsheet would run as a formula is kept as text.
    return "'" + value if value[:1] in "=+-@" else value


async def dashboard_workbook(context: dict, timezone: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list], first: bool = False):
        page = book.active if first else book.create_sheet()
        page.title = title[:31]
        page.append(header)
        for cell in page[1]:
            cell.font = bold
        for row in rows:
            page.append(row)
        for column in page.columns:
            page.column_dimensions[column[0].column_letter].width = max(10, min(40, max(len(str(c.value or "")) for c in column) * 2))
        page.freeze_panes = "A2"
        return page

    monthly = sheet(
        _("By month"),
        [_("Month"), _("Ledger"), _("Filed"), _("Closed"), _("Closed, satisfied"), _("Closed without confirmation"), _("Closed as duplicate or outside remit"), _("Median days to close")],
        [
            [dt.date.fromisoformat(r["month"] + "-01"), _ledger(r), r["filed"], r["closed"], r["closed_satisfied"], r["closed_unconfirmed"], r["closed_other"], r["median_days"]]
            for r in context["monthly"]
        ],
        first=True,
    )
    for (cell,) in monthly.iter_rows(min_row=2, max_col=1):
        cell.number_format = "yyyy-mm"
    sheet(
        _("By ledger"),
        [_("Ledger"), _("Filed"), _("Closed"), _("Closed, satisfied"), _("Closed without confirmation")],
        [[_ledger(r), r["filed"], r["closed"], r["closed_satisfied"], r["closed_unconfirmed"]] for r in context["per_ledger"]],
    )
    sheet(
        _("Open by age"),
        [_("Stage"), *[_("%(days)s days", days=b) for b in context["buckets"]]],
        [[_stage(stage), *[context["by_age"][stage][b] for b in context["buckets"]]] for stage in OPEN_STAGES],
    )
    sheet(
        _("Overdue by officer"),
        [_("Accountable officer"), _("Overdue items")],
        [[_text(r["officer"]) if r["officer"] else _("Not assigned yet"), r["count"]] for r in context["overdue"]],
    )
    sheet(
        _("By unit"),
        [_("Unit"), _("Code"), _("Filed"), _("Open"), _("Overdue"), _("Closed"), _("Closed, satisfied")],
        [[_text(localized(r["unit"], "name")) if r["unit"] else _("No district yet"), r["unit"]["code"] if r["unit"] else "", r["filed"], r["open"], r["overdue"], r["closed"], r["closed_satisfied"]] for r in context["by_part"]],
    )
    satisfaction = context["satisfaction"]
    sheet(
        _("Satisfaction"),
        [_("Satisfied"), _("Not satisfied"), _("Satisfaction rate (%)"), _("Closed without confirmation")],
        [[satisfaction["satisfied"], satisfaction["not_satisfied"], satisfaction["rate"], context["totals"]["closed_unconfirmed"]]],
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
