"""The officer's review of field logs: one queue across kinds for the officer's communities,
and the decisions taken on a log (accept, ask the author for information, mark as a
duplicate of another log, comment), each audited.

The queue is read by keyset on (created_at, id) or (occurred_at, id), newest or oldest
first (``REVIEW_SORTS``), so page 10,000 costs what page 1 does; every filter is an
equality or a range on a column that leads one of the composite indexes of ``field_log``
(see the logs migrations). Nothing here reads
``mediation_party``: the parties of a mediation never reach the queue or its exports.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import types
from dataclasses import dataclass
from typing import AsyncIterator
from zoneinfo import ZoneInfo


from portal.accounts.tables import RoleGrant
from portal.audit.rules import record
from portal.db import Statement, write_transaction
from portal.logs.labels import label
from portal.logs.rules import add_note, now
from portal.logs.tables import KINDS, SEVERITIES, STATUSES, FieldLog
from portal.notifications.rules import notify
from portal.stations.rules import communities_by_id
from portal.web.i18n import N_
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp
from portal.web.pagination import parse_time_cursor, time_cursor
from portal.web.sorting import Order, SortKey, Sorts

PAGE_SIZE = 50
COUNT_CAP = 1000  # status tabs above this say "1,000+"
PEOPLE_LIMIT = 300  # the "Logged by" filter of one community
BULK_LIMIT = 100
MERGE_LIMIT = 30  # up to this many communities, one index walk each (queue_page)
NOTE_MAX = 2000

# Which review statuses each decision may start from.
ALLOWED_FROM = {
    "accept": frozenset({"submitted", "needs_info"}),
    "ask": frozenset({"submitted", "needs_info", "accepted"}),
    "duplicate": frozenset({"submitted", "needs_info", "accepted"}),
}
ACTIONS = ("accept", "ask", "duplicate", "comment", "file")

# The columns the queue shows, and nothing more (the row template and the exports).
QUEUE_COLUMNS = (
    FieldLog.id,
    FieldLog.kind,
    FieldLog.status,
    FieldLog.category,
    FieldLog.severity,
    FieldLog.hazard_stage,
    FieldLog.people_count,
    FieldLog.outcome,
    FieldLog.minutes,
    FieldLog.photo_count,
    FieldLog.nothing_to_report,
    FieldLog.duplicate_of,
    FieldLog.description,
    FieldLog.occurred_at,
    FieldLog.created_at,
    FieldLog.updated_at,
    FieldLog.community,
    FieldLog.author,
    FieldLog.author.real_name.as_alias("author_name"),
    FieldLog.community.name_zh.as_alias("community_name_zh"),
    FieldLog.community.name_en.as_alias("community_name_en"),
    FieldLog.community.timezone.as_alias("timezone"),
)


class ReviewError(Exception):
    """A decision that cannot be taken; ``message`` is translated and shown as is."""

    def __init__(self, message: str, field: str = "note"):
        super().__init__(message)
        self.message = message
        self.field = field


class LogNotFound(Exception):
    """No such log in the actor's reach (the page answers 404)."""


def reviewer_scope(actor) -> frozenset[int] | None:
    """Communities whose logs the actor reviews (officers; heads: their station); None = all."""
    return actor.communities("officer", "head")


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)


def version_of(log: dict) -> str:
    """A token of the log's state, sent with every decision (``updated_at``, which changes
    whenever the log does): a decision taken on an older state is refused as stale."""
    return _utc(log["updated_at"]).isoformat()


