"""Every desk table sorts the same way (portal/web/sorting.py): each whitelisted key orders
the rows as stated here, ascending and descending (rows made to differ in every
column); a key not in the list is the default order, never an error; keyset pages in an
order that is not the default visit every row once, in that order; and each paged
order is read from an index (no sort of the rows on either engine)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.accounts.tables import User
from portal.web.sorting import query_plan, sorted_query

UTC = dt.timezone.utc
ODD_KEYS = ("password", "-id;drop", "--name", "x" * 32)


def html_order(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


async def walk_pages(client, url: str, pattern: str) -> list[str]:
    """Every row's key, following the "Next page" links from ``url``."""
    seen: list[str] = []
    for _ in range(20):
        page = await client.get(url)
        assert page.status_code == 200, page.status_code
        seen += html_order(page.text, pattern)
        link = re.search(r'<a class="button"(?: rel="next")? href="([^"]*after=[^"]*)"[^>]*>Next page</a>', page.text)
        if not link:
            return seen
        url = link.group(1).replace("&amp;", "&")
    raise AssertionError("the pages never end")


async def assert_read_from_index(query, index: str, engine_name: str) -> None:
    plan = await query_plan(query)
    assert index in plan, plan
    assert ("TEMP B-TREE" not in plan) if engine_name == "sqlite" else ("Sort" not in plan), plan


# --- Admin: the user list -----------------------------------------------------------------

USER_ROW = r'<tr id="user-\d+">\s*<td><a href="/admin/users/\d+">([^<]+)</a>'


async def test_the_user_list_sorts_by_username_name_and_last_login(client_for):
    admin, _ = await client_for("admin")
    now = dt.datetime(2026, 5, 1, tzinfo=UTC)
    for username, name, login in (("sort-b", "Zhao", now + dt.timedelta(days=2)), ("sort-c", "Ang", None), ("sort-a", "Mei", now + dt.timedelta(days=4))):
        await User.insert(User(username=username, password_hash="x", real_name=name, created_at=now, last_login_at=login)).run()

    async def order(sort: str | None) -> list[str]:
        page = await admin.get("/admin/users/?q=sort-" + (f"&sort={sort}" if sort is not None else ""))
        assert page.status_code == 200
        return html_order(page.text, USER_ROW)

    default = await order(None)
    assert default == ["sort-a", "sort-b", "sort-c"] == await order("username")
    assert await order("-username") == ["sort-c", "sort-b", "sort-a"]
    assert await order("name") == ["sort-c", "sort-a", "sort-b"]  # Ang, Mei, Zhao
    assert await order("-name") == ["sort-b", "sort-a", "sort-c"]
    assert await order("-last_login") == ["sort-a", "sort-b", "sort-c"]  # latest first, never last
    assert await order("last_login") == ["sort-c", "sort-b", "sort-a"]
    for odd in ODD_KEYS:
        assert await order(odd) == default, odd
    assert (await admin.get("/admin/users/?sort=" + "x" * 40)).status_code == 400
    page = (await admin.get("/admin/users/?q=sort-&sort=-name")).text
    assert '<th scope="col" aria-sort="descending"><a class="sort" href="?q=sort-&amp;sort=name">Name<span class="arrow" aria-hidden="true">▼</span></a></th>' in page
    assert '<a class="sort" href="?q=sort-&amp;sort=-last_login">Last login</a>' in page
    assert '<input type="hidden" name="q" value="sort-">' in page and '<option value="-name" selected>Name, descending</option>' in page
    assert 'data-label="Last login">Never</td>' in page


async def test_the_user_list_pages_in_a_chosen_order(client_for, engine_name):
    admin, _ = await client_for("admin")
    now = dt.datetime(2026, 5, 1, tzinfo=UTC)
    # Names that repeat (ties broken by id) and logins in another order than the names.
    users = [User(username=f"page{n:02d}", password_hash="x", real_name=f"Name {n % 7}", created_at=now, last_login_at=None if n % 5 == 0 else now + dt.timedelta(hours=(n * 37) % 61)) for n in range(60)]
    await User.insert(*users).run()
    rows = await User.select(User.id, User.username, User.real_name, User.last_login_at).where(User.username.like("page%")).run()
    by_name = [r["username"] for r in sorted(rows, key=lambda r: (r["real_name"], r["id"]), reverse=True)]
    assert await walk_pages(admin, "/admin/users/?q=page&sort=-name", USER_ROW) == by_name
    logged = sorted((r for r in rows if r["last_login_at"]), key=lambda r: (r["last_login_at"], r["id"]), reverse=True)
    never = sorted((r for r in rows if not r["last_login_at"]), key=lambda r: r["id"], reverse=True)
    assert await walk_pages(admin, "/admin/users/?q=page&sort=-last_login", USER_ROW) == [r["username"] for r in logged + never]
    # A mangled cursor is the first page, not an error.
    assert (await admin.get("/admin/users/?after=minus&sort=-name")).status_code == 200


