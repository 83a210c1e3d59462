"""Rules of watch points: the opening-hours logic at fixed instants, photos (through the
shared pipeline of ``portal.uploads``, whose own tests cover it in depth), positions,
the open-now list, verification, suspension and who may edit."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from portal.accounts.rules import load_actor
from portal.accounts.tables import RoleGrant
from portal.audit.tables import AuditEntry
from portal.watchpoints import hours as H
from portal.watchpoints import rules
from portal.watchpoints.tables import WatchPoint, WatchPointVisit
from portal.web import i18n
from tests.unchanged import nothing_changes

SHANGHAI = "Asia/Shanghai"
DAY = H.Day(H.OPEN, dt.time(8), dt.time(22))
LATE = H.Day(H.OPEN, dt.time(20), dt.time(2), overnight=True)
ALL = H.Day(H.ALL_DAY)
SHUT = H.Day()


def at(year, month, day, hour, minute=0, tz=SHANGHAI) -> dt.datetime:
    """A local wall-clock time as an aware UTC instant (2026-11-23 is a Monday)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(dt.timezone.utc)


def week(*days):
    return tuple(days) + (SHUT,) * (7 - len(days))


# --- hours ---------------------------------------------------------------------------


def test_day_hours_open_between_opening_and_closing_only():
    """A day of 08:00–22:00 is open at 08:00 and 21:59, closed at 07:59 and 22:00."""
    w = (DAY,) * 7
    assert H.is_open(w, set(), None, at(2026, 11, 23, 8), SHANGHAI)
    assert H.is_open(w, set(), None, at(2026, 11, 23, 21, 59), SHANGHAI)
    assert not H.is_open(w, set(), None, at(2026, 11, 23, 7, 59), SHANGHAI)
    assert not H.is_open(w, set(), None, at(2026, 11, 23, 22), SHANGHAI)


def test_overnight_hours_continue_after_midnight_into_the_next_day():
    """Monday 20:00–02:00: open Monday 23:00 and Tuesday 01:30, closed Tuesday 02:00,
    and a closed Tuesday has no evening opening of its own."""
    w = week(LATE, SHUT)
    assert H.is_open(w, set(), None, at(2026, 11, 23, 23), SHANGHAI)
    assert H.is_open(w, set(), None, at(2026, 11, 24, 1, 30), SHANGHAI)
    assert not H.is_open(w, set(), None, at(2026, 11, 24, 2), SHANGHAI)
    assert not H.is_open(w, set(), None, at(2026, 11, 24, 21), SHANGHAI)
    assert not H.is_open(w, set(), None, at(2026, 11, 23, 19, 59), SHANGHAI)


def test_sunday_overnight_spills_into_monday():
    """The week wraps: Sunday's overnight opening is still open early on Monday."""
    w = (SHUT,) * 6 + (LATE,)
    assert H.is_open(w, set(), None, at(2026, 11, 30, 1), SHANGHAI)  # Monday 01:00


def test_all_day_is_open_at_any_minute():
    w = week(ALL)
    for hour, minute in ((0, 0), (3, 17), (23, 59)):
        assert H.is_open(w, set(), None, at(2026, 11, 23, hour, minute), SHANGHAI)
    assert not H.is_open(w, set(), None, at(2026, 11, 24, 0, 0), SHANGHAI)  # Tuesday is closed


def test_holiday_closes_the_whole_day_and_its_overnight_tail():
    """A closed date closes its whole day, and the night after it has no tail either."""
    w = (LATE,) * 7
    holiday = {dt.date(2026, 11, 24)}
    assert not H.is_open(w, holiday, None, at(2026, 11, 24, 21), SHANGHAI)
    assert not H.is_open(w, holiday, None, at(2026, 11, 24, 1), SHANGHAI)  # even Monday's tail
    assert not H.is_open(w, holiday, None, at(2026, 11, 25, 1), SHANGHAI)  # Tuesday's opening did not happen
    assert H.is_open(w, holiday, None, at(2026, 11, 25, 21), SHANGHAI)


def test_closed_today_lasts_only_for_that_local_day():
    w = (ALL,) * 7
    assert not H.is_open(w, set(), dt.date(2026, 11, 23), at(2026, 11, 23, 12), SHANGHAI)
    assert H.is_open(w, set(), dt.date(2026, 11, 23), at(2026, 11, 24, 0, 1), SHANGHAI)