# --- The queue -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """What the officer chose in the filter form; None means "any"."""

    kind: str | None = None
    status: str | None = None
    community: int | None = None
    date_from: dt.date | None = None  # received on or after, in ``tz``
    date_to: dt.date | None = None  # received on or before, in ``tz``
    volunteer: int | None = None
    severity: str | None = None
    oldest_first: bool = False
    by: str = "received"  # the moment the queue is ordered by: "received" or "occurred"
    tz: str = "Asia/Shanghai"

    @property
    def order(self) -> Order:
        return REVIEW_SORTS.parse(("" if self.oldest_first else "-") + self.by)

    def filter_items(self) -> list[tuple[str, str]]:
        """The filters without the order, as GET parameters (the sortable headers)."""
        items = [
            ("kind", self.kind), ("status", self.status), ("community", self.community),
            ("date_from", self.date_from and self.date_from.isoformat()), ("date_to", self.date_to and self.date_to.isoformat()),
            ("volunteer", self.volunteer), ("severity", self.severity),
        ]
        return [(k, str(v)) for k, v in items if v]

    def query_items(self) -> list[tuple[str, str]]:
        """The filters and the order as GET parameters (links to the next page and to the exports)."""
        return self.filter_items() + self.order.query_items()


# The queue's orders: when the log was received (the default, newest first) or when what
# it tells happened. Each is read from the (…, moment, id) indexes of field_log.
REVIEW_SORTS = Sorts({
    "received": SortKey(_lp("moment", "Received"), column=FieldLog.created_at, descending_first=True),
    "occurred": SortKey(_l("Happened"), column=FieldLog.occurred_at, descending_first=True),
}, default="-received")


def queue_order(params) -> Order:
    """The order a query asks for; ``order=oldest`` is the oldest received first (links
    made before the queue had sortable columns)."""
    sort = params.get("sort") if params else None
    if not sort and params and params.get("order") == "oldest":
        sort = "received"
    return REVIEW_SORTS.parse(sort)


def _day_start(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZoneInfo(tz)).astimezone(dt.timezone.utc)


def _communities(actor, filters: QueueFilters) -> list[int] | None:
    """The communities the query may read: the actor's reach narrowed by the filter.
    None = every community (admin, no filter); [] = nothing to show."""
    scope = reviewer_scope(actor)
    if filters.community is not None:
        return [filters.community] if scope is None or filters.community in scope else []
    return None if scope is None else sorted(scope)


def _filter_values(filters: QueueFilters) -> dict:
    """The filters other than the community as the values of the queue's statements
    (None: that filter is not set, and its condition is not in the statement's shape)."""
    return {
        "kind": filters.kind if filters.kind in KINDS else None,
        "status": filters.status if filters.status in STATUSES else None,
        "severity": filters.severity if filters.severity in SEVERITIES else None,
        "volunteer": filters.volunteer,
        "since": _day_start(filters.date_from, filters.tz) if filters.date_from else None,
        "until": _day_start(filters.date_to + dt.timedelta(days=1), filters.tz) if filters.date_to else None,
    }


def _conditions(p) -> list:
    """The filters other than the community as conditions: ``p`` holds their values, or a
    compiled statement's parameters (``portal.db.Statement``)."""
    conditions: list = []
    if p.kind is not None:
        conditions.append(FieldLog.kind == p.kind)
    if p.status is not None:
        conditions.append(FieldLog.status == p.status)
    if p.severity is not None:
        conditions.append(FieldLog.severity == p.severity)
    if p.volunteer is not None:
        conditions.append(FieldLog.author == p.volunteer)
    if p.since is not None:
        conditions.append(FieldLog.created_at >= p.since)
    if p.until is not None:
        conditions.append(FieldLog.created_at < p.until)
    return conditions


def _where(filters: QueueFilters) -> list:
    """The filters other than the community, as conditions with their values (to EXPLAIN
    ``keys_query`` as the page runs it)."""
    return _conditions(types.SimpleNamespace(**_filter_values(filters)))


def encode_cursor(row: dict, moment: str = "created_at") -> str:
    return time_cursor(row[moment], row["id"])


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict]
    next_after: str | None


_MOMENTS = {"created_at": FieldLog.created_at, "occurred_at": FieldLog.occurred_at}


