"""Working days: weekdays, minus the holidays an admin enters, plus the weekend days
worked instead (调休). Deadlines end at local midnight after their last working day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portal.ledger.tables import Holiday


def is_working_day(day: dt.date, overrides: dict[dt.date, bool]) -> bool:
    """``overrides`` maps a date to whether it is worked (a holiday → False)."""
    if day in overrides:
        return overrides[day]
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int, overrides: dict[dt.date, bool]) -> dt.date:
    """The last day of a span of ``days`` working days counted from the day after
    ``start`` (0 days: ``start`` itself)."""
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, overrides):
            left -= 1
    return day


async def overrides_between(first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    rows = await Holiday.select(Holiday.date, Holiday.is_workday).where((Holiday.date >= first) & (Holiday.date <= last)).run()
    return {r["date"]: bool(r["is_workday"]) for r in rows}


async def due_after(at: dt.datetime, days: int, timezone: str) -> dt.datetime:
    """When ``days`` working days from the instant ``at`` run out (in ``timezone``)."""
    zone = ZoneInfo(timezone)
    start = at.astimezone(zone).date()
    # Long holidays (Spring Festival) fit in a window of three calendar days per working day.
    overrides = await overrides_between(start, start + dt.timedelta(days=days * 3 + 21))
    last = add_working_days(start, days, overrides)
    midnight = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)
    return midnight.astimezone(dt.timezone.utc)
