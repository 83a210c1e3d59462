"""``notify()``: the one way every feature tells a person something."""

from __future__ import annotations

import datetime as dt

from portal.accounts.tables import User
from portal.notifications.tables import Notification
from portal.web import i18n


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
    return await Notification.count().where((Notification.user == user_id) & Notification.read_at.is_null()).run()
