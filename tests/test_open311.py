"""Open311 GeoReport v2 (and FixMyStreet's servicerequestupdates) over the public
ledgers: every endpoint in XML and JSON checked against the spec's element names and
formats, its errors, the filters and limits, POST with API keys, privacy, the OpenAPI
description."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
import xml.etree.ElementTree as ET

import pytest

from portal.accounts.rules import load_actor, now
from portal.app import create_app
from portal.audit.tables import AuditEntry
from portal.ledger import rules as ledger
from portal.ledger.tables import LedgerItem
from portal.open311 import rules
from portal.open311.tables import ApiKey
from portal.stations.tables import Community
from tests.conftest import csrf_token, ensure_csrf, http_client

BASE = "/open311/v2"
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
    "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id",
]
MARKERS = ("PRIVNAME", "PRIVPHONE13800", "priv@example.org", "PRIVSUMMARY", "PRIVDETAILS", "PRIVLANDMARK", "PRIVHANDLED", "PRIVFEEDBACK", "PRIVSECRET", "PRIVATEITEM")


def xml_of(response) -> ET.Element:
    """Parses (so the document is well-formed) and checks the spec's declaration and type."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def json_of(response):
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def xml_errors(response, status: int) -> list[str]:
    assert response.status_code == status
    root = xml_of(response)
    assert root.tag == "errors" and len(root) >= 1
    for error in root:
        assert error.tag == "error" and [child.tag for child in error] == ["code", "description"]
        assert error.findtext("code") == str(status) and error.findtext("description")
    return [error.findtext("description") for error in root]


def json_errors(response, status: int) -> list[str]:
    assert response.status_code == status
    body = json_of(response)
    assert isinstance(body, list) and body
    for error in body:
        assert set(error) == {"code", "description"} and error["code"] == status and error["description"]
    return [error["description"] for error in body]


def errors(response, status: int) -> list[str]:
    return json_errors(response, status) if response.headers["content-type"].startswith("application/json") else xml_errors(response, status)


async def officer_of(make_user, community_id=None) -> object:
    return await load_actor(await make_user("officer", username=f"o{uuid.uuid4().hex[:8]}", community_id=community_id))


async def file(area, *, ledger_name="complaint", category="noise", public_summary="Loud music at night", place_public="Near the east gate", at=None, community_id=None, officer=None, **contact) -> dict:
    """A public item with contact data (personal) and a public summary and place."""
    made = await ledger.file_item(
        None,
        ledger.NewItem(
            ledger=ledger_name, category=category, community_id=community_id or area.community_id,
            summary=contact.pop("summary", "Noise"), details=contact.pop("details", ""), landmark=contact.pop("landmark", ""),
            source="public", **contact,
        ),
        at=at,
    )
    await LedgerItem.update({LedgerItem.public_summary: public_summary, LedgerItem.place_public: place_public}).where(LedgerItem.id == made["id"]).run()
    return made


async def insert_many(area, count: int, at: dt.datetime) -> None:
    """``count`` public items, one second apart, written directly (fast)."""
    rows = []
    for i in range(count):
        moment = at - dt.timedelta(seconds=i)
        rows.append(LedgerItem(
            ledger="suggestion", category="traffic", station=area.station_id, community=area.community_id, summary="s",
            year=moment.year, seq=100000 + i, number=f"BULK-{i:06d}", tracking_code=f"BULK{i:012d}"[:16], stage="registered",
            stage_entered_at=moment, created_at=moment, updated_at=moment,
        ))
    for start in range(0, count, 100):
        await LedgerItem.insert(*rows[start : start + 100]).run()


async def issue_key(client, name="Residents' app", community_id: int | None = None) -> str:
    """An admin issues a key through the page; the key is read from the answer."""
    token = await ensure_csrf(client)
    response = await client.post("/admin/open311-keys/", data={"_csrf_token": token, "name": name, "community": str(community_id or 0)})
    assert response.status_code == 200, response.text
    found = re.search(r"<code>(o311_[A-Za-z0-9_-]+)</code>", response.text)
    assert found, "the new key is shown once"
    return found.group(1)


@pytest.fixture
async def admin(client_for):
    client, _ = await client_for("admin")
    yield client
    await client.aclose()


# --- Discovery, services, definitions ------------------------------------------------


