"""Field log capture through HTTP: each kind's form creates, validates and refuses bad
input (message next to the field, input kept, nothing saved); resends create one log;
hazard photos through the pipeline and served only to those who may see the log;
mediation parties confidential; hosts log at their own point; "nothing to report";
the hazard lifecycle; the author's answer; "My logs"."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from portal.accounts.rules import load_actor
from portal.logs import rules
from portal.logs.tables import HAZARD_STAGES, FieldLog, LogNote, LogPhoto, MediationParty
from portal.watchpoints.tables import WatchPoint
from tests.conftest import ensure_csrf, field_error, htmx_post, post_form
from tests.test_uploads import jpeg_with_gps
from tests.unchanged import nothing_changes

TZ = ZoneInfo("Asia/Shanghai")


def local(delta: dt.timedelta = dt.timedelta(hours=-1)) -> str:
    return (dt.datetime.now(TZ) + delta).strftime("%Y-%m-%dT%H:%M")


def valid(kind: str, community_id: int) -> dict:
    base = {"idempotency_key": str(uuid.uuid4()), "community": str(community_id), "occurred_at": local()}
    extra = {
        "patrol": {"ended_at": local(dt.timedelta(minutes=-5)), "route": "North gate loop", "description": "Quiet evening"},
        "hazard": {"category": "fire_exit", "severity": "high", "description": "Fire door chained shut", "address": "Block 3 stairwell"},
        "mediation": {"category": "neighbours", "people_count": "2", "description": "Noise at night", "agreement": "Quiet after 22:00", "outcome": "resolved",
                      "party_name_0": "Wang Secret", "party_contact_0": "13900000001", "party_name_1": "Li Hidden", "party_contact_1": "13900000002"},
        "help": {"category": "lost_elderly", "people_count": "1", "handed_over_to": "Her son", "address": "Market gate"},
        "publicity": {"category": "anti_fraud", "people_count": "40", "address": "Community hall"},
    }[kind]
    # Empty selects arrive as "" from a browser, as the page renders them.
    empty = {"shift": ""} if kind == "patrol" else {"watch_point": "", "landmark": "", "latitude": "", "longitude": ""}
    return {**base, **empty, **extra}


async def count(kind: str | None = None) -> int:
    query = FieldLog.count()
    return await (query.where(FieldLog.kind == kind) if kind else query).run()


async def make_point(community_id: int, host_id: int | None, status: str = "verified") -> int:
    moment = rules.now()
    row = await WatchPoint.insert(
        WatchPoint(community=community_id, host=host_id, slug=uuid.uuid4().hex[:16], name_zh="便利店", name_en="Corner shop", kind="shop", address="1 Road", status=status, idempotency_key=str(uuid.uuid4()), created_at=moment, updated_at=moment)
    ).returning(WatchPoint.id).run()
    return row[0]["id"]


def saved_id(response) -> int:
    location = response.headers.get("location") or response.headers.get("hx-redirect") or ""
    match = re.match(r"^/logs/(\d+)\?saved=1$", location)
    assert match, (response.status_code, location, response.text[:500])
    return int(match.group(1))


@pytest.mark.parametrize("kind", ["patrol", "hazard", "mediation", "help", "publicity"])
async def test_each_kind_is_created_from_its_form(client_for, area, kind):
    client, user_id = await client_for("volunteer")
    page = await client.get(f"/logs/new/{kind}")
    assert page.status_code == 200 and 'name="idempotency_key"' in page.text
    assert 'value="None"' not in page.text  # an empty choice posts "", which the form reads as none
    response = await post_form(client, f"/logs/new/{kind}", valid(kind, area.community_id))
    log_id = saved_id(response)
    row = await FieldLog.select().where(FieldLog.id == log_id).first().run()
    assert row["kind"] == kind and row["author"] == user_id and row["community"] == area.community_id and row["status"] == "submitted"
    assert (row["hazard_stage"] == "reported") == (kind == "hazard")
    detail = await client.get(f"/logs/{log_id}?saved=1")
    assert detail.status_code == 200 and "Saved. Thank you." in detail.text
    if kind == "patrol":
        assert row["minutes"] == 55
    if kind == "mediation":
        assert await MediationParty.count().where(MediationParty.log == log_id).run() == 2


@pytest.mark.parametrize(
    "kind,changes,field,message",
    [
        ("hazard", {"category": ""}, "category", "Choose one of the options."),
        ("hazard", {"description": ""}, "description", "Describe the hazard."),
        ("hazard", {"address": ""}, "address", "Say where"),
        ("hazard", {"description": "x" * 2001}, "description", "at most 2000 characters"),
        ("hazard", {"occurred_at": local(dt.timedelta(days=2))}, "occurred_at", "in the future"),
        ("patrol", {"ended_at": local(dt.timedelta(hours=-3))}, "ended_at", "after the start"),
        ("patrol", {"description": ""}, "description", "Nothing to report"),
        ("patrol", {"ended_at": ""}, "ended_at", "Give the date and time."),
        ("publicity", {"people_count": "-5"}, "people_count", "Between 0 and 100000."),
        ("publicity", {"people_count": "many"}, "people_count", "integer"),
        ("help", {"people_count": "0"}, "people_count", "Between 1 and 100."),
        ("mediation", {"outcome": ""}, "outcome", "Choose one of the options."),
        ("mediation", {"people_count": "1"}, "people_count", "Between 2 and 50."),
        ("mediation", {"follow_up_on": "2020-01-01"}, "follow_up_on", "cannot be in the past"),
        ("mediation", {"occurred_at": "not a time"}, "occurred_at", ""),
        ("hazard", {"latitude": "36.61", "longitude": ""}, "longitude", "both latitude and longitude"),
        ("hazard", {"latitude": "136.61", "longitude": "101.7"}, "latitude", "Between -90 and 90."),
        ("help", {"community": "not-a-number"}, "community", ""),
        ("help", {"handed_over_to": "y" * 201}, "handed_over_to", "at most 200 characters"),
    ],
)
async def test_bad_input_is_refused_next_to_the_field_and_kept(client_for, area, kind, changes, field, message):
    client, _ = await client_for("volunteer")
    data = {**valid(kind, area.community_id), **changes}
    if "description" not in changes:
        data["description"] = "kept text 路口"
    async with nothing_changes(also=(FieldLog, MediationParty)):
        response = await post_form(client, f"/logs/new/{kind}", data)
        assert response.status_code == 422
    error = field_error(response.text, field)
    assert error is not None and message in error, (error, response.text[-3000:])
    if "description" not in changes:
        assert "kept text 路口" in response.text
    assert await count() == 0


async def test_htmx_submit_swaps_the_form_with_errors_and_redirects_when_saved(client_for, area):
    client, _ = await client_for("volunteer")
    data = {**valid("help", area.community_id), "people_count": "-1"}
    async with nothing_changes(also=(FieldLog,)):
        response = await htmx_post(client, "/logs/new/help", data, target="log-form")
        assert response.status_code == 422 and response.text.lstrip().startswith('<div id="log-form">')
    response = await htmx_post(client, "/logs/new/help", {**data, "people_count": "2"}, target="log-form")
    assert response.status_code == 200 and re.match(r"^/logs/\d+\?saved=1$", response.headers["hx-redirect"])


async def test_the_same_key_twice_is_one_log(client_for, area):
    client, _ = await client_for("volunteer")
    data = valid("publicity", area.community_id)
    first = saved_id(await post_form(client, "/logs/new/publicity", data))
    second = saved_id(await post_form(client, "/logs/new/publicity", data))
    assert first == second and await count() == 1


async def test_concurrent_resends_are_one_log(area, make_user):
    import asyncio

    actor = await load_actor(await make_user("volunteer"))
    data = rules.LogData(kind="publicity", community_id=area.community_id, occurred_at=rules.now() - dt.timedelta(hours=1), category="law", people_count=3, address="Hall")
    results = await asyncio.gather(*(rules.create(actor, data, "same-key-for-all") for _ in range(6)))
    assert len({r.log_id for r in results}) == 1 and sum(r.new for r in results) == 1
    assert await count() == 1


async def test_concurrent_posts_of_one_form_are_one_log_and_a_stale_resend_finds_it(client_for, area):
    """The submission inserts once, guarded by the key's unique index; the first log is
    looked up only when that insert meets the key (or when the resend no longer validates)."""
    import asyncio

    client, _ = await client_for("volunteer")
    data = valid("help", area.community_id)
    responses = await asyncio.gather(*(post_form(client, "/logs/new/help", data) for _ in range(8)))
    assert {r.status_code for r in responses} == {303}
    assert len({saved_id(r) for r in responses}) == 1 and await count() == 1
    # The same key with data that would now be refused: the saved log, not an error.
    stale = await post_form(client, "/logs/new/help", {**data, "people_count": "-1"})
    assert stale.status_code == 303 and saved_id(stale) == saved_id(responses[0]) and await count() == 1


async def test_an_empty_place_sent_back_as_none_saves_and_the_form_links_locate_by_content(client_for, area):
    client, _ = await client_for("volunteer")
    await make_point(area.community_id, None)
    page = (await client.get("/logs/new/help")).text
    assert 'value="None"' not in page and re.search(r'src="/static/js/locate\.js\?v=\w+"', page)
    response = await post_form(client, "/logs/new/help", {**valid("help", area.community_id), "watch_point": "None", "landmark": "None"})
    assert response.status_code == 303 and await count() == 1


def photo_file(name="door.jpg", content=None):
    return ("photos", (name, content if content is not None else jpeg_with_gps(), "image/jpeg"))


async def post_multipart(client, url, data, files):
    token = await ensure_csrf(client)
    return await client.post(url, data={**data, "_csrf_token": token}, files=files, follow_redirects=False)


async def test_hazard_photos_are_stored_without_gps_and_served_only_to_those_allowed(client_for, area, settings):
    client, _ = await client_for("volunteer")
    response = await post_multipart(client, "/logs/new/hazard", valid("hazard", area.community_id), [photo_file("a.jpg"), photo_file("b.png", _png())])
    log_id = saved_id(response)
    photos = await LogPhoto.select().where(LogPhoto.log == log_id).order_by(LogPhoto.ordinal).run()
    assert len(photos) == 2
    served = await client.get(f"/logs/{log_id}/photos/{photos[0]['id']}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(served.content)) as image:
        assert len(image.getexif()) == 0
    assert b"GPS" not in served.content
    assert (await client.get(f"/logs/{log_id}/photos/{photos[0]['id']}/thumb")).status_code == 200
    officer, _ = await client_for("officer")
    assert (await officer.get(f"/logs/{log_id}/photos/{photos[0]['id']}")).status_code == 200
    for role, kwargs in (("volunteer", {}), ("host", {}), ("officer", {"community_id": area.other_community_id})):
        other, _ = await client_for(role, **kwargs)
        assert (await other.get(f"/logs/{log_id}/photos/{photos[0]['id']}")).status_code == 404
        assert (await other.get(f"/logs/{log_id}")).status_code == 404


def _png():
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "blue").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "files,message",
    [
        ([photo_file("fake.jpg", b"%PDF-1.5 definitely not a photo")], "not an image we can read"),
        ([photo_file("big.jpg", jpeg_with_gps() + b"\0" * (5 * 1024 * 1024))], "larger than 5 MB"),
        ([photo_file(f"{i}.jpg") for i in range(4)], "At most 3 photos."),
    ],
    ids=["not-an-image", "too-big", "too-many"],
)
async def test_bad_photos_are_refused_and_nothing_is_saved(client_for, area, settings, files, message):
    client, _ = await client_for("volunteer")
    data = {**valid("hazard", area.community_id), "description": "Chained door 链条"}
    async with nothing_changes(also=(FieldLog, LogPhoto)):
        response = await post_multipart(client, "/logs/new/hazard", data, files)
        assert response.status_code == 422
    assert message in (field_error(response.text, "photos") or "")
    assert "Chained door 链条" in response.text
    assert await count() == 0 and await LogPhoto.count().run() == 0


async def test_mediation_parties_are_seen_by_the_community_officers_only(client_for, area, make_user):
    client, author_id = await client_for("volunteer")
    log_id = saved_id(await post_form(client, "/logs/new/mediation", valid("mediation", area.community_id)))
    officer, _ = await client_for("officer")
    head, _ = await client_for("head")
    admin, _ = await client_for("admin")
    for viewer in (officer, head, admin):
        page = await viewer.get(f"/logs/{log_id}")
        assert page.status_code == 200 and "Wang Secret" in page.text and "13900000001" in page.text
    author_page = await client.get(f"/logs/{log_id}")
    assert author_page.status_code == 200 and "Wang Secret" not in author_page.text and "13900000001" not in author_page.text
    assert "2 parties" in author_page.text
    mine = await client.get("/logs/mine")
    assert "Wang Secret" not in mine.text
    anonymous_client = officer.__class__(transport=officer._transport, base_url="http://testserver.local")
    outsiders = [anonymous_client]
    for role, kwargs in (("volunteer", {}), ("host", {}), ("officer", {"community_id": area.other_community_id})):
        outsider, _ = await client_for(role, **kwargs)
        outsiders.append(outsider)
    for outsider in outsiders:
        response = await outsider.get(f"/logs/{log_id}", follow_redirects=False)
        assert response.status_code in (303, 404) and "Wang Secret" not in response.text
    await anonymous_client.aclose()
    # The audit keeps the count, never the names.
    from portal.audit.tables import AuditEntry

    audit = await AuditEntry.select(AuditEntry.after).where(AuditEntry.object_type == "field_log").run()
    assert audit and all("Wang Secret" not in str(a["after"]) for a in audit)


async def test_a_host_logs_help_at_their_own_point_only(client_for, area, make_user):
    client, host_id = await client_for("host")
    own = await make_point(area.community_id, host_id)
    someone_else = await make_point(area.community_id, await make_user("host"))
    page = await client.get(f"/logs/new/help?point={own}")
    assert f'<option selected value="{own}">' in page.text
    async with nothing_changes((WatchPoint, someone_else), also=(FieldLog,)):
        response = await post_form(client, "/logs/new/help", {**valid("help", area.community_id), "watch_point": str(someone_else)})
        assert response.status_code == 422 and "your own watch point" in field_error(response.text, "watch_point")
    assert await count() == 0
    data = {**valid("help", area.community_id), "watch_point": str(own)}
    data.pop("address")
    log_id = saved_id(await post_form(client, "/logs/new/help", data))
    assert (await FieldLog.select(FieldLog.watch_point).where(FieldLog.id == log_id).first().run())["watch_point"] == own
    point_page = await client.get(f"/watchpoints/{own}")
    assert f'hx-get="/logs/at/{own}"' in point_page.text  # the point's page loads the list
    listing = await client.get(f"/logs/at/{own}")
    assert listing.status_code == 200 and "Lost elderly person" in listing.text
    assert (await client.get(f"/logs/at/{someone_else}")).status_code == 403


async def test_nothing_to_report_ties_to_todays_shift_and_taps_twice_as_one(client_for, area):
    from portal.shifts.tables import Shift, ShiftKind, Signup

    client, user_id = await client_for("volunteer")
    moment = rules.now()
    kind = (await ShiftKind.insert(ShiftKind(community=area.community_id, kind="patrol", name="Evening loop", place="Market street", created_at=moment, updated_at=moment)).returning(ShiftKind.id).run())[0]["id"]
    shift = (await Shift.insert(Shift(community=area.community_id, kind=kind, starts_at=moment - dt.timedelta(hours=2), ends_at=moment - dt.timedelta(minutes=30), min_people=1, capacity=4, taken=1, created_at=moment)).returning(Shift.id).run())[0]["id"]
    await Signup.insert(Signup(shift=shift, user=user_id, status="active", queued_at=moment, updated_at=moment)).run()
    home = await client.get("/")
    assert "/logs/nothing-to-report" in home.text
    first = saved_id(await post_form(client, "/logs/nothing-to-report"))
    second = saved_id(await post_form(client, "/logs/nothing-to-report"))
    assert first == second and await count() == 1
    row = await FieldLog.select().where(FieldLog.id == first).first().run()
    assert row["nothing_to_report"] and row["shift"] == shift and row["minutes"] == 90 and row["route"] == "Market street"
    form = await client.get("/logs/new/patrol")
    assert f'<option selected value="{shift}">' in form.text


async def test_nothing_to_report_without_a_shift_logs_once_a_day(client_for, area):
    client, _ = await client_for("volunteer")
    first = saved_id(await htmx_post(client, "/logs/nothing-to-report"))
    assert first == saved_id(await post_form(client, "/logs/nothing-to-report"))
    assert await count() == 1


async def _hazard(area, author_id) -> int:
    actor = await load_actor(author_id)
    data = rules.LogData(kind="hazard", community_id=area.community_id, occurred_at=rules.now() - dt.timedelta(hours=1), category="lighting", severity="medium", description="Lamp out", address="Lane 4")
    return (await rules.create(actor, data, str(uuid.uuid4()))).log_id


async def test_hazard_lifecycle_with_re_inspection_by_someone_else(client_for, area, make_user):
    volunteer, volunteer_id = await client_for("volunteer")
    log_id = await _hazard(area, volunteer_id)
    officer, officer_id = await client_for("officer")
    assert "Confirm the hazard" in (await officer.get(f"/logs/{log_id}")).text
    assert "Confirm the hazard" not in (await volunteer.get(f"/logs/{log_id}")).text
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        assert (await post_form(volunteer, f"/logs/{log_id}/hazard", {"to": "confirmed"})).status_code == 403
    assert (await post_form(officer, f"/logs/{log_id}/hazard", {"to": "confirmed"})).status_code == 303
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        response = await post_form(officer, f"/logs/{log_id}/hazard", {"to": "rectification_requested", "rectification_by": "", "note": "Who owns the lamp?"})
        assert response.status_code == 422 and "Say who must fix it." in field_error(response.text, "rectification_by")
    due = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    assert (await post_form(officer, f"/logs/{log_id}/hazard", {"to": "rectification_requested", "rectification_by": "Property company", "rectification_due": due})).status_code == 303
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        skipped = await post_form(officer, f"/logs/{log_id}/hazard", {"to": "verified", "note": "Looks fine"})
        assert skipped.status_code == 422 and "moved on meanwhile" in skipped.text
    assert (await post_form(officer, f"/logs/{log_id}/hazard", {"to": "fixed", "note": "Lamp replaced"})).status_code == 303
    other_officer, other_id = await client_for("officer")
    assert (await post_form(other_officer, f"/logs/{log_id}/hazard", {"to": "verified"})).status_code == 303
    row = await FieldLog.select().where(FieldLog.id == log_id).first().run()
    assert row["hazard_stage"] == "verified" and row["verified_by"] == other_id and row["rectification_by"] == "Property company" and row["fixed_at"]
    page = (await volunteer.get(f"/logs/{log_id}")).text
    assert "Verified" in page and "Lamp replaced" in page and "Hazard stage changed" in page
    from portal.audit.tables import AuditEntry

    stages = await AuditEntry.select(AuditEntry.action).where((AuditEntry.object_type == "field_log") & (AuditEntry.object_id == str(log_id))).run()
    assert [s["action"] for s in stages].count("log.hazard_stage") == 4


async def test_the_reporter_may_not_re_inspect_their_own_hazard(client_for, area):
    officer, officer_id = await client_for("officer")
    log_id = await _hazard(area, officer_id)  # an officer who reported it on a walk
    actor = await load_actor(officer_id)
    await rules.transition(actor, log_id, "confirmed")
    await rules.transition(actor, log_id, "fixed")
    assert "Re-inspected: fixed" not in (await officer.get(f"/logs/{log_id}")).text
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        response = await post_form(officer, f"/logs/{log_id}/hazard", {"to": "verified", "note": "Checked it myself"})
        assert response.status_code == 422 and "Someone other than the reporter" in response.text
        with pytest.raises(rules.LogError):
            await rules.transition(actor, log_id, "reopened")
    other, _ = await client_for("officer")
    assert (await post_form(other, f"/logs/{log_id}/hazard", {"to": "reopened"})).status_code == 303
    assert (await FieldLog.select(FieldLog.hazard_stage).where(FieldLog.id == log_id).first().run())["hazard_stage"] == "reopened"


async def test_officer_of_another_community_cannot_move_a_hazard(client_for, area):
    _, volunteer_id = await client_for("volunteer")
    log_id = await _hazard(area, volunteer_id)
    outsider, _ = await client_for("officer", community_id=area.other_community_id)
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        assert (await post_form(outsider, f"/logs/{log_id}/hazard", {"to": "confirmed", "note": "Seen"})).status_code == 404


# The hazard lifecycle as it must be, written out here rather than read from
# rules.TRANSITIONS (the table under test): confirmed before anything else, fixed
# directly or after a rectification notice, and once fixed only a re-inspection, by
# someone other than the reporter, verifies it or reopens it. Verified is final.
HAZARD_LIFECYCLE = {
    "reported": {"confirmed"},
    "confirmed": {"rectification_requested", "fixed"},
    "rectification_requested": {"fixed"},
    "fixed": {"verified", "reopened"},
    "reopened": {"rectification_requested", "fixed"},
    "verified": set(),
}
RE_INSPECTIONS = {"verified", "reopened"}


@pytest.fixture
def english():
    from portal.web import i18n

    token = i18n.activate("en")
    yield
    i18n.restore(token)


async def test_every_hazard_move_of_the_lifecycle_is_taken_and_every_other_refused(area, make_user, english):
    assert set(HAZARD_LIFECYCLE) == set(HAZARD_STAGES)
    for stage, targets in HAZARD_LIFECYCLE.items():
        assert sorted(rules.TRANSITIONS[stage]) == sorted(targets), stage
    reporter = await load_actor(await make_user("officer"))  # reported it on a walk
    other = await load_actor(await make_user("officer"))
    extra = {"rectification_requested": {"rectification_by": "Property company", "rectification_due": dt.date.today() + dt.timedelta(days=5)}}

    async def at_stage(stage: str) -> int:
        log_id = await _hazard(area, reporter.id)
        await FieldLog.update({FieldLog.hazard_stage: stage}).where(FieldLog.id == log_id).run()
        return log_id

    for stage, targets in HAZARD_LIFECYCLE.items():
        log_id = await at_stage(stage)
        log = await FieldLog.select(FieldLog.kind, FieldLog.community, FieldLog.author, FieldLog.hazard_stage).where(FieldLog.id == log_id).first().run()
        assert set(rules.next_stages(other, log)) == targets and set(rules.next_stages(reporter, log)) == targets - RE_INSPECTIONS, stage
        for to in HAZARD_STAGES:
            if to in targets:
                moved = await at_stage(stage)
                await rules.transition(other, moved, to, **extra.get(to, {}))
                assert (await FieldLog.select(FieldLog.hazard_stage).where(FieldLog.id == moved).first().run())["hazard_stage"] == to
                continue
            async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
                with pytest.raises(rules.LogError, match="moved on meanwhile"):
                    await rules.transition(other, log_id, to, note="Tried anyway", **extra.get(to, {}))
        for to in targets & RE_INSPECTIONS:
            async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
                with pytest.raises(rules.LogError, match="Someone other than the reporter"):
                    await rules.transition(reporter, log_id, to, note="My own check")


async def test_the_author_answers_a_question_and_sees_it_in_my_logs(client_for, area):
    client, author_id = await client_for("volunteer")
    log_id = saved_id(await post_form(client, "/logs/new/help", valid("help", area.community_id)))
    _, officer_id = await client_for("officer")
    # The officer's side (the review queue) asks; here the question is written directly.
    await LogNote.insert(LogNote(log=log_id, author=officer_id, kind="question", text="Who was her son?", created_at=rules.now())).run()
    await FieldLog.update({FieldLog.status: "needs_info"}).where(FieldLog.id == log_id).run()
    mine = await client.get("/logs/mine")
    assert "More information asked" in mine.text and "Who was her son?" in mine.text and "Answer the officer" in mine.text
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        empty = await post_form(client, f"/logs/{log_id}/answer", {"text": ""})
        assert empty.status_code == 422 and field_error(empty.text, "text")
    assert (await post_form(client, f"/logs/{log_id}/answer", {"text": "Mr Zhang, her son"})).status_code == 303
    row = await FieldLog.select(FieldLog.status).where(FieldLog.id == log_id).first().run()
    assert row["status"] == "submitted"
    page = await client.get(f"/logs/{log_id}")
    assert "Mr Zhang, her son" in page.text and "The author answered" in page.text
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        again = await post_form(client, f"/logs/{log_id}/answer", {"text": "again"})
        assert again.status_code == 422 and "Nobody is waiting" in again.text


async def test_pending_volunteers_cannot_log(client_for, make_volunteer, area):
    from tests.conftest import http_client, log_in
    from portal.accounts.tables import User

    user_id = await make_volunteer(verified=False)
    username = (await User.select(User.username).where(User.id == user_id).first().run())["username"]
    client, _ = await client_for("officer")  # an app client to reuse the transport
    async with client.__class__(transport=client._transport, base_url="http://testserver.local") as pending:
        await log_in(pending, username)
        assert (await pending.get("/logs/new/hazard")).status_code == 403


async def test_my_logs_pages_with_a_key(client_for, area):
    client, user_id = await client_for("volunteer")
    actor = await load_actor(user_id)
    for index in range(35):
        data = rules.LogData(kind="publicity", community_id=area.community_id, occurred_at=rules.now() - dt.timedelta(hours=1), category="law", people_count=index, address="Hall")
        await rules.create(actor, data, f"page-{index}")
    first = await client.get("/logs/mine")
    assert first.text.count('class="my-log"') == 30
    after = re.search(r"/logs/mine\?after=(\d+)", first.text).group(1)
    more = await client.get(f"/logs/mine?after={after}", headers={"HX-Request": "true", "HX-Target": "my-logs-more"})
    assert more.text.count('class="my-log"') == 5 and "<html" not in more.text


async def test_officers_keep_the_landmarks_volunteers_log_at(client_for, area):
    from portal.logs.tables import Landmark

    officer, _ = await client_for("officer")
    async with nothing_changes(also=(Landmark,)):
        assert (await post_form(officer, f"/logs/landmarks/{area.community_id}", {"name_zh": "", "name_en": ""})).status_code == 422
    for _ in range(2):  # a double tap adds one
        assert (await post_form(officer, f"/logs/landmarks/{area.community_id}", {"name_zh": "菜市场北门", "name_en": "Market north gate"})).status_code == 303

    rows = await Landmark.select().where(Landmark.community == area.community_id).run()
    assert len(rows) == 1 and rows[0]["active"]
    landmark = rows[0]["id"]
    volunteer, _ = await client_for("volunteer")
    assert "Market north gate" in (await volunteer.get("/logs/new/hazard")).text
    log_id = saved_id(await post_form(volunteer, "/logs/new/hazard", {**valid("hazard", area.community_id), "landmark": str(landmark), "address": ""}))
    assert "Market north gate" in (await volunteer.get(f"/logs/{log_id}")).text
    assert (await post_form(officer, f"/logs/landmarks/{area.community_id}/{landmark}/retire")).status_code == 303
    assert "Market north gate" not in (await volunteer.get("/logs/new/hazard")).text
    async with nothing_changes((Landmark, landmark), also=(FieldLog,)):
        refused = await post_form(volunteer, "/logs/new/hazard", {**valid("hazard", area.community_id), "landmark": str(landmark)})
        assert refused.status_code == 422 and field_error(refused.text, "landmark")
    outsider, _ = await client_for("officer", community_id=area.other_community_id)
    assert (await outsider.get(f"/logs/landmarks/{area.community_id}")).status_code == 403
    async with nothing_changes((Landmark, landmark)):
        assert (await post_form(outsider, f"/logs/landmarks/{area.other_community_id}/{landmark}/restore")).status_code == 404
        assert (await post_form(outsider, f"/logs/landmarks/{area.community_id}/{landmark}/restore")).status_code == 403
        assert (await post_form(outsider, f"/logs/landmarks/{area.community_id}", {"name_zh": "外来地标", "name_en": "Outsider's mark"})).status_code == 403


async def test_photos_are_removed_when_the_log_cannot_be_written(area, make_user, tmp_path):
    from portal.uploads import DiskStorage, process_image

    admin = await load_actor(await make_user("admin"))
    data = rules.LogData(kind="hazard", community_id=999_999, occurred_at=rules.now() - dt.timedelta(hours=1), category="gas", severity="high", description="?", address="?")
    with pytest.raises(Exception):  # no such community: the foreign key refuses the row
        await rules.create(admin, data, str(uuid.uuid4()), [process_image(jpeg_with_gps())], DiskStorage(tmp_path))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert await count() == 0
