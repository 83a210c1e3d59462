"""Reception rooms over HTTP: the registry (bad input re-rendered with the input, double
submit, scope, audit), hours, verification, suspension and retirement; the public page and
the community's open-now list beside the watch points; "on duty now" from a reception
shift whose kind belongs to the room (the shift kind form's room select)."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.audit.tables import AuditEntry
from portal.reception import rooms
from portal.reception.tables import Room
from portal.shifts.tables import Shift, ShiftKind, Signup
from portal.watchpoints import hours as H
from tests.conftest import field_error, http_client, post_form
from tests.unchanged import nothing_changes


def room_form(community_id: int, **overrides) -> dict:
    form = {
        "idempotency_key": str(uuid.uuid4()),
        "kind": "street",
        "community": str(community_id),
        "name_zh": "钟楼警务会客厅",
        "name_en": "Bell Tower Reception Room",
        "address": "钟楼东北角",
        "latitude": "34.2610",
        "longitude": "108.9423",
        "phone": "029-1234567",
        "services": ["consultation", "emergency_help", "residence_permit"],
        "amenities": ["umbrella", "water", "charging"],
        "languages": ["zh", "en"],
        "closed_dates": "",
    }
    for day in range(7):
        form.update({f"mode_{day}": "24h", f"opens_{day}": "", f"closes_{day}": ""})
    form.update(overrides)
    return form


async def _room_id(key: str) -> int:
    return (await Room.select(Room.id).where(Room.idempotency_key == key).first().run())["id"]


async def test_registry_bad_input_double_submit_scope_verify_and_audit(area, client_for, make_user):
    """An officer registers a room: every bad field is answered next to it with the input
    kept (422); the same form twice makes one room; officers of another community neither
    see nor change it; a district head reads it and changes nothing; the station head edits
    it; verify, suspend, reinstate and retire each leave an audit row with before/after."""
    officer, _ = await client_for("officer")
    bad = room_form(area.community_id, name_zh="", latitude="north", languages=[], mode_2="open", opens_2="18:00", closes_2="09:00", closed_dates="2027-13-01")
    response = await post_form(officer, "/reception/rooms/new", bad)
    assert response.status_code == 422
    assert field_error(response.text, "name_zh") and field_error(response.text, "latitude") and field_error(response.text, "languages")
    assert field_error(response.text, "closes_2") and field_error(response.text, "closed_dates")
    assert 'value="north"' in response.text and 'value="钟楼东北角"' in response.text  # the input is kept
    other_community = await post_form(officer, "/reception/rooms/new", room_form(area.other_community_id))
    assert other_community.status_code == 422 and field_error(other_community.text, "community")
    assert await Room.count().run() == 0

    form = room_form(area.community_id)
    first = await post_form(officer, "/reception/rooms/new", form)
    again = await post_form(officer, "/reception/rooms/new", form)
    assert first.status_code == again.status_code == 303 and first.headers["location"] == again.headers["location"]
    assert await Room.count().run() == 1
    room_id = await _room_id(form["idempotency_key"])
    room = await rooms.get_room(room_id)
    assert room["status"] == "pending" and room["services"] == "consultation,emergency_help,residence_permit" and room["languages"] == "zh,en"
    assert H.week_from_text(room["hours"])[0].mode == H.ALL_DAY

    listing = await officer.get("/reception/rooms")
    assert "Bell Tower Reception Room" in listing.text and f'href="/reception/rooms/{room_id}/desk"' in listing.text
    detail = await officer.get(f"/reception/rooms/{room_id}")
    assert detail.status_code == 200 and f"/rr/{room['slug']}" in detail.text

    stranger, _ = await client_for("officer", community_id=area.other_community_id)
    assert "Bell Tower Reception Room" not in (await stranger.get("/reception/rooms")).text
    assert (await stranger.get(f"/reception/rooms/{room_id}")).status_code == 404
    async with nothing_changes((Room, room_id)):
        assert (await post_form(stranger, f"/reception/rooms/{room_id}/edit", room_form(area.community_id, name_zh="改名"))).status_code == 404
        assert (await post_form(stranger, f"/reception/rooms/{room_id}/verify")).status_code == 404
    district, _ = await client_for("district_head")
    assert "Bell Tower Reception Room" in (await district.get("/reception/rooms")).text
    assert (await district.get(f"/reception/rooms/{room_id}")).status_code == 200
    async with nothing_changes((Room, room_id)):
        assert (await post_form(district, f"/reception/rooms/{room_id}/verify")).status_code == 403

    head, _ = await client_for("head")
    edited = await post_form(head, f"/reception/rooms/{room_id}/edit", room_form(area.community_id, name_en="Bell Tower Room", amenities=["first_aid"]))
    assert edited.status_code == 303
    assert (await rooms.get_room(room_id))["amenities"] == "first_aid"

    assert (await post_form(officer, f"/reception/rooms/{room_id}/verify")).status_code == 303
    verified = await rooms.get_room(room_id)
    assert verified["status"] == "verified" and verified["verified_at"] is not None
    assert (await post_form(officer, f"/reception/rooms/{room_id}/suspend", {"note": "装修"})).status_code == 303
    assert (await rooms.get_room(room_id))["status"] == "suspended"
    refused = await post_form(officer, f"/reception/rooms/{room_id}/verify")
    assert refused.status_code == 422 and (await rooms.get_room(room_id))["status"] == "suspended"
    assert (await post_form(officer, f"/reception/rooms/{room_id}/reinstate")).status_code == 303
    assert (await rooms.get_room(room_id))["status"] == "verified"
    too_long = await post_form(officer, f"/reception/rooms/{room_id}/retire", {"note": "x" * 501})
    assert too_long.status_code == 422 and field_error(too_long.text, "note")
    assert (await post_form(officer, f"/reception/rooms/{room_id}/retire", {"note": "搬迁"})).status_code == 303
    assert (await rooms.get_room(room_id))["retired_at"] is not None
    assert "Bell Tower Room" not in (await officer.get("/reception/rooms")).text
    assert "Bell Tower Room" in (await officer.get("/reception/rooms?status=retired")).text

    entries = await AuditEntry.select(AuditEntry.action, AuditEntry.before, AuditEntry.after).where(
        (AuditEntry.object_type == "reception_room") & (AuditEntry.object_id == str(room_id))
    ).order_by(AuditEntry.id).run()
    assert [e["action"] for e in entries] == [
        "reception_room.created", "reception_room.updated", "reception_room.verified", "reception_room.suspended",
        "reception_room.reinstated", "reception_room.retired",
    ]
    updated = entries[1]
    assert "first_aid" in str(updated["after"]) and "umbrella" in str(updated["before"])


async def test_hours_bad_input_and_saved(area, client_for):
    """The hours page takes the watch points' hours: an evening that closes before it opens
    without "closes after midnight" is refused next to the field with nothing changed; an
    overnight opening and holidays are saved, audited, and read back on the page."""
    officer, _ = await client_for("officer")
    form = room_form(area.community_id)
    await post_form(officer, "/reception/rooms/new", form)
    room_id = await _room_id(form["idempotency_key"])
    week = {f"mode_{d}": "open" for d in range(7)} | {f"opens_{d}": "08:00" for d in range(7)} | {f"closes_{d}": "20:00" for d in range(7)}
    async with nothing_changes((Room, room_id)):
        bad = await post_form(officer, f"/reception/rooms/{room_id}/hours", {**week, "opens_5": "20:00", "closes_5": "02:00", "closed_dates": ""})
        assert bad.status_code == 422 and field_error(bad.text, "closes_5")
        bad_time = await post_form(officer, f"/reception/rooms/{room_id}/hours", {**week, "opens_1": "25:00", "closed_dates": ""})
        assert bad_time.status_code == 422 and field_error(bad_time.text, "opens_1")
    good = await post_form(officer, f"/reception/rooms/{room_id}/hours", {**week, "opens_5": "20:00", "closes_5": "02:00", "overnight_5": "y", "closed_dates": "2027-02-17"})
    assert good.status_code == 303
    room = await rooms.get_room(room_id)
    assert H.week_from_text(room["hours"])[5] == H.Day(H.OPEN, dt.time(20), dt.time(2), True)
    assert "2027-02-17" in room["holidays"]
    assert await AuditEntry.exists().where((AuditEntry.action == "reception_room.hours") & (AuditEntry.object_id == str(room_id))).run()
    page = await officer.get(f"/reception/rooms/{room_id}/hours")
    assert 'value="20:00"' in page.text and "2027-02-17" in page.text


async def test_public_page_and_open_now_beside_the_watch_points(app, area, client_for):
    """Only a verified room that is open now is listed on the community's public page; its
    own page shows open now, services, amenities, languages, hours and the link to the
    station's public reception figures; suspended and retired rooms leave the list and
    their page says so without the details."""
    officer, _ = await client_for("officer")
    open_form, closed_form, pending_form = room_form(area.community_id), room_form(area.community_id, name_zh="夜里关门的会客厅", name_en="Closed room"), room_form(area.community_id, name_zh="待核实会客厅", name_en="Pending room")
    for day in range(7):
        closed_form.update({f"mode_{day}": "closed"})
    for form in (open_form, closed_form, pending_form):
        assert (await post_form(officer, "/reception/rooms/new", form)).status_code == 303
    open_id, closed_id = await _room_id(open_form["idempotency_key"]), await _room_id(closed_form["idempotency_key"])
    for room_id in (open_id, closed_id):
        assert (await post_form(officer, f"/reception/rooms/{room_id}/verify")).status_code == 303

    async with http_client(app) as public:
        listing = await public.get("/c/a")
        assert listing.status_code == 200
        assert "Bell Tower Reception Room" in listing.text or "钟楼警务会客厅" in listing.text
        assert "Closed room" not in listing.text and "夜里关门的会客厅" not in listing.text
        assert "Pending room" not in listing.text and "待核实会客厅" not in listing.text
        near = await public.get("/c/a?lat=34.26&lon=108.94")
        assert "km" in near.text
        slug = (await rooms.get_room(open_id))["slug"]
        page = await public.get(f"/rr/{slug}")
        assert page.status_code == 200
        for text in ("Open now", "Residence permits", "Umbrellas", "English", "Open 24 hours", f"/stations/{area.station_id}/reception"):
            assert text in page.text, text
        assert (await public.get("/rr/not-a-room-slug")).status_code == 404

        assert (await post_form(officer, f"/reception/rooms/{open_id}/suspend", {"note": ""})).status_code == 303
        assert "Bell Tower Reception Room" not in (await public.get("/c/a")).text
        hidden = await public.get(f"/rr/{slug}")
        assert "not open to the public" in hidden.text and "Residence permits" not in hidden.text
        await post_form(officer, f"/reception/rooms/{open_id}/reinstate")
        assert "Bell Tower Reception Room" in (await public.get("/c/a")).text
        await post_form(officer, f"/reception/rooms/{open_id}/retire", {"note": ""})
        assert "Bell Tower Reception Room" not in (await public.get("/c/a")).text


async def test_on_duty_now_from_a_reception_shift(area, client_for, make_volunteer):
    """A shift kind of kind "reception" gets the room from the shift kind form (a patrol
    cannot); the people holding a place on the room's shift that runs now are its "on duty
    now", by first name only; someone on a shift that has ended and someone who checked out
    are not. Retiring the room retires its shift kinds."""
    officer, _ = await client_for("officer")
    form = room_form(area.community_id)
    await post_form(officer, "/reception/rooms/new", form)
    room_id = await _room_id(form["idempotency_key"])
    await post_form(officer, f"/reception/rooms/{room_id}/verify")
    page = await officer.get(f"/shifts/manage/{area.community_id}/kinds/new")
    assert f'<option value="{room_id}">' in page.text
    kind_form = {"kind": "patrol", "name": "会客厅值班", "place": "钟楼", "min_people": "1", "max_people": "3", "open_to": "volunteers", "buddy_min": "0", "watch_point": "0", "room": str(room_id), "active": "y"}
    wrong = await post_form(officer, f"/shifts/manage/{area.community_id}/kinds/new", kind_form)
    assert wrong.status_code == 422 and field_error(wrong.text, "room")
    assert (await post_form(officer, f"/shifts/manage/{area.community_id}/kinds/new", {**kind_form, "kind": "reception"})).status_code == 303
    kind = await ShiftKind.select(ShiftKind.id, ShiftKind.room).where(ShiftKind.room == room_id).first().run()
    assert kind

    moment = rooms.now()
    tom = await make_volunteer(real_name="Tom Walker")
    zhang = await make_volunteer(real_name="张建国")
    gone = await make_volunteer(real_name="Left Early")
    later = await make_volunteer(real_name="Tomorrow Person")
    running = (await Shift.insert(Shift(community=area.community_id, kind=kind["id"], starts_at=moment - dt.timedelta(hours=1), ends_at=moment + dt.timedelta(hours=2), min_people=1, capacity=4, taken=3, created_at=moment)).returning(Shift.id).run())[0]["id"]
    ended = (await Shift.insert(Shift(community=area.community_id, kind=kind["id"], starts_at=moment - dt.timedelta(hours=5), ends_at=moment - dt.timedelta(hours=3), min_people=1, capacity=4, taken=1, created_at=moment)).returning(Shift.id).run())[0]["id"]
    for shift, user, checked_in, checked_out in ((running, tom, moment - dt.timedelta(minutes=50), None), (running, zhang, None, None), (running, gone, moment - dt.timedelta(minutes=50), moment - dt.timedelta(minutes=5)), (ended, later, None, None)):
        await Signup.insert(Signup(shift=shift, user=user, status="active", queued_at=moment - dt.timedelta(days=1), checked_in_at=checked_in, checked_out_at=checked_out, updated_at=moment)).run()

    duty = await rooms.on_duty(room_id, moment)
    assert [(p["name"], p["checked_in"]) for p in duty] == [("Tom", True), ("建国", False)]
    slug = (await rooms.get_room(room_id))["slug"]
    page = await officer.get(f"/rr/{slug}")
    assert "Tom" in page.text and "建国" in page.text
    assert "Walker" not in page.text and "张建国" not in page.text and "Left" not in page.text and "Tomorrow" not in page.text
    detail = await officer.get(f"/reception/rooms/{room_id}")
    assert "Tom" in detail.text and "会客厅值班" in detail.text

    # A retired room's reception shift kinds stop offering new shifts; its page names nobody.
    assert (await post_form(officer, f"/reception/rooms/{room_id}/retire", {"note": ""})).status_code == 303
    assert (await ShiftKind.select(ShiftKind.active).where(ShiftKind.id == kind["id"]).first().run())["active"] is False
    assert "Tom" not in (await officer.get(f"/rr/{slug}")).text
