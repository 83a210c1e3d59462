"""The hours form of watch points and reception rooms: "same hours every day" (the first
row for all seven days), holiday closures as a date range (two date fields, or a range
line in the list) read back as ranges, their bad input (422 by the field, nothing
changed), and "Close for the rest of today", which asks before it closes."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.audit.tables import AuditEntry
from portal.reception import rooms
from portal.watchpoints import hours as H
from portal.watchpoints.tables import WatchPoint
from tests.conftest import field_error, post_form
from tests.test_reception_rooms import _room_id, room_form
from tests.test_watchpoints_rules import make_point
from tests.unchanged import nothing_changes

EIGHT_TO_EIGHT = H.Day(H.OPEN, dt.time(8), dt.time(20))


def week_form(**overrides) -> dict:
    """Seven different days, as a page would send them."""
    form = {"closed_dates": ""}
    for day in range(7):
        form.update({f"mode_{day}": "open", f"opens_{day}": f"{8 + day:02d}:00", f"closes_{day}": "21:00"})
    return form | overrides


async def _point(client_for, make_user, area):
    """A host's client and their verified point: (client, point id, hours page, what it stores)."""
    host, host_id = await client_for("host")
    point_id, _ = await make_point(make_user, area, host_id=host_id)

    async def stored() -> tuple[H.Week, list[dt.date]]:
        row = await WatchPoint.select(WatchPoint.hours, WatchPoint.holidays).where(WatchPoint.id == point_id).first().run()
        return H.week_from_text(row["hours"]), sorted(H.dates_from_text(row["holidays"]))

    return host, point_id, f"/watchpoints/{point_id}/hours", stored


async def _room(client_for, area):
    """An officer's client and a reception room of theirs, the same way."""
    officer, _ = await client_for("officer")
    form = room_form(area.community_id)
    assert (await post_form(officer, "/reception/rooms/new", form)).status_code == 303
    room_id = await _room_id(form["idempotency_key"])

    async def stored() -> tuple[H.Week, list[dt.date]]:
        row = await rooms.get_room(room_id)
        return H.week_from_text(row["hours"]), sorted(H.dates_from_text(row["holidays"]))

    return officer, room_id, f"/reception/rooms/{room_id}/hours", stored


@pytest.fixture
async def point(client_for, make_user, area):
    return await _point(client_for, make_user, area)


@pytest.fixture(params=["point", "room"])
async def place(request, client_for, make_user, area):
    """The same hours form on a watch point and on a reception room."""
    return await (_point(client_for, make_user, area) if request.param == "point" else _room(client_for, area))


async def test_same_hours_every_day_takes_the_first_row_for_all_seven(place):
    client, _id, page, stored = place
    # The other rows say something else (or nonsense): with the box ticked they do not count.
    form = week_form(same_every_day="y", mode_0="open", opens_0="08:00", closes_0="20:00", opens_3="25:99", mode_6="closed")
    assert (await post_form(client, page, form)).status_code == 303
    week, _dates = await stored()
    assert week == (EIGHT_TO_EIGHT,) * 7
    shown = (await client.get(page)).text
    assert re.search(r'<input[^>]*checked[^>]*id="same_every_day"|<input[^>]*id="same_every_day"[^>]*checked', shown)
    # Without the box each row is its own day again.
    assert (await post_form(client, page, week_form())).status_code == 303
    week, _dates = await stored()
    assert [d.opens.hour for d in week] == [8, 9, 10, 11, 12, 13, 14]
    assert 'id="same_every_day"' in (shown := (await client.get(page)).text) and not re.search(r'id="same_every_day"[^>]*checked|checked[^>]*id="same_every_day"', shown)


async def test_a_bad_first_row_with_same_every_day_is_refused_by_that_row(place):
    client, _id, page, stored = place
    before = await stored()
    response = await post_form(client, page, week_form(same_every_day="y", opens_0="20:00", closes_0="08:00"))
    assert response.status_code == 422 and "Closing must be after opening" in field_error(response.text, "closes_0")
    assert await stored() == before


