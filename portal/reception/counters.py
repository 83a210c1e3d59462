"""The reception rooms' counters: what the articles report, per room, station, district
and city, for any period of local days.

Definitions (a visit's day is its ``local_day``, the room's local date when it was logged):

- **people received**: the sum of ``people`` over every visit of every category;
- **consultations and help**: visits of the categories ``consultation`` and ``help_request``;
- **disputes resolved**: ``mediation`` visits whose outcome is ``resolved`` (mediations
  referred, followed up or filed are counted under "mediations", not here);
- **emergency rescues**: ``emergency`` visits;
- **errands done** (代办): ``errand`` visits;
- **convenience services**: ``convenience`` visits;
- **business handled**: ``business`` visits;
- **foreign visitors served**: the people of visits of the category ``foreign_visitor`` or
  held in a language other than Chinese (any language code not starting with ``zh``);
  a visit that is both is counted once.

Speed: the figures never read the visits. ``reception_daily`` holds one row per room,
community and local day with a column per category; ``bump_daily`` adds a visit to it (or
takes one away: ``sign=-1``) inside the visit's write transaction, and ``rebuild_daily``
counts every visit again (the migration does the same once). A dashboard is one query
grouped by room over at most rooms × days rows, split into parts in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping

from piccolo.engine.postgres import PostgresEngine

from portal.db import engine, fetch
from portal.reception.tables import VISIT_CATEGORIES
from portal.web.i18n import N_
from portal.web.periods import PRESETS, Period, choose_period, preset_period, shifted  # noqa: F401 - the reception pages' periods

# The articles' counters, in the order they are shown: key -> how it is summed.
COUNTERS = (
    "people_received", "consultations_help", "disputes_resolved", "emergency_rescues",
    "errands", "convenience", "business", "foreign_visitors",
)
COUNTER_LABELS = {
    "people_received": N_("People received"),
    "consultations_help": N_("Consultations and requests for help"),
    "disputes_resolved": N_("Disputes resolved"),
    "emergency_rescues": N_("Emergency rescues"),
    "errands": N_("Errands done on people's behalf"),
    "convenience": N_("Convenience services"),
    "business": N_("Business handled"),
    "foreign_visitors": N_("Foreign visitors served"),
}
CATEGORY_LABELS = {
    "consultation": N_("Consultation"),
    "help_request": N_("Request for help"),
    "emergency": N_("Emergency help or rescue"),
    "mediation": N_("Dispute mediation"),
    "suggestion": N_("Suggestion"),
    "claim": N_("Interest claim"),
    "complaint": N_("Complaint or report"),
    "errand": N_("Errand done on the person's behalf"),
    "convenience": N_("Convenience service"),
    "business": N_("Business handled"),
    "foreign_visitor": N_("Service to a foreign visitor"),
}
_COLUMNS = ("visits", "people", *VISIT_CATEGORIES, "mediation_resolved", "foreign_people")


def _postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


def _day(value: dt.date):
    # SQLite keeps a DATE as its ISO text; asyncpg wants the date itself.
    return value if _postgres() else value.isoformat()


def is_foreign(category: str, language: str) -> bool:
    return category == "foreign_visitor" or bool(language) and not language.lower().startswith("zh")


# --- keeping the daily counts ---


async def bump_daily(visit: Mapping, sign: int = 1) -> None:
    """Count ``visit`` (a mapping with room, community, local_day, category, people,
    language, outcome) into its room's day, or take it away with ``sign=-1``. Call it inside
    the write transaction that inserts, corrects (old with -1, new with +1) or removes the
    visit, so the counts and the visits never disagree."""
    category = visit["category"]
    if category not in VISIT_CATEGORIES:
        raise ValueError(f"unknown visit category {category!r}")
    if sign not in (1, -1):
        raise ValueError("sign is 1 or -1")
    people = int(visit.get("people") or 0)
    resolved = 1 if category == "mediation" and visit.get("outcome") == "resolved" else 0
    foreign = people if is_foreign(category, visit.get("language") or "") else 0
    names = ("visits", "people", category, "mediation_resolved", "foreign_people")
    values = (sign, sign * people, sign, sign * resolved, sign * foreign)
    updates = ", ".join(f"{name} = reception_daily.{name} + excluded.{name}" for name in names)
    await fetch(
        f"INSERT INTO reception_daily (room, community, day, {', '.join(names)}) VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}) "
        f"ON CONFLICT (room, community, day) DO UPDATE SET {updates}",
        visit["room"], visit["community"], _day(visit["local_day"]), *values,
    )


async def visit_counted(visit_id: int) -> dict | None:
    """What the daily counts hold of a visit (room, community, local_day, category,
    people, language, outcome, ledger_item), read inside the write transaction that is
    about to change it, and locked on PostgreSQL so two corrections count in turn."""
    lock = " FOR UPDATE" if _postgres() else ""
    rows = await fetch(
        "SELECT room, community, local_day, category, people, language, outcome, ledger_item FROM reception_visit WHERE id = {}" + lock, visit_id,
    )
    if not rows:
        return None
    row = dict(rows[0])
    if isinstance(row["local_day"], str):
        row["local_day"] = dt.date.fromisoformat(row["local_day"][:10])
    return row


def rebuild_sql() -> list[str]:
    """The statements that count every visit into ``reception_daily`` afresh."""
    per_category = ", ".join(f"SUM(CASE WHEN category = '{name}' THEN 1 ELSE 0 END)" for name in VISIT_CATEGORIES)
    return [
        "DELETE FROM reception_daily",
        f"INSERT INTO reception_daily (room, community, day, {', '.join(_COLUMNS)}) "
        f"SELECT room, community, local_day, COUNT(*), SUM(people), {per_category}, "
        "SUM(CASE WHEN category = 'mediation' AND outcome = 'resolved' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN category = 'foreign_visitor' OR (language <> '' AND LOWER(language) NOT LIKE 'zh%') THEN people ELSE 0 END) "
        "FROM reception_visit GROUP BY room, community, local_day",
    ]


async def rebuild_daily() -> None:
    """Count every visit again (after a bulk load such as the demo's or the benchmark's)."""
    from portal.db import write_transaction

    async with write_transaction():
        for statement in rebuild_sql():
            await fetch(statement)


# --- the figures ---


def _empty() -> dict:
    return {name: 0 for name in _COLUMNS}


def counters_of(row: Mapping) -> dict:
    """The articles' counters of one row of column sums (and its visits and mediations)."""
    out = {
        "people_received": row["people"],
        "consultations_help": row["consultation"] + row["help_request"],
        "disputes_resolved": row["mediation_resolved"],
        "emergency_rescues": row["emergency"],
        "errands": row["errand"],
        "convenience": row["convenience"],
        "business": row["business"],
        "foreign_visitors": row["foreign_people"],
        "visits": row["visits"],
        "mediations": row["mediation"],
    }
    out["categories"] = {name: row[name] for name in VISIT_CATEGORIES}
    return out