@pytest.mark.parametrize("sort,index", [("username", "username"), ("-name", "portal_user_real_name_id"), ("-last_login", "portal_user_last_login_id")])
async def test_the_user_list_orders_are_read_from_an_index(database, engine_name, sort, index):
    from portal.accounts.admin import USER_SORTS
    from portal.web.sorting import decode_cursor, encode_cursor

    order = USER_SORTS.parse(sort)
    column = order.sort_key.column
    value = {"username": "m", "name": "m", "last_login": dt.datetime(2026, 1, 1, tzinfo=UTC)}[order.key]
    position = decode_cursor(column, encode_cursor(column, value, 10))
    query = sorted_query(lambda: User.select(User.id), order, User.id, "value", position, 51)
    if order.key == "username":
        plan = await query_plan(query)  # Piccolo names the unique constraint's index itself
        assert ("TEMP B-TREE" not in plan) if engine_name == "sqlite" else ("Sort" not in plan), plan
    else:
        await assert_read_from_index(query, index, engine_name)
    if column._meta.null:  # those who never logged in
        query = sorted_query(lambda: User.select(User.id), order, User.id, "null", (None, 10), 51)
        await assert_read_from_index(query, "portal_user_never_logged_in" if engine_name == "postgres" else "portal_user_", engine_name)


# --- Contact boards registry --------------------------------------------------------------

BOARD_ROW = r'<td data-label="Board code"><a href="/communities/\d+/board-registry/\d+">([^<]+)</a>'


async def add_boards(community_id: int, rows) -> None:
    from portal.boards.tables import Board

    now = dt.datetime.now(UTC)
    for code, name, printed, due in rows:
        await Board.insert(Board(community=community_id, code=code, name_zh=name, printed_on=printed, replace_due=due, created_at=now, updated_at=now)).run()


async def test_the_board_registry_sorts_by_code_place_printing_and_due(client_for, area):
    officer, _ = await client_for("officer")
    day = dt.date(2026, 3, 1)
    await add_boards(area.community_id, [
        ("B-2", "Market", day, day + dt.timedelta(days=400)),
        ("B-3", "Stairwell", None, None),
        ("B-1", "Alley", day + dt.timedelta(days=30), day + dt.timedelta(days=200)),
    ])
    await add_boards(area.other_community_id, [("B-0", "别处", day, day)])  # another community's: never listed
    url = f"/communities/{area.community_id}/board-registry"

    async def order(sort: str | None) -> list[str]:
        page = await officer.get(url + (f"?sort={sort}" if sort is not None else ""))
        assert page.status_code == 200
        return html_order(page.text, BOARD_ROW)

    default = await order(None)
    assert default == ["B-1", "B-2", "B-3"] == await order("code")
    assert await order("-code") == ["B-3", "B-2", "B-1"]
    assert await order("place") == ["B-1", "B-2", "B-3"]  # Alley, Market, Stairwell
    assert await order("-place") == ["B-3", "B-2", "B-1"]
    assert await order("-printed") == ["B-1", "B-2", "B-3"]  # latest printing first, never printed last
    assert await order("printed") == ["B-3", "B-2", "B-1"]
    assert await order("due") == ["B-1", "B-2", "B-3"]  # soonest due first, no date last
    assert await order("-due") == ["B-3", "B-2", "B-1"]
    for odd in ODD_KEYS:
        assert await order(odd) == default, odd
    # The filters stay in the header links and the phone's form.
    page = (await officer.get(url + "?kind=other&sort=-due")).text
    assert '<a class="sort" href="?kind=other&amp;sort=due">Replacement due<span class="arrow" aria-hidden="true">▼</span></a>' in page
    assert '<input type="hidden" name="kind" value="other">' in page and '<option value="-due" selected>Replacement due, descending</option>' in page


