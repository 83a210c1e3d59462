"""The duty roster: who is on duty at fixed instants (weekday slots, overnight slots,
dated slots that replace a weekday, the community's time zone), the checks on a new
slot, the audit of every change, the roster page, and the public pages showing the
officer on duty or, with nobody on duty, every officer of the community."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import zxingcpp

from portal.accounts.rules import load_actor
from portal.accounts.tables import RoleGrant
from portal.audit.tables import AuditEntry
from portal.watchpoints import duty
from portal.watchpoints.tables import DutySlot, WatchPoint
from portal.web import i18n
from tests.unchanged import nothing_changes
from tests.conftest import field_error, post_form
from tests.test_watchpoints_routes import svg_to_image
from tests.test_watchpoints_rules import SHANGHAI, at, make_point

T = dt.time


@pytest.fixture
def english():
    token = i18n.activate("en")
    yield
    i18n.restore(token)


async def officers(make_user, area, count=2) -> list[int]:
    return [await make_user("officer", real_name=f"警官{i}", phone=f"0971-555000{i}") for i in range(count)]


async def add(actor_id: int, area, officer_id: int, starts, ends, weekday=None, on_date=None, overnight=False, community_id=None) -> int:
    actor = await load_actor(actor_id)
    return await duty.add_slot(actor, community_id or area.community_id, duty.Slot(officer_id, starts, ends, weekday, on_date, overnight), SHANGHAI)


# --- who is on duty ------------------------------------------------------------------


async def test_weekday_slot_covers_its_time_range_in_the_communitys_zone(make_user, area):
    """Monday 08:00–17:00: on duty at 08:00 and 16:59 in Shanghai, not at 17:00, not
    on Tuesday, and not at the same instant read in Berlin (01:00 there)."""
    first, second = await officers(make_user, area)
    await add(first, area, first, T(8), T(17), weekday=0)
    await add(first, area, second, T(17), T(22), weekday=0)
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 23, 8), SHANGHAI) == [first]
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 23, 16, 59), SHANGHAI) == [first]
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 23, 17), SHANGHAI) == [second]
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 24, 9), SHANGHAI) == []
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 23, 8), "Europe/Berlin") == []


async def test_overnight_slot_reaches_into_the_next_morning(make_user, area):
    first, _ = await officers(make_user, area)
    await add(first, area, first, T(20), T(8), weekday=6, overnight=True)  # Sunday night
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 29, 23), SHANGHAI) == [first]
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 30, 7, 59), SHANGHAI) == [first]  # Monday morning
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 30, 8), SHANGHAI) == []
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 29, 19, 59), SHANGHAI) == []


async def test_a_dated_slot_replaces_that_days_weekly_roster(make_user, area, monkeypatch):
    monkeypatch.setattr(duty, "now", lambda: at(2026, 11, 20, 12))
    first, second = await officers(make_user, area)
    await add(first, area, first, T(8), T(17), weekday=0)
    await add(first, area, second, T(12), T(14), on_date=dt.date(2026, 11, 30))
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 23, 9), SHANGHAI) == [first]
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 30, 9), SHANGHAI) == []  # replaced, nobody at 09:00
    assert await duty.on_duty_ids(area.community_id, at(2026, 11, 30, 13), SHANGHAI) == [second]


async def test_who_to_call_falls_back_to_every_officer_and_skips_former_officers(make_user, area):
    first, second = await officers(make_user, area)
    await add(first, area, first, T(0), T(0), weekday=0, overnight=True)  # all of Monday
    people, on_duty = await duty.who_to_call(area.community_id, at(2026, 11, 23, 10), SHANGHAI)
    assert ([p["id"] for p in people], on_duty) == ([first], True)
    people, on_duty = await duty.who_to_call(area.community_id, at(2026, 11, 24, 10), SHANGHAI)
    assert (sorted(p["id"] for p in people), on_duty) == (sorted([first, second]), False)
    # The officer moved away: the slot no longer counts, and the others are shown.
    await RoleGrant.delete().where((RoleGrant.user == first) & (RoleGrant.role == "officer")).run()
    people, on_duty = await duty.who_to_call(area.community_id, at(2026, 11, 23, 10), SHANGHAI)
    assert ([p["id"] for p in people], on_duty) == ([second], False)


# --- changes -------------------------------------------------------------------------


async def test_slots_are_checked(make_user, area, english, monkeypatch):
    monkeypatch.setattr(duty, "now", lambda: at(2026, 11, 23, 12))
    first, _ = await officers(make_user, area)
    stranger = await make_user("officer", community_id=area.other_community_id)
    cases = [
        (dict(officer_id=stranger), "officer", "officer of this community"),
        (dict(ends=T(7)), "ends", "after the start"),
        (dict(ends=T(23), overnight=True), "ends", "next morning"),
        (dict(weekday=None), "day", "weekday or a date"),
        (dict(on_date=dt.date(2026, 11, 30)), "day", "weekday or a date"),  # both
        (dict(weekday=None, on_date=dt.date(2026, 11, 22)), "on_date", "has passed"),
        (dict(weekday=None, on_date=dt.date(2028, 1, 1)), "on_date", "a year ahead"),
    ]
    actor = await load_actor(first)
    for changes, field_name, fragment in cases:
        values = {"officer_id": first, "starts": T(8), "ends": T(17), "weekday": 0} | changes
        async with nothing_changes(also=(DutySlot,)):
            with pytest.raises(duty.DutyError) as refused:
                await duty.add_slot(actor, area.community_id, duty.Slot(**values), SHANGHAI)
        assert (refused.value.field, fragment in refused.value.message) == (field_name, True), changes
    assert await DutySlot.count().run() == 0


async def test_only_officers_reaching_the_community_change_its_roster_and_each_change_is_audited(make_user, area):
    first, _ = await officers(make_user, area)
    stranger = await load_actor(await make_user("officer", community_id=area.other_community_id))
    host = await load_actor(await make_user("host"))
    for actor in (stranger, host):
        async with nothing_changes(also=(DutySlot,)):
            with pytest.raises(PermissionError):
                await duty.add_slot(actor, area.community_id, duty.Slot(first, T(8), T(17), 0), SHANGHAI)
    head = await make_user("head")
    slot_id = await add(head, area, first, T(8), T(17), weekday=2)
    async with nothing_changes((DutySlot, slot_id)):
        with pytest.raises(PermissionError):
            await duty.remove_slot(stranger, area.community_id, slot_id)
        assert not await duty.remove_slot(await load_actor(head), area.other_community_id, slot_id)  # not that community's slot
    assert await duty.remove_slot(await load_actor(first), area.community_id, slot_id)
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.actor, AuditEntry.object_id, AuditEntry.before, AuditEntry.after).where(AuditEntry.object_type == "duty").order_by(AuditEntry.id).run()
    assert [(r["action"], r["actor"], r["object_id"]) for r in rows] == [("duty.added", head, str(area.community_id)), ("duty.removed", first, str(area.community_id))]
    after, before = (json.loads(v) if isinstance(v, str) else v for v in (rows[0]["after"], rows[1]["before"]))
    assert after["starts"] == "08:00" and after["weekday"] == 2 and before["officer"] == first
    assert await DutySlot.count().run() == 0


# --- pages ---------------------------------------------------------------------------


def slot_form(officer_id: int, **overrides) -> dict:
    return {"officer": str(officer_id), "day": "0", "on_date": "", "starts": "08:00", "ends": "17:00"} | overrides


async def test_officer_edits_the_roster_on_its_page(client_for, make_user, area):
    officer, officer_id = await client_for("officer", real_name="王莉")
    response = await post_form(officer, f"/communities/{area.community_id}/duty", slot_form(officer_id, day="4", starts="20:00", ends="08:00", overnight="y"))
    assert response.status_code == 303
    page = await officer.get(f"/communities/{area.community_id}/duty")
    assert page.status_code == 200 and "Every Friday" in page.text and "20:00–08:00" in page.text and "王莉" in page.text and "Added to the roster" in page.text
    slot_id = (await DutySlot.select(DutySlot.id).first().run())["id"]
    assert (await post_form(officer, f"/communities/{area.community_id}/duty/{slot_id}/remove")).status_code == 303
    assert await DutySlot.count().run() == 0
    async with nothing_changes(also=(DutySlot,)):
        assert (await post_form(officer, f"/communities/{area.community_id}/duty/{slot_id}/remove")).status_code == 404


@pytest.mark.parametrize(
    "overrides, field_id, fragment",
    [
        ({"ends": "07:00"}, "ends", "after the start"),
        ({"starts": "8 o'clock"}, "starts", "HH:MM"),
        ({"starts": ""}, "starts", "HH:MM"),
        ({"day": ""}, "day", "weekday or a date"),
        ({"day": "9"}, "day", "weekday or a date"),
        ({"day": "", "on_date": "2020-01-01"}, "on_date", "has passed"),
        ({"on_date": "tomorrow"}, "on_date", None),
        ({"officer": "999999"}, "officer", "officer of this community"),
        ({"officer": "x"}, "officer", None),
    ],
)
async def test_bad_slot_is_refused_with_the_input_kept_and_nothing_saved(client_for, area, overrides, field_id, fragment):
    officer, officer_id = await client_for("officer")
    form = slot_form(officer_id, ends="17:59") | overrides
    async with nothing_changes(also=(DutySlot,)):
        response = await post_form(officer, f"/communities/{area.community_id}/duty", form)
        assert response.status_code == 422
    error = field_error(response.text, field_id)
    assert error is not None, response.text
    if fragment:
        assert fragment in error
    assert f'value="{form["ends"]}"' in response.text  # input kept
    assert await DutySlot.count().run() == 0


async def test_officers_of_other_communities_cannot_see_or_change_the_roster(client_for, make_user, area):
    first, _ = await officers(make_user, area)
    slot_id = await add(first, area, first, T(8), T(17), weekday=0)
    stranger, _ = await client_for("officer", community_id=area.other_community_id)
    assert (await stranger.get(f"/communities/{area.community_id}/duty")).status_code == 403
    async with nothing_changes((DutySlot, slot_id)):
        assert (await post_form(stranger, f"/communities/{area.community_id}/duty", slot_form(first))).status_code == 403
        assert (await post_form(stranger, f"/communities/{area.community_id}/duty/{slot_id}/remove")).status_code == 403
        # Its own community's page cannot remove a slot of another community either.
        assert (await post_form(stranger, f"/communities/{area.other_community_id}/duty/{slot_id}/remove")).status_code == 404
    assert await DutySlot.count().run() == 1


async def test_public_pages_show_the_officer_on_duty_or_every_officer(client, make_user, area):
    first, second = await officers(make_user, area)
    point_id, _ = await make_point(make_user, area)
    slug = (await WatchPoint.select(WatchPoint.slug).where(WatchPoint.id == point_id).first().run())["slug"]
    everyone = (await client.get(f"/p/{slug}")).text
    assert "警官0" in everyone and "警官1" in everyone and "Officer on duty now" not in everyone
    for weekday in range(7):  # 警官1 is on duty around the clock
        await add(first, area, second, T(0), T(0), weekday=weekday, overnight=True)
    for page in (await client.get(f"/p/{slug}"), await client.get("/c/a")):
        assert "Officer on duty now" in page.text and "警官1" in page.text and "tel:0971-5550001" in page.text
        assert "警官0" not in page.text


async def test_the_board_points_at_the_place_whoever_is_on_duty(client_for, make_user, area, settings):
    officer, officer_id = await client_for("officer")
    point_id, _ = await make_point(make_user, area)
    slug = (await WatchPoint.select(WatchPoint.slug).where(WatchPoint.id == point_id).first().run())["slug"]

    async def qr_text() -> str:
        svg = re.search(r"<svg.*?</svg>", (await officer.get(f"/watchpoints/{point_id}/board")).text, re.S).group(0)
        return zxingcpp.read_barcodes(svg_to_image(svg))[0].text

    before = await qr_text()
    newcomer = await make_user("officer", real_name="新警官")
    for weekday in range(7):
        await add(officer_id, area, newcomer, T(0), T(0), weekday=weekday, overnight=True)
    assert before == await qr_text() == f"http://testserver.local/p/{slug}"
