"""``notify()``: the one way every feature tells a person something."""

from __future__ import annotations

import datetime as dt

from portal.accounts.tables import User
from portal.audit.rules import record
from portal.db import write_transaction
from portal.notifications.tables import Notification
from portal.web import i18n
from portal.web.pagination import Page, keyset_page


class Translated(str):
    """A parameter of a message that is itself an English msgid (a stage's name, say):
    translated into the recipient's language before it is put into the message."""


async def notify(user_id: int, kind: str, subject: str, body: str = "", link: str = "", dedupe_key: str | None = None, **params) -> bool:
    """Leave a message in the user's inbox, in the user's language.

    ``subject`` and ``body`` are English msgids marked with ``N_`` and formatted with
    ``params`` (``Translated`` ones translated first). A message never has an empty body:
    without one it repeats the subject. With ``dedupe_key``, a second call with the same
    key does nothing, even from another process. Without one, the same message (subject
    and body) about the same link again while the first is unread is counted on it
    (``repeats``) instead of making a second row. Returns whether a message was created or counted.
    """
    user = await User.select(User.preferred_language).where(User.id == user_id).first().run()
    if not user:
        return False
    token = i18n.activate(user["preferred_language"])
    try:
        params = {k: i18n.gettext(v) if isinstance(v, Translated) else v for k, v in params.items()}
        text_subject = i18n.gettext(subject, **params)[:200]
        text_body = (i18n.gettext(body, **params) if body else "").strip() or text_subject
    finally:
        i18n.restore(token)
    if dedupe_key is None and link:
        counted = await Notification.update({Notification.repeats: Notification.repeats + 1, Notification.created_at: dt.datetime.now(dt.timezone.utc)}).where(
            (Notification.user == user_id) & (Notification.subject == text_subject) & (Notification.body == text_body) & (Notification.link == link) & Notification.read_at.is_null()
        ).returning(Notification.id).run()
        if counted:
            return True
    created = await Notification.insert(
        Notification(user=user_id, kind=kind, subject=text_subject, body=text_body, link=link, created_at=dt.datetime.now(dt.timezone.utc), dedupe_key=dedupe_key)
    ).on_conflict(target=Notification.dedupe_key, action="DO NOTHING").returning(Notification.id).run()
    return bool(created)


async def unread_count(user_id: int) -> int:
    """One COUNT on the index ``notification_user_unread``; the page header shows it."""
    return await Notification.count().where((Notification.user == user_id) & Notification.read_at.is_null()).run()


# --- The inbox -----------------------------------------------------------------------

INBOX_COLUMNS = (Notification.id, Notification.kind, Notification.subject, Notification.body, Notification.link, Notification.created_at, Notification.read_at, Notification.repeats)


async def inbox_page(user_id: int, after: int | None) -> Page:
    """The user's messages, newest first (index ``notification_user_id``)."""
    return await keyset_page(Notification.select(*INBOX_COLUMNS).where(Notification.user == user_id), Notification.id, after, descending=True)


async def message_of(user_id: int, notification_id: int) -> dict | None:
    return await Notification.select(*INBOX_COLUMNS).where((Notification.id == notification_id) & (Notification.user == user_id)).first().run()


async def mark_read(actor, notification_id: int) -> dict | None:
    """Mark one of the actor's own messages read; None when it is not theirs."""
    async with write_transaction():
        message = await message_of(actor.id, notification_id)
        if not message:
            return None
        if message["read_at"] is None:
            moment = dt.datetime.now(dt.timezone.utc)
            await Notification.update({Notification.read_at: moment}).where((Notification.id == notification_id) & Notification.read_at.is_null()).run()
            await record("notification.read", "notification", notification_id, actor=actor)
            message["read_at"] = moment
    return message


async def mark_all_read(actor) -> int:
    async with write_transaction():
        marked = await Notification.update({Notification.read_at: dt.datetime.now(dt.timezone.utc)}).where(
            (Notification.user == actor.id) & Notification.read_at.is_null()
        ).returning(Notification.id).run()
        if marked:
            await record("notification.read_all", "user", actor.id, actor=actor, after={"count": len(marked)})
    return len(marked)
