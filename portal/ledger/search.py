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
word's frequency alike, and read all 100,000 items for a rare name. SQLite's planner
cannot tell a word's frequency at all, so a page is first looked for in a window of
the items next in the page's order, and through the whole index when that holds less
than a page (see ``item_page``).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re

from piccolo.columns.combination import WhereRaw
from piccolo.engine.postgres import PostgresEngine

from portal.accounts.rules import Actor, now
from portal.db import engine
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


def search_condition(text: str | None, window: str | None = None, before: int | None = None):
    """A WHERE condition on ledger_item for the words of ``text`` (all must occur), or None.

    On SQLite, words of fewer than three characters (which the trigram index cannot
    hold) are read from the FTS5 table's text of every item, unless the rows are few
    (``item_page``'s windows): then from the text of each row the query reads anyway
    (the same text, so the same items). ``window="rows"``: the query's rows come from
    elsewhere, the longer words' matches are only looked up. ``window="newest"``: only
    the matches among the ``NEWEST`` items below the id ``before`` (or the newest)."""
    terms = terms_of(text)
    if not terms:
        return None
    if any("\x00" in term for term in terms):
        # No item's text holds NUL (the forms drop it; PostgreSQL's text cannot), and
        # FTS5 reads it as the end of its query.
        return WhereRaw("1 = 0")
    if isinstance(engine(), PostgresEngine):
        # Literals, not parameters: see the module's docstring.
        return WhereRaw(" AND ".join("ledger_item.search_text LIKE " + _postgres_literal(_like(term.lower())) for term in terms))
    # FTS5 trigram: a phrase per word of three characters or more; shorter words are
    # read by LIKE (the tokenizer cannot index them).
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    phrases = " ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
    likes = [_like(term) for term in short_terms]
    if window:
        clauses = [_SQLITE_BODY + " LIKE {} ESCAPE '\\'" for _term in short_terms]
        if phrases and window == "newest":
            # FTS5 reads its lists from the lower bound on (reading them backwards, as
            # ORDER BY rowid DESC LIMIT would, costs three to five times more).
            top = "{}" if before is not None else "(SELECT max(id) + 1 FROM ledger_item)"
            clauses.insert(0, f"ledger_item.id IN (SELECT rowid FROM ledger_item_fts WHERE ledger_item_fts MATCH {{}} AND rowid < {top} AND rowid >= {top} - {NEWEST:d})")
            return WhereRaw(" AND ".join(clauses), phrases, *([before, before] if before is not None else []), *likes)
        if phrases:
            # "+": the rows come from the window, the matches are only looked up (read
            # through the matches, a common word's would all be read and sorted).
            clauses.insert(0, "+ledger_item.id IN (SELECT rowid FROM ledger_item_fts WHERE ledger_item_fts MATCH {})")
        return WhereRaw(" AND ".join(clauses), *([phrases] if phrases else []), *likes)
    clauses = (["ledger_item_fts MATCH {}"] if phrases else []) + ["body LIKE {} ESCAPE '\\'" for _term in short_terms]
    return WhereRaw("ledger_item.id IN (SELECT rowid FROM ledger_item_fts WHERE " + " AND ".join(clauses) + ")", *([phrases] if phrases else []), *likes)


def params_of(chosen) -> dict[str, str]:
    """The list's filters as query parameters (links to the next page and the export)."""
    values = {
        "q": chosen.q, "ledger": chosen.ledger, "category": chosen.category, "stage": chosen.stage,
        "community": chosen.community_id, "owner": chosen.owner, "source": chosen.source,
        "due_within": chosen.due_within, "mine": "true" if chosen.mine else None,
        "sort": chosen.sort if chosen.sort != "new" else None,
    }
    return {k: str(v) for k, v in values.items() if v not in (None, "", False)}