async def test_discovery_in_both_formats(client):
    root = xml_of(await client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url").endswith("/open311/v2") and endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert W3C.match(root.findtext("changeset"))
    body = json_of(await client.get(f"{BASE}/discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]


async def test_services_one_per_ledger_and_category(client):
    expected = {f"{name}-{category}" for name, categories in ledger.CATEGORIES.items() for category in categories}
    root = xml_of(await client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and {s.tag for s in root} == {"service"}
    assert {s.findtext("service_code") for s in root} == expected
    for service in root:
        assert [c.tag for c in service] == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
        assert service.findtext("metadata") == "false" and service.findtext("type") == "realtime"
    body = json_of(await client.get(f"{BASE}/services.json"))
    assert {s["service_code"] for s in body} == expected
    noise = next(s for s in body if s["service_code"] == "complaint-noise")
    assert noise["metadata"] is False and noise["group"] == "Complaints and reports" and "Noise" in noise["service_name"]
    chinese = json_of(await client.get(f"{BASE}/services.json", headers={"accept-language": "zh-CN"}))
    assert next(s for s in chinese if s["service_code"] == "complaint-noise")["service_name"] != noise["service_name"]


async def test_service_definition_and_its_errors(client):
    root = xml_of(await client.get(f"{BASE}/services/complaint-noise.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "complaint-noise"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0
    assert json_of(await client.get(f"{BASE}/services/claim-help.json")) == {"service_code": "claim-help", "attributes": []}
    assert "complaint-nope" in xml_errors(await client.get(f"{BASE}/services/complaint-nope.xml"), 404)[0]
    json_errors(await client.get(f"{BASE}/services/complaint-nope.json"), 404)
    xml_errors(await client.get(f"{BASE}/services/complaint-noise.html"), 404)
    xml_errors(await client.get(f"{BASE}/services/complaint-noise"), 404)


# --- GET requests --------------------------------------------------------------------


async def test_request_fields_and_formats(client, area, make_user):
    officer = await officer_of(make_user)
    made = await file(area)
    await ledger.transition(made["id"], "assigned", officer, officer_id=officer.id)
    closed = await file(area, ledger_name="suggestion", category="traffic", public_summary="Referred elsewhere", place_public="")
    await ledger.transition(closed["id"], "closed_out_of_remit", officer, referred_to="Street office")
    # As an item closed before the public summary was required: no public text at all.
    await LedgerItem.update({LedgerItem.public_summary: ""}).where(LedgerItem.id == closed["id"]).run()

    body = json_of(await client.get(f"{BASE}/requests.json"))
    assert [r["service_request_id"] for r in body] == [closed["number"], made["number"]]  # newest first
    for request in body:
        assert list(request) == REQUEST_FIELDS
        assert W3C.match(request["requested_datetime"]) and W3C.match(request["updated_datetime"])
        assert request["requested_datetime"].endswith("+08:00")  # the community's offset
        assert request["agency_responsible"] == "城中派出所 EN" and request["address_id"] == "a"
    open_one, closed_one = body[1], body[0]
    assert open_one["status"] == "open" and open_one["status_notes"] == "Assigned" and open_one["service_code"] == "complaint-noise"
    assert W3C.match(open_one["expected_datetime"]) and open_one["description"] == "Loud music at night"
    assert open_one["address"] == "Near the east gate, Community A"
    assert closed_one["status"] == "closed" and closed_one["expected_datetime"] is None and closed_one["description"] is None
    assert closed_one["status_notes"] == "Closed: outside police remit" and closed_one["address"] == "Community A"
    assert "Street office" not in json.dumps(body)  # where it went stays on the item and tracking pages, as on the public ledger

    root = xml_of(await client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request", "request"]
    assert [c.tag for c in root[1]] == REQUEST_FIELDS
    assert root[1].findtext("service_request_id") == made["number"] and root[1].findtext("status") == "open"
    assert root[0].findtext("expected_datetime") == ""  # the spec's empty element, as in its example

    one = xml_of(await client.get(f"{BASE}/requests/{made['number']}.xml"))
    assert one.tag == "service_requests" and one[0].findtext("service_request_id") == made["number"]
    assert json_of(await client.get(f"{BASE}/requests/{made['number']}.json")) == [open_one]
    xml_errors(await client.get(f"{BASE}/requests/CZ-1999-000001.xml"), 404)
    json_errors(await client.get(f"{BASE}/requests/CZ-1999-000001.json"), 404)


async def test_filters(client, area, make_user):
    officer = await officer_of(make_user)
    moment = now()
    old = await file(area, at=moment - dt.timedelta(days=100))
    noise = await file(area, at=moment - dt.timedelta(days=10))
    theft = await file(area, category="theft", at=moment - dt.timedelta(days=5))
    done = await file(area, ledger_name="claim", category="help", at=moment - dt.timedelta(days=1))
    await ledger.transition(done["id"], "closed_duplicate", officer, duplicate_of=noise["number"])

    async def ids(query: str) -> list[str]:
        return [r["service_request_id"] for r in json_of(await client.get(f"{BASE}/requests.json?{query}"))]

    assert await ids("") == [done["number"], theft["number"], noise["number"]]  # the last 90 days
    assert await ids("service_code=complaint-noise,complaint-theft") == [theft["number"], noise["number"]]
    assert await ids("status=closed") == [done["number"]]
    assert await ids("status=open") == [theft["number"], noise["number"]]
    assert await ids("status=open,closed") == await ids("")
    # An empty optional parameter is the same as none (the spec's "Optional Arguments").
    assert await ids("status=&service_code=&start_date=&end_date=&page=&page_size=&jurisdiction_id=") == await ids("")
    start = (moment - dt.timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (moment - dt.timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await ids(f"start_date={start}&end_date={end}") == [old["number"]]
    assert await ids(f"start_date={start}") == [old["number"]]  # 90 days from start_date
    local = (moment - dt.timedelta(days=7)).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert await ids(f"start_date={local.replace('+', '%2B')}") == [done["number"], theft["number"]]
    assert await ids(f"start_date={local}") == [done["number"], theft["number"]]  # "+" sent unencoded arrives as a space
    # service_request_id overrides every other filter, the 90-day window included.
    assert await ids(f"service_request_id={old['number']},{theft['number']}&status=closed") == [theft["number"], old["number"]]
    assert await ids("service_request_id=NOPE-1") == []


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("start_date=yesterday", "W3C"),
        ("start_date=2026-13-01T00:00:00Z", "W3C"),
        ("start_date=2026-01-01T00:00:00", "W3C"),  # no time zone
        ("end_date=2026-02-30", "W3C date-time"),  # no such day: outside the documented pattern
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "90 days"),
        ("start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "before"),
        ("status=pending", "status"),
        ("page_size=1001", "page_size"),
        ("page_size=0", "page_size"),
        ("page=abc", "page"),
        ("page=1001", "page"),
        ("service_request_id=" + ",".join(["X"] * 1001), "1000"),
        ("start_date=" + "9" * 50, "W3C"),
    ],
)
async def test_malformed_parameters_are_400_in_the_spec_format(client, area, query, words):
    for fmt in ("xml", "json"):
        descriptions = errors(await client.get(f"{BASE}/requests.{fmt}?{query}"), 400)
        assert words in " ".join(descriptions)
    assert errors(await client.get(f"{BASE}/servicerequestupdates.xml?start_date=x"), 400)


async def test_unknown_service_code_is_not_found(client, area):
    """As for POST and the definitions: the code names a resource that does not exist."""
    assert "complaint-nope" in xml_errors(await client.get(f"{BASE}/requests.xml?service_code=complaint-noise,complaint-nope"), 404)[0]
    json_errors(await client.get(f"{BASE}/requests.json?service_code=complaint-nope"), 404)


async def test_jurisdiction(client, area, settings):
    """The jurisdiction is the public address's host: PORTAL_PUBLIC_URL's, else the one served."""
    assert (await client.get(f"{BASE}/requests.json?jurisdiction_id=testserver.local")).status_code == 200
    app = create_app(dataclasses.replace(settings, public_url="https://shouwang.example.org"))
    async with http_client(app) as public:
        assert (await public.get(f"{BASE}/requests.json?jurisdiction_id=shouwang.example.org")).status_code == 200
        json_errors(await public.get(f"{BASE}/requests.json?jurisdiction_id=testserver.local"), 404)
    json_errors(await client.get(f"{BASE}/requests.json?jurisdiction_id=city.gov"), 404)
    xml_errors(await client.get(f"{BASE}/services.xml?jurisdiction_id=city.gov"), 404)


async def test_default_limit_of_1000_and_pages(client, area):
    await insert_many(area, 1005, now() - dt.timedelta(minutes=1))
    first = json_of(await client.get(f"{BASE}/requests.json"))
    assert len(first) == 1000 and first[0]["service_request_id"] == "BULK-000000"
    assert len(xml_of(await client.get(f"{BASE}/requests.xml"))) == 1000
    second = json_of(await client.get(f"{BASE}/requests.json?page=2"))
    assert [r["service_request_id"] for r in second] == [f"BULK-{i:06d}" for i in range(1000, 1005)]
    small = json_of(await client.get(f"{BASE}/requests.json?page=3&page_size=10"))
    assert [r["service_request_id"] for r in small] == [f"BULK-{i:06d}" for i in range(20, 30)]


# --- Privacy -------------------------------------------------------------------------


async def test_no_personal_data_or_private_item_leaves(client, area, make_user, admin):
    officer = await officer_of(make_user)
    item = await file(
        area, raised_by_name="PRIVNAME Zhang", raised_by_phone="PRIVPHONE13800", raised_by_email="priv@example.org",
        summary="PRIVSUMMARY text", details="PRIVDETAILS text", landmark="PRIVLANDMARK Building 3",
    )
    await ledger.transition(item["id"], "assigned", officer, officer_id=officer.id)
    await ledger.transition(item["id"], "in_progress", officer, "PRIVSECRET internal")
    await ledger.transition(item["id"], "handled", officer, "PRIVHANDLED spoke to the neighbour")
    await ledger.transition(item["id"], "feedback_given", officer, "PRIVFEEDBACK Dear Mr Zhang")
    await ledger.answer_from_tracking(item["tracking_code"], True, "PRIVSECRET thanks", None)
    hidden = await file(area, public_summary="PRIVATEITEM summary", place_public="PRIVATEITEM place")
    await ledger.set_private(officer, hidden["id"], True, "PRIVSECRET names a person")
    key = await issue_key(admin, community_id=area.community_id)
    posted = await client.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "claim-help", "description": "PRIVSUMMARY posted", "address_string": "PRIVLANDMARK gate",
        "first_name": "PRIVNAME", "last_name": "Li", "phone": "PRIVPHONE13800", "email": "priv@example.org", "lat": "34.26", "long": "108.94",
    })
    number = json_of(posted)[0]["service_request_id"]

    pages = []
    for fmt in ("xml", "json"):
        for path in ("requests", "servicerequestupdates"):
            pages.append(await client.get(f"{BASE}/{path}.{fmt}"))
        pages.append(await client.get(f"{BASE}/requests.{fmt}?service_request_id={item['number']},{hidden['number']},{number}"))
        for each in (item["number"], number):
            pages.append(await client.get(f"{BASE}/requests/{each}.{fmt}"))
        hidden_one = await client.get(f"{BASE}/requests/{hidden['number']}.{fmt}")
        assert errors(hidden_one, 404)  # a private item is answered like a missing one
    listed = json_of(await client.get(f"{BASE}/requests.json"))
    assert {r["service_request_id"] for r in listed} == {item["number"], number}
    for page in pages:
        assert page.status_code == 200
        text = page.content.decode("utf-8")
        for marker in MARKERS:
            assert marker not in text, (marker, page.url)
        assert "34.26" not in text and item["tracking_code"] not in text
    # The item page on the public ledger stays the ledger's business; the API showed the same public fields.
    updates = json_of(await client.get(f"{BASE}/servicerequestupdates.json"))
    assert {u["service_request_id"] for u in updates} == {item["number"], number}


# --- POST ----------------------------------------------------------------------------


async def test_post_files_a_public_item_visible_on_the_ledger(client, area, admin, client_for):
    key = await issue_key(admin)
    before = await AuditEntry.count().run()
    response = await client.post(f"{BASE}/requests.xml", data={
        "api_key": key, "service_code": "complaint-noise", "description": "Karaoke until 2am\nevery Friday", "address_id": "a",
        "address_string": "Building 3, Xiguan Road", "first_name": "Ming", "last_name": "Li", "phone": "13800000000", "email": "li@example.org",
        "attribute[ignored]": "1",
    })
    assert response.status_code == 200
    root = xml_of(response)
    assert root.tag == "service_requests" and [c.tag for c in root[0]] == ["service_request_id", "service_notice", "account_id"]
    number = root[0].findtext("service_request_id")
    item = await LedgerItem.select().where(LedgerItem.number == number).first().run()
    assert item["ledger"] == "complaint" and item["category"] == "noise" and item["community"] == area.community_id
    assert item["summary"] == "Karaoke until 2am\nevery Friday" and item["landmark"] == "Building 3, Xiguan Road"
    assert (item["raised_by_name"], item["raised_by_phone"], item["raised_by_email"]) == ("Ming Li", "13800000000", "li@example.org")
    assert item["source"] == "public" and item["private"] is False and item["stage"] == "registered"
    assert f"/track/{item['tracking_code']}" in root[0].findtext("service_notice")  # for the person, to say whether satisfied
    assert await AuditEntry.count().run() > before
    assert await AuditEntry.exists().where((AuditEntry.action == "open311.request_created") & (AuditEntry.object_id == str(item["id"]))).run()
    # On the ledger: the officers' list, the public ledger page and the API.
    officer, _ = await client_for("officer")
    assert number in (await officer.get("/ledger")).text
    await officer.aclose()
    assert number in (await client.get("/c/a/ledger")).text
    assert json_of(await client.get(f"{BASE}/requests/{number}.json"))[0]["status"] == "open"
    # JSON answers the same way; the key's community is used without address_id.
    key_a = await issue_key(admin, community_id=area.other_community_id)
    created = json_of(await client.post(f"{BASE}/requests.json", data={"api_key": key_a, "service_code": "suggestion-traffic", "description": "A crossing", "lat": "34.2", "long": "108.9"}))
    assert list(created[0]) == ["service_request_id", "service_notice", "account_id"] and created[0]["account_id"] is None
    other = await LedgerItem.select(LedgerItem.community, LedgerItem.anonymous, LedgerItem.details).where(LedgerItem.number == created[0]["service_request_id"]).first().run()
    assert other["community"] == area.other_community_id and other["anonymous"] is True and "lat 34.200000" in other["details"]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "o311_not-a-key"}, 403, "api_key"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "complaint-nope"}, 404, "complaint-nope"),
        ({"description": ""}, 400, "description"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"first_name": "x" * 101}, 400, "first_name"),
        ({"first_name": "x" * 60, "last_name": "y" * 60}, 400, "first_name"),
        ({"phone": "1" * 33}, 400, "phone"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"address_id": "", "address_string": ""}, 400, "location"),
        ({"address_id": "", "lat": "91", "long": "0"}, 400, "lat"),
        ({"address_id": "", "lat": "nan", "long": "0"}, 400, "lat"),
        ({"address_id": "", "lat": "34"}, 400, "together"),
        ({"address_id": "nowhere"}, 400, "address_id"),
        ({"address_id": "", "address_string": "Gate 2"}, 400, "address_id"),  # the key has no community
        ({"address_string": "x" * 201}, 400, "address_string"),
        ({"jurisdiction_id": "city.gov"}, 404, "jurisdiction_id"),
    ],
)
async def test_post_refusals_change_nothing(client, area, admin, fields, status, words):
    key = await issue_key(admin)
    data = {"api_key": key, "service_code": "complaint-noise", "description": "Noise", "address_id": "a", **fields}
    for fmt in ("xml", "json"):
        response = await client.post(f"{BASE}/requests.{fmt}", data=data)
        assert words in " ".join(errors(response, status))
    assert await LedgerItem.count().run() == 0


