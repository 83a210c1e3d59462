"""Figures of the field logs for a period, per community and per station: counts by kind
and category, people helped, disputes and their outcomes, hazards open/fixed/verified,
publicity sessions and audience, patrols and their hours.

Only accepted logs count (a duplicate or a log still under review does not); the logs
waiting for review are shown beside the figures. Everything is summed by the database in
one GROUP BY; Python only files the few grouped rows under their headings. Mediation
parties are never read: a dispute counts as one, with its number of parties.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count, Sum

from portal.logs.tables import FieldLog

HAZARD_OPEN = frozenset({"reported", "confirmed", "rectification_requested", "reopened"})
RESOLVED = "resolved"
MAX_DAYS = 3700  # ten years: a longer period is refused by the form


@dataclass
class Figures:
    """The figures of one community (or of a station: the sum of its communities)."""

    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_category: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    people_helped: int = 0
    disputes: int = 0
    disputes_resolved: int = 0
    dispute_outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    mediation_parties: int = 0
    hazards_open: int = 0
    hazards_fixed: int = 0
    hazards_verified: int = 0
    publicity_sessions: int = 0
    publicity_audience: int = 0
    patrols: int = 0
    patrol_minutes: int = 0
    waiting: int = 0  # submitted or needs_info: not counted yet

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def patrol_hours(self) -> float:
        return round(self.patrol_minutes / 60, 1)

    def add(self, row: dict) -> None:
        kind, count, people = row["kind"], row["n"], row["people"] or 0
        self.by_kind[kind] += count
        if row["category"]:
            self.by_category[(kind, row["category"])] += count
        if kind == "help":
            self.people_helped += people
        elif kind == "mediation":
            self.disputes += count
            self.mediation_parties += people
            if row["outcome"]:
                self.dispute_outcomes[row["outcome"]] += count
            if row["outcome"] == RESOLVED:
                self.disputes_resolved += count
        elif kind == "hazard":
            stage = row["hazard_stage"] or "reported"
            if stage in HAZARD_OPEN:
                self.hazards_open += count
            elif stage == "fixed":
                self.hazards_fixed += count
            elif stage == "verified":
                self.hazards_verified += count
        elif kind == "publicity":
            self.publicity_sessions += count
            self.publicity_audience += people
        elif kind == "patrol":
            self.patrols += count
            self.patrol_minutes += row["minutes"] or 0


@dataclass
class Statistics:
    total: Figures
    per_community: dict[int, Figures]
    start: dt.datetime
    end: dt.datetime


def period_bounds(first: dt.date, last: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, the day after last 00:00) in the community's zone, as UTC."""
    zone = ZoneInfo(tz)
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.timezone.utc)
    return start, end


async def statistics(communities: list[int], first: dt.date, last: dt.date, tz: str = "Asia/Shanghai") -> Statistics:
    """The figures of ``communities`` for the logs that happened from ``first`` to ``last``
    (inclusive, days in ``tz``)."""
    start, end = period_bounds(first, last, tz)
    result = Statistics(Figures(), {c: Figures() for c in communities}, start, end)
    if not communities:
        return result
    in_period = (FieldLog.community.is_in(communities)) & (FieldLog.occurred_at >= start) & (FieldLog.occurred_at < end)
    grouped = (
        FieldLog.select(
            FieldLog.community, FieldLog.kind, FieldLog.category, FieldLog.outcome, FieldLog.hazard_stage,
            Count(alias="n"), Sum(FieldLog.people_count, alias="people"), Sum(FieldLog.minutes, alias="minutes"),
        )
        .where(in_period & (FieldLog.status == "accepted"))
        .group_by(FieldLog.community, FieldLog.kind, FieldLog.category, FieldLog.outcome, FieldLog.hazard_stage)
    )
    for row in await grouped.run():
        result.total.add(row)
        result.per_community[row["community"]].add(row)
    waiting = (
        FieldLog.select(FieldLog.community, Count(alias="n"))
        .where(in_period & FieldLog.status.is_in(["submitted", "needs_info"]))
        .group_by(FieldLog.community)
    )
    for row in await waiting.run():
        result.total.waiting += row["n"]
        result.per_community[row["community"]].waiting += row["n"]
    return result
