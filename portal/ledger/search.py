"""The officers' ledger workbench: search, filters, sort by deadline, saved views, bulk
reassignment and the export of the filtered items.

Search is answered from an index on each engine (see the migration
``ledger_2026_12_08t10_30_00_000000``): on SQLite the FTS5 table ``ledger_item_fts``
(trigram tokenizer), on PostgreSQL the generated ``search_text`` column with a pg_trgm
GIN index. Both find substrings of the number, tracking code, the raiser's name and
phone, the summary and the details, so a Chinese word inside a sentence is found. The
actor's scope stays in SQL in every query here.

How fast a page comes depends on how common the words are, which only the data tell
(``scripts/bench-ledger-search``, 100,000 items, aim 50 ms): a rare word is best found
through the index and its few items sorted; a common one by reading the items in the
page's order (newest first, or the deadline index ``ledger_item_due`` of the migration
``ledger_2026_12_12t09_00_00_000000``) until the page is full. PostgreSQL's planner
weighs the two when it sees the words, so they are written into the statement as
literals: as parameters, a prepared statement's generic plan (asyncpg prepares every
statement; PostgreSQL may switch to a generic plan after five runs) guesses every
word's frequency alike, and read all 100,000 items for a rare name (seen again when
the list's statements were compiled: an admin's sixth search for a rare word on one
connection took the generic plan, a backward scan of the primary key, 42-48 ms against
2-5 ms). So on PostgreSQL the words choose the compiled statement's shape (a text is
built once, its next pages are not), and nothing else does. SQLite's planner
cannot tell a word's frequency at all, so a page is first looked for in a window of
the items next in the page's order, and through the whole index when that holds less
than a page (see ``item_page``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from types import SimpleNamespace

from piccolo.columns.combination import WhereRaw
from piccolo.engine.postgres import PostgresEngine

from portal.accounts.rules import Actor, now
from portal.db import Statement, engine
from portal.ledger import labels
from portal.ledger.tables import CLOSED_STAGES, LEDGERS, OPEN_STAGES, SOURCES, STAGES, LedgerItem
from portal.public.rules import normalise_code
from portal.web.i18n import gettext as _
from portal.web.i18n import pgettext
from portal.web.i18n import localized
from portal.web.xlsx import safe_text

MAX_TERMS = 6
TERM_MAX = 60
EXPORT_MAX = 10000
BULK_MAX = 200
# SQLite's windows, looked in before the whole index (see item_page): the items read in
# the page's order (words in one item of 20 of the list fill a page from them), and the
# newest items whose matches the index gives, which costs far less an item.
WINDOW = 1000
NEWEST = 5000
CATEGORY_CODES = tuple(labels.CATEGORIES)
_PRETTY_CODE = re.compile(r"^[0-9A-Za-z]{4}(-[0-9A-Za-z]{4}){2}$")

# Saved views: named presets of the list's filters (links, no table).
VIEWS = {
    "my_overdue": {"stage": "overdue", "mine": "true", "sort": "due"},
    "due_week": {"stage": "open", "due_within": "7", "sort": "due"},
    "unassigned": {"stage": "registered", "owner": "none"},
}


def terms_of(text: str | None) -> list[str]:
    """Words of a search: split on spaces, a pretty tracking code (ABCD-EFGH-JKLM) read
    as the code, at most ``MAX_TERMS`` words of ``TERM_MAX`` characters."""
    terms = []
    for word in (text or "").split()[:MAX_TERMS]:
        if _PRETTY_CODE.match(word) and normalise_code(word):
            word = normalise_code(word)
        terms.append(word[:TERM_MAX])
    return terms


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _postgres_literal(text: str) -> str:
    """``text`` as a PostgreSQL escape string constant for a WhereRaw template: E'' reads
    a doubled backslash and quote the same whatever standard_conforming_strings says,
    and braces are doubled for Piccolo's template."""
    quoted = "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted.replace("{", "{{").replace("}", "}}")


# The text the FTS5 table holds for an item (the migration's triggers write it), read
# from the item's own row.
_SQLITE_BODY = (
    "(ledger_item.number || ' ' || ledger_item.tracking_code || ' ' || ledger_item.raised_by_name || ' ' || "
    "ledger_item.raised_by_phone || ' ' || ledger_item.summary || ' ' || ledger_item.details)"
)


