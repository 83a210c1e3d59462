"""Urgent notices over HTTP and in the rules: an officer sends one with a photo (re-encoded,
without its metadata) to the volunteers and hosts of a community, who see it first on
their home page until it ends and find it in their inbox; the text for chat groups; one
notice for a double submit; bad input (422, the input kept, nothing saved); the scope of
senders and readers in SQL; ending early; expiry; and the photos removed after the end."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

from PIL import Image

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.notices import rules
from portal.notices.tables import Notice
from portal.notifications.tables import Notification
from portal.uploads import storage_for
from tests.conftest import field_error, post_form
from tests.test_logs_routes import make_point
from tests.test_watchpoints_routes import post_multipart, stored_files
from tests.test_watchpoints_rules import image_bytes
from tests.unchanged import nothing_changes


def notice_form(community_id: int, **changes) -> dict:
    return {
        "idempotency_key": str(uuid.uuid4()), "community": str(community_id), "kind": "missing_person", "title": "Missing: boy, 8, red coat",
        "body": "Last seen at the west gate of No. 2 School at 16:30.", "lasts": "today", **changes,
    }


async def readers(client_for, area):
    """A volunteer and a host of the first community, and a volunteer of the other one."""
    volunteer, volunteer_id = await client_for("volunteer")
    host, host_id = await client_for("host")
    await make_point(area.community_id, host_id)
    other, other_id = await client_for("volunteer", community_id=area.other_community_id)
    return (volunteer, volunteer_id), (host, host_id), (other, other_id)


async def send(officer, community_id: int, photo=None, **changes):
    return await post_multipart(officer, "/notices/new", notice_form(community_id, **changes), photo)


def sent_id(response) -> int:
    match = re.match(r"^/notices/(\d+)\?sent=1$", response.headers.get("location", ""))
    assert response.status_code == 303 and match, (response.status_code, response.text[:500])
    return int(match.group(1))


async def test_an_officer_sends_a_missing_person_notice_and_the_community_sees_it_first(client_for, area, settings):
    (volunteer, volunteer_id), (host, host_id), (other, other_id) = await readers(client_for, area)
    officer, officer_id = await client_for("officer")
    home = (await officer.get("/")).text
    assert 'href="/notices/new"' in home  # reachable from the officer's home
    assert (await officer.get("/notices/new")).status_code == 200

    files_before = stored_files(settings, "notices")
    notice_id = sent_id(await send(officer, area.community_id, ("boy.jpg", image_bytes(size=(2400, 1800)), "image/jpeg")))
    row = await Notice.select().where(Notice.id == notice_id).first().run()
    assert row["community"] == area.community_id and row["created_by"] == officer_id and row["photo_key"] and row["thumb_key"]
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.actor).where((AuditEntry.object_type == "notice") & (AuditEntry.object_id == str(notice_id))).run()
    assert audit == [{"action": "notice.sent", "actor": officer_id}]

    # The volunteer's and the host's home pages start with it; the inbox has it.
    for client, user_id in ((volunteer, volunteer_id), (host, host_id)):
        page = (await client.get("/")).text
        assert "Missing: boy, 8, red coat" in page and page.index("Missing: boy, 8, red coat") < page.index('id="logs-heading"')
        assert f'href="/notices/{notice_id}"' in page
        inbox = await Notification.select(Notification.subject, Notification.link).where(Notification.user == user_id).run()
        assert inbox == [{"subject": "Missing person: Missing: boy, 8, red coat", "link": f"/notices/{notice_id}"}]
        detail = await client.get(f"/notices/{notice_id}")
        assert detail.status_code == 200 and "Last seen at the west gate" in detail.text and "End the notice now" not in detail.text
    # Nobody else: the other community's volunteer, the officer who sent it.
    assert "Missing: boy" not in (await other.get("/")).text
    assert await Notification.count().where(Notification.user.is_in([other_id, officer_id])).run() == 0
    for path in (f"/notices/{notice_id}", f"/notices/{notice_id}/photo", f"/notices/{notice_id}/text"):
        assert (await other.get(path)).status_code == 404, path

    # The photo went through the pipeline: a JPEG of at most 1600 px, without metadata.
    photo = await volunteer.get(f"/notices/{notice_id}/photo")
    thumb = await volunteer.get(f"/notices/{notice_id}/photo?size=thumb")
    assert photo.headers["content-type"] == "image/jpeg" and thumb.status_code == 200
    with Image.open(io.BytesIO(photo.content)) as image:
        assert image.format == "JPEG" and max(image.size) == 1600 and not image.getexif()
    assert len(stored_files(settings, "notices") - files_before) == 2


async def test_the_chat_text_says_what_when_and_whom_to_call(client_for, area):
    officer, _ = await client_for("officer")
    notice_id = sent_id(await send(officer, area.community_id, kind="daily", title="每日通报：昨夜电动车被盗 2 起", body="请把电动车停进车棚并上锁。", lasts="1"))
    text = await officer.get(f"/notices/{notice_id}/text")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert text.text.startswith("【Daily briefing】每日通报：昨夜电动车被盗 2 起\n请把电动车停进车棚并上锁。\n")
    assert "call 110" in text.text and "until" in text.text
    assert text.text in (await officer.get(f"/notices/{notice_id}")).text.replace("&#39;", "'")
    long = await load_actor((await Notice.select(Notice.created_by).first().run())["created_by"])
    notice = await rules.notice_for(long, notice_id)
    assert len(rules.chat_text({**notice, "body": "很长" * 1000}, "https://example.test")) <= rules.CHAT_TEXT_LIMIT


async def test_a_double_submit_sends_one_notice_and_one_message_each(client_for, area):
    (volunteer, volunteer_id), _host, _other = await readers(client_for, area)
    officer, _ = await client_for("officer")
    form = notice_form(area.community_id)
    first = sent_id(await post_multipart(officer, "/notices/new", form))
    again = sent_id(await post_multipart(officer, "/notices/new", form))
    assert first == again and await Notice.count().run() == 1
    assert await Notification.count().where(Notification.user == volunteer_id).run() == 1


async def test_bad_input_is_explained_next_to_the_field_and_nothing_is_sent(client_for, area, settings):
    await readers(client_for, area)
    officer, _ = await client_for("officer")
    files_before = stored_files(settings, "notices")
    cases = [
        ({"title": ""}, "title", "Give the notice a title."),
        ({"title": "x" * 101}, "title", "Use at most 100 characters."),
        ({"body": "y" * 1001}, "body", "Use at most 1000 characters."),
        ({"kind": "rumour"}, "kind", "Not a valid choice."),
        ({"lasts": "forever"}, "lasts", "Not a valid choice."),
        ({"community": str(area.other_community_id)}, "community", "Choose a community from the list."),  # not the officer's
    ]
    async with nothing_changes(also=(Notice,)):
        for changes, field, message in cases:
            response = await send(officer, area.community_id, **changes)
            assert response.status_code == 422 and field_error(response.text, field) == message, (changes, response.text[:300])
        refused = await send(officer, area.community_id, ("boy.jpg", b"not an image at all", "image/jpeg"), title="Kept title")
        assert refused.status_code == 422 and field_error(refused.text, "photo") == "This file is not an image we can read."
        assert 'value="Kept title"' in refused.text and "Last seen at the west gate" in refused.text
    assert stored_files(settings, "notices") == files_before


async def test_senders_and_readers_are_scoped_in_sql(client_for, area, make_user):
    officer, _ = await client_for("officer")
    other_officer, _ = await client_for("officer", community_id=area.other_community_id)
    head, _ = await client_for("head")
    notice_id = sent_id(await send(officer, area.community_id))
    assert "Missing: boy" not in (await other_officer.get("/notices")).text
    assert (await other_officer.get(f"/notices/{notice_id}")).status_code == 404
    assert "Missing: boy" in (await head.get("/notices")).text  # the station's head
    assert "End the notice now" in (await head.get(f"/notices/{notice_id}")).text
    other_actor = await load_actor((await make_user("officer", community_id=area.other_community_id)))
    assert (await rules.sent_page(other_actor)).rows == []
    assert await rules.notice_for(other_actor, notice_id) is None
    district = await load_actor(await make_user("district_head"))
    assert rules.sender_scope(district) == frozenset()  # a head above a station changes nothing


async def test_ending_a_notice_takes_it_off_the_homes_and_only_its_senders_may(client_for, area):
    (volunteer, _), _host, _other = await readers(client_for, area)
    officer, officer_id = await client_for("officer")
    other_officer, _ = await client_for("officer", community_id=area.other_community_id)
    notice_id = sent_id(await send(officer, area.community_id))
    async with nothing_changes((Notice, notice_id)):
        assert (await post_form(volunteer, f"/notices/{notice_id}/end")).status_code == 403
        assert (await post_form(other_officer, f"/notices/{notice_id}/end")).status_code == 404
    assert (await post_form(officer, f"/notices/{notice_id}/end")).status_code == 303
    row = await Notice.select(Notice.expires_at, Notice.withdrawn_at, Notice.withdrawn_by).where(Notice.id == notice_id).first().run()
    assert row["withdrawn_by"] == officer_id and row["expires_at"] == row["withdrawn_at"]
    assert "Missing: boy" not in (await volunteer.get("/")).text
    assert "Ended" in (await volunteer.get(f"/notices/{notice_id}")).text
    mine = (AuditEntry.object_type == "notice") & (AuditEntry.object_id == str(notice_id))
    audit = await AuditEntry.select(AuditEntry.action).where(mine).order_by(AuditEntry.id).run()
    assert [a["action"] for a in audit] == ["notice.sent", "notice.ended"]
    assert (await post_form(officer, f"/notices/{notice_id}/end")).status_code == 303  # again: nothing more
    assert await AuditEntry.count().where(mine).run() == 2


async def test_a_notice_shows_until_it_expires():
    now = dt.datetime(2026, 12, 10, 3, 0, tzinfo=dt.timezone.utc)  # 11:00 in Xining
    assert rules.expiry("today", now, "Asia/Shanghai") == dt.datetime(2026, 12, 10, 16, 0, tzinfo=dt.timezone.utc)  # local midnight
    assert rules.expiry("3", now, "Asia/Shanghai") == now + dt.timedelta(days=3)


async def test_an_expired_notice_leaves_the_home_page(client_for, area):
    (volunteer, volunteer_id), _host, _other = await readers(client_for, area)
    officer, _ = await client_for("officer")
    notice_id = sent_id(await send(officer, area.community_id, lasts="1"))
    actor = await load_actor(volunteer_id)
    assert [n["id"] for n in await rules.running_for(actor)] == [notice_id]
    assert await rules.running_for(actor, rules.utcnow() + dt.timedelta(days=1, minutes=1)) == []
    await Notice.update({Notice.expires_at: rules.utcnow() - dt.timedelta(minutes=1)}).where(Notice.id == notice_id).run()
    assert "Missing: boy" not in (await volunteer.get("/")).text
    assert "Expired" in (await volunteer.get(f"/notices/{notice_id}")).text


async def test_photos_are_removed_a_week_after_the_notice_ended(client_for, area, settings):
    officer, _ = await client_for("officer")
    files_before = stored_files(settings, "notices")
    old = sent_id(await send(officer, area.community_id, ("a.jpg", image_bytes(), "image/jpeg")))
    recent = sent_id(await send(officer, area.community_id, ("b.jpg", image_bytes(), "image/jpeg")))
    now = rules.utcnow()
    await Notice.update({Notice.expires_at: now - rules.PHOTO_KEPT - dt.timedelta(hours=1)}).where(Notice.id == old).run()
    await Notice.update({Notice.expires_at: now - dt.timedelta(days=2)}).where(Notice.id == recent).run()
    assert len(stored_files(settings, "notices") - files_before) == 4
    assert await rules.purge_photos(now, storage_for(settings)) == 1
    rows = {r["id"]: r for r in await Notice.select(Notice.id, Notice.photo_key, Notice.title).run()}
    assert rows[old]["photo_key"] is None and rows[old]["title"] and rows[recent]["photo_key"]
    assert len(stored_files(settings, "notices") - files_before) == 2
    assert await rules.purge_photos(now, storage_for(settings)) == 0
    assert await AuditEntry.count().where(AuditEntry.action == "notice.photo_removed").run() == 1