def keys_query(community, conditions: list, column, descending: bool, limit: int):
    """The keys (id and ``column``) of one community's page (or of a list of them, or of
    all with None), in ``column`` then id order: what an index of field_log serves."""
    query = FieldLog.select(FieldLog.id, column)
    if isinstance(community, list):
        query = query.where(FieldLog.community.is_in(community))
    elif community is not None:
        query = query.where(FieldLog.community == community)
    for condition in conditions:
        query = query.where(condition)
    return query.order_by(column, FieldLog.id, ascending=not descending).limit(limit)


def _page_keys_query(p):
    """``keys_query`` after the position (``p.at``, ``p.last``): ``moment <= t AND (moment
    < t OR id < i)`` keeps the range on the index's time column, so the database seeks
    instead of filtering every earlier row."""
    conditions = _conditions(p)
    if p.only is not None:
        conditions.append(FieldLog.id == p.only)
    column = _MOMENTS[p.by]
    if p.at is not None:
        if p.descending:
            conditions += [column <= p.at, (column < p.at) | (FieldLog.id < p.last)]
        else:
            conditions += [column >= p.at, (column > p.at) | (FieldLog.id > p.last)]
    return keys_query(p.communities if p.community is None else p.community, conditions, column, p.descending, p.size + 1)


# Every statement a view of the queue runs is compiled once per shape: Piccolo took
# 1-2 ms to build each of them, more than the database took to run it.
# A page and the capped counts under a filter no index serves read much of the table: not
# on the loop's thread.
_KEYS = Statement(_page_keys_query, literal=("by", "descending", "size"), short=False)
_ROWS = Statement(lambda p: FieldLog.select(*QUEUE_COLUMNS).where(FieldLog.id.is_in(p.ids)))


async def queue_page(actor, filters: QueueFilters, after: str | None = None, size: int = PAGE_SIZE, columns=QUEUE_COLUMNS, only: int | None = None) -> QueuePage:
    """One page of the queue after the cursor ``after``.

    The key is (created_at, id), or (occurred_at, id) when the filters order by the moment
    it happened (``_page_keys_query``). A database cannot walk one (community, …,
    created_at, id) index for several communities in key order, so for a few communities
    (a station head's) each is read on its own index and the pages merged; one community
    (an officer's) is one query on its index; for all of them (an admin) one query walks
    the (…, created_at, id) indexes without the community. Those read only the keys (from
    the index); the page's rows are then read by id. ``only`` narrows the query to one log
    (a row shown again after a decision)."""
    communities = _communities(actor, filters)
    if communities == []:
        return QueuePage([], None)
    at, last = parse_time_cursor(after) or (None, None)
    name = "occurred_at" if filters.by == "occurred" else "created_at"
    values = {**_filter_values(filters), "only": only, "at": at, "last": last, "by": name, "descending": not filters.oldest_first, "size": size}

    async def read(community: int | None = None, several: list[int] | None = None) -> list[dict]:
        return await _KEYS.run(community=community, communities=several, **values)

    if communities is None or len(communities) > MERGE_LIMIT:
        keys = await read(several=communities)
    elif len(communities) == 1:
        keys = await read(communities[0])
    else:
        # Each community's page of keys, merged.
        keys = [row for part in await asyncio.gather(*(read(c) for c in communities)) for row in part]
        keys.sort(key=lambda r: (_utc(r[name]), r["id"]), reverse=not filters.oldest_first)
    more = len(keys) > size
    keys = keys[:size]
    rows = await rows_by_id([r["id"] for r in keys], columns)
    return QueuePage(rows, encode_cursor(keys[-1], name) if more and keys else None)


async def rows_by_id(ids: list[int], columns=QUEUE_COLUMNS) -> list[dict]:
    """The rows of ``ids`` in that order (``columns`` of each; other columns than the
    queue's are a caller's own select, built on each call)."""
    if not ids:
        return []
    if columns is QUEUE_COLUMNS:
        found = await _ROWS.run(ids=list(ids))
    else:
        found = await FieldLog.select(*columns).where(FieldLog.id.is_in(list(ids))).run()
    by_id = {row["id"]: row for row in found}
    return [by_id[i] for i in ids if i in by_id]