async def test_revoked_key_is_refused(client, area, admin):
    key = await issue_key(admin)
    data = {"api_key": key, "service_code": "complaint-noise", "description": "Noise", "address_id": "a"}
    assert (await client.post(f"{BASE}/requests.json", data=data)).status_code == 200
    key_id = (await ApiKey.select(ApiKey.id).first().run())["id"]
    revoked = await admin.post(f"/admin/open311-keys/{key_id}/revoke", data={"_csrf_token": csrf_token(admin)}, follow_redirects=False)
    assert revoked.status_code == 303
    assert "api_key" in " ".join(xml_errors(await client.post(f"{BASE}/requests.xml", data=data), 403))
    assert await LedgerItem.count().run() == 1
    assert await AuditEntry.exists().where(AuditEntry.action == "open311.key_revoked").run()


async def test_post_is_rate_limited_per_key_and_per_address(client, area, admin, monkeypatch):
    key = await issue_key(admin)
    data = {"api_key": key, "service_code": "complaint-noise", "description": "Noise", "address_id": "a"}
    monkeypatch.setattr(rules, "POST_PER_KEY", (2, dt.timedelta(hours=1)))
    assert [(await client.post(f"{BASE}/requests.json", data=data)).status_code for _ in range(2)] == [200, 200]
    assert "api_key" in " ".join(json_errors(await client.post(f"{BASE}/requests.json", data=data), 429))
    monkeypatch.setattr(rules, "POST_PER_ADDRESS", (3, dt.timedelta(minutes=15)))
    other = await issue_key(admin, name="Second app")
    assert "address" in " ".join(xml_errors(await client.post(f"{BASE}/requests.xml", data={**data, "api_key": other}), 429))
    assert await LedgerItem.count().run() == 2