async def test_the_board_registry_pages_in_a_chosen_order(client_for, area):
    officer, _ = await client_for("officer")
    day = dt.date(2026, 3, 1)
    await add_boards(area.community_id, [
        (f"B-{n:03d}", f"P{(n * 7) % 13:02d}", None if n % 4 == 0 else day + dt.timedelta(days=(n * 11) % 17), None if n % 3 == 0 else day + dt.timedelta(days=n % 5))
        for n in range(57)
    ])
    from portal.boards.tables import Board

    rows = await Board.select(Board.id, Board.code, Board.replace_due, Board.name_zh).where(Board.community == area.community_id).run()
    url = f"/communities/{area.community_id}/board-registry"
    dated = sorted((r for r in rows if r["replace_due"]), key=lambda r: (r["replace_due"], r["id"]), reverse=True)
    undated = sorted((r for r in rows if not r["replace_due"]), key=lambda r: r["id"], reverse=True)
    assert await walk_pages(officer, url + "?sort=-due", BOARD_ROW) == [r["code"] for r in undated + dated]
    by_place = sorted(rows, key=lambda r: (r["name_zh"], r["id"]))
    assert await walk_pages(officer, url + "?sort=place", BOARD_ROW) == [r["code"] for r in by_place]
    assert await walk_pages(officer, url + "?sort=-code", BOARD_ROW) == sorted((r["code"] for r in rows), reverse=True)


@pytest.mark.parametrize("sort", ["code", "-place", "-printed", "due"])
async def test_the_board_registry_orders_are_read_from_an_index(area, engine_name, sort):
    from portal.boards.rules import BOARD_SORTS, ListFilter, _filtered
    from portal.boards.tables import Board

    order = BOARD_SORTS.parse(sort)
    for part in ("value", "null") if order.sort_key.column._meta.null else ("value",):
        query = sorted_query(lambda: _filtered(Board.select(Board.id), area.community_id, ListFilter(), dt.date(2026, 1, 1)), order, Board.id, part, None, 51)
        await assert_read_from_index(query, "contact_board_community_", engine_name)


# --- Watch points -------------------------------------------------------------------------

POINT_ROW = r'<td><a href="/watchpoints/\d+">([^<]+)</a>'


async def add_points(community_id: int, rows) -> None:
    import uuid

    from portal.watchpoints.tables import WatchPoint

    now = dt.datetime.now(UTC)
    await WatchPoint.insert(*[
        WatchPoint(community=community_id, slug=uuid.uuid4().hex[:20], name_zh=name, kind="shop", address="路", status="verified" if verified else "pending",
                   verified_at=verified, idempotency_key=str(uuid.uuid4()), created_at=now, updated_at=now)
        for name, verified in rows
    ]).run()


async def test_the_watch_points_sort_by_name_and_last_verification(client_for, area):
    officer, _ = await client_for("officer")
    day = dt.datetime(2026, 2, 1, tzinfo=UTC)
    await add_points(area.community_id, [("Bakery", day + dt.timedelta(days=9)), ("Apothecary", None), ("Cafe", day)])
    await add_points(area.other_station_community_id, [("Aaa elsewhere", None)])

    async def order(sort: str | None) -> list[str]:
        page = await officer.get("/watchpoints" + (f"?sort={sort}" if sort is not None else ""))
        assert page.status_code == 200
        return html_order(page.text, POINT_ROW)

    default = await order(None)
    assert default == ["Apothecary", "Cafe", "Bakery"] == await order("verified")  # never verified, then the stalest
    assert await order("-verified") == ["Bakery", "Cafe", "Apothecary"]
    assert await order("name") == ["Apothecary", "Bakery", "Cafe"]
    assert await order("-name") == ["Cafe", "Bakery", "Apothecary"]
    for odd in ODD_KEYS:
        assert await order(odd) == default, odd
    page = (await officer.get(f"/watchpoints?community={area.community_id}&status=all&sort=name")).text
    assert f'<th scope="col" aria-sort="ascending"><a class="sort" href="?community={area.community_id}&amp;status=all&amp;sort=-name">Name<span class="arrow" aria-hidden="true">▲</span></a></th>' in page
    assert f'<input type="hidden" name="community" value="{area.community_id}"><input type="hidden" name="status" value="all">' in page