async def walk_queue(actor, filters: QueueFilters, batch: int = 500, columns=QUEUE_COLUMNS) -> AsyncIterator[dict]:
    """Every row of the filtered queue, read a batch at a time (the exports)."""
    after = None
    while True:
        page = await queue_page(actor, filters, after, size=batch, columns=columns)
        for row in page.rows:
            yield row
        if not page.next_after:
            return
        after = page.next_after


def _tab_query(p, query):
    """``query`` narrowed to the logs of the status ``p.tab`` under the other filters."""
    query = query.where(FieldLog.status == p.tab)
    if p.communities is not None:
        query = query.where(FieldLog.community.is_in(p.communities))
    for condition in _conditions(p):
        query = query.where(condition)
    return query


# A count that stops at COUNT_CAP + 1, in statements Piccolo can write. Without other
# filters the (community, status, …) index answers alone: is there a log beyond the cap
# (OFFSET skips index entries without returning them), and if not, how many - 0.1-0.2 ms
# on SQLite with 1 M logs, where reading the ids took 3-6 ms and counting ids selected
# with LIMIT (a subquery in IN) 3-8 ms, looking each one up in the table. Other filters
# are read from the table: the ids, at most COUNT_CAP + 1, are read once instead.
_BEYOND_CAP = Statement(lambda p: _tab_query(p, FieldLog.select(FieldLog.id)).offset(COUNT_CAP).first())
_TAB_COUNT = Statement(lambda p: _tab_query(p, FieldLog.count()))
_TAB_IDS = Statement(lambda p: _tab_query(p, FieldLog.select(FieldLog.id)).limit(COUNT_CAP + 1), short=False)


async def status_counts(actor, filters: QueueFilters) -> dict[str, int]:
    """Logs per review status under the active filters (all but the status itself: each
    tab says what choosing it would show). Each count stops at COUNT_CAP + 1 (shown as
    "1,000+"): every view reads at most that many entries of the (community, status, …)
    index per status, however many logs the communities ever had (a busy community has
    11,000 accepted logs at 1 M)."""
    communities = _communities(actor, filters)
    counts = {status: 0 for status in STATUSES}
    if communities == []:
        return counts
    others = {**_filter_values(filters), "status": None}
    values = {**others, "communities": communities}
    filtered = any(value is not None for value in others.values())
    for status in STATUSES:
        if filtered:
            counts[status] = len(await _TAB_IDS.run(tab=status, **values))
        elif await _BEYOND_CAP.run(tab=status, **values):
            counts[status] = COUNT_CAP + 1
        else:
            # A log written between the two statements cannot take the count past the cap.
            counts[status] = min(await _TAB_COUNT.run(tab=status, **values), COUNT_CAP + 1)
    return counts


def _people_query(p):
    """Volunteers and hosts (a role grant of theirs) of the community ``p.community``, or
    the person ``p.person`` when a grant of theirs is in the communities ``p.reach``
    (None: any community)."""
    query = RoleGrant.select(RoleGrant.user.as_alias("id"), RoleGrant.user.real_name.as_alias("real_name")).where(RoleGrant.role.is_in(["volunteer", "host"]))
    if p.person is not None:
        query = query.where(RoleGrant.user == p.person)
        return query.where(RoleGrant.community.is_in(p.reach) if p.reach is not None else RoleGrant.community.is_not_null()).limit(1)
    # A grant without a user (the column allows it) names nobody.
    return query.where((RoleGrant.community == p.community) & RoleGrant.user.is_not_null()).distinct().order_by(RoleGrant.user.real_name).limit(PEOPLE_LIMIT)


_PEOPLE = Statement(_people_query)


