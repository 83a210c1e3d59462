"""The public front door, second round (issue 18), over HTTP: the public home leads to
each community's safe places open now and its forms (a search when there are many); a
QR landing page puts the officer to call first, then the ways to write, then the hours;
a safe place says until when it is open and how to get there; the forms take an
optional e-mail that reaches the ledger's answer e-mails and leaves with the retention
job; the tracking code has a copy button; the public pages stay light."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from portal.accounts.rules import load_actor
from portal.ledger import rules as ledger
from portal.ledger.tables import LedgerItem, LedgerMail
from portal.public import routes as public_routes
from portal.public.rules import HOME_LIST_MAX
from portal.public.tables import Intake
from portal.stations.tables import Community
from portal.uploads import process_image, storage_for
from portal.watchpoints import hours as H
from portal.watchpoints import photos
from portal.watchpoints.tables import WatchPoint
from portal.ledger.mail import deliver_pending
from portal.settings import load_settings
from tests.conftest import field_error, post_form
from tests.test_notifications_routes import smtp_server  # noqa: F401  (the fixture)
from tests.test_post_guards import jpeg
from tests.test_watchpoints_rules import make_point
from tests.unchanged import nothing_changes

# Tuesday 8 December 2026, 15:00 in Xining (Asia/Shanghai).
AFTERNOON = dt.datetime(2026, 12, 8, 7, 0, tzinfo=dt.timezone.utc)
DAY = H.Day(H.OPEN, dt.time(8), dt.time(22))
NIGHT = H.Day(H.OPEN, dt.time(20), dt.time(2), overnight=True)


async def slug_of(point_id: int) -> str:
    return (await WatchPoint.select(WatchPoint.slug).where(WatchPoint.id == point_id).first().run())["slug"]


def intake_form(**overrides) -> dict:
    return {"idempotency_key": str(uuid.uuid4()), "text": "路灯坏了，晚上很黑。", "contact_name": "", "contact_phone": "", "contact_email": "", "website": ""} | overrides


# --- The public home -----------------------------------------------------------------


async def test_the_home_leads_to_each_communitys_safe_places_and_forms_by_station(client, area):
    page = (await client.get("/")).text
    for code in ("a", "b", "c"):
        assert f'href="/c/{code}#open-now"' in page and f'href="/c/{code}#ask-heading"' in page
    # By station: the first station's two communities, then the other's.
    assert page.index("城中派出所 EN") < page.index("Community A") < page.index("Community B") < page.index("城东派出所 EN") < page.index("Community C")
    assert 'name="q"' not in page  # a handful needs no search
    community_page = (await client.get("/c/a")).text
    assert 'id="open-now"' in community_page and 'id="ask-heading"' in community_page


async def test_with_many_communities_the_home_asks_for_a_name_and_lists_what_matches(client, area):
    for number in range(HOME_LIST_MAX):
        await Community.insert(Community(station=area.other_station_id, code=f"many-{number}", name_zh=f"新区{number}社区", name_en=f"New Estate {number}", created_at=AFTERNOON)).run()
    page = (await client.get("/")).text
    assert '<form method="get" action="/"' in page and 'name="q"' in page and "/c/many-" not in page and "/c/a#" not in page
    found = (await client.get("/", params={"q": "estate 1"})).text  # either language, any case
    assert sorted(re.findall(r'href="/c/([^"#]+)#open-now"', found)) == ["many-1", "many-10", "many-11"]
    assert 'value="estate 1"' in found
    by_station = (await client.get("/", params={"q": "城中"})).text
    assert re.findall(r'href="/c/([^"#]+)#open-now"', by_station) == ["a", "b"]
    nothing = await client.get("/", params={"q": "%_"})
    assert nothing.status_code == 200 and "No community matches" in nothing.text and "/c/many-" not in nothing.text


# --- The QR landing pages ------------------------------------------------------------


async def test_a_points_page_puts_the_officer_first_then_the_ways_to_write_then_the_hours(client, make_user, area, monkeypatch, settings):
    monkeypatch.setattr(public_routes, "now", lambda: AFTERNOON)
    officer = await make_user("officer", real_name="王莉", phone="0971 555 0001")
    await photos.set_photo(await load_actor(officer), officer, process_image(jpeg(200, 200)), storage_for(settings))
    point_id, _ = await make_point(make_user, area, week=(DAY,) * 7, latitude=36.6171, longitude=101.7662)
    page = (await client.get(f"/p/{await slug_of(point_id)}")).text
    main = page.split('<main id="main"')[1]
    photo = f'src="/c/a/officers/{officer}/photo?v='
    order = [main.index(photo), main.index("王莉"), main.index('class="button big call" href="tel:09715550001"'), main.index('href="tel:110"'),
             main.index('id="ask-heading"'), main.index("/ask/help?point="), main.index("Opening hours"), main.index('class="table hours"')]
    assert order == sorted(order), order
    assert "Call 王莉" in main
    # Open until 22:00 today, and the way there: a geo: URI and the address to copy.
    assert "Open until 22:00" in main
    assert 'href="geo:36.617100,101.766200?q=36.617100,101.766200(' in main
    assert 'data-copy="西关大街 18 号"' in main
    # The photo itself, for everyone: only an officer of that community's, by its code.
    response = await client.get(f"/c/a/officers/{officer}/photo")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg" and response.content[:2] == b"\xff\xd8"
    assert (await client.get(f"/c/b/officers/{officer}/photo")).status_code == 404
    assert (await client.get(f"/c/a/officers/{await make_user('volunteer')}/photo")).status_code == 404


async def test_safe_places_open_now_say_until_when_and_how_to_get_there(client, make_user, area, monkeypatch):
    monkeypatch.setattr(public_routes, "now", lambda: AFTERNOON + dt.timedelta(hours=12))  # 03:00 on Wednesday
    await make_point(make_user, area, name="夜店", week=(NIGHT,) * 7)
    await make_point(make_user, area, name="全天药房", week=(H.Day(H.ALL_DAY),) * 7, latitude=36.6, longitude=101.7)
    page = (await client.get("/c/a", headers={"accept-language": "zh-CN"})).text
    places = page.split('id="open-now"')[1]
    assert "开放到 02:00" not in places  # 03:00: last night's opening ended at 02:00
    assert "夜店" not in places and "全天药房" in places and "今天 24 小时开放" in places
    monkeypatch.setattr(public_routes, "now", lambda: AFTERNOON + dt.timedelta(hours=10))  # 01:00
    places = (await client.get("/c/a")).text.split('id="open-now"')[1]
    assert re.search(r"<strong>Open until 02:00</strong> · [^<]+ · 西关大街 18 号", places)
    assert 'href="geo:36.600000,101.700000' in places and places.count('data-copy="西关大街 18 号"') == 2


def test_open_until_reads_the_days_rules_in_the_communitys_zone():
    week = (DAY, DAY, NIGHT, H.Day(), H.Day(H.ALL_DAY), DAY, DAY)
    at = lambda day, hour: dt.datetime(2026, 12, 7 + day, hour, tzinfo=dt.timezone.utc) - dt.timedelta(hours=8)  # noqa: E731 - local hour on Mon 7 Dec + day
    assert H.open_until(week, frozenset(), None, at(0, 15), "Asia/Shanghai") == dt.time(22)
    assert H.open_until(week, frozenset(), None, at(0, 23), "Asia/Shanghai") is None
    assert H.open_until(week, frozenset(), None, at(2, 21), "Asia/Shanghai") == dt.time(2)
    assert H.open_until(week, frozenset(), None, at(3, 1), "Asia/Shanghai") == dt.time(2)  # Wednesday night's tail
    assert H.open_until(week, frozenset(), None, at(4, 12), "Asia/Shanghai") == H.ALL_DAY
    assert H.open_until(week, frozenset({dt.date(2026, 12, 7)}), None, at(0, 15), "Asia/Shanghai") is None


# --- E-mail for the answers ----------------------------------------------------------


async def test_an_invalid_email_is_refused_next_to_its_field_with_the_input_kept(client, area):
    async with nothing_changes(also=(Intake,)):
        response = await post_form(client, "/c/a/ask/suggestion", intake_form(contact_email="not an address", text="Lamp out"))
    assert response.status_code == 422
    assert field_error(response.text, "contact_email") == "Enter an e-mail address."
    assert 'value="not an address"' in response.text and "Lamp out" in response.text


async def test_the_email_reaches_the_ledger_answer_mail_is_seen_by_the_officer_only_and_not_on_tracking(client, client_for, area):
    response = await post_form(client, "/c/a/ask/complaint", intake_form(contact_email=" zhao@example.org ", text="Karaoke until 2am"))
    assert response.status_code == 303
    code = response.headers["location"].split("/track/")[1].split("?")[0]
    intake = await Intake.select().where(Intake.tracking_code == code).first().run()
    assert intake["contact_email"] == "zhao@example.org"
    item = await LedgerItem.select().where(LedgerItem.intake == intake["id"]).first().run()
    assert item["raised_by_email"] == "zhao@example.org" and not item["anonymous"]
    assert "zhao@example.org" not in (await client.get(f"/track/{code}")).text
    officer, officer_id = await client_for("officer")
    assert 'href="mailto:zhao@example.org"' in (await officer.get(f"/intake/{intake['id']}")).text
    stranger, _ = await client_for("officer", community_id=area.other_community_id)
    assert (await stranger.get(f"/intake/{intake['id']}")).status_code == 404
    # The answer e-mail of the ledger (with its satisfaction link) goes to that address.
    owner = await load_actor(officer_id)
    await ledger.transition(item["id"], "assigned", owner, officer_id=officer_id)
    await ledger.transition(item["id"], "in_progress", owner)
    await ledger.transition(item["id"], "handled", owner, "Spoke to the bar")
    await ledger.set_public_text(owner, item["id"], "Late-night karaoke", "")
    await ledger.transition(item["id"], "feedback_given", owner, "The bar closes at 22:00 now")
    mail = await LedgerMail.select(LedgerMail.recipient, LedgerMail.kind).where(LedgerMail.item == item["id"]).run()
    assert mail == [{"recipient": "zhao@example.org", "kind": "feedback"}]


async def test_a_help_request_answered_in_the_intake_list_is_mailed_once_in_the_persons_language(client, client_for, area, smtp_server):  # noqa: F811
    """A help request stays in the intake list (no ledger item): its answer goes to the
    address left on the form by the ledger's mail job, with the tracking link."""
    port, received = smtp_server
    settings = load_settings({}, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="Shouwang <noreply@example.org>", public_url="https://portal.example.org")
    client.cookies.set("lang", "en")
    response = await post_form(client, "/c/a/ask/help", intake_form(contact_email="li@example.org", text="My bike was taken"))
    code = response.headers["location"].split("/track/")[1].split("?")[0]
    silent = await post_form(client, "/c/a/ask/help", intake_form(text="No address here"))
    officer, _ = await client_for("officer")
    for location in (response.headers["location"], silent.headers["location"]):
        intake_id = (await Intake.select(Intake.id).where(Intake.tracking_code == location.split("/track/")[1].split("?")[0]).first().run())["id"]
        assert (await post_form(officer, f"/intake/{intake_id}/answer", {"text": "Come to the station with the receipt."})).status_code == 303
    assert await LedgerMail.count().run() == 1
    assert await deliver_pending(settings) == 1 and await deliver_pending(settings) == 0
    assert [e.rcpt_tos for e in received] == [["li@example.org"]]
    text = received[0].content.decode()
    assert "Answer to your message" in text and "Come to the station with the receipt." in text and f"https://portal.example.org/track/{code}" in text
    assert await LedgerMail.count().where((LedgerMail.recipient != "") | (LedgerMail.body != "")).run() == 0  # forgotten once sent


