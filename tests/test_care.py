"""The care register over HTTP: who sees it (the community's officers, its station head
and administrators; an assigned volunteer only the name, the address and the needs;
nobody else, not the heads above the station, not another community's officer, not a
host, not the public, not the exports); registering with bad input (422, next to the
field, the input kept, nothing written) and twice (one record); recording visits and
escalating them to the officer and to the ledger through the ledger's rule; the schedule
moving on; ending the visits; and the audit trail without personal data."""

from __future__ import annotations

import datetime as dt
import html
import json
import uuid
from zoneinfo import ZoneInfo

from portal.accounts.tables import User
from portal.audit.tables import AuditEntry
from portal.care.tables import CareAssignment, CarePerson, CareVisit
from portal.ledger.tables import LedgerItem
from portal.notifications.tables import Notification
from portal.volunteers.tables import VolunteerProfile
from tests.conftest import field_error, http_client, log_in, post_form
from tests.unchanged import nothing_changes

NAME, ADDRESS, NEEDS = "Granny Zhou", "Block 7, Flat 302, Xiguan Street", "Lives alone, bad knees: check the gas and that she eats."
CONTACT, PHONE, NOTE = "Zhou Wei (son)", "139 1111 2222", "The stairwell light is broken again"
SECRETS = (NAME, ADDRESS, NEEDS, CONTACT, PHONE, NOTE)


