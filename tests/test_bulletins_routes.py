"""Bulletin pages: the officer's review (edit, publish, immutable, correction) in scope,
the public page in both languages from one compile, bad weeks, the Atom feeds parsed by
feedparser, the chat text, subscriptions by e-mail with double opt-in and a working
unsubscribe (a real SMTP server), the tip library and the command line."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import subprocess
import sys

import feedparser

from portal.app import create_app
from portal.bulletins import rules
from portal.bulletins.demo import seed_tips
from portal.bulletins.tables import Bulletin, Delivery, Subscriber, Tip
from portal.settings import ROOT
from tests.bulletin_data import DUE, SECRETS, WEEK, age_communities, build_week, local, log
from tests.conftest import field_error, http_client, post_form
from tests.test_notifications_routes import smtp_server  # noqa: F401 - the real SMTP server fixture
from tests.unchanged import nothing_changes


async def compiled(area, make_volunteer) -> int:
    """The hand-made week compiled; the id of the first community's draft."""
    await build_week(area, make_volunteer)
    await seed_tips()
    await rules.compile_week(WEEK, now=DUE)
    return (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.community_key(area.community_id)).first().run())["id"]


async def test_officer_reviews_edits_and_publishes_then_it_cannot_change(client_for, area, make_volunteer, client):
    draft = await compiled(area, make_volunteer)
    officer, _ = await client_for("officer")
    listing = await officer.get("/bulletins")
    assert f'href="/bulletins/{draft}"' in listing.text and "Community B" not in listing.text  # the other community is not theirs
    page = await officer.get(f"/bulletins/{draft}")
    assert page.status_code == 200 and "Draft: only officers see it" in page.text
    assert "陈记药房" in page.text and "East Gate Market" in page.text and "王小明" in page.text
    assert "This week: 3 patrols (3 hours); 7 hazards found, 2 fixed; 5 people helped; 1 dispute mediated; 2 matters from the public settled." in page.text
    for secret in SECRETS:
        assert secret not in page.text
    assert (await client.get(f"/c/a/bulletins/{WEEK}")).status_code == 404  # a draft is not public

    saved = await post_form(officer, f"/bulletins/{draft}/edit", {"headline_zh": "本周平安", "headline_en": "A calm week", "note_en": "Thanks to all volunteers."})
    assert saved.status_code == 303
    async with nothing_changes((Bulletin, draft)):
        too_long = await post_form(officer, f"/bulletins/{draft}/edit", {"headline_en": "x" * 201})
        assert too_long.status_code == 422 and field_error(too_long.text, "headline_en")
    # The week's one patrol still waiting for review: publishing asks for the officer's confirmation.
    assert (await post_form(officer, f"/bulletins/{draft}/publish", {"confirm_waiting": "yes"})).status_code == 303
    public = await client.get(f"/c/a/bulletins/{WEEK}")
    assert public.status_code == 200 and "A calm week" in public.text and "Thanks to all volunteers." in public.text
    async with nothing_changes((Bulletin, draft), also=(Delivery,)):
        refused = await post_form(officer, f"/bulletins/{draft}/edit", {"headline_en": "Changed"})
        assert refused.status_code == 409 and "start a correction" in refused.text
    assert "A calm week" in (await client.get(f"/c/a/bulletins/{WEEK}")).text
    correction = await post_form(officer, f"/bulletins/{draft}/correct")
    assert correction.status_code == 303
    second = int(correction.headers["location"].rsplit("/", 1)[1])
    assert second != draft and (await rules.get(second))["version"] == 2