def _search_values(text: str | None, window: str | None = None, before: int | None = None) -> dict:
    """The search's parameters of ``_items`` (see ``search_condition``)."""
    terms = terms_of(text)
    values = {"nothing": False, "pg_words": None, "phrases": None, "likes": None, "window": None, "before": None, "newest": None}
    if not terms:
        return values
    if any("\x00" in term for term in terms):
        # No item's text holds NUL (the forms drop it; PostgreSQL's text cannot), and
        # FTS5 reads it as the end of its query.
        return {**values, "nothing": True}
    if isinstance(engine(), PostgresEngine):
        # Literals, not parameters: see the module's docstring.
        return {**values, "pg_words": " AND ".join("ledger_item.search_text LIKE " + _postgres_literal(_like(term.lower())) for term in terms)}
    # FTS5 trigram: a phrase per word of three characters or more; shorter words are
    # read by LIKE (the tokenizer cannot index them).
    long_terms = [t for t in terms if len(t) >= 3]
    values["phrases"] = " ".join('"' + t.replace('"', '""') + '"' for t in long_terms) or None
    values["likes"] = [_like(term) for term in terms if len(term) < 3] or None
    if window:
        values["window"] = window
        if window == "newest" and values["phrases"]:
            values["before"], values["newest"] = before, NEWEST
    return values


def _search_where(p):
    """The WHERE condition of a search's parameters (values, or a Statement's), or None."""
    if p.nothing:
        return WhereRaw("1 = 0")
    if p.pg_words is not None:
        return WhereRaw(p.pg_words)
    likes = p.likes or []
    if p.phrases is None and not likes:
        return None
    if p.window:
        clauses = [_SQLITE_BODY + " LIKE {} ESCAPE '\\'" for _like_term in likes]
        if p.phrases is not None and p.window == "newest":
            # FTS5 reads its lists from the lower bound on (reading them backwards, as
            # ORDER BY rowid DESC LIMIT would, costs three to five times more).
            top = "{}" if p.before is not None else "(SELECT max(id) + 1 FROM ledger_item)"
            clauses.insert(0, f"ledger_item.id IN (SELECT rowid FROM ledger_item_fts WHERE ledger_item_fts MATCH {{}} AND rowid < {top} AND rowid >= {top} - {p.newest:d})")
            return WhereRaw(" AND ".join(clauses), p.phrases, *([p.before, p.before] if p.before is not None else []), *likes)
        if p.phrases is not None:
            # "+": the rows come from the window, the matches are only looked up (read
            # through the matches, a common word's would all be read and sorted).
            clauses.insert(0, "+ledger_item.id IN (SELECT rowid FROM ledger_item_fts WHERE ledger_item_fts MATCH {})")
        return WhereRaw(" AND ".join(clauses), *([p.phrases] if p.phrases is not None else []), *likes)
    clauses = (["ledger_item_fts MATCH {}"] if p.phrases is not None else []) + ["body LIKE {} ESCAPE '\\'" for _like_term in likes]
    return WhereRaw("ledger_item.id IN (SELECT rowid FROM ledger_item_fts WHERE " + " AND ".join(clauses) + ")", *([p.phrases] if p.phrases is not None else []), *likes)


def search_condition(text: str | None, window: str | None = None, before: int | None = None):
    """A WHERE condition on ledger_item for the words of ``text`` (all must occur), or None.

    On SQLite, words of fewer than three characters (which the trigram index cannot
    hold) are read from the FTS5 table's text of every item, unless the rows are few
    (``item_page``'s windows): then from the text of each row the query reads anyway
    (the same text, so the same items). ``window="rows"``: the query's rows come from
    elsewhere, the longer words' matches are only looked up. ``window="newest"``: only
    the matches among the ``NEWEST`` items below the id ``before`` (or the newest)."""
    return _search_where(SimpleNamespace(**_search_values(text, window, before)))


def params_of(chosen) -> dict[str, str]:
    """The list's filters as query parameters (links to the next page and the export)."""
    values = {
        "q": chosen.q, "ledger": chosen.ledger, "category": chosen.category, "stage": chosen.stage,
        "community": chosen.community_id, "owner": chosen.owner, "source": chosen.source,
        "due_within": chosen.due_within, "mine": "true" if chosen.mine else None,
        "sort": chosen.sort if chosen.sort != "new" else None,
    }
    return {k: str(v) for k, v in values.items() if v not in (None, "", False)}


