"""Figures and lists read from the ledgers: the public disclosure page, monthly figures
per ledger, totals, the head's dashboard (open by age and stage, overdue by officer,
satisfaction rate). Every query takes the communities in scope and filters in SQL.

The public rows carry only public fields: number, ledger, category, stage, dates, the
public summary and the generalised place (never the raiser, the details or the
officer's notes); private items are left out of the lists but counted in the figures.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine
from piccolo.query.functions.aggregate import Count

from portal.accounts.rules import Actor
from portal.db import engine
from portal.ledger.tables import CLOSED_STAGES, LEDGERS, OPEN_STAGES, PERSON_VIA, LedgerEvent, LedgerItem
from portal.web.i18n import N_
from portal.web.pagination import Page, keyset_page

PUBLIC_COLUMNS = (
    LedgerItem.id, LedgerItem.number, LedgerItem.ledger, LedgerItem.category, LedgerItem.stage, LedgerItem.created_at, LedgerItem.closed_at,
    LedgerItem.stage_due_at, LedgerItem.updated_at, LedgerItem.public_summary, LedgerItem.place_public, LedgerItem.satisfaction,
    LedgerItem.referred_to, LedgerItem.community, LedgerItem.community.name_zh, LedgerItem.community.name_en, LedgerItem.community.timezone,
    LedgerItem.point.name_zh, LedgerItem.point.name_en,
)
AGE_BUCKETS = ((2, "0–2"), (7, "3–7"), (30, "8–30"), (None, "30+"))


def _scoped(query, community_ids):
    if community_ids is not None:
        query = query.where(LedgerItem.community.is_in(list(community_ids) or [0]))
    return query


async def public_page(community_ids: list[int] | None = None, station_id: int | None = None, ledger: str | None = None, after: int | None = None) -> Page:
    """Public items of the communities (or the station), newest first."""
    query = LedgerItem.select(*PUBLIC_COLUMNS).where(LedgerItem.private == False)  # noqa: E712
    if station_id is not None:
        query = query.where(LedgerItem.station == station_id)
    query = _scoped(query, community_ids)
    if ledger in LEDGERS:
        query = query.where(LedgerItem.ledger == ledger)
    return await keyset_page(query, LedgerItem.id, after, descending=True)


def _bounds(since: dt.date, until: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    first = dt.datetime.combine(since, dt.time(0), tzinfo=zone).astimezone(dt.timezone.utc)
    last = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.timezone.utc)
    return first, last


def _where_sql(column: str, first: dt.datetime, last: dt.datetime, community_ids, station_id: int | None) -> tuple[str, list]:
    """The WHERE of a raw figures query: the date range on ``column``, the station and
    the communities in scope, as Piccolo placeholders and their values."""
    parts, values = [f"{column} >= {{}}", f"{column} < {{}}"], [first, last]
    if station_id is not None:
        parts.append("station = {}")
        values.append(station_id)
    if community_ids is not None:
        ids = list(community_ids) or [0]
        parts.append(f"community IN ({', '.join('{}' for _ in ids)})")
        values.extend(ids)
    return " AND ".join(parts), values


def median_sql(value: str, groups: str, where: str) -> str:
    """``SELECT <groups>, median`` of ``value`` per group, in the database: PostgreSQL's
    percentile_cont; on SQLite the middle row(s) of the ordered values per group
    (ROW_NUMBER against COUNT over the same window), averaged when the count is even."""
    if isinstance(engine(), PostgresEngine):
        return f"SELECT {groups}, percentile_cont(0.5) WITHIN GROUP (ORDER BY {value}) AS median FROM ledger_item WHERE {where} GROUP BY {groups}"
    return (
        f"SELECT {groups}, AVG(v) AS median FROM ("
        f"SELECT {groups}, {value} AS v, ROW_NUMBER() OVER (PARTITION BY {groups} ORDER BY {value}) AS rn, "
        f"COUNT(*) OVER (PARTITION BY {groups}) AS n FROM ledger_item WHERE {where}"
        f") ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY {groups}"
    )


_CLOSED_IN = ", ".join(f"'{stage}'" for stage in CLOSED_STAGES)
_KIND_OF_STAGE = {"closed": "closed_satisfied", "closed_unconfirmed": "closed_unconfirmed", "closed_duplicate": "closed_other", "closed_out_of_remit": "closed_other"}


async def monthly(community_ids: list[int] | None, since: dt.date, until: dt.date, timezone: str = "Asia/Shanghai", station_id: int | None = None) -> list[dict]:
    """Per month (the community's local month) and ledger: filed, closed (every closed
    stage), closed satisfied, closed without confirmation, closed as duplicate / outside
    remit (``closed_other``), and the median days from filing to closing of those closed.
    Three grouped queries on the stored month keys; no item row is read."""
    zone = ZoneInfo(timezone)
    first, last = _bounds(since, until, zone)
    table: dict[tuple[str, str], dict] = {}

    def cell(month: str, ledger: str) -> dict:
        return table.setdefault((month, ledger), {"month": month, "ledger": ledger, "filed": 0, "closed": 0, "closed_satisfied": 0, "closed_unconfirmed": 0, "closed_other": 0, "median_days": None})

    where, values = _where_sql("created_at", first, last, community_ids, station_id)
    for row in await LedgerItem.raw(f"SELECT filed_month AS month, ledger, COUNT(*) AS n FROM ledger_item WHERE {where} GROUP BY filed_month, ledger", *values).run():
        cell(row["month"], row["ledger"])["filed"] += row["n"]
    where, values = _where_sql("closed_at", first, last, community_ids, station_id)
    where += f" AND stage IN ({_CLOSED_IN}) AND closed_month IS NOT NULL"
    for row in await LedgerItem.raw(f"SELECT closed_month AS month, ledger, stage, COUNT(*) AS n FROM ledger_item WHERE {where} GROUP BY closed_month, ledger, stage", *values).run():
        entry = cell(row["month"], row["ledger"])
        entry["closed"] += row["n"]
        entry[_KIND_OF_STAGE[row["stage"]]] += row["n"]
    for row in await LedgerItem.raw(median_sql("close_days", "closed_month, ledger", where + " AND close_days IS NOT NULL"), *values).run():
        if row["median"] is not None:
            cell(row["closed_month"], row["ledger"])["median_days"] = round(float(row["median"]), 1)
    return [table[key] for key in sorted(table, key=lambda k: (k[0], LEDGERS.index(k[1])))]


async def totals(community_ids: list[int] | None, station_id: int | None = None, since: dt.datetime | None = None) -> dict:
    """Counts since ``since`` (all time by default): filed, open, closed and its kinds;
    one query grouped by stage."""
    query = LedgerItem.select(LedgerItem.stage, Count(alias="count"))
    if station_id is not None:
        query = query.where(LedgerItem.station == station_id)
    if since is not None:
        query = query.where(LedgerItem.created_at >= since)
    by_stage = {row["stage"]: row["count"] for row in await _scoped(query, community_ids).group_by(LedgerItem.stage).run()}

    def count(stages) -> int:
        return sum(by_stage.get(stage, 0) for stage in stages)

    return {
        "filed": sum(by_stage.values()),
        "open": count(OPEN_STAGES),
        "closed": count(CLOSED_STAGES),
        "closed_satisfied": count(["closed"]),
        "closed_unconfirmed": count(["closed_unconfirmed"]),
        "closed_other": count(["closed_duplicate", "closed_out_of_remit"]),
    }


async def by_part(community_ids: list[int] | None, head_level: str | None, at: dt.datetime) -> list[dict]:
    """Filed, open, overdue, closed and closed satisfied per unit one level below the
    head (a district head's stations, ...), in one grouped query; items of communities
    without a district count under "no district" for an administrator. The rows add up
    to the head's totals."""
    from portal.stations.rules import PART_JOINS, part_column, part_names, parts_level

    column = part_column(head_level)
    where, values = "1 = 1", []
    if community_ids is not None:
        ids = list(community_ids) or [0]
        where = f"li.community IN ({', '.join('{}' for _ in ids)})"
        values = ids
    open_in = ", ".join(f"'{stage}'" for stage in OPEN_STAGES)
    rows = await LedgerItem.raw(
        f"SELECT {column} AS part, li.stage AS stage, COUNT(*) AS n, "
        f"SUM(CASE WHEN li.stage IN ({open_in}) AND li.stage_due_at <= {{}} THEN 1 ELSE 0 END) AS overdue "
        f"FROM ledger_item li {PART_JOINS.format(alias='li')} WHERE {where} GROUP BY {column}, li.stage",
        at, *values,
    ).run()
    parts: dict[int | None, dict] = {}
    for row in rows:
        entry = parts.setdefault(row["part"], {"part": row["part"], "filed": 0, "open": 0, "overdue": 0, "closed": 0, "closed_satisfied": 0})
        entry["filed"] += row["n"]
        entry["overdue"] += int(row["overdue"] or 0)
        if row["stage"] in OPEN_STAGES:
            entry["open"] += row["n"]
        if row["stage"] in CLOSED_STAGES:
            entry["closed"] += row["n"]
        if row["stage"] == "closed":
            entry["closed_satisfied"] += row["n"]
    names = await part_names(parts_level(head_level), [part for part in parts if part is not None])
    for entry in parts.values():
        entry["unit"] = names.get(entry["part"])
    return sorted(parts.values(), key=lambda e: (e["unit"] is None, (e["unit"] or {}).get("code", "")))


async def per_ledger(community_ids: list[int] | None) -> list[dict]:
    """Filed and closed per ledger (the figures the articles report)."""
    rows = await _scoped(LedgerItem.select(LedgerItem.ledger, LedgerItem.stage, Count(alias="count")), community_ids).group_by(LedgerItem.ledger, LedgerItem.stage).run()
    out = {ledger: {"ledger": ledger, "filed": 0, "closed": 0, "closed_satisfied": 0, "closed_unconfirmed": 0} for ledger in LEDGERS}
    for row in rows:
        entry = out[row["ledger"]]
        entry["filed"] += row["count"]
        if row["stage"] in CLOSED_STAGES:
            entry["closed"] += row["count"]
        if row["stage"] == "closed":
            entry["closed_satisfied"] += row["count"]
        if row["stage"] == "closed_unconfirmed":
            entry["closed_unconfirmed"] += row["count"]
    return list(out.values())


async def open_by_age(community_ids: list[int] | None, at: dt.datetime) -> dict:
    """{stage: {bucket label: count}} of open items, by whole days since filing: one
    grouped count per age bucket (a range of ``created_at``)."""
    table = {stage: {label: 0 for _, label in AGE_BUCKETS} for stage in OPEN_STAGES}
    newest = None
    for limit, label in AGE_BUCKETS:
        # Age in whole days <= limit  ⇔  filed after at - (limit + 1) days.
        oldest = at - dt.timedelta(days=limit + 1) if limit is not None else None
        query = LedgerItem.select(LedgerItem.stage, Count(alias="count")).where(LedgerItem.stage.is_in(list(OPEN_STAGES)))
        if oldest is not None:
            query = query.where(LedgerItem.created_at > oldest)
        if newest is not None:
            query = query.where(LedgerItem.created_at <= newest)
        for row in await _scoped(query, community_ids).group_by(LedgerItem.stage).run():
            table[row["stage"]][label] += row["count"]
        newest = oldest
    return table


async def overdue_by_officer(actor: Actor, at: dt.datetime) -> list[dict]:
    """Open items past their stage deadline in the actor's scope, per accountable
    officer ("" for items nobody holds yet), most first."""
    scope = actor.communities("officer", "head")
    query = LedgerItem.select(LedgerItem.officer, LedgerItem.officer.real_name, Count(alias="count")).where(
        LedgerItem.stage.is_in(list(OPEN_STAGES)) & LedgerItem.stage_due_at.is_not_null() & (LedgerItem.stage_due_at <= at)
    )
    rows = await _scoped(query, scope).group_by(LedgerItem.officer, LedgerItem.officer.real_name).run()
    result = [{"officer_id": r["officer"], "officer": r["officer.real_name"] or "", "count": r["count"]} for r in rows]
    return sorted(result, key=lambda r: (-r["count"], r["officer"]))


RATE_SENTENCE = N_(
    "Satisfied answers (the person's own answer, or a callback by someone other than the accountable officer) divided by those plus the "
    "answers \"not satisfied\". Items closed without confirmation, and satisfaction on the accountable officer's own word, are not in the rate and are shown apart."
)


async def satisfaction_rate(community_ids: list[int] | None, since: dt.datetime | None = None) -> dict:
    """Satisfaction split by how it is known: closed satisfied by the person's own answer
    (``by_person``: the tracking page, the answer e-mail's link or an Open311 update), by a callback of a colleague of the accountable officer
    (``by_callback``), by the officer's own word before callbacks were required
    (``by_officer``); answers "not satisfied" (each reopening); closed without
    confirmation (``unconfirmed``). The rate is the proven satisfied answers (the person's
    own and callbacks) over those plus the "not satisfied" answers; items closed without
    confirmation and the officer's own word are left out of it and shown apart."""
    closed = LedgerItem.select(LedgerItem.stage, LedgerItem.satisfaction_via, Count(alias="count")).where(LedgerItem.stage.is_in(["closed", "closed_unconfirmed"]))
    closed = _scoped(closed, community_ids)
    if since is not None:
        closed = closed.where(LedgerItem.closed_at >= since)
    by_person = by_callback = by_officer = unconfirmed = 0
    for row in await closed.group_by(LedgerItem.stage, LedgerItem.satisfaction_via).run():
        if row["stage"] == "closed_unconfirmed":
            unconfirmed += row["count"]
        elif row["satisfaction_via"] in PERSON_VIA:
            by_person += row["count"]
        elif row["satisfaction_via"] == "callback":
            by_callback += row["count"]
        else:
            by_officer += row["count"]
    reopened = LedgerEvent.select(Count(alias="count")).where(LedgerEvent.kind == "reopened")
    if community_ids is not None:
        reopened = reopened.where(LedgerEvent.item.community.is_in(list(community_ids) or [0]))
    if since is not None:
        reopened = reopened.where(LedgerEvent.created_at >= since)
    not_satisfied = (await reopened.first().run())["count"]
    satisfied = by_person + by_callback
    answered = satisfied + not_satisfied
    return {
        "satisfied": satisfied, "by_person": by_person, "by_callback": by_callback, "by_officer": by_officer,
        "not_satisfied": not_satisfied, "unconfirmed": unconfirmed, "rate": round(100 * satisfied / answered, 1) if answered else None,
        "how": RATE_SENTENCE,
    }


async def referral_counts(community_ids: list[int] | None) -> list[dict]:
    """Referrals to other bodies per kind of body: sent, answered and still waiting."""
    from portal.ledger.tables import REFERRAL_BODIES, LedgerReferral

    query = LedgerReferral.select(LedgerReferral.body_kind, LedgerReferral.answered_on, Count(alias="count"))
    if community_ids is not None:
        query = query.where(LedgerReferral.item.community.is_in(list(community_ids) or [0]))
    out = {kind: {"kind": kind, "sent": 0, "answered": 0, "waiting": 0} for kind in REFERRAL_BODIES}
    for row in await query.group_by(LedgerReferral.body_kind, LedgerReferral.answered_on).run():
        entry = out.get(row["body_kind"])
        if entry is None:
            continue
        entry["sent"] += row["count"]
        entry["answered" if row["answered_on"] is not None else "waiting"] += row["count"]
    return list(out.values())