async def test_an_officer_of_another_community_gets_404(client_for, area, make_volunteer):
    draft = await compiled(area, make_volunteer)
    other, _ = await client_for("officer", community_id=area.other_community_id)
    assert (await other.get(f"/bulletins/{draft}")).status_code == 404
    async with nothing_changes((Bulletin, draft), also=(Delivery,)):
        assert (await post_form(other, f"/bulletins/{draft}/publish")).status_code == 404
        assert (await post_form(other, f"/bulletins/{draft}/edit", {"headline_en": "Not yours"})).status_code == 404
        assert (await post_form(other, f"/bulletins/{draft}/correct")).status_code == 404
    assert (await rules.get(draft))["status"] == "draft"
    station = (await Bulletin.select(Bulletin.id).where(Bulletin.scope == "station").first().run())["id"]
    assert (await other.get(f"/bulletins/{station}")).status_code == 404  # the roll-up is the head's
    head, _ = await client_for("head")
    assert (await head.get(f"/bulletins/{station}")).status_code == 200


async def test_one_compile_read_in_both_languages(area, make_volunteer, client):
    draft = await compiled(area, make_volunteer)
    await rules.publish(None, draft)
    english = await client.get(f"/c/a/bulletins/{WEEK}", headers={"Accept-Language": "en"})
    chinese = await client.get(f"/c/a/bulletins/{WEEK}", headers={"Accept-Language": "zh-CN"})
    assert "Community A safety bulletin, week 2026-W47" in english.text and "Patrol coverage" in english.text
    assert "社区a平安周报（2026-W47）" in chinese.text and "巡逻覆盖" in chinese.text and "本周：巡逻 3 次（3 小时）" in chinese.text
    # The charts are drawn on the server, with a title and description.
    assert re.search(r'<svg class="trend"[^>]*role="img"', english.text) and "<title id=" in english.text and "Weekly values, oldest first: 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 3" in english.text


async def test_bad_weeks_get_a_clear_message(area, client):
    missing = await client.get("/c/a/bulletins/2025-W53")
    assert missing.status_code == 404 and "There is no week 2025-W53: the year 2025 has weeks 1 to 52." in missing.text
    unpublished = await client.get("/c/a/bulletins/2026-W40")
    assert unpublished.status_code == 404 and "No bulletin has been published for the week 2026-W40." in unpublished.text
    assert (await client.get("/c/nowhere/bulletins")).status_code == 404
    assert (await client.get(f"/stations/{area.station_id}/bulletins/2026-W99")).status_code == 404


async def test_atom_feeds_parse_and_the_chat_text_fits(area, make_volunteer, client):
    draft = await compiled(area, make_volunteer)
    await rules.publish(None, draft)
    station = (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.station_key(area.station_id)).first().run())["id"]
    await rules.publish(None, station)
    feed = feedparser.parse((await client.get("/c/a/bulletins.atom")).content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Community A safety bulletins"
    assert [e.title for e in feed.entries] == ["Community A safety bulletin, week 2026-W47"]
    assert feed.entries[0].link.endswith(f"/c/a/bulletins/{WEEK}")
    station_feed = feedparser.parse((await client.get(f"/stations/{area.station_id}/bulletins.atom")).content)
    assert not station_feed.bozo and len(station_feed.entries) == 1 and "城中派出所 EN" in station_feed.entries[0].title
    assert (await client.get(f"/stations/{area.station_id}/bulletins/{WEEK}")).status_code == 200
    text = await client.get(f"/c/a/bulletins/{WEEK}/text")
    assert text.headers["content-type"].startswith("text/plain")
    assert len(text.text) <= 1500 and "call 110" in text.text and f"/c/a/bulletins/{WEEK}" in text.text
    for secret in SECRETS:
        assert secret not in text.text


def body(envelope) -> str:
    from email import message_from_bytes, policy

    message = message_from_bytes(envelope.content, policy=policy.default)
    return message.get_body(preferencelist=("plain",)).get_content()


async def test_subscribe_confirm_receive_once_and_unsubscribe(settings, area, make_volunteer, smtp_server):
    port, received = smtp_server
    mail_settings = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}", public_url="http://portal.test")
    app = create_app(mail_settings)
    draft = await compiled(area, make_volunteer)
    async with http_client(app) as resident:
        async with nothing_changes(also=(Subscriber,)):
            bad = await post_form(resident, "/c/a/subscribe", {"email": "not an address"})
            assert bad.status_code == 422 and field_error(bad.text, "email") == "Enter a valid e-mail address, like name@example.org."
        assert 'value="not an address"' in bad.text and await Subscriber.count().run() == 0
        sent = await post_form(resident, "/c/a/subscribe", {"email": "Li@Example.org"})
        assert sent.status_code == 200 and "Check your inbox" in sent.text
        assert len(received) == 1 and received[0].rcpt_tos == ["li@example.org"]
        link = re.search(r"http://portal\.test(/bulletins/confirm/\S+)", body(received[0])).group(1)
        await rules.publish(None, draft)
        assert await rules.mail_published(mail_settings) == 0  # not confirmed yet
        assert (await resident.get(link)).status_code == 200
        assert "Subscribed" in (await post_form(resident, link)).text
        # Two processes mailing at once: each subscriber gets the bulletin once.
        assert sum(await asyncio.gather(rules.mail_published(mail_settings), rules.mail_published(mail_settings))) == 1
        assert await rules.mail_published(mail_settings) == 0
        mail = received[-1]
        text = body(mail)
        assert "Community A safety bulletin, week 2026-W47" in text and "call 110" in text
        unsubscribe = re.search(r"http://portal\.test(/bulletins/unsubscribe/\S+)", text).group(1)
        assert f"<http://portal.test{unsubscribe}>" in mail.content.decode()  # List-Unsubscribe header
        for secret in SECRETS:
            assert secret not in text
        assert "Stop the weekly safety bulletin" in (await resident.get(unsubscribe)).text
        assert "Unsubscribed" in (await post_form(resident, unsubscribe)).text
        correction = await rules.start_correction(None, draft)
        await rules.publish(None, correction)
        assert await rules.mail_published(mail_settings) == 0  # unsubscribed: no correction either
        assert await Delivery.count().run() == 1


