"""Figures and lists read from the ledgers: the public disclosure page, monthly figures
per ledger, totals, the head's dashboard (open by age and stage, overdue by officer,
satisfaction rate). Every query takes the communities in scope and filters in SQL.

The public rows carry only public fields: number, ledger, category, stage, dates, the
public summary and the generalised place (never the raiser, the details or the
officer's notes); private items are left out of the lists but counted in the figures.
"""

from __future__ import annotations

import datetime as dt
import statistics
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count

from portal.accounts.rules import Actor
from portal.ledger.tables import CLOSED_STAGES, LEDGERS, OPEN_STAGES, LedgerEvent, LedgerItem
from portal.web.pagination import Page, keyset_page

PUBLIC_COLUMNS = (
    LedgerItem.id, LedgerItem.number, LedgerItem.ledger, LedgerItem.category, LedgerItem.stage, LedgerItem.created_at, LedgerItem.closed_at,
    LedgerItem.stage_due_at, LedgerItem.updated_at, LedgerItem.public_summary, LedgerItem.place_public, LedgerItem.satisfaction,
    LedgerItem.referred_to, LedgerItem.community, LedgerItem.community.name_zh, LedgerItem.community.name_en, LedgerItem.community.timezone,
    LedgerItem.point.name_zh, LedgerItem.point.name_en,
)
AGE_BUCKETS = ((2, "0–2"), (7, "3–7"), (30, "8–30"), (None, "30+"))
# Rows read for one figures page at most (a station files ~25,000 a year).
MAX_ROWS = 100_000


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


def _month(at: dt.datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m")


def _bounds(since: dt.date, until: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    first = dt.datetime.combine(since, dt.time(0), tzinfo=zone).astimezone(dt.timezone.utc)
    last = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.timezone.utc)
    return first, last


async def monthly(community_ids: list[int] | None, since: dt.date, until: dt.date, timezone: str = "Asia/Shanghai", station_id: int | None = None) -> list[dict]:
    """Per month (local) and ledger: filed, closed (every closed stage), closed
    satisfied, closed without confirmation, closed as duplicate / outside remit
    (``closed_other``), and the median days from filing to closing of those closed."""
    zone = ZoneInfo(timezone)
    first, last = _bounds(since, until, zone)
    query = LedgerItem.select(LedgerItem.ledger, LedgerItem.stage, LedgerItem.created_at, LedgerItem.closed_at).where(
        ((LedgerItem.created_at >= first) & (LedgerItem.created_at < last)) | ((LedgerItem.closed_at >= first) & (LedgerItem.closed_at < last))
    )
    if station_id is not None:
        query = query.where(LedgerItem.station == station_id)
    rows = await _scoped(query, community_ids).limit(MAX_ROWS).run()
    table: dict[tuple[str, str], dict] = {}

    def cell(month: str, ledger: str) -> dict:
        return table.setdefault((month, ledger), {"month": month, "ledger": ledger, "filed": 0, "closed": 0, "closed_satisfied": 0, "closed_unconfirmed": 0, "closed_other": 0, "_days": []})

    for row in rows:
        if first <= row["created_at"] < last:
            cell(_month(row["created_at"], zone), row["ledger"])["filed"] += 1
        closed_at = row["closed_at"]
        if row["stage"] in CLOSED_STAGES and closed_at is not None and first <= closed_at < last:
            entry = cell(_month(closed_at, zone), row["ledger"])
            entry["closed"] += 1
            key = {"closed": "closed_satisfied", "closed_unconfirmed": "closed_unconfirmed"}.get(row["stage"], "closed_other")
            entry[key] += 1
            entry["_days"].append((closed_at - row["created_at"]).total_seconds() / 86400)
    result = []
    for key in sorted(table, key=lambda k: (k[0], LEDGERS.index(k[1]))):
        entry = table[key]
        days = entry.pop("_days")
        entry["median_days"] = round(statistics.median(days), 1) if days else None
        result.append(entry)
    return result


async def totals(community_ids: list[int] | None, station_id: int | None = None, since: dt.datetime | None = None) -> dict:
    """Counts since ``since`` (all time by default): filed, open, closed and its kinds."""

    async def count(where) -> int:
        query = LedgerItem.count().where(where)
        if station_id is not None:
            query = query.where(LedgerItem.station == station_id)
        if since is not None:
            query = query.where(LedgerItem.created_at >= since)
        if community_ids is not None:
            query = query.where(LedgerItem.community.is_in(list(community_ids) or [0]))
        return await query.run()

    return {
        "filed": await count(LedgerItem.id > 0),
        "open": await count(LedgerItem.stage.is_in(list(OPEN_STAGES))),
        "closed": await count(LedgerItem.stage.is_in(list(CLOSED_STAGES))),
        "closed_satisfied": await count(LedgerItem.stage == "closed"),
        "closed_unconfirmed": await count(LedgerItem.stage == "closed_unconfirmed"),
        "closed_other": await count(LedgerItem.stage.is_in(["closed_duplicate", "closed_out_of_remit"])),
    }


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
    """{stage: {bucket label: count}} of open items, by days since filing."""
    rows = await _scoped(LedgerItem.select(LedgerItem.stage, LedgerItem.created_at).where(LedgerItem.stage.is_in(list(OPEN_STAGES))), community_ids).limit(MAX_ROWS).run()
    table = {stage: {label: 0 for _, label in AGE_BUCKETS} for stage in OPEN_STAGES}
    for row in rows:
        age = (at - row["created_at"]).days
        for limit, label in AGE_BUCKETS:
            if limit is None or age <= limit:
                table[row["stage"]][label] += 1
                break
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


async def satisfaction_rate(community_ids: list[int] | None, since: dt.datetime | None = None) -> dict:
    """Answers of the people who raised items: satisfied vs not satisfied, and the rate
    (None without answers). Items closed without confirmation are counted apart."""
    query = LedgerEvent.select(LedgerEvent.kind, Count(alias="count")).where(LedgerEvent.kind.is_in(["satisfied", "reopened"]))
    if community_ids is not None:
        query = query.where(LedgerEvent.item.community.is_in(list(community_ids) or [0]))
    if since is not None:
        query = query.where(LedgerEvent.created_at >= since)
    rows = {r["kind"]: r["count"] for r in await query.group_by(LedgerEvent.kind).run()}
    satisfied, not_satisfied = rows.get("satisfied", 0), rows.get("reopened", 0)
    answered = satisfied + not_satisfied
    return {"satisfied": satisfied, "not_satisfied": not_satisfied, "rate": round(100 * satisfied / answered, 1) if answered else None}