async def filter_choices(actor, community: int | None = None, volunteer: int | None = None) -> dict[str, list[dict]]:
    """The communities and the people (volunteers, hosts) the filter form offers.

    People are listed for one community only: the one filtered on (``community``) or the
    only one the actor reaches, at most PEOPLE_LIMIT (a city has ~40 a community). With
    several communities and none chosen, the form offers only the person already filtered
    on (``volunteer``, when in reach): a view never reads and sorts every volunteer of a
    station or of the city."""
    scope = reviewer_scope(actor)
    if scope is not None and not scope:
        return {"communities": [], "people": [], "people_listed": False}
    listed = community if community is not None and (scope is None or community in scope) else (next(iter(scope)) if scope is not None and len(scope) == 1 else None)
    communities = [{k: c[k] for k in ("id", "name_zh", "name_en", "timezone")} for c in await communities_by_id(scope)]
    found: list[dict] = []
    if listed is not None:
        found += await _PEOPLE.run(community=listed, person=None, reach=None)
    if volunteer is not None:
        found += await _PEOPLE.run(community=None, person=volunteer, reach=sorted(scope) if scope is not None else None)
    people: dict[int, dict] = {}
    for row in found:
        people.setdefault(row["id"], row)
    return {"communities": communities, "people": sorted(people.values(), key=lambda p: p["real_name"] or ""), "people_listed": listed is not None}


# --- Decisions -------------------------------------------------------------------------


async def _log_in_reach(actor, log_id: int) -> dict:
    log = await FieldLog.select(
        FieldLog.id, FieldLog.kind, FieldLog.status, FieldLog.community, FieldLog.author, FieldLog.duplicate_of, FieldLog.updated_at
    ).where(FieldLog.id == log_id).first().run()
    scope = reviewer_scope(actor)
    if not log or (scope is not None and log["community"] not in scope):
        raise LogNotFound()
    return log


async def review_log(actor, log_id: int) -> dict:
    """The log's review state as a reviewer sees it (the actions fragment); LogNotFound
    when it is out of the actor's reach."""
    log = await _log_in_reach(actor, log_id)
    if log["duplicate_of"]:
        log["duplicate_of_kind"] = (await FieldLog.select(FieldLog.kind).where(FieldLog.id == log["duplicate_of"]).first().run() or {}).get("kind")
    return {**log, "version": version_of(log)}


def _clean_note(note: str | None, required: bool) -> str:
    text = (note or "").strip()
    if required and not text:
        raise ReviewError(_("Write a note."))
    if len(text) > NOTE_MAX:
        raise ReviewError(_("The note is too long: at most %(max)s characters.", max=NOTE_MAX))
    return text


def _stale(log_id: int) -> ReviewError:
    return ReviewError(_("Log #%(id)s changed since you opened it: look at it again before deciding.", id=log_id), field="stale")


def _check_fresh(log: dict, version: str | None) -> None:
    """``version`` None skips the check (a caller acting on the current state); a form's
    version, even empty or mangled, must be the log's current one."""
    if version is None:
        return
    try:
        seen = _utc(dt.datetime.fromisoformat(version))
    except ValueError:
        seen = None
    if seen != _utc(log["updated_at"]):
        raise _stale(log["id"])


async def _change(log: dict, values: dict, moment: dt.datetime) -> None:
    """Write ``values`` only if the log is still as read: a concurrent decision makes this
    one stale instead of overwriting it (on PostgreSQL the second UPDATE waits for the
    first and then finds no row)."""
    changed = await FieldLog.update({**values, FieldLog.updated_at: moment}).where(
        (FieldLog.id == log["id"]) & (FieldLog.updated_at == log["updated_at"]) & (FieldLog.status == log["status"])
    ).returning(FieldLog.id).run()
    if not changed:
        raise _stale(log["id"])


async def accept(actor, log_id: int, version: str | None, note: str | None = None, *, ip: str = "") -> dict:
    """Accept a log: it then counts in statistics and bulletins."""
    text = _clean_note(note, required=False)
    async with write_transaction():
        log = await _log_in_reach(actor, log_id)
        _check_fresh(log, version)
        if log["status"] not in ALLOWED_FROM["accept"]:
            raise ReviewError(_("Log #%(id)s is already %(status)s.", id=log_id, status=label("status", log["status"])), field="stale")
        moment = now()
        await _change(log, {FieldLog.status: "accepted", FieldLog.reviewed_by: actor.id, FieldLog.reviewed_at: moment, FieldLog.duplicate_of: None}, moment)
        if text:
            await add_note(log_id, actor.id, "decision", text, moment)
        await record("log.accepted", "field_log", log_id, actor=actor, before={"status": log["status"]}, after={"status": "accepted", "note": text}, ip=ip)
    return await review_log(actor, log_id)