def _filter_values(actor: Actor, chosen, at: dt.datetime) -> dict | None:
    """The parameters of ``_items`` for the filters ``chosen`` (None: a filter left out),
    or None when the actor reaches no community."""
    scope = actor.communities("officer", "head")
    if scope is not None and not scope:
        return None
    stages = chosen.stage if chosen.stage in ("open", "closed", "overdue") else None
    return {
        "scope": sorted(scope) if scope is not None else None,
        "community": chosen.community_id or None,
        "ledger": chosen.ledger if chosen.ledger in LEDGERS else None,
        "category": chosen.category if chosen.category in CATEGORY_CODES else None,
        "source": chosen.source if chosen.source in SOURCES else None,
        "stages": stages,
        "overdue_at": at if stages == "overdue" else None,
        "stage": chosen.stage if stages is None and chosen.stage in STAGES else None,
        "due_by": at + dt.timedelta(days=chosen.due_within) if chosen.due_within else None,
        "mine": actor.id if chosen.mine else None,
        "unowned": chosen.owner == "none",
        "owner": int(chosen.owner) if chosen.owner and chosen.owner.isdigit() else None,
        "sort": "due" if chosen.sort == "due" else "new",
    }


def _items(p, columns, search: bool = True):
    """The select of the items the parameters ``p`` pick (plain values, or a Statement's
    parameters): the one way the list, its windows and the export are written."""
    query = LedgerItem.select(*columns)
    if p.scope is not None:
        query = query.where(LedgerItem.community.is_in(p.scope))
    if p.community is not None:
        query = query.where(LedgerItem.community == p.community)
    if p.ledger is not None:
        query = query.where(LedgerItem.ledger == p.ledger)
    if p.category is not None:
        query = query.where(LedgerItem.category == p.category)
    if p.source is not None:
        query = query.where(LedgerItem.source == p.source)
    if p.stages == "open":
        query = query.where(LedgerItem.stage.is_in(list(OPEN_STAGES)))
    elif p.stages == "closed":
        query = query.where(LedgerItem.stage.is_in(list(CLOSED_STAGES)))
    elif p.stages == "overdue":
        query = query.where(LedgerItem.stage.is_in(list(OPEN_STAGES)) & (LedgerItem.stage_due_at <= p.overdue_at))
    elif p.stage is not None:
        query = query.where(LedgerItem.stage == p.stage)
    if p.due_by is not None:
        query = query.where(LedgerItem.stage.is_in(list(OPEN_STAGES)) & (LedgerItem.stage_due_at <= p.due_by))
    if p.mine is not None:
        query = query.where(LedgerItem.officer == p.mine)
    if p.unowned:
        query = query.where(LedgerItem.officer.is_null())
    elif p.owner is not None:
        query = query.where(LedgerItem.officer == p.owner)
    if p.sort == "due":
        query = query.where(LedgerItem.stage_due_at.is_not_null())
    condition = _search_where(p) if search else None
    if condition is not None:
        query = query.where(condition)
    return query


def item_query(actor: Actor, chosen, columns, at: dt.datetime | None = None, window: str | None = None, before: int | None = None):
    """The select of the items ``chosen`` picks among the actor's communities, or None when
    the actor reaches none (``window``, ``before``: see ``search_condition``)."""
    values = _filter_values(actor, chosen, at or now())
    if values is None:
        return None
    return _items(SimpleNamespace(**values, **_search_values(chosen.q, window, before)), columns)


def _window_first(chosen) -> str | None:
    """Which window ``item_page`` reads before asking the index (SQLite): when the list
    is newest first and a word has three characters or more, the index's matches among
    the newest items; else the next items of the list."""
    terms = terms_of(chosen.q)
    if not terms or isinstance(engine(), PostgresEngine):
        return None
    return "newest" if chosen.sort != "due" and any(len(term) >= 3 for term in terms) else "rows"


def _page_query(p, columns):
    """A page of ``_items`` after the cursor (``after``: an id; ``cursor_at``,
    ``cursor_id``: a deadline's position), one row more than ``size``; with the window
    ``rows``, among the next ``window_size`` items of the list without the search."""
    from portal.web.pagination import keyset_time_order

    query = _items(p, columns)
    if p.window == "rows":
        rows = _items(p, (LedgerItem.id,), search=False)
        if p.sort == "due":
            rows = keyset_time_order(rows, LedgerItem.stage_due_at, LedgerItem.id, p.cursor_at, p.cursor_id, p.window_size - 1)
        else:
            rows = (rows.where(LedgerItem.id < p.after) if p.after is not None else rows).order_by(LedgerItem.id, ascending=False).limit(p.window_size)
        query = query.where(LedgerItem.id.is_in(rows))
    if p.sort == "due":
        return keyset_time_order(query, LedgerItem.stage_due_at, LedgerItem.id, p.cursor_at, p.cursor_id, p.size)
    return (query.where(LedgerItem.id < p.after) if p.after is not None else query).order_by(LedgerItem.id, ascending=False).limit(p.size + 1)


