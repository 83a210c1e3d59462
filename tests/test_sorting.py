"""The shared sorting of desk tables (portal/web/sorting.py): the ``sort`` parameter is
parsed against a whitelist (anything else is the default order), a header's link asks
for the other direction of the current column, and keyset pages in a chosen order walk
every row exactly once, a nullable column's missing values at the end of their order."""

from __future__ import annotations

import datetime as dt

from portal.boards.tables import Board
from portal.web.i18n import N_, activate, restore
from portal.web.sorting import Sorts, SortKey, decode_cursor, encode_cursor, sorted_page

SORTS = Sorts({
    "code": SortKey(N_("Board code"), column=Board.code),
    "due": SortKey(N_("Replacement due"), column=Board.replace_due, nulls="high"),
    "printed": SortKey(N_("Printed on"), column=Board.printed_on, descending_first=True),
}, default="code")


def test_the_sort_parameter_is_parsed_against_the_whitelist():
    assert SORTS.parse("-due").param == "-due" and SORTS.parse("-due").aria == "descending"
    assert SORTS.parse("printed").aria == "ascending"
    for odd in (None, "", "-", "--code", "password", "code;drop", "Code", " -printed x"):
        order = SORTS.parse(odd)
        assert (order.key, order.descending, order.is_default, order.query_items()) == ("code", False, True, []), odd
    assert SORTS.parse("-code").query_items() == [("sort", "-code")]


def test_a_header_asks_for_the_other_direction_or_the_columns_first_one():
    order = SORTS.parse("due")
    assert order.toggle("due") == "-due" and SORTS.parse("-due").toggle("due") == "due"
    assert order.toggle("code") == "code" and order.toggle("printed") == "-printed"  # a date printed: latest first
    assert [value for value, _label in order.choices()] == ["code", "-code", "due", "-due", "-printed", "printed"]
    token = activate("en")
    try:
        assert order.choices()[0][1] == "Board code, ascending"
    finally:
        restore(token)


def test_a_cursor_is_read_back_only_for_its_own_column():
    moment = dt.datetime(2026, 5, 1, 8, 30, 0, 123456, tzinfo=dt.timezone.utc)
    assert decode_cursor(Board.created_at, encode_cursor(Board.created_at, moment, 7)) == (moment, 7)
    assert decode_cursor(Board.code, encode_cursor(Board.code, "楼道-0001", 3)) == ("楼道-0001", 3)
    assert decode_cursor(Board.replace_due, encode_cursor(Board.replace_due, None, 9)) == (None, 9)
    assert decode_cursor(Board.replace_due, encode_cursor(Board.replace_due, dt.date(2026, 1, 2), 9)) == (dt.date(2026, 1, 2), 9)
    # Made for another column, mangled or too long: the first page.
    assert decode_cursor(Board.created_at, encode_cursor(Board.code, "B-1", 3)) is None
    for mangled in ("", "x", "!!!!", "e30", "W10", "WzEsMl0" * 100, encode_cursor(Board.code, "B", 3)[:-2]):
        assert decode_cursor(Board.code, mangled) in (None, ("B", 3)), mangled


async def test_pages_in_a_nullable_order_visit_every_row_once(area):
    """Replacement due ascending: the dated boards first, the ones without a date after
    them (no date: never due); descending the other way round; pages of 2 at every
    boundary between the two parts."""
    now = dt.datetime.now(dt.timezone.utc)
    dues = [dt.date(2026, 3, 1), None, dt.date(2026, 1, 1), None, dt.date(2026, 3, 1), dt.date(2026, 2, 1), None]
    ids = []
    for n, due in enumerate(dues):
        row = Board(community=area.community_id, code=f"B-{n}", name_zh=f"板{n}", replace_due=due, created_at=now, updated_at=now)
        ids.append((await Board.insert(row).returning(Board.id).run())[0]["id"])
    other = Board(community=area.other_community_id, code="X-1", name_zh="别处", replace_due=dt.date(2025, 1, 1), created_at=now, updated_at=now)
    await Board.insert(other).run()

    def select():
        return Board.select(Board.id, Board.replace_due, Board.printed_on, Board.code).where(Board.community == area.community_id)

    async def walk(sort: str, size: int) -> list[int]:
        seen, after = [], None
        for _ in range(20):
            page = await sorted_page(select, SORTS.parse(sort), Board.id, after, size=size)
            seen += [row["id"] for row in page.rows]
            if not page.next_after:
                return seen
            after = page.next_after
        raise AssertionError("the pages never end")

    dated = sorted((due, i) for due, i in zip(dues, ids) if due)
    undated = [i for due, i in zip(dues, ids) if due is None]
    ascending = [i for _due, i in dated] + undated
    for size in (1, 2, 3, 7, 50):
        assert await walk("due", size) == ascending, size
        assert await walk("-due", size) == ascending[::-1], size
    # Printed on (all missing, sorted as the smallest): the id order, either way.
    assert await walk("printed", 2) == ids and await walk("-printed", 2) == ids[::-1]
    # A cursor made for another order starts that order's first page.
    first = await sorted_page(select, SORTS.parse("code"), Board.id, None, size=2)
    again = await sorted_page(select, SORTS.parse("due"), Board.id, first.next_after, size=2)
    assert [row["id"] for row in again.rows] == ascending[:2]
