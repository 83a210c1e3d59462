"""Closing only when the person is satisfied, provably, over HTTP: the callback (回访)
form on the item page, the accountable officer refused with a message, the "close as
satisfied" step refused without evidence, and the dashboard's split of satisfaction."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.ledger import answer_templates, figures, referrals, rules
from portal.ledger.rules import LedgerError, NewItem
from portal.ledger.mail import answer_token
from portal.ledger.tables import LedgerAnswerTemplate, LedgerCallback, LedgerEvent, LedgerItem, LedgerMail, LedgerReferral
from portal.notifications.tables import Notification
from tests.conftest import field_error, post_form
from tests.unchanged import nothing_changes


async def answered(owner_id: int, community_id: int) -> dict:
    """A complaint the owner handled and answered: waiting for the person."""
    owner = await load_actor(owner_id)
    made = await rules.file_item(owner, NewItem(ledger="complaint", category="noise", community_id=community_id, summary="Karaoke until 2am", raised_by_name="Zhao Liu"))
    await rules.transition(made["id"], "assigned", owner, officer_id=owner_id)
    await rules.transition(made["id"], "in_progress", owner)
    await rules.transition(made["id"], "handled", owner, "Spoke to the shop")
    await rules.set_public_text(owner, made["id"], "Late-night karaoke", "")
    await rules.transition(made["id"], "feedback_given", owner, "The shop closes at 22:00 now")
    return made


async def version_of(item_id: int) -> int:
    return (await LedgerItem.select(LedgerItem.version).where(LedgerItem.id == item_id).first().run())["version"]


async def test_a_colleague_records_the_callback_and_only_then_the_owner_closes(client_for, area):
    owner, owner_id = await client_for("officer")
    colleague, colleague_id = await client_for("officer")
    head, _ = await client_for("head")
    made = await answered(owner_id, area.community_id)
    item = f"/ledger/{made['id']}"
    target = (LedgerItem, made["id"])
    # The owner's page has no callback form, only the reason; closing is refused.
    page = await owner.get(item)
    assert "the callback must be made by someone else" in page.text and f'action="{item}/callback"' not in page.text
    assert "needs the person's own answer or a callback" in page.text
    async with nothing_changes(target, also=(LedgerEvent, LedgerCallback)):
        response = await post_form(owner, f"{item}/move", {"to": "closed", "via": "phone", "note": "They said fine", "version": str(await version_of(made["id"]))})
        assert response.status_code == 422 and "callback recorded by someone other than the accountable officer" in response.text
        # A forged post of the owner's own callback is refused with the message.
        response = await post_form(owner, f"{item}/callback", {"channel": "phone", "said": "Fine", "satisfied": "yes", "version": str(await version_of(made["id"]))})
        assert response.status_code == 422 and "the callback must be made by someone else" in response.text
    # The colleague's form: errors next to the fields, with the input kept.
    page = await colleague.get(item)
    assert f'action="{item}/callback"' in page.text
    async with nothing_changes(target, also=(LedgerEvent, LedgerCallback)):
        response = await post_form(colleague, f"{item}/callback", {"channel": "phone", "said": "", "satisfied": "yes", "version": str(await version_of(made["id"]))})
        assert response.status_code == 422 and field_error(response.text, "said") == "Write what the person said."
    response = await post_form(colleague, f"{item}/callback", {"channel": "phone", "said": "Quiet since Monday, thanks", "satisfied": "yes", "version": str(await version_of(made["id"]))})
    assert response.status_code == 303
    rows = await LedgerCallback.select().where(LedgerCallback.item == made["id"]).run()
    assert [(r["by_user"], r["channel"], r["said"], r["satisfied"]) for r in rows] == [(colleague_id, "phone", "Quiet since Monday, thanks", True)]
    # Now the owner's page shows the evidence and the owner closes.
    page = await owner.get(item)
    assert "the person is satisfied" in page.text and "Quiet since Monday, thanks" in page.text
    response = await post_form(owner, f"{item}/move", {"to": "closed", "note": "Closed after the callback", "version": str(await version_of(made["id"]))})
    assert response.status_code == 303
    closed = await LedgerItem.select(LedgerItem.stage, LedgerItem.satisfaction_via).where(LedgerItem.id == made["id"]).first().run()
    assert closed == {"stage": "closed", "satisfaction_via": "callback"}
    # The head's dashboard: split by how satisfaction is known, and how the rate is computed.
    page = await head.get("/ledger/dashboard")
    assert "Satisfied, by a callback of a colleague" in page.text and "How the rate is computed" in page.text
    assert "<dt>Satisfied, by a callback of a colleague</dt><dd>1</dd>" in page.text
    # The same split and sentence in the workbook's satisfaction sheet.
    book = load_workbook(io.BytesIO((await head.get("/ledger/dashboard/export.xlsx")).content))
    header, values = list(book["Satisfaction"].iter_rows(values_only=True))[:2]
    sheet = dict(zip(header, values))
    assert (sheet["Satisfied, by the person's own answer"], sheet["Satisfied, by a callback of a colleague"], sheet["Closed without confirmation"]) == (0, 1, 0)
    assert sheet["Satisfaction rate (%)"] == 100 and sheet["How the rate is computed"].startswith("Satisfied answers (the person's own answer")


async def test_one_matter_made_public_answering_and_closing_need_the_public_summary_or_a_reason(client_for, area):
    """The rule (一事一公开): the answer to the person and an officer's closing (but a
    duplicate's) are refused while the item has no public summary and is not kept private
    with a reason; nothing changes. The item page suggests a summary made from the
    category, the community and the outcome only."""
    client, owner_id = await client_for("officer")
    owner = await load_actor(owner_id)
    made = await rules.file_item(owner, NewItem(ledger="complaint", category="noise", community_id=area.community_id, summary="Zhao Liu's karaoke at Room 301", raised_by_name="Zhao Liu"))
    other = await rules.file_item(owner, NewItem(ledger="claim", category="property", community_id=area.community_id, summary="Water cut for three days"))
    for to in ("assigned", "in_progress", "handled"):
        await rules.transition(made["id"], to, owner, "Spoke to the shop", officer_id=owner_id)
    item = f"/ledger/{made['id']}"
    # Refused over HTTP with the message, and by the rule; nothing changed.
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        response = await post_form(client, f"{item}/move", {"to": "feedback_given", "note": "The shop closes at 22:00", "version": str(await version_of(made["id"]))})
        assert response.status_code == 422 and "One matter, made public: write the public summary" in response.text
    async with nothing_changes((LedgerItem, other["id"]), also=(LedgerEvent,)):
        with pytest.raises(LedgerError, match="One matter, made public"):
            await rules.transition(other["id"], "closed_out_of_remit", owner, referred_to="Water company")
    # The page suggests a summary from the category and outcome, never the person's words.
    page = await client.get(item)
    suggested = re.search(r'<textarea[^>]*name="public_summary"[^>]*>([^<]*)</textarea>', page.text).group(1).strip()
    assert suggested == "Complaint or report about noise in Community A: handled." and "Zhao" not in suggested
    # Saving it (the officer's own text) lets the answer through.
    response = await post_form(client, f"{item}/public-text", {"public_summary": suggested, "place_public": "", "version": str(await version_of(made["id"]))})
    assert response.status_code == 303
    response = await post_form(client, f"{item}/move", {"to": "feedback_given", "note": "The shop closes at 22:00", "version": str(await version_of(made["id"]))})
    assert response.status_code == 303
    # A recorded reason not to publish counts too; a duplicate needs neither.
    await rules.set_private(owner, other["id"], True, "It names the landlord")
    closed = await rules.transition(other["id"], "closed_out_of_remit", owner, referred_to="Water company")
    assert closed["stage"] == "closed_out_of_remit" and closed["public_summary"] == ""
    third = await rules.file_item(owner, NewItem(ledger="complaint", category="noise", community_id=area.community_id, summary="Karaoke again"))
    duplicate = await rules.transition(third["id"], "closed_duplicate", owner, duplicate_of=made["number"])
    assert duplicate["stage"] == "closed_duplicate" and duplicate["public_summary"] == ""


async def test_once_answered_the_public_summary_is_changed_never_emptied_and_not_shown_without_one(client_for, area):
    """一事一公开 cannot be undone: after the answer (and after closing) the public summary
    is not emptied on a public item, and an item kept private without one is not shown
    again; each refusal is a 422 with the message next to the field and the input back,
    and changes nothing. Another text stays allowed and is audited; before the answer the
    summary may still be emptied."""
    client, owner_id = await client_for("officer")
    owner = await load_actor(owner_id)
    made = await answered(owner_id, area.community_id)
    item = f"/ledger/{made['id']}"
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        response = await post_form(client, f"{item}/public-text", {"public_summary": "  ", "place_public": "Near the east market", "version": str(await version_of(made["id"]))})
        assert response.status_code == 422
        assert field_error(response.text, "public_summary") == rules.PUBLIC_TEXT_KEPT
        assert 'value="Near the east market"' in response.text
    response = await post_form(client, f"{item}/public-text", {"public_summary": "Noise from a karaoke bar at night", "place_public": "Near the east market", "version": str(await version_of(made["id"]))})
    assert response.status_code == 303
    entry = await AuditEntry.select().where((AuditEntry.action == "ledger.public_text") & (AuditEntry.object_id == str(made["id"]))).order_by(AuditEntry.id, ascending=False).output(load_json=True).first().run()
    assert (entry["actor"], entry["before"]["public_summary"], entry["after"]["public_summary"]) == (owner_id, "Late-night karaoke", "Noise from a karaoke bar at night")
    # Closed (here without the person's answer, kept private with a reason): not shown
    # again without a summary, nor made private without a reason.
    other = await rules.file_item(owner, NewItem(ledger="claim", category="property", community_id=area.community_id, summary="Water cut at Li Na's flat"))
    await rules.set_private(owner, other["id"], True, "It names the person")
    await rules.transition(other["id"], "closed_out_of_remit", owner, referred_to="Water company")
    url = f"/ledger/{other['id']}"
    async with nothing_changes((LedgerItem, other["id"]), also=(LedgerEvent,)):
        response = await post_form(client, f"{url}/private", {"reason": "", "version": str(await version_of(other["id"]))})
        assert response.status_code == 422 and field_error(response.text, "private") == rules.SHOWN_WITHOUT_TEXT
        with pytest.raises(LedgerError, match="before the item is shown"):
            await rules.set_private(owner, other["id"], False, "")
        response = await post_form(client, f"{url}/private", {"private": "y", "reason": " ", "version": str(await version_of(other["id"]))})
        assert response.status_code == 422 and field_error(response.text, "reason") == "Say why the item is kept private."
    # With a summary written first it is shown again; then the summary stays.
    await rules.set_public_text(owner, other["id"], "A water cut, referred to the water company", "")
    response = await post_form(client, f"{url}/private", {"reason": "", "version": str(await version_of(other["id"]))})
    assert response.status_code == 303
    async with nothing_changes((LedgerItem, other["id"]), also=(LedgerEvent,)):
        with pytest.raises(LedgerError, match="cannot be emptied"):
            await rules.set_public_text(owner, other["id"], "", "")
    # Before the answer nothing was made public yet: the summary may be emptied.
    fresh = await rules.file_item(owner, NewItem(ledger="suggestion", category="traffic", community_id=area.community_id, summary="A crossing at the school"))
    await rules.set_public_text(owner, fresh["id"], "A crossing near a school", "")
    assert (await rules.set_public_text(owner, fresh["id"], "", ""))["public_summary"] == ""


async def test_referrals_to_other_bodies_are_recorded_answered_shown_and_counted(client_for, area):
    client, owner_id = await client_for("officer")
    stranger, _ = await client_for("officer", community_id=area.other_station_community_id)
    head, _ = await client_for("head")
    owner = await load_actor(owner_id)
    made = await rules.file_item(owner, NewItem(ledger="claim", category="property", community_id=area.community_id, summary="Water cut for three days"))
    item = f"/ledger/{made['id']}"
    target = (LedgerItem, made["id"])
    # Bad input: errors next to the fields, nothing recorded; an officer elsewhere gets 404.
    async with nothing_changes(target, also=(LedgerEvent, LedgerReferral)):
        response = await post_form(client, f"{item}/referrals", {"body_kind": "street_office", "body_name": "", "sent_on": "2999-01-01", "version": str(await version_of(made["id"]))})
        assert response.status_code == 422 and field_error(response.text, "body_name") == "Name the body it was sent to."
        response = await post_form(client, f"{item}/referrals", {"body_kind": "street_office", "body_name": "Xiguan street office", "sent_on": "2999-01-01", "version": str(await version_of(made["id"]))})
        assert response.status_code == 422 and field_error(response.text, "sent_on") == "Enter the date it was sent (not in the future)."
        response = await post_form(stranger, f"{item}/referrals", {"body_kind": "street_office", "body_name": "Xiguan street office", "sent_on": "2025-01-01"})
        assert response.status_code == 404
    response = await post_form(client, f"{item}/referrals", {"body_kind": "street_office", "body_name": "Xiguan street office", "sent_on": "2026-01-05", "note": "By fax", "version": str(await version_of(made["id"]))})
    assert response.status_code == 303
    response = await post_form(client, f"{item}/referrals", {"body_kind": "property_management", "body_name": "Green Garden Property", "sent_on": "2026-01-06", "version": str(await version_of(made["id"]))})
    assert response.status_code == 303
    referrals = await LedgerReferral.select().where(LedgerReferral.item == made["id"]).order_by(LedgerReferral.id).run()
    assert [(r["body_kind"], r["body_name"], r["sent_on"].isoformat(), r["by_user"], r["answered_on"]) for r in referrals] == [
        ("street_office", "Xiguan street office", "2026-01-05", owner_id, None), ("property_management", "Green Garden Property", "2026-01-06", owner_id, None),
    ]
    first = referrals[0]["id"]
    # Their answer: not before it was sent; then recorded and shown on the item.
    async with nothing_changes(target, also=(LedgerEvent, LedgerReferral)):
        response = await post_form(client, f"{item}/referral-answer", {"referral": str(first), "answer": "Pipes fixed", "answered_on": "2026-01-01", "version": str(await version_of(made["id"]))})
        assert response.status_code == 422 and "cannot come before the referral was sent" in response.text
    response = await post_form(client, f"{item}/referral-answer", {"referral": str(first), "answer": "Pipes fixed on Friday", "answered_on": "2026-01-09", "version": str(await version_of(made["id"]))})
    assert response.status_code == 303
    page = (await client.get(item)).text
    assert "Xiguan street office" in page and "Pipes fixed on Friday" in page and "Green Garden Property" in page and "No answer yet" not in page
    # Counted on the head's dashboard per kind of body.
    figures_now = {r["kind"]: r for r in await figures.referral_counts([area.community_id])}
    assert (figures_now["street_office"]["sent"], figures_now["street_office"]["answered"], figures_now["street_office"]["waiting"]) == (1, 1, 0)
    assert (figures_now["property_management"]["sent"], figures_now["property_management"]["waiting"]) == (1, 1)
    dashboard = (await head.get("/ledger/dashboard")).text
    assert "Referrals to other bodies" in dashboard and "Property management" in dashboard


async def test_the_dashboard_workbook_counts_referrals_per_kind_of_body_in_the_heads_scope(client_for, area):
    """The heads' workbook has the page's referrals table: per kind of body, sent,
    answered and waiting, numbers as numbers, in the reader's language; a referral of
    another station is not counted."""
    _, owner_id = await client_for("officer")
    _, stranger_id = await client_for("officer", community_id=area.other_station_community_id)
    head, head_id = await client_for("head")
    head_zh, _ = await client_for("head", preferred_language="zh_CN")
    owner, stranger = await load_actor(owner_id), await load_actor(stranger_id)
    first = await rules.file_item(owner, NewItem(ledger="claim", category="property", community_id=area.community_id, summary="Water cut"))
    second = await rules.file_item(None, NewItem(ledger="complaint", category="noise", community_id=area.other_community_id, summary="Building site at night"))
    elsewhere = await rules.file_item(stranger, NewItem(ledger="claim", category="dispute", community_id=area.other_station_community_id, summary="A fence"))
    sent = dt.date(2026, 1, 5)
    answered_one = await referrals.add_referral(owner, first["id"], "street_office", "Xiguan street office", sent)
    await referrals.answer_referral(owner, first["id"], answered_one, "Pipes fixed", sent + dt.timedelta(days=3))
    await referrals.add_referral(owner, first["id"], "property_management", "Green Garden Property", sent)
    await referrals.add_referral(await load_actor(head_id), second["id"], "street_office", "Xiguan street office", sent)
    await referrals.add_referral(stranger, elsewhere["id"], "judicial_office", "Chengdong judicial office", sent)
    response = await head.get("/ledger/dashboard/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Referrals to other bodies"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [
        ("Kind of body", "Referrals sent", "Answered", "Waiting for an answer"),
        ("Street office", 2, 1, 1), ("Judicial office", 0, 0, 0), ("Property management", 1, 0, 1), ("Another department", 0, 0, 0),
    ]
    assert all(isinstance(v, int) for row in rows[1:] for v in row[1:])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D5"
    # The page shows the same counts.
    page = (await head.get("/ledger/dashboard")).text
    assert re.search(r"<td><strong>Street office</strong></td><td[^>]*>2</td><td[^>]*>1</td><td[^>]*>1</td>", page)
    # In the reader's language: the sheet's name and the kinds of body.
    book_zh = load_workbook(io.BytesIO((await head_zh.get("/ledger/dashboard/export.xlsx")).content))
    assert [c.value for c in book_zh["转其他单位办理"][1]][:2] == ["单位类别", "转办数"]


async def test_answer_templates_are_kept_per_station_and_fill_the_answer(client_for, area):
    client, owner_id = await client_for("officer")
    stranger, _ = await client_for("officer", community_id=area.other_station_community_id)
    owner = await load_actor(owner_id)
    assert 'href="/ledger/templates"' in (await client.get("/ledger")).text
    page = await client.get("/ledger/templates")
    assert page.status_code == 200 and "No answer templates yet." in page.text
    # Bad input comes back with the errors and the input; nothing saved.
    async with nothing_changes(also=(LedgerAnswerTemplate,)):
        response = await post_form(client, "/ledger/templates", {"station": str(area.station_id), "category": "noise", "language": "en", "title": "", "body": "We spoke to them."})
        assert response.status_code == 422 and field_error(response.text, "title") == "Give the template a title." and "We spoke to them." in response.text
        response = await post_form(stranger, "/ledger/templates", {"station": str(area.station_id), "category": "noise", "language": "en", "title": "Noise", "body": "x"})
        assert response.status_code == 422
    for language, title, body in (("en", "Noise: spoke to them", "We spoke to your neighbour; the noise stops at 22:00."), ("zh_CN", "噪音：已劝导", "已上门劝导，晚上十点后不再扰民。")):
        response = await post_form(client, "/ledger/templates", {"station": str(area.station_id), "category": "noise", "language": language, "title": title, "body": body})
        assert response.status_code == 303
    rows = await LedgerAnswerTemplate.select().order_by(LedgerAnswerTemplate.id).run()
    assert [(r["station"], r["category"], r["language"], r["title"]) for r in rows] == [(area.station_id, "noise", "en", "Noise: spoke to them"), (area.station_id, "noise", "zh_CN", "噪音：已劝导")]
    # The officer of another station neither sees nor removes them.
    assert "Noise: spoke to them" not in (await stranger.get("/ledger/templates")).text
    async with nothing_changes(also=(LedgerAnswerTemplate,)):
        assert (await post_form(stranger, "/ledger/templates/remove", {"template": str(rows[0]["id"])})).status_code == 404
    # On a handled item of the category, the answer step offers them and fills the answer.
    made = await rules.file_item(owner, NewItem(ledger="complaint", category="noise", community_id=area.community_id, summary="Karaoke"))
    for to in ("assigned", "in_progress", "handled"):
        await rules.transition(made["id"], to, owner, "Spoke to the shop", officer_id=owner_id)
    page = (await client.get(f"/ledger/{made['id']}")).text
    assert f'href="/ledger/{made["id"]}?template={rows[0]["id"]}#steps"' in page
    page = (await client.get(f"/ledger/{made['id']}?template={rows[0]['id']}")).text
    assert re.search(r'<textarea id="feedback_given-note"[^>]*>We spoke to your neighbour; the noise stops at 22:00.</textarea>', page)
    response = await post_form(client, "/ledger/templates/remove", {"template": str(rows[1]["id"])})
    assert response.status_code == 303 and await LedgerAnswerTemplate.count().run() == 1


async def test_answer_templates_are_edited_in_place_by_the_stations_officers_and_head(client_for, area, make_user):
    """Each template on /ledger/templates has its edit form (category, language, title,
    text): bad input comes back next to the field with the input and changes nothing; a
    change is audited with before and after; an officer of another station gets 404 and a
    head above the station reads the page without the forms and is refused."""
    client, owner_id = await client_for("officer")
    head, head_id = await client_for("head")
    stranger, _ = await client_for("officer", community_id=area.other_station_community_id)
    overseer, _ = await client_for("district_head")
    owner = await load_actor(owner_id)
    template_id = await answer_templates.save_template(owner, area.station_id, "noise", "en", "Noise: spoke to them", "We spoke to your neighbour.")
    url, names = f"/ledger/templates/{template_id}/edit", (lambda **values: {f"t{template_id}-{k}": v for k, v in values.items()})
    page = (await client.get("/ledger/templates")).text
    assert f'action="{url}"' in page and f'id="t{template_id}-title"' in page and 'value="Noise: spoke to them"' in page
    target = (LedgerAnswerTemplate, template_id)
    async with nothing_changes(target):
        response = await post_form(client, url, names(category="noise", language="en", title=" ", body="We spoke to them twice."))
        assert response.status_code == 422 and field_error(response.text, f"t{template_id}-title") == "Give the template a title."
        assert "We spoke to them twice." in response.text and f'<details id="template-{template_id}" open>' in response.text
        response = await post_form(client, url, names(category="no-such", language="en", title="Noise", body="x"))
        assert response.status_code == 422 and field_error(response.text, f"t{template_id}-category")
        assert (await post_form(stranger, url, names(category="noise", language="en", title="Taken", body="x"))).status_code == 404
        assert (await post_form(overseer, url, names(category="noise", language="en", title="Taken", body="x"))).status_code == 403
    overseer_page = await overseer.get("/ledger/templates")
    assert overseer_page.status_code == 200 and f'action="{url}"' not in overseer_page.text
    response = await post_form(client, url, names(category="", language="zh_CN", title="噪音：已劝导", body="已上门劝导，晚上十点后不再扰民。"))
    assert response.status_code == 303
    row = await LedgerAnswerTemplate.select().where(LedgerAnswerTemplate.id == template_id).first().run()
    assert (row["station"], row["category"], row["language"], row["title"], row["body"], row["updated_by"]) == (area.station_id, "", "zh_CN", "噪音：已劝导", "已上门劝导，晚上十点后不再扰民。", owner_id)
    entry = await AuditEntry.select().where((AuditEntry.action == "ledger.template") & (AuditEntry.object_id == str(template_id))).order_by(AuditEntry.id, ascending=False).output(load_json=True).first().run()
    assert entry["actor"] == owner_id
    assert entry["before"] == {"category": "noise", "language": "en", "title": "Noise: spoke to them", "body": "We spoke to your neighbour."}
    assert entry["after"] == {"category": "", "language": "zh_CN", "title": "噪音：已劝导", "body": "已上门劝导，晚上十点后不再扰民。"}
    # The station's head keeps them too.
    assert (await post_form(head, url, names(category="noise", language="zh_CN", title="噪音", body="已劝导。"))).status_code == 303
    assert (await LedgerAnswerTemplate.select(LedgerAnswerTemplate.updated_by).where(LedgerAnswerTemplate.id == template_id).first().run())["updated_by"] == head_id


async def test_the_answer_emails_link_records_the_persons_answer_once_and_showing_it_records_nothing(client, client_for, area, settings):
    """The answer e-mail's signed link opens a page with the tracking page's form: opening
    it (as mail scanners do) records nothing; a wrong token is not found; the answer goes
    through the person's rule once (satisfaction_via "email") and counts as the person's
    own on the heads' dashboard; an item not waiting for the answer is refused."""
    _, owner_id = await client_for("officer")
    head, _ = await client_for("head")
    made = await answered(owner_id, area.community_id)
    waiting = await rules.file_item(await load_actor(owner_id), NewItem(ledger="suggestion", category="traffic", community_id=area.community_id, summary="A crossing"))
    url = f"/satisfaction/{answer_token(settings.secret_key, made['id'])}"
    signature = url.rpartition(".")[2]
    wrong = [f"{made['id']}.{'A' * 22}", f"{waiting['id']}.{signature}", url.rpartition("/")[2][:-1], "not-a-token", f"{made['id']}", f"0{made['id']}.{signature}"]
    target = (LedgerItem, made["id"])
    async with nothing_changes(target, also=(LedgerEvent, LedgerMail, LedgerCallback)):
        for _ in range(2):  # a scanner, then the person
            page = await client.get(url)
            assert page.status_code == 200 and f'action="{url}"' in page.text and 'name="answer"' in page.text and "The shop closes at 22:00 now" in page.text
        for token in wrong:
            assert (await client.get(f"/satisfaction/{token}")).status_code == 404, token
            assert (await post_form(client, f"/satisfaction/{token}", {"answer": "satisfied", "version": str(await version_of(made["id"]))})).status_code == 404, token
        # Not satisfied needs the reason: next to the field, the answer kept.
        response = await post_form(client, url, {"answer": "not_satisfied", "reason": " ", "version": str(await version_of(made["id"]))})
        assert response.status_code == 422 and field_error(response.text, "reason") == "Say why the person is not satisfied."
        assert re.search(r'value="not_satisfied" checked', response.text)
    version = str(await version_of(made["id"]))
    response = await post_form(client, url, {"answer": "satisfied", "reason": "Quiet now, thank you", "version": version})
    assert response.status_code == 303 and response.headers["location"] == f"/track/{made['tracking_code']}?answered=yes"
    closed = await LedgerItem.select(LedgerItem.stage, LedgerItem.satisfaction, LedgerItem.satisfaction_via, LedgerItem.satisfaction_note).where(LedgerItem.id == made["id"]).first().run()
    assert closed == {"stage": "closed", "satisfaction": "satisfied", "satisfaction_via": "email", "satisfaction_note": "Quiet now, thank you"}
    # Sent again (a double tap, the back button): refused, recorded once.
    async with nothing_changes(target, also=(LedgerEvent,)):
        again = await post_form(client, url, {"answer": "satisfied", "version": version})
        assert again.status_code == 409 and "not waiting for your answer" in again.text
        shown = await client.get(url)
        assert shown.status_code == 200 and "not waiting for your answer" in shown.text and 'name="answer"' not in shown.text
    # An item nobody answered yet: its page has no form and a post is refused.
    early = f"/satisfaction/{answer_token(settings.secret_key, waiting['id'])}"
    async with nothing_changes((LedgerItem, waiting["id"]), also=(LedgerEvent,)):
        assert 'name="answer"' not in (await client.get(early)).text
        assert (await post_form(client, early, {"answer": "satisfied", "version": str(await version_of(waiting["id"]))})).status_code == 409
    # The person's own answer on the dashboard, and the officer is told how it came.
    assert (await figures.satisfaction_rate([area.community_id]))["by_person"] == 1
    assert "<dt>Satisfied, by the person's own answer</dt><dd>1</dd>" in (await head.get("/ledger/dashboard")).text
    inbox = await Notification.select(Notification.user, Notification.body).where(Notification.user == owner_id).order_by(Notification.id, ascending=False).first().run()
    assert "by the link in the answer e-mail" in str(inbox["body"])