async def test_a_street_is_a_hot_spot_but_no_door_is_ever_published(settings, area, smtp_server):
    """Three reports at doors of one street: the page (both languages), the Atom feed, the
    chat text and the e-mail name the street and never a door."""
    port, received = smtp_server
    mail_settings = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}", public_url="http://portal.test")
    await age_communities(area.community_id)
    doors = ("幸福路12号3单元501室", "幸福路15号", "幸福路 8 号2栋")
    for n, door in enumerate(doors):
        await log(area.community_id, "hazard" if n else "help", local(17 + n, 9), category="gas" if n else "directions", address=door)
    await rules.compile_week(WEEK, [area.community_id], now=DUE)
    draft = (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.community_key(area.community_id)).first().run())["id"]
    await rules.publish(None, draft)
    for language in ("en", "zh_CN"):
        await Subscriber.insert(Subscriber(email=f"{language}@example.org", community=area.community_id, language=language, confirm_token=f"c-{language}",
                                           unsubscribe_token=f"u-{language}", created_at=DUE, confirmed_at=DUE)).run()
    assert await rules.mail_published(mail_settings) == 2
    async with http_client(create_app(mail_settings)) as reader:
        outputs = {
            "page en": (await reader.get(f"/c/a/bulletins/{WEEK}", headers={"Accept-Language": "en"})).text,
            "page zh": (await reader.get(f"/c/a/bulletins/{WEEK}", headers={"Accept-Language": "zh-CN"})).text,
            "atom": feedparser.parse((await reader.get("/c/a/bulletins.atom")).content).entries[0].content[0].value,
            "text": (await reader.get(f"/c/a/bulletins/{WEEK}/text")).text,
            **{f"mail {n}": body(mail) for n, mail in enumerate(received)},
        }
    for name, output in outputs.items():
        assert "幸福路" in output, name
        for door in doors + ("12号", "15号", "8 号", "单元"):
            assert door not in output, (name, door)


