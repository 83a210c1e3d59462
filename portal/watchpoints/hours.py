"""Opening hours: a week of day rules, closed dates and "closed today", read in the
community's time zone.

A day is closed, open all day (24 h), or open from ``opens`` to ``closes``. When
``overnight`` is set the day's opening ends at ``closes`` on the next morning (a bar
open 20:00–02:00); it must then close at or before it opened. A closed date (holiday
or "closed today") closes the whole calendar day, including the hours after midnight
of an overnight opening that started the evening before.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

CLOSED, ALL_DAY, OPEN = "closed", "24h", "open"
MODES = (CLOSED, ALL_DAY, OPEN)


@dataclass(frozen=True)
class Day:
    mode: str = CLOSED
    opens: dt.time | None = None
    closes: dt.time | None = None
    overnight: bool = False

    def to_json(self) -> dict:
        if self.mode != OPEN:
            return {"mode": self.mode}
        return {"mode": OPEN, "opens": self.opens.strftime("%H:%M"), "closes": self.closes.strftime("%H:%M"), "overnight": self.overnight}

    @classmethod
    def from_json(cls, data: dict | None) -> "Day":
        if not data or data.get("mode") not in MODES:
            return cls()
        if data["mode"] != OPEN:
            return cls(mode=data["mode"])
        return cls(OPEN, dt.time.fromisoformat(data["opens"]), dt.time.fromisoformat(data["closes"]), bool(data.get("overnight")))


Week = tuple[Day, ...]  # Monday first, seven days


def problem(day: Day) -> str | None:
    """Why a day's hours are impossible (a message id), or None."""
    if day.mode != OPEN:
        return None
    if day.opens is None or day.closes is None:
        return "missing"
    if day.overnight and day.closes > day.opens:
        return "overnight_but_closes_later"
    if not day.overnight and day.closes <= day.opens:
        return "closes_before_opening"
    return None


def week_to_text(week: Week) -> str:
    return json.dumps([day.to_json() for day in week])


def week_from_text(text: str | None) -> Week:
    try:
        data = json.loads(text or "[]")
    except ValueError:
        data = []
    days = [Day.from_json(item) if isinstance(item, dict) else Day() for item in (data if isinstance(data, list) else [])]
    return tuple((days + [Day()] * 7)[:7])


# A line of closed dates: single dates (2026-02-17) or ranges (2026-02-15 – 2026-02-21, with
# a dash, "to", "~", "至" or ".." between), separated by commas, semicolons or new lines.
DATE_TEXT = r"\d{4}-\d{2}-\d{2}"
RANGE = re.compile(rf"({DATE_TEXT})\s*(?:–|—|-|~|～|to|至|\.\.)\s*({DATE_TEXT})")
LONGEST_CLOSURE = 60  # days: as many closed dates as a place may list at all


def closure_tokens(text: str | None) -> list[str]:
    """The dates and ranges written in ``text``, as written (not yet checked)."""
    tokens = []
    for part in re.split(r"[\n,;，；]+", text or ""):
        part = part.strip()
        while part:
            found = RANGE.match(part)
            token = found.group(0) if found else part.split()[0]
            tokens.append(token)
            part = part[len(token):].strip()
    return tokens


def days_of(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def date_ranges(dates) -> list[tuple[dt.date, dt.date]]:
    """Sorted dates as runs of consecutive days: [(first, last), ...]."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(dates)):
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def ranges_to_text(dates) -> str:
    """The closed dates as the form shows them: a run of days as one range a line."""
    return "\n".join(first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}" for first, last in date_ranges(dates))


def dates_from_text(text: str | None) -> frozenset[dt.date]:
    try:
        return frozenset(dt.date.fromisoformat(value) for value in json.loads(text or "[]"))
    except (ValueError, TypeError):
        return frozenset()


def local_now(at: dt.datetime, timezone: str) -> dt.datetime:
    return at.astimezone(ZoneInfo(timezone))


def is_open(week: Week, closed_dates: frozenset[dt.date] | set[dt.date], closed_today_on: dt.date | None, at: dt.datetime, timezone: str) -> bool:
    """Is the place open at the instant ``at`` (aware), read in ``timezone``?"""
    local = local_now(at, timezone)
    today, moment = local.date(), local.time()
    if today in closed_dates or today == closed_today_on:
        return False
    day = week[today.weekday()]
    if day.mode == ALL_DAY:
        return True
    if day.mode == OPEN:
        if day.overnight and moment >= day.opens:
            return True
        if not day.overnight and day.opens <= moment < day.closes:
            return True
    yesterday = week[(today.weekday() - 1) % 7]
    day_before = today - dt.timedelta(days=1)
    if day_before in closed_dates or day_before == closed_today_on:
        return False  # yesterday's opening did not happen, so neither does its tail
    # The tail of an overnight opening that began yesterday evening.
    return yesterday.mode == OPEN and yesterday.overnight and moment < yesterday.closes


def open_until(week: Week, closed_dates: frozenset[dt.date] | set[dt.date], closed_today_on: dt.date | None, at: dt.datetime, timezone: str) -> dt.time | str | None:
    """When the opening under way at ``at`` ends, in local time ("open until 22:00"):
    a time, ALL_DAY for a day open 24 hours, or None when the place is closed."""
    if not is_open(week, closed_dates, closed_today_on, at, timezone):
        return None
    local = local_now(at, timezone)
    day = week[local.date().weekday()]
    if day.mode == ALL_DAY:
        return ALL_DAY
    if day.mode == OPEN and (day.overnight and local.time() >= day.opens or not day.overnight and day.opens <= local.time() < day.closes):
        return day.closes
    return week[(local.date().weekday() - 1) % 7].closes  # the tail of last night's opening


def today_of(week: Week, at: dt.datetime, timezone: str) -> Day:
    return week[local_now(at, timezone).weekday()]