def test_hours_are_read_in_the_community_time_zone():
    """The same instant is 09:00 in Shanghai (open) but 02:00 in Berlin (closed)."""
    instant = at(2026, 11, 23, 9)
    w = (DAY,) * 7
    assert H.is_open(w, set(), None, instant, SHANGHAI)
    assert not H.is_open(w, set(), None, instant, "Europe/Berlin")
    # And the weekday follows the zone too: Monday 01:00 in Shanghai is still Sunday in Berlin.
    sunday_only = (SHUT,) * 6 + (ALL,)
    assert H.is_open(sunday_only, set(), None, at(2026, 11, 23, 1), "Europe/Berlin")
    assert not H.is_open(sunday_only, set(), None, at(2026, 11, 23, 1), SHANGHAI)


def test_impossible_days_are_named():
    assert H.problem(H.Day(H.OPEN, dt.time(22), dt.time(8))) == "closes_before_opening"
    assert H.problem(H.Day(H.OPEN, dt.time(8), dt.time(8))) == "closes_before_opening"
    assert H.problem(H.Day(H.OPEN, dt.time(8), dt.time(22), overnight=True)) == "overnight_but_closes_later"
    assert H.problem(LATE) is None and H.problem(DAY) is None and H.problem(ALL) is None


def test_week_round_trips_through_its_text_form():
    w = (DAY, LATE, ALL, SHUT, DAY, LATE, ALL)
    assert H.week_from_text(H.week_to_text(w)) == w
    assert H.week_from_text("not json") == (SHUT,) * 7


# --- photos and positions ------------------------------------------------------------


@pytest.fixture
def english():
    """Messages of rules called directly are in the language of the context: English here."""
    token = i18n.activate("en")
    yield
    i18n.restore(token)


def image_bytes(fmt="JPEG", size=(64, 48), exif=True) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {}
    if exif and fmt == "JPEG":
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x010E] = "GPS 36.6171 101.7662"  # ImageDescription
        kwargs["exif"] = data.tobytes()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def test_photo_is_reencoded_as_jpeg_without_metadata():
    photo = rules.process_photo(image_bytes())
    with Image.open(io.BytesIO(photo.content)) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert (stored.width, stored.height) == (64, 48)
    assert b"SecretCam" not in photo.content and b"GPS 36" not in photo.content


def test_png_photo_is_accepted_and_large_ones_are_scaled_down():
    photo = rules.process_photo(image_bytes("PNG", (3200, 1000)))
    assert (photo.width, photo.height) == (1600, 500)


def gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"%PDF-1.4 not an image", "not an image"),
        (b"GIF89a....", "not an image"),
        (gif_bytes(), "JPEG, PNG or WebP"),
        (b"", "empty"),
        (b"x" * (rules.PHOTO_MAX_BYTES + 1), "larger than 5 MB"),
    ],
)
def test_bad_photos_are_refused_with_a_message(english, content, fragment):
    with pytest.raises(rules.PointError) as refused:
        rules.process_photo(content)
    assert refused.value.field == "photo"
    assert fragment in refused.value.message


def test_photo_messages_are_translated():
    token = i18n.activate("zh_CN")
    try:
        with pytest.raises(rules.PointError, match="无法识别此文件为图片"):
            rules.process_photo(b"hello")
    finally:
        i18n.restore(token)


def test_photo_with_too_many_pixels_is_refused(english, monkeypatch):
    from portal.uploads import images

    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    with pytest.raises(rules.PointError, match="too many pixels"):
        rules.process_photo(image_bytes(size=(100, 100), exif=False))


@pytest.mark.parametrize("lat, lon", [(91, 10), (-90.5, 10), (10, 181), (10, -200), (0, 0), (10, None), (float("nan"), 1)])
def test_implausible_positions_are_refused(lat, lon):
    with pytest.raises(rules.PointError):
        rules.check_position(lat, lon)


def test_plausible_positions_and_none_pass():
    rules.check_position(36.6171, 101.7662)
    rules.check_position(None, None)
    rules.check_position(-33.9, -70.6)


# --- changes, scope and the open-now list --------------------------------------------


def data(community_id, name="陈记药房", **kwargs) -> rules.PointData:
    kwargs.setdefault("week", (DAY,) * 7)
    return rules.PointData(community_id=community_id, name_zh=name, kind="pharmacy", address="西关大街 18 号", **kwargs)