async def test_one_client_cannot_have_confirmations_sent_to_many_addresses(settings, area, smtp_server):
    """The public forms' database-backed limit per client: the sixth subscription from one
    client within the window sends nothing and says so next to the form, the address kept;
    addresses refused as invalid do not count."""
    from portal.public.tables import RateHit

    port, received = smtp_server
    app = create_app(dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}", public_url="http://portal.test"))
    limit = rules.SUBSCRIBE_PER_CLIENT[0]
    async with http_client(app) as resident:
        for n in range(3):
            assert (await post_form(resident, "/c/a/subscribe", {"email": f"not an address {n}"})).status_code == 422
        for n in range(limit):
            page = "/c/a/subscribe" if n % 2 else "/c/b/subscribe"  # every community's form counts for the client
            assert (await post_form(resident, page, {"email": f"person{n}@example.org"})).status_code == 200
        async with nothing_changes(also=(Subscriber,)):
            limited = await post_form(resident, "/c/a/subscribe", {"email": "one.too.many@example.org"})
            assert limited.status_code == 429
        assert "Too many subscriptions were asked for from here" in limited.text and 'value="one.too.many@example.org"' in limited.text
        chinese = await post_form(resident, "/c/a/subscribe", {"email": "another@example.org"}, headers={"Accept-Language": "zh-CN"})
        assert chinese.status_code == 429 and "短时间内" in chinese.text and 'value="another@example.org"' in chinese.text
    assert len(received) == limit and await Subscriber.count().run() == limit
    assert not await Subscriber.exists().where(Subscriber.email.is_in(["one.too.many@example.org", "another@example.org"])).run()
    # The count lives in the database, keyed by a hash of the client's address.
    buckets = {r["bucket"] for r in await RateHit.select(RateHit.bucket).run()}
    assert len(buckets) == 1 and all(b.startswith("subscribe:ip:") and "127.0.0.1" not in b for b in buckets)


async def test_subscribing_without_email_configured_says_so(area, client):
    async with nothing_changes(also=(Subscriber,)):
        answer = await post_form(client, "/c/a/subscribe", {"email": "li@example.org"})
        assert answer.status_code == 422 and "E-mail is not available" in field_error(answer.text, "email")


async def test_officers_keep_the_tip_library(client_for, area):
    officer, _ = await client_for("officer")
    async with nothing_changes(also=(Tip,)):
        missing = await post_form(officer, "/bulletins/tips", {"category": "fraud", "text_zh": "不要转账"})
        assert missing.status_code == 422 and field_error(missing.text, "text_en") == "Write the tip in English."
    assert (await post_form(officer, "/bulletins/tips", {"category": "fraud", "text_zh": "不要转账", "text_en": "Never transfer money", "always": "y", "active": "y"})).status_code == 303
    tip = await Tip.select().first().run()
    assert (tip["category"], tip["always"], tip["active"]) == ("fraud", True, True)
    assert (await post_form(officer, f"/bulletins/tips/{tip['id']}", {"category": "fraud", "text_zh": "不要转账", "text_en": "Never transfer money"})).status_code == 303
    assert (await Tip.select(Tip.active).first().run())["active"] is False  # unticked: out of use
    assert "Never transfer money" in (await officer.get("/bulletins/tips")).text


