"""Every GET route walked as every role over seeded data of two communities.

Third parties' personal data (mediation parties, the people who raised ledger items,
contact details left with a public intake) carries a distinctive marker per community;
a marker may appear only for that community's officers, the head of its station and the
admin: in pages, exports (XLSX unzipped), feeds, Open311, notifications and the log output.
The same walk checks the security headers of every answer.
"""

import datetime as dt
import email
import email.policy
import io
import logging
import re
import uuid
import zipfile

import pytest

from tests.bulletin_data import DUE, WEEK, age_communities, local
from tests.conftest import http_client, log_in
from tests.test_notifications_routes import smtp_server  # noqa: F401 - the real SMTP server fixture
from tests.test_route_guards import _bulletin_objects, _log_objects, _public_objects, _shift_objects, app_routes, fill

# Viewers: (username, role, which community's markers they may see).
VIEWERS = (
    ("anonymous", None, set()),
    ("vol-a", "volunteer", set()),
    ("host-a", "host", set()),
    ("officer-a", "officer", {"a"}),
    ("officer-b", "officer", set()),  # same station, another community
    ("head-1", "head", {"a"}),
    ("officer-c", "officer", {"c"}),
    ("head-2", "head", {"c"}),
    ("vol-c", "volunteer", set()),
    ("admin", "admin", {"a", "c"}),
)


def markers(code: str) -> list[str]:
    return [f"MKPARTY{code}Q", f"MKPCONTACT{code}Q", f"MKRAISER{code}Q", "13911770055" if code == "a" else "13933770055", f"mkmail{code}q@example.org", f"MKINTAKE{code}Q", f"MKINTAKEPHONE{code}Q", f"MKCARE{code}Q", f"MKCAREADDR{code}Q", f"MKCARENOTE{code}Q"]


def found_markers(text: str) -> set[str]:
    return {code for code in ("a", "c") if any(marker in text for marker in markers(code))}


def body_text(response) -> str:
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind or response.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist() if name.endswith(".xml"))
    return response.content.decode("utf-8", "replace")


async def _seed_community(app, community_id: int, code: str, author_id: int) -> dict:
    """A mediation with a party, a ledger item raised by a named person and a public
    intake with contact details (filed to the ledger too)."""
    from portal.accounts.rules import load_actor
    from portal.ledger.rules import NewItem, file_from_intake, file_item
    from portal.logs import rules as logs
    from portal.public.rules import create_intake
    from portal.public.tables import Intake

    names = markers(code)
    # In the week the bulletins are compiled for, so that they count it.
    data = logs.LogData(kind="mediation", community_id=community_id, occurred_at=local(18, 10), category=logs.CATEGORIES["mediation"][0], outcome=logs.OUTCOMES[0], description="Two neighbours", parties=[(names[0], names[1])])
    log = await logs.create(await load_actor(author_id), data, str(uuid.uuid4()), moment=DUE)
    item = await file_item(None, NewItem(ledger="complaint", category="noise", community_id=community_id, summary="Noise at night", raised_by_name=names[2], raised_by_phone=names[3], raised_by_email=names[4]))
    tracking = await create_intake(kind="suggestion", community_id=community_id, point_id=None, text="More lights", contact_name=names[5], contact_phone=names[6], language="en", idempotency_key=str(uuid.uuid4()))
    intake = (await Intake.select(Intake.id).where(Intake.tracking_code == tracking).first().run())["id"]
    filed = await file_from_intake(intake)
    # A person on the community's care register (nobody of the walk asked to visit) and a visit.
    from portal.care.tables import CarePerson, CareVisit

    moment = DUE - dt.timedelta(days=2)
    person = CarePerson(community=community_id, name=names[7], address=names[8], needs="Lives alone", contact_name=names[0], contact_phone=names[3],
                        consent_on=moment.date(), next_due_on=moment.date(), next_due_at=moment, created_at=moment, updated_at=moment)
    care = (await CarePerson.insert(person).returning(CarePerson.id).run())[0]["id"]
    visit = CareVisit(person=care, community=community_id, visited_on=moment.date(), outcome="needs_help", note=names[9], idempotency_key=str(uuid.uuid4()), created_at=moment)
    care_visit = (await CareVisit.insert(visit).returning(CareVisit.id).run())[0]["id"]
    return {"log": log.log_id, "item": item["id"], "intake": intake, "filed": filed["id"], "tracking": tracking, "care": care, "care_visit": care_visit}


