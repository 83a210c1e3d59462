"""The log form's lists and a submission's checks are compiled once per shape
(portal.db.Statement) and give the rows of the queries they replaced, written out here
as they were; on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from portal import db
from portal.accounts.rules import load_actor
from portal.logs import rules
from portal.logs.tables import Landmark
from portal.shifts.tables import Shift, ShiftKind, Signup
from portal.stations.tables import Community
from portal.watchpoints.tables import WatchPoint

UTC = dt.timezone.utc
NOW = dt.datetime(2030, 6, 3, 20, 0, tzinfo=UTC)


async def old_communities(scope) -> list[dict]:
    where = "" if scope is None else f"WHERE id IN ({','.join(str(int(c)) for c in sorted(scope))}) "
    return await db.fetch(f"SELECT id, name_zh, name_en, timezone FROM community {where}ORDER BY id LIMIT 200")


async def old_points(actor, community_id: int) -> list[dict]:
    columns = (WatchPoint.id, WatchPoint.name_zh, WatchPoint.name_en, WatchPoint.host)
    if actor.reaches(community_id, "volunteer", "officer"):
        where = (WatchPoint.community == community_id) & ((WatchPoint.status == "verified") | (WatchPoint.host == actor.id))
    else:
        where = (WatchPoint.community == community_id) & (WatchPoint.host == actor.id)
    return await WatchPoint.select(*columns).where(where).order_by(WatchPoint.id).limit(300).run()


async def old_landmarks(community_id: int) -> list[dict]:
    return await Landmark.select(Landmark.id, Landmark.name_zh, Landmark.name_en).where((Landmark.community == community_id) & (Landmark.active == True)).order_by(Landmark.id).limit(300).run()  # noqa: E712


async def old_shifts_around(user_id: int, moment: dt.datetime, hours: int = 18) -> list[dict]:
    return await Signup.select(Signup.shift, Signup.shift.starts_at, Signup.shift.ends_at, Signup.shift.community, Signup.shift.kind.name, Signup.shift.kind.name_en, Signup.shift.kind.place).where(
        (Signup.user == user_id)
        & Signup.status.is_in(["active", "standin"])
        & (Signup.shift.starts_at >= moment - dt.timedelta(hours=hours))
        & (Signup.shift.starts_at <= moment + dt.timedelta(hours=1))
        & (Signup.shift.status == "open")
    ).order_by(Signup.shift.starts_at, ascending=False).limit(5).run()


async def point(community: int, host: int | None, status: str, n: int) -> None:
    await WatchPoint.insert(WatchPoint(community=community, host=host, slug=f"form-{n}", name_zh=f"点{n}", name_en=f"Point {n}", kind="shop", address=f"{n} Road",
                                       status=status, idempotency_key=f"form-{n}", created_at=NOW, updated_at=NOW)).run()


async def test_the_form_lists_are_the_old_queries_rows(area, make_volunteer, make_user):
    a, b, c = area.community_id, area.other_community_id, area.other_station_community_id
    volunteer = await make_volunteer(community_id=a)
    host = await make_user("host", community_id=b)
    officer = await make_user("officer", community_id=a)
    admin = await make_user("admin")
    n = 0
    for community in (a, b, c):
        for owner, status in ((None, "verified"), (host, "verified"), (host, "pending"), (volunteer, "suspended"), (None, "pending")):
            n += 1
            await point(community, owner, status, n)
        await Landmark.insert(
            Landmark(community=community, name_zh="东门", name_en="East Gate", created_at=NOW),
            Landmark(community=community, name_zh="旧楼", name_en="Old block", active=False, created_at=NOW),
            Landmark(community=community, name_zh="二号楼", name_en="", created_at=NOW),
        ).run()
    await Community.update({Community.timezone: "Asia/Urumqi"}).where(Community.id == c).run()
    actors = [await load_actor(user) for user in (volunteer, host, officer, admin)]
    for actor in actors:
        scope = rules.logging_communities(actor)
        assert await rules.communities_for(actor) == await old_communities(scope), actor.username
        for community in (a, b, c):
            assert await rules.points_for(actor, community) == await old_points(actor, community), (actor.username, community)
    for community in (a, b, c):
        assert await rules.landmarks_of(community) == await old_landmarks(community)
    assert len(await rules.points_for(actors[0], a)) == 3 and len(await rules.points_for(actors[1], b)) == 2  # the test sees rows


async def test_shifts_around_are_the_old_querys_rows(area, make_volunteer):
    user = await make_volunteer(community_id=area.community_id)
    kind = (await ShiftKind.insert(ShiftKind(community=area.community_id, kind="patrol", name="Patrol", name_en="Patrol EN", place="Xiguan Street", min_people=1, max_people=4)).returning(ShiftKind.id).run())[0]["id"]
    for n, (hours, status, signup) in enumerate(((-2, "open", "active"), (-20, "open", "active"), (-70, "open", "standin"), (0.5, "open", "active"), (3, "open", "active"),
                                                  (-1, "cancelled", "active"), (-3, "open", "waiting"), (-5, "open", "standin"), (-8, "open", "active"), (-9, "open", "active"),
                                                  (-10, "open", "active"), (-11, "open", "active"))):
        starts = NOW + dt.timedelta(hours=hours)
        shift = (await Shift.insert(Shift(community=area.community_id, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=1, capacity=4, taken=1,
                                          status=status, created_at=NOW)).returning(Shift.id).run())[0]["id"]
        await Signup.insert(Signup(shift=shift, user=user, status=signup, queued_at=NOW, updated_at=NOW)).run()
    for moment, hours in ((NOW, 18), (NOW, 72), (NOW - dt.timedelta(hours=9), 18), (NOW + dt.timedelta(days=3), 18)):
        assert await rules.shifts_around(user, moment, hours) == await old_shifts_around(user, moment, hours), (moment, hours)
    assert len(await rules.shifts_around(user, NOW, 72)) == 5
