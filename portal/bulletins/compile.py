"""The figures of a week, aggregated in the database for many communities at once.

Each section is ONE query (per time zone) that groups by community, so compiling 500
communities costs the same number of queries as compiling one; the rows that come back
are already counted (per community, week and category), never the logs themselves.
Weeks run Monday 00:00 to Monday 00:00 in the community's zone; communities are grouped
by zone so each group shares one UTC window.

Confidential data never enters the figures: mediation parties are never read, and of
ledger items only the number, category, public summary and generalised place are.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from piccolo.engine.sqlite import SQLiteEngine

from portal.db import engine
from portal.logs.places import is_position
from portal.logs.tables import OUTCOMES

TREND_WEEKS = 12
HOTSPOT_MIN = 3  # counts under this are not shown, so nobody is identifiable
HOTSPOTS_SHOWN = 5
THANKS_SHOWN = 5
COMING_UP_SHOWN = 8
YOU_SAID_SHOWN = 5
EVENING = (dt.time(18, 0), dt.time(23, 59, 59))
CLOSED_COUNTED = ("closed", "closed_unconfirmed", "closed_out_of_remit")

# (key, source metric, value column): what the "counts" section shows, in order.
COUNTS = (
    ("patrols", "patrol", "n"),
    ("patrol_hours", "patrol", "minutes"),
    ("hazards_found", "hazard", "n"),
    ("hazards_fixed", "hazard_fixed", "n"),
    ("hazards_verified", "hazard_verified", "n"),
    ("mediations", "mediation", "n"),
    # Mediations by outcome: one line per code of ``OUTCOMES`` (the first, "resolved", is
    # the line bulletins compiled before the other outcomes were counted also have).
    *((f"mediations_{outcome}", "mediation", outcome) for outcome in OUTCOMES),
    ("help_given", "help", "n"),
    ("people_helped", "help", "people"),
    ("publicity_sessions", "publicity", "n"),
    ("publicity_audience", "publicity", "people"),
    ("ledger_filed", "ledger_filed", "n"),
    ("ledger_closed", "ledger_closed", "n"),
)
# Metrics whose categories are listed under the counts.
CATEGORY_METRICS = ("hazard", "help", "mediation", "publicity", "ledger_filed")


@dataclass(frozen=True)
class Window:
    """A week in one time zone, as UTC instants."""

    week: str
    monday: dt.date
    zone: str
    start: dt.datetime
    end: dt.datetime
    origin: dt.datetime  # start of the first week of the trend

    @classmethod
    def of(cls, week: str, monday: dt.date, zone: str) -> "Window":
        tz = ZoneInfo(zone)
        start = local_midnight(monday, tz)
        return cls(week, monday, zone, start, local_midnight(monday + dt.timedelta(days=7), tz), local_midnight(monday - dt.timedelta(weeks=TREND_WEEKS - 1), tz))

    def week_starts(self) -> list[dt.datetime]:
        """The UTC instant of each trend week's local Monday midnight, oldest first."""
        tz = ZoneInfo(self.zone)
        return [local_midnight(self.monday - dt.timedelta(weeks=TREND_WEEKS - 1 - n), tz) for n in range(TREND_WEEKS)]

    def evenings(self) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
        tz = ZoneInfo(self.zone)
        days = [self.monday + dt.timedelta(days=n) for n in range(7)]
        return [(d, dt.datetime.combine(d, EVENING[0], tzinfo=tz).astimezone(dt.timezone.utc), dt.datetime.combine(d, EVENING[1], tzinfo=tz).astimezone(dt.timezone.utc)) for d in days]

    def next_week(self) -> tuple[dt.datetime, dt.datetime]:
        tz = ZoneInfo(self.zone)
        return self.end, local_midnight(self.monday + dt.timedelta(days=14), tz)


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)


@dataclass
class Compiled:
    """The figures of one community, plus what the station roll-up needs and never stores."""

    community_id: int
    station_id: int
    figures: dict
    close_hours: list[float] = field(default_factory=list)
    # The week's reception-room counts in full: summed by the roll-ups, stored only hidden.
    reception: dict = field(default_factory=dict)
    # The week's home-visit counts in full (the same: summed, stored only hidden).
    care: dict = field(default_factory=dict)


# --- dialect: the few expressions SQLite and PostgreSQL spell differently ---


def _postgres() -> bool:
    return not isinstance(engine(), SQLiteEngine)


def _moment() -> str:
    """A placeholder for an instant passed as a parameter."""
    return "CAST({} AS TIMESTAMPTZ)" if _postgres() else "{}"