async def test_the_watch_points_page_in_a_chosen_order(client_for, area):
    officer, _ = await client_for("officer")
    day = dt.datetime(2026, 2, 1, tzinfo=UTC)
    await add_points(area.community_id, [(f"P{(n * 11) % 17:02d}", None if n % 6 == 0 else day + dt.timedelta(hours=(n * 5) % 13)) for n in range(56)])
    from portal.watchpoints.tables import WatchPoint

    rows = await WatchPoint.select(WatchPoint.id, WatchPoint.name_zh, WatchPoint.verified_at).run()
    by_name = [r["name_zh"] for r in sorted(rows, key=lambda r: (r["name_zh"], r["id"]), reverse=True)]
    assert await walk_pages(officer, "/watchpoints?sort=-name", POINT_ROW) == by_name
    verified = sorted((r for r in rows if r["verified_at"]), key=lambda r: (r["verified_at"], r["id"]), reverse=True)
    never = sorted((r for r in rows if not r["verified_at"]), key=lambda r: r["id"], reverse=True)
    assert await walk_pages(officer, "/watchpoints?sort=-verified", POINT_ROW) == [r["name_zh"] for r in verified + never]


@pytest.mark.parametrize("sort", ["-name", "verified"])
async def test_the_watch_point_orders_are_read_from_an_index(area, engine_name, sort):
    from portal.watchpoints.rules import POINT_SORTS
    from portal.watchpoints.tables import WatchPoint

    order = POINT_SORTS.parse(sort)
    for part in ("value", "null") if order.sort_key.column._meta.null else ("value",):
        query = sorted_query(lambda: WatchPoint.select(WatchPoint.id).where(WatchPoint.community.is_in([area.community_id])), order, WatchPoint.id, part, None, 51)
        await assert_read_from_index(query, "watch_point_community_", engine_name)


# --- A community's volunteers -------------------------------------------------------------

VOLUNTEER_ROW = r'<td><a href="/officer/volunteers/\d+">([^<]+)</a>'


async def add_volunteers(make_user, community_id: int, rows) -> None:
    from portal.volunteers.tables import VolunteerProfile

    for name, status, applied in rows:
        user = await make_user("volunteer", community_id=community_id, real_name=name)
        await VolunteerProfile.insert(VolunteerProfile(user=user, community=community_id, status=status, applied_at=applied, consent_at=applied)).run()


async def test_the_volunteers_sort_by_status_and_application(client_for, make_user, area):
    officer, _ = await client_for("officer")
    day = dt.datetime(2026, 1, 10, tzinfo=UTC)
    await add_volunteers(make_user, area.community_id, [("Bai", "verified", day), ("Ang", "pending", day + dt.timedelta(days=3)), ("Chen", "suspended", day - dt.timedelta(days=3)), ("Gone", "deleted", day)])
    url = f"/communities/{area.community_id}/volunteers"

    async def order(sort: str | None) -> list[str]:
        page = await officer.get(url + (f"?sort={sort}" if sort is not None else ""))
        assert page.status_code == 200
        return html_order(page.text, VOLUNTEER_ROW)

    default = await order(None)
    assert default == ["Chen", "Bai", "Ang"] == await order("applied")  # oldest application first; a deleted account is not listed
    assert await order("-applied") == ["Ang", "Bai", "Chen"]
    assert await order("status") == ["Ang", "Chen", "Bai"]  # pending, suspended, verified (by the status's code)
    assert await order("-status") == ["Bai", "Chen", "Ang"]
    for odd in ODD_KEYS:
        assert await order(odd) == default, odd
    page = (await officer.get(url + "?status=verified&sort=-applied")).text
    assert '<a class="sort" href="?status=verified&amp;sort=applied">Applied on<span class="arrow" aria-hidden="true">▼</span></a>' in page
    assert '<input type="hidden" name="status" value="verified">' in page and 'data-label="Applied on">' in page


async def test_the_volunteers_page_in_a_chosen_order(client_for, area):
    """60 volunteers (their accounts inserted in one statement): by application, latest
    first, across pages; and by status, where most rows tie and the id decides."""
    from portal.accounts.tables import User
    from portal.volunteers.tables import VolunteerProfile

    officer, _ = await client_for("officer")
    day = dt.datetime(2026, 1, 10, tzinfo=UTC)
    users = await User.insert(*[User(username=f"vol-{n:02d}", password_hash="x", real_name=f"V{n:02d}", created_at=day) for n in range(60)]).returning(User.id).run()
    statuses = ("verified", "pending", "rejected", "suspended")
    await VolunteerProfile.insert(*[
        VolunteerProfile(user=row["id"], community=area.community_id, status=statuses[n % 4 if n % 3 else 0], applied_at=day + dt.timedelta(hours=(n * 7) % 23))
        for n, row in enumerate(users)
    ]).run()
    rows = await VolunteerProfile.select(VolunteerProfile.id, VolunteerProfile.status, VolunteerProfile.applied_at, VolunteerProfile.user.real_name).run()
    url = f"/communities/{area.community_id}/volunteers"
    latest = sorted(rows, key=lambda r: (r["applied_at"], r["id"]), reverse=True)
    assert await walk_pages(officer, url + "?sort=-applied", VOLUNTEER_ROW) == [r["user.real_name"] for r in latest]
    by_status = sorted(rows, key=lambda r: (r["status"], r["id"]))
    assert await walk_pages(officer, url + "?sort=status", VOLUNTEER_ROW) == [r["user.real_name"] for r in by_status]
    assert await walk_pages(officer, url + "?status=pending&sort=-applied", VOLUNTEER_ROW) == [r["user.real_name"] for r in latest if r["status"] == "pending"]


