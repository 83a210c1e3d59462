"""The officers' ledger list runs compiled statements (portal.db.Statement) and gives the
rows, the order, the keyset cursors and the scope the Piccolo queries it replaced gave,
which are written out here as they were: each filter, searches of long and short words,
both orders, pages followed by their cursors, for an officer, a station head and an
admin; its owners and saved views too; on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from piccolo.columns.combination import WhereRaw
from piccolo.engine.postgres import PostgresEngine
from piccolo.query.base import Query

from portal import db
from portal.accounts.rules import load_actor, now
from portal.accounts.tables import RoleGrant
from portal.ledger import rules, saved_views, search
from portal.ledger.rules import ListFilter
from portal.ledger.tables import CLOSED_STAGES, LEDGERS, OPEN_STAGES, SOURCES, STAGES, LedgerItem, LedgerSavedView
from portal.public.rules import CODE_ALPHABET
from portal.stations.tables import Community
from portal.web.pagination import Page, keyset_page, keyset_time_page, keyset_time_query

# --- The list's queries as they were before the statements ---------------------------


def old_search_condition(text, window=None, before=None):
    terms = search.terms_of(text)
    if not terms:
        return None
    if any("\x00" in term for term in terms):
        return WhereRaw("1 = 0")
    if isinstance(db.engine(), PostgresEngine):
        return WhereRaw(" AND ".join("ledger_item.search_text LIKE " + search._postgres_literal(search._like(term.lower())) for term in terms))
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    phrases = " ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
    likes = [search._like(term) for term in short_terms]
    if window:
        clauses = [search._SQLITE_BODY + " LIKE {} ESCAPE '\\'" for _term in short_terms]
        if phrases and window == "newest":
            top = "{}" if before is not None else "(SELECT max(id) + 1 FROM ledger_item)"
            clauses.insert(0, f"ledger_item.id IN (SELECT rowid FROM ledger_item_fts WHERE ledger_item_fts MATCH {{}} AND rowid < {top} AND rowid >= {top} - {search.NEWEST:d})")
            return WhereRaw(" AND ".join(clauses), phrases, *([before, before] if before is not None else []), *likes)
        if phrases:
            clauses.insert(0, "+ledger_item.id IN (SELECT rowid FROM ledger_item_fts WHERE ledger_item_fts MATCH {})")
        return WhereRaw(" AND ".join(clauses), *([phrases] if phrases else []), *likes)
    clauses = (["ledger_item_fts MATCH {}"] if phrases else []) + ["body LIKE {} ESCAPE '\\'" for _term in short_terms]
    return WhereRaw("ledger_item.id IN (SELECT rowid FROM ledger_item_fts WHERE " + " AND ".join(clauses) + ")", *([phrases] if phrases else []), *likes)


def old_item_query(actor, chosen, columns, at=None, window=None, before=None):
    at = at or now()
    scope = actor.communities("officer", "head")
    query = LedgerItem.select(*columns)
    if scope is not None:
        if not scope:
            return None
        query = query.where(LedgerItem.community.is_in(list(scope)))
    if chosen.community_id:
        query = query.where(LedgerItem.community == chosen.community_id)
    if chosen.ledger in LEDGERS:
        query = query.where(LedgerItem.ledger == chosen.ledger)
    if chosen.category in search.CATEGORY_CODES:
        query = query.where(LedgerItem.category == chosen.category)
    if chosen.source in SOURCES:
        query = query.where(LedgerItem.source == chosen.source)
    if chosen.stage == "open":
        query = query.where(LedgerItem.stage.is_in(list(OPEN_STAGES)))
    elif chosen.stage == "closed":
        query = query.where(LedgerItem.stage.is_in(list(CLOSED_STAGES)))
    elif chosen.stage == "overdue":
        query = query.where(LedgerItem.stage.is_in(list(OPEN_STAGES)) & (LedgerItem.stage_due_at <= at))
    elif chosen.stage in STAGES:
        query = query.where(LedgerItem.stage == chosen.stage)
    if chosen.due_within:
        query = query.where(LedgerItem.stage.is_in(list(OPEN_STAGES)) & (LedgerItem.stage_due_at <= at + dt.timedelta(days=chosen.due_within)))
    if chosen.mine:
        query = query.where(LedgerItem.officer == actor.id)
    if chosen.owner == "none":
        query = query.where(LedgerItem.officer.is_null())
    elif chosen.owner and chosen.owner.isdigit():
        query = query.where(LedgerItem.officer == int(chosen.owner))
    if chosen.sort == "due":
        query = query.where(LedgerItem.stage_due_at.is_not_null())
    condition = old_search_condition(chosen.q, window, before)
    if condition is not None:
        query = query.where(condition)
    return query


async def old_item_page(actor, chosen, columns, after, at, size):
    """search.item_page as it was, and the SQL of each query it ran (Piccolo's where()
    changes the query it is given: each query is built twice, once for its SQL)."""
    sqls = []
    if old_item_query(actor, chosen, columns, at) is None:
        return Page(rows=[], next_after=None), sqls
    cursor = (after if isinstance(after, str) else None) if chosen.sort == "due" else (after if isinstance(after, int) else None)

    async def page(make):
        if chosen.sort == "due":
            sqls.append(keyset_time_query(make(), LedgerItem.stage_due_at, LedgerItem.id, cursor, size).querystrings[0].compile_string(engine_type=db.engine().engine_type))
            return await keyset_time_page(make(), LedgerItem.stage_due_at, LedgerItem.id, cursor, size)
        query = make()
        query = (query.where(LedgerItem.id < cursor) if cursor is not None else query).order_by(LedgerItem.id, ascending=False).limit(size + 1)
        sqls.append(query.querystrings[0].compile_string(engine_type=db.engine().engine_type))
        return await keyset_page(make(), LedgerItem.id, cursor, size, descending=True)

    window = search._window_first(chosen)
    if window:
        def candidates():
            if window == "newest":
                return old_item_query(actor, chosen, columns, at, window, before=cursor)
            rows = old_item_query(actor, dataclasses.replace(chosen, q=None), (LedgerItem.id,), at)
            if chosen.sort == "due":
                rows = keyset_time_query(rows, LedgerItem.stage_due_at, LedgerItem.id, cursor, search.WINDOW - 1)
            else:
                rows = (rows.where(LedgerItem.id < cursor) if cursor is not None else rows).order_by(LedgerItem.id, ascending=False).limit(search.WINDOW)
            return old_item_query(actor, chosen, columns, at, window).where(LedgerItem.id.is_in(rows))

        first = await page(candidates)
        if first.next_after is not None:
            return first, sqls
    return await page(lambda: old_item_query(actor, chosen, columns, at)), sqls


async def old_owners_of(actor):
    scope = actor.communities("officer", "head")
    query = RoleGrant.select(RoleGrant.user, RoleGrant.user.real_name).where((RoleGrant.user.active == True) & RoleGrant.role.is_in(["officer", "head"]))  # noqa: E712
    if scope is not None:
        if not scope:
            return []
        stations = [r["station"] for r in await Community.select(Community.station).where(Community.id.is_in(list(scope))).run()]
        query = query.where(
            ((RoleGrant.role == "officer") & RoleGrant.community.is_in(list(scope))) | ((RoleGrant.role == "head") & RoleGrant.station.is_in(stations or [0]))
        )
    seen = {}
    for row in await query.limit(1000).run():
        seen.setdefault(row["user"], row["user.real_name"])
    return [{"id": k, "real_name": v} for k, v in sorted(seen.items(), key=lambda kv: kv[1])]


# --- A small world ---------------------------------------------------------------------


async def world(area, make_user) -> dict:
    """48 items in the three communities (the station head reaches two, the officer one):
    each ledger, category, source and stage, many sharing one deadline (the keyset breaks
    the ties by id), some without one, overdue ones; owned by two officers and a head or
    by nobody; words long and short, Chinese and English, in each field."""
    officer = await make_user("officer", real_name="Officer Wu")
    other_officer = await make_user("officer", real_name="Officer Li", community_id=area.other_community_id)
    far_officer = await make_user("officer", real_name="Officer Far", community_id=area.other_station_community_id)
    head = await make_user("head", real_name="Head Zhou")
    admin = await make_user("admin", real_name="Admin")
    await make_user("head", real_name="Head Far", station_id=area.other_station_id)
    rng = random.Random(5)
    at = now().replace(microsecond=0)
    due = at + dt.timedelta(days=2)
    communities = (area.community_id, area.other_community_id, area.other_station_community_id)
    stations = {area.community_id: area.station_id, area.other_community_id: area.station_id, area.other_station_community_id: area.other_station_id}
    items = []
    for n in range(48):
        community = communities[n % 3]
        created = at - dt.timedelta(hours=48 - n)
        items.append(LedgerItem(
            ledger=LEDGERS[n % 3], category=search.CATEGORY_CODES[n % 4], source=SOURCES[n % 5], station=stations[community], community=community,
            summary=("楼上噪音扰民 karaoke" if n % 2 else "Parking on the pavement") + (" 噪音" if n % 5 == 0 else ""), details="bicycles blocked" if n % 4 == 0 else "",
            raised_by_name=("王小明", "Li Hua", "张伟", "李娜")[n % 4], raised_by_phone=f"1391234{n:04d}", year=2026, seq=n + 1, number=f"CS-2026-{n + 1:06d}",
            tracking_code="".join(rng.choice(CODE_ALPHABET) for _ in range(12)), stage=STAGES[n % len(STAGES)], stage_entered_at=created,
            stage_due_at=None if n % 9 == 8 else (at - dt.timedelta(days=1) if n % 6 == 1 else (due if n % 3 else due + dt.timedelta(hours=n))),
            officer=(None, officer, other_officer, head)[n % 4] if community != area.other_station_community_id else (None, far_officer)[n % 2],
            created_at=created, updated_at=created, filed_month=created.strftime("%Y-%m"),
        ))
    await LedgerItem.insert(*items).run()
    return {"officer": officer, "other_officer": other_officer, "head": head, "admin": admin, "at": at}


FILTERS = [
    {}, {"stage": "open"}, {"stage": "closed"}, {"stage": "overdue"}, {"stage": "registered"}, {"ledger": "claim"}, {"category": "noise"},
    {"source": "reception"}, {"owner": "none"}, {"mine": True}, {"due_within": 7}, {"sort": "due"}, {"sort": "due", "stage": "open", "due_within": 3},
    {"q": "karaoke"}, {"q": "噪音"}, {"q": "karaoke 噪音 楼上"}, {"q": "Li Hua"}, {"q": "TS CS-2026"}, {"q": "parking bicycles", "sort": "due"},
    {"q": "噪 李", "sort": "due", "stage": "open"}, {"q": "no-such-word"}, {"q": "fl\x00at"}, {"q": "O'Brien {x}"},
    {"q": "噪音 karaoke", "ledger": "suggestion", "owner": "none", "source": "public", "category": "noise"},
]


async def test_the_list_pages_are_the_piccolo_querys_pages(area, make_user, monkeypatch):
    """Each filter and search, both orders, every page of three followed by its cursor,
    for an officer, a station head and an admin: the same rows, cursors and SQL."""
    w = await world(area, make_user)
    owner_filters = [{"owner": str(w["other_officer"])}, {"community_id": area.other_community_id, "owner": str(w["head"])}]
    seen_shapes = set()
    for who in ("officer", "head", "admin"):
        actor = await load_actor(w[who])
        for window, newest in ((1000, 5000), (4, 6)):  # a window too small makes the whole index answer
            monkeypatch.setattr(search, "WINDOW", window)
            monkeypatch.setattr(search, "NEWEST", newest)
            for filters in FILTERS + owner_filters:
                chosen = ListFilter(**{"stage": None, **filters})
                shown, after = [], None
                while True:
                    expected, old_sqls = await old_item_page(actor, chosen, rules.LIST_COLUMNS, after, w["at"], 3)
                    ran = []
                    real_run = search._run_page

                    async def run(statement, values):
                        ran.append(statement.sql(**values))
                        return await real_run(statement, values)

                    monkeypatch.setattr(search, "_run_page", run)
                    page = await search.item_page(actor, chosen, rules.LIST_COLUMNS, after, at=w["at"], size=3)
                    monkeypatch.setattr(search, "_run_page", real_run)
                    assert page == expected, (who, filters, after)
                    # The same SQL, so the same plans and indexes.
                    assert ran == [sql for sql, _args in old_sqls], (who, filters)
                    seen_shapes.add((len(ran), chosen.sort))
                    shown += [row["id"] for row in page.rows]
                    after = page.next_after
                    if after is None:
                        break
                assert len(shown) == len(set(shown))
    if not isinstance(db.engine(), PostgresEngine):
        assert {(2, "new"), (2, "due"), (1, "new"), (1, "due")} <= seen_shapes  # windows that held a page, and ones that did not


async def test_scope_stays_in_sql_and_an_actor_without_one_sees_nothing(area, make_user):
    w = await world(area, make_user)
    reach = {"officer": {area.community_id}, "head": {area.community_id, area.other_community_id}, "admin": None}
    for who, communities in reach.items():
        actor = await load_actor(w[who])
        page = await search.item_page(actor, ListFilter(), (LedgerItem.id, LedgerItem.community), None, size=100)
        assert page.rows and (communities is None or {row["community"] for row in page.rows} == communities)
        assert page.rows == await old_item_query(actor, ListFilter(), (LedgerItem.id, LedgerItem.community)).order_by(LedgerItem.id, ascending=False).limit(101).run()
    nobody = dataclasses.replace(await load_actor(w["officer"]), grants=(), reach={})
    assert await search.item_page(nobody, ListFilter(), rules.LIST_COLUMNS, None) == Page(rows=[], next_after=None)
    assert await search.owners_of(nobody) == [] == await old_owners_of(nobody)


async def test_owners_and_saved_views_are_the_piccolo_querys(area, make_user):
    w = await world(area, make_user)
    for who in ("officer", "head", "admin"):
        actor = await load_actor(w[who])
        owners = await search.owners_of(actor)
        assert owners == await old_owners_of(actor) and owners, who
    assert {o["real_name"] for o in await search.owners_of(await load_actor(w["officer"]))} == {"Officer Wu", "Head Zhou"}
    for name in ("b view", "A view", "c view"):
        await LedgerSavedView.insert(LedgerSavedView(owner=w["officer"], name=name, query="stage=open", created_at=now())).run()
    for user in (w["officer"], w["head"]):
        old = await LedgerSavedView.select(LedgerSavedView.id, LedgerSavedView.name, LedgerSavedView.query).where(
            LedgerSavedView.owner == user
        ).order_by(LedgerSavedView.name).limit(saved_views.MAX_VIEWS + 5).run()
        assert await saved_views.views_of(user) == [{**row, "params": {"stage": "open"}} for row in old]
    assert [v["name"] for v in await saved_views.views_of(w["officer"])] == ["A view", "b view", "c view"]


async def test_a_view_of_the_list_builds_no_query_in_piccolo(client_for, area, monkeypatch):
    """Every statement of the list's own code is compiled: Piccolo's query builder is
    not run by it on a view, whichever filters and page."""
    client, head_id = await client_for("head")
    built = []
    real_run = Query.run

    async def run(self, *args, **kwargs):
        import traceback

        if any("portal/ledger/" in line for line in traceback.format_stack()):
            built.append(str(self))
        return await real_run(self, *args, **kwargs)

    monkeypatch.setattr(Query, "run", run)
    for params in ({}, {"q": "karaoke 噪", "ledger": "complaint", "owner": "none", "sort": "due", "stage": "open"}, {"after": "5", "mine": "true"}):
        response = await client.get("/ledger", params=params)
        assert response.status_code == 200
    assert built == []
