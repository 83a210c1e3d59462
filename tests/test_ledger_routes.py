"""Ledger pages over HTTP: filing on behalf, steps with field errors and stale pages,
the tracking page's answer, privacy on the public page, the tracking page and the XLSX,
the intake and field-log doors into the ledger, the admin's calendar."""

from __future__ import annotations

import io
import re
import uuid

import pytest

from portal.accounts.rules import load_actor
from portal.ledger import rules
from portal.ledger.rules import NewItem
from portal.ledger.tables import Holiday, LedgerDeadlineRule, LedgerEvent, LedgerItem, LedgerMail
from portal.public import rules as public
from portal.public.tables import Intake
from tests.conftest import field_error, htmx_post, post_form
from tests.unchanged import nothing_changes

SECRET_NAME = "Zhao Liu"
SECRET_PHONE = "13700001111"


async def filed(officer_id: int, community_id: int, **kwargs) -> dict:
    data = {"ledger": "complaint", "category": "noise", "community_id": community_id, "summary": "Karaoke until 2am above the shop", "raised_by_name": SECRET_NAME, "raised_by_phone": SECRET_PHONE, "landmark": "Room 301, Building 7", **kwargs}
    return await rules.file_item(await load_actor(officer_id), NewItem(**data))


async def version_of(item_id: int) -> int:
    return (await LedgerItem.select(LedgerItem.version).where(LedgerItem.id == item_id).first().run())["version"]


async def test_an_officer_files_a_walk_in_and_sees_the_contact(client_for, area):
    client, officer_id = await client_for("officer")
    page = await client.get("/ledger/new")
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page.text).group(1)
    data = {"idempotency_key": key, "ledger": "claim", "category": "documents", "community": str(area.community_id), "source": "reception", "summary": "Needs a new ID card", "raised_by_name": SECRET_NAME, "raised_by_phone": SECRET_PHONE}
    response = await post_form(client, "/ledger/new", data)
    assert response.status_code == 303
    again = await post_form(client, "/ledger/new", data)  # a double tap files one item
    assert again.headers["location"] == response.headers["location"]
    item = await client.get(response.headers["location"])
    assert SECRET_PHONE in item.text and "Needs a new ID card" in item.text
    assert await LedgerItem.count().run() == 1


async def test_bad_input_when_filing_keeps_the_input_and_files_nothing(client_for, area):
    client, _ = await client_for("officer")
    data = {"idempotency_key": str(uuid.uuid4()), "ledger": "claim", "category": "noise", "community": str(area.community_id), "source": "reception", "summary": "x" * 2001, "raised_by_phone": "call me"}
    async with nothing_changes(also=(LedgerItem, LedgerEvent)):
        response = await post_form(client, "/ledger/new", data)
        assert response.status_code == 422
        assert field_error(response.text, "summary") and field_error(response.text, "raised_by_phone")
        data.update(summary="Lost passport")
        data.pop("raised_by_phone")
        response = await post_form(client, "/ledger/new", data)
        assert response.status_code == 422 and field_error(response.text, "category")  # noise is no claim category
        data.update(community=str(area.other_station_community_id), category="documents")
        response = await post_form(client, "/ledger/new", data)
        assert response.status_code == 422 and field_error(response.text, "community")
    assert await LedgerItem.count().run() == 0


async def test_steps_from_the_item_page_with_errors_and_a_stale_page(client_for, area):
    client, officer_id = await client_for("officer")
    other, other_id = await client_for("officer")
    made = await filed(officer_id, area.community_id)
    version = await version_of(made["id"])
    response = await post_form(client, f"/ledger/{made['id']}/move", {"to": "assigned", "officer": str(officer_id), "version": str(version)})
    assert response.status_code == 303
    # The colleague's page still shows the old version: refused, nothing changed.
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        response = await post_form(other, f"/ledger/{made['id']}/move", {"to": "assigned", "officer": str(other_id), "version": str(version)})
        assert response.status_code == 409 and "Someone else changed this item" in response.text
    item = await LedgerItem.select().where(LedgerItem.id == made["id"]).first().run()
    assert item["officer"] == officer_id and item["version"] == version + 1
    await post_form(client, f"/ledger/{made['id']}/move", {"to": "in_progress", "version": str(version + 1)})
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        response = await post_form(client, f"/ledger/{made['id']}/move", {"to": "handled", "note": "", "version": str(version + 2)})
        assert response.status_code == 422 and field_error(response.text, "handled-note") == "Write what was done."
    response = await htmx_post(client, f"/ledger/{made['id']}/move", {"to": "handled", "note": "Visited; volume limit agreed", "version": str(version + 2)})
    assert response.status_code == 200 and response.headers["hx-redirect"] == f"/ledger/{made['id']}"
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent, LedgerMail)):
        response = await post_form(client, f"/ledger/{made['id']}/move", {"to": "closed", "via": "phone", "version": str(version + 3)})
        assert response.status_code == 422 and "not allowed from the current stage" in response.text
        response = await post_form(client, f"/ledger/{made['id']}/move", {"to": "feedback_given", "note": "n" * 2001, "version": str(version + 3)})
        assert response.status_code == 422 and field_error(response.text, "feedback_given-note") == "Use at most 2000 characters."
    assert (await LedgerItem.select(LedgerItem.stage).where(LedgerItem.id == made["id"]).first().run())["stage"] == "handled"