@pytest.mark.parametrize("sort,status", [("applied", ""), ("-applied", "verified"), ("status", ""), ("-status", "pending")])
async def test_the_volunteer_orders_are_read_from_an_index(area, engine_name, sort, status):
    from portal.volunteers.rules import LISTED_STATUSES, VOLUNTEER_SORTS
    from portal.volunteers.tables import VolunteerProfile

    def select():
        query = VolunteerProfile.select(VolunteerProfile.id).where(VolunteerProfile.community == area.community_id)
        return query.where(VolunteerProfile.status == status) if status else query.where(VolunteerProfile.status.is_in(list(LISTED_STATUSES)))

    query = sorted_query(select, VOLUNTEER_SORTS.parse(sort), VolunteerProfile.id, "value", None, 51)
    await assert_read_from_index(query, "volunteer_profile_community_", engine_name)


# --- Reception rooms' figures (one row per unit, sorted in Python) ---------------------------

FIGURE_ROW = r'<tr><th scope="row">([^<]+?) <span class="muted">'


async def test_the_reception_figures_sort_by_unit_and_by_each_counter(client_for, area):
    from tests.test_reception_counters import insert_visits, make_room

    officer, _ = await client_for("officer")
    rooms = {await make_room(area.community_id, slug, name): area.community_id for slug, name in (("room-b", "Beta"), ("room-a", "Alpha"), ("room-c", "Gamma"))}
    beta, alpha, gamma = rooms
    day = dt.date(2026, 11, 10)

    def visit(room, category, people=1, outcome="", language="zh"):
        return {"room": room, "community": area.community_id, "category": category, "people": people, "language": language, "outcome": outcome,
                "local_day": day, "contact_name": "", "contact_phone": ""}

    await insert_visits(
        [visit(alpha, "consultation")] * 3 + [visit(beta, "emergency", people=5)] + [visit(gamma, "errand", people=2)] * 2
    )
    url = "/reception/figures?from=2026-11-01&to=2026-11-30"

    async def order(sort: str | None) -> list[str]:
        page = await officer.get(url + (f"&sort={sort}" if sort is not None else ""))
        assert page.status_code == 200
        return [name.replace(" EN", "") for name in html_order(page.text, FIGURE_ROW)]

    default = await order(None)
    assert default == ["Alpha", "Beta", "Gamma"] == await order("unit")  # by the room's code
    assert await order("-unit") == ["Gamma", "Beta", "Alpha"]
    assert await order("-people_received") == ["Beta", "Gamma", "Alpha"]  # 5, 4, 3
    assert await order("people_received") == ["Alpha", "Gamma", "Beta"]
    assert await order("-visits") == ["Alpha", "Gamma", "Beta"]  # 3, 2, 1
    assert await order("visits") == ["Beta", "Gamma", "Alpha"]
    assert await order("-emergency_rescues") == ["Beta", "Alpha", "Gamma"]  # 1, then the ties by unit
    assert await order("-errands") == ["Gamma", "Alpha", "Beta"]
    for odd in ODD_KEYS:
        assert await order(odd) == default, odd
    assert (await officer.get(url + "&sort=" + "x" * 40)).status_code == 400
    page = (await officer.get(url + "&sort=-visits")).text
    assert '<a class="sort" href="?from=2026-11-01&amp;to=2026-11-30&amp;sort=visits">Visits logged<span class="arrow" aria-hidden="true">▼</span></a>' in page
    assert '<input type="hidden" name="from" value="2026-11-01"><input type="hidden" name="to" value="2026-11-30">' in page
    assert '<option value="-visits" selected>Visits logged, descending</option>' in page
    # The total stays the table's foot whatever the order.
    assert page.index("<tfoot>") > page.index("Alpha") and page.index("<tfoot>") > page.index("Beta")