def _week_index(column: str, w: "Window") -> tuple[str, list]:
    """The trend week (0 … 11) ``column`` falls in, and the parameters it takes.

    In a zone without daylight saving in the trend every week is 604,800 s long and the
    index is arithmetic from the trend's origin; where the clocks change in between (a
    week of 167 or 169 hours) it is read against each week's local Monday midnight, so a
    report in the last hour of a week is not counted in the next."""
    starts = w.week_starts()
    if all(b - a == dt.timedelta(weeks=1) for a, b in zip(starts, starts[1:] + [w.end])):
        if _postgres():
            return f"CAST(FLOOR(EXTRACT(EPOCH FROM ({column} - CAST({{}} AS TIMESTAMPTZ))) / 604800) AS INTEGER)", [w.origin]
        return f"CAST((julianday({column}) - julianday({{}})) / 7.0 AS INTEGER)", [w.origin]
    m = _moment()
    cases = " ".join(f"WHEN {column} >= {m} THEN {n}" for n in range(TREND_WEEKS - 1, 0, -1))
    return f"(CASE {cases} ELSE 0 END)", list(reversed(starts[1:]))


def _hours(start: str, end: str) -> str:
    if _postgres():
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"
    return f"((julianday({end}) - julianday({start})) * 24.0)"