async def test_officers_of_other_communities_get_404(client_for, area):
    _, officer_id = await client_for("officer")
    stranger, _ = await client_for("officer", community_id=area.other_station_community_id)
    made = await filed(officer_id, area.community_id)
    assert (await stranger.get(f"/ledger/{made['id']}")).status_code == 404
    version = str(await version_of(made["id"]))
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        assert (await post_form(stranger, f"/ledger/{made['id']}/move", {"to": "assigned"})).status_code == 404
        assert (await post_form(stranger, f"/ledger/{made['id']}/move", {"to": "closed_out_of_remit", "referred_to": "Elsewhere", "version": version})).status_code == 404
        assert (await post_form(stranger, f"/ledger/{made['id']}/private", {"private": "y", "reason": "Mine now", "version": version})).status_code == 404
        assert (await post_form(stranger, f"/ledger/{made['id']}/public-text", {"public_summary": "Taken over", "place_public": "", "version": version})).status_code == 404
    listing = await stranger.get("/ledger?stage=open")
    assert made["number"] not in listing.text


async def test_the_person_answers_on_the_tracking_page(client, client_for, area):
    _, officer_id = await client_for("officer")
    officer = await load_actor(officer_id)
    made = await filed(officer_id, area.community_id)
    await rules.transition(made["id"], "assigned", officer, officer_id=officer_id)
    await rules.transition(made["id"], "in_progress", officer)
    await rules.transition(made["id"], "handled", officer, "Internal: spoke to the landlord Mr Qian")
    await rules.set_public_text(officer, made["id"], "Late-night karaoke", "")
    await rules.transition(made["id"], "feedback_given", officer, "The karaoke now closes at 22:00.")
    page = await client.get(f"/track/{made['tracking_code']}")
    assert page.status_code == 200
    assert "The karaoke now closes at 22:00." in page.text and "Are you satisfied" in page.text
    for secret in (SECRET_NAME, SECRET_PHONE, "Mr Qian", "Room 301"):
        assert secret not in page.text
    version = await version_of(made["id"])
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        response = await post_form(client, f"/track/{made['tracking_code']}/answer", {"answer": "not_satisfied", "reason": "", "version": str(version)})
        assert response.status_code == 422 and field_error(response.text, "reason")
        response = await post_form(client, f"/track/{made['tracking_code']}/answer", {"answer": "maybe", "version": str(version)})
        assert response.status_code == 422
        response = await post_form(client, f"/track/{made['tracking_code']}/answer", {"answer": "satisfied", "version": str(version - 1)})
        assert response.status_code == 409
    response = await post_form(client, f"/track/{made['tracking_code']}/answer", {"answer": "satisfied", "version": str(version)})
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "The matter is closed" in page.text and "Closed, satisfied" in page.text
    assert (await post_form(client, "/track/AAAAAAAAAAAA/answer", {"answer": "satisfied"})).status_code == 404


async def test_the_public_form_files_a_complaint_that_the_tracking_page_follows(client, area):
    page = await client.get("/c/a/ask/complaint")
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page.text).group(1)
    response = await post_form(client, "/c/a/ask/complaint", {"idempotency_key": key, "text": "Broken street light on Xiguan Road", "contact_name": SECRET_NAME})
    assert response.status_code == 303
    tracking = await client.get(response.headers["location"])
    item = await LedgerItem.select(LedgerItem.number, LedgerItem.ledger).first().run()
    assert item["ledger"] == "complaint" and item["number"] in tracking.text and "Registered" in tracking.text
    assert SECRET_NAME not in tracking.text