@pytest.fixture
async def seeded(app, area, make_user, make_volunteer):
    users = {}
    for name, role, _ in VIEWERS[1:]:
        community = {"a": area.community_id, "b": area.other_community_id, "c": area.other_station_community_id}.get(name[-1])
        station = area.other_station_id if name == "head-2" else None
        if role == "volunteer":
            users[name] = await make_volunteer(username=name, community_id=community)
        else:
            users[name] = await make_user(role, username=name, community_id=community, station_id=station)
    target = await make_volunteer(username="target")
    objects = {
        "a": await _seed_community(app, area.community_id, "a", users["vol-a"]),
        "c": await _seed_community(app, area.other_station_community_id, "c", users["vol-c"]),
    }
    common = {
        **{f"public_{k}": v for k, v in (await _public_objects(area.community_id, users["host-a"])).items()},
        **{f"shift_{k}": v for k, v in (await _shift_objects(area.community_id, target)).items()},
        **{f"log_{k}": v for k, v in (await _log_objects(app, area.community_id, target)).items()},
        **{f"bulletin_{k}": v for k, v in (await _bulletin_objects(area)).items()},
    }
    await publish_bulletins(area, users["admin"])
    return users, objects, common, target


async def publish_bulletins(area, admin_id: int) -> None:
    """The week's bulletins of both communities published (the pages, feeds and text)."""
    from portal.accounts.rules import load_actor
    from portal.bulletins import rules
    from portal.bulletins.tables import Bulletin

    await age_communities(area.other_station_community_id)
    await rules.compile_week(WEEK, [area.other_station_community_id], now=DUE)
    admin = await load_actor(admin_id)
    for community in (area.community_id, area.other_station_community_id):
        found = await Bulletin.select(Bulletin.id).where((Bulletin.scope_key == rules.community_key(community)) & (Bulletin.status == "draft")).first().run()
        await rules.publish(admin, found["id"], now=DUE + dt.timedelta(hours=1))


def path_ids(area, objects: dict, common: dict, code: str, target: int) -> dict:
    mine = objects[code]
    community = area.community_id if code == "a" else area.other_station_community_id
    return {
        "user_id": target, "grant_id": 0, "profile_id": 0, "notification_id": 0, "community_id": community,
        "shift_id": common["shift_shift"], "kind_id": common["shift_kind"], "template_id": common["shift_template"],
        "signup_id": common["shift_signup"], "token": "not-a-token", "point_id": common["public_point"],
        "care_person_id": mine["care"], "care_visit_id": mine["care_visit"],
        "slug": common["public_slug"], "intake_id": mine["intake"], "code": code, "kind": "suggestion", "slot_id": 0,
        "log_id": mine["log"], "photo_id": common["log_photo"], "log_kind": "mediation", "landmark_id": common["log_landmark"],
        "mediation_id": mine["log"], "hazard_id": 0, "rectification_id": 0, "report_id": 0, "rectify_token": "none",
        "item_id": mine["item"], "station_id": 1, "day": "2030-10-01", "service_file": "complaint-noise.xml",
        "request_file": "none.json", "token_file": "none.xml", "path": "openapi.json", "key_id": 0,
        "session_id": 0, "representative_id": 0, "resolution_id": 0,
        "pairing_id": 0, "contact_id": 0,
        "bulletin_id": common["bulletin_bulletin"], "tip_id": common["bulletin_tip"], "week": "2026-W47", "level": "community", "board_id": 0, "import_kind": "volunteers", "file_name": "example-zh.xlsx", "district_code": "district-1", "city_code": "test-city", "visit_id": 0, "room_id": 0, "room_slug": "none", "phrase_id": 0, "answer_template_id": 0, "view_id": 0, "notice_id": 0,
    }


EXTRA_GETS = ("/review?kind=mediation", "/ledger?state=all", "/open311/v2/requests.json?status=open", "/open311/v2/requests.xml")