def _ids(ids: list[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "0"


async def _rows(sql: str, *args) -> list[dict]:
    from portal.bulletins.tables import Bulletin

    return await Bulletin.raw(sql, *args).run()


# --- the sections: one query each, for every community of the window ---


async def communities(ids: list[int] | None, stations: list[int] | None = None) -> list[dict]:
    """The communities ``ids`` (None: all), or every community of the ``stations``."""
    where = "" if ids is None else f"WHERE c.id IN ({_ids(ids)})"
    if stations is not None:
        where = f"WHERE c.station IN ({_ids(stations)})"
    return await _rows(
        "SELECT c.id, c.code, c.name_zh, c.name_en, c.timezone, c.created_at, c.station, s.name_zh AS station_name_zh, "
        "s.name_en AS station_name_en, s.phone AS station_phone, s.district, d.city "
        f"FROM community c JOIN station s ON s.id = c.station LEFT JOIN district d ON d.id = s.district {where} ORDER BY c.id"
    )


async def counts(w: Window, ids: list[int]) -> dict[int, dict]:
    """{community: {metric: {category: {value column: [12 weekly values]}}}}."""
    cs, m = _ids(ids), _moment()
    index, index_args = _week_index("occurred_at", w)
    logs = (
        f"SELECT community, kind AS metric, category, {index} AS b, COUNT(*) AS n, "
        "SUM(COALESCE(people_count, 0)) AS people, SUM(COALESCE(minutes, 0)) AS minutes, "
        + ", ".join(f"SUM(CASE WHEN kind = 'mediation' AND outcome = '{outcome}' THEN 1 ELSE 0 END) AS {outcome}" for outcome in OUTCOMES) + " "
        f"FROM field_log WHERE status = 'accepted' AND occurred_at >= {m} AND occurred_at < {m} AND community IN ({cs}) "
        "GROUP BY community, kind, category, b"
    )

    no_outcomes = ", ".join(f"0 AS {outcome}" for outcome in OUTCOMES)

    def dated(metric: str, table: str, column: str, condition: str, category: str = "category") -> tuple[str, list]:
        index, index_args = _week_index(column, w)
        return (
            f"SELECT community, '{metric}' AS metric, {category} AS category, {index} AS b, COUNT(*) AS n, 0 AS people, 0 AS minutes, {no_outcomes} "
            f"FROM {table} WHERE {condition} AND {column} >= {m} AND {column} < {m} AND community IN ({cs}) GROUP BY community, {category}, b"
        ), [*index_args, w.origin, w.end]

    closed = ",".join(f"'{s}'" for s in CLOSED_COUNTED)
    parts = [
        (logs, [*index_args, w.origin, w.end]),
        dated("hazard_fixed", "field_log", "fixed_at", "kind = 'hazard' AND status = 'accepted'"),
        dated("hazard_verified", "field_log", "verified_at", "kind = 'hazard' AND status = 'accepted'"),
        dated("ledger_filed", "ledger_item", "created_at", "1 = 1", "ledger"),
        dated("ledger_closed", "ledger_item", "closed_at", f"stage IN ({closed})", "ledger"),
    ]
    args = [arg for _, part_args in parts for arg in part_args]
    result: dict[int, dict] = {}
    for row in await _rows(" UNION ALL ".join(sql for sql, _ in parts), *args):
        b = int(row["b"])
        if not 0 <= b < TREND_WEEKS:
            continue
        cell = result.setdefault(row["community"], {}).setdefault(row["metric"], {}).setdefault(row["category"] or "", {})
        for column in ("n", "people", "minutes", *OUTCOMES):
            cell.setdefault(column, [0] * TREND_WEEKS)[b] += int(row[column] or 0)
    return result


async def hotspots(w: Window, ids: list[int]) -> dict[int, list[dict]]:
    """Places with at least three hazards and help requests together: watch points,
    landmarks, and for logs at neither the generalised place of their address (a street
    or area, never a door: ``field_log.place``), shown by that name in both languages; for
    a log with only a position that place is a grid cell, marked ``near`` to be shown as
    "near …" in the reader's language."""
    m = _moment()
    place = "CASE WHEN watch_point IS NULL AND landmark IS NULL THEN place ELSE '' END"
    rows = await _rows(
        "SELECT g.community, g.watch_point, g.landmark, g.place, g.hazards, g.help, g.total, wp.name_zh AS point_zh, wp.name_en AS point_en, "
        "lm.name_zh AS landmark_zh, lm.name_en AS landmark_en FROM ("
        f"SELECT community, watch_point, landmark, {place} AS place, SUM(CASE WHEN kind = 'hazard' THEN 1 ELSE 0 END) AS hazards, "
        "SUM(CASE WHEN kind = 'help' THEN 1 ELSE 0 END) AS help, COUNT(*) AS total FROM field_log "
        f"WHERE status = 'accepted' AND kind IN ('hazard', 'help') AND occurred_at >= {m} AND occurred_at < {m} "
        f"AND community IN ({_ids(ids)}) AND (watch_point IS NOT NULL OR landmark IS NOT NULL OR place <> '') "
        f"GROUP BY community, watch_point, landmark, {place} HAVING COUNT(*) >= {HOTSPOT_MIN}) g "
        "LEFT JOIN watch_point wp ON wp.id = g.watch_point LEFT JOIN landmark lm ON lm.id = g.landmark "
        "ORDER BY g.community, g.total DESC, g.watch_point, g.landmark, g.place",
        w.start, w.end,
    )
    result: dict[int, list[dict]] = {}
    for row in rows:
        places = result.setdefault(row["community"], [])
        if len(places) >= HOTSPOTS_SHOWN:
            continue
        if row["watch_point"] is not None:
            name_zh, name_en = row["point_zh"], row["point_en"] or ""
        elif row["landmark"] is not None:
            name_zh, name_en = row["landmark_zh"], row["landmark_en"] or ""
        else:
            name_zh = name_en = row["place"]
        places.append({
            "name_zh": name_zh,
            "name_en": name_en,
            "total": int(row["total"]),
            # A count under the threshold is dropped here, before it is ever stored.
            "hazards": int(row["hazards"]) if int(row["hazards"]) >= HOTSPOT_MIN else None,
            "help": int(row["help"]) if int(row["help"]) >= HOTSPOT_MIN else None,
        })
        if row["watch_point"] is None and row["landmark"] is None and is_position(row["place"]):
            places[-1]["near"] = True
    return result


async def ledger_health(w: Window, ids: list[int]) -> tuple[dict[int, dict], dict[int, list[float]]]:
    """Open items by age at the week's end, overdue, closures and satisfaction."""
    m, cs = _moment(), _ids(ids)
    closed = ",".join(f"'{s}'" for s in CLOSED_COUNTED)
    day = dt.timedelta(days=1)
    rows = await _rows(
        "SELECT community, "
        f"SUM(CASE WHEN created_at >= {m} THEN 1 ELSE 0 END) AS age_0_2, "
        f"SUM(CASE WHEN created_at < {m} AND created_at >= {m} THEN 1 ELSE 0 END) AS age_3_7, "
        f"SUM(CASE WHEN created_at < {m} AND created_at >= {m} THEN 1 ELSE 0 END) AS age_8_30, "
        f"SUM(CASE WHEN created_at < {m} THEN 1 ELSE 0 END) AS age_30, "
        f"SUM(CASE WHEN stage_due_at IS NOT NULL AND stage_due_at < {m} THEN 1 ELSE 0 END) AS overdue "
        f"FROM ledger_item WHERE created_at < {m} AND (closed_at IS NULL OR closed_at >= {m}) AND community IN ({cs}) GROUP BY community",
        w.end - 2 * day, w.end - 2 * day, w.end - 7 * day, w.end - 7 * day, w.end - 30 * day, w.end - 30 * day, w.end, w.end, w.end,
    )
    result: dict[int, dict] = {}
    for row in rows:
        result[row["community"]] = {"open": {k: int(row[k] or 0) for k in ("age_0_2", "age_3_7", "age_8_30", "age_30")}, "overdue": int(row["overdue"] or 0)}
    closes = await _rows(
        f"SELECT community, {_hours('created_at', 'closed_at')} AS hours, satisfaction, stage FROM ledger_item "
        f"WHERE stage IN ({closed}) AND closed_at >= {m} AND closed_at < {m} AND community IN ({cs})",
        w.start, w.end,
    )
    durations: dict[int, list[float]] = {}
    for row in closes:
        entry = result.setdefault(row["community"], {"open": {"age_0_2": 0, "age_3_7": 0, "age_8_30": 0, "age_30": 0}, "overdue": 0})
        entry["closed"] = entry.get("closed", 0) + 1
        entry["satisfied"] = entry.get("satisfied", 0) + (1 if row["satisfaction"] == "satisfied" and row["stage"] == "closed" else 0)
        durations.setdefault(row["community"], []).append(float(row["hours"] or 0))
    for community, hours in durations.items():
        result[community]["median_close_days"] = round(statistics.median(hours) / 24, 1)
    # "You said, we did": suggestions settled to the person's satisfaction this week, public text only.
    said = await _rows(
        "SELECT community, number, category, public_summary, place_public FROM ("
        "SELECT community, number, category, public_summary, place_public, "
        "ROW_NUMBER() OVER (PARTITION BY community ORDER BY closed_at, id) AS rn FROM ledger_item "
        f"WHERE ledger = 'suggestion' AND stage = 'closed' AND private = {'FALSE' if _postgres() else '0'} "
        f"AND closed_at >= {m} AND closed_at < {m} AND community IN ({cs})) t WHERE rn <= {YOU_SAID_SHOWN} ORDER BY community, rn",
        w.start, w.end,
    )
    for row in said:
        entry = result.setdefault(row["community"], {"open": {"age_0_2": 0, "age_3_7": 0, "age_8_30": 0, "age_30": 0}, "overdue": 0})
        entry.setdefault("you_said", []).append({"number": row["number"], "category": row["category"], "summary": row["public_summary"], "place": row["place_public"]})
    return result, durations


async def coverage(w: Window, ids: list[int]) -> dict[int, dict]:
    """Shifts filled and unfilled, patrol hours by route, evenings without any patrol."""
    m, cs = _moment(), _ids(ids)
    result: dict[int, dict] = {}
    for row in await _rows(
        "SELECT community, SUM(CASE WHEN taken >= min_people THEN 1 ELSE 0 END) AS filled, SUM(CASE WHEN taken < min_people THEN 1 ELSE 0 END) AS unfilled "
        f"FROM shift WHERE status = 'open' AND starts_at >= {m} AND starts_at < {m} AND community IN ({cs}) GROUP BY community",
        w.start, w.end,
    ):
        result[row["community"]] = {"filled": int(row["filled"] or 0), "unfilled": int(row["unfilled"] or 0), "routes": [], "gaps": []}
    worked = f"COALESCE(su.hours_override, {_hours('su.checked_in_at', 'su.checked_out_at')})"
    for row in await _rows(
        f"SELECT s.community, k.name, k.name_en, SUM({worked}) AS hours FROM shift_signup su JOIN shift s ON s.id = su.shift JOIN shift_kind k ON k.id = s.kind "
        f"WHERE k.kind = 'patrol' AND s.starts_at >= {m} AND s.starts_at < {m} AND s.community IN ({cs}) "
        "AND (su.hours_override IS NOT NULL OR (su.checked_in_at IS NOT NULL AND su.checked_out_at IS NOT NULL)) "
        "GROUP BY s.community, k.id, k.name, k.name_en ORDER BY s.community, hours DESC",
        w.start, w.end,
    ):
        entry = result.setdefault(row["community"], {"filled": 0, "unfilled": 0, "routes": [], "gaps": []})
        entry["routes"].append({"name": row["name"], "name_en": row["name_en"] or "", "hours": round(float(row["hours"] or 0), 1)})
    evenings = w.evenings()
    columns = ", ".join(f"SUM(CASE WHEN a < {m} AND b > {m} THEN 1 ELSE 0 END) AS e{n}" for n in range(len(evenings)))
    checked_in = "EXISTS (SELECT 1 FROM shift_signup su WHERE su.shift = s.id AND su.checked_in_at IS NOT NULL)"
    args: list = []
    for _, start, end in evenings:
        args += [end, start]
    args += [w.start, w.end, w.start, w.end]
    rows = await _rows(
        f"SELECT community, {columns} FROM ("
        f"SELECT s.community, s.starts_at AS a, s.ends_at AS b FROM shift s JOIN shift_kind k ON k.id = s.kind WHERE k.kind = 'patrol' "
        f"AND s.status = 'open' AND s.starts_at >= {m} AND s.starts_at < {m} AND s.community IN ({cs}) AND {checked_in} "
        "UNION ALL SELECT community, occurred_at AS a, COALESCE(ended_at, occurred_at) AS b FROM field_log "
        f"WHERE kind = 'patrol' AND status = 'accepted' AND occurred_at >= {m} AND occurred_at < {m} AND community IN ({cs})) p GROUP BY community",
        *args,
    )
    patrolled = {row["community"]: row for row in rows}
    for community, entry in result.items():
        row = patrolled.get(community) or {}
        entry["gaps"] = [day.isoformat() for n, (day, _, _) in enumerate(evenings) if not int(row.get(f"e{n}") or 0)]
    for community, row in patrolled.items():
        if community not in result:  # patrols logged without shifts
            result[community] = {"filled": 0, "unfilled": 0, "routes": [], "gaps": [d.isoformat() for n, (d, _, _) in enumerate(evenings) if not int(row.get(f"e{n}") or 0)]}
    return result


async def watch_points(w: Window, ids: list[int]) -> dict[int, dict]:
    """Points verified for the first time, suspended, or given new hours this week."""
    m, cs = _moment(), _ids(ids)
    rows = await _rows(
        "SELECT wp.community, wp.id, wp.name_zh, wp.name_en, 'new' AS what FROM watch_point wp JOIN ("
        "SELECT point, MIN(created_at) AS first FROM watch_point_visit WHERE outcome = 'verified' GROUP BY point) v ON v.point = wp.id "
        f"WHERE v.first >= {m} AND v.first < {m} AND wp.community IN ({cs}) "
        "UNION SELECT wp.community, wp.id, wp.name_zh, wp.name_en, a.action AS what FROM audit_entry a JOIN watch_point wp ON a.object_id = CAST(wp.id AS TEXT) "
        "WHERE a.object_type = 'watchpoint' AND a.action IN ('watchpoint.suspended', 'watchpoint.hours') "
        f"AND a.at >= {m} AND a.at < {m} AND wp.community IN ({cs}) ORDER BY community, id",
        w.start, w.end, w.start, w.end,
    )
    names = {"new": "new", "watchpoint.suspended": "closed", "watchpoint.hours": "hours_changed"}
    result: dict[int, dict] = {}
    for row in rows:
        bucket = result.setdefault(row["community"], {"new": [], "closed": [], "hours_changed": []})[names[row["what"]]]
        bucket.append({"id": row["id"], "name_zh": row["name_zh"], "name_en": row["name_en"] or ""})
    return result


async def reception(w: Window, ids: list[int]) -> dict[int, dict]:
    """{community: the week's reception-room column sums} (Monday to Sunday, local days),
    read from the daily counts."""
    from portal.reception.counters import weekly_by_community

    return await weekly_by_community(ids, w.monday)


def reception_figures(sums: dict) -> dict:
    """The articles' counters of a week's sums as stored in a bulletin: a count under
    ``HOTSPOT_MIN`` is None (not shown), and a week without visits is {}."""
    from portal.reception.counters import COUNTERS, counters_of

    if not sums or not sums.get("visits"):
        return {}
    counted = counters_of(sums)
    return {key: counted[key] if counted[key] >= HOTSPOT_MIN else None for key in (*COUNTERS, "visits")}


async def care(w: Window, ids: list[int]) -> dict[int, dict]:
    """{community: {"visits": home visits made in the week, "people": people on the care
    register during the week}}: counts only, the register's people are never read."""
    m, cs = _moment(), _ids(ids)
    day = (lambda d: d) if _postgres() else (lambda d: d.isoformat())
    rows = await _rows(
        "SELECT community, SUM(v) AS visits, SUM(p) AS people FROM ("
        f"SELECT community, 1 AS v, 0 AS p FROM care_visit WHERE visited_on >= {{}} AND visited_on < {{}} AND community IN ({cs}) "
        f"UNION ALL SELECT community, 0, 1 FROM care_person WHERE created_at < {m} AND (ended_on IS NULL OR ended_on >= {{}}) AND community IN ({cs})"
        ") x GROUP BY community",
        day(w.monday), day(w.monday + dt.timedelta(days=7)), w.end, day(w.monday),
    )
    return {row["community"]: {"visits": int(row["visits"] or 0), "people": int(row["people"] or 0)} for row in rows}


def care_figures(sums: dict) -> dict:
    """A week's home-visit counts as stored in a bulletin: under ``HOTSPOT_MIN`` None (not
    shown: a handful of people could be told apart), nothing at all for an empty week."""
    if not sums or not (sums.get("visits") or sums.get("people")):
        return {}
    return {key: sums.get(key, 0) if sums.get(key, 0) >= HOTSPOT_MIN else None for key in ("visits", "people")}


async def thanks(w: Window, ids: list[int]) -> dict[int, list[dict]]:
    """The volunteers with the most hours this week among those who agreed to be named."""
    m, cs = _moment(), _ids(ids)
    worked = f"COALESCE(su.hours_override, {_hours('su.checked_in_at', 'su.checked_out_at')})"
    named = "TRUE" if _postgres() else "1"
    rows = await _rows(
        "SELECT community, real_name, hours FROM (SELECT community, real_name, hours, "
        "ROW_NUMBER() OVER (PARTITION BY community ORDER BY hours DESC, uid) AS rn FROM ("
        f"SELECT s.community, u.id AS uid, u.real_name, SUM({worked}) AS hours FROM shift_signup su JOIN shift s ON s.id = su.shift "
        'JOIN portal_user u ON u.id = su."user" JOIN volunteer_profile vp ON vp."user" = su."user" '
        f"WHERE vp.may_be_named = {named} AND vp.status = 'verified' AND s.starts_at >= {m} AND s.starts_at < {m} AND s.community IN ({cs}) "
        "AND (su.hours_override IS NOT NULL OR (su.checked_in_at IS NOT NULL AND su.checked_out_at IS NOT NULL)) "
        f"GROUP BY s.community, u.id, u.real_name) g WHERE hours > 0) t WHERE rn <= {THANKS_SHOWN} ORDER BY community, rn",
        w.start, w.end,
    )
    result: dict[int, list[dict]] = {}
    for row in rows:
        result.setdefault(row["community"], []).append({"name": row["real_name"], "hours": round(float(row["hours"]), 1)})
    return result


async def coming_up(w: Window, ids: list[int]) -> dict[int, list[dict]]:
    """Next week's shifts below their minimum of people."""
    m, cs = _moment(), _ids(ids)
    start, end = w.next_week()
    rows = await _rows(
        "SELECT community, id, name, name_en, starts_at, ends_at, missing FROM (SELECT s.community, s.id, k.name, k.name_en, s.starts_at, s.ends_at, "
        "s.min_people - s.taken AS missing, ROW_NUMBER() OVER (PARTITION BY s.community ORDER BY s.starts_at, s.id) AS rn "
        "FROM shift s JOIN shift_kind k ON k.id = s.kind "
        f"WHERE s.status = 'open' AND s.taken < s.min_people AND s.starts_at >= {m} AND s.starts_at < {m} AND s.community IN ({cs})) t "
        f"WHERE rn <= {COMING_UP_SHOWN} ORDER BY community, rn",
        start, end,
    )
    result: dict[int, list[dict]] = {}
    for row in rows:
        result.setdefault(row["community"], []).append({
            "shift": row["id"], "name": row["name"], "name_en": row["name_en"] or "", "starts_at": _iso(row["starts_at"]), "ends_at": _iso(row["ends_at"]), "missing": int(row["missing"]),
        })
    return result


async def officers(ids: list[int]) -> dict[int, list[dict]]:
    rows = await _rows(
        'SELECT rg.community, u.real_name, u.phone FROM role_grant rg JOIN portal_user u ON u.id = rg."user" '
        f"WHERE rg.role = 'officer' AND u.active = {'TRUE' if _postgres() else '1'} AND rg.community IN ({_ids(ids)}) ORDER BY rg.community, u.id"
    )
    result: dict[int, list[dict]] = {}
    for row in rows:
        result.setdefault(row["community"], []).append({"name": row["real_name"], "phone": row["phone"] or ""})
    return result


async def tips() -> list[dict]:
    from portal.bulletins.tables import Tip

    return await Tip.select(Tip.id, Tip.category, Tip.text_zh, Tip.text_en, Tip.always).where(Tip.active == True).order_by(Tip.id).run()  # noqa: E712


def _iso(value) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat()


# --- assembling the figures ---

# Log categories → the tip categories that answer them.
TIP_FOR = {
    ("hazard", "fire_exit"): "fire", ("hazard", "electrical"): "fire", ("hazard", "gas"): "fire",
    ("hazard", "stairwell"): "stairwell", ("hazard", "traffic"): "traffic", ("hazard", "lighting"): "theft",
    ("help", "lost_elderly"): "elderly", ("help", "lost_child"): "children", ("help", "drunk"): "general",
    ("help", "lost_property"): "theft", ("mediation", "neighbours"): "dispute", ("mediation", "family"): "dispute",
    ("mediation", "property"): "dispute", ("publicity", "anti_fraud"): "fraud",
}


def _summary(series: list[int | float]) -> dict:
    return {"this": series[-1], "last": series[-2], "avg4": round(sum(series[-5:-1]) / 4, 1), "trend": series}


def figure_counts(raw: dict) -> tuple[list[dict], list[dict]]:
    """The counts section (totals with trend) and the per-category lines."""
    totals = []
    for key, metric, column in COUNTS:
        series = [0] * TREND_WEEKS
        for cell in raw.get(metric, {}).values():
            for n, value in enumerate(cell.get(column, [])):
                series[n] += value
        if column == "minutes":
            series = [round(v / 60, 1) for v in series]
        totals.append({"key": key, **_summary(series)})
    categories = []
    for metric in CATEGORY_METRICS:
        for category, cell in sorted(raw.get(metric, {}).items()):
            line = {"metric": metric, "category": category, **_summary(cell["n"])}
            line.pop("trend")
            if line["this"] or line["last"] or line["avg4"]:
                categories.append(line)
    return totals, categories


def choose_tips(categories: list[dict], library: list[dict], week_number: int) -> list[dict]:
    """Tips for the categories that rose above their 4-week average, and one always-on tip."""
    rising = []
    for line in categories:
        tip_category = TIP_FOR.get((line["metric"], line["category"]))
        if tip_category and line["this"] > line["avg4"] and tip_category not in rising:
            rising.append(tip_category)
    chosen = []
    for category in rising:
        pool = [t for t in library if t["category"] == category and not t["always"]]
        if pool:
            chosen.append(pool[week_number % len(pool)] | {"reason": category})
    always = [t for t in library if t["always"]]
    if always:
        chosen.append(always[week_number % len(always)] | {"reason": "always"})
    return [{"category": t["category"], "text_zh": t["text_zh"], "text_en": t["text_en"], "rising": t["reason"] != "always"} for t in chosen]


async def compile_window(w: Window, community_rows: list[dict]) -> list[Compiled]:
    """The figures of every community in ``community_rows`` (all in the zone of ``w``)."""
    ids = [c["id"] for c in community_rows]
    raw_counts = await counts(w, ids)
    spots = await hotspots(w, ids)
    ledger, durations = await ledger_health(w, ids)
    cover = await coverage(w, ids)
    points = await watch_points(w, ids)
    thanked = await thanks(w, ids)
    upcoming = await coming_up(w, ids)
    contacts = await officers(ids)
    desk = await reception(w, ids)
    cared = await care(w, ids)
    library = await tips()
    week_number = w.monday.isocalendar()[1]
    compiled = []
    for c in community_rows:
        totals, categories = figure_counts(raw_counts.get(c["id"], {}))
        compiled.append(Compiled(c["id"], c["station"], {
            "scope": "community",
            "week": w.week,
            "starts_on": w.monday.isoformat(),
            "ends_on": (w.monday + dt.timedelta(days=6)).isoformat(),
            "timezone": w.zone,
            "community": {"id": c["id"], "code": c["code"], "name_zh": c["name_zh"], "name_en": c["name_en"] or ""},
            "station": {"id": c["station"], "name_zh": c["station_name_zh"], "name_en": c["station_name_en"] or "", "phone": c["station_phone"] or ""},
            "counts": totals,
            "categories": categories,
            "hotspots": spots.get(c["id"], []),
            "ledger": ledger.get(c["id"], {}),
            "tips": choose_tips(categories, library, week_number),
            "coverage": cover.get(c["id"], {}),
            "watchpoints": points.get(c["id"], {}),
            "reception": reception_figures(desk.get(c["id"], {})),
            "care": care_figures(cared.get(c["id"], {})),
            "thanks": thanked.get(c["id"], []),
            "coming_up": upcoming.get(c["id"], []),
            "contacts": {"emergency": "110", "officers": contacts.get(c["id"], []), "station_phone": c["station_phone"] or ""},
        }, durations.get(c["id"], []), desk.get(c["id"], {}), care=cared.get(c["id"], {})))
    return compiled


def station_zone(members: list[dict]) -> str:
    """The time zone of a station's roll-up, whose week runs Monday to Monday there and
    which is compiled at Monday 06:00 there: stations have no zone of their own, so it is
    the zone most of its communities use; on a tie, the zone of its oldest community
    (lowest id). A station whose communities share one zone simply has that zone."""
    zones = [m["timezone"] or "Asia/Shanghai" for m in sorted(members, key=lambda m: m["id"])]
    if not zones:
        return "Asia/Shanghai"
    return max(dict.fromkeys(zones), key=lambda z: (zones.count(z), -zones.index(z)))


def roll_up(station: dict, parts: list[Compiled], library_tips: list[dict] | None = None) -> dict:
    """The station's bulletin: the sum of its communities' figures, every one of them
    compiled for the same week window (the station's zone, ``station_zone``)."""
    first = parts[0].figures
    assert all(p.figures["timezone"] == first["timezone"] for p in parts), "a roll-up sums figures of one week window"
    totals = []
    for n, (key, _, _) in enumerate(COUNTS):
        series = [0] * TREND_WEEKS
        for part in parts:
            for i, value in enumerate(part.figures["counts"][n]["trend"]):
                series[i] = round(series[i] + value, 1)
        totals.append({"key": key, **_summary(series)})
    merged: dict[tuple[str, str], dict] = {}
    for part in parts:
        for line in part.figures["categories"]:
            cell = merged.setdefault((line["metric"], line["category"]), {"metric": line["metric"], "category": line["category"], "this": 0, "last": 0, "avg4": 0.0})
            for k in ("this", "last", "avg4"):
                cell[k] = round(cell[k] + line[k], 1)
    ledger: dict = {"open": {"age_0_2": 0, "age_3_7": 0, "age_8_30": 0, "age_30": 0}, "overdue": 0}
    hours: list[float] = []
    for part in parts:
        own = part.figures["ledger"]
        if not own:
            continue
        for k in ledger["open"]:
            ledger["open"][k] += own["open"][k]
        ledger["overdue"] += own["overdue"]
        for k in ("closed", "satisfied"):
            if k in own:
                ledger[k] = ledger.get(k, 0) + own[k]
        ledger["you_said"] = (ledger.get("you_said", []) + own.get("you_said", []))[:YOU_SAID_SHOWN]
        hours += part.close_hours
    if hours:
        ledger["median_close_days"] = round(statistics.median(hours) / 24, 1)
    if not any(ledger["open"].values()) and not ledger["overdue"] and "closed" not in ledger:
        ledger = {}
    coverage_sum: dict = {}
    for part in parts:
        own = part.figures["coverage"]
        if own:
            coverage_sum.setdefault("filled", 0)
            coverage_sum["filled"] += own["filled"]
            coverage_sum["unfilled"] = coverage_sum.get("unfilled", 0) + own["unfilled"]
            coverage_sum.setdefault("routes", []).extend(own["routes"])
    if coverage_sum:
        # An evening is a gap for the station when one of its communities had no patrol
        # then; each community's gaps are listed. A community with no shift and no patrol
        # all week has no coverage of its own: every evening of the week is a gap there.
        week = [(dt.date.fromisoformat(first["starts_on"]) + dt.timedelta(days=n)).isoformat() for n in range(7)]
        by_community = []
        for part in parts:
            own = part.figures["coverage"]
            gaps = own.get("gaps", []) if own else week
            if gaps:
                community = part.figures["community"]
                by_community.append({"name_zh": community["name_zh"], "name_en": community["name_en"], "code": community["code"], "gaps": gaps})
        coverage_sum["gaps"] = sorted({day for c in by_community for day in c["gaps"]})
        coverage_sum["gaps_by_community"] = by_community
    per_community = [
        {"name_zh": p.figures["community"]["name_zh"], "name_en": p.figures["community"]["name_en"], "code": p.figures["community"]["code"],
         "counts": {c["key"]: c["this"] for c in p.figures["counts"]}}
        for p in parts
    ]
    spots = sorted((s | {"community_zh": p.figures["community"]["name_zh"], "community_en": p.figures["community"]["name_en"]} for p in parts for s in p.figures["hotspots"]), key=lambda s: -s["total"])
    points: dict = {}
    for part in parts:
        for k, v in part.figures["watchpoints"].items():
            points.setdefault(k, []).extend(v)
    desk: dict = {}
    for part in parts:
        for name, value in part.reception.items():
            desk[name] = desk.get(name, 0) + value
    cared: dict = {}
    for part in parts:
        for name, value in part.care.items():
            cared[name] = cared.get(name, 0) + value
    tips_seen, tips_all = set(), []
    for part in parts:
        for tip in part.figures["tips"]:
            if tip["text_zh"] not in tips_seen:
                tips_seen.add(tip["text_zh"])
                tips_all.append(tip)
    return {
        "scope": "station",
        "week": first["week"],
        "starts_on": first["starts_on"],
        "ends_on": first["ends_on"],
        "timezone": first["timezone"],
        "community": None,
        "station": first["station"],
        "communities": per_community,
        "counts": totals,
        "categories": sorted(merged.values(), key=lambda c: (c["metric"], c["category"])),
        "hotspots": spots[:HOTSPOTS_SHOWN * 2],
        "ledger": ledger,
        "tips": tips_all[:6],
        "coverage": coverage_sum,
        "watchpoints": points,
        "reception": reception_figures(desk),
        "care": care_figures(cared),
        "thanks": sorted((t for p in parts for t in p.figures["thanks"]), key=lambda t: -t["hours"])[:THANKS_SHOWN],
        "coming_up": sorted((s | {"community_zh": p.figures["community"]["name_zh"], "community_en": p.figures["community"]["name_en"]} for p in parts for s in p.figures["coming_up"]), key=lambda s: s["starts_at"])[:COMING_UP_SHOWN],
        "contacts": {"emergency": "110", "officers": [], "station_phone": first["station"]["phone"]},
    }


def unit_roll_up(level: str, unit: dict, parts: list[Compiled], part_of: dict[int, dict]) -> dict:
    """A district's or a city's bulletin: the station roll-up's sums over all its
    communities (one week window), with the table of places split by the units one level
    below (``part_of``: community id -> that unit's id, code and names) instead of by
    community, and without a station's phone."""
    figures = roll_up({}, parts)
    rows: dict[int, dict] = {}
    for part in parts:
        below = part_of[part.community_id]
        row = rows.setdefault(below["id"], {"name_zh": below["name_zh"], "name_en": below["name_en"] or "", "code": below["code"], "counts": {}})
        for count in part.figures["counts"]:
            row["counts"][count["key"]] = round(row["counts"].get(count["key"], 0) + count["this"], 1)
    figures.update(
        scope=level,
        station=None,
        unit={"level": level, "id": unit["id"], "code": unit["code"], "name_zh": unit["name_zh"], "name_en": unit["name_en"] or ""},
        communities=[rows[key] for key in sorted(rows, key=lambda k: rows[k]["code"])],
        contacts={"emergency": "110", "officers": [], "station_phone": ""},
    )
    return figures
