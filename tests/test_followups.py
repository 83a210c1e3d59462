"""Follow-ups through HTTP: a mediation's follow-up on the lists of its author and the
community's officers, recorded once with its result (bad input by the field, a double
submit one record, others refused); rectification notices issued from a requested
rectification (numbered per station and year, the station's wording kept, the A4 page
with its QR code), withdrawn, and the station's wording kept by its head; the party's
report page behind the QR code (bad input by the field, the photo re-encoded, rate
limited, one report per form), the fix then re-inspected by someone other than the
hazard's reporter; the overdue lists and the home pages' counts."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.followups import notices
from portal.followups.tables import MediationFollowUp, NoticeWording, RectificationNotice, RectificationReport
from portal.logs import rules
from portal.logs.tables import FieldLog
from portal.notifications.tables import Notification
from portal.public.tables import RateHit
from tests.conftest import ensure_csrf, field_error, post_form
from tests.test_uploads import jpeg_with_gps
from tests.unchanged import nothing_changes

TZ = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    return dt.datetime.now(TZ).date()


async def mediation(author_id: int, community_id: int, follow_up_on: dt.date | None = None, key: str | None = None) -> int:
    """A mediation logged an hour ago, its follow-up on ``follow_up_on`` (today by default;
    a day before yesterday is written afterwards: the form takes none)."""
    day = follow_up_on or today()
    data = rules.LogData(kind="mediation", community_id=community_id, occurred_at=rules.now() - dt.timedelta(days=5), category="neighbours", people_count=2,
                         description="Noise at night", agreement="Quiet after 22:00", outcome="resolved", follow_up_on=max(day, today()), parties=[("Zhang San", "13900000099")])
    log_id = (await rules.create(await load_actor(author_id), data, key or str(uuid.uuid4()))).log_id
    if day < today():
        await FieldLog.update({FieldLog.follow_up_on: day}).where(FieldLog.id == log_id).run()
    return log_id


async def requested_hazard(author_id: int, officer_id: int, community_id: int, due: dt.date | None = None) -> int:
    """A hazard whose rectification the officer requested from the property company."""
    data = rules.LogData(kind="hazard", community_id=community_id, occurred_at=rules.now() - dt.timedelta(hours=3), category="fire_exit", severity="high",
                         description="Fire door chained", address="Building 3")
    log_id = (await rules.create(await load_actor(author_id), data, str(uuid.uuid4()))).log_id
    officer = await load_actor(officer_id)
    await rules.transition(officer, log_id, "confirmed")
    await rules.transition(officer, log_id, "rectification_requested", rectification_by="Property company", rectification_due=due or today() + dt.timedelta(days=5))
    return log_id


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "green").save(out, format="JPEG")
    return out.getvalue()


async def issue(client, log_id: int, party: str = "Xiguan Property Ltd", key: str | None = None):
    return await post_form(client, f"/rectification/new/{log_id}", {"party": party, "party_address": "1 Xiguan Road", "idempotency_key": key or str(uuid.uuid4())})


def notice_id_of(response) -> int:
    assert response.status_code == 303, response.text[:500]
    return int(re.search(r"/rectification/(\d+)", response.headers["location"]).group(1))


async def report(client, token: str, data: dict | None = None, photo: bytes | None = None, name: str = "fixed.jpg"):
    token_csrf = await ensure_csrf(client)
    files = {"photo": (name, photo, "image/jpeg")} if photo is not None else None
    body = {"note": "Chain removed", "idempotency_key": str(uuid.uuid4()), **(data or {}), "_csrf_token": token_csrf}
    return await client.post(f"/rectify/{token}", data=body, files=files, follow_redirects=False)


# --- Mediation follow-ups ------------------------------------------------------------------


async def test_a_follow_up_is_on_the_lists_of_its_author_and_the_officers_and_recorded_once(client_for, area, make_volunteer):
    volunteer, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer")
    head, _ = await client_for("head")
    other, _ = await client_for("officer", community_id=area.other_community_id)
    log_id = await mediation(volunteer_id, area.community_id)
    for client in (volunteer, officer, head):
        page = (await client.get("/followups")).text
        assert f'href="/followups/{log_id}/record"' in page
        assert "Zhang San" not in page  # the parties stay on the log's page, for the officers
    assert f"/followups/{log_id}/record" not in (await other.get("/followups")).text
    assert "waits for its follow-up" in (await volunteer.get("/")).text
    assert 'href="/followups"' in (await officer.get("/")).text
    assert (await other.get(f"/followups/{log_id}/record")).status_code == 404
    # Bad input: every message by its field, what was typed kept, nothing recorded.
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    async with nothing_changes((FieldLog, log_id), also=(MediationFollowUp,)):
        response = await post_form(volunteer, f"/followups/{log_id}/record", {"followed_up_on": tomorrow, "note": "They shook hands"})
        assert response.status_code == 422
        assert field_error(response.text, "result") == "Choose one of the options."
        assert "They shook hands" in response.text
        response = await post_form(volunteer, f"/followups/{log_id}/record", {"result": "held", "followed_up_on": tomorrow})
        assert response.status_code == 422 and field_error(response.text, "followed_up_on") == "This date is in the future."
        response = await post_form(volunteer, f"/followups/{log_id}/record", {"result": "held", "followed_up_on": "2020-01-01"})
        assert field_error(response.text, "followed_up_on") == "The follow-up cannot come before the mediation."
        response = await post_form(volunteer, f"/followups/{log_id}/record", {"result": "held", "followed_up_on": today().isoformat(), "note": "x" * 2001})
        assert response.status_code == 422 and "at most 2000" in field_error(response.text, "note")
        assert (await post_form(other, f"/followups/{log_id}/record", {"result": "held", "followed_up_on": today().isoformat()})).status_code == 404
    # Recorded once: the same form twice is one record; another result afterwards is refused.
    form = {"result": "relapsed", "followed_up_on": today().isoformat(), "note": "Noise again on Friday"}
    for _ in range(2):
        response = await post_form(volunteer, f"/followups/{log_id}/record", form)
        assert response.status_code == 303 and response.headers["location"].startswith("/followups?show=done")
    rows = await MediationFollowUp.select().where(MediationFollowUp.log == log_id).run()
    assert [(r["result"], r["followed_up_on"], r["recorded_by"], r["community"]) for r in rows] == [("relapsed", today(), volunteer_id, area.community_id)]
    async with nothing_changes((MediationFollowUp, rows[0]["id"])):
        response = await post_form(officer, f"/followups/{log_id}/record", {"result": "held", "followed_up_on": today().isoformat()})
        assert response.status_code == 422 and "The follow-up of this mediation is already recorded." in response.text
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.actor).where((AuditEntry.object_type == "field_log") & (AuditEntry.object_id == str(log_id)) & (AuditEntry.action == "followup.recorded")).run()
    assert audit == [{"action": "followup.recorded", "actor": volunteer_id}]
    # A relapse is news for the officers; the log's page shows it, the lists move it to "Recorded".
    assert await Notification.count().where((Notification.user == officer_id) & (Notification.kind == "followup.recorded")).run() == 1
    assert "Dispute broke out again" in (await officer.get(f"/logs/{log_id}")).text
    assert f"/followups/{log_id}/record" not in (await officer.get("/followups")).text
    assert "Noise again on Friday" in (await head.get("/followups?show=done")).text


async def test_overdue_follow_ups_are_listed_for_the_officer_and_the_head(client_for, area):
    volunteer, volunteer_id = await client_for("volunteer")
    officer, _ = await client_for("officer")
    head, _ = await client_for("head")
    late = await mediation(volunteer_id, area.community_id, today() - dt.timedelta(days=3))
    due = await mediation(volunteer_id, area.community_id)
    coming = await mediation(volunteer_id, area.community_id, today() + dt.timedelta(days=4))
    for client in (officer, head):
        overdue = (await client.get("/followups?show=overdue")).text
        assert f"/followups/{late}/record" in overdue and f"/followups/{due}/record" not in overdue and "Overdue since" in overdue
        todo = (await client.get("/followups")).text
        assert f"/followups/{late}/record" in todo and f"/followups/{due}/record" in todo and f"/followups/{coming}/record" not in todo
        assert f"/followups/{coming}/record" in (await client.get("/followups?show=upcoming")).text
        home = (await client.get("/")).text
        assert 'href="/followups?show=overdue"' in home and "1 overdue" in home
    district, _ = await client_for("district_head")
    assert f"/followups/{late}/record" in (await district.get("/followups?show=overdue")).text
    assert 'href="/followups?show=overdue"' in (await district.get("/")).text
    # Pages of two, in the order of the day.
    page = (await officer.get("/followups?show=upcoming")).text
    assert "Show more" not in page
    assert (await officer.get("/followups?show=nonsense")).status_code == 400


# --- Rectification notices -------------------------------------------------------------------


async def test_a_notice_is_issued_numbered_printed_and_replaced(client_for, area, settings):
    volunteer, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer")
    log_id = await requested_hazard(volunteer_id, officer_id, area.community_id)
    log_page = (await officer.get(f"/logs/{log_id}")).text
    assert f'href="/rectification/new/{log_id}"' in log_page
    assert f"/rectification/new/{log_id}" not in (await volunteer.get(f"/logs/{log_id}")).text
    form = (await officer.get(f"/rectification/new/{log_id}")).text
    assert 'value="Property company"' in form and "Fire Protection Law" in form
    other, _ = await client_for("officer", community_id=area.other_community_id)
    async with nothing_changes((FieldLog, log_id), also=(RectificationNotice,)):
        response = await issue(officer, log_id, party="")
        assert response.status_code == 422 and field_error(response.text, "party") == "Say to whom the notice is addressed."
        response = await issue(officer, log_id, party="p" * 201)
        assert response.status_code == 422 and "at most 200" in field_error(response.text, "party")
        assert (await issue(other, log_id)).status_code == 404
        assert (await volunteer.get(f"/rectification/new/{log_id}")).status_code == 403
    key = str(uuid.uuid4())
    first = notice_id_of(await issue(officer, log_id, key=key))
    assert notice_id_of(await issue(officer, log_id, key=key)) == first  # a double submit is one notice
    notice = await RectificationNotice.select().where(RectificationNotice.id == first).first().run()
    year = dt.datetime.now(TZ).year
    assert notice["number"] == f"{year}-0001" and notice["party"] == "Xiguan Property Ltd" and notice["due_on"] == today() + dt.timedelta(days=5)
    assert notice["due_at"] == dt.datetime.combine(notice["due_on"] + dt.timedelta(days=1), dt.time(0), tzinfo=TZ)
    page = (await officer.get(f"/rectification/{first}")).text
    for expected in ("Rectification notice", f"No. {year}-0001", "Xiguan Property Ltd", "Fire door chained", "Fire Protection Law", "<svg", f"/rectify/{notice['token']}", "signature"):
        assert expected in page, expected
    assert f"/rectification/{first}" in (await officer.get(f"/logs/{log_id}")).text
    # Numbers run per station and year: the other community of the station takes the next
    # one, the other station starts at 1.
    second = notice_id_of(await issue(officer, await requested_hazard(volunteer_id, officer_id, area.community_id)))
    other_station, other_id = await client_for("officer", community_id=area.other_station_community_id)
    far_volunteer, far_id = await client_for("volunteer", community_id=area.other_station_community_id)
    third = notice_id_of(await issue(other_station, await requested_hazard(far_id, other_id, area.other_station_community_id)))
    numbers = {r["id"]: r["number"] for r in await RectificationNotice.select(RectificationNotice.id, RectificationNotice.number).run()}
    assert numbers == {first: f"{year}-0001", second: f"{year}-0002", third: f"{year}-0001"}
    assert (await other_station.get(f"/rectification/{first}")).status_code == 404
    # A new notice for the same hazard withdraws the one in force.
    fourth = notice_id_of(await issue(officer, log_id, party="Xiguan Property Ltd, branch 2"))
    rows = {r["id"]: r["withdrawn_at"] for r in await RectificationNotice.select(RectificationNotice.id, RectificationNotice.withdrawn_at).where(RectificationNotice.log == log_id).run()}
    assert rows[first] is not None and rows[fourth] is None
    assert "Withdrawn" in (await officer.get(f"/rectification/{first}")).text
    # Withdrawing: not by another community's officer; then by the officer, once.
    async with nothing_changes((RectificationNotice, fourth)):
        assert (await post_form(other_station, f"/rectification/{fourth}/withdraw")).status_code == 404
    assert (await post_form(officer, f"/rectification/{fourth}/withdraw")).status_code == 303
    assert (await RectificationNotice.select(RectificationNotice.withdrawn_at).where(RectificationNotice.id == fourth).first().run())["withdrawn_at"] is not None


async def test_a_notice_needs_the_rectification_requested(client_for, area):
    _, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer")
    data = rules.LogData(kind="hazard", community_id=area.community_id, occurred_at=rules.now() - dt.timedelta(hours=3), category="gas", severity="high", description="Gas", address="Shop 2")
    log_id = (await rules.create(await load_actor(volunteer_id), data, str(uuid.uuid4()))).log_id
    await rules.transition(await load_actor(officer_id), log_id, "confirmed")
    assert "/rectification/new/" not in (await officer.get(f"/logs/{log_id}")).text
    assert (await officer.get(f"/rectification/new/{log_id}")).status_code == 404
    async with nothing_changes((FieldLog, log_id), also=(RectificationNotice,)):
        assert (await issue(officer, log_id)).status_code == 404


async def test_the_station_head_keeps_the_wording_and_a_notice_keeps_its_own(client_for, area):
    _, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer")
    head, head_id = await client_for("head")
    head_other, _ = await client_for("head", station_id=area.other_station_id)
    first = notice_id_of(await issue(officer, await requested_hazard(volunteer_id, officer_id, area.community_id)))
    page = (await officer.get(f"/rectification/wording/{area.station_id}")).text
    assert "Fire Protection Law" in page and "<textarea" not in page
    assert f'href="/rectification/wording/{area.station_id}"' in (await officer.get("/rectification?show=all")).text
    assert "<textarea" in (await head.get(f"/rectification/wording/{area.station_id}")).text
    assert (await head_other.get(f"/rectification/wording/{area.station_id}")).status_code == 404
    async with nothing_changes(also=(NoticeWording,)):
        assert (await post_form(officer, f"/rectification/wording/{area.station_id}", {"text": "Ours"})).status_code == 403
        assert (await post_form(head_other, f"/rectification/wording/{area.station_id}", {"text": "Ours"})).status_code == 404
        response = await post_form(head, f"/rectification/wording/{area.station_id}", {"text": "  "})
        assert response.status_code == 422 and field_error(response.text, "text") == "Write the wording of the notice."
    wording = "依据《中华人民共和国消防法》第十六条，责令你单位于下列期限前改正。"
    assert (await post_form(head, f"/rectification/wording/{area.station_id}", {"text": wording})).status_code == 303
    assert (await NoticeWording.select(NoticeWording.text, NoticeWording.updated_by).run()) == [{"text": wording, "updated_by": head_id}]
    second = notice_id_of(await issue(officer, await requested_hazard(volunteer_id, officer_id, area.community_id)))
    assert wording in (await officer.get(f"/rectification/{second}")).text
    old = (await officer.get(f"/rectification/{first}")).text
    assert wording not in old and "Fire Protection Law" in old


async def test_the_party_reports_the_fix_and_someone_else_re_inspects_it(client_for, client, area, settings):
    volunteer, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer")
    log_id = await requested_hazard(volunteer_id, officer_id, area.community_id)
    notice_id = notice_id_of(await issue(officer, log_id))
    token = (await RectificationNotice.select(RectificationNotice.token).where(RectificationNotice.id == notice_id).first().run())["token"]
    page = await client.get(f"/rectify/{token}")
    assert page.status_code == 200 and "Report the fix" in page.text and "Fire door chained" in page.text
    assert "Xiguan Property Ltd" not in page.text  # no names on a page the token opens
    assert (await client.get("/rectify/not-a-real-token")).status_code == 404
    # Bad input, answered by the field: nothing saved, the hazard where it was.
    async with nothing_changes((FieldLog, log_id), also=(RectificationReport,)):
        response = await report(client, token, {"note": "Chain cut off"})
        assert response.status_code == 422 and field_error(response.text, "photo") == "Add a photo of the fixed place."
        assert "Chain cut off" in response.text
        response = await report(client, token, {"note": "n" * 1001}, jpeg())
        assert response.status_code == 422 and "at most 1000" in field_error(response.text, "note")
        response = await report(client, token, {}, b"%PDF-1.5 not a photo", "scan.pdf")
        assert response.status_code == 422 and "not an image we can read" in field_error(response.text, "photo")
    # The fix, with a photo carrying GPS: stored re-encoded, without it.
    key = str(uuid.uuid4())
    response = await report(client, token, {"idempotency_key": key}, jpeg_with_gps())
    assert response.status_code == 303 and response.headers["location"] == f"/rectify/{token}?sent=1"
    assert (await report(client, token, {"idempotency_key": key}, jpeg_with_gps())).status_code == 303  # the same form again
    reports = await RectificationReport.select().run()
    assert len(reports) == 1 and reports[0]["note"] == "Chain removed"
    stored = await notices.report_photo_key(await load_actor(officer_id), notice_id, reports[0]["id"], thumb=False)
    served = await officer.get(f"/rectification/{notice_id}/reports/{reports[0]['id']}/photo")
    assert stored and served.status_code == 200 and served.headers["content-type"] == "image/jpeg" and b"GPS" not in served.content
    assert (await volunteer.get(f"/rectification/{notice_id}/reports/{reports[0]['id']}/photo")).status_code == 403
    assert "Thank you: your report is received." in (await client.get(f"/rectify/{token}?sent=1")).text
    log = await FieldLog.select(FieldLog.hazard_stage, FieldLog.fixed_at).where(FieldLog.id == log_id).first().run()
    assert log["hazard_stage"] == "fixed" and log["fixed_at"] is not None
    assert await Notification.count().where((Notification.user == officer_id) & (Notification.kind == "rectification.reported")).run() == 1
    assert "Reported fixed, to re-inspect" in (await officer.get(f"/rectification/{notice_id}")).text
    # Reported once: a second report is refused while the fix waits for its re-inspection.
    async with nothing_changes((FieldLog, log_id), also=(RectificationReport,)):
        response = await report(client, token, {}, jpeg())
        assert response.status_code == 409 and "already been reported" in response.text
    # The re-inspection that exists for hazards: never by the hazard's reporter.
    officer_author, author_id = await client_for("officer")
    own = await requested_hazard(author_id, officer_id, area.community_id)
    own_token = (await RectificationNotice.select(RectificationNotice.token).where(RectificationNotice.id == notice_id_of(await issue(officer, own))).first().run())["token"]
    assert (await report(client, own_token, {}, jpeg())).status_code == 303
    async with nothing_changes((FieldLog, own)):
        response = await post_form(officer_author, f"/logs/{own}/hazard", {"to": "verified"})
        assert response.status_code == 422 and "Someone other than the reporter" in response.text
    assert (await post_form(officer, f"/logs/{own}/hazard", {"to": "verified"})).status_code == 303
    assert (await FieldLog.select(FieldLog.hazard_stage).where(FieldLog.id == own).first().run())["hazard_stage"] == "verified"
    assert "The fix was checked by an officer." in (await client.get(f"/rectify/{own_token}")).text
    # A withdrawn notice takes no report.
    third = await requested_hazard(volunteer_id, officer_id, area.community_id)
    withdrawn = notice_id_of(await issue(officer, third))
    await post_form(officer, f"/rectification/{withdrawn}/withdraw")
    withdrawn_token = (await RectificationNotice.select(RectificationNotice.token).where(RectificationNotice.id == withdrawn).first().run())["token"]
    assert "no longer in force" in (await client.get(f"/rectify/{withdrawn_token}")).text
    async with nothing_changes((FieldLog, third), also=(RectificationReport,)):
        assert (await report(client, withdrawn_token, {}, jpeg())).status_code == 409


async def test_the_report_page_is_rate_limited_like_the_other_public_forms(client_for, client, area):
    _, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer")
    notice_id = notice_id_of(await issue(officer, await requested_hazard(volunteer_id, officer_id, area.community_id)))
    token = (await RectificationNotice.select(RectificationNotice.token).where(RectificationNotice.id == notice_id).first().run())["token"]
    answers = [(await report(client, token, {}, b"not an image", "x.jpg")).status_code for _ in range(6)]
    assert answers == [422] * 5 + [429]
    assert await RateHit.count().run() >= 5
    response = await report(client, token, {}, jpeg())
    assert response.status_code == 429 and "Too many reports" in response.text
    assert await RectificationReport.count().run() == 0


async def test_overdue_notices_are_listed_and_counted_on_the_homes(client_for, area):
    _, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer")
    head, _ = await client_for("head")
    log_id = await requested_hazard(volunteer_id, officer_id, area.community_id)
    late = notice_id_of(await issue(officer, log_id))
    deadline = today() - dt.timedelta(days=2)
    await RectificationNotice.update({RectificationNotice.due_on: deadline, RectificationNotice.due_at: notices.end_of_day(deadline, "Asia/Shanghai")}).where(RectificationNotice.id == late).run()
    in_time = notice_id_of(await issue(officer, await requested_hazard(volunteer_id, officer_id, area.community_id)))
    for client in (officer, head):
        overdue = (await client.get("/rectification?show=overdue")).text
        assert f'href="/rectification/{late}"' in overdue and f'href="/rectification/{in_time}"' not in overdue
        home = (await client.get("/")).text
        assert 'href="/rectification?show=overdue"' in home and "1 overdue" in home
    assert f'href="/rectification/{in_time}"' in (await officer.get("/rectification")).text
    volunteer, _ = await client_for("volunteer")
    assert (await volunteer.get("/rectification")).status_code == 403


@pytest.mark.parametrize("language,title", [("zh_CN", "lang=\"zh-CN\""), ("en", "lang=\"en\"")])
async def test_the_notice_page_speaks_the_reader_s_language(client_for, area, language, title):
    _, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer", preferred_language=language)
    notice_id = notice_id_of(await issue(officer, await requested_hazard(volunteer_id, officer_id, area.community_id)))
    assert title in (await officer.get(f"/rectification/{notice_id}")).text


async def test_the_notice_carries_the_hazard_s_photos_and_its_days_with_the_year(client_for, area, settings):
    from portal.logs.tables import LogPhoto
    from portal.uploads import process_image, storage_for

    _, volunteer_id = await client_for("volunteer")
    officer, officer_id = await client_for("officer")
    data = rules.LogData(kind="hazard", community_id=area.community_id, occurred_at=rules.now() - dt.timedelta(hours=3), category="stairwell", severity="low",
                         description="Boxes in the stairwell", address="Building 5")
    photos = [process_image(jpeg()) for _ in range(2)]
    log_id = (await rules.create(await load_actor(volunteer_id), data, str(uuid.uuid4()), photos, storage_for(settings))).log_id
    actor = await load_actor(officer_id)
    await rules.transition(actor, log_id, "confirmed")
    await rules.transition(actor, log_id, "rectification_requested", rectification_by="Shop 5", rectification_due=dt.date(today().year + 1, 1, 15))
    page = (await officer.get(f"/rectification/{notice_id_of(await issue(officer, log_id))}")).text
    ids = [r["id"] for r in await LogPhoto.select(LogPhoto.id).where(LogPhoto.log == log_id).order_by(LogPhoto.ordinal).run()]
    assert [int(i) for i in re.findall(rf'src="/logs/{log_id}/photos/(\d+)/thumb"', page)] == ids
    assert f"15 Jan {today().year + 1}" in page and f"{today():%Y}" in page