async def test_public_page_shows_public_text_only_and_hides_private_items(client, client_for, area):
    officer_client, officer_id = await client_for("officer")
    shown = await filed(officer_id, area.community_id)
    hidden = await filed(officer_id, area.community_id, summary="About my neighbour Sun Qi")
    response = await post_form(officer_client, f"/ledger/{shown['id']}/public-text", {"public_summary": "Late-night noise", "place_public": "Xiguan Road", "version": str(await version_of(shown["id"]))})
    assert response.status_code == 303
    async with nothing_changes((LedgerItem, hidden["id"]), also=(LedgerEvent,)):
        response = await post_form(officer_client, f"/ledger/{hidden['id']}/private", {"private": "y", "reason": "", "version": str(await version_of(hidden["id"]))})
        assert response.status_code == 422 and field_error(response.text, "reason")
    response = await post_form(officer_client, f"/ledger/{hidden['id']}/private", {"private": "y", "reason": "Names a neighbour", "version": str(await version_of(hidden["id"]))})
    assert response.status_code == 303
    for url in ("/c/a/ledger", f"/s/{area.station_id}/ledger", "/c/a/ledger?ledger=complaint"):
        page = await client.get(url)
        assert page.status_code == 200
        assert shown["number"] in page.text and "Late-night noise" in page.text and "Xiguan Road" in page.text
        assert hidden["number"] not in page.text
        for secret in (SECRET_NAME, SECRET_PHONE, "Karaoke", "Room 301", "Sun Qi"):
            assert secret not in page.text
    assert (await client.get("/c/nowhere/ledger")).status_code == 404
    assert (await client.get("/c/a/ledger?ledger=bogus")).status_code == 400


async def test_the_head_exports_the_dashboard_without_personal_data(client_for, area):
    from openpyxl import load_workbook

    _, officer_id = await client_for("officer")
    head, _ = await client_for("head", preferred_language="zh_CN")
    made = await filed(officer_id, area.community_id)
    await filed(officer_id, area.community_id, ledger="suggestion", category="traffic")
    page = await head.get("/ledger/dashboard")
    assert page.status_code == 200
    response = await head.get("/ledger/dashboard/export.xlsx")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
    text = " ".join(str(c) for c in cells)
    for secret in (SECRET_NAME, SECRET_PHONE, "Karaoke", made["tracking_code"]):
        assert secret not in text
    first = book.worksheets[0]
    assert first.cell(1, 1).value == "月份" and first.cell(1, 3).value == "登记数"
    assert isinstance(first.cell(2, 3).value, int)
    per_ledger = book.worksheets[1]
    assert [r[1] for r in per_ledger.iter_rows(min_row=2, values_only=True)] == [1, 0, 1]


async def test_an_officer_files_a_help_request_from_the_intake_page(client_for, area):
    client, _ = await client_for("officer")
    await public.create_intake(kind="help", community_id=area.community_id, point_id=None, text="My father is lost", contact_name="", contact_phone="", language="en", idempotency_key=str(uuid.uuid4()))
    intake_id = (await Intake.select(Intake.id).first().run())["id"]
    page = await client.get(f"/intake/{intake_id}")
    assert "File into a ledger" in page.text
    async with nothing_changes((Intake, intake_id), also=(LedgerItem,)):
        response = await post_form(client, f"/ledger/from-intake/{intake_id}", {"ledger": "claim", "category": "noise"})
        assert response.status_code == 303 and "file_error" in response.headers["location"]
    response = await post_form(client, f"/ledger/from-intake/{intake_id}", {"ledger": "claim", "category": "help"})
    assert response.status_code == 303 and response.headers["location"].startswith("/ledger/")
    assert (await Intake.select(Intake.status).first().run())["status"] == "filed"
    assert (await LedgerItem.select(LedgerItem.ledger, LedgerItem.category).first().run()) == {"ledger": "claim", "category": "help"}
    page = await client.get(f"/intake/{intake_id}")
    number = (await LedgerItem.select(LedgerItem.number).first().run())["number"]
    assert "File into a ledger" not in page.text and number in page.text