async def ask_for_information(actor, log_id: int, version: str | None, question: str | None, *, ip: str = "") -> dict:
    """Send the log back to its author with a question; the author's answer (the logs'
    ``answer_question``) puts it back in the queue."""
    text = _clean_note(question, required=True)
    async with write_transaction():
        log = await _log_in_reach(actor, log_id)
        _check_fresh(log, version)
        if log["status"] not in ALLOWED_FROM["ask"]:
            raise ReviewError(_("Log #%(id)s is already %(status)s.", id=log_id, status=label("status", log["status"])), field="stale")
        if not log["author"]:
            raise ReviewError(_("Log #%(id)s has no author left to answer.", id=log_id))
        moment = now()
        await _change(log, {FieldLog.status: "needs_info", FieldLog.reviewed_by: actor.id, FieldLog.reviewed_at: moment}, moment)
        await add_note(log_id, actor.id, "question", text, moment)
        await record("log.question", "field_log", log_id, actor=actor, before={"status": log["status"]}, after={"status": "needs_info", "note": text}, ip=ip)
        await notify(
            log["author"], "log.question", N_("A question about your log #%(id)s"), N_("The community officer asks: %(question)s"),
            link=f"/logs/{log_id}", id=log_id, question=text,
        )
    return await review_log(actor, log_id)


async def mark_duplicate(actor, log_id: int, version: str | None, original_id: int | None, note: str | None = None, *, ip: str = "") -> dict:
    """Mark a log as the same event as ``original_id``: a log of the same community, not
    itself, and never a chain (the original is no duplicate, and nothing points at this one)."""
    text = _clean_note(note, required=False)
    if not original_id:
        raise ReviewError(_("Give the number of the log this one repeats."), field="original")
    async with write_transaction():
        log = await _log_in_reach(actor, log_id)
        _check_fresh(log, version)
        if log["status"] not in ALLOWED_FROM["duplicate"]:
            raise ReviewError(_("Log #%(id)s is already %(status)s.", id=log_id, status=label("status", log["status"])), field="stale")
        if original_id == log_id:
            raise ReviewError(_("A log cannot repeat itself."), field="original")
        original = await FieldLog.select(FieldLog.id, FieldLog.community, FieldLog.status).where(FieldLog.id == original_id).first().run()
        if not original or original["community"] != log["community"]:
            raise ReviewError(_("Log #%(id)s is not a log of the same community.", id=original_id), field="original")
        if original["status"] == "duplicate":
            raise ReviewError(_("Log #%(id)s is itself a duplicate: choose the log it repeats.", id=original_id), field="original")
        if await FieldLog.exists().where(FieldLog.duplicate_of == log_id).run():
            raise ReviewError(_("Other logs are marked as duplicates of log #%(id)s: it stays the original.", id=log_id), field="original")
        moment = now()
        await _change(log, {FieldLog.status: "duplicate", FieldLog.duplicate_of: original_id, FieldLog.reviewed_by: actor.id, FieldLog.reviewed_at: moment}, moment)
        if text:
            await add_note(log_id, actor.id, "decision", text, moment)
        await record(
            "log.duplicate", "field_log", log_id, actor=actor,
            before={"status": log["status"], "duplicate_of": log["duplicate_of"]}, after={"status": "duplicate", "duplicate_of": original_id, "note": text}, ip=ip,
        )
    return await review_log(actor, log_id)