async def test_a_holiday_closure_from_one_date_to_another(place):
    client, _id, page, stored = place
    form = week_form(closed_dates="2027-10-01 – 2027-10-03\n2027-12-25", closed_from="2027-02-15", closed_until="2027-02-21")
    assert (await post_form(client, page, form)).status_code == 303
    _week, dates = await stored()
    assert dates == [dt.date(2027, 2, 15) + dt.timedelta(days=n) for n in range(7)] + [dt.date(2027, 10, 1), dt.date(2027, 10, 2), dt.date(2027, 10, 3), dt.date(2027, 12, 25)]
    # Read back as ranges, one a line; the two date fields are empty for the next closure.
    shown = (await client.get(page)).text
    assert "2027-02-15 – 2027-02-21\n2027-10-01 – 2027-10-03\n2027-12-25</textarea>" in shown
    assert re.search(r'<input[^>]*id="closed_from"[^>]*value=""|<input[^>]*id="closed_from"(?![^>]*value)', shown)
    detail = (await client.get(page.removesuffix("/hours"))).text
    assert re.search(r"Closed on: [^<]*15 Feb 2027 – [^<]*21 Feb 2027, [^<]*1 Oct 2027 – [^<]*3 Oct 2027, [^<]*25 Dec 2027", detail), detail[detail.find("Closed on"):][:200]
    # The page's own list, sent back as it is, keeps the same days.
    assert (await post_form(client, page, week_form(closed_dates="2027-02-15 – 2027-02-21\n2027-10-01 – 2027-10-03\n2027-12-25"))).status_code == 303
    assert (await stored())[1] == dates
    # One day alone: the first day is enough.
    assert (await post_form(client, page, week_form(closed_from="2027-05-01"))).status_code == 303
    assert (await stored())[1] == [dt.date(2027, 5, 1)]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"closed_from": "2027-02-21", "closed_until": "2027-02-15"}, "closed_until", "The last day closed cannot be before the first."),
        ({"closed_until": "2027-02-15"}, "closed_until", "Give the first day closed too."),
        ({"closed_from": "2027-01-01", "closed_until": "2027-03-15"}, "closed_until", "A closure lasts at most 60 days."),
        ({"closed_from": "next week"}, "closed_from", "Not a valid date value."),
        ({"closed_dates": "2027-10-03 – 2027-10-01"}, "closed_dates", "The last day closed cannot be before the first."),
        ({"closed_dates": "2027-10-01 – 2027-10-32"}, "closed_dates", "2027-10-32 is not a date in the calendar."),
        ({"closed_dates": "2027-10-01 until Sunday"}, "closed_dates", "Write each date as 2026-02-17 (year-month-day), a range as 2026-02-15 – 2026-02-21."),
    ],
)
async def test_bad_closures_are_refused_by_their_field_and_change_nothing(changes, field, message, point):
    client, point_id, page, _stored = point
    async with nothing_changes((WatchPoint, point_id)):
        response = await post_form(client, page, week_form(**changes))
        assert response.status_code == 422 and field_error(response.text, field) == message, response.text[:300]
        for value in changes.values():
            assert value in response.text  # the input is kept


def test_closed_dates_read_as_ranges():
    days = [dt.date(2027, 2, 15), dt.date(2027, 2, 16), dt.date(2027, 2, 17), dt.date(2027, 3, 1), dt.date(2027, 3, 3)]
    assert H.date_ranges(days) == [(dt.date(2027, 2, 15), dt.date(2027, 2, 17)), (dt.date(2027, 3, 1), dt.date(2027, 3, 1)), (dt.date(2027, 3, 3), dt.date(2027, 3, 3))]
    assert H.ranges_to_text(days) == "2027-02-15 – 2027-02-17\n2027-03-01\n2027-03-03"
    assert H.closure_tokens("2027-02-15 to 2027-02-17, 2027-03-01 2027-03-03\n2027-04-01..2027-04-02；2027-05-01-2027-05-02") == [
        "2027-02-15 to 2027-02-17", "2027-03-01", "2027-03-03", "2027-04-01..2027-04-02", "2027-05-01-2027-05-02",
    ]


async def test_a_place_is_closed_on_every_day_of_a_closure(point):
    client, point_id, page, _stored = point
    assert (await post_form(client, page, week_form(**{f"mode_{d}": "24h" for d in range(7)}, closed_from="2027-02-15", closed_until="2027-02-21"))).status_code == 303
    row = await WatchPoint.select(WatchPoint.hours, WatchPoint.holidays).where(WatchPoint.id == point_id).first().run()
    week, closed = H.week_from_text(row["hours"]), H.dates_from_text(row["holidays"])
    noon = lambda day: dt.datetime.combine(day, dt.time(4), dt.timezone.utc)  # noqa: E731 - 12:00 in Shanghai
    assert [H.is_open(week, closed, None, noon(dt.date(2027, 2, d)), "Asia/Shanghai") for d in (14, 15, 18, 21, 22)] == [True, False, False, False, True]


async def test_close_for_the_rest_of_today_is_an_action_that_asks_first(point, area):
    """Plain forms, no script: the button names the action; its post answers with the
    question and changes nothing; "yes" closes (audited); opening again does not ask."""
    client, point_id, _page, _stored = point
    page = (await client.get(f"/watchpoints/{point_id}")).text
    assert "<button>Close for the rest of today</button>" in page
    async with nothing_changes((WatchPoint, point_id)):
        question = await post_form(client, f"/watchpoints/{point_id}/closed-today", {"closed": "1"})
    assert question.status_code == 200 and "Close the place for the rest of today?" in question.text
    assert f'<a class="button" href="/watchpoints/{point_id}">No, stay open</a>' in question.text
    assert (await post_form(client, f"/watchpoints/{point_id}/closed-today", {"closed": "1", "confirm": "yes"})).status_code == 303
    assert (await WatchPoint.select(WatchPoint.closed_today_on).where(WatchPoint.id == point_id).first().run())["closed_today_on"]
    assert await AuditEntry.exists().where((AuditEntry.action == "watchpoint.closed_today") & (AuditEntry.object_id == str(point_id))).run()
    closed_page = (await client.get(f"/watchpoints/{point_id}")).text
    assert "Open again today" in closed_page and "Close for the rest of today" not in closed_page
    assert (await post_form(client, f"/watchpoints/{point_id}/closed-today", {"closed": "0"})).status_code == 303
    assert (await WatchPoint.select(WatchPoint.closed_today_on).where(WatchPoint.id == point_id).first().run())["closed_today_on"] is None
