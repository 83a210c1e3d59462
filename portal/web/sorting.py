"""Sortable tables, one way for every desk page.

A list declares the columns it may be sorted by (``Sorts``: a whitelist of keys, each with
its label and either an SQL column or a Python key) and its default order. The query's
``sort`` parameter ("hours", or "-hours" for descending) is parsed against it: anything
else is the default order, never an error. Templates draw the column headers (links that
say the order with ``aria-sort``) and, for a phone where the header row is hidden under
the cards, a "Sort by" form that works without JavaScript (templates/_macros/sorting.html).

A paged list sorts in SQL on a column that an index serves together with the list's
filters, keyset on (column, unique key): page 1,000 costs what page 1 does, and nothing
reads the whole table. A NULL sorts as the smallest or the largest value of its column
(``nulls``), read from the same index (``IS NULL``). A bounded list (rows already read in
full, such as a month's hours per volunteer) sorts in Python by ``key``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from piccolo.columns import Boolean, Column, Date, Timestamp, Timestamptz
from piccolo.query import Select

from portal.web.i18n import gettext as _
from portal.web.pagination import PAGE_SIZE

SORT_MAX_LENGTH = 32  # of the ``sort`` parameter (a longer one is a 400)
CURSOR_MAX_LENGTH = 512  # of a sorted page's ``after``: a key of up to 100 CJK characters fits


@dataclass(frozen=True)
class SortKey:
    """One sortable column. ``label`` is shown as is (a lazy translation); ``column`` orders
    a paged query in SQL, ``key`` a bounded list in Python. ``descending_first``: the first
    click on the header shows the largest first (counts, hours); ``nulls``: whether a
    missing value sorts as the smallest ("low") or the largest ("high") of the column;
    ``alone``: the column is unique among the list's rows (a code unique per community),
    so it orders without the tie-breaking key, on its own unique index."""

    label: Any
    column: Column | None = None
    key: Callable[[dict], Any] | None = None
    descending_first: bool = False
    nulls: str = "low"
    alone: bool = False


@dataclass(frozen=True)
class Sorts:
    """The columns a list may be sorted by, and its default order ("-hours")."""

    keys: dict[str, SortKey]
    default: str

    def __post_init__(self) -> None:
        assert self.default.removeprefix("-") in self.keys, self.default

    def parse(self, text: str | None) -> "Order":
        """The order the query asked for; the default for anything not in the list."""
        text = (text or "").strip()
        name = text.removeprefix("-")
        if name not in self.keys:
            text = self.default
        return Order(self, text.removeprefix("-"), text.startswith("-"))


@dataclass(frozen=True)
class Order:
    sorts: Sorts = field(repr=False)
    key: str
    descending: bool

    @property
    def param(self) -> str:
        """The ``sort`` parameter that asks for this order."""
        return ("-" if self.descending else "") + self.key

    @property
    def is_default(self) -> bool:
        return self.param == self.sorts.parse(None).param

    @property
    def aria(self) -> str:
        return "descending" if self.descending else "ascending"

    @property
    def sort_key(self) -> SortKey:
        return self.sorts.keys[self.key]

    def query_items(self) -> list[tuple[str, str]]:
        """The order as GET parameters for links that keep it (pages, exports); none for
        the default order."""
        return [] if self.is_default else [("sort", self.param)]

    def toggle(self, key: str) -> str:
        """The ``sort`` a header's link asks for: the other direction of the current
        column, else the column's first direction."""
        if key == self.key:
            return ("" if self.descending else "-") + key
        return ("-" if self.sorts.keys[key].descending_first else "") + key

    def label(self, key: str) -> str:
        return str(self.sorts.keys[key].label)

    def choices(self) -> list[tuple[str, str]]:
        """Every order as (``sort`` value, label) for the "Sort by" select: each column's
        first direction, then the other."""
        choices = []
        for name, key in self.sorts.keys.items():
            ascending = (name, _("%(column)s, ascending", column=str(key.label)))
            descending = ("-" + name, _("%(column)s, descending", column=str(key.label)))
            choices += [descending, ascending] if key.descending_first else [ascending, descending]
        return choices

    def sorted(self, rows: Iterable[dict]) -> list[dict]:
        """A bounded list in this order (Python keys)."""
        key = self.sort_key.key
        assert key is not None, f"{self.key} sorts in SQL"
        return sorted(rows, key=key, reverse=self.descending)


# --- Keyset pages in a chosen order -------------------------------------------------------


@dataclass(frozen=True)
class SortedPage:
    rows: list[dict]
    next_after: str | None


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _value_to_json(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column, (Timestamptz, Timestamp)):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return (moment - _EPOCH) // dt.timedelta(microseconds=1)
    if isinstance(column, Date):
        return value.isoformat()
    return value


