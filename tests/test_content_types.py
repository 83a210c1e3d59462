"""Text answers that are not pages (the iCal feed, the CSV exports, the bulletin's chat
text) name their character set once: Litestar adds "; charset=utf-8" to every text/*
media type, so a handler that wrote it too sent it twice."""

from portal.bulletins import rules as bulletins
from portal.shifts import rules as shifts
from tests.bulletin_data import WEEK
from tests.test_bulletins_routes import compiled


def charset_once(response) -> str:
    kind = response.headers["content-type"]
    assert response.status_code == 200, (response.status_code, kind)
    assert kind.lower().count("charset") == 1, kind
    return kind


async def test_feeds_exports_and_chat_text_name_their_charset_once(client, client_for, area, make_volunteer):
    draft = await compiled(area, make_volunteer)
    await bulletins.publish(None, draft)
    assert charset_once(await client.get(f"/c/a/bulletins/{WEEK}/text")).startswith("text/plain")
    volunteer = await make_volunteer()
    token = await shifts.reset_calendar_token(volunteer)
    assert charset_once(await client.get(f"/calendar/{token}/shifts.ics")).startswith("text/calendar")
    officer, _ = await client_for("officer")
    for path in (f"/shifts/manage/{area.community_id}/hours.csv", "/ledger/export?format=csv", "/review/export.csv"):
        assert charset_once(await officer.get(path)).startswith("text/csv"), path
