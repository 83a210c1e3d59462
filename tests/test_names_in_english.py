"""Names officers give (kinds of shift, holidays, landmarks) carry an English name that
English readers see, Chinese readers the Chinese one; without it both read the Chinese."""

import datetime as dt

from portal.audit.tables import AuditEntry
from portal.ledger.tables import Holiday
from portal.shifts import rules
from portal.shifts.tables import Shift, ShiftKind, Signup
from portal.volunteers.tables import VolunteerProfile
from tests.conftest import post_form

KIND_FORM = {"kind": "patrol", "name": "西关夜巡", "name_en": "Xiguan night patrol", "place": "", "min_people": "1", "max_people": "3", "open_to": "volunteers", "buddy_min": "0", "watch_point": "0", "active": "y"}


async def test_a_kind_of_shift_has_an_english_name_for_english_readers(client_for, area):
    officer, _ = await client_for("officer")
    made = await post_form(officer, f"/shifts/manage/{area.community_id}/kinds/new", KIND_FORM)
    assert made.status_code == 303
    kind = await ShiftKind.select(ShiftKind.id, ShiftKind.name, ShiftKind.name_en).first().run()
    assert (kind["name"], kind["name_en"]) == ("西关夜巡", "Xiguan night patrol")
    audit = await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "shift_kind.created").first().run()
    assert "Xiguan night patrol" in str(audit["after"])
    starts = rules.utcnow() + dt.timedelta(days=1)
    await Shift.insert(Shift(community=area.community_id, kind=kind["id"], starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=1, capacity=3, taken=0, created_at=rules.utcnow())).run()

    english, user = await client_for("volunteer", preferred_language="en")
    chinese, other = await client_for("volunteer", preferred_language="zh_CN")
    for person in (user, other):
        await VolunteerProfile.insert(VolunteerProfile(user=person, community=area.community_id, status="verified", applied_at=rules.utcnow())).run()
    in_english, in_chinese = (await english.get("/shifts/")).text, (await chinese.get("/shifts/")).text
    assert "Xiguan night patrol" in in_english and "西关夜巡" not in in_english
    assert "西关夜巡" in in_chinese and "Xiguan night patrol" not in in_chinese
    assert "Xiguan night patrol" in (await officer.get(f"/shifts/manage/{area.community_id}/setup")).text

    # The edit form keeps it; emptied, English readers read the Chinese name.
    edit_page = await officer.get(f"/shifts/manage/{area.community_id}/kinds/{kind['id']}")
    assert 'value="Xiguan night patrol"' in edit_page.text
    assert (await post_form(officer, f"/shifts/manage/{area.community_id}/kinds/{kind['id']}", {**KIND_FORM, "name_en": ""})).status_code == 303
    assert "西关夜巡" in (await english.get("/shifts/")).text


async def test_a_holiday_has_an_english_name(client_for):
    admin, _ = await client_for("admin")
    added = await post_form(admin, "/ledger/calendar/holidays", {"date": "2030-10-01", "name": "国庆节", "name_en": "National Day"})
    assert added.status_code == 303
    assert (await Holiday.select(Holiday.name, Holiday.name_en).first().run()) == {"name": "国庆节", "name_en": "National Day"}
    assert "National Day" in (await admin.get("/ledger/calendar")).text
    await post_form(admin, "/language", {"language": "zh_CN", "next": "/"})
    page = (await admin.get("/ledger/calendar")).text
    assert "国庆节" in page and "National Day" not in page.replace('value="National Day"', "")


async def test_the_calendar_feed_names_a_shift_in_the_accounts_language(make_user, area):
    kind = await rules.create_kind(None, area.community_id, {"kind": "patrol", "name": "西关夜巡", "name_en": "Xiguan night patrol", "place": "", "required_skills": "", "min_people": 1, "max_people": 3, "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False})
    starts = rules.utcnow() + dt.timedelta(days=1)
    shift = (await Shift.insert(Shift(community=area.community_id, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=1, capacity=3, taken=2, created_at=rules.utcnow())).returning(Shift.id).run())[0]["id"]
    feeds = {}
    for language in ("en", "zh_CN"):
        person = await make_user("volunteer", preferred_language=language)
        await Signup.insert(Signup(shift=shift, user=person, status="active", queued_at=starts, updated_at=starts)).run()
        feeds[language] = (await rules.calendar_feed(person, rules.utcnow())).decode()
    assert "SUMMARY:Xiguan night patrol" in feeds["en"] and "SUMMARY:西关夜巡" in feeds["zh_CN"]
