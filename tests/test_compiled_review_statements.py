"""The statements of the officers' review queue (portal.db.Statement) give what the queries
they replaced gave, written out here as they were (Piccolo built per view, and plain SQL
for the rows, the status counts and the filter's choices); on SQLite and PostgreSQL: the
pages and their cursors for an officer, a station head and an admin with each kind of
filter, in both orders by either moment; the counts per status (below and at the cap);
the filter's communities and people; the ledger items of a page. The page's key query is
the same SQL as before, so it is read from the same index."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from portal import db
from portal.accounts.rules import load_actor
from portal.accounts.tables import RoleGrant
from portal.logs import review
from portal.logs.tables import KINDS, SEVERITIES, STATUSES, FieldLog
from portal.web import i18n
from portal.web.pagination import parse_time_cursor
from tests.test_logs_review import NOW, insert_logs, log_row

# --- The queries as they were ---------------------------------------------------------


def old_where(filters: review.QueueFilters) -> list:
    conditions: list = []
    if filters.kind in KINDS:
        conditions.append(FieldLog.kind == filters.kind)
    if filters.status in STATUSES:
        conditions.append(FieldLog.status == filters.status)
    if filters.severity in SEVERITIES:
        conditions.append(FieldLog.severity == filters.severity)
    if filters.volunteer is not None:
        conditions.append(FieldLog.author == filters.volunteer)
    if filters.date_from:
        conditions.append(FieldLog.created_at >= review._day_start(filters.date_from, filters.tz))
    if filters.date_to:
        conditions.append(FieldLog.created_at < review._day_start(filters.date_to + dt.timedelta(days=1), filters.tz))
    return conditions


def old_keys_query(community, conditions: list, column, descending: bool, limit: int):
    query = FieldLog.select(FieldLog.id, column)
    if isinstance(community, int):
        query = query.where(FieldLog.community == community)
    elif community is not None:
        query = query.where(FieldLog.community.is_in(community))
    for condition in conditions:
        query = query.where(condition)
    return query.order_by(column, FieldLog.id, ascending=not descending).limit(limit)


OLD_QUEUE_ROWS_SQL = (
    "SELECT f.id, f.kind, f.status, f.category, f.severity, f.hazard_stage, f.people_count, f.outcome, f.minutes, f.photo_count, "
    "f.nothing_to_report, f.duplicate_of, f.description, f.occurred_at, f.created_at, f.updated_at, f.community, f.author, "
    "u.real_name AS author_name, c.name_zh AS community_name_zh, c.name_en AS community_name_en, c.timezone AS timezone "
    "FROM field_log f LEFT JOIN portal_user u ON u.id = f.author LEFT JOIN community c ON c.id = f.community WHERE f.id IN ({ids})"
)


async def old_rows_by_id(ids: list[int]) -> list[dict]:
    if not ids:
        return []
    found = await FieldLog.raw(OLD_QUEUE_ROWS_SQL.format(ids=",".join(str(int(i)) for i in ids))).run()
    by_id = {row["id"]: row for row in found}
    return [by_id[i] for i in ids if i in by_id]


def old_page_query(community, filters: review.QueueFilters, after: str | None, size: int, only: int | None = None):
    conditions = old_where(filters)
    if only is not None:
        conditions.append(FieldLog.id == only)
    position = parse_time_cursor(after)
    descending = not filters.oldest_first
    column = FieldLog.occurred_at if filters.by == "occurred" else FieldLog.created_at
    if position:
        moment, log_id = position
        if descending:
            conditions += [column <= moment, (column < moment) | (FieldLog.id < log_id)]
        else:
            conditions += [column >= moment, (column > moment) | (FieldLog.id > log_id)]
    return old_keys_query(community, conditions, column, descending, size + 1)


async def old_queue_page(actor, filters: review.QueueFilters, after: str | None = None, size: int = review.PAGE_SIZE, only: int | None = None) -> review.QueuePage:
    communities = review._communities(actor, filters)
    if communities == []:
        return review.QueuePage([], None)
    name = "occurred_at" if filters.by == "occurred" else "created_at"

    async def read(community) -> list[dict]:
        return await old_page_query(community, filters, after, size, only).run()

    if communities is None or len(communities) > review.MERGE_LIMIT:
        keys = await read(communities)
    elif len(communities) == 1:
        keys = await read(communities[0])
    else:
        keys = [row for part in await asyncio.gather(*(read(c) for c in communities)) for row in part]
        keys.sort(key=lambda r: (review._utc(r[name]), r["id"]), reverse=not filters.oldest_first)
    more = len(keys) > size
    keys = keys[:size]
    rows = await old_rows_by_id([r["id"] for r in keys])
    return review.QueuePage(rows, review.encode_cursor(keys[-1], name) if more and keys else None)


async def old_status_counts(actor, filters: review.QueueFilters) -> dict[str, int]:
    communities = review._communities(actor, filters)
    counts = {status: 0 for status in STATUSES}
    if communities == []:
        return counts
    others = old_where(dataclasses.replace(filters, status=None))
    if others:
        for status in STATUSES:
            query = FieldLog.select(FieldLog.id).where(FieldLog.status == status)
            if communities is not None:
                query = query.where(FieldLog.community.is_in(communities))
            for condition in others:
                query = query.where(condition)
            counts[status] = len(await query.limit(review.COUNT_CAP + 1).run())
        return counts
    for row in await FieldLog.raw(" UNION ALL ".join(old_count_parts(communities))).run():
        counts[row["status"]] = int(row["n"])
    return counts


def old_count_parts(communities: list[int] | None) -> list[str]:
    where = "" if communities is None else f"community IN ({','.join(str(int(c)) for c in communities)}) AND "
    return [f"SELECT '{status}' AS status, COUNT(*) AS n FROM (SELECT 1 AS one FROM field_log WHERE {where}status = '{status}' LIMIT {review.COUNT_CAP + 1}) s{n}"
            for n, status in enumerate(STATUSES)]


async def old_filter_choices(actor, community: int | None = None, volunteer: int | None = None) -> dict:
    scope = review.reviewer_scope(actor)
    if scope is not None and not scope:
        return {"communities": [], "people": [], "people_listed": False}
    listed = community if community is not None and (scope is None or community in scope) else (next(iter(scope)) if scope is not None and len(scope) == 1 else None)
    reach = "" if scope is None else ",".join(str(int(c)) for c in sorted(scope))
    parts = [f"SELECT * FROM (SELECT 0 AS part, id, name_zh, name_en, timezone FROM community{f' WHERE id IN ({reach})' if reach else ''} ORDER BY id LIMIT 500) c"]
    person = ("SELECT DISTINCT 1 AS part, u.id AS id, u.real_name AS name_zh, '' AS name_en, '' AS timezone "
              "FROM role_grant g JOIN portal_user u ON u.id = g.\"user\" WHERE g.role IN ('volunteer', 'host') AND ")
    if listed is not None:
        parts.append(f"SELECT * FROM ({person}g.community = {int(listed)} ORDER BY name_zh LIMIT {review.PEOPLE_LIMIT}) p")
    if volunteer is not None:
        parts.append(f"SELECT * FROM ({person}u.id = {int(volunteer)} AND g.community {f'IN ({reach})' if reach else 'IS NOT NULL'} LIMIT 1) v")
    rows = await FieldLog.raw(" UNION ALL ".join(parts)).run()
    communities = sorted(({k: r[k] for k in ("id", "name_zh", "name_en", "timezone")} for r in rows if r["part"] == 0), key=lambda c: c["id"])
    people: dict[int, dict] = {}
    for row in rows:
        if row["part"] == 1 and row["id"] not in people:
            people[row["id"]] = {"id": row["id"], "real_name": row["name_zh"]}
    return {"communities": communities, "people": sorted(people.values(), key=lambda p: p["real_name"] or ""), "people_listed": listed is not None}


async def old_ledger_items(log_ids: list[int]) -> dict[int, dict]:
    from portal.ledger.tables import LedgerItemLog

    if not log_ids:
        return {}
    rows = await LedgerItemLog.select(LedgerItemLog.field_log, LedgerItemLog.item.id, LedgerItemLog.item.number).where(LedgerItemLog.field_log.is_in(list(log_ids))).run()
    return {row["field_log"]: {"id": row["item.id"], "number": row["item.number"]} for row in rows}


# --- A small world --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english():
    token = i18n.activate("en")
    yield
    i18n.restore(token)


async def world(area, make_user) -> dict:
    """Logs of three communities over three days (several received at the same moment, so
    the keyset breaks ties by id) by volunteers and a host with more than one grant; the
    officer of A, the head of the station of A and B, an admin."""
    a, b, c = area.community_id, area.other_community_id, area.other_station_community_id
    ding = await make_user("volunteer", community_id=a, real_name="丁")
    jia = await make_user("volunteer", community_id=a, real_name="甲")
    host = await make_user("host", community_id=b, real_name="乙")
    far = await make_user("volunteer", community_id=c, real_name="丙")
    # Two more grants of the same person in A: the filter lists her once.
    await RoleGrant.insert(RoleGrant(user=jia, role="host", community=a, created_at=NOW), RoleGrant(user=host, role="volunteer", community=a, created_at=NOW)).run()
    kinds = ("hazard", "patrol", "help", "mediation")
    rows = []
    for n in range(60):
        kind = kinds[n % 4]
        rows.append(log_row(
            (a, a, b, c, a)[n % 5], (ding, jia, host, far, None, ding)[n % 6],
            kind=kind, severity=("low", "medium", "high")[n % 3] if kind == "hazard" else None, status=STATUSES[n % len(STATUSES)],
            created_at=NOW - dt.timedelta(hours=(n // 3) * 3),  # three logs a moment
            occurred_at=NOW - dt.timedelta(minutes=(n * 37) % 101, days=n % 2),
        ))
    ids = await insert_logs(rows)
    actors = {
        "officer": await load_actor(await make_user("officer", community_id=a)),
        "head": await load_actor(await make_user("head")),
        "admin": await load_actor(await make_user("admin")),
    }
    return {"a": a, "b": b, "c": c, "ding": ding, "jia": jia, "host": host, "far": far, "ids": ids, "actors": actors}


def shapes(w) -> list[dict]:
    day = (NOW - dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    return [
        {}, {"status": "submitted"}, {"status": "accepted", "by": "occurred"}, {"community": w["a"]}, {"community": w["b"], "status": "needs_info"},
        {"community": w["c"]}, {"date_from": day, "date_to": day}, {"date_from": day}, {"kind": "hazard", "severity": "high"},
        {"volunteer": w["ding"]}, {"volunteer": w["host"], "kind": "help"}, {"by": "occurred"},
    ]


# --- The statements against them ------------------------------------------------------


async def test_every_page_and_cursor_is_the_old_querys(area, make_user):
    w = await world(area, make_user)
    pages = 0
    for who, actor in w["actors"].items():
        for shape in shapes(w):
            for oldest_first in (False, True):
                filters = review.QueueFilters(**shape, oldest_first=oldest_first)
                for size in (4, 50):
                    after = None
                    while True:
                        page = await review.queue_page(actor, filters, after, size=size)
                        assert page == await old_queue_page(actor, filters, after, size=size), (who, shape, oldest_first, size, after)
                        pages += 1
                        if page.next_after is None:
                            break
                        after = page.next_after
    assert pages > 250
    # The officer sees A only, the head A and B, the admin every community; C filtered by the head is nothing.
    everything = [r["community"] for r in (await review.queue_page(w["actors"]["admin"], review.QueueFilters(), size=100)).rows]
    assert set(everything) == {w["a"], w["b"], w["c"]} and len(everything) == 60
    assert {r["community"] for r in (await review.queue_page(w["actors"]["head"], review.QueueFilters(), size=100)).rows} == {w["a"], w["b"]}
    assert (await review.queue_page(w["actors"]["head"], review.QueueFilters(community=w["c"]))).rows == []
    # A row shown again after a decision (``only``), in reach and out of it.
    for log_id in w["ids"][:6]:
        for actor in w["actors"].values():
            assert await review.queue_page(actor, review.QueueFilters(), size=1, only=log_id) == await old_queue_page(actor, review.QueueFilters(), size=1, only=log_id)


async def test_the_rows_and_their_values_are_the_plain_sqls(area, make_user):
    w = await world(area, make_user)
    wanted = [w["ids"][7], w["ids"][0], 10**8, w["ids"][3], w["ids"][4]]
    new, old = await review.rows_by_id(wanted), await old_rows_by_id(wanted)
    assert new == old and len(new) == 4
    for a, b in zip(new, old):
        assert list(a) == list(b) and {k: type(v) for k, v in a.items()} == {k: type(v) for k, v in b.items()}
    assert new[3]["author"] is None and new[3]["author_name"] is None and new[0]["author_name"] == "甲"


async def test_the_status_counts_are_the_old_counts(area, make_user):
    w = await world(area, make_user)
    for actor in w["actors"].values():
        for shape in shapes(w):
            filters = review.QueueFilters(**shape)
            assert await review.status_counts(actor, filters) == await old_status_counts(actor, filters), shape
    assert await review.status_counts(w["actors"]["admin"], review.QueueFilters()) == {s: 15 for s in STATUSES}


async def test_the_counts_stop_at_the_cap_as_before(area, make_user):
    """Exactly at the cap and one beyond it: with no other filter (an index alone answers)
    and with one (the ids read)."""
    w = await world(area, make_user)
    # The world's accepted logs are all requests for help.
    missing = review.COUNT_CAP - await FieldLog.count().where((FieldLog.community == w["a"]) & (FieldLog.status == "accepted")).run()
    for start in range(0, missing, 200):  # PostgreSQL takes at most 32,767 parameters a statement
        await insert_logs([log_row(w["a"], w["jia"], status="accepted", kind="help", severity=None) for _ in range(min(200, missing - start))])
    for extra in (0, 1):
        if extra:
            await insert_logs([log_row(w["a"], w["jia"], status="accepted", kind="help", severity=None)])
        for who, actor in w["actors"].items():
            for filters in (review.QueueFilters(), review.QueueFilters(kind="help"), review.QueueFilters(kind="hazard"), review.QueueFilters(community=w["a"])):
                counts = await review.status_counts(actor, filters)
                assert counts == await old_status_counts(actor, filters), (who, filters)
                if filters.kind != "hazard":
                    assert counts["accepted"] == (review.COUNT_CAP + extra if who == "officer" or filters.community else review.COUNT_CAP + 1)


async def test_the_filters_choices_are_the_old_ones(area, make_user):
    w = await world(area, make_user)
    cases = [(None, None), (w["a"], None), (w["b"], None), (w["c"], None), (None, w["ding"]), (None, w["far"]), (w["b"], w["jia"]), (None, 10**8)]
    for who, actor in w["actors"].items():
        for community, volunteer in cases:
            assert await review.filter_choices(actor, community, volunteer) == await old_filter_choices(actor, community, volunteer), (who, community, volunteer)
    officer = await review.filter_choices(w["actors"]["officer"])
    assert [p["real_name"] for p in officer["people"]] == ["丁", "乙", "甲"] and officer["people_listed"]
    assert [c["id"] for c in (await review.filter_choices(w["actors"]["admin"]))["communities"]] == [w["a"], w["b"], w["c"]]
    assert (await review.filter_choices(w["actors"]["head"], None, w["far"]))["people"] == []  # out of the head's reach


async def test_the_ledger_items_are_the_old_querys(area, make_user):
    w = await world(area, make_user)
    officer = w["actors"]["officer"]
    filed = [i for i in w["ids"] if (await FieldLog.select(FieldLog.community, FieldLog.status).where(FieldLog.id == i).first().run()) == {"community": w["a"], "status": "submitted"}][:2]
    for log_id in filed:
        await review.file_into_ledger(officer, log_id, "complaint:public_order")
    for ids in (filed, w["ids"][:20], [filed[1]], [10**8]):
        assert await review.ledger_items(ids) == await old_ledger_items(ids)
    assert set(await review.ledger_items(w["ids"])) == set(filed)


def _values(filters: review.QueueFilters, community, after: str | None, size: int) -> dict:
    at, last = parse_time_cursor(after) or (None, None)
    several = community if isinstance(community, list) or community is None else None
    return {
        **review._filter_values(filters), "community": community if isinstance(community, int) else None, "communities": several,
        "only": None, "at": at, "last": last, "by": "occurred_at" if filters.by == "occurred" else "created_at", "descending": not filters.oldest_first, "size": size,
    }


async def test_the_key_statement_is_the_old_sql_read_from_the_same_index(area, make_user, engine_name):
    """The page's keys are the SQL Piccolo built before, for each shape; on SQLite its plan
    reads an index of field_log (no scan of the table, no sort for one community or all)."""
    w = await world(area, make_user)
    after = review.encode_cursor({"created_at": NOW, "occurred_at": NOW, "id": w["ids"][5]})
    for shape in shapes(w):
        for oldest_first in (False, True):
            filters = review.QueueFilters(**{k: v for k, v in shape.items() if k != "community"}, oldest_first=oldest_first)
            for community in (w["a"], [w["a"], w["b"]], None):
                for cursor in (None, after):
                    old = old_page_query(community, filters, cursor, 50)
                    old_sql, old_args = old.querystrings[0].compile_string(engine_type=db.engine().engine_type)
                    assert review._KEYS.sql(**_values(filters, community, cursor, 50)) == old_sql
                    if engine_name == "sqlite" and not isinstance(community, list):
                        plan = [r["detail"] for r in await db.fetch("EXPLAIN QUERY PLAN " + old_sql, *old_args)]
                        assert all("INDEX field_log_" in step for step in plan if "field_log" in step), plan
                        if set(shape) <= {"status", "by"}:  # an index in the page's order
                            assert not any("TEMP B-TREE" in step for step in plan), plan


async def test_the_counts_use_the_old_counts_index(area, make_user, engine_name, monkeypatch):
    """With no filter but the communities, a count reads the index the UNION ALL of counts read."""
    if engine_name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    w = await world(area, make_user)
    ran: list[tuple[str, list]] = []
    run_prepared = db._run_prepared

    async def recording(engine, sql, args, short_read=False):
        ran.append((sql, list(args)))
        return await run_prepared(engine, sql, args, short_read)

    for communities, actor in (([w["a"]], w["actors"]["officer"]), ([w["a"], w["b"]], w["actors"]["head"]), (None, w["actors"]["admin"])):
        ran.clear()
        monkeypatch.setattr(db, "_run_prepared", recording)
        await review.status_counts(actor, review.QueueFilters())
        monkeypatch.setattr(db, "_run_prepared", run_prepared)
        assert len(ran) == 2 * len(STATUSES)  # below the cap: is there one beyond it, how many
        old_plan = " ".join(r["detail"] for r in await FieldLog.raw("EXPLAIN QUERY PLAN " + old_count_parts(communities)[0]).run())
        index = next(word for word in old_plan.split() if word.startswith("field_log_"))
        for sql, args in ran:
            plan = " ".join(r["detail"] for r in await db.fetch("EXPLAIN QUERY PLAN " + sql, *args))
            assert f"COVERING INDEX {index}" in plan, (plan, old_plan)