def _value_from_json(column: Column, value: Any) -> Any:
    """The cursor's value as the column holds it; ValueError for anything else."""
    if value is None:
        return None
    if isinstance(column, (Timestamptz, Timestamp)):
        if type(value) is not int:
            raise ValueError(value)
        moment = _EPOCH + dt.timedelta(microseconds=value)
        return moment if isinstance(column, Timestamptz) else moment.replace(tzinfo=None)
    if isinstance(column, Date):
        if not isinstance(value, str):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    kind = bool if isinstance(column, Boolean) else column.value_type
    if kind is float and type(value) is int:
        return float(value)
    if kind not in (bool, int, float, str) or type(value) is not kind:
        raise ValueError(value)
    return value


def encode_cursor(column: Column, value: Any, unique: int) -> str:
    """A position in a sorted list as a short URL-safe string."""
    text = json.dumps([_value_to_json(column, value), unique], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(column: Column, text: str | None) -> tuple[Any, int] | None:
    """The position a page continues after; None (the first page) for a missing or
    mangled cursor, or one made for another column."""
    if not text or len(text) > CURSOR_MAX_LENGTH:
        return None
    try:
        value, unique = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
        if type(unique) is not int:
            return None
        return _value_from_json(column, value), unique
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        return None


def _alias(column: Column) -> str:
    return column._meta.get_default_alias()


def _parts(order: Order, after: str | None) -> tuple[list[str], tuple[Any, int] | None]:
    """The parts of the list still to read, in display order ("value": rows with a value
    in the order's column, "null": rows without), and the cursor's position in the first."""
    column = order.sort_key.column
    nulls_first = (order.sort_key.nulls == "low") != order.descending
    parts = ["value"]
    if column._meta.null:
        parts = ["null", "value"] if nulls_first else ["value", "null"]
    position = decode_cursor(column, after)
    if position is not None and position[0] is None and not column._meta.null:
        position = None
    if position is not None:
        parts = parts[parts.index("null" if position[0] is None else "value"):]
    return parts, position


def sorted_query(select: Callable[[], Select], order: Order, unique: Column, part: str, position: tuple[Any, int] | None, limit: int) -> Select:
    """The query for one part of a sorted page (see ``sorted_page``)."""
    column = order.sort_key.column
    descending = order.descending
    query = select()
    if part == "null":
        query = query.where(column.is_null())
        if position is not None:
            query = query.where(unique < position[1] if descending else unique > position[1])
        return query.order_by(unique, ascending=not descending).limit(limit)
    if column._meta.null:
        query = query.where(column.is_not_null())
    # A unique column orders alone (its own index serves it); others end on ``unique``.
    alone = (column._meta.unique or order.sort_key.alone) and not column._meta.null
    if position is not None:
        value, last = position
        if alone:
            query = query.where(column < value if descending else column > value)
        elif descending:
            query = query.where(column <= value).where((column < value) | (unique < last))
        else:
            query = query.where(column >= value).where((column > value) | (unique > last))
    query = query.order_by(column, ascending=not descending)
    return (query if alone else query.order_by(unique, ascending=not descending)).limit(limit)


async def sorted_page(select: Callable[[], Select], order: Order, unique: Column, after: str | None, size: int = PAGE_SIZE) -> SortedPage:
    """One page of ``select()`` (a new query with the list's filters on each call, which
    selects the order's column and ``unique``) in ``order``, keyset on (the order's
    column, ``unique``), after the cursor ``after``.

    ``col >= v AND (col > v OR id > i)`` keeps the range on the index's sort column, so
    the database seeks to the page. A nullable column is read in two parts, the rows with
    a value and those without (then in ``unique`` order), each from the same index."""
    column = order.sort_key.column
    assert column is not None, f"{order.key} sorts in Python"
    parts, position = _parts(order, after)
    rows: list[dict] = []
    for part in parts:
        rows += await sorted_query(select, order, unique, part, position, size + 1 - len(rows)).run()
        position = None
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size]
    if not (more and rows):
        return SortedPage(rows, None)
    last_row = rows[-1]
    return SortedPage(rows, encode_cursor(column, last_row[_alias(column)], last_row[_alias(unique)]))


async def query_plan(query: Select) -> str:
    """What the database does for ``query`` (tests check that a sorted page is read from
    an index: no "TEMP B-TREE" on SQLite; on PostgreSQL, whose planner prefers a sort on
    a test's few rows, no "Sort" once sorts and scans that are not index scans cost too
    much to choose, so that one remains only where no index gives the order)."""
    from piccolo.engine.postgres import PostgresEngine

    from portal.db import engine

    if not isinstance(engine(), PostgresEngine):
        return " ".join(str(row) for row in await query.table.raw(f"EXPLAIN QUERY PLAN {query}").run())
    async with engine().transaction():
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            await query.table.raw(f"SET LOCAL {setting} = off").run()
        return " ".join(str(row) for row in await query.table.raw(f"EXPLAIN {query}").run())