def item_query(actor: Actor, chosen, columns, at: dt.datetime | None = None, window: str | None = None, before: int | None = None):
    """The select of the items ``chosen`` picks among the actor's communities, or None when
    the actor reaches none (``window``, ``before``: see ``search_condition``)."""
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
    if chosen.category in CATEGORY_CODES:
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
    condition = search_condition(chosen.q, window, before)
    if condition is not None:
        query = query.where(condition)
    return query


def _window_first(chosen) -> str | None:
    """Which window ``item_page`` reads before asking the index (SQLite): when the list
    is newest first and a word has three characters or more, the index's matches among
    the newest items; else the next items of the list."""
    terms = terms_of(chosen.q)
    if not terms or isinstance(engine(), PostgresEngine):
        return None
    return "newest" if chosen.sort != "due" and any(len(term) >= 3 for term in terms) else "rows"


async def item_page(actor: Actor, chosen, columns, after, at: dt.datetime | None = None, size: int | None = None):
    """A page of the list (``size`` rows, the house's page size by default): newest first
    (keyset on id), or by deadline, soonest first (keyset on stage_due_at, id; items
    without a deadline are left out of that order).

    A search on SQLite first reads a window in the page's order, the next ``WINDOW``
    items of the list without the search or the index's matches among the next
    ``NEWEST`` items, and keeps those the whole search picks: when they hold a full page
    and one more, that is the page, since every other item it picks comes after them.
    Otherwise (rare words) the whole index answers. Either way the page is the same."""
    from portal.web.pagination import PAGE_SIZE, Page, keyset_page, keyset_time_page, keyset_time_query

    at = at or now()
    query = item_query(actor, chosen, columns, at)
    if query is None:
        return Page(rows=[], next_after=None)
    cursor = (after if isinstance(after, str) else None) if chosen.sort == "due" else (after if isinstance(after, int) else None)
    size = size or PAGE_SIZE

    async def page(query):
        if chosen.sort == "due":
            return await keyset_time_page(query, LedgerItem.stage_due_at, LedgerItem.id, cursor, size)
        return await keyset_page(query, LedgerItem.id, cursor, size, descending=True)

    window = _window_first(chosen)
    if window:
        if window == "newest":
            candidates = item_query(actor, chosen, columns, at, window, before=cursor)
        else:
            rows = item_query(actor, dataclasses.replace(chosen, q=None), (LedgerItem.id,), at)
            if chosen.sort == "due":
                rows = keyset_time_query(rows, LedgerItem.stage_due_at, LedgerItem.id, cursor, WINDOW - 1)
            else:
                rows = (rows.where(LedgerItem.id < cursor) if cursor is not None else rows).order_by(LedgerItem.id, ascending=False).limit(WINDOW)
            candidates = item_query(actor, chosen, columns, at, window).where(LedgerItem.id.is_in(rows))
        first = await page(candidates)
        if first.next_after is not None:
            return first
    return await page(query)


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


async def owners_of(actor: Actor) -> list[dict]:
    """Who may be accountable for items the actor reaches: the officers of those
    communities and the heads of their stations (the owner filter and bulk reassign)."""
    from portal.accounts.tables import RoleGrant
    from portal.stations.tables import Community

    scope = actor.communities("officer", "head")
    query = RoleGrant.select(RoleGrant.user, RoleGrant.user.real_name).where((RoleGrant.user.active == True) & RoleGrant.role.is_in(["officer", "head"]))  # noqa: E712
    if scope is not None:
        if not scope:
            return []
        stations = [r["station"] for r in await Community.select(Community.station).where(Community.id.is_in(list(scope))).run()]
        query = query.where(
            ((RoleGrant.role == "officer") & RoleGrant.community.is_in(list(scope))) | ((RoleGrant.role == "head") & RoleGrant.station.is_in(stations or [0]))
        )
    seen: dict[int, str] = {}
    for row in await query.limit(1000).run():
        seen.setdefault(row["user"], row["user.real_name"])
    return [{"id": k, "real_name": v} for k, v in sorted(seen.items(), key=lambda kv: kv[1])]
