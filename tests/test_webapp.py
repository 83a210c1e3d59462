"""The portal as a page crawlers and phones read, and as an app on the phone: /favicon.ico,
a description of its own on the public home, login and tracking pages (what Lighthouse's
checks ask for), the manifest, the service worker and the outbox page."""

import html
import io
import json
import re
import uuid

from PIL import Image


def description(page: str) -> str:
    found = re.findall(r'<meta name="description" content="([^"]*)">', page)
    assert len(found) == 1, found
    return html.unescape(found[0])


async def test_the_favicon_is_an_icon_cached_for_a_week(client):
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/vnd.microsoft.icon"
    assert response.headers["cache-control"] == "public, max-age=604800"
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO" and {(16, 16), (32, 32)} <= icon.info["sizes"]


async def test_public_pages_describe_themselves_in_the_readers_language(client, area):
    from portal.public.rules import create_intake

    code = await create_intake(kind="help", community_id=area.community_id, point_id=None, text="?", contact_name="", contact_phone="", language="en", idempotency_key=str(uuid.uuid4()))
    english = {path: description((await client.get(path, headers={"Accept-Language": "en"})).text) for path in ("/", "/login", "/track", f"/track/{code}")}
    assert all(len(text) > 40 for text in english.values()), english
    assert len(set(english.values())) == 4, english
    chinese = description((await client.get("/", headers={"Accept-Language": "zh-CN"})).text)
    assert chinese != english["/"] and re.search(r"[\u4e00-\u9fff]", chinese)


async def test_the_manifest_names_the_app_in_the_phones_language(client):
    english = await client.get("/manifest.webmanifest", headers={"Accept-Language": "en"})
    chinese = await client.get("/manifest.webmanifest", headers={"Accept-Language": "zh-CN"})
    assert english.status_code == chinese.status_code == 200
    assert english.headers["content-type"].startswith("application/manifest+json")
    assert "set-cookie" not in english.headers
    en, zh = english.json(), chinese.json()
    assert (en["lang"], zh["lang"]) == ("en", "zh-CN")
    assert en["short_name"] == "Shouwang" and zh["short_name"] == "守望"
    assert en["start_url"] == en["scope"] == "/" and en["display"] == "standalone"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in en["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in en["icons"]:
        served = await client.get(icon["src"])
        assert served.status_code == 200 and Image.open(io.BytesIO(served.content)).size == tuple(int(n) for n in icon["sizes"].split("x"))


async def test_the_service_worker_is_served_from_the_root_with_what_it_keeps(client):
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    first_line, body = response.text.split("\n", 1)
    config = json.loads(first_line.removeprefix("const CONFIG = ").removesuffix(";"))
    assert "/shifts/mine" in config["pages"] and "/logs/new/hazard" in config["pages"]
    assert re.fullmatch(config["outbox"], "/logs/new/patrol") and not re.fullmatch(config["outbox"], "/logs/nothing-to-report")
    assert any(path.startswith("/static/css/portal.css?v=") for path in config["shell"])
    for path in config["shell"]:
        assert (await client.get(path)).status_code == 200
    assert "self.addEventListener(\"fetch\"" in body


async def test_the_outbox_and_its_count_are_for_signed_in_people_only(client, client_for):
    anonymous = await client.get("/")
    assert 'rel="manifest"' in anonymous.text
    assert "data-outbox" not in anonymous.text and "js/offline.js" not in anonymous.text
    refused = await client.get("/outbox", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    volunteer, user_id = await client_for("volunteer")
    home = (await volunteer.get("/")).text
    badge = re.search(r'<a class="outbox-link" href="/outbox" hidden data-outbox data-user="(\d+)" data-label="([^"]+)"></a>', home)
    assert badge and int(badge.group(1)) == user_id and "{count}" in html.unescape(badge.group(2))
    assert "/static/js/offline.js?v=" in home
    page = await volunteer.get("/outbox")
    assert page.status_code == 200 and "data-outbox-page" in page.text
    kinds = json.loads(html.unescape(re.search(r'data-kinds="([^"]+)"', page.text).group(1)))
    assert set(kinds) == {"patrol", "hazard", "mediation", "help", "publicity"}
