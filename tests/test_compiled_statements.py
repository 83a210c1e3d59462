"""The statements of "Shifts I can take" and of load_person are compiled once per shape
(portal.db.Statement) and give the same rows as the Piccolo queries they replaced, which
are written out here as they were; on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from piccolo.query.functions.aggregate import Count

from portal import db
from portal.shifts import rules
from portal.shifts.tables import Shift, ShiftKind, ShiftStanding, Signup
from portal.stations import rules as stations
from portal.stations.tables import Community
from portal.watchpoints.tables import WatchPoint
from portal.web.pagination import keyset_time_query

UTC = dt.timezone.utc
NOW = dt.datetime(2030, 6, 3, 8, 0, tzinfo=UTC)


async def kind(community_id: int, name: str, active: bool = True) -> int:
    row = await ShiftKind.insert(ShiftKind(community=community_id, kind="patrol", name=name, name_en=f"{name} EN", place="Xiguan Street", min_people=1, max_people=4, active=active)).returning(ShiftKind.id).run()
    return row[0]["id"]


async def shift(community_id: int, kind_id: int, starts: dt.datetime) -> int:
    row = await Shift.insert(
        Shift(community=community_id, kind=kind_id, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=1, capacity=4, taken=0, status="open", created_at=NOW)
    ).returning(Shift.id).run()
    return row[0]["id"]


async def signup(shift_id: int, user_id: int, status: str, queued_at: dt.datetime = NOW, **more) -> None:
    await Signup.insert(Signup(shift=shift_id, user=user_id, status=status, queued_at=queued_at, updated_at=NOW, **more)).run()


async def world(area, make_volunteer) -> dict:
    """Shifts in two communities (three share a start, so the keyset breaks ties by id),
    one started 11 hours ago and one 13 hours ago; a volunteer with live, waiting and
    stand-in sign-ups, two no-shows, a lifted block and a watch point it hosts."""
    a, b = area.community_id, area.other_community_id
    patrol, desk, retired = await kind(a, "Patrol"), await kind(b, "Desk"), await kind(a, "Old", active=False)
    ids = []
    for n in range(7):
        ids.append(await shift(a if n % 2 else b, patrol if n % 2 else desk, NOW + dt.timedelta(days=n // 3)))
    ids.append(await shift(a, retired, NOW - dt.timedelta(hours=11)))
    ids.append(await shift(a, patrol, NOW - dt.timedelta(hours=13)))
    ids.append(await shift(a, patrol, NOW + dt.timedelta(days=30)))
    user = await make_volunteer()
    other = await make_volunteer(community_id=b)
    await signup(ids[0], user, "active")
    await signup(ids[1], other, "waiting", NOW - dt.timedelta(minutes=5))
    await signup(ids[1], user, "waiting", NOW)
    await signup(ids[3], other, "waiting", NOW)
    await signup(ids[2], other, "standin")
    await signup(ids[4], other, "standin")
    await signup(ids[8], user, "active", no_show="unexcused")
    await signup(ids[7], user, "active", no_show="unexcused")
    await signup(ids[9], user, "offered", offer_expires_at=NOW + dt.timedelta(hours=1))
    await ShiftStanding.insert(ShiftStanding(user=user, lifted_count=1)).run()
    await WatchPoint.insert(
        WatchPoint(community=a, host=user, slug="p1", name_zh="药房", kind="pharmacy", address="1 Road", status="verified", idempotency_key="k1", created_at=NOW, updated_at=NOW),
        WatchPoint(community=a, host=user, slug="p2", name_zh="超市", kind="shop", address="2 Road", status="pending", idempotency_key="k2", created_at=NOW, updated_at=NOW),
    ).run()
    return {"user": user, "other": other, "shifts": ids, "a": a, "b": b}


async def test_the_shift_list_pages_are_the_piccolo_querys_pages(area, make_volunteer):
    w = await world(area, make_volunteer)
    scopes = [None, frozenset({w["a"], w["b"]}), frozenset({w["a"]})]
    pages = 0
    for scope in scopes:
        for filters in ({}, {"community": w["a"]}, {"kind": (await ShiftKind.select(ShiftKind.id).where(ShiftKind.name == "Desk").first().run())["id"]}):
            for size in (2, 40):
                after = None
                while True:
                    # As shifts_for_person built it before (person_list_query then keyset_time_page).
                    query = Shift.select(*rules.SHIFT_COLUMNS).where(Shift.starts_at >= NOW - dt.timedelta(hours=12))
                    if scope is not None:
                        query = query.where(Shift.community.is_in(list(scope)))
                    if filters.get("community"):
                        query = query.where(Shift.community == filters["community"])
                    if filters.get("kind"):
                        query = query.where(Shift.kind == filters["kind"])
                    expected = await keyset_time_query(query, Shift.starts_at, Shift.id, after, size).run()
                    items, after = await rules.shifts_for_person(w["user"], scope, NOW, after=after, size=size, **filters)
                    assert [row for row, _state in items] == [
                        rules.annotate({**row, "standins": sum(1 for s in (w["shifts"][2], w["shifts"][4]) if s == row["id"])}, NOW) for row in expected[:size]
                    ]
                    pages += 1
                    if after is None:
                        assert len(expected) <= size
                        break
    assert pages > 20
    # The shift 13 hours old is never listed, the one 11 hours old is; the ties are all there.
    listed = [row["id"] for row, _state in (await rules.shifts_for_person(w["user"], None, NOW))[0]]
    assert w["shifts"][8] not in listed and w["shifts"][7] in listed and set(w["shifts"][:7]) <= set(listed)


async def test_load_person_reads_what_the_piccolo_queries_read(area, make_volunteer):
    w = await world(area, make_volunteer)
    user = w["user"]
    window = (NOW - dt.timedelta(hours=12), NOW + dt.timedelta(days=2))  # the shift 13 hours old overlaps it
    for around in (None, window):
        query = Signup.select(
            Signup.id, Signup.shift, Signup.status, Signup.offer_expires_at, Signup.queued_at, Signup.checked_in_at, Signup.checked_out_at,
            Signup.shift.starts_at, Signup.shift.ends_at, Signup.shift.kind.name, Signup.shift.kind.name_en, Signup.shift.community.timezone,
        ).where((Signup.user == user) & Signup.status.is_in(list(rules.LIVE_STATUSES)))
        if around:
            query = query.where((Signup.shift.ends_at > around[0]) & (Signup.shift.starts_at < around[1]))
        expected = await query.limit(1000).run()
        person = await rules.load_person(user, NOW, window=around)
        assert person.mine == {r["shift"]: r for r in expected}
        assert len(expected) == (4 if around else 5)  # the offer 30 days on is outside the window
    assert person.host_points == {w["a"]: {(await WatchPoint.select(WatchPoint.id).where(WatchPoint.slug == "p1").first().run())["id"]}}
    # The counts and the standing, as Piccolo gave them.
    assert await rules.unexcused_no_shows(user) == await Signup.count().where((Signup.user == user) & (Signup.no_show == "unexcused")).run() == 2
    assert await rules._LIFTED.run(user=user) == await ShiftStanding.select(ShiftStanding.lifted_count).where(ShiftStanding.user == user).first().run() == {"lifted_count": 1}
    assert await rules._LIFTED.run(user=w["other"]) is None
    assert await rules.is_blocked(user, rules.Policy(max_no_shows=1)) and not await rules.is_blocked(user, rules.Policy(max_no_shows=2))
    # The waiting position counts those queued earlier (ties by id).
    mine = (await rules.load_person(user, NOW)).mine[w["shifts"][1]]
    assert await rules.waiting_position(w["shifts"][1], mine) == 2
    theirs = (await rules.load_person(w["other"], NOW)).mine[w["shifts"][1]]
    assert await rules.waiting_position(w["shifts"][1], theirs) == 1


async def test_the_lists_beside_the_shifts_are_the_piccolo_querys(area, make_volunteer):
    w = await world(area, make_volunteer)
    for ids in (None, frozenset({w["a"]}), frozenset({w["a"], w["b"], area.other_station_community_id})):
        query = Community.select(Community.id, Community.code, Community.name_zh, Community.name_en, Community.timezone, Community.station.name_zh, Community.station.name_en)
        if ids is not None:
            query = query.where(Community.id.is_in(list(ids)))
        assert await stations.communities_by_id(ids) == await query.order_by(Community.id).limit(500).run()
    assert await stations.communities_by_id(frozenset()) == []
    for active_only in (False, True):
        query = ShiftKind.select().where(ShiftKind.community == w["a"])
        if active_only:
            query = query.where(ShiftKind.active == True)  # noqa: E712
        expected = await query.order_by(ShiftKind.name).limit(200).run()
        assert await rules.kinds_of(w["a"], active_only=active_only) == expected
        assert len(expected) == (1 if active_only else 2)
    shifts = w["shifts"][:5]
    expected = await Signup.select(Signup.shift, Count(Signup.id, alias="n")).where(Signup.shift.is_in(shifts) & (Signup.status == "standin")).group_by(Signup.shift).run()
    assert await rules._standins(shifts) == {r["shift"]: r["n"] for r in expected} == {w["shifts"][2]: 1, w["shifts"][4]: 1}


async def test_a_statement_is_built_once_per_shape_and_bound_per_call(area, make_volunteer):
    w = await world(area, make_volunteer)
    built = []

    def build(p):
        built.append(p)
        query = Shift.select(Shift.id).where(Shift.starts_at >= p.since)
        if p.communities is not None:
            query = query.where(Shift.community.is_in(p.communities))
        return query.order_by(Shift.id).limit(p.size)

    statement = db.Statement(build, literal=("size",))
    since = NOW - dt.timedelta(hours=12)
    everything = [r["id"] for r in await statement.run(since=since, communities=None, size=100)]
    assert everything == sorted(w["shifts"][:8] + w["shifts"][9:])
    assert [r["id"] for r in await statement.run(since=NOW + dt.timedelta(days=3), communities=None, size=100)] == [w["shifts"][9]]
    assert len(built) == 1  # the same shape: built once, the values bound per call
    in_a = [r["id"] for r in await statement.run(since=since, communities=[w["a"]], size=100)]
    in_both = [r["id"] for r in await statement.run(since=since, communities=[w["b"], w["a"]], size=100)]
    assert in_both == everything and set(in_a) == {s for s in everything if s in w["shifts"][1:7:2] + w["shifts"][7:]}
    assert [r["id"] for r in await statement.run(since=since, communities=[w["a"]], size=2)] == in_a[:2]
    assert len(built) == 4  # a list of another length and another literal are new shapes
    assert "?" in statement.sql(since=since, communities=None, size=100) or "$1" in statement.sql(since=since, communities=None, size=100)
