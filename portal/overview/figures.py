"""The heads' overview: everything the articles count, for the communities a head (or an
officer) reaches, over a period and the eleven periods before it, split by the units one
level below.

Each figure is counted in the database, grouped by unit and period (never a row per log
or item comes back): one UNION query for every figure that is a count or a sum of dated
rows, one for the people active, one for the medians, one for what stands now (watch
points, boards, open and overdue items). Periods are the local days of the portal's time
zone (``PORTAL_TIMEZONE``), so a district's figures add up over its stations whatever
zone a community keeps.

Definitions (each "in the period" by the date named):
- active volunteers: people with a volunteer profile who worked a shift (checked in and
  out, or hours set by an officer; the shift's start) or wrote a log that was accepted
  (the log's time); counted once per unit and once in the total;
- volunteer hours: the hours worked on those shifts;
- patrols, hazards found, mediations, help given, publicity sessions: accepted logs of
  that kind (the time it happened); patrol hours their minutes; people helped and the
  publicity audience the people they name; mediations resolved those whose outcome is
  "resolved"; hazards fixed / verified: accepted hazards by the day they were fixed /
  verified;
- watch points verified: verification visits that found the point as registered;
- contact boards printed: boards printed or replaced in the period;
- bulletins published: community bulletins, a week counted once (not its corrections);
- home visits (the care registers): visits made by the day of the visit, and those that
  found a need (needs help, escalated to the officer or to a ledger); standing: the people
  on the registers and those whose visit is overdue (its day ended in their community);
  counts only, never a person;
- public messages: received, answered (the first answer), filed into a ledger;
- ledger: items filed; closed (every closed stage, by the day closed); satisfied by the
  person (their own answer on the tracking page, by e-mail or through Open311) and by a
  callback of someone other than the accountable officer; closed without confirmation;
  answers "not satisfied" (each reopening); callbacks recorded; referrals sent and
  answered; the median days from filing to closing of the items closed;
- reception rooms: the counters of ``portal.reception.counters`` (daily counts);
- mediation follow-ups: due (mediations not marked duplicate, by their follow-up day),
  overdue (of those, the day passed before the reading without the follow-up recorded
  by then), done and by result (by the day they happened); rectification notices:
  issued, fixed (their hazard reported fixed after the notice, by that day), overdue (by
  the deadline, passed before the reading without the fix reported by then); withdrawn
  notices are left out of fixed and overdue.
- 进建商: sessions held and the representatives who came (by the session's day),
  resolutions decided (by the session's day) and done (by the day done), under the
  community each session is recorded for;
- 联访解: pairings made (by the day paired), contacts (by their day), opinions collected
  (by the contact's day) and solved: on the spot (by the contact's day) or through the
  ledger (the item closed, or closed without confirmation, by the day closed);
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine

from portal.db import engine, fetch, true
from portal.ledger.tables import CLOSED_STAGES, LEDGERS, OPEN_STAGES, SOURCES
from portal.web.periods import Period, shifted

TREND = 12
# How the person's own answer reaches the item: the tracking page, the e-mail link, an
# Open311 update. A callback is apart; anything else was the officer's word.
BY_PERSON = ("tracking", "email", "open311")
RECEPTION_COLUMNS = ("visits", "people", "consultation", "help_request", "mediation_resolved", "emergency", "errand", "convenience", "business", "foreign_people")
JOINS = "JOIN community c ON c.id = x.community JOIN station s ON s.id = c.station LEFT JOIN district d ON d.id = s.district"


def _postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


def trend_periods(period: Period) -> list[Period]:
    """The period and the eleven before it, oldest first."""
    return [shifted(period, steps) for steps in range(-(TREND - 1), 1)]


@dataclass(frozen=True)
class Span:
    """The trend's periods as instants of the zone (for times) and as days (for dates)."""

    periods: list[Period]
    zone: str

    def starts(self) -> list[dt.datetime]:
        tz = ZoneInfo(self.zone)
        return [dt.datetime.combine(p.first, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc) for p in self.periods]

    def end(self) -> dt.datetime:
        tz = ZoneInfo(self.zone)
        return dt.datetime.combine(self.periods[-1].last + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)

    def bounds(self, dates: bool) -> list:
        """The start of each period and the end of the last, as the column compares them."""
        if not dates:
            return [*self.starts(), self.end()]
        days = [p.first for p in self.periods] + [self.periods[-1].last + dt.timedelta(days=1)]
        return days if _postgres() else [d.isoformat() for d in days]


