"""The public front door over HTTP, without an account: a point's page, safe places
open now, the four intake forms (valid, invalid, anonymous, repeated, rate-limited,
honeypot), tracking codes, and officers answering within their communities."""

from __future__ import annotations

import re
import uuid

import pytest

from portal.audit.tables import AuditEntry
from portal.public import rules
from portal.public.tables import Intake, IntakeAnswer, RateHit
from portal.watchpoints.tables import WatchPoint
from tests.conftest import field_error, post_form
from tests.test_watchpoints_rules import ALL, SHUT, make_point
from tests.unchanged import nothing_changes


async def slug_of(point_id: int) -> str:
    return (await WatchPoint.select(WatchPoint.slug).where(WatchPoint.id == point_id).first().run())["slug"]


def intake_form(**overrides) -> dict:
    return {"idempotency_key": str(uuid.uuid4()), "text": "路灯坏了，晚上很黑。", "contact_name": "", "contact_phone": "", "website": ""} | overrides


async def test_point_page_shows_open_state_capabilities_contacts_and_110(client, make_user, area):
    await make_user("officer", real_name="王莉", phone="0971-5550001")
    point_id, _ = await make_point(make_user, area, week=(ALL,) * 7, capabilities=["aed", "english"])
    response = await client.get(f"/p/{await slug_of(point_id)}")
    assert response.status_code == 200
    text = response.text
    assert "Open now" in text and 'href="tel:110"' in text and "AED (defibrillator)" in text and "English spoken" in text
    assert "王莉" in text and "tel:0971-5550001" in text and "西关大街 18 号" in text
    # The page needs no script: its only one shows the copy buttons, hidden without it.
    assert re.findall(r"<script[^>]*>", text.split("</head>")[1]) == [re.search(r'<script src="/static/js/copy\.js[^"]*" defer>', text).group(0)]


async def test_point_page_in_chinese_by_browser_language(client, make_user, area):
    point_id, _ = await make_point(make_user, area, week=(SHUT,) * 7)
    response = await client.get(f"/p/{await slug_of(point_id)}", headers={"accept-language": "zh-Hans-CN"})
    assert "现在休息" in response.text and "营业时间" in response.text and "拨打 110" in response.text


async def test_point_page_of_a_suspended_point_says_so_and_unknown_slugs_404(client, make_user, area):
    point_id, _ = await make_point(make_user, area, status="suspended", week=(ALL,) * 7)
    response = await client.get(f"/p/{await slug_of(point_id)}")
    assert response.status_code == 200 and "not an active watch point" in response.text and "Open now" not in response.text
    assert (await client.get("/p/doesnotexist123")).status_code == 404


async def test_safe_places_open_now_by_name_and_by_distance(client, make_user, area):
    await make_point(make_user, area, name="B 近", week=(ALL,) * 7, latitude=36.6171, longitude=101.7662)
    await make_point(make_user, area, name="A 远", week=(ALL,) * 7, latitude=36.70, longitude=101.90)
    await make_point(make_user, area, name="C 关门", week=(SHUT,) * 7)
    await make_point(make_user, area, name="D 未验证", status="pending", week=(ALL,) * 7)
    by_name = (await client.get("/c/a")).text
    assert by_name.index("A 远") < by_name.index("B 近") and "C 关门" not in by_name and "D 未验证" not in by_name
    nearest = (await client.get("/c/a", params={"lat": "36.6172", "lon": "101.7663"})).text
    assert nearest.index("B 近") < nearest.index("A 远") and " km" in nearest
    bad = await client.get("/c/a", params={"lat": "200", "lon": "x"})
    assert bad.status_code == 200 and "That position is not valid" in bad.text and 'value="200"' in bad.text
    assert (await client.get("/c/nowhere")).status_code == 404


@pytest.mark.parametrize("kind", ["help", "suggestion", "claim", "complaint"])
async def test_each_public_form_files_an_anonymous_intake_and_gives_a_code(client, area, kind):
    response = await post_form(client, f"/c/a/ask/{kind}", intake_form())
    assert response.status_code == 303
    code = response.headers["location"].split("/track/")[1].split("?")[0]
    assert rules.CODE_PATTERN.match(code)
    row = await Intake.select().first().run()
    # Suggestions, claims and complaints go into their ledger at once; help waits.
    status = "new" if kind == "help" else "filed"
    assert (row["kind"], row["community"], row["contact_name"], row["contact_phone"], row["status"], row["tracking_code"]) == (kind, area.community_id, "", "", status, code)
    page = await client.get(response.headers["location"])
    assert page.status_code == 200 and "路灯坏了" in page.text and rules.pretty_code(code) in page.text