async def test_api_needs_no_csrf_but_the_key_page_does(client_for, area, admin):
    """The API is authorised by its key, not by cookies: a logged-in browser without a
    CSRF token gets the API's own answer, while the admin form still needs the token."""
    officer, _ = await client_for("officer")
    response = await officer.post(f"{BASE}/requests.json", data={"service_code": "complaint-noise"})
    assert json_errors(response, 403)
    await officer.aclose()
    refused = await admin.post("/admin/open311-keys/", data={"name": "No token"})
    assert refused.status_code == 403 and await ApiKey.count().run() == 0


async def test_keys_are_stored_hashed_and_shown_once(admin, area):
    issued = await admin.post("/admin/open311-keys/", data={"_csrf_token": await ensure_csrf(admin), "name": "Hotline bridge", "community": "0"})
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    key = re.search(r"<code>(o311_[A-Za-z0-9_-]+)</code>", issued.text).group(1)
    row = await ApiKey.select().first().run()
    assert key not in json.dumps(row, default=str) and row["key_hash"] != key and row["prefix"] == key[:12]
    page = await admin.get("/admin/open311-keys/")
    assert page.status_code == 200 and "Hotline bridge" in page.text and key not in page.text and key[:12] in page.text
    assert await AuditEntry.exists().where(AuditEntry.action == "open311.key_issued").run()
    empty = await admin.post("/admin/open311-keys/", data={"_csrf_token": csrf_token(admin), "name": " "})
    assert empty.status_code == 422 and await ApiKey.count().run() == 1
    assert (await admin.post("/admin/open311-keys/999999/revoke", data={"_csrf_token": csrf_token(admin)})).status_code == 404