# One statement per set of columns (the list's, and whatever a caller asks for); the
# order, a search's window and the sizes make shapes of their own, and so do the
# PostgreSQL search words (see the module's docstring).
_PAGE_LITERALS = ("stages", "unowned", "sort", "nothing", "pg_words", "window", "newest", "window_size", "size")
_PAGES: dict[tuple, Statement] = {}


def _page_statement(columns, pg_words: bool) -> Statement:
    # PostgreSQL's searches apart: each text is a shape, and their turnover must not
    # drop the shapes of the list without a search.
    statement = _PAGES.get((columns, pg_words))
    if statement is None:
        # A search answered by the whole index, or a filter no index serves, reads much of
        # the table: not on the loop's thread.
        statement = _PAGES[columns, pg_words] = Statement(lambda p: _page_query(p, columns), literal=_PAGE_LITERALS, short=False)
    return statement


async def item_page(actor: Actor, chosen, columns, after, at: dt.datetime | None = None, size: int | None = None):
    """A page of the list (``size`` rows, the house's page size by default): newest first
    (keyset on id), or by deadline, soonest first (keyset on stage_due_at, id; items
    without a deadline are left out of that order).

    A search on SQLite first reads a window in the page's order, the next ``WINDOW``
    items of the list without the search or the index's matches among the next
    ``NEWEST`` items, and keeps those the whole search picks: when they hold a full page
    and one more, that is the page, since every other item it picks comes after them.
    Otherwise (rare words) the whole index answers. Either way the page is the same."""
    from portal.web.pagination import PAGE_SIZE, Page, parse_time_cursor, time_page

    at = at or now()
    values = _filter_values(actor, chosen, at)
    if values is None:
        return Page(rows=[], next_after=None)
    size = size or PAGE_SIZE
    if chosen.sort == "due":
        cursor = after if isinstance(after, str) else None
        cursor_at, cursor_id = parse_time_cursor(cursor) or (None, None)
        values.update(after=None, cursor_at=cursor_at, cursor_id=cursor_id, size=size)
    else:
        cursor = after if isinstance(after, int) else None
        values.update(after=cursor, cursor_at=None, cursor_id=None, size=size)
    columns = tuple(columns)

    async def page(window: str | None):
        search = _search_values(chosen.q, window, cursor)
        statement = _page_statement(columns, search["pg_words"] is not None)
        rows = await _run_page(statement, {**values, **search, "window_size": WINDOW if window == "rows" else None})
        if chosen.sort == "due":
            return time_page(rows, LedgerItem.stage_due_at, LedgerItem.id, size)
        more = len(rows) > size
        rows = rows[:size]
        return Page(rows=rows, next_after=rows[-1]["id"] if more and rows else None)

    window = _window_first(chosen)
    if window:
        first = await page(window)
        if first.next_after is not None:
            return first
    return await page(None)


async def _run_page(statement: Statement, values: dict) -> list[dict]:
    """The rows of one of the list's statements: the one place they run, where a test
    counts how many a page took."""
    return await statement.run(**values)


# --- Bulk reassignment -----------------------------------------------------------------


async def bulk_reassign(actor: Actor, item_ids: list[int], officer_id: int) -> tuple[list[dict], list[dict]]:
    """Assign each item to ``officer_id`` through the ledger's own transition (checked,
    audited and notified one by one). Returns (reassigned, refused with the reason)."""
    from portal.ledger.rules import LedgerError, transition

    done, refused = [], []
    for item_id in list(dict.fromkeys(item_ids))[:BULK_MAX]:
        row = await LedgerItem.select(LedgerItem.id, LedgerItem.number, LedgerItem.community).where(LedgerItem.id == item_id).first().run()
        if not row or not actor.reaches(row["community"], "officer", "head"):
            refused.append({"id": item_id, "number": "#%d" % item_id, "reason": _("No such item.")})
            continue
        try:
            await transition(item_id, "assigned", actor, officer_id=officer_id)
            done.append(row)
        except LedgerError as error:
            refused.append({**row, "reason": _(error.message, **{k: v for k, v in error.params.items() if k != "stale"})})
    return done, refused