async def test_form_from_a_point_links_the_point_and_keeps_the_contact_out_of_the_audit(client, make_user, area):
    point_id, _ = await make_point(make_user, area)
    slug = await slug_of(point_id)
    response = await post_form(client, f"/c/a/ask/help?point={slug}", intake_form(contact_name="李四", contact_phone="13900001111"))
    assert response.status_code == 303
    row = await Intake.select().first().run()
    assert row["point"] == point_id and row["contact_phone"] == "13900001111"
    audit = await AuditEntry.select(AuditEntry.after).where(AuditEntry.object_type == "intake").first().run()
    assert "13900001111" not in str(audit) and "李四" not in str(audit)
    tracking = await client.get(response.headers["location"])
    assert "13900001111" not in tracking.text and "李四" not in tracking.text


@pytest.mark.parametrize(
    "overrides, field_id, fragment",
    [
        ({"text": ""}, "text", "Tell us what it is about"),
        ({"text": "长" * 2001}, "text", "at most 2000"),
        ({"contact_phone": "call me"}, "contact_phone", "phone number"),
        ({"contact_name": "名" * 101}, "contact_name", "at most 100"),
    ],
)
async def test_invalid_public_form_shows_a_message_and_keeps_the_input(client, area, overrides, field_id, fragment):
    form = intake_form(contact_name="张三", **{k: v for k, v in overrides.items() if k != "contact_name"})
    form.update(overrides)
    async with nothing_changes(also=(Intake,)):
        response = await post_form(client, "/c/a/ask/suggestion", form)
        assert response.status_code == 422
    assert fragment in field_error(response.text, field_id)
    if "contact_name" not in overrides:
        assert 'value="张三"' in response.text
    assert await Intake.count().run() == 0


async def test_invalid_public_form_in_chinese(client, area):
    async with nothing_changes(also=(Intake,)):
        response = await post_form(client, "/c/a/ask/suggestion", intake_form(text=""), headers={"accept-language": "zh-CN"})
        assert response.status_code == 422 and "请写下您要说的事情" in field_error(response.text, "text")


async def test_double_submit_files_one_record_with_one_code(client, area):
    form = intake_form()
    first = await post_form(client, "/c/a/ask/claim", form)
    second = await post_form(client, "/c/a/ask/claim", form)
    assert first.headers["location"] == second.headers["location"]
    assert await Intake.count().run() == 1


async def test_honeypot_files_nothing_but_answers_like_success(client, area):
    async with nothing_changes(also=(Intake,)):
        response = await post_form(client, "/c/a/ask/complaint", intake_form(website="http://spam.example"))
        assert response.status_code == 303 and response.headers["location"].startswith("/track")
    assert await Intake.count().run() == 0


async def test_submissions_are_limited_per_address_with_a_clear_message(client, area):
    limit = rules.SUBMIT_PER_ADDRESS[0]
    for _ in range(limit):
        assert (await post_form(client, "/c/a/ask/suggestion", intake_form())).status_code == 303
    async with nothing_changes(also=(Intake,)):
        limited = await post_form(client, "/c/a/ask/suggestion", intake_form(text="还有一件事"))
        assert limited.status_code == 429
    assert "Too many messages were sent from here" in limited.text and "还有一件事" in limited.text
    assert await Intake.count().run() == limit
    # The count lives in the database (shared by every process), keyed by a hash, not the address.
    buckets = {r["bucket"] for r in await RateHit.select(RateHit.bucket).run()}
    assert len(buckets) == 1 and all(b.startswith("ip:") and "127.0.0.1" not in b for b in buckets)


async def test_submissions_are_limited_per_point(client, make_user, area, monkeypatch):
    monkeypatch.setattr(rules, "SUBMIT_PER_ADDRESS", (100, rules.SUBMIT_PER_ADDRESS[1]))
    monkeypatch.setattr(rules, "SUBMIT_PER_POINT", (2, rules.SUBMIT_PER_POINT[1]))
    point_id, _ = await make_point(make_user, area)
    slug = await slug_of(point_id)
    statuses = [(await post_form(client, f"/c/a/ask/help?point={slug}", intake_form())).status_code for _ in range(2)]
    async with nothing_changes((WatchPoint, point_id), also=(Intake,)):
        statuses.append((await post_form(client, f"/c/a/ask/help?point={slug}", intake_form())).status_code)
    assert statuses == [303, 303, 429]
    assert (await post_form(client, "/c/a/ask/help", intake_form())).status_code == 303  # the community form is not that point