async def test_the_admin_edits_the_holiday_calendar_and_deadline_rules(client_for):
    client, _ = await client_for("admin")
    response = await post_form(client, "/ledger/calendar/holidays", {"date": "2030-10-01", "name": "National Day"})
    assert response.status_code == 303
    async with nothing_changes((Holiday, Holiday.name == "National Day"), also=(LedgerDeadlineRule,)):
        response = await post_form(client, "/ledger/calendar/holidays", {"date": "not a date"})
        assert response.status_code == 422 and field_error(response.text, "date")
        response = await post_form(client, "/ledger/calendar/rules", {"ledger": "claim", "category": "", "stage": "in_progress", "working_days": "-3"})
        assert response.status_code == 422 and field_error(response.text, "working_days")
        response = await post_form(client, "/ledger/calendar/rules", {"ledger": "claim", "category": "noise", "stage": "in_progress", "working_days": "3"})
        assert response.status_code == 422  # noise is no claim category
    assert [h["name"] for h in await Holiday.select(Holiday.name).run()] == ["National Day"]
    response = await post_form(client, "/ledger/calendar/rules", {"ledger": "claim", "category": "documents", "stage": "in_progress", "working_days": "3"})
    assert response.status_code == 303
    assert await rules.working_days_for("claim", "documents", "in_progress") == 3
    page = await client.get("/ledger/calendar")
    assert "National Day" in page.text
    assert (await post_form(client, "/ledger/calendar/holidays/2030-10-01/remove")).status_code == 303
    assert await Holiday.count().run() == 0


@pytest.mark.parametrize("stage", ["open", "overdue", "closed", "registered"])
async def test_the_list_filters(client_for, area, stage):
    client, officer_id = await client_for("officer")
    made = await filed(officer_id, area.community_id)
    page = await client.get(f"/ledger?stage={stage}&ledger=complaint&community={area.community_id}")
    assert page.status_code == 200
    assert (made["number"] in page.text) == (stage in ("open", "registered"))
    fragment = await client.get("/ledger?stage=open&mine=true", headers={"HX-Request": "true", "HX-Target": "ledger-rows"})
    assert fragment.text.lstrip().startswith('<div id="ledger-rows">') and made["number"] not in fragment.text


async def test_demo_data_fills_every_ledger_and_the_public_page(client, database):
    from portal.demo import seed_demo

    await seed_demo()
    stages = {r["stage"] for r in await LedgerItem.select(LedgerItem.stage).run()}
    assert {"registered", "assigned", "in_progress", "feedback_given", "closed", "closed_unconfirmed", "closed_duplicate", "closed_out_of_remit"} <= stages
    page = await client.get("/c/xiguan/ledger")
    assert page.status_code == 200 and "西关大街路灯损坏" in page.text and "13911112222" not in page.text


async def test_an_officer_takes_a_field_log_into_a_ledger_once(app, client_for, area, make_user):
    import datetime as dt

    from portal.ledger.tables import LedgerItemLog
    from portal.logs import rules as logs
    from portal.uploads import storage_for

    author = await make_user("volunteer")
    data = logs.LogData(kind="hazard", community_id=area.community_id, occurred_at=logs.now() - dt.timedelta(hours=1), category="fire_exit", severity="high", description="Fire exit locked at the market", address="Market gate")
    log_id = (await logs.create(await load_actor(author), data, "ledger-log", [], storage_for(app.state.settings))).log_id
    client, _ = await client_for("officer")
    stranger, _ = await client_for("officer", community_id=area.other_station_community_id)
    page = await client.get(f"/logs/{log_id}")
    assert "Take into a ledger" in page.text
    from portal.logs.tables import FieldLog

    async with nothing_changes((FieldLog, log_id), also=(LedgerItem, LedgerItemLog)):
        assert (await post_form(stranger, f"/ledger/from-log/{log_id}", {"ledger": "complaint", "category": "other"})).status_code == 404
        bad = await post_form(client, f"/ledger/from-log/{log_id}", {"ledger": "suggestion", "category": "noise"})
        assert bad.status_code == 303 and "ledger_error" in bad.headers["location"]
    first = await post_form(client, f"/ledger/from-log/{log_id}", {"ledger": "complaint", "category": "public_order"})
    again = await post_form(client, f"/ledger/from-log/{log_id}", {"ledger": "complaint", "category": "public_order"})
    assert first.status_code == 303 and first.headers["location"].split("?")[0] == again.headers["location"].split("?")[0]
    item = await LedgerItem.select(LedgerItem.source, LedgerItem.summary, LedgerItem.landmark).first().run()
    assert item == {"source": "field_log", "summary": "Fire exit locked at the market", "landmark": "Market gate"}
    assert await LedgerItemLog.count().run() == 1
    detail = await client.get(first.headers["location"])
    assert f"/logs/{log_id}" in detail.text