async def test_tokens_are_not_found_in_the_spec_format(client):
    assert "token" in xml_errors(await client.get(f"{BASE}/tokens/12345.xml"), 404)[0]
    json_errors(await client.get(f"{BASE}/tokens/12345.json"), 404)


# --- servicerequestupdates -----------------------------------------------------------


async def test_service_request_updates(client, area, make_user):
    officer = await officer_of(make_user)
    item = await file(area)
    await ledger.transition(item["id"], "assigned", officer, officer_id=officer.id)
    await ledger.transition(item["id"], "in_progress", officer)
    await ledger.transition(item["id"], "handled", officer, "PRIVHANDLED")
    await ledger.transition(item["id"], "feedback_given", officer, "PRIVFEEDBACK")
    await ledger.answer_from_tracking(item["tracking_code"], True, "", None)
    body = json_of(await client.get(f"{BASE}/servicerequestupdates.json"))
    assert [u["external_status_code"] for u in body] == ["registered", "assigned", "in_progress", "handled", "feedback_given", "closed"]
    assert [u["status"] for u in body] == ["open"] * 5 + ["closed"]
    for update in body:
        assert list(update) == ["update_id", "service_request_id", "status", "external_status_code", "updated_datetime", "description", "media_url"]
        assert update["service_request_id"] == item["number"] and W3C.match(update["updated_datetime"])
    root = xml_of(await client.get(f"{BASE}/servicerequestupdates.xml"))
    assert root.tag == "service_requests_updates" and {u.tag for u in root} == {"request_update"}
    assert [u.findtext("update_id") for u in root] == [u["update_id"] for u in body]
    later = (now() + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert json_of(await client.get(f"{BASE}/servicerequestupdates.json?start_date={later}")) == []
    assert len(json_of(await client.get(f"{BASE}/servicerequestupdates.json?page=2&page_size=4"))) == 2
    assert "PRIV" not in json.dumps(body) and "PRIV" not in root_text(root)


def root_text(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode")


# --- OpenAPI -------------------------------------------------------------------------


async def test_openapi_describes_the_open311_routes_only(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["paths"] and all(path.startswith("/open311/v2/") for path in schema["paths"])
    assert {"/open311/v2/requests.xml", "/open311/v2/requests.json", "/open311/v2/requests/{request_file}", "/open311/v2/servicerequestupdates.json"} <= set(schema["paths"])
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "200" in responses and ("400" in responses or "discovery" in path), (path, method)
            content = responses["200"]["content"]
            assert set(content) == ({"text/xml"} if path.endswith(".xml") else {"application/json"} if path.endswith(".json") else {"text/xml", "application/json"})
            error = responses.get("400", {}).get("content", {}).get("application/json")
            if error:
                assert error["schema"]["items"]["$ref"] == "#/components/schemas/Error"
    listed = schema["paths"]["/open311/v2/requests.json"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["items"]["$ref"] == "#/components/schemas/ServiceRequest"
    assert set(schema["components"]["schemas"]["ServiceRequest"]["properties"]) == set(REQUEST_FIELDS)
    parameters = [p["name"] for p in schema["paths"]["/open311/v2/requests.xml"]["get"]["parameters"]]
    assert parameters == ["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status", "page", "page_size"]
    post = schema["paths"]["/open311/v2/requests.json"]["post"]
    assert "application/x-www-form-urlencoded" in post["requestBody"]["content"] and "403" in post["responses"]


async def test_xml_drops_characters_xml_cannot_carry(client, area):
    await file(area, public_summary="bell\x07 and \x1b[31m colour ✓ 中文")
    root = xml_of(await client.get(f"{BASE}/requests.xml"))
    assert root[0].findtext("description") == "bell and [31m colour ✓ 中文"


async def test_many_communities_and_ledgers_do_not_mix_up(client, area):
    other = await Community.select(Community.code).where(Community.id == area.other_station_community_id).first().run()
    await file(area, community_id=area.other_station_community_id)
    body = json_of(await client.get(f"{BASE}/requests.json"))
    assert body[0]["address_id"] == other["code"] and body[0]["agency_responsible"] == "城东派出所 EN"
    assert (await client.get(f"{BASE}/requests.json", headers={"accept-language": "zh-CN"})).json()[0]["agency_responsible"] == "城东派出所"


def test_parse_datetime_accepts_the_w3c_profile():
    assert rules.parse_datetime("2026-01-31T08:00:00+08:00", "x") == dt.datetime(2026, 1, 31, 0, 0, tzinfo=dt.timezone.utc)
    assert rules.parse_datetime("2026-01-31T08:00:00.5Z", "x").microsecond == 500000
    assert rules.parse_datetime("2026-01-31T08:00Z", "x").hour == 8
    assert rules.parse_datetime("2026-01-31", "x") == dt.datetime(2026, 1, 31, tzinfo=dt.timezone.utc)
    assert rules.parse_datetime("2026-01-31T08:00:00 08:00", "x").hour == 0
    for bad in ("2026-01-31T08:00:00", "2026-1-31", "2026-01-31T25:00:00Z", "2026-01-31T08:00:00+15:00", "0001-01-01T00:00:00+01:00", "٢٠٢٦-01-31"):
        with pytest.raises(rules.Open311Error):
            rules.parse_datetime(bad, "x")


async def test_unknown_paths_and_methods_under_the_api_answer_in_the_spec_format(client):
    """Litestar refuses these before a controller is chosen; the app's handler still
    answers /open311/ in the spec's format, and other pages with the portal's page."""
    assert json_errors(await client.get(f"{BASE}/nothing.json"), 404)
    assert xml_errors(await client.get(f"{BASE}/nothing"), 404)
    refused = await client.put(f"{BASE}/requests.json")
    assert json_errors(refused, 405) and set(refused.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert (await client.get("/no-such-page")).headers["content-type"].startswith("text/html")


async def test_a_parameter_sent_twice_is_invalid_not_too_long(client, area):
    response = await client.post(f"{BASE}/requests.json", content=b"api_key=x&service_code=a&service_code=b", headers={"content-type": "application/x-www-form-urlencoded"})
    assert json_errors(response, 400) == ["Invalid parameter: service_code."]


async def test_the_admin_home_links_to_the_keys(admin):
    assert 'href="/admin/open311-keys/"' in (await admin.get("/")).text


async def test_a_window_at_the_ends_of_the_calendar_is_cut_there(client, area):
    assert json_of(await client.get(f"{BASE}/requests.json?end_date=0001-01-02")) == []
    assert json_of(await client.get(f"{BASE}/servicerequestupdates.json?start_date=9999-12-30")) == []
    assert "W3C" in json_errors(await client.get(f"{BASE}/requests.json?start_date=0000-01-01"), 400)[0]


# --- The person's answer as an update (FixMyStreet's POST servicerequestupdates) -------


async def filed_and_answered(client, key: str, officer, answer: bool = True) -> dict:
    """A request POSTed with ``key``, answered by ``officer`` when ``answer``: waiting for
    the person's answer."""
    created = json_of(await client.post(f"{BASE}/requests.json", data={"api_key": key, "service_code": "complaint-noise", "description": "Karaoke until 2am", "address_id": "a"}))
    item = await LedgerItem.select(LedgerItem.id, LedgerItem.number).where(LedgerItem.number == created[0]["service_request_id"]).first().run()
    if answer:
        for to in ("assigned", "in_progress", "handled"):
            await ledger.transition(item["id"], to, officer, "Spoke to the shop", officer_id=officer.id)
        await ledger.set_public_text(officer, item["id"], "Late-night karaoke", "")
        await ledger.transition(item["id"], "feedback_given", officer, "The shop closes at 22:00 now")
    return item


async def test_the_client_that_filed_a_request_sends_the_persons_answer_once(client, client_for, area, admin, make_user):
    """The application that POSTed a request sends the person's answer as an update
    (status CLOSED or FIXED: satisfied): recorded once through the person's rule with
    satisfaction_via "open311", counted as the person's own; another key's request is not
    found; a request not waiting for the answer is refused; the same update_id again
    answers the same and records nothing."""
    from portal.ledger import figures
    from portal.ledger.tables import LedgerEvent
    from portal.open311.tables import FeedbackUpdate
    from tests.unchanged import nothing_changes

    key, other_key = await issue_key(admin), await issue_key(admin, name="Another app")
    officer = await officer_of(make_user)
    early = await filed_and_answered(client, key, officer, answer=False)
    item = await filed_and_answered(client, key, officer)
    update = {"api_key": key, "service_request_id": item["number"], "status": "CLOSED", "update_id": "fms-1", "updated_datetime": "2026-12-01T10:00:00+08:00", "description": "Fixed, thank you", "first_name": "Ming"}
    async with nothing_changes((LedgerItem, item["id"]), (LedgerItem, early["id"]), also=(LedgerEvent, FeedbackUpdate)):
        assert item["number"] in " ".join(json_errors(await client.post(f"{BASE}/servicerequestupdates.json", data={**update, "api_key": other_key}), 404))
        assert "api_key" in " ".join(xml_errors(await client.post(f"{BASE}/servicerequestupdates.xml", data={**update, "api_key": ""}), 403))
        assert "status" in " ".join(json_errors(await client.post(f"{BASE}/servicerequestupdates.json", data={**update, "status": "IN_PROGRESS"}), 400))
        assert "description" in " ".join(json_errors(await client.post(f"{BASE}/servicerequestupdates.json", data={**update, "status": "OPEN", "description": ""}), 400))
        assert "not waiting" in " ".join(json_errors(await client.post(f"{BASE}/servicerequestupdates.json", data={**update, "service_request_id": early["number"]}), 400))
        assert "jurisdiction_id" in " ".join(json_errors(await client.post(f"{BASE}/servicerequestupdates.json", data={**update, "jurisdiction_id": "city.gov"}), 404))
    response = await client.post(f"{BASE}/servicerequestupdates.xml", data=update)
    root = xml_of(response)
    assert response.status_code == 200 and root.tag == "service_request_updates" and [c.tag for c in root[0]] == ["update_id", "account_id"]
    update_id = root[0].findtext("update_id")
    closed = await LedgerItem.select(LedgerItem.stage, LedgerItem.satisfaction_via, LedgerItem.satisfaction_note).where(LedgerItem.id == item["id"]).first().run()
    assert closed == {"stage": "closed", "satisfaction_via": "open311", "satisfaction_note": "Fixed, thank you"}
    event = await LedgerEvent.select(LedgerEvent.id, LedgerEvent.kind).where(LedgerEvent.item == item["id"]).order_by(LedgerEvent.id, ascending=False).first().run()
    assert (str(event["id"]), event["kind"]) == (update_id, "satisfied")
    # Sent again (a retry after a lost answer): the same update_id, nothing recorded; a
    # new update on the closed request is refused.
    async with nothing_changes((LedgerItem, item["id"]), also=(LedgerEvent, FeedbackUpdate)):
        assert json_of(await client.post(f"{BASE}/servicerequestupdates.json", data=update)) == [{"update_id": update_id, "account_id": None}]
        assert "not waiting" in " ".join(json_errors(await client.post(f"{BASE}/servicerequestupdates.json", data={**update, "update_id": "fms-2"}), 400))
    # The update is in the feed the client polls, and the heads count the person's answer.
    feed = json_of(await client.get(f"{BASE}/servicerequestupdates.json"))
    assert {"update_id": update_id, "service_request_id": item["number"], "status": "closed"}.items() <= next(u for u in feed if u["update_id"] == update_id).items()
    assert (await figures.satisfaction_rate([area.community_id]))["by_person"] == 1
    head, _ = await client_for("head")
    assert "<dt>Satisfied, by the person's own answer</dt><dd>1</dd>" in (await head.get("/ledger/dashboard")).text
    assert await AuditEntry.exists().where((AuditEntry.action == "open311.feedback") & (AuditEntry.object_id == str(item["id"]))).run()


async def test_an_update_not_satisfied_reopens_the_request_with_the_persons_words(client, area, admin, make_user):
    key = await issue_key(admin)
    officer = await officer_of(make_user)
    item = await filed_and_answered(client, key, officer)
    body = json_of(await client.post(f"{BASE}/servicerequestupdates.json", data={"api_key": key, "service_request_id": item["number"], "status": "REOPEN", "description": "Still loud after 23:00"}))
    assert len(body) == 1 and body[0]["update_id"].isdigit()
    reopened = await LedgerItem.select(LedgerItem.stage, LedgerItem.satisfaction, LedgerItem.satisfaction_via, LedgerItem.satisfaction_note, LedgerItem.reopened_count).where(LedgerItem.id == item["id"]).first().run()
    assert reopened == {"stage": "in_progress", "satisfaction": "not_satisfied", "satisfaction_via": "open311", "satisfaction_note": "Still loud after 23:00", "reopened_count": 1}


async def test_requests_filed_before_get_their_key_from_the_audit_trail(client, area, admin):
    """The migration matches items POSTed before it to their key (the audit trail)."""
    import importlib

    from portal.db import engine
    from portal.open311.tables import FiledRequest

    key = await issue_key(admin)
    created = json_of(await client.post(f"{BASE}/requests.json", data={"api_key": key, "service_code": "complaint-noise", "description": "Noise", "address_id": "a"}))
    expected = await FiledRequest.select(FiledRequest.item, FiledRequest.api_key).run()
    assert len(expected) == 1 and created[0]["service_request_id"]
    await FiledRequest.delete(force=True).run()
    migration = importlib.import_module("portal.open311.migrations.open311_2026_12_09t09_00_00_000000")
    await migration.backfill(engine())
    await migration.backfill(engine())  # twice: once
    assert await FiledRequest.select(FiledRequest.item, FiledRequest.api_key).run() == expected