def _add(into: dict, row: Mapping) -> None:
    for name in _COLUMNS:
        into[name] += int(row[name] or 0)


def _where(community_ids, first: dt.date, last: dt.date) -> tuple[str, list]:
    parts, values = ["day >= {}", "day <= {}"], [_day(first), _day(last)]
    if community_ids is not None:
        ids = sorted(community_ids) or [0]
        parts.append(f"community IN ({', '.join(str(int(i)) for i in ids)})")
    return " AND ".join(parts), values


def part_level(head_level: str | None, admin: bool) -> str:
    """What the figures are split by: an officer's and a station head's by room, a
    district head's by station, a city head's by district, an administrator's by city."""
    if head_level == "city":
        return "district"
    if head_level == "district":
        return "station"
    if head_level is None and admin:
        return "city"
    return "room"


async def figures(community_ids, first_day: dt.date, last_day: dt.date, level: str = "room") -> dict:
    """The counters of the communities ``community_ids`` (None: every one) from
    ``first_day`` to ``last_day``: ``totals`` and ``parts`` (one per unit at ``level``:
    room, community, station, district or city, each with ``unit`` = its id, code and
    names, None for communities of no district), the parts adding up to the totals. One
    query grouped by room and community."""
    where, values = _where(community_ids, first_day, last_day)
    sums = ", ".join(f"SUM({name}) AS {name}" for name in _COLUMNS)
    rows = await fetch(f"SELECT room, community, {sums} FROM reception_daily WHERE {where} GROUP BY room, community", *values)
    total = _empty()
    for row in rows:
        _add(total, row)
    keys = await _part_keys(level, rows)
    parts: dict = {}
    for row in rows:
        key = keys(row)
        _add(parts.setdefault(key, _empty()), row)
    names = await _names(level, [key for key in parts if key is not None])
    out = [{"part": key, "unit": names.get(key), **counters_of(sums_)} for key, sums_ in parts.items()]
    out.sort(key=lambda e: (e["unit"] is None, (e["unit"] or {}).get("code") or "", e["part"] or 0))
    return {"totals": counters_of(total), "parts": out, "level": level, "first": first_day, "last": last_day}