def _bucket(column: str, span: Span, dates: bool = False) -> tuple[str, str, list]:
    """(the period index 0–11 of ``column``, the range condition, their parameters)."""
    bounds = span.bounds(dates)
    cases = " ".join(f"WHEN {column} >= {{}} THEN {n}" for n in range(TREND - 1, 0, -1))
    return f"(CASE {cases} ELSE 0 END)", f"{column} >= {{}} AND {column} < {{}}", [*reversed(bounds[1:TREND]), bounds[0], bounds[TREND]]


def _in(column: str, ids) -> str:
    if ids is None:
        return "1 = 1"
    return f"{column} IN ({','.join(str(int(i)) for i in sorted(ids)) or '0'})"


def _hours(start: str, end: str) -> str:
    if _postgres():
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"
    return f"((julianday({end}) - julianday({start})) * 24.0)"


def _quoted(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _sources(span: Span, scope, at: dt.datetime | None = None) -> list[tuple[str, list]]:
    """Every dated fact as rows of (community, period, metric, n, amount, hit)."""
    out = []
    # A date written into the statement (made here, never typed by anyone): the day the
    # figures are read, for what was overdue by then.
    today = (at or dt.datetime.now(dt.timezone.utc)).astimezone(ZoneInfo(span.zone)).date().isoformat()

    def add(sql: str, column: str, dates: bool = False) -> None:
        bucket, within, args = _bucket(column, span, dates)
        out.append((sql.format(b=bucket, within=within), args))

    add(
        "SELECT community, {b} AS b, kind AS metric, 1 AS n, "
        "CASE WHEN kind = 'patrol' THEN COALESCE(minutes, 0) / 60.0 ELSE COALESCE(people_count, 0) END AS amount, "
        "CASE WHEN kind = 'mediation' AND outcome = 'resolved' THEN 1 ELSE 0 END AS hit "
        f"FROM field_log WHERE status = 'accepted' AND {{within}} AND {_in('community', scope)}",
        "occurred_at",
    )
    for metric, column in (("hazard_fixed", "fixed_at"), ("hazard_verified", "verified_at")):
        add(f"SELECT community, {{b}} AS b, '{metric}' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM field_log "
            f"WHERE kind = 'hazard' AND status = 'accepted' AND {{within}} AND {_in('community', scope)}", column)
    worked = f"COALESCE(su.hours_override, {_hours('su.checked_in_at', 'su.checked_out_at')})"
    add(f"SELECT s.community, {{b}} AS b, 'volunteer_hours' AS metric, 1 AS n, {worked} AS amount, 0 AS hit "
        "FROM shift_signup su JOIN shift s ON s.id = su.shift WHERE (su.hours_override IS NOT NULL OR (su.checked_in_at IS NOT NULL AND su.checked_out_at IS NOT NULL)) "
        f"AND {{within}} AND {_in('s.community', scope)}", "s.starts_at")
    add(f"SELECT community, {{b}} AS b, 'filed' AS metric, 1 AS n, 0 AS amount, CASE WHEN intake IS NOT NULL THEN 1 ELSE 0 END AS hit "
        f"FROM ledger_item WHERE {{within}} AND {_in('community', scope)}", "created_at")
    add(f"SELECT community, {{b}} AS b, 'unconfirmed' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM ledger_item "
        f"WHERE stage = 'closed_unconfirmed' AND {{within}} AND {_in('community', scope)}", "closed_at")
    add(f"SELECT community, {{b}} AS b, 'closed' AS metric, 1 AS n, "
        f"CASE WHEN stage = 'closed' AND satisfaction_via IN ({_quoted(BY_PERSON)}) THEN 1 ELSE 0 END AS amount, "
        "CASE WHEN stage = 'closed' AND satisfaction_via = 'callback' THEN 1 ELSE 0 END AS hit "
        f"FROM ledger_item WHERE stage IN ({_quoted(CLOSED_STAGES)}) AND {{within}} AND {_in('community', scope)}", "closed_at")
    add(f"SELECT li.community, {{b}} AS b, 'reopened' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM ledger_event e JOIN ledger_item li ON li.id = e.item "
        f"WHERE e.kind = 'reopened' AND {{within}} AND {_in('li.community', scope)}", "e.created_at")
    add(f"SELECT li.community, {{b}} AS b, 'callbacks' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM ledger_callback cb JOIN ledger_item li ON li.id = cb.item "
        f"WHERE {{within}} AND {_in('li.community', scope)}", "cb.created_at")
    for metric, column in (("referrals_sent", "r.sent_on"), ("referrals_answered", "r.answered_on")):
        add(f"SELECT li.community, {{b}} AS b, '{metric}' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM ledger_referral r JOIN ledger_item li ON li.id = r.item "
            f"WHERE {{within}} AND {_in('li.community', scope)}", column, dates=True)
    for metric, column in (("messages", "created_at"), ("messages_answered", "answered_at")):
        add(f"SELECT community, {{b}} AS b, '{metric}' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM intake WHERE {{within}} AND {_in('community', scope)}", column)
    add(f"SELECT wp.community, {{b}} AS b, 'points_verified' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM watch_point_visit v JOIN watch_point wp ON wp.id = v.point "
        f"WHERE v.outcome = 'verified' AND {{within}} AND {_in('wp.community', scope)}", "v.visited_on", dates=True)
    add(f"SELECT community, {{b}} AS b, 'boards_printed' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM contact_board "
        f"WHERE {{within}} AND {_in('community', scope)}", "COALESCE(replaced_on, printed_on)", dates=True)
    add(f"SELECT community, {{b}} AS b, 'bulletins' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM bulletin "
        "WHERE published_at IS NOT NULL AND community IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bulletin o WHERE o.scope_key = bulletin.scope_key "
        f"AND o.week = bulletin.week AND o.version < bulletin.version AND o.published_at IS NOT NULL) AND {{within}} AND {_in('community', scope)}", "published_at")
    add(f"SELECT community, {{b}} AS b, 'care_visit' AS metric, 1 AS n, 0 AS amount, CASE WHEN outcome <> 'all_well' THEN 1 ELSE 0 END AS hit FROM care_visit "
        f"WHERE {{within}} AND {_in('community', scope)}", "visited_on", dates=True)
    # Mediation follow-ups by their due day (overdue: the day passed without the follow-up
    # recorded by then), and those recorded by the day they happened, split by result.
    add("SELECT community, {b} AS b, 'followup_due' AS metric, 1 AS n, 0 AS amount, "
        f"CASE WHEN follow_up_on < '{today}' AND NOT EXISTS (SELECT 1 FROM mediation_follow_up m WHERE m.log = field_log.id AND m.followed_up_on <= field_log.follow_up_on) "
        "THEN 1 ELSE 0 END AS hit "
        f"FROM field_log WHERE kind = 'mediation' AND status <> 'duplicate' AND {{within}} AND {_in('community', scope)}", "follow_up_on", dates=True)
    add("SELECT community, {b} AS b, CASE WHEN result = 'held' THEN 'followup_held' WHEN result = 'relapsed' THEN 'followup_relapsed' ELSE 'followup_referred' END AS metric, "
        f"1 AS n, 1 AS amount, 0 AS hit FROM mediation_follow_up WHERE {{within}} AND {_in('community', scope)}", "followed_up_on", dates=True)
    # Rectification notices: issued; fixed (their hazard reported fixed after the notice,
    # by the party or an officer); overdue by their deadline (passed, the fix not reported by then).
    add(f"SELECT community, {{b}} AS b, 'notice_issued' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM rectification_notice WHERE {{within}} AND {_in('community', scope)}", "issued_at")
    add("SELECT n.community, {b} AS b, 'notice_fixed' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM rectification_notice n JOIN field_log f ON f.id = n.log "
        f"WHERE n.withdrawn_at IS NULL AND f.fixed_at >= n.issued_at AND {{within}} AND {_in('n.community', scope)}", "f.fixed_at")
    add("SELECT n.community, {b} AS b, 'notice_overdue' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM rectification_notice n JOIN field_log f ON f.id = n.log "
        f"WHERE n.withdrawn_at IS NULL AND n.due_on < '{today}' AND (f.fixed_at IS NULL OR f.fixed_at > n.due_at) AND {{within}} AND {_in('n.community', scope)}", "n.due_on", dates=True)
    # 进建商: sessions, the representatives who came and the resolutions, by the session's day.
    add(f"SELECT community, {{b}} AS b, 'council_session' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM council_session WHERE {{within}} AND {_in('community', scope)}",
        "held_on", dates=True)
    add("SELECT s.community, {b} AS b, 'council_attendance' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM council_attendance a JOIN council_session s ON s.id = a.session "
        f"WHERE a.attended = {true()} AND {{within}} AND {_in('s.community', scope)}", "s.held_on", dates=True)
    add("SELECT s.community, {b} AS b, 'council_resolution' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM council_resolution r JOIN council_session s ON s.id = r.session "
        f"WHERE {{within}} AND {_in('s.community', scope)}", "s.held_on", dates=True)
    add("SELECT s.community, {b} AS b, 'council_done' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM council_resolution r JOIN council_session s ON s.id = r.session "
        f"WHERE r.status = 'done' AND {{within}} AND {_in('s.community', scope)}", "r.done_on", dates=True)
    # 联访解: pairings made, contacts, opinions (solved on the spot: hit), and opinions solved through the ledger.
    add(f"SELECT community, {{b}} AS b, 'pairing_made' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM pairing WHERE {{within}} AND {_in('community', scope)}", "started_on", dates=True)
    add(f"SELECT community, {{b}} AS b, 'pairing_contact' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM pairing_contact WHERE {{within}} AND {_in('community', scope)}",
        "contacted_on", dates=True)
    add(f"SELECT community, {{b}} AS b, 'pairing_opinion' AS metric, 1 AS n, 0 AS amount, CASE WHEN outcome = 'solved' THEN 1 ELSE 0 END AS hit FROM pairing_opinion "
        f"WHERE {{within}} AND {_in('community', scope)}", "contacted_on", dates=True)
    add("SELECT o.community, {b} AS b, 'pairing_solved_ledger' AS metric, 1 AS n, 0 AS amount, 0 AS hit FROM pairing_opinion o JOIN ledger_item li ON li.id = o.ledger_item "
        f"WHERE li.stage IN ('closed', 'closed_unconfirmed') AND {{within}} AND {_in('o.community', scope)}", "li.closed_at")
    return out


# What each source's (metric, column) is shown as.
FROM_SOURCE = {
    ("patrol", "n"): "patrols", ("patrol", "amount"): "patrol_hours",
    ("hazard", "n"): "hazards_found", ("hazard_fixed", "n"): "hazards_fixed", ("hazard_verified", "n"): "hazards_verified",
    ("mediation", "n"): "mediations", ("mediation", "hit"): "mediations_resolved",
    ("help", "n"): "help_given", ("help", "amount"): "people_helped",
    ("publicity", "n"): "publicity_sessions", ("publicity", "amount"): "publicity_audience",
    ("volunteer_hours", "amount"): "volunteer_hours",
    ("filed", "n"): "ledger_filed", ("filed", "hit"): "messages_filed",
    ("closed", "n"): "ledger_closed", ("closed", "amount"): "satisfied_by_person", ("closed", "hit"): "satisfied_by_callback",
    ("unconfirmed", "n"): "closed_unconfirmed", ("reopened", "n"): "not_satisfied", ("callbacks", "n"): "callbacks",
    ("referrals_sent", "n"): "referrals_sent", ("referrals_answered", "n"): "referrals_answered",
    ("messages", "n"): "messages_received", ("messages_answered", "n"): "messages_answered",
    ("points_verified", "n"): "points_verified", ("boards_printed", "n"): "boards_printed", ("bulletins", "n"): "bulletins_published",
    ("care_visit", "n"): "care_visits", ("care_visit", "hit"): "care_visits_help",
    ("followup_due", "n"): "followups_due", ("followup_due", "hit"): "followups_overdue",
    ("followup_held", "n"): "followups_held", ("followup_relapsed", "n"): "followups_relapsed", ("followup_referred", "n"): "followups_referred",
    ("followup_held", "amount"): "followups_done", ("followup_relapsed", "amount"): "followups_done", ("followup_referred", "amount"): "followups_done",
    ("notice_issued", "n"): "notices_issued", ("notice_fixed", "n"): "notices_fixed", ("notice_overdue", "n"): "notices_overdue",
    ("council_session", "n"): "sessions_held", ("council_attendance", "n"): "representatives_attending",
    ("council_resolution", "n"): "resolutions_decided", ("council_done", "n"): "resolutions_done",
    ("pairing_made", "n"): "pairings_made", ("pairing_contact", "n"): "pairing_contacts", ("pairing_opinion", "n"): "opinions_collected",
    ("pairing_opinion", "hit"): "opinions_solved", ("pairing_solved_ledger", "n"): "opinions_solved",
}
RECEPTION_METRICS = {
    "people_received": ("people",), "consultations_help": ("consultation", "help_request"), "disputes_resolved": ("mediation_resolved",),
    "emergency_rescues": ("emergency",), "errands": ("errand",), "convenience": ("convenience",), "business": ("business",),
    "foreign_visitors": ("foreign_people",), "reception_visits": ("visits",),
}


@dataclass
class Figures:
    """``series[metric]``: the 12 periods' values, oldest first (the last is the period
    asked for); ``parts[part][metric]``: the same per unit one level below; ``now`` and
    ``now_parts``: what stands at the time of reading."""

    periods: list[Period]
    series: dict[str, list[float]] = field(default_factory=dict)
    parts: dict[int | None, dict[str, list[float]]] = field(default_factory=dict)
    now: dict[str, int] = field(default_factory=dict)
    now_parts: dict[int | None, dict[str, int]] = field(default_factory=dict)

    def value(self, metric: str, index: int = -1) -> float:
        return self.series.get(metric, [0] * TREND)[index]

    def add(self, part, metric: str, index: int, value) -> None:
        self.series.setdefault(metric, [0] * TREND)[index] += value
        self.parts.setdefault(part, {}).setdefault(metric, [0] * TREND)[index] += value


async def collect(scope, part_column: str, span: Span, at: dt.datetime) -> Figures:
    """The figures of the communities ``scope`` (None: every one), split by
    ``part_column`` (an expression over ``c``, ``s`` and ``d``: community, station,
    district), over the 12 periods of ``span``."""
    figures = Figures(span.periods)
    sources = _sources(span, scope, at)
    union = " UNION ALL ".join(sql for sql, _ in sources)
    rows = await fetch(
        f"SELECT {part_column} AS part, x.b, x.metric, SUM(x.n) AS n, SUM(x.amount) AS amount, SUM(x.hit) AS hit "
        f"FROM ({union}) x {JOINS} GROUP BY {part_column}, x.b, x.metric",
        *[arg for _, args in sources for arg in args],
    )
    for row in rows:
        for column in ("n", "amount", "hit"):
            name = FROM_SOURCE.get((row["metric"], column))
            if name:
                figures.add(row["part"], name, int(row["b"]), float(row[column] or 0))
    await _reception(figures, scope, part_column, span)
    await _active_volunteers(figures, scope, part_column, span)
    await _medians(figures, scope, part_column, span)
    await _standing(figures, scope, part_column, at)
    for metric in ("patrol_hours", "volunteer_hours"):
        figures.series[metric] = [round(v, 1) for v in figures.series.get(metric, [0] * TREND)]
        for values in figures.parts.values():
            if metric in values:
                values[metric] = [round(v, 1) for v in values[metric]]
    return figures


async def _reception(figures: Figures, scope, part_column: str, span: Span) -> None:
    bucket, within, args = _bucket("day", span, dates=True)
    sums = ", ".join(f"SUM(x.{name}) AS {name}" for name in RECEPTION_COLUMNS)
    rows = await fetch(
        f"SELECT {part_column} AS part, x.b, {sums} FROM (SELECT community, {bucket} AS b, {', '.join(RECEPTION_COLUMNS)} FROM reception_daily "
        f"WHERE {within} AND {_in('community', scope)}) x {JOINS} GROUP BY {part_column}, x.b",
        *args,
    )
    for row in rows:
        for metric, columns in RECEPTION_METRICS.items():
            figures.add(row["part"], metric, int(row["b"]), sum(int(row[c] or 0) for c in columns))


async def _active_volunteers(figures: Figures, scope, part_column: str, span: Span) -> None:
    """Distinct people: per unit, and in the total (someone active in two units is one)."""
    shift_b, shift_within, shift_args = _bucket("s.starts_at", span)
    log_b, log_within, log_args = _bucket("f.occurred_at", span)
    people = (
        f"SELECT s.community, {shift_b} AS b, su.\"user\" AS person FROM shift_signup su JOIN shift s ON s.id = su.shift "
        'JOIN volunteer_profile vp ON vp."user" = su."user" '
        "WHERE (su.hours_override IS NOT NULL OR (su.checked_in_at IS NOT NULL AND su.checked_out_at IS NOT NULL)) "
        f"AND {shift_within} AND {_in('s.community', scope)} "
        f"UNION ALL SELECT f.community, {log_b} AS b, f.author AS person FROM field_log f JOIN volunteer_profile vp ON vp.\"user\" = f.author "
        f"WHERE f.status = 'accepted' AND {log_within} AND {_in('f.community', scope)}"
    )
    args = [*shift_args, *log_args]
    # The people are read once for both counts (a CTE used twice is materialised on both
    # engines): on a district's year they are most of the overview's time.
    rows = await fetch(
        f"WITH p AS (SELECT {part_column} AS part, x.b, x.person FROM ({people}) x {JOINS}) "
        "SELECT 0 AS whole, part, b, COUNT(DISTINCT person) AS n FROM p GROUP BY part, b "
        "UNION ALL SELECT 1 AS whole, NULL AS part, b, COUNT(DISTINCT person) AS n FROM p GROUP BY b",
        *args,
    )
    total = [0] * TREND
    for row in rows:
        if row["whole"]:
            total[int(row["b"])] = int(row["n"])
        else:
            figures.parts.setdefault(row["part"], {}).setdefault("active_volunteers", [0] * TREND)[int(row["b"])] = int(row["n"])
    figures.series["active_volunteers"] = total


async def _medians(figures: Figures, scope, part_column: str, span: Span) -> None:
    """Median days from filing to closing of the items closed in each period: per period
    for the trend, and per unit for the period asked for."""
    bucket, within, args = _bucket("closed_at", span)
    closed = f"SELECT community, {bucket} AS b, close_days AS v FROM ledger_item WHERE stage IN ({_quoted(CLOSED_STAGES)}) AND close_days IS NOT NULL AND {within} AND {_in('community', scope)}"
    series: list = [None] * TREND
    for row in await fetch(_median_sql(f"SELECT x.b AS g, x.v FROM ({closed}) x"), *args):
        series[int(row["g"])] = round(float(row["median"]), 1)
    figures.series["median_close_days"] = series
    for row in await fetch(_median_sql(f"SELECT {part_column} AS g, x.v FROM ({closed}) x {JOINS} WHERE x.b = {TREND - 1}"), *args):
        figures.parts.setdefault(row["g"], {})["median_close_days"] = [None] * (TREND - 1) + [round(float(row["median"]), 1)]


def _median_sql(rows: str) -> str:
    """The median of ``v`` per ``g`` of a subquery: PostgreSQL's percentile_cont; on
    SQLite the middle row(s) by ROW_NUMBER against COUNT over the group, averaged."""
    if _postgres():
        return f"SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median FROM ({rows}) r GROUP BY g"
    return (
        f"SELECT g, AVG(v) AS median FROM (SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) AS rn, COUNT(*) OVER (PARTITION BY g) AS n "
        f"FROM ({rows}) r) ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY g"
    )


async def _standing(figures: Figures, scope, part_column: str, at: dt.datetime) -> None:
    """What stands at ``at``: watch points verified, boards in place, items open and overdue,
    people on the care registers and visits overdue."""
    rows = await fetch(
        f"SELECT {part_column} AS part, x.metric, SUM(x.n) AS n FROM ("
        f"SELECT community, 'points_open' AS metric, 1 AS n FROM watch_point WHERE status = 'verified' AND {_in('community', scope)} "
        f"UNION ALL SELECT community, 'boards_in_place', 1 FROM contact_board WHERE retired_at IS NULL AND {_in('community', scope)} "
        f"UNION ALL SELECT community, CASE WHEN stage_due_at IS NOT NULL AND stage_due_at <= {{}} THEN 'overdue' ELSE 'open' END, 1 FROM ledger_item "
        f"WHERE stage IN ({_quoted(OPEN_STAGES)}) AND {_in('community', scope)} "
        f"UNION ALL SELECT community, 'care_people', 1 FROM care_person WHERE ended_on IS NULL AND {_in('community', scope)} "
        f"UNION ALL SELECT community, 'care_overdue', 1 FROM care_person WHERE ended_on IS NULL AND next_due_at <= {{}} AND {_in('community', scope)}"
        f") x {JOINS} GROUP BY {part_column}, x.metric",
        at, at,
    )
    for row in rows:
        metric = "open_items" if row["metric"] == "open" else row["metric"]
        part = figures.now_parts.setdefault(row["part"], {})
        part[metric] = part.get(metric, 0) + int(row["n"])
        figures.now[metric] = figures.now.get(metric, 0) + int(row["n"])
        if row["metric"] == "overdue":  # overdue items are open too
            part["open_items"] = part.get("open_items", 0) + int(row["n"])
            figures.now["open_items"] = figures.now.get("open_items", 0) + int(row["n"])


async def by_ledger_and_source(scope, period: Period, zone: str) -> dict:
    """Filed, closed and satisfied in the period per ledger and per source."""
    span = Span([period] * TREND, zone)
    first, end = span.starts()[0], span.end()
    satisfied = f"CASE WHEN stage = 'closed' AND satisfaction_via IN ({_quoted(BY_PERSON + ('callback',))}) THEN 1 ELSE 0 END"
    rows = await fetch(
        "SELECT ledger, source, SUM(filed) AS filed, SUM(closed) AS closed, SUM(satisfied) AS satisfied FROM ("
        f"SELECT ledger, source, 1 AS filed, 0 AS closed, 0 AS satisfied FROM ledger_item WHERE created_at >= {{}} AND created_at < {{}} AND {_in('community', scope)} "
        f"UNION ALL SELECT ledger, source, 0, 1, {satisfied} FROM ledger_item WHERE stage IN ({_quoted(CLOSED_STAGES)}) "
        f"AND closed_at >= {{}} AND closed_at < {{}} AND {_in('community', scope)}) x GROUP BY ledger, source",
        first, end, first, end,
    )
    ledgers = {name: {"filed": 0, "closed": 0, "satisfied": 0} for name in LEDGERS}
    sources = {name: {"filed": 0, "closed": 0, "satisfied": 0} for name in SOURCES}
    for row in rows:
        for table, key in ((ledgers, row["ledger"]), (sources, row["source"])):
            entry = table.setdefault(key, {"filed": 0, "closed": 0, "satisfied": 0})
            for column in ("filed", "closed", "satisfied"):
                entry[column] += int(row[column] or 0)
    return {"ledgers": ledgers, "sources": sources}
