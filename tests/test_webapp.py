"""The portal as a page crawlers and phones read: /favicon.ico, and a description of its
own on the public home, login and tracking pages (what Lighthouse's checks ask for)."""

import html
import io
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