async def make_point(make_user, area, name="陈记药房", community_id=None, status="verified", host_id=None, **kwargs) -> tuple[int, int]:
    """A point applied for by a (new) host and, unless ``status`` is pending, verified."""
    community_id = community_id or area.community_id
    host_id = host_id or await make_user("host", community_id=community_id)
    point_id = await rules.apply(await load_actor(host_id), data(community_id, name, **kwargs), None, str(uuid.uuid4()))
    if status != "pending":
        officer = await load_actor(await make_user("officer", community_id=community_id))
        await rules.record_visit(officer, point_id, dt.date(2026, 1, 5), "", True)
        if status == "suspended":
            await rules.set_suspended(officer, point_id, True)
    return point_id, host_id


async def test_apply_twice_with_the_same_key_creates_one_point(make_user, area):
    host = await load_actor(await make_user("host"))
    key = str(uuid.uuid4())
    first = await rules.apply(host, data(area.community_id), None, key)
    second = await rules.apply(host, data(area.community_id), None, key)
    assert first == second
    assert await WatchPoint.count().run() == 1
    point = await rules.get_point(first)
    assert point["status"] == "pending" and point["host"] == host.id and len(point["slug"]) >= 16


async def test_host_cannot_apply_in_another_community(make_user, area):
    host = await load_actor(await make_user("host"))
    async with nothing_changes(also=(WatchPoint,)):
        with pytest.raises(rules.PointError) as refused:
            await rules.apply(host, data(area.other_community_id), None, str(uuid.uuid4()))
    assert refused.value.field == "community"
    assert await WatchPoint.count().run() == 0


async def test_host_edits_only_their_own_point(make_user, area):
    mine, me = await make_point(make_user, area, status="pending")
    theirs, _ = await make_point(make_user, area, name="别家", status="pending")
    actor = await load_actor(me)
    await rules.update(actor, mine, data(area.community_id, "新名字"), None)
    assert (await rules.get_point(mine))["name_zh"] == "新名字"
    async with nothing_changes((WatchPoint, theirs)):
        with pytest.raises(PermissionError):
            await rules.update(actor, theirs, data(area.community_id, "抢来的"), None)
        with pytest.raises(PermissionError):
            await rules.set_closed_today(actor, theirs, True)
    assert (await rules.get_point(theirs))["name_zh"] == "别家"


async def test_verification_records_the_visit_grants_the_host_role_and_is_audited(make_user, area):
    """A volunteer's application, verified after a visit: the point is verified, the
    visit is kept, the volunteer becomes a host there, and each step has an audit row."""
    volunteer_id = await make_user("volunteer")
    point_id = await rules.apply(await load_actor(volunteer_id), data(area.community_id), None, str(uuid.uuid4()))
    officer = await load_actor(await make_user("officer"))
    await rules.record_visit(officer, point_id, dt.date(2026, 3, 1), "门口有标识", True)
    point = await rules.get_point(point_id)
    assert point["status"] == "verified" and point["verified_at"] is not None and point["last_visit_on"] == dt.date(2026, 3, 1)
    visits = await WatchPointVisit.select().where(WatchPointVisit.point == point_id).run()
    assert [(v["note"], v["outcome"], v["officer"]) for v in visits] == [("门口有标识", "verified", officer.id)]
    assert await RoleGrant.exists().where((RoleGrant.user == volunteer_id) & (RoleGrant.role == "host") & (RoleGrant.community == area.community_id)).run()
    await rules.set_suspended(officer, point_id, True, "关门了")
    assert (await rules.get_point(point_id))["status"] == "suspended"
    await rules.set_suspended(officer, point_id, False)
    assert (await rules.get_point(point_id))["status"] == "verified"
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_type == "watchpoint").order_by(AuditEntry.id).run()]
    assert actions == ["watchpoint.applied", "watchpoint.visited", "watchpoint.suspended", "watchpoint.reinstated"]


async def test_officer_of_another_community_cannot_verify(make_user, area):
    point_id, _ = await make_point(make_user, area, status="pending")
    stranger = await load_actor(await make_user("officer", community_id=area.other_community_id))
    async with nothing_changes((WatchPoint, point_id), also=(WatchPointVisit, RoleGrant)):
        with pytest.raises(PermissionError):
            await rules.record_visit(stranger, point_id, dt.date(2026, 3, 1), "", True)
        with pytest.raises(PermissionError):
            await rules.set_suspended(stranger, point_id, True, "not mine")
    assert (await rules.get_point(point_id))["status"] == "pending"