# --- The review queue ---------------------------------------------------------------------

LOG_ROW = r'<tr id="log-(\d+)"'


async def test_the_review_queue_sorts_by_when_received_and_when_it_happened(client_for, area):
    from tests.test_logs_review import NOW, insert_logs, log_row

    officer, _ = await client_for("officer")
    hour = dt.timedelta(hours=1)
    # Received in the order a, b, c; happened in the order c, a, b.
    a, b, c = await insert_logs([
        log_row(area.community_id, created_at=NOW, occurred_at=NOW - 5 * hour),
        log_row(area.community_id, created_at=NOW + hour, occurred_at=NOW - 2 * hour),
        log_row(area.community_id, created_at=NOW + 2 * hour, occurred_at=NOW - 9 * hour),
    ])

    async def order(sort: str | None, extra: str = "") -> list[int]:
        page = await officer.get("/review/?" + extra + (f"&sort={sort}" if sort is not None else ""))
        assert page.status_code == 200
        return [int(i) for i in html_order(page.text, LOG_ROW)]

    default = await order(None)
    assert default == [c, b, a] == await order("-received")  # newest received first
    assert await order("received") == [a, b, c] == await order(None, "order=oldest")
    assert await order("-occurred") == [b, a, c]
    assert await order("occurred") == [c, a, b]
    for odd in ODD_KEYS:
        assert await order(odd) == default, odd
    assert (await officer.get("/review/?sort=" + "x" * 40)).status_code == 400
    page = (await officer.get("/review/?kind=hazard&sort=occurred")).text
    assert '<th scope="col" aria-sort="ascending"><a class="sort" href="?kind=hazard&amp;sort=-occurred">Happened<span class="arrow" aria-hidden="true">▲</span></a></th>' in page
    assert '<a class="sort" href="?kind=hazard&amp;sort=-received">Received</a>' in page
    assert '<input type="hidden" name="kind" value="hazard">' in page and '<option value="occurred" selected>Happened, ascending</option>' in page
    # The filter form keeps the order; the exports follow it.
    assert '<input type="hidden" name="sort" value="occurred">' in page and 'href="/review/export.csv?kind=hazard&amp;sort=occurred"' in page
    exported = (await officer.get("/review/export.csv?sort=occurred")).content.decode("utf-8-sig").splitlines()[1:]
    assert [int(line.split(",")[0]) for line in exported] == [c, a, b]


async def test_the_review_queue_pages_in_a_chosen_order(client_for, make_user, area):
    """120 logs in two communities of a station head (each community read on its own
    index, the pages merged), by when they happened, oldest first, with a filter."""
    from portal.logs.tables import FieldLog
    from tests.test_logs_review import NOW, insert_logs, log_row

    head, _ = await client_for("head")
    await insert_logs([
        log_row(area.community_id if n % 3 else area.other_community_id, created_at=NOW + dt.timedelta(minutes=n), occurred_at=NOW - dt.timedelta(minutes=(n * 37) % 101),
                status="submitted" if n % 4 else "accepted")
        for n in range(120)
    ])
    rows = await FieldLog.select(FieldLog.id, FieldLog.occurred_at, FieldLog.status).run()
    expected = [r["id"] for r in sorted(rows, key=lambda r: (r["occurred_at"], r["id"]))]
    assert [int(i) for i in await walk_pages(head, "/review/?sort=occurred", LOG_ROW)] == expected
    wanted = [r["id"] for r in sorted((r for r in rows if r["status"] == "submitted"), key=lambda r: (r["occurred_at"], r["id"]), reverse=True)]
    assert [int(i) for i in await walk_pages(head, "/review/?status=submitted&sort=-occurred", LOG_ROW)] == wanted


@pytest.mark.parametrize("community,filters", [
    (True, {}), (True, {"status": "submitted"}), (True, {"kind": "hazard"}), (True, {"severity": "high"}), (True, {"volunteer": 7}),
    (False, {}), (False, {"status": "submitted"}),
])
@pytest.mark.parametrize("sort", ["occurred", "-received"])
async def test_the_review_orders_are_read_from_an_index(area, engine_name, community, filters, sort):
    from portal.logs import review

    order = review.REVIEW_SORTS.parse(sort)
    chosen = review.QueueFilters(**filters, oldest_first=not order.descending, by=order.key)
    query = review.keys_query(area.community_id if community else None, review._where(chosen), order.sort_key.column, order.descending, 51)
    await assert_read_from_index(query, "field_log_", engine_name)
