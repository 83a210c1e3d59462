"""Periods of the figures pages: a preset (week, month, quarter, year) around a day, or
a custom first and last day; the same preset earlier or later (the previous period and
the trends); and what a page's query asks for, with translated field errors."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from portal.web.i18n import N_

PRESETS = ("week", "month", "quarter", "year")
PRESET_LABELS = {"week": N_("This week"), "month": N_("This month"), "quarter": N_("This quarter"), "year": N_("This year")}
PRESET_FILTER = "^(" + "|".join(PRESETS) + ")$"
LONGEST_PERIOD = dt.timedelta(days=366 * 5)


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    preset: str  # one of PRESETS, or "custom"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def preset_period(preset: str, today: dt.date) -> Period:
    """The week (Monday to Sunday), month, quarter or year that holds ``today``."""
    if preset == "week":
        first = today - dt.timedelta(days=today.weekday())
        return Period(first, first + dt.timedelta(days=6), preset)
    if preset == "quarter":
        month = 3 * ((today.month - 1) // 3) + 1
        first = dt.date(today.year, month, 1)
        last_month = month + 2
        return Period(first, dt.date(today.year, last_month, calendar.monthrange(today.year, last_month)[1]), preset)
    if preset == "year":
        return Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31), preset)
    return Period(dt.date(today.year, today.month, 1), dt.date(today.year, today.month, calendar.monthrange(today.year, today.month)[1]), "month")


def shifted(period: Period, steps: int) -> Period:
    """The same preset ``steps`` periods earlier (negative) or later."""
    if period.preset == "week":
        return preset_period("week", period.first + dt.timedelta(weeks=steps))
    months = {"month": 1, "quarter": 3, "year": 12}.get(period.preset)
    if months is None:
        length = dt.timedelta(days=period.days * steps)
        return Period(period.first + length, period.last + length, "custom")
    index = period.first.year * 12 + period.first.month - 1 + months * steps
    return preset_period(period.preset, dt.date(index // 12, index % 12 + 1, 1))


def choose_period(preset: str | None, first: str | None, last: str | None, today: dt.date, default: str = "month") -> tuple[Period, dict[str, str]]:
    """The period asked for in a page's query: a preset (around ``at`` = today by default)
    or ``from``/``to`` dates. Returns the period and the field errors (message ids, not
    yet translated); with errors the period is the default preset."""
    errors: dict[str, str] = {}
    if first or last:
        days = {}
        for name, text in (("from", first), ("to", last)):
            try:
                days[name] = dt.date.fromisoformat((text or "").strip())
            except ValueError:
                errors[name] = N_("Give the date as 2026-12-08.")
        if not errors:
            if days["from"] > days["to"]:
                errors["to"] = N_("The last day comes before the first.")
            elif days["to"] - days["from"] > LONGEST_PERIOD:
                errors["to"] = N_("Choose at most five years.")
            elif not (dt.date(2000, 1, 1) <= days["from"] and days["to"] <= dt.date(2100, 12, 31)):
                errors["from"] = N_("Choose days between 2000 and 2100.")
        if not errors:
            return Period(days["from"], days["to"], "custom"), errors
        return preset_period(default, today), errors
    return preset_period(preset if preset in PRESETS else default, today), errors


def at_day(text: str | None, today: dt.date) -> dt.date:
    """The day a preset is taken around (``at``, for the previous and next links)."""
    try:
        day = dt.date.fromisoformat((text or "")[:10])
    except ValueError:
        return today
    return day if dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31) else today


def from_to(query) -> tuple[str | None, str | None]:
    """The ``from`` and ``to`` days of a query (names a Python parameter cannot take)."""
    return (query.get("from") or "")[:40] or None, (query.get("to") or "")[:40] or None


def neighbour_links(base: str, period: Period, extra: str = "") -> dict:
    """The previous and next periods of a preset, as links."""
    if period.preset == "custom":
        return {}
    return {
        "previous": f"{base}?preset={period.preset}&at={shifted(period, -1).first.isoformat()}{extra}",
        "next": f"{base}?preset={period.preset}&at={shifted(period, 1).first.isoformat()}{extra}",
    }