async def comment(actor, log_id: int, text: str | None, *, ip: str = "") -> dict:
    """An officer's comment: the author sees it with the log; the log's state is unchanged
    (so a comment never makes another officer's pending decision stale)."""
    body = _clean_note(text, required=True)
    async with write_transaction():
        log = await _log_in_reach(actor, log_id)
        await add_note(log_id, actor.id, "comment", body, now())
        await record("log.comment", "field_log", log_id, actor=actor, after={"note": body}, ip=ip)
        if log["author"] and log["author"] != actor.id:
            await notify(log["author"], "log.comment", N_("A comment on your log #%(id)s"), N_("The community officer wrote: %(comment)s"), link=f"/logs/{log_id}", id=log_id, comment=body)
    return await review_log(actor, log_id)


# --- Likely duplicates -----------------------------------------------------------------

DUPLICATE_DAYS = 3  # candidates happened this many days before or after the log
DUPLICATE_CANDIDATES = 8


async def duplicate_candidates(log_id: int) -> list[dict]:
    """The logs this one most likely repeats, for the reviewer to choose from: the same
    community, kind and category, within DUPLICATE_DAYS days, not themselves duplicates;
    those at the same place (watch point, landmark or street) first, then the nearest in
    time. Each row says whether it is at the same place (``same_place``)."""
    log = await FieldLog.select(
        FieldLog.id, FieldLog.community, FieldLog.kind, FieldLog.category, FieldLog.occurred_at, FieldLog.watch_point, FieldLog.landmark, FieldLog.place
    ).where(FieldLog.id == log_id).first().run()
    if not log:
        return []
    moment = _utc(log["occurred_at"])
    window = dt.timedelta(days=DUPLICATE_DAYS)
    query = FieldLog.select(
        FieldLog.id, FieldLog.kind, FieldLog.category, FieldLog.status, FieldLog.occurred_at, FieldLog.watch_point, FieldLog.landmark, FieldLog.place,
        FieldLog.description, FieldLog.landmark.name_zh.as_alias("landmark_name"), FieldLog.landmark.name_en.as_alias("landmark_name_en"),
        FieldLog.watch_point.name_zh.as_alias("point_name"), FieldLog.watch_point.name_en.as_alias("point_name_en"),
        FieldLog.community.timezone.as_alias("timezone"),
    ).where(
        (FieldLog.community == log["community"]) & (FieldLog.kind == log["kind"]) & (FieldLog.id != log_id) & (FieldLog.status != "duplicate")
        & (FieldLog.occurred_at >= moment - window) & (FieldLog.occurred_at <= moment + window)
    )
    if log["category"]:
        query = query.where(FieldLog.category == log["category"])
    rows = await query.order_by(FieldLog.occurred_at).limit(200).run()

    def same_place(row: dict) -> bool:
        return any(log[k] and row[k] == log[k] for k in ("watch_point", "landmark", "place"))

    for row in rows:
        row["same_place"] = same_place(row)
    rows.sort(key=lambda r: (not r["same_place"], abs((_utc(r["occurred_at"]) - moment).total_seconds()), r["id"]))
    return rows[:DUPLICATE_CANDIDATES]


async def duplicate_context(log_id: int) -> dict:
    """What the "Mark as duplicate" decision offers (the templates' ``candidates``)."""
    return {"candidates": await duplicate_candidates(log_id), "duplicate_days": DUPLICATE_DAYS}


# --- Into a ledger ---------------------------------------------------------------------


def ledger_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """What a log may be filed as: (ledger label, [("ledger:category", category label)]),
    the ledgers' own categories (``portal.ledger.rules.CATEGORIES``), "other" first."""
    from portal.ledger.labels import CATEGORIES as CATEGORY_NAMES
    from portal.ledger.labels import LEDGER_ONE
    from portal.ledger.rules import CATEGORIES

    return [
        (_(LEDGER_ONE[ledger]), [(f"{ledger}:{c}", _(CATEGORY_NAMES[c])) for c in sorted(categories, key=lambda c: c != "other")])
        for ledger, categories in CATEGORIES.items()
    ]


