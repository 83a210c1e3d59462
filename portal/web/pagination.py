"""Keyset pagination: pages follow a key (never OFFSET), so page 1,000 costs what page 1 does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column
from piccolo.query import Select

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    next_after: Any | None


async def keyset_page(query: Select, key: Column, after: Any | None, size: int = PAGE_SIZE, descending: bool = False) -> Page:
    """Rows of ``query`` after ``after`` by ``key`` (unique), plus the key to continue from."""
    if after is not None:
        query = query.where(key < after if descending else key > after)
    rows = await query.order_by(key, ascending=not descending).limit(size + 1).run()
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_after=rows[-1][key._meta.name] if more and rows else None)


# --- Pages ordered by a moment, ties broken by a unique key: (starts_at, id) and the like ---

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def time_cursor(moment: dt.datetime, row_id: int) -> str:
    """A (moment, id) position as a short URL-safe string, exact to the microsecond."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return f"{(moment - _EPOCH) // dt.timedelta(microseconds=1)}-{row_id}"


def parse_time_cursor(text: str | None) -> tuple[dt.datetime, int] | None:
    """The position a page continues after; None for a missing or mangled cursor."""
    micros, _sep, row_id = (text or "").partition("-")
    try:
        return _EPOCH + dt.timedelta(microseconds=int(micros)), int(row_id)
    except (ValueError, OverflowError):
        return None


def keyset_time_query(query: Select, moment: Column, key: Column, after: str | None, size: int = PAGE_SIZE, descending: bool = False) -> Select:
    """The query ``keyset_time_page`` runs (one row more than a page tells if more follow)."""
    at, last = parse_time_cursor(after) or (None, None)
    return keyset_time_order(query, moment, key, at, last, size, descending)


def keyset_time_order(query: Select, moment: Column, key: Column, at: Any, last: Any, size: int = PAGE_SIZE, descending: bool = False) -> Select:
    """``keyset_time_query`` from the position (``at``, ``last``) - values, or a compiled
    statement's parameters (``portal.db.Statement``); None: from the start."""
    if at is not None:
        query = query.where((moment < at) | ((moment == at) & (key < last))) if descending else query.where((moment > at) | ((moment == at) & (key > last)))
    return query.order_by(moment, ascending=not descending).order_by(key, ascending=not descending).limit(size + 1)


async def keyset_time_page(query: Select, moment: Column, key: Column, after: str | None, size: int = PAGE_SIZE, descending: bool = False) -> Page:
    """Rows of ``query`` ordered by ``moment`` then ``key`` (unique), after the cursor
    ``after``; ``next_after`` is the cursor of the next page. An index on (filter, moment,
    key) serves it without sorting."""
    return time_page(await keyset_time_query(query, moment, key, after, size, descending).run(), moment, key, size)


def time_page(rows: list[dict], moment: Column, key: Column, size: int) -> Page:
    """The page of the rows a ``keyset_time_query`` (or ``keyset_time_order``) gave."""
    more = len(rows) > size
    rows = rows[:size]
    if not (more and rows):
        return Page(rows=rows, next_after=None)
    last_row = rows[-1]
    return Page(rows=rows, next_after=time_cursor(last_row[moment._meta.get_default_alias()], last_row[key._meta.get_default_alias()]))