async def _part_keys(level: str, rows: list[dict]):
    if level == "room":
        return lambda row: row["room"]
    if level == "community":
        return lambda row: row["community"]
    ids = sorted({row["community"] for row in rows})
    if not ids:
        return lambda row: None
    column = {"station": "c.station", "district": "s.district", "city": "d.city"}[level]
    mapping = {
        r["id"]: r["part"]
        for r in await fetch(
            f"SELECT c.id, {column} AS part FROM community c JOIN station s ON s.id = c.station LEFT JOIN district d ON d.id = s.district "
            f"WHERE c.id IN ({', '.join(str(int(i)) for i in ids)})"
        )
    }
    return lambda row: mapping.get(row["community"])


async def _names(level: str, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    if level == "room":
        from portal.reception.tables import Room

        rows = await Room.select(Room.id, Room.slug, Room.name_zh, Room.name_en, Room.community.name_zh, Room.community.name_en).where(Room.id.is_in(ids)).run()
        return {
            r["id"]: {"id": r["id"], "code": r["slug"], "name_zh": r["name_zh"], "name_en": r["name_en"] or "",
                      "community_zh": r["community.name_zh"], "community_en": r["community.name_en"] or ""}
            for r in rows
        }
    from portal.stations.rules import part_names

    return await part_names(level, ids)


async def monthly(community_ids, first_day: dt.date, last_day: dt.date) -> list[dict]:
    """The counters per calendar month of the period (months without visits included),
    oldest first: one query grouped by month."""
    where, values = _where(community_ids, first_day, last_day)
    month = "to_char(day, 'YYYY-MM')" if _postgres() else "substr(day, 1, 7)"
    sums = ", ".join(f"SUM({name}) AS {name}" for name in _COLUMNS)
    rows = {r["month"]: r for r in await fetch(f"SELECT {month} AS month, {sums} FROM reception_daily WHERE {where} GROUP BY {month}", *values)}
    out = []
    year, number = first_day.year, first_day.month
    while (year, number) <= (last_day.year, last_day.month):
        key = f"{year:04d}-{number:02d}"
        sums_ = _empty()
        if key in rows:
            _add(sums_, rows[key])
        out.append({"month": key, **counters_of(sums_)})
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return out


async def station_communities(station_id: int) -> list[int]:
    rows = await fetch("SELECT id FROM community WHERE station = {}", station_id)
    return [r["id"] for r in rows]


async def weekly_by_community(community_ids: list[int], monday: dt.date) -> dict[int, dict]:
    """{community: the week's counters} for the bulletins: Monday to Sunday, local days."""
    where, values = _where(community_ids, monday, monday + dt.timedelta(days=6))
    sums = ", ".join(f"SUM({name}) AS {name}" for name in _COLUMNS)
    out = {}
    for row in await fetch(f"SELECT community, {sums} FROM reception_daily WHERE {where} GROUP BY community", *values):
        sums_ = _empty()
        _add(sums_, row)
        out[row["community"]] = sums_
    return out
