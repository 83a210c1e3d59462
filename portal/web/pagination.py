"""Keyset pagination: pages follow a key (never OFFSET), so page 1,000 costs what page 1 does."""

from __future__ import annotations

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