# Verification, written out: a visit verifies a pending or verified point, never a
# suspended one (reinstate it first); reinstating goes back to verified if the point
# had been verified, else to pending.
VISIT_VERIFIES = {"pending": True, "verified": True, "suspended": False}
REINSTATED_TO = {True: "verified", False: "pending"}  # by whether it was ever verified


async def test_verification_and_reinstatement_follow_the_status_rules(make_user, area):
    officer = await load_actor(await make_user("officer"))
    for status, verifies in VISIT_VERIFIES.items():
        point_id, _ = await make_point(make_user, area, name=f"点{status}", status=status)
        if verifies:
            await rules.record_visit(officer, point_id, dt.date(2026, 3, 1), "", True)
            assert (await rules.get_point(point_id))["status"] == "verified", status
            continue
        async with nothing_changes((WatchPoint, point_id), also=(WatchPointVisit, RoleGrant)):
            with pytest.raises(rules.PointError) as refused:
                await rules.record_visit(officer, point_id, dt.date(2026, 3, 1), "", True)
        assert refused.value.field == "outcome"
    for ever_verified, reinstated in REINSTATED_TO.items():
        point_id, _ = await make_point(make_user, area, name=f"停{ever_verified}", status="verified" if ever_verified else "pending")
        await rules.set_suspended(officer, point_id, True, "closed for works")
        await rules.set_suspended(officer, point_id, False)
        assert (await rules.get_point(point_id))["status"] == reinstated, ever_verified


async def test_visit_in_the_future_is_refused(make_user, area):
    point_id, _ = await make_point(make_user, area, status="pending")
    officer = await load_actor(await make_user("officer"))
    async with nothing_changes((WatchPoint, point_id), also=(WatchPointVisit, RoleGrant)):
        with pytest.raises(rules.PointError):
            await rules.record_visit(officer, point_id, dt.date.today() + dt.timedelta(days=3), "", True)


async def test_officer_list_shows_the_stalest_verification_first(make_user, area):
    fresh, _ = await make_point(make_user, area, name="新验")
    stale, _ = await make_point(make_user, area, name="旧验")
    never, _ = await make_point(make_user, area, name="未验", status="pending")
    other, _ = await make_point(make_user, area, name="别社区", community_id=area.other_community_id)
    await WatchPoint.update({WatchPoint.verified_at: dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)}).where(WatchPoint.id == stale).run()
    officer = await load_actor(await make_user("officer"))
    assert [p["id"] for p in (await rules.points_to_oversee(officer)).rows] == [never, stale, fresh]


async def test_open_now_lists_verified_open_points_nearest_first_or_by_name(make_user, area):
    near, _ = await make_point(make_user, area, name="B 近", latitude=36.6171, longitude=101.7662)
    far, _ = await make_point(make_user, area, name="A 远", latitude=36.70, longitude=101.90)
    await make_point(make_user, area, name="C 未验证", status="pending")
    await make_point(make_user, area, name="D 暂停", status="suspended")
    await make_point(make_user, area, name="E 已关", week=(SHUT,) * 7)
    await make_point(make_user, area, name="F 别社区", community_id=area.other_community_id)
    moment = at(2026, 11, 23, 12)
    by_name = await rules.open_now(area.community_id, moment, SHANGHAI)
    assert [p["name_zh"] for p in by_name] == ["A 远", "B 近"]
    nearest = await rules.open_now(area.community_id, moment, SHANGHAI, 36.6172, 101.7663)
    assert [p["id"] for p in nearest] == [near, far]
    assert nearest[0]["distance_km"] < 0.1 < nearest[1]["distance_km"]
    assert await rules.open_now(area.community_id, at(2026, 11, 23, 23), SHANGHAI) == []


async def test_closed_today_takes_a_point_off_the_open_list_for_the_day(make_user, area):
    point_id, host_id = await make_point(make_user, area, week=(ALL,) * 7)
    moment = at(2026, 11, 23, 12)
    await rules.set_closed_today(await load_actor(host_id), point_id, True, at=moment)
    assert (await rules.get_point(point_id))["closed_today_on"] == dt.date(2026, 11, 23)
    assert await rules.open_now(area.community_id, moment, SHANGHAI) == []
    assert len(await rules.open_now(area.community_id, at(2026, 11, 24, 12), SHANGHAI)) == 1