def check_headers(path: str, response, signed_in: bool) -> list[str]:
    problems = []
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    for needed in ("default-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"):
        if needed not in csp:
            problems.append(f"{path}: CSP lacks {needed}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"{path}: CSP allows unsafe-inline/eval")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append(f"{path}: no nosniff")
    if headers.get("content-type", "").lower().count("charset") > 1:
        problems.append(f"{path}: charset named twice ({headers.get('content-type')})")
    if headers.get("referrer-policy") not in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}:
        problems.append(f"{path}: referrer policy {headers.get('referrer-policy')}")
    # The reception phrasebook (service scripts, no personal data) is kept by the browser
    # for a day on purpose, so that it opens without signal.
    kept = re.fullmatch(r"/reception/phrasebook/\d+", path) and response.status_code == 200 and headers.get("cache-control") == "private, max-age=86400"
    if signed_in and not kept and "no-store" not in headers.get("cache-control", ""):
        problems.append(f"{path}: a signed-in answer may be cached ({headers.get('cache-control')})")
    for cookie in headers.get_list("set-cookie"):
        lowered = cookie.lower()
        if "httponly" not in lowered or "samesite=lax" not in lowered and "samesite=strict" not in lowered:
            problems.append(f"{path}: cookie without HttpOnly/SameSite: {cookie.split('=')[0]}")
    return problems


async def test_no_third_party_data_outside_its_community_and_headers_everywhere(app, area, seeded, caplog):
    caplog.set_level(logging.DEBUG)
    users, objects, common, target = seeded
    routes = sorted(path for method, path in app_routes(app) if method == "GET")
    leaks, header_problems, seen = [], [], {"a": 0, "c": 0}
    for name, role, allowed in VIEWERS:
        async with http_client(app) as client:
            if role:
                await log_in(client, name)
            for code in ("a", "c"):
                ids = path_ids(area, objects, common, code, target)
                ids["station_id"] = area.station_id if code == "a" else area.other_station_id
                paths = [fill(template, ids) for template in routes] + list(EXTRA_GETS) + [f"/track/{objects[code]['tracking']}", f"/ledger/{objects[code]['filed']}"]
                for path in paths:
                    response = await client.get(path, follow_redirects=False)
                    assert response.status_code < 500, f"{name} GET {path}: {response.status_code}"
                    header_problems += check_headers(path, response, signed_in=role is not None)
                    shown = found_markers(body_text(response))
                    for leaked in shown - allowed:
                        leaks.append(f"{name} sees community {leaked}'s personal data at {path}")
                    for code_seen in shown:
                        seen[code_seen] += 1
    assert leaks == []
    assert sorted(set(header_problems)) == []
    # The walk can fail: the people allowed do see the markers somewhere, and the
    # published bulletins were there to read.
    assert seen["a"] and seen["c"]
    async with http_client(app) as client:
        for code in ("a", "c"):
            assert (await client.get(f"/c/{code}/bulletins/{WEEK}")).status_code == 200
            assert "<entry>" in (await client.get(f"/c/{code}/bulletins.atom")).text
    from portal.notifications.tables import Notification

    allowed_ids = {users[name]: allowed for name, _, allowed in VIEWERS if name in users}
    for note in await Notification.select().run():
        shown = found_markers(f"{note['subject']} {note['body']}")
        assert shown <= allowed_ids.get(note["user"], set()), note
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert found_markers(logged) == set(), "personal data in the log output"


def test_templates_have_no_inline_script_style_or_handlers():
    """The CSP allows no inline code: everything lives in static files."""
    import re

    from portal.settings import ROOT

    pattern = re.compile(r"<style|<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}: {match.group(0)}" for path in (ROOT / "templates").rglob("*.html") for match in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


async def test_cookies_are_secure_when_the_public_address_is_https(settings, database):
    from dataclasses import replace

    from portal.app import create_app

    app = create_app(replace(settings, https=False, public_url="https://portal.example.org"))
    async with http_client(app) as client:
        response = await client.get("/login")
    cookies = response.headers.get_list("set-cookie")
    assert cookies and all("Secure" in cookie and "HttpOnly" in cookie for cookie in cookies)
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_bulletin_mails_carry_no_third_party_data(area, seeded, smtp_server):
    from portal.bulletins import rules
    from portal.settings import load_settings

    port, received = smtp_server
    mail_settings = load_settings({}, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="Shouwang <noreply@example.org>", public_url="http://portal.test")
    for community in (area.community_id, area.other_station_community_id):
        for language in ("zh_CN", "en"):
            subscriber, _ = await rules.subscribe(f"{language}-{community}@example.org", community, language, now=DUE)
            await rules.confirm(subscriber["confirm_token"], now=DUE)
    assert await rules.mail_published(mail_settings, now=DUE + dt.timedelta(hours=2)) == 4
    assert len(received) == 4
    for envelope in received:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = str(message["subject"]) + "".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")
        assert "Community" in text or "社区" in text  # decoded, not base64
        assert found_markers(text) == set()