async def test_tracking_codes_are_unguessable_and_unknown_codes_look_alike(client, area):
    codes = {rules.new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 12 and not set(c) & set("01OIL") for c in codes)
    response = await post_form(client, "/c/a/ask/suggestion", intake_form())
    code = response.headers["location"].split("/track/")[1].split("?")[0]
    # Neighbouring, malformed and random codes give the same page and status.
    neighbour = code[:-1] + ("2" if code[-1] != "2" else "3")
    answers = []
    for attempt in (neighbour, "AAAA", "'; drop table intake; --", rules.new_tracking_code()):
        page = await client.get(f"/track/{attempt}")
        answers.append((page.status_code, "We know no message with this code" in page.text, "路灯" in page.text))
    assert set(answers) == {(404, True, False)}
    # Typed with dashes and in lower case, the real code is found.
    found = await client.get("/track", params={"code": rules.pretty_code(code).lower()})
    assert found.status_code == 200 and "路灯坏了" in found.text


async def test_guessing_codes_in_bulk_is_slowed_down_not_refused(client, area, monkeypatch):
    import time

    monkeypatch.setattr(rules, "TRACK_FREE_MISSES", 3)
    monkeypatch.setattr(rules, "TRACK_FIRST_DELAY", 0.05)
    monkeypatch.setattr(rules, "TRACK_DOUBLING", 1)
    waits, statuses = [], []
    for _ in range(6):
        started = time.monotonic()
        statuses.append((await client.get(f"/track/{rules.new_tracking_code()}")).status_code)
        waits.append(time.monotonic() - started)
    assert statuses == [404] * 6
    assert waits[3] >= 0.05 and waits[4] >= 0.1 and waits[5] >= 0.2  # a delay that doubles


async def test_officer_sees_new_intake_of_their_community_with_contact_and_answers(client, client_for, area):
    await post_form(client, "/c/a/ask/help", intake_form(contact_name="李四", contact_phone="13900001111"))
    await post_form(client, "/c/b/ask/help", intake_form(text="别的社区的事"))
    intake_id = (await Intake.select(Intake.id).where(Intake.community == area.community_id).first().run())["id"]
    other_id = (await Intake.select(Intake.id).where(Intake.community == area.other_community_id).first().run())["id"]
    code = (await Intake.select(Intake.tracking_code).where(Intake.id == intake_id).first().run())["tracking_code"]
    officer, _ = await client_for("officer")
    listing = await officer.get("/intake")
    assert "路灯坏了" in listing.text and "别的社区的事" not in listing.text
    detail = await officer.get(f"/intake/{intake_id}")
    assert "13900001111" in detail.text and "李四" in detail.text
    assert (await officer.get(f"/intake/{other_id}")).status_code == 404
    async with nothing_changes((Intake, other_id), also=(IntakeAnswer,)):
        assert (await post_form(officer, f"/intake/{other_id}/answer", {"text": "不该能答"})).status_code == 404
    async with nothing_changes((Intake, intake_id), also=(IntakeAnswer,)):
        empty = await post_form(officer, f"/intake/{intake_id}/answer", {"text": ""})
        assert empty.status_code == 422 and field_error(empty.text, "text")
    assert (await post_form(officer, f"/intake/{intake_id}/answer", {"text": "已通知物业维修。"})).status_code == 303
    row = await Intake.select(Intake.status).where(Intake.id == intake_id).first().run()
    assert row["status"] == "answered" and await IntakeAnswer.count().run() == 1
    assert await AuditEntry.exists().where((AuditEntry.action == "intake.answered") & (AuditEntry.object_id == str(intake_id))).run()
    tracking = await client.get(f"/track/{code}")
    assert "已通知物业维修。" in tracking.text and "Answered" in tracking.text
    assert "路灯坏了" not in (await officer.get("/intake?status=new")).text


async def test_contact_is_never_shown_to_officers_of_other_communities_or_hosts(client, client_for, area):
    await post_form(client, "/c/a/ask/help", intake_form(contact_phone="13900001111"))
    intake_id = (await Intake.select(Intake.id).first().run())["id"]
    stranger, _ = await client_for("officer", community_id=area.other_community_id)
    assert "13900001111" not in (await stranger.get("/intake?status=all")).text
    assert (await stranger.get(f"/intake/{intake_id}")).status_code == 404
    host, _ = await client_for("host")
    assert (await host.get(f"/intake/{intake_id}")).status_code == 403


async def test_tracking_page_speaks_the_visitors_language(client, area):
    response = await post_form(client, "/c/a/ask/help", intake_form(), headers={"accept-language": "zh-CN,zh;q=0.9"})
    location = response.headers["location"]
    chinese = await client.get(location, headers={"accept-language": "zh-CN"})
    assert "已收到，等待答复" in chinese.text and "查询码" in chinese.text
    english = await client.get(location, headers={"accept-language": "en-GB"})
    assert "Received, waiting for an answer" in english.text
    assert (await Intake.select(Intake.language).first().run())["language"] == "zh_CN"