def workbook_text(content: bytes) -> str:
    """Every sheet's name and every cell's value of an .xlsx, as one text."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join([sheet.title for sheet in book.worksheets] + [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v is not None])


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def person_form(**changes) -> dict:
    day = today().isoformat()
    return {
        "idempotency_key": str(uuid.uuid4()), "name": NAME, "address": ADDRESS, "needs": NEEDS, "contact_name": CONTACT, "contact_phone": PHONE,
        "consent_on": day, "consent_from": "person", "every_days": "7", "next_due_on": day, **changes,
    }


def visit_form(**changes) -> dict:
    return {"idempotency_key": str(uuid.uuid4()), "visited_on": today().isoformat(), "outcome": "all_well", "note": "", "ledger": "", "summary": "", **changes}


async def logged_in(app, user_id: int):
    client = http_client(app)
    await client.__aenter__()
    await log_in(client, (await User.select(User.username).where(User.id == user_id).first().run())["username"])
    return client


async def registered(officer, community_id: int) -> int:
    response = await post_form(officer, f"/communities/{community_id}/care/new", person_form())
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].split("/")[2].split("?")[0])


async def world(app, area, client_for, make_volunteer):
    """An officer of the first community with a person on the register, visited by one
    volunteer; the other people who must not see it."""
    officer, officer_id = await client_for("officer")
    person_id = await registered(officer, area.community_id)
    visitor_id = await make_volunteer(username="visitor")
    bystander_id = await make_volunteer(username="bystander")
    assert (await post_form(officer, f"/care/{person_id}/assign", {"volunteer": str(visitor_id)})).status_code == 303
    assert (await post_form(officer, f"/care/{person_id}/visits", visit_form(outcome="needs_help", note=NOTE))).status_code == 303
    return {
        "person": person_id, "officer": officer, "officer_id": officer_id, "visitor": await logged_in(app, visitor_id), "visitor_id": visitor_id,
        "bystander": await logged_in(app, bystander_id),
    }


async def test_the_register_is_seen_by_its_community_officers_only_and_the_visitor_sees_name_address_needs(app, area, client_for, make_volunteer, make_user):
    w = await world(app, area, client_for, make_volunteer)
    person = w["person"]
    register, page, edit, mine, visit = f"/communities/{area.community_id}/care", f"/care/{person}", f"/care/{person}/edit", "/care/assigned", f"/care/assigned/{person}"
    head, _ = await client_for("head")
    admin, _ = await client_for("admin")
    other_officer, _ = await client_for("officer", community_id=area.other_community_id)
    other_head, _ = await client_for("head", station_id=area.other_station_id)
    district_head, _ = await client_for("district_head")
    city_head, _ = await client_for("city_head")
    host, _ = await client_for("host")
    other_volunteer = await logged_in(app, await make_volunteer(username="far-away", community_id=area.other_station_community_id))
    clients = {
        "officer": w["officer"], "head": head, "admin": admin, "officer_other": other_officer, "head_other": other_head, "district_head": district_head,
        "city_head": city_head, "host": host, "visitor": w["visitor"], "bystander": w["bystander"], "volunteer_other": other_volunteer,
    }
    expected = {  # register, person, edit, visits assigned to you, the visitor's page
        "officer": (200, 200, 200, 403, 403), "head": (200, 200, 200, 403, 403), "admin": (200, 200, 200, 200, 404),
        "officer_other": (403, 404, 404, 403, 403), "head_other": (403, 404, 404, 403, 403),
        "district_head": (403, 404, 404, 403, 403), "city_head": (403, 404, 404, 403, 403), "host": (403, 403, 403, 403, 403),
        "visitor": (403, 403, 403, 200, 200), "bystander": (403, 403, 403, 200, 404), "volunteer_other": (403, 403, 403, 200, 404),
    }
    for who, statuses in expected.items():
        client = clients[who]
        answers = {path: await client.get(path, follow_redirects=False) for path in (register, page, edit, mine, visit)}
        assert tuple(r.status_code for r in answers.values()) == statuses, who
        shown = "".join(r.text for r in answers.values() if r.status_code == 200)
        if who in ("officer", "head", "admin"):
            assert all(secret in answers[page].text for secret in SECRETS), who
        elif who == "visitor":
            for text in (answers[mine].text, answers[visit].text):
                assert NAME in text and ADDRESS in text
            assert NEEDS in answers[visit].text
            assert CONTACT not in shown and PHONE not in shown and NOTE not in shown
        else:
            assert not any(secret in shown for secret in SECRETS), who
        home = (await client.get("/")).text
        assert (NAME in home) == (who == "visitor"), who  # "visits assigned to you" on the visitor's home
        if who in ("officer", "head"):
            assert f'href="{register}"' in home, who
    async with http_client(app) as anonymous:
        for path in (register, page, edit, mine, visit):
            response = await anonymous.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path
        public = (await anonymous.get("/c/a")).text
        assert not any(secret in public for secret in SECRETS)
    # Exports: the heads' workbook and the ledger's export carry counts and items, never the register.
    for client in (head, district_head, w["officer"]):
        workbook = await client.get("/overview/export.xlsx?preset=month")
        assert workbook.status_code == 200
        # Read back: the file is a zip whose compressed bytes would never show a name.
        cells = workbook_text(workbook.content)
        assert "Figures" in cells and not any(secret in cells for secret in SECRETS)
    export = await w["officer"].get("/ledger/export")
    assert export.status_code == 200 and not any(secret in export.text for secret in SECRETS)


async def test_registering_with_bad_input_is_explained_next_to_the_field_and_twice_registers_once(area, client_for):
    officer, _ = await client_for("officer")
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    cases = [
        ({"name": ""}, "name", "Give the person's name."),
        ({"address": "  "}, "address", "Give the address where the person is visited."),
        ({"needs": ""}, "needs", "Say what the person needs from the visits."),
        ({"name": "x" * 101}, "name", "Use at most 100 characters."),
        ({"contact_phone": "call me"}, "contact_phone", "Enter a phone number of digits, spaces or dashes."),
        ({"consent_on": tomorrow}, "consent_on", "The consent cannot be given on a day still to come."),
        ({"consent_on": "yesterday"}, "consent_on", "Not a valid date value."),
        ({"consent_from": "neighbour"}, "consent_from", "Not a valid choice."),
        ({"every_days": "0"}, "every_days", "Between 1 and 90."),
        ({"every_days": "weekly"}, "every_days", "Not a valid integer value."),
        ({"next_due_on": (today() - dt.timedelta(days=1)).isoformat()}, "next_due_on", "The visits start on or after the day of the consent."),
    ]
    async with nothing_changes(also=(CarePerson,)):
        for changes, field, message in cases:
            response = await post_form(officer, f"/communities/{area.community_id}/care/new", person_form(**{"needs": "Kept needs", **changes}))
            assert response.status_code == 422 and html.unescape(field_error(response.text, field) or "") == message, (changes, response.text[:400])
            if field != "needs":
                assert "Kept needs" in response.text  # the input comes back
    form = person_form()
    first = await post_form(officer, f"/communities/{area.community_id}/care/new", form)
    again = await post_form(officer, f"/communities/{area.community_id}/care/new", form)
    assert first.status_code == again.status_code == 303 and first.headers["location"] == again.headers["location"]
    assert await CarePerson.count().run() == 1
    # Another community's register refuses the form and writes nothing.
    async with nothing_changes(also=(CarePerson,)):
        assert (await post_form(officer, f"/communities/{area.other_community_id}/care/new", person_form())).status_code == 403


async def test_visits_move_the_schedule_escalate_to_the_officer_and_file_into_the_ledger_once(app, area, client_for, make_volunteer):
    w = await world(app, area, client_for, make_volunteer)
    person, officer, visitor = w["person"], w["officer"], w["visitor"]
    start = today()
    row = await CarePerson.select(CarePerson.next_due_on, CarePerson.next_due_at).where(CarePerson.id == person).first().run()
    assert row["next_due_on"] == start + dt.timedelta(days=7)  # the officer's visit today, every 7 days
    # The visitor escalates to the officer: the officers are told, without the person's name.
    form = visit_form(outcome="escalated_officer", note="She fell and cannot get up the stairs")
    assert (await post_form(visitor, f"/care/assigned/{person}", form)).status_code == 303
    assert (await post_form(visitor, f"/care/assigned/{person}", form)).status_code == 303  # sent twice: one visit
    visits = await CareVisit.select().where(CareVisit.person == person).order_by(CareVisit.id).run()
    assert [v["outcome"] for v in visits] == ["needs_help", "escalated_officer"] and visits[1]["visitor"] == w["visitor_id"]
    told = await Notification.select(Notification.user, Notification.subject, Notification.body, Notification.link).where(Notification.kind == "care.escalated").run()
    assert [(t["user"], t["link"]) for t in told] == [(w["officer_id"], f"/care/{person}")]
    assert not any(secret in json.dumps(told) for secret in SECRETS)
    # The visitor may neither file into a ledger nor record a visit to come; nothing is written.
    async with nothing_changes(also=(CareVisit, LedgerItem)):
        refused = await post_form(visitor, f"/care/assigned/{person}", visit_form(outcome="escalated_ledger", ledger="claim:help", summary="Stair lift"))
        assert refused.status_code == 422 and field_error(refused.text, "outcome") == "Not a valid choice."
        future = await post_form(visitor, f"/care/assigned/{person}", visit_form(visited_on=(start + dt.timedelta(days=1)).isoformat(), note="kept note"))
        assert future.status_code == 422 and field_error(future.text, "visited_on") == "Choose today or a day before." and "kept note" in future.text
        silent = await post_form(visitor, f"/care/assigned/{person}", visit_form(outcome="needs_help"))
        assert silent.status_code == 422 and field_error(silent.text, "note") == "Say what help is needed."
        unfiled = await post_form(officer, f"/care/{person}/visits", visit_form(outcome="escalated_ledger", summary="Stair lift"))
        assert unfiled.status_code == 422 and field_error(unfiled.text, "visit-ledger") == "Choose the ledger and category to file into."
        assert (await post_form(w["bystander"], f"/care/assigned/{person}", visit_form())).status_code == 404
    # The officer files the escalated visit through the ledger's rule, once.
    file = await post_form(officer, f"/care/visits/{visits[1]['id']}/ledger", {"ledger": "claim:help", "summary": "Needs a stair lift at her block"})
    assert file.status_code == 303
    item = await LedgerItem.select().where(LedgerItem.source == "officer_visit").first().run()
    assert item["summary"] == "Needs a stair lift at her block" and item["ledger"] == "claim" and item["community"] == area.community_id and item["number"]
    filed = await CareVisit.select(CareVisit.outcome, CareVisit.ledger_item).where(CareVisit.id == visits[1]["id"]).first().run()
    assert filed == {"outcome": "escalated_ledger", "ledger_item": item["id"]}
    async with nothing_changes((CareVisit, visits[1]["id"]), also=(LedgerItem,)):
        again = await post_form(officer, f"/care/visits/{visits[1]['id']}/ledger", {"ledger": "claim:help", "summary": "Again"})
        assert again.status_code == 422 and "This visit is already in a ledger." in again.text
    page = (await officer.get(f"/care/{person}")).text
    assert item["number"] in page
    # An officer's own visit filed at once, then the schedule from the latest visit day.
    direct = visit_form(outcome="escalated_ledger", ledger="complaint:noise", summary="Karaoke bar next door every night")
    assert (await post_form(officer, f"/care/{person}/visits", direct)).status_code == 303
    assert await LedgerItem.count().where(LedgerItem.source == "officer_visit").run() == 2
    assert (await CarePerson.select(CarePerson.next_due_on).where(CarePerson.id == person).first().run())["next_due_on"] == start + dt.timedelta(days=7)


async def test_who_may_be_asked_to_visit_and_who_stops_seeing_the_person(app, area, client_for, make_volunteer):
    w = await world(app, area, client_for, make_volunteer)
    person, officer = w["person"], w["officer"]
    far = await make_volunteer(username="far", community_id=area.other_station_community_id)
    pending = await make_volunteer(username="pending", verified=False)
    async with nothing_changes(also=(CareAssignment,)):
        for volunteer in (far, pending, w["officer_id"]):
            refused = await post_form(officer, f"/care/{person}/assign", {"volunteer": str(volunteer)})
            assert refused.status_code == 422 and field_error(refused.text, "volunteer") == "Choose a verified volunteer of the community."
    # A suspended volunteer no longer sees the person, nor gets reminded.
    await VolunteerProfile.update({VolunteerProfile.status: "suspended"}).where(VolunteerProfile.user == w["visitor_id"]).run()
    assert (await w["visitor"].get(f"/care/assigned/{person}")).status_code == 404
    assert NAME not in (await w["visitor"].get("/care/assigned")).text
    await VolunteerProfile.update({VolunteerProfile.status: "verified"}).where(VolunteerProfile.user == w["visitor_id"]).run()
    assert (await w["visitor"].get(f"/care/assigned/{person}")).status_code == 200
    # Ending the visits: the volunteers see nothing more, no visit can be recorded, the register lists it apart.
    bad = await post_form(officer, f"/care/{person}/end", {"reason": "withdrawn", "ended_on": (today() + dt.timedelta(days=3)).isoformat()})
    assert bad.status_code == 422 and field_error(bad.text, "ended_on") == "Choose today or a day before."
    assert (await post_form(officer, f"/care/{person}/end", {"reason": "withdrawn", "ended_on": today().isoformat()})).status_code == 303
    assert (await w["visitor"].get(f"/care/assigned/{person}")).status_code == 404
    assert await CareAssignment.count().run() == 0
    async with nothing_changes(also=(CareVisit,)):
        assert (await post_form(officer, f"/care/{person}/visits", visit_form())).status_code == 422
    register = (await officer.get(f"/communities/{area.community_id}/care")).text
    assert NAME not in register and NAME in (await officer.get(f"/communities/{area.community_id}/care?ended=1")).text
    assert (await post_form(officer, f"/care/{person}/resume", {})).status_code == 303
    assert NAME in (await officer.get(f"/communities/{area.community_id}/care")).text


async def test_the_audit_trail_names_what_changed_never_the_persons_data(app, area, client_for, make_volunteer):
    w = await world(app, area, client_for, make_volunteer)
    person, officer = w["person"], w["officer"]
    due = (await CarePerson.select(CarePerson.next_due_on).where(CarePerson.id == person).first().run())["next_due_on"]
    changed = person_form(name="Granny Zhou Lan", needs="Also diabetic", next_due_on=due.isoformat())
    changed.pop("idempotency_key")
    assert (await post_form(officer, f"/care/{person}/edit", changed)).status_code == 303
    assert (await post_form(officer, f"/care/{person}/end", {"reason": "left", "ended_on": today().isoformat()})).status_code == 303
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.before, AuditEntry.after).where(AuditEntry.action.like("care.%")).order_by(AuditEntry.id).run()
    assert [r["action"] for r in rows] == ["care.registered", "care.assigned", "care.visited", "care.updated", "care.ended"]
    trail = json.dumps(rows, default=str)
    assert not any(secret in trail for secret in (*SECRETS, "Granny Zhou Lan", "Also diabetic"))
    updated = rows[3]["after"] if isinstance(rows[3]["after"], dict) else json.loads(rows[3]["after"])
    assert updated["changed"] == ["name", "needs"]
