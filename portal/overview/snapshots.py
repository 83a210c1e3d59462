"""Counts of the overview kept for a while where counting is slow.

A city's year of work is millions of rows: counted live, the overview of a city takes
seconds. A count that took ``SLOW`` or longer is kept (``overview_snapshot``) and shown
to whoever reads the same area and period within ``KEPT_FOR``, with the time it was
counted; the page offers to count again. The scheduler's ``overview.warm`` counts this
month again for every district and city head before their kept count runs out, so a
head's home page and overview open at once. Quick counts (a station, a few communities)
are never kept: their figures are always live.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass

from portal.db import Statement
from portal.overview.figures import Figures
from portal.overview.tables import OverviewSnapshot
from portal.web.periods import Period

# Counts that took this long (seconds) are kept: the time a page may take. A station's
# year counts in well under it; a district's of 100,000 logs took 0.6 s and a city's of a
# million 4.8 s (scripts/bench --province).
SLOW = 0.3
# How long a kept count is shown instead of counting again.
KEPT_FOR = dt.timedelta(minutes=20)
# The scheduler counts a head's month again once its kept count is this old; it runs
# every WARM_EVERY, so nobody waits for a count that was kept.
WARM_AFTER = dt.timedelta(minutes=10)
WARM_EVERY = dt.timedelta(minutes=15)
# Kept counts nobody read again are dropped after a day.
DROPPED_AFTER = dt.timedelta(days=1)


@dataclass
class Counted:
    """One count: the figures, the overdue items per officer, the ledgers by source, and
    when it was counted if it is a kept one (None: counted for this page)."""

    figures: Figures
    overdue: list[dict]
    breakdown: dict
    counted_at: dt.datetime | None = None


def key_of(level: str | None, scope, period: Period, zone: str) -> str:
    """The same for every reader of the same communities split the same way, period and zone."""
    area = "all" if scope is None else ",".join(str(i) for i in sorted(scope))
    text = f"{level}|{area}|{period.preset}|{period.first.isoformat()}|{period.last.isoformat()}|{zone}"
    return hashlib.sha256(text.encode()).hexdigest()


def _pairs(parts: dict) -> list:
    # JSON keys are strings: the units' ids (and None, "no district yet") kept as values.
    return [[part, values] for part, values in parts.items()]


def dump(counted: Counted) -> str:
    figures = counted.figures
    return json.dumps({
        "series": figures.series, "parts": _pairs(figures.parts), "now": figures.now, "now_parts": _pairs(figures.now_parts),
        "overdue": counted.overdue, "breakdown": counted.breakdown,
    }, separators=(",", ":"))


def load(payload: str, periods: list[Period], counted_at: dt.datetime) -> Counted:
    data = json.loads(payload)
    figures = Figures(
        periods, series=data["series"], parts={part: values for part, values in data["parts"]},
        now=data["now"], now_parts={part: values for part, values in data["now_parts"]},
    )
    return Counted(figures, data["overdue"], data["breakdown"], counted_at)


_KEPT = Statement(lambda p: OverviewSnapshot.select(OverviewSnapshot.counted_at, OverviewSnapshot.payload).where(
    (OverviewSnapshot.key == p.key) & (OverviewSnapshot.counted_at > p.since)
).first())


async def kept(key: str, periods: list[Period], since: dt.datetime) -> Counted | None:
    """The count kept under ``key`` if it was counted after ``since``."""
    row = await _KEPT.run(key=key, since=since)
    return load(row["payload"], periods, row["counted_at"]) if row else None


async def keep(key: str, counted: Counted, at: dt.datetime, seconds: float) -> None:
    await OverviewSnapshot.insert(OverviewSnapshot(key=key, counted_at=at, seconds=seconds, payload=dump(counted))).on_conflict(
        target=OverviewSnapshot.key, action="DO UPDATE", values=[OverviewSnapshot.counted_at, OverviewSnapshot.seconds, OverviewSnapshot.payload],
    ).run()


async def counted_or_kept(key: str, periods: list[Period], moment: dt.datetime, count, fresh: bool = False) -> Counted:
    """The kept count under ``key`` if it is recent (unless ``fresh``), else ``count()``'s,
    kept when it was slow."""
    if not fresh:
        found = await kept(key, periods, moment - KEPT_FOR)
        if found:
            return found
    started = time.monotonic()
    result = await count()
    seconds = time.monotonic() - started
    if seconds >= SLOW:
        await keep(key, result, moment, seconds)
    return result


async def drop_old(now: dt.datetime) -> int:
    rows = await OverviewSnapshot.delete().where(OverviewSnapshot.counted_at < now - DROPPED_AFTER).returning(OverviewSnapshot.id).run()
    return len(rows)
