"""The desk of a reception room: one tap logs a visit (each category), a double tap logs
once, bad details are refused next to the field with nothing saved, corrections by the
logger or an officer (others refused, nothing changed), a visit filed in a ledger or made
a mediation log with what was typed carried over and links both ways, the receipt slip,
and who sees a visitor's contact details."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
import zipfile

from portal.audit.tables import AuditEntry
from portal.ledger.tables import LedgerItem
from portal.logs.tables import FieldLog, MediationParty
from portal.reception.tables import VISIT_CATEGORIES, Room, Visit
from portal.shifts.tables import Shift, ShiftKind, Signup
from tests.conftest import field_error, htmx_post, post_form
from tests.unchanged import nothing_changes

NOW = dt.datetime.now(dt.timezone.utc)


async def make_room(community_id: int, languages: str = "zh,en", name: str = "西关会客厅") -> int:
    rows = await Room.insert(Room(
        community=community_id, kind="community", slug=f"room-{uuid.uuid4().hex[:8]}", name_zh=name, name_en="Xiguan reception room",
        languages=languages, status="verified", idempotency_key=str(uuid.uuid4()), created_at=NOW, updated_at=NOW,
    )).returning(Room.id).run()
    return rows[0]["id"]


async def put_on_duty(user_id: int, community_id: int, room_id: int, starts: dt.datetime | None = None) -> None:
    """A reception shift of the room, now, with the user signed up."""
    starts = starts or NOW - dt.timedelta(hours=1)
    kind = (await ShiftKind.insert(ShiftKind(community=community_id, kind="reception", name="Desk", room=room_id, created_at=NOW, updated_at=NOW)).returning(ShiftKind.id).run())[0]["id"]
    shift = (await Shift.insert(Shift(community=community_id, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=4), min_people=1, capacity=2, taken=1, created_at=NOW)).returning(Shift.id).run())[0]["id"]
    await Signup.insert(Signup(shift=shift, user=user_id, status="active", queued_at=NOW, updated_at=NOW)).run()


def tap_key(html: str) -> str:
    return re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', html).group(1)


async def visits_of(room_id: int) -> list[dict]:
    return await Visit.select().where(Visit.room == room_id).order_by(Visit.id).run()


async def test_one_tap_per_category_and_a_double_tap_logs_once(area, client_for):
    """Each category is one tap: a visit of one person in the room's first language, one
    audit row; the same form sent twice (double tap) is one visit; htmx gets the panel
    with "saved — add details"."""
    room_id = await make_room(area.community_id, languages="en,zh")
    officer, officer_id = await client_for("officer")
    desk = f"/reception/rooms/{room_id}/desk"
    page = await officer.get(desk)
    assert page.status_code == 200
    for category in VISIT_CATEGORIES:
        assert f'value="{category}"' in page.text
    for category in VISIT_CATEGORIES:
        key = str(uuid.uuid4())
        response = await post_form(officer, desk, {"idempotency_key": key, "category": category})
        assert response.status_code == 303
        assert response.headers["location"].startswith(f"{desk}?saved=")
        again = await post_form(officer, desk, {"idempotency_key": key, "category": category})
        assert again.headers["location"] == response.headers["location"]
    rows = await visits_of(room_id)
    assert [r["category"] for r in rows] == list(VISIT_CATEGORIES)
    assert {(r["people"], r["language"], r["logged_by"], r["community"]) for r in rows} == {(1, "en", officer_id, area.community_id)}
    audits = await AuditEntry.select(AuditEntry.object_id).where(AuditEntry.action == "reception.visit_logged").run()
    assert sorted(int(a["object_id"]) for a in audits) == [r["id"] for r in rows]

    # htmx: the panel comes back with the saved visit's details form and a fresh key.
    page = await officer.get(desk)
    key = tap_key(page.text)
    swapped = await htmx_post(officer, desk, {"idempotency_key": key, "category": "convenience"}, target="desk-panel")
    assert swapped.status_code == 200
    assert 'id="desk-panel"' in swapped.text and "<html" not in swapped.text
    assert "Add details" in swapped.text and tap_key(swapped.text) != key
    await htmx_post(officer, desk, {"idempotency_key": key, "category": "convenience"}, target="desk-panel")
    assert len(await visits_of(room_id)) == len(VISIT_CATEGORIES) + 1
    # The day's list shows them; the details are saved from the panel.
    saved = (await visits_of(room_id))[-1]
    details = await htmx_post(officer, f"/reception/visits/{saved['id']}?desk=1", {
        "category": "convenience", "people": "3", "language": "zh", "note": "借伞", "outcome": "resolved", "contact_name": "", "contact_phone": "",
    }, target="desk-panel")
    assert details.status_code == 200 and "借伞" in details.text
    row = (await Visit.select().where(Visit.id == saved["id"]).run())[0]
    assert (row["people"], row["language"], row["note"], row["outcome"]) == (3, "zh", "借伞", "resolved")


async def test_bad_input_is_refused_next_to_the_field_and_nothing_saved(area, client_for):
    """People 0 or 10,000, an unknown category, a note too long: 422, the message next to
    the field, the input back, nothing written."""
    room_id = await make_room(area.community_id)
    officer, _ = await client_for("officer")
    desk = f"/reception/rooms/{room_id}/desk"
    async with nothing_changes((Room, room_id), also=(Visit,)):
        response = await post_form(officer, desk, {"idempotency_key": str(uuid.uuid4()), "category": "juggling"})
        assert response.status_code == 422
        assert "Choose one of the options." in field_error(response.text, "category")
    await post_form(officer, desk, {"idempotency_key": str(uuid.uuid4()), "category": "consultation"})
    visit_id = (await visits_of(room_id))[0]["id"]
    good = {"category": "consultation", "people": "2", "language": "zh", "note": "问路", "outcome": "", "contact_name": "", "contact_phone": ""}
    cases = [
        ({"people": "0"}, "people", "Between 1 and 500 people."),
        ({"people": "10000"}, "people", "Between 1 and 500 people."),
        ({"people": "many"}, "people", None),
        ({"category": "juggling"}, "category", None),
        ({"language": "xx"}, "language", "Choose one of the options."),
        ({"note": "长" * 1001}, "note", "Use at most 1000 characters."),
        ({"contact_phone": "1" * 40}, "contact_phone", "Use at most 32 characters."),
    ]
    for change, field, message in cases:
        async with nothing_changes((Visit, visit_id)):
            response = await post_form(officer, f"/reception/visits/{visit_id}", {**good, **change})
        assert response.status_code == 422, change
        error = field_error(response.text, field)
        assert error, change
        if message:
            assert message in error
        if field == "note":
            assert "长" * 1001 in response.text  # the input comes back
    chinese = await post_form(officer, f"/reception/visits/{visit_id}", {**good, "people": "0"}, headers={"Accept-Language": "zh-CN"}, cookies={"lang": "zh_CN"})
    assert chinese.status_code == 422 and "Between" not in field_error(chinese.text, "people")


async def test_corrections_by_the_logger_or_an_officer_audited_others_refused(area, client_for, make_volunteer):
    """A volunteer on a reception shift logs and corrects their own visit of today; an
    officer corrects any; another volunteer, an officer of another community, another
    station's head and a district head change nothing. Every correction is audited with
    before and after (contact details only as "there were some")."""
    from portal.accounts.tables import User
    from tests.conftest import http_client, log_in

    room_id = await make_room(area.community_id)
    volunteer_id = await make_volunteer()
    await put_on_duty(volunteer_id, area.community_id, room_id)
    officer, _ = await client_for("officer")
    app = officer._transport.app  # the same app for the volunteer's client
    username = (await User.select(User.username).where(User.id == volunteer_id).first().run())["username"]
    async with http_client(app) as volunteer:
        await log_in(volunteer, username)
        desk = f"/reception/rooms/{room_id}/desk"
        page = await volunteer.get(desk)
        assert page.status_code == 200 and "Contact" not in page.text
        response = await post_form(volunteer, desk, {"idempotency_key": tap_key(page.text), "category": "help_request"})
        assert response.status_code == 303
        visit_id = (await visits_of(room_id))[0]["id"]
        good = {"category": "help_request", "people": "2", "language": "zh", "note": "找孩子", "outcome": "resolved"}
        assert (await post_form(volunteer, f"/reception/visits/{visit_id}", good)).status_code == 303
        row = (await Visit.select().where(Visit.id == visit_id).run())[0]
        assert (row["people"], row["note"], row["outcome"]) == (2, "找孩子", "resolved")
    assert (await post_form(officer, f"/reception/visits/{visit_id}", {**good, "note": "找到孩子", "contact_name": "王女士", "contact_phone": "13800000000"})).status_code == 303
    corrected = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == "reception.visit_corrected").order_by(AuditEntry.id).run()
    assert len(corrected) == 2
    before, after = (json.loads(v) if isinstance(v, str) else v for v in (corrected[1]["before"], corrected[1]["after"]))
    assert before == {"note": "找孩子", "contact": False}
    assert after == {"note": "找到孩子", "contact": True}
    assert "王女士" not in json.dumps(after, ensure_ascii=False) and "13800000000" not in json.dumps(after, ensure_ascii=False)

    other_volunteer, _ = await client_for("volunteer")
    officer_other, _ = await client_for("officer", community_id=area.other_community_id)
    head_other, _ = await client_for("head", station_id=area.other_station_id)
    district_head, _ = await client_for("district_head")
    for outsider, status in ((other_volunteer, 404), (officer_other, 404), (head_other, 404), (district_head, 403)):
        async with nothing_changes((Visit, visit_id)):
            response = await post_form(outsider, f"/reception/visits/{visit_id}", {**good, "note": "篡改"})
            assert response.status_code == status
            assert (await post_form(outsider, f"/reception/visits/{visit_id}/ledger", {"ledger": "claim"})).status_code == status
        async with nothing_changes((Room, room_id), also=(Visit,)):
            assert (await post_form(outsider, f"/reception/rooms/{room_id}/desk", {"idempotency_key": str(uuid.uuid4()), "category": "consultation"})).status_code == 403
    # The logger's own visit of an earlier day is the officers' to correct.
    await Visit.update({Visit.local_day: NOW.date() - dt.timedelta(days=2)}).where(Visit.id == visit_id).run()
    async with http_client(app) as volunteer:
        await log_in(volunteer, username)
        async with nothing_changes((Visit, visit_id)):
            assert (await post_form(volunteer, f"/reception/visits/{visit_id}", {**good, "note": "昨天的"})).status_code == 403


async def test_visit_to_ledger_item_and_mediation_log_linked_both_ways(area, client_for):
    """A complaint becomes a ledger item with the note as summary and the contact as the
    person who raised it, source "reception"; a mediation becomes a mediation log with the
    note, the people, the outcome and the contact as a party. Each page links to the other;
    again is the same item / log; the receipt slip has the number, the tracking code and a
    QR of the tracking page."""
    room_id = await make_room(area.community_id)
    officer, _ = await client_for("officer")
    desk = f"/reception/rooms/{room_id}/desk"
    for category in ("complaint", "mediation", "consultation"):
        await post_form(officer, desk, {"idempotency_key": str(uuid.uuid4()), "category": category})
    complaint, mediation, consultation = await visits_of(room_id)
    await post_form(officer, f"/reception/visits/{complaint['id']}", {"category": "complaint", "people": "1", "language": "zh", "note": "楼下烧烤店噪音扰民", "outcome": "", "contact_name": "李先生", "contact_phone": "13911112222"})
    page = await officer.get(f"/reception/visits/{complaint['id']}")
    assert "File it in the ledger" in page.text and "李先生" in page.text
    assert (await post_form(officer, f"/reception/visits/{complaint['id']}/ledger", {})).status_code == 303
    assert (await post_form(officer, f"/reception/visits/{complaint['id']}/ledger", {})).status_code == 303
    items = await LedgerItem.select().run()
    assert len(items) == 1
    item = items[0]
    assert (item["ledger"], item["summary"], item["raised_by_name"], item["raised_by_phone"], item["source"], item["community"]) == ("complaint", "楼下烧烤店噪音扰民", "李先生", "13911112222", "reception", area.community_id)
    linked = (await Visit.select().where(Visit.id == complaint["id"]).run())[0]
    assert (linked["ledger_item"], linked["outcome"]) == (item["id"], "filed")
    item_page = await officer.get(f"/ledger/{item['id']}")
    assert f'href="/reception/visits/{complaint["id"]}"' in item_page.text
    visit_page = await officer.get(f"/reception/visits/{complaint['id']}")
    assert f'href="/ledger/{item["id"]}"' in visit_page.text and item["number"] in visit_page.text

    receipt = await officer.get(f"/reception/visits/{complaint['id']}/receipt")
    assert receipt.status_code == 200
    assert item["number"] in receipt.text and item["tracking_code"] in receipt.text and "<svg" in receipt.text
    assert f"/track/{item['tracking_code']}" in receipt.text
    assert (await officer.get(f"/reception/visits/{mediation['id']}/receipt")).status_code == 404  # not filed: no slip

    # A consultation is filed in the ledger the officer chooses; a bad choice is refused.
    async with nothing_changes((Visit, consultation["id"]), also=(LedgerItem,)):
        assert (await post_form(officer, f"/reception/visits/{consultation['id']}/ledger", {"ledger": "gossip"})).status_code == 422
    assert (await post_form(officer, f"/reception/visits/{consultation['id']}/ledger", {"ledger": "suggestion"})).status_code == 303
    assert (await LedgerItem.select(LedgerItem.ledger).where(LedgerItem.id == (await Visit.select(Visit.ledger_item).where(Visit.id == consultation["id"]).first().run())["ledger_item"]).first().run())["ledger"] == "suggestion"

    await post_form(officer, f"/reception/visits/{mediation['id']}", {"category": "mediation", "people": "2", "language": "zh", "note": "邻里漏水纠纷，已调解", "outcome": "resolved", "contact_name": "张", "contact_phone": "139"})
    response = await post_form(officer, f"/reception/visits/{mediation['id']}/mediation", {})
    assert response.status_code == 303
    log_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert (await post_form(officer, f"/reception/visits/{mediation['id']}/mediation", {})).headers["location"] == f"/logs/{log_id}"
    log = (await FieldLog.select().where(FieldLog.id == log_id).run())[0]
    assert (log["kind"], log["description"], log["people_count"], log["outcome"], log["community"]) == ("mediation", "邻里漏水纠纷，已调解", 2, "resolved", area.community_id)
    assert [(p["name"], p["contact"]) for p in await MediationParty.select().where(MediationParty.log == log_id).run()] == [("张", "139")]
    assert (await Visit.select(Visit.field_log).where(Visit.id == mediation["id"]).first().run())["field_log"] == log_id
    log_page = await officer.get(f"/logs/{log_id}")
    assert f'href="/reception/visits/{mediation["id"]}"' in log_page.text


async def test_contact_details_only_for_the_stations_officers(area, client_for, make_volunteer, client):
    """Contact details show to the community's officer and the station head; not to a
    volunteer on duty (nor to the logger who is one), a district or city head, another
    station's officers or the public."""
    from portal.accounts.tables import User
    from tests.conftest import http_client, log_in

    room_id = await make_room(area.community_id)
    officer, _ = await client_for("officer")
    await post_form(officer, f"/reception/rooms/{room_id}/desk", {"idempotency_key": str(uuid.uuid4()), "category": "claim"})
    visit_id = (await visits_of(room_id))[0]["id"]
    await post_form(officer, f"/reception/visits/{visit_id}", {"category": "claim", "people": "1", "language": "zh", "note": "补办身份证", "outcome": "", "contact_name": "赵秘密", "contact_phone": "13700001111"})
    head, _ = await client_for("head")
    for reader in (officer, head):
        for url in (f"/reception/rooms/{room_id}/desk", f"/reception/visits/{visit_id}"):
            page = await reader.get(url)
            assert page.status_code == 200 and "赵秘密" in page.text and "13700001111" in page.text, url
    volunteer_id = await make_volunteer()
    await put_on_duty(volunteer_id, area.community_id, room_id)
    username = (await User.select(User.username).where(User.id == volunteer_id).first().run())["username"]
    async with http_client(officer._transport.app) as volunteer:
        await log_in(volunteer, username)
        page = await volunteer.get(f"/reception/rooms/{room_id}/desk")
        assert page.status_code == 200 and "补办身份证" in page.text and "赵秘密" not in page.text and "13700001111" not in page.text
        assert (await volunteer.get(f"/reception/visits/{visit_id}")).status_code == 404  # not theirs
    district_head, _ = await client_for("district_head")
    city_head, _ = await client_for("city_head")
    for overseer in (district_head, city_head):
        for url in (f"/reception/rooms/{room_id}/desk", f"/reception/visits/{visit_id}"):
            page = await overseer.get(url)
            assert page.status_code == 200 and "补办身份证" in page.text and "赵秘密" not in page.text and "13700001111" not in page.text, url
    officer_other_station, _ = await client_for("officer", community_id=area.other_station_community_id)
    for outsider in (officer_other_station, client):
        for url in (f"/reception/rooms/{room_id}/desk", f"/reception/visits/{visit_id}"):
            page = await outsider.get(url, follow_redirects=False)
            assert page.status_code in (303, 404) and "赵秘密" not in page.text
    # Exports: the figures' spreadsheet counts visits and names nobody.
    export = await officer.get("/reception/figures.xlsx")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.content)) as book:
        text = "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    assert "赵秘密" not in text and "13700001111" not in text and "补办身份证" not in text
    # A volunteer off duty has no desk.
    off_duty, _ = await client_for("volunteer")
    assert (await off_duty.get(f"/reception/rooms/{room_id}/desk")).status_code == 404
