"""Shift pages over HTTP: the volunteer's list (plain form and htmx), stale pages, My
shifts with check-in/out, the calendar feed without a session, the officer's forms with
bad input, cancelling, no-shows, hours correction and the CSV/XLSX report, and
cross-community access."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from icalendar import Calendar
from openpyxl import load_workbook

from portal.notifications.tables import Notification
from portal.shifts import rules
from portal.shifts.tables import RosterTemplate, Shift, ShiftKind, ShiftStanding, Signup
from portal.volunteers.tables import VolunteerProfile
from tests.conftest import field_error, htmx_post, post_form
from tests.unchanged import nothing_changes

KIND = {"kind": "patrol", "name": "Night patrol", "place": "Xiguan Street", "required_skills": "", "min_people": 1, "max_people": 2, "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False}


async def a_shift(community_id: int, starts_in: dt.timedelta = dt.timedelta(days=1), capacity: int = 2, hours: int = 2) -> int:
    kind = await rules.create_kind(None, community_id, KIND)
    starts = rules.utcnow() + starts_in
    row = await Shift.insert(Shift(community=community_id, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=hours), min_people=1, capacity=capacity, taken=0, created_at=rules.utcnow())).returning(Shift.id).run()
    return row[0]["id"]


async def verified_client(client_for, area, community_id=None):
    client, user_id = await client_for("volunteer", community_id=community_id)
    await VolunteerProfile.insert(VolunteerProfile(user=user_id, community=community_id or area.community_id, status="verified", applied_at=rules.utcnow())).run()
    return client, user_id


async def test_a_volunteer_signs_up_with_a_plain_form_and_is_sent_back(client_for, area):
    shift = await a_shift(area.community_id)
    client, user = await verified_client(client_for, area)
    page = await client.get("/shifts/")
    assert page.status_code == 200 and "Night patrol" in page.text and "2 of 2 places free." in page.text
    response = await post_form(client, f"/shifts/{shift}/signup", {"expect": "free", "next": "/shifts/?kind=1"})
    assert response.status_code == 303 and response.headers["location"] == "/shifts/?kind=1"
    assert (await Signup.select(Signup.status).where(Signup.user == user).first().run())["status"] == "active"
    assert "You are signed up." in (await client.get("/shifts/")).text


async def test_htmx_swaps_the_row_and_a_double_tap_makes_one_sign_up(client_for, area):
    shift = await a_shift(area.community_id)
    client, user = await verified_client(client_for, area)
    for _ in range(2):
        response = await htmx_post(client, f"/shifts/{shift}/signup", {"expect": "free"}, target=f"shift-{shift}")
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li class="shift-row state-signed_up" id="shift-{shift}">')
    assert "<html" not in response.text and "You are signed up." in response.text
    assert await Signup.count().where(Signup.shift == shift).run() == 1


async def test_a_stale_page_gets_a_clear_message_and_nothing_changes(client_for, area, make_volunteer):
    shift = await a_shift(area.community_id, capacity=1)
    first = await make_volunteer()
    client, user = await verified_client(client_for, area)
    await rules.sign_up(first, shift)  # fills the shift after the page was loaded
    async with nothing_changes((Shift, shift), (Signup, Signup.shift == shift)):
        plain = await post_form(client, f"/shifts/{shift}/signup", {"expect": "free"})
        assert plain.status_code == 409 and "This shift changed since your page was loaded" in plain.text
        swapped = await htmx_post(client, f"/shifts/{shift}/signup", {"expect": "free"}, target=f"shift-{shift}")
        assert swapped.status_code == 409 and 'role="alert"' in swapped.text and "Join the waitlist" in swapped.text
    assert await Signup.count().where(Signup.user == user).run() == 0


async def test_an_unverified_volunteer_sees_why_and_cannot_sign_up(client_for, area):
    shift = await a_shift(area.community_id)
    client, user = await client_for("volunteer")
    page = await client.get("/shifts/")
    assert "Only verified volunteers of this community can take shifts." in page.text
    assert f'action="/shifts/{shift}/signup"' not in page.text
    async with nothing_changes((Shift, shift), also=(Signup,)):
        response = await post_form(client, f"/shifts/{shift}/signup", {})
        assert response.status_code == 409 and await Signup.count().run() == 0


async def test_another_communitys_shift_is_not_listed_and_cannot_be_taken(client_for, area):
    theirs = await a_shift(area.other_community_id)
    client, _ = await verified_client(client_for, area)
    assert f"shift-{theirs}" not in (await client.get("/shifts/")).text
    async with nothing_changes((Shift, theirs), also=(Signup,)):
        assert (await post_form(client, f"/shifts/{theirs}/signup", {})).status_code == 404
    assert await Signup.count().run() == 0


async def test_my_shifts_check_in_and_out_and_total_hours(client_for, area):
    shift = await a_shift(area.community_id, starts_in=dt.timedelta(minutes=10))
    later = await a_shift(area.community_id, starts_in=dt.timedelta(days=3))
    client, user = await verified_client(client_for, area)
    await rules.sign_up(user, shift)
    await rules.sign_up(user, later)
    page = await client.get("/shifts/mine")
    assert page.text.count("Check in</button>") == 1  # only today's shift, from 15 minutes before
    async with nothing_changes((Shift, later), (Signup, (Signup.shift == later) & (Signup.user == user))):
        assert (await post_form(client, f"/shifts/{later}/check-in")).status_code == 409
    assert (await post_form(client, f"/shifts/{shift}/check-in")).status_code == 303
    page = await client.get("/shifts/mine")
    assert "Checked in at" in page.text and "Check out</button>" in page.text
    # Before the start a check-out asks first, and changes nothing until "yes".
    async with nothing_changes((Signup, (Signup.shift == shift) & (Signup.user == user))):
        question = await post_form(client, f"/shifts/{shift}/check-out")
        assert question.status_code == 200 and "Check out now?" in question.text and 'name="confirm" value="yes"' in question.text
    assert (await post_form(client, f"/shifts/{shift}/check-out", {"confirm": "yes"})).status_code == 303
    row = await Signup.select(Signup.checked_in_at, Signup.checked_out_at).where((Signup.user == user) & (Signup.shift == shift)).first().run()
    assert row["checked_in_at"] and row["checked_out_at"]
    assert "Total hours worked: 0" in (await client.get("/shifts/mine")).text


async def test_the_calendar_feed_needs_only_its_secret_and_the_reset_kills_the_old_url(client_for, area, client):
    shift = await a_shift(area.community_id)
    volunteer, user = await verified_client(client_for, area)
    await rules.sign_up(user, shift)
    page = await post_form(volunteer, "/shifts/calendar/reset")
    url = re.search(r"<code>(http[^<]+)</code>", page.text).group(1)
    path = url.replace("http://testserver.local", "")
    feed = await client.get(path)  # no session at all
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Night patrol"]
    await post_form(volunteer, "/shifts/calendar/reset")
    assert (await client.get(path)).status_code == 404


async def test_officer_creates_a_kind_and_bad_input_is_explained(client_for, area):
    officer, _ = await client_for("officer")
    form = {"idempotency_key": "6b1f7d1e-0000-4000-8000-000000000001", "kind": "patrol", "name": "Night patrol", "min_people": "3", "max_people": "2", "open_to": "volunteers", "buddy_min": "0", "required_skills": ["juggling"], "watch_point": "0", "active": "y"}
    async with nothing_changes(also=(ShiftKind,)):
        bad = await post_form(officer, f"/shifts/manage/{area.community_id}/kinds/new", form)
        assert bad.status_code == 422
        assert field_error(bad.text, "required_skills") == "Unknown skill: juggling."
        assert 'value="Night patrol"' in bad.text and await ShiftKind.count().run() == 0
        form.update(required_skills=["first_aid"])
        bad = await post_form(officer, f"/shifts/manage/{area.community_id}/kinds/new", form)
        assert bad.status_code == 422 and field_error(bad.text, "max_people") == "The maximum cannot be below the minimum."
    form.update(max_people="4")
    for _ in range(2):  # a double submit creates one kind
        ok = await post_form(officer, f"/shifts/manage/{area.community_id}/kinds/new", form)
        assert ok.status_code == 303
    kinds = await ShiftKind.select(ShiftKind.name, ShiftKind.required_skills, ShiftKind.community).run()
    assert kinds == [{"name": "Night patrol", "required_skills": "first_aid", "community": area.community_id}]


async def test_officer_roster_form_refuses_inverted_times_and_generates_shifts(client_for, area):
    officer, _ = await client_for("officer")
    kind = await rules.create_kind(None, area.community_id, KIND)
    form = {"idempotency_key": "6b1f7d1e-0000-4000-8000-000000000002", "kind": str(kind), "weekdays": ["0", "2", "4"], "start_time": "21:00", "end_time": "19:00", "min_people": "2", "max_people": "4", "weeks_ahead": "2", "starts_on": rules.utcnow().date().isoformat(), "active": "y"}
    async with nothing_changes((ShiftKind, kind), also=(RosterTemplate, Shift)):
        bad = await post_form(officer, f"/shifts/manage/{area.community_id}/rosters/new", form)
        assert bad.status_code == 422 and "The end must be after the start" in field_error(bad.text, "end_time")
        assert await RosterTemplate.count().run() == 0 and await Shift.count().run() == 0
        bad_time = await post_form(officer, f"/shifts/manage/{area.community_id}/rosters/new", {**form, "start_time": "7pm"})
        assert bad_time.status_code == 422 and field_error(bad_time.text, "start_time") == "Enter a time like 19:00."
    ok = await post_form(officer, f"/shifts/manage/{area.community_id}/rosters/new", {**form, "start_time": "19:00", "end_time": "21:00"})
    assert ok.status_code == 303 and await Shift.count().run() >= 5
    roster = await officer.get(f"/shifts/manage/{area.community_id}/")
    assert roster.status_code == 200 and "Missing 2 people" in roster.text


async def test_officer_adds_a_shift_but_not_in_the_past(client_for, area):
    officer, _ = await client_for("officer")
    kind = await rules.create_kind(None, area.community_id, KIND)
    form = {"idempotency_key": "6b1f7d1e-0000-4000-8000-000000000003", "kind": str(kind), "day": (rules.utcnow().date() - dt.timedelta(days=2)).isoformat(), "start_time": "19:00", "end_time": "21:00", "min_people": "1", "max_people": "2"}
    async with nothing_changes((ShiftKind, kind), also=(Shift,)):
        bad = await post_form(officer, f"/shifts/manage/{area.community_id}/shifts/new", form)
        assert bad.status_code == 422 and field_error(bad.text, "day") == "This time is in the past."
    ok = await post_form(officer, f"/shifts/manage/{area.community_id}/shifts/new", {**form, "day": (rules.utcnow().date() + dt.timedelta(days=2)).isoformat()})
    assert ok.status_code == 303 and await Shift.count().run() == 1


async def test_officer_cancels_with_a_reason_and_the_people_are_told(client_for, area, make_volunteer):
    officer, _ = await client_for("officer")
    shift = await a_shift(area.community_id)
    volunteer = await make_volunteer()
    await rules.sign_up(volunteer, shift)
    async with nothing_changes((Shift, shift), (Signup, Signup.shift == shift)):
        empty = await post_form(officer, f"/shifts/manage/{area.community_id}/shifts/{shift}/cancel", {"reason": " "})
        assert empty.status_code == 422 and field_error(empty.text, "reason") == "Say why the shift is cancelled."
    ok = await post_form(officer, f"/shifts/manage/{area.community_id}/shifts/{shift}/cancel", {"reason": "Typhoon"})
    assert ok.status_code == 303
    told = await Notification.select(Notification.subject, Notification.body).where(Notification.user == volunteer).first().run()
    assert told["subject"].startswith("Shift cancelled: Night patrol") and told["body"] == "Reason: Typhoon"


async def test_officer_marks_no_shows_corrects_hours_and_exports_them(client_for, area, make_volunteer):
    officer, _ = await client_for("officer")
    shift = await a_shift(area.community_id, starts_in=dt.timedelta(hours=-3))  # already over
    worker, absent = await make_volunteer(real_name="王五"), await make_volunteer(real_name="=cmd")
    now = rules.utcnow()
    for user in (worker, absent):
        await Signup.insert(Signup(shift=shift, user=user, status="active", queued_at=now, updated_at=now)).run()
    worker_signup = (await Signup.select(Signup.id).where(Signup.user == worker).first().run())["id"]
    absent_signup = (await Signup.select(Signup.id).where(Signup.user == absent).first().run())["id"]
    async with nothing_changes((Signup, Signup.shift == shift)):
        bad = await post_form(officer, f"/shifts/manage/{area.community_id}/signups/{worker_signup}/hours", {"hours": "30", "note": ""})
        assert bad.status_code == 422 and field_error(bad.text, "note") == "Say why the hours are corrected."
    assert (await post_form(officer, f"/shifts/manage/{area.community_id}/signups/{worker_signup}/hours", {"hours": "2.5", "note": "forgot to check in"})).status_code == 303
    assert (await post_form(officer, f"/shifts/manage/{area.community_id}/signups/{absent_signup}/no-show", {"excused": "unexcused", "reason": "no answer"})).status_code == 303
    detail = await officer.get(f"/shifts/manage/{area.community_id}/shifts/{shift}")
    assert "Unexcused no-show" in detail.text and "forgot to check in" in detail.text
    month = rules.utcnow().astimezone(rules.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    report = await officer.get(f"/shifts/manage/{area.community_id}/hours?month={month}")
    assert "王五" in report.text
    exported = await officer.get(f"/shifts/manage/{area.community_id}/hours.csv?month={month}")
    lines = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert lines[0] == ["Name", "Username", "Shifts worked", "Hours", "Unexcused no-shows"]
    assert [line[0] for line in lines[1:]] == ["王五", "'=cmd"] and lines[1][3] == "2.5" and lines[2][4] == "1"
    book = load_workbook(io.BytesIO((await officer.get(f"/shifts/manage/{area.community_id}/hours.xlsx?month={month}")).content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1][0] == "王五" and rows[1][3] == 2.5 and rows[2][4] == 1


async def test_an_officer_of_another_community_reaches_nothing_here(client_for, area, make_volunteer):
    shift = await a_shift(area.community_id, starts_in=dt.timedelta(hours=-3))  # over: its sign-up can be corrected
    now = rules.utcnow()
    signup = (await Signup.insert(Signup(shift=shift, user=await make_volunteer(), status="active", queued_at=now, updated_at=now)).returning(Signup.id).run())[0]["id"]
    other, _ = await client_for("officer", community_id=area.other_community_id)
    assert (await other.get(f"/shifts/manage/{area.community_id}/")).status_code == 403
    # Their own community in the path, our shift's id: not found.
    assert (await other.get(f"/shifts/manage/{area.other_community_id}/shifts/{shift}")).status_code == 404
    async with nothing_changes((Shift, shift), (Signup, signup)):
        assert (await post_form(other, f"/shifts/manage/{area.other_community_id}/shifts/{shift}/cancel", {"reason": "x"})).status_code == 404
        assert (await post_form(other, f"/shifts/manage/{area.other_community_id}/signups/{signup}/hours", {"hours": "9", "note": "x"})).status_code == 404
        assert (await post_form(other, f"/shifts/manage/{area.other_community_id}/signups/{signup}/no-show", {"excused": "unexcused", "reason": "x"})).status_code == 404
    assert (await Shift.select(Shift.status).where(Shift.id == shift).first().run())["status"] == "open"


async def test_the_officer_dashboard_shows_a_patroller_who_has_not_checked_out(client_for, area, make_volunteer):
    officer, _ = await client_for("officer")
    shift = await a_shift(area.community_id, starts_in=dt.timedelta(hours=-4), hours=2)
    volunteer = await make_volunteer(real_name="赵六")
    now = rules.utcnow()
    await Signup.insert(Signup(shift=shift, user=volunteer, status="active", queued_at=now, checked_in_at=now - dt.timedelta(hours=4), updated_at=now)).run()
    home = await officer.get("/")
    assert "Not checked out after their shift" in home.text and "赵六" in home.text
    other, _ = await client_for("officer", community_id=area.other_community_id)
    assert "赵六" not in (await other.get("/")).text


async def test_officer_removes_or_changes_a_no_show_and_the_block_follows(client_for, area, make_volunteer, settings):
    officer, _ = await client_for("officer")
    absent = await make_volunteer(real_name="钱七")
    now = rules.utcnow()
    signups = []
    for hours_ago in range(settings.shift_max_no_shows):
        shift = await a_shift(area.community_id, starts_in=dt.timedelta(hours=-5 - 3 * hours_ago))
        row = await Signup.insert(Signup(shift=shift, user=absent, status="active", queued_at=now, updated_at=now)).returning(Signup.id).run()
        signups.append((shift, row[0]["id"]))
    for shift, signup in signups:
        assert (await post_form(officer, f"/shifts/manage/{area.community_id}/signups/{signup}/no-show", {"excused": "unexcused", "reason": "no answer"})).status_code == 303
    assert "钱七" in (await officer.get(f"/shifts/manage/{area.community_id}/")).text.split("Blocked from signing up")[1]
    shift, signup = signups[0]
    page = await officer.get(f"/shifts/manage/{area.community_id}/shifts/{shift}")
    assert "Change or remove the no-show" in page.text
    async with nothing_changes((Signup, signup)):
        missing = await post_form(officer, f"/shifts/manage/{area.community_id}/signups/{signup}/no-show", {"excused": "none", "reason": ""})
        assert missing.status_code == 422 and field_error(missing.text, "reason") == "Give a reason."
    assert (await post_form(officer, f"/shifts/manage/{area.community_id}/signups/{signup}/no-show", {"excused": "none", "reason": "was there"})).status_code == 303
    assert (await Signup.select(Signup.no_show).where(Signup.id == signup).first().run())["no_show"] == ""
    assert "Blocked from signing up" not in (await officer.get(f"/shifts/manage/{area.community_id}/")).text
    assert await rules.is_blocked(absent, rules.Policy.from_settings(settings)) is False
    shift, signup = signups[1]
    assert (await post_form(officer, f"/shifts/manage/{area.community_id}/signups/{signup}/no-show", {"excused": "excused", "reason": "ill"})).status_code == 303
    assert "Excused no-show" in (await officer.get(f"/shifts/manage/{area.community_id}/shifts/{shift}")).text


async def test_my_shifts_tells_a_lone_patroller_to_wait_and_the_roster_names_the_experience_gap_once(client_for, area, make_volunteer):
    client, user = await verified_client(client_for, area)
    officer, _ = await client_for("officer")
    kind = await rules.create_kind(None, area.community_id, {**KIND, "buddy_min": 2, "needs_experienced": True})
    starts = rules.utcnow() + dt.timedelta(minutes=5)
    shift = (await Shift.insert(Shift(community=area.community_id, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=1, capacity=2, taken=0, created_at=rules.utcnow())).returning(Shift.id).run())[0]["id"]
    await rules.sign_up(user, shift)
    assert (await post_form(client, f"/shifts/{shift}/check-in", {})).status_code == 303
    mine = (await client.get("/shifts/mine")).text
    assert "Wait for your buddies before you set off." in mine and "one of them an experienced volunteer" in mine and "Checked in now: 1." in mine
    roster = (await officer.get(f"/shifts/manage/{area.community_id}/")).text
    assert roster.count("No experienced volunteer signed up") == 1 and "Waiting for buddies: 1 checked in." in roster


async def test_officer_moves_a_roster_and_decides_on_the_shifts_kept_for_their_people(client_for, area, make_volunteer):
    officer, _ = await client_for("officer")
    kind = await rules.create_kind(None, area.community_id, KIND)
    every_day = ["0", "1", "2", "3", "4", "5", "6"]
    tomorrow = rules.utcnow().date() + dt.timedelta(days=2)  # clear of today, in any zone
    form = {"kind": str(kind), "weekdays": every_day, "start_time": "19:00", "end_time": "21:00", "min_people": "1", "max_people": "2", "weeks_ahead": "1", "starts_on": tomorrow.isoformat(), "active": "y"}
    template = await rules.create_template(None, area.community_id, kind, {"weekdays": list(range(7)), "start_time": "19:00", "end_time": "21:00", "min_people": 1, "max_people": 2, "weeks_ahead": 1, "starts_on": tomorrow})
    shifts = [r["id"] for r in await Shift.select(Shift.id).where(Shift.template == template).order_by(Shift.starts_at).run()]
    first, second = await make_volunteer(real_name="孙八"), await make_volunteer(real_name="周九")
    await rules.sign_up(first, shifts[-1])
    await rules.sign_up(second, shifts[-2])
    moved = await post_form(officer, f"/shifts/manage/{area.community_id}/rosters/{template}", {**form, "start_time": "18:00", "end_time": "20:00"})
    assert moved.status_code == 200 and "2 shifts with people kept and flagged" in moved.text
    page = moved.text.split("Kept because people signed up")[1]
    assert "孙八" in page and "周九" in page and page.count("Move these people to 18:00–20:00") == 2
    # No twin: each day has one open shift of the roster.
    assert await Shift.count().where((Shift.template == template) & (Shift.status == "open")).run() == len(shifts)
    base = f"/shifts/manage/{area.community_id}/rosters/{template}/kept"
    assert (await post_form(officer, f"{base}/{shifts[-1]}/move", {})).headers["location"].endswith(f"/rosters/{template}#kept")
    assert (await Shift.select(Shift.mismatch).where(Shift.id == shifts[-1]).first().run())["mismatch"] is False
    async with nothing_changes((Shift, shifts[-2]), (Signup, Signup.shift == shifts[-2]), also=(RosterTemplate,)):
        no_reason = await post_form(officer, f"{base}/{shifts[-2]}/cancel", {"reason": ""})
        assert no_reason.status_code == 422 and field_error(no_reason.text, "reason") == "Say why the shift is cancelled."
    assert (await post_form(officer, f"{base}/{shifts[-2]}/cancel", {"reason": "Festival: see the 18:00 shift"})).status_code == 303
    assert "Kept because people signed up" not in (await officer.get(f"/shifts/manage/{area.community_id}/rosters/{template}")).text
    other, _ = await client_for("officer", community_id=area.other_community_id)
    async with nothing_changes((Shift, Shift.template == template), (Signup, Signup.shift == shifts[-1]), (RosterTemplate, template)):
        again = await post_form(officer, f"{base}/{shifts[-1]}/move", {})
        assert again.status_code == 409 and "already dealt with" in again.text
        assert (await post_form(other, f"/shifts/manage/{area.other_community_id}/rosters/{template}/kept/{shifts[-1]}/move", {})).status_code == 404


async def test_shifts_i_can_take_load_later_pages_with_htmx_or_a_plain_link(client_for, area, monkeypatch):
    monkeypatch.setattr(rules, "LIST_PAGE_SIZE", 2)
    client, _ = await verified_client(client_for, area)
    ids = [await a_shift(area.community_id, starts_in=dt.timedelta(days=d)) for d in (1, 2, 30, 60, 100)]
    first = await client.get("/shifts/")
    assert [int(i) for i in re.findall(r'id="shift-(\d+)"', first.text)] == ids[:2]
    link = re.search(r'<a class="button" rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    assert "Later shifts" in first.text
    # Without JavaScript: the link opens the next page, with a way back.
    plain = await client.get(link)
    assert [int(i) for i in re.findall(r'id="shift-(\d+)"', plain.text)] == ids[2:4] and "Back to the first shifts" in plain.text
    # With htmx: only the next days and the next link, to replace the old link.
    swapped = await client.get(link, headers={"HX-Request": "true", "HX-Target": "shifts-more"})
    assert "<html" not in swapped.text and [int(i) for i in re.findall(r'id="shift-(\d+)"', swapped.text)] == ids[2:4]
    last_link = re.search(r'id="shifts-more".*?href="([^"]+)"', swapped.text, re.S).group(1).replace("&amp;", "&")
    last = await client.get(last_link, headers={"HX-Request": "true", "HX-Target": "shifts-more"})
    assert [int(i) for i in re.findall(r'id="shift-(\d+)"', last.text)] == ids[4:] and "shifts-more" not in last.text


async def test_the_roster_loads_more_of_a_busy_week(client_for, area, monkeypatch):
    monkeypatch.setattr(rules, "ROSTER_PAGE_SIZE", 2)
    officer, _ = await client_for("officer")
    # Three shifts on one local day three weeks ahead (one week shown, whatever today is).
    day = (rules.utcnow() + dt.timedelta(days=21)).astimezone(rules.ZoneInfo("Asia/Shanghai")).date()
    kind = await rules.create_kind(None, area.community_id, KIND)
    ids = [await rules.add_shift(None, area.community_id, kind, day, f"{h}:00", f"{h + 1}:00", 1, 2) for h in (10, 12, 14)]
    page = await officer.get(f"/shifts/manage/{area.community_id}/?week={day.isoformat()}")
    assert page.text.count('class="shift-row') == 2 and "More shifts this week" in page.text
    link = re.search(r'id="roster-more".*?href="([^"]+)"', page.text, re.S).group(1).replace("&amp;", "&")
    more = await officer.get(f"/shifts/manage/{area.community_id}/{link}", headers={"HX-Request": "true", "HX-Target": "roster-more"})
    assert "<html" not in more.text and more.text.count('class="shift-row') == 1 and f"/shifts/{ids[2]}" in more.text


async def test_my_past_shifts_come_a_page_at_a_time(client_for, area, monkeypatch):
    monkeypatch.setattr(rules, "PAST_PAGE_SIZE", 2)
    client, user = await verified_client(client_for, area)
    now = rules.utcnow()
    shifts = [await a_shift(area.community_id, starts_in=dt.timedelta(days=-d)) for d in (1, 2, 3)]
    for shift in shifts:
        await Signup.insert(Signup(shift=shift, user=user, status="active", queued_at=now, checked_in_at=now, checked_out_at=now + dt.timedelta(hours=1), updated_at=now)).run()
    page = await client.get("/shifts/mine")
    assert page.text.count("<tr><td>Night patrol") == 2 and "Older shifts" in page.text
    link = re.search(r'id="past-more".*?href="([^"]+)"', page.text, re.S).group(1).replace("&amp;", "&")
    older = await client.get(link, headers={"HX-Request": "true", "HX-Target": "past-more"})
    assert "<html" not in older.text and older.text.count("<tr><td>Night patrol") == 1 and "past-more" not in older.text
    plain = await client.get(link)
    assert "Back to the latest shifts" in plain.text and "Total hours worked: 3" in plain.text


async def test_officer_counts_a_volunteer_as_experienced_from_the_shift_page(client_for, area, make_volunteer):
    officer, _ = await client_for("officer")
    shift = await a_shift(area.community_id)
    volunteer = await make_volunteer(real_name="吴十")
    await rules.sign_up(volunteer, shift)
    page = await officer.get(f"/shifts/manage/{area.community_id}/shifts/{shift}")
    assert "Count as experienced (★)" in page.text
    marked = await post_form(officer, f"/shifts/manage/{area.community_id}/people/{volunteer}/experienced", {"experienced": "1", "next": f"/shifts/manage/{area.community_id}/shifts/{shift}"})
    assert marked.status_code == 303 and marked.headers["location"] == f"/shifts/manage/{area.community_id}/shifts/{shift}"
    page = await officer.get(f"/shifts/manage/{area.community_id}/shifts/{shift}")
    assert "counted as experienced by an officer" in page.text and "Stop counting as experienced" in page.text
    other, _ = await client_for("officer", community_id=area.other_community_id)
    async with nothing_changes((ShiftStanding, ShiftStanding.user == volunteer)):
        assert (await post_form(other, f"/shifts/manage/{area.other_community_id}/people/{volunteer}/experienced", {"experienced": "0"})).status_code == 404


async def test_bad_input_is_explained_in_chinese_and_changes_nothing(client_for, area, make_volunteer):
    """The issue's bad input — inverted and overlapping times, capacity below the minimum,
    unknown skills, a shift in the past, a stale page — in a Chinese officer's and
    volunteer's own language."""
    officer, _ = await client_for("officer", preferred_language="zh_CN")
    kind = await rules.create_kind(None, area.community_id, KIND)
    base = f"/shifts/manage/{area.community_id}"
    roster = {"kind": str(kind), "weekdays": ["0"], "start_time": "21:00", "end_time": "19:00", "min_people": "1", "max_people": "2", "weeks_ahead": "2", "starts_on": rules.utcnow().date().isoformat(), "active": "y"}
    async with nothing_changes((ShiftKind, kind), also=(RosterTemplate, Shift)):
        bad_kind = await post_form(officer, f"{base}/kinds/new", {"kind": "patrol", "name": "夜巡", "min_people": "3", "max_people": "2", "open_to": "volunteers", "buddy_min": "0", "required_skills": ["juggling"], "watch_point": "0"})
        assert bad_kind.status_code == 422 and field_error(bad_kind.text, "required_skills") == "未知技能：juggling。"
        bad_kind = await post_form(officer, f"{base}/kinds/new", {"kind": "patrol", "name": "夜巡", "min_people": "3", "max_people": "2", "open_to": "volunteers", "buddy_min": "0", "watch_point": "0"})
        assert bad_kind.status_code == 422 and field_error(bad_kind.text, "max_people") == "最多人数不能少于最少人数。"
        inverted = await post_form(officer, f"{base}/rosters/new", roster)
        assert inverted.status_code == 422 and field_error(inverted.text, "end_time") == "结束时间必须晚于开始时间（班次须在当天结束）。"
    assert (await post_form(officer, f"{base}/rosters/new", {**roster, "start_time": "19:00", "end_time": "21:00"})).status_code == 303
    async with nothing_changes((ShiftKind, kind), (RosterTemplate, RosterTemplate.kind == kind), (Shift, Shift.kind == kind)):
        overlapping = await post_form(officer, f"{base}/rosters/new", {**roster, "start_time": "20:00", "end_time": "22:00"})
        assert overlapping.status_code == 422 and field_error(overlapping.text, "start_time") == "这个时间与同类型的另一个排班（19:00–21:00）重叠。"
        yesterday = (rules.utcnow() - dt.timedelta(days=1)).date().isoformat()
        past = await post_form(officer, f"{base}/shifts/new", {"kind": str(kind), "day": yesterday, "start_time": "19:00", "end_time": "21:00", "min_people": "1", "max_people": "2"})
        assert past.status_code == 422 and field_error(past.text, "day") == "这个时间已经过去了。"
    assert await ShiftKind.count().run() == 1 and await RosterTemplate.count().run() == 1
    shift = await a_shift(area.community_id, capacity=1)
    await rules.sign_up(await make_volunteer(), shift)
    client, user = await client_for("volunteer", preferred_language="zh_CN")
    await VolunteerProfile.insert(VolunteerProfile(user=user, community=area.community_id, status="verified", applied_at=rules.utcnow())).run()
    async with nothing_changes((Shift, shift), (Signup, Signup.shift == shift)):
        stale = await post_form(client, f"/shifts/{shift}/signup", {"expect": "free"})
        assert stale.status_code == 409 and "页面打开后这个班次已有变化" in stale.text
    assert await Signup.count().where(Signup.user == user).run() == 0