def portal(*args, database_url: str):
    import os

    env = {**os.environ, "PORTAL_DEFAULT_LANGUAGE": "en", "PORTAL_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "portal.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


async def test_the_command_compiles_a_week_and_refuses_bad_input(settings, area):
    await age_communities(area.community_id, area.other_community_id, area.other_station_community_id)
    bad = portal("bulletins", "compile", "--week", "2025-W53", database_url=settings.database_url)
    assert bad.returncode != 0 and "There is no week 2025-W53" in bad.stderr
    unknown = portal("bulletins", "compile", "--week", "2026-W46", "--community", "zz", database_url=settings.database_url)
    assert unknown.returncode != 0 and "No community with code zz" in unknown.stderr
    done = portal("bulletins", "compile", "--week", "2026-W46", "--community", "a", database_url=settings.database_url)
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout
    assert [r["scope_key"] for r in await Bulletin.select(Bulletin.scope_key).run()] == [rules.community_key(area.community_id)]


async def test_mediations_by_outcome_on_the_page_in_the_chat_text_and_the_mail(settings, area, smtp_server):
    """The outcome lines of the counts reach every output in both languages, each with
    its change against last week; an outcome with nothing in 12 weeks is left out."""
    from tests.bulletin_data import build_mediations

    port, received = smtp_server
    mail_settings = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}", public_url="http://portal.test")
    await build_mediations(area)
    await rules.compile_week(WEEK, [area.community_id, area.other_community_id], now=DUE)
    for key in (rules.community_key(area.community_id), rules.community_key(area.other_community_id)):
        await rules.publish(None, (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == key).first().run())["id"])
    for language in ("en", "zh_CN"):
        await Subscriber.insert(Subscriber(email=f"{language}@example.org", community=area.community_id, language=language, confirm_token=f"c-{language}",
                                           unsubscribe_token=f"u-{language}", created_at=DUE, confirmed_at=DUE)).run()
    assert await rules.mail_published(mail_settings) == 2
    mails = {mail.rcpt_tos[0]: body(mail) for mail in received}
    async with http_client(create_app(mail_settings)) as reader:
        page_en = (await reader.get(f"/c/a/bulletins/{WEEK}", headers={"Accept-Language": "en"})).text
        page_zh = (await reader.get(f"/c/a/bulletins/{WEEK}", headers={"Accept-Language": "zh-CN"})).text
        text_en = (await reader.get(f"/c/a/bulletins/{WEEK}/text", headers={"Accept-Language": "en"})).text
        text_zh = (await reader.get(f"/c/a/bulletins/{WEEK}/text", headers={"Accept-Language": "zh-CN"})).text
        other = (await reader.get(f"/c/b/bulletins/{WEEK}", headers={"Accept-Language": "en"})).text
    row = re.search(r"<th scope=\"row\">Mediations · Referred to court</th><td class=\"num\"[^>]*>(\d+)</td>\s*<td class=\"change (\w+)\"[^>]*>(\S+) ", page_en)
    assert row and row.groups() == ("0", "down", "−1")
    assert "Mediations · Referred to the people&#39;s mediation committee" in page_en and "Mediations · Partly resolved" in page_en
    assert "矛盾调解 · 转法院" in page_zh and "矛盾调解 · 转人民调解委员会" in page_zh
    for text in (text_en, mails["en@example.org"]):
        assert "Mediations · Resolved: 2 (+1 vs last week)" in text and "Mediations · Police case: 1 (+1 vs last week)" in text
        assert "Mediations · Referred to court: 0 (−1 vs last week)" in text
    for text in (text_zh, mails["zh_CN@example.org"]):
        assert "矛盾调解 · 调解成功：2（较上周 +1）" in text and "矛盾调解 · 转为警情：1（较上周 +1）" in text
    assert "Mediations · Resolved" in other and "Mediations · Police case" not in other and "Mediations · Partly resolved" not in other


async def test_the_station_page_lists_evenings_without_a_patrol_per_community(area, client):
    """The roll-up's coverage names each community with its evenings without a patrol,
    in both languages; a community that never patrolled has every evening."""
    await age_communities(area.community_id, area.other_community_id, area.other_station_community_id)
    for day in range(16, 23):
        if day != 19:  # a: no patrol on Thursday evening
            await log(area.community_id, "patrol", local(day, 19), minutes=60, ended_at=local(day, 20))
    await rules.compile_week(WEEK, [area.community_id, area.other_community_id], now=DUE)
    await rules.publish(None, (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.station_key(area.station_id)).first().run())["id"])
    english = (await client.get(f"/stations/{area.station_id}/bulletins/{WEEK}", headers={"Accept-Language": "en"})).text
    chinese = (await client.get(f"/stations/{area.station_id}/bulletins/{WEEK}", headers={"Accept-Language": "zh-CN"})).text
    assert "Evenings without a patrol:" in english
    assert "<li>Community A: Thu 19 Nov" in english and "<li>Community B: every evening</li>" in english
    assert "<li>社区a: " in chinese and "<li>社区b: 每个晚上</li>" in chinese and "没有巡逻" in chinese
