"""The statements of the public point page (portal.db.Statement) give what the Piccolo
queries they replaced gave, written out here as they were; on SQLite and PostgreSQL:
the point with its community and station, the community by id and by code, the
community's officers, who is on duty at a moment, and the officers' photos."""

from __future__ import annotations

import datetime as dt

from portal.accounts.rules import now
from portal.accounts.tables import RoleGrant, User
from portal.stations.tables import Community
from portal.watchpoints import duty, photos
from portal.watchpoints import rules as points
from portal.watchpoints.tables import DutySlot, OfficerPhoto, WatchPoint

UTC = dt.timezone.utc
# A Monday 10:00 in Shanghai; the slots below cover Monday, Sunday night and a date.
MONDAY = dt.datetime(2030, 6, 3, 2, 0, tzinfo=UTC)


async def old_officers_of(community_id: int) -> list[dict]:
    grants = await RoleGrant.select(RoleGrant.user).where((RoleGrant.role == "officer") & (RoleGrant.community == community_id)).limit(20).run()
    ids = sorted({g["user"] for g in grants})
    if not ids:
        return []
    return await User.select(User.id, User.real_name, User.phone).where(User.id.is_in(ids) & (User.active == True)).order_by(User.id).run()  # noqa: E712


async def old_community_with_station(community_id=None, code=None):
    query = Community.select(
        Community.id, Community.code, Community.name_zh, Community.name_en, Community.timezone, Community.station.name_zh, Community.station.name_en, Community.station.phone
    )
    query = query.where(Community.id == community_id) if community_id is not None else query.where(Community.code == code)
    return await query.first().run()


async def old_on_duty_ids(community_id: int, at: dt.datetime, timezone: str) -> list[int]:
    local = at.astimezone(__import__("zoneinfo").ZoneInfo(timezone))
    today, yesterday = local.date(), local.date() - dt.timedelta(days=1)
    days = DutySlot.weekday.is_in([today.weekday(), yesterday.weekday()]) | DutySlot.on_date.is_in([today, yesterday])
    rows = await DutySlot.select(DutySlot.id, DutySlot.officer, DutySlot.weekday, DutySlot.on_date, DutySlot.starts, DutySlot.ends, DutySlot.overnight).where(
        (DutySlot.community == community_id) & days
    ).order_by(DutySlot.starts).order_by(DutySlot.id).limit(200).run()
    minute = local.time().replace(second=0, microsecond=0)
    found = [r["officer"] for r in duty._slots_of_day(rows, today) if duty._covers(r, minute, tail=False)]
    found += [r["officer"] for r in duty._slots_of_day(rows, yesterday) if duty._covers(r, minute, tail=True)]
    current = {o["id"] for o in await old_officers_of(community_id)}
    return [officer for officer in dict.fromkeys(found) if officer in current]


async def world(area, make_user) -> dict:
    a = area.community_id
    first, second = await make_user("officer", real_name="甲"), await make_user("officer", real_name="乙")
    gone = await make_user("officer", real_name="丙")
    await User.update({User.active: False}).where(User.id == gone).run()
    elsewhere = await make_user("officer", community_id=area.other_community_id)
    await make_user("head")  # a station head is not an officer of the community
    await User.update({User.phone: "010-1234"}).where(User.id == second).run()
    await OfficerPhoto.insert(OfficerPhoto(user=first, storage_key="k", thumb_key="t", width=1, height=1, updated_at=MONDAY)).run()
    slot = dict(community=a, created_at=MONDAY)
    await DutySlot.insert(
        DutySlot(officer=first, weekday=0, starts="08:00", ends="12:00", **slot),
        DutySlot(officer=gone, weekday=0, starts="09:00", ends="11:00", **slot),
        DutySlot(officer=second, weekday=6, starts="22:00", ends="09:00", overnight=True, **slot),
        DutySlot(officer=second, on_date=dt.date(2030, 6, 4), starts="00:00", ends="23:59", **slot),
        DutySlot(officer=elsewhere, weekday=0, starts="00:00", ends="23:59", community=area.other_community_id, created_at=MONDAY),
    ).run()
    await WatchPoint.insert(WatchPoint(community=a, host=first, slug="abcdefgh12", name_zh="药房", kind="pharmacy", address="1 Road", status="verified", idempotency_key="k1", created_at=MONDAY, updated_at=MONDAY)).run()
    return {"officers": (first, second, gone)}


async def test_the_point_page_statements_give_the_piccolo_querys_rows(area, make_user):
    w = await world(area, make_user)
    for community_id in (area.community_id, area.other_community_id, area.other_station_community_id):
        assert await points.officers_of(community_id) == await old_officers_of(community_id)
        assert await points.community_with_station(community_id) == await old_community_with_station(community_id)
        code = (await Community.select(Community.code).where(Community.id == community_id).first().run())["code"]
        assert await points.community_with_station(code=code) == await old_community_with_station(code=code)
    assert await points.community_with_station(code="nowhere") is None
    assert [o["real_name"] for o in await points.officers_of(area.community_id)] == ["甲", "乙"]

    point, community = await points.point_with_community("abcdefgh12")
    assert point == await WatchPoint.select(*points.POINT_COLUMNS).where(WatchPoint.slug == "abcdefgh12").first().run()
    assert community == await old_community_with_station(point["community"])
    assert await points.point_with_community("nothing-here") == (None, None)

    first, second, gone = w["officers"]
    # Monday 08:30 (first), 10:00 (first; gone is inactive), Monday 03:00 (Sunday's night: second),
    # Tuesday (the date: second), Monday 13:00 (nobody).
    moments = {dt.timedelta(hours=-1, minutes=30): [first], dt.timedelta(): [first], dt.timedelta(hours=-7): [second], dt.timedelta(days=1): [second], dt.timedelta(hours=3): []}
    for shift, expected in moments.items():
        at = MONDAY + shift
        assert await duty.on_duty_ids(area.community_id, at, "Asia/Shanghai") == expected == await old_on_duty_ids(area.community_id, at, "Asia/Shanghai")
        officers, on_duty = await duty.who_to_call(area.community_id, at, "Asia/Shanghai")
        assert ([o["id"] for o in officers], on_duty) == ((expected, True) if expected else ([first, second], False))

    everyone = await points.officers_of(area.community_id)
    shown = await photos.with_photos(everyone)
    assert [o["photo_version"] for o in shown] == [int(MONDAY.timestamp()), None]
    assert await photos.with_photos([]) == []