# --- The tracking code, one tap ------------------------------------------------------


async def test_the_tracking_page_offers_to_copy_the_code_and_keeps_it_as_text(client, area):
    response = await post_form(client, "/c/a/ask/help", intake_form())
    page = (await client.get(response.headers["location"])).text
    pretty = re.search(r'<code class="tracking-code">([^<]+)</code>', page).group(1)
    assert re.search(rf'<button type="button" class="copy" data-copy="{pretty}" data-copied="Copied" hidden>Copy the code</button>', page)
    assert re.search(r'<script src="/static/js/copy\.js\?v=\w+" defer></script>', page)
    script = await client.get(re.search(r'src="(/static/js/copy\.js[^"]*)"', page).group(1))
    assert script.status_code == 200 and "clipboard" in script.text


# --- Light pages ---------------------------------------------------------------------


async def test_public_pages_stay_under_ten_kilobytes_on_the_wire(client, make_user, area):
    for number in range(3):
        await make_point(make_user, area, name=f"点{number}", week=(H.Day(H.ALL_DAY),) * 7, latitude=36.6, longitude=101.7)
    await make_user("officer", real_name="王莉", phone="0971-5550001")
    slug = (await WatchPoint.select(WatchPoint.slug).first().run())["slug"]
    tracking = (await post_form(client, "/c/a/ask/help", intake_form())).headers["location"]
    for url in ("/", "/c/a", f"/p/{slug}", "/c/a/ask/help", "/track", tracking):
        response = await client.get(url, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200, url
        assert response.headers["content-encoding"] == "gzip", url
        assert 500 < response.num_bytes_downloaded <= 10_000, (url, response.num_bytes_downloaded)