# --- Export ----------------------------------------------------------------------------

EXPORT_COLUMNS = (
    LedgerItem.id, LedgerItem.number, LedgerItem.ledger, LedgerItem.category, LedgerItem.stage, LedgerItem.source, LedgerItem.summary,
    LedgerItem.created_at, LedgerItem.stage_due_at, LedgerItem.closed_at, LedgerItem.officer.real_name,
    LedgerItem.community.name_zh, LedgerItem.community.name_en, LedgerItem.community.timezone,
)


async def export_rows(actor: Actor, chosen, at: dt.datetime | None = None) -> list[dict]:
    """The filtered items for the export, in the list's order, at most ``EXPORT_MAX``.
    No contact of the person who raised an item is exported, whoever asks."""
    # Piccolo's own query, not a compiled statement: up to 10,000 rows are no short read
    # for the event loop's thread (portal.db.Statement), and an export is rare.
    query = item_query(actor, chosen, EXPORT_COLUMNS, at)
    if query is None:
        return []
    if chosen.sort == "due":
        query = query.order_by(LedgerItem.stage_due_at).order_by(LedgerItem.id)
    else:
        query = query.order_by(LedgerItem.id, ascending=False)
    return await query.limit(EXPORT_MAX).run()


def _local(moment, timezone: str):
    from zoneinfo import ZoneInfo

    if moment is None:
        return None
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(ZoneInfo(timezone or "Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


def export_header() -> list[str]:
    return [_("Number"), _("Ledger"), _("Category"), _("Stage"), _("Source"), _("Community"), _("Accountable officer"), pgettext("when", "Filed"), pgettext("deadline", "Due"), pgettext("when", "Closed"), _("Summary")]


def export_table(rows: list[dict]) -> list[list]:
    table = []
    for row in rows:
        zone = row["community.timezone"]
        table.append([
            row["number"], _(labels.LEDGER_ONE[row["ledger"]]), _(labels.CATEGORIES.get(row["category"], row["category"])), _(labels.STAGES[row["stage"]]),
            _(labels.SOURCES[row["source"]]) if row["source"] in labels.SOURCES else row["source"], safe_text(localized(row, "community.name")),
            safe_text(row["officer.real_name"] or ""), _local(row["created_at"], zone), _local(row["stage_due_at"], zone), _local(row["closed_at"], zone),
            safe_text(row["summary"]),
        ])
    return table


def export_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export_header())
    for line in export_table(rows):
        writer.writerow(["" if v is None else (v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else v) for v in line])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def export_xlsx(rows: list[dict]) -> bytes:
    """The items as one sheet made for Excel and WPS (portal.web.xlsx: frozen header,
    autofilter, widths, dates as dates, the sheet named in the reader's language)."""
    from portal.web.xlsx import Sheet, workbook_bytes

    types = ["code", "text", "text", "text", "text", "text", "text", "datetime", "datetime", "datetime", "text"]
    return workbook_bytes([Sheet(_("Ledger items"), export_header(), export_table(rows), types)])


def _owners_query(p):
    from portal.accounts.tables import RoleGrant
    from portal.stations.tables import Community

    query = RoleGrant.select(RoleGrant.user, RoleGrant.user.real_name).where((RoleGrant.user.active == True) & RoleGrant.role.is_in(["officer", "head"]))  # noqa: E712
    if p.scope is not None:
        stations = Community.select(Community.station).where(Community.id.is_in(p.scope))
        query = query.where(((RoleGrant.role == "officer") & RoleGrant.community.is_in(p.scope)) | ((RoleGrant.role == "head") & RoleGrant.station.is_in(stations)))
    return query.limit(1000)


_OWNERS = Statement(_owners_query)


async def owners_of(actor: Actor) -> list[dict]:
    """Who may be accountable for items the actor reaches: the officers of those
    communities and the heads of their stations (the owner filter and bulk reassign)."""
    scope = actor.communities("officer", "head")
    if scope is not None and not scope:
        return []
    seen: dict[int, str] = {}
    for row in await _OWNERS.run(scope=sorted(scope) if scope is not None else None):
        seen.setdefault(row["user"], row["user.real_name"])
    return [{"id": k, "real_name": v} for k, v in sorted(seen.items(), key=lambda kv: kv[1])]
