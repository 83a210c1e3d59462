"""The inbox: newest first, a page at a time, one's own messages only; marking read
with plain forms and with htmx; the header's unread badge; e-mail copies sent once."""

import asyncio
import datetime as dt
import socket

import pytest

from portal.notifications.mail import deliver_pending_email
from portal.notifications.rules import notify, unread_count
from portal.notifications.tables import Notification
from portal.settings import load_settings
from portal.web.i18n import N_
from portal.web.pagination import PAGE_SIZE
from tests.conftest import htmx_post, post_form
from tests.unchanged import nothing_changes


async def test_the_inbox_lists_newest_first_in_pages_and_marks_unread(client_for):
    user, user_id = await client_for("volunteer")
    for n in range(PAGE_SIZE + 2):
        await notify(user_id, "test", N_("Log in"), body=f"message {n}")
    first = await user.get("/inbox")
    assert first.text.index("message 51") < first.text.index("message 50")
    assert "message 1<" not in first.text and first.text.count('class="note unread"') == PAGE_SIZE
    assert 'class="unread-count">52<' in first.text
    after = first.text.split("/inbox?after=")[1].split('"')[0]
    second = await user.get(f"/inbox?after={after}")
    assert "message 1<" in second.text and "message 0<" in second.text and "message 2<" not in second.text


async def test_marking_read_plain_and_with_htmx_and_opening_follows_the_link(client_for):
    user, user_id = await client_for("volunteer")
    for n in range(3):
        await notify(user_id, "test", N_("Log in"), body=f"message {n}", link="/volunteer/profile")
    ids = [r["id"] for r in await Notification.select(Notification.id).order_by(Notification.id).run()]
    plain = await post_form(user, f"/inbox/{ids[0]}/read")
    assert plain.status_code == 303 and await unread_count(user_id) == 2
    swapped = await htmx_post(user, f"/inbox/{ids[1]}/read", target=f"note-{ids[1]}")
    assert swapped.status_code == 200 and swapped.text.startswith(f'<li id="note-{ids[1]}" class="note">')
    assert 'hx-swap-oob="true">1<' in swapped.text  # the header's badge follows
    opened = await post_form(user, f"/inbox/{ids[2]}/open")
    assert opened.headers["location"] == "/volunteer/profile" and await unread_count(user_id) == 0


async def test_mark_all_as_read_with_htmx_returns_the_list_and_an_empty_badge(client_for):
    user, user_id = await client_for("officer")
    for _ in range(2):
        await notify(user_id, "test", N_("Log in"))
    response = await htmx_post(user, "/inbox/read-all", target="inbox")
    assert response.status_code == 200 and response.text.startswith('<div id="inbox">')
    assert 'class="unread-count empty" hx-swap-oob="true">' in response.text
    assert await unread_count(user_id) == 0
    plain = await post_form(user, "/inbox/read-all")
    assert plain.status_code == 303


async def test_someone_elses_message_cannot_be_read_or_opened(client_for, make_user):
    user, _ = await client_for("volunteer")
    other_id = await make_user("volunteer")
    await notify(other_id, "test", N_("Log in"), link="/x")
    note_id = (await Notification.select(Notification.id).first().run())["id"]
    async with nothing_changes((Notification, note_id)):
        assert (await post_form(user, f"/inbox/{note_id}/read")).status_code == 404
        assert (await post_form(user, f"/inbox/{note_id}/open")).status_code == 404
        assert (await post_form(user, "/inbox/read-all")).status_code == 303  # their own inbox only
    assert "Log in</strong>" not in (await user.get("/inbox")).text
    assert await unread_count(other_id) == 1


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


async def test_email_copies_go_once_to_people_with_an_address_even_with_two_senders(make_user, smtp_server):
    port, received = smtp_server
    settings = load_settings({}, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="Shouwang <noreply@example.org>")
    with_mail = await make_user("volunteer", email="li@example.org")
    without = await make_user("volunteer")
    for n in range(3):
        await notify(with_mail, "test", N_("Log in"), body=f"body {n}", link="/inbox")
    await notify(without, "test", N_("Log in"))
    sent = await asyncio.gather(deliver_pending_email(settings), deliver_pending_email(settings))
    assert sum(sent) == 3 and len(received) == 3
    assert {e.rcpt_tos[0] for e in received} == {"li@example.org"}
    # Two senders share the work, so the mails may arrive in either order.
    assert all(b"Subject: Log in" in e.content and b"/inbox" in e.content for e in received)
    assert sorted(next(f"body {n}" for n in range(3) if f"body {n}".encode() in e.content) for e in received) == ["body 0", "body 1", "body 2"]
    assert await deliver_pending_email(settings) == 0  # nothing twice
    assert await Notification.count().where(Notification.emailed_at.is_null()).run() == 1  # the one without an address


async def test_no_smtp_url_sends_nothing_and_a_dead_server_gives_the_claim_back(make_user):
    user_id = await make_user("volunteer", email="li@example.org")
    await notify(user_id, "test", N_("Log in"))
    assert await deliver_pending_email(load_settings({})) == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    assert await deliver_pending_email(load_settings({}, smtp_url=f"smtp://127.0.0.1:{closed_port}")) == 0
    assert await Notification.count().where(Notification.emailed_at.is_null()).run() == 1
    old = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    assert await deliver_pending_email(load_settings({}, smtp_url=f"smtp://127.0.0.1:{closed_port}"), now=old) == 0
