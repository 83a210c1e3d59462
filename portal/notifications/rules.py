"""``notify()``: the one way every feature tells a person something."""

from __future__ import annotations

import datetime as dt

from portal.accounts.tables import User
from portal.audit.rules import record
from portal.db import write_transaction
from portal.notifications.tables import Notification
from portal.web import i18n
from portal.web.pagination import Page, keyset_page


async def notify(user_id: int, kind: str, subject: str, body: str = "", link: str = "", dedupe_key: str | None = None, **params) -> bool:
    """Leave a message in the user's inbox, in the user's language.

    ``subject`` and ``body`` are English msgids marked with ``N_`` and formatted with
    ``params``. With ``dedupe_key``, a second call with the same key does nothing, even
    from another process. Returns whether a message was created.
    """
    user = await User.select(User.preferred_language).where(User.id == user_id).first().run()
    if not user:
        return False
    token = i18n.activate(user["preferred_language"])
    try:
        text_subject = i18n.gettext(subject, **params)[:200]
        text_body = i18n.gettext(body, **params) if body else ""
    finally:
        i18n.restore(token)
    created = await Notification.insert(
        Notification(user=user_id, kind=kind, subject=text_subject, body=text_body, link=link, created_at=dt.datetime.now(dt.timezone.utc), dedupe_key=dedupe_key)
    ).on_conflict(target=Notification.dedupe_key, action="DO NOTHING").returning(Notification.id).run()
    return bool(created)


async def unread_count(user_id: int) -> int:
    """One COUNT on the index ``notification_user_unread``; the page header shows it."""
    return await Notification.count().where((Notification.user == user_id) & Notification.read_at.is_null()).run()


# --- The inbox -----------------------------------------------------------------------

INBOX_COLUMNS = (Notification.id, Notification.kind, Notification.subject, Notification.body, Notification.link, Notification.created_at, Notification.read_at)


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
