"""The head's dashboard as an XLSX workbook, a sheet per table of the page (by month,
by ledger, open by age, overdue by officer, by unit, referrals per kind of body,
satisfaction): numbers as numbers, months as dates, headers in the reader's language, and no personal data (no names of the people who
raised items, no contacts, no texts)."""

from __future__ import annotations

import datetime as dt

from portal.ledger import labels
from portal.ledger.tables import OPEN_STAGES
from portal.web.i18n import localized
from portal.web.i18n import gettext as _
from portal.web.i18n import pgettext

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ledger(row: dict) -> str:
    name = labels.LEDGERS[row["ledger"]]
    return _(name)


def _stage(code: str) -> str:
    return _(labels.STAGES[code])


async def dashboard_workbook(context: dict, timezone: str) -> bytes:
    from portal.web.xlsx import Sheet, workbook_bytes

    counts = ["int"] * 10
    satisfaction = context["satisfaction"]
    return workbook_bytes([
        Sheet(
            _("By month"),
            [_("Month"), _("Ledger"), pgettext("how many", "Filed"), pgettext("how many", "Closed"), _("Closed, satisfied"), _("Closed without confirmation"), _("Closed as duplicate or outside remit"), _("Median days to close")],
            [
                [dt.date.fromisoformat(r["month"] + "-01"), _ledger(r), r["filed"], r["closed"], r["closed_satisfied"], r["closed_unconfirmed"], r["closed_other"], r["median_days"]]
                for r in context["monthly"]
            ],
            ["month", "text", "int", "int", "int", "int", "int", "number"],
        ),
        Sheet(
            _("By ledger"),
            [_("Ledger"), pgettext("how many", "Filed"), pgettext("how many", "Closed"), _("Closed, satisfied"), _("Closed without confirmation")],
            [[_ledger(r), r["filed"], r["closed"], r["closed_satisfied"], r["closed_unconfirmed"]] for r in context["per_ledger"]],
            ["text", *counts],
        ),
        Sheet(
            _("Open by age"),
            [_("Stage"), *[_("%(range)s days", range=b) for b in context["buckets"]]],
            [[_stage(stage), *[context["by_age"][stage][b] for b in context["buckets"]]] for stage in OPEN_STAGES],
            ["text", *["int"] * len(context["buckets"])],
        ),
        Sheet(
            _("Overdue by officer"),
            [_("Accountable officer"), _("Overdue items")],
            [[r["officer"] if r["officer"] else _("Not assigned yet"), r["count"]] for r in context["overdue"]],
            ["text", "int"],
        ),
        Sheet(
            _("By unit"),
            [_("Unit"), _("Code"), pgettext("how many", "Filed"), pgettext("how many", "Open"), _("Overdue"), pgettext("how many", "Closed"), _("Closed, satisfied")],
            [[localized(r["unit"], "name") if r["unit"] else _("No district yet"), r["unit"]["code"] if r["unit"] else "", r["filed"], r["open"], r["overdue"], r["closed"], r["closed_satisfied"]] for r in context["by_part"]],
            ["text", "code", *counts],
        ),
        Sheet(
            _("Referrals to other bodies"),
            [_("Kind of body"), _("Referrals sent"), _("Answered"), _("Waiting for an answer")],
            [[_(labels.REFERRAL_BODIES[r["kind"]]), r["sent"], r["answered"], r["waiting"]] for r in context["referrals"]],
            ["text", "int", "int", "int"],
        ),
        Sheet(
            _("Satisfaction"),
            [
                _("Satisfied"), _("Satisfied, by the person's own answer"), _("Satisfied, by a callback of a colleague"),
                _("Satisfied, on the accountable officer's word (before callbacks)"), _("Not satisfied"), _("Satisfaction rate (%)"),
                _("Closed without confirmation"), _("How the rate is computed"),
            ],
            [[
                satisfaction["satisfied"], satisfaction["by_person"], satisfaction["by_callback"], satisfaction["by_officer"], satisfaction["not_satisfied"],
                satisfaction["rate"], satisfaction["unconfirmed"], _(satisfaction["how"]),
            ]],
            ["int", "int", "int", "int", "int", "number", "int", "text"],
        ),
    ])