def parse_ledger_choice(value: str | None) -> tuple[str, str]:
    from portal.ledger.rules import CATEGORIES

    ledger, _sep, category = (value or "").partition(":")
    if category not in CATEGORIES.get(ledger, ()):
        raise ReviewError(_("Choose the ledger and category to file into."), field="ledger")
    return ledger, category


def _ledger_items_query(p):
    from portal.ledger.tables import LedgerItemLog

    return LedgerItemLog.select(LedgerItemLog.field_log, LedgerItemLog.item.id, LedgerItemLog.item.number).where(LedgerItemLog.field_log.is_in(p.logs))


_LEDGER_ITEMS = Statement(_ledger_items_query)  # every page of the queue asks, for its rows


async def ledger_items(log_ids: list[int]) -> dict[int, dict]:
    """The ledger item each of ``log_ids`` was filed into: {log id: {"id", "number"}}."""
    if not log_ids:
        return {}
    rows = await _LEDGER_ITEMS.run(logs=list(log_ids))
    return {row["field_log"]: {"id": row["item.id"], "number": row["item.number"]} for row in rows}


async def file_into_ledger(actor, log_id: int, choice: str | None, *, ip: str = "") -> dict:
    """File a log into a ledger from the queue (``choice`` "ledger:category"): the ledger's
    own rule (``escalate_log``, audited there) files it and links the two; a log already
    filed keeps its item. A duplicate is not filed: its original is."""
    from portal.ledger.rules import LedgerError, escalate_log

    ledger, category = parse_ledger_choice(choice)
    log = await _log_in_reach(actor, log_id)
    if log["status"] == "duplicate":
        raise ReviewError(_("Log #%(id)s is a duplicate: file the log it repeats.", id=log_id), field="ledger")
    try:
        await escalate_log(actor, log_id, ledger, category)
    except LedgerError as error:
        raise ReviewError(_(error.message, **error.params), field="ledger") from None
    return await review_log(actor, log_id)


async def decide(actor, action: str, log_id: int, version: str | None, note: str | None, original_id: int | None = None, *, ip: str = "", ledger: str | None = None) -> dict:
    """One decision by name (the row forms and the bulk bar share it)."""
    if action == "file":
        return await file_into_ledger(actor, log_id, ledger, ip=ip)
    if action == "accept":
        return await accept(actor, log_id, version, note, ip=ip)
    if action == "ask":
        return await ask_for_information(actor, log_id, version, note, ip=ip)
    if action == "duplicate":
        return await mark_duplicate(actor, log_id, version, original_id, note, ip=ip)
    if action == "comment":
        return await comment(actor, log_id, note, ip=ip)
    raise ReviewError(_("Choose an action."), field="action")


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    refused: dict[int, str]  # log id -> why (stale, wrong status, out of reach)


async def decide_many(actor, action: str, items: list[tuple[int, str | None]], note: str | None, original_id: int | None = None, *, ip: str = "", ledger: str | None = None) -> BulkResult:
    """The same decision on several logs, each in its own transaction: the ones that
    changed meanwhile (or cannot take it) are listed with the reason, the others done."""
    if action not in ACTIONS:
        raise ReviewError(_("Choose an action."), field="action")
    if not items:
        raise ReviewError(_("Tick the logs to act on."), field="ids")
    if len(items) > BULK_LIMIT:
        raise ReviewError(ngettext("At most %(max)s log at once.", "At most %(max)s logs at once.", BULK_LIMIT, max=BULK_LIMIT), field="ids")
    # A note a decision requires is checked once, before anything is written.
    _clean_note(note, required=action in ("ask", "comment"))
    if action == "file":
        parse_ledger_choice(ledger)
    done: list[int] = []
    refused: dict[int, str] = {}
    for log_id, version in items:
        try:
            await decide(actor, action, log_id, version, note, original_id, ip=ip, ledger=ledger)
        except LogNotFound:
            refused[log_id] = _("Log #%(id)s is not in your communities.", id=log_id)
        except ReviewError as error:
            refused[log_id] = error.message
        else:
            done.append(log_id)
    return BulkResult(done, refused)
