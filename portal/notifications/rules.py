"""``notify()``: the one way every feature tells a person something.

A message is kept as its msgids and parameters and put into words when it is read, in the
reader's language of the moment (the subject and body columns keep it as it read in the
recipient's language when it was sent: for e-mail, for grouping repeats, and for the rows
written before messages were kept so).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from portal.accounts.tables import User
from portal.audit.rules import record
from portal.db import write_transaction
from portal.notifications.tables import Notification
from portal.web import i18n
from portal.web.pagination import Page, keyset_page


class Translated(str):
    """A parameter of a message that is itself an English msgid (a stage's name, say):
    translated into the reader's language before it is put into the message."""


@dataclasses.dataclass(frozen=True)
class Named:
    """A name with its English form (a kind of shift, a place): each reader reads theirs."""

    zh: str
    en: str = ""


@dataclasses.dataclass(frozen=True)
class When:
    """A moment or a day, shown in the reader's language in the community's zone as a
    ``purpose`` of portal.web.i18n: moment, time, day, date or deadline."""

    value: dt.datetime | dt.date
    tz: str | None = None
    purpose: str = "moment"


@dataclasses.dataclass(frozen=True)
class Joined:
    """Parameters shown one after the other ("Night patrol · Thu 10 Dec, 19:00")."""

    parts: tuple
    sep: str = " · "


def _msgid(message: str) -> dict:
    if isinstance(message, i18n.Plural):
        return {"msgid": str(message), "plural": message.plural, "count": message.count}
    if isinstance(message, i18n.Contextual):
        return {"msgid": str(message), "context": message.context}
    return {"msgid": str(message)}


def _kept_param(value):
    """A parameter as JSON, to be shown when the message is read."""
    if isinstance(value, (Translated, i18n.Contextual, i18n.Plural)):
        return _msgid(value)
    if isinstance(value, Named):
        return {"zh": value.zh, "en": value.en}
    if isinstance(value, When):
        kind = "at" if isinstance(value.value, dt.datetime) else "on"
        return {kind: value.value.isoformat(), "tz": value.tz, "as": value.purpose}
    if isinstance(value, Joined):
        return {"join": [_kept_param(part) for part in value.parts], "sep": value.sep}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


_SHOWN = {
    "moment": i18n.format_moment, "time": i18n.format_time, "day": i18n.format_day, "deadline": i18n.format_deadline,
    "date": lambda value, tz: i18n.format_date(value if not isinstance(value, dt.datetime) else i18n._in_zone(value, tz).date()),
}


def _shown_param(value):
    """A kept parameter in the current language."""
    if not isinstance(value, dict):
        return value
    if "msgid" in value:
        return _shown_message(value, {})
    if "zh" in value:
        return i18n.localized({"name_zh": value["zh"], "name_en": value.get("en", "")}, "name")
    if "at" in value or "on" in value:
        moment = dt.datetime.fromisoformat(value["at"]) if "at" in value else dt.date.fromisoformat(value["on"])
        return _SHOWN.get(value.get("as"), i18n.format_moment)(moment, value.get("tz"))
    if "join" in value:
        return value.get("sep", " · ").join(str(_shown_param(part)) for part in value["join"])
    return ""


def _shown_message(message: dict, params: dict) -> str:
    if "plural" in message:
        return i18n.ngettext(message["msgid"], message["plural"], params.get(message["count"]), **params)
    if "context" in message:
        return i18n.pgettext(message["context"], message["msgid"], **params)
    return i18n.gettext(message["msgid"], **params)


def words(kept: dict) -> tuple[str, str]:
    """The subject and body of a kept message in the current language (a message never has
    an empty body: without one it repeats the subject)."""
    params = {k: _shown_param(v) for k, v in (kept.get("params") or {}).items()}
    subject = _shown_message(kept["subject"], params)
    body = (_shown_message(kept["body"], params) if kept.get("body") else "").strip() or subject
    return subject, body


def in_readers_words(row: dict) -> dict:
    """A message row with its subject and body put in the current language; rows kept
    before messages were kept as msgids keep their stored words."""
    if row.get("message"):
        try:
            row["subject"], row["body"] = words(json.loads(row["message"]))
        except (ValueError, KeyError, TypeError):
            pass  # a message the code no longer knows how to say: its stored words
    return row


async def notify(user_id: int, kind: str, subject: str, body: str = "", link: str = "", dedupe_key: str | None = None, **params) -> bool:
    """Leave a message in the user's inbox.

    ``subject`` and ``body`` are English msgids marked with ``N_`` (``NN_`` for a plural,
    ``NC_`` with a context) and formatted with ``params``: a ``Translated`` msgid, a
    ``Named`` name, a ``When`` moment or day and ``Joined`` parts are put in the reader's
    words when the message is read. A message never has an empty body: without one it
    repeats the subject. With ``dedupe_key``, a second call with the same key does
    nothing, even from another process. Without one, the same message (subject and body)
    about the same link again while the first is unread is counted on it (``repeats``)
    instead of making a second row. Returns whether a message was created or counted.
    """
    user = await User.select(User.preferred_language).where(User.id == user_id).first().run()
    if not user:
        return False
    kept = {"subject": _msgid(subject), "body": _msgid(body) if body else None, "params": {k: _kept_param(v) for k, v in params.items()}}
    token = i18n.activate(user["preferred_language"])
    try:
        text_subject, text_body = words(kept)
        text_subject = text_subject[:200]
    finally:
        i18n.restore(token)
    if dedupe_key is None and link:
        counted = await Notification.update({Notification.repeats: Notification.repeats + 1, Notification.created_at: dt.datetime.now(dt.timezone.utc)}).where(
            (Notification.user == user_id) & (Notification.subject == text_subject) & (Notification.body == text_body) & (Notification.link == link) & Notification.read_at.is_null()
        ).returning(Notification.id).run()
        if counted:
            return True
    created = await Notification.insert(
        Notification(
            user=user_id, kind=kind, subject=text_subject, body=text_body, link=link, created_at=dt.datetime.now(dt.timezone.utc), dedupe_key=dedupe_key,
            message=json.dumps(kept, ensure_ascii=False),
        )
    ).on_conflict(target=Notification.dedupe_key, action="DO NOTHING").returning(Notification.id).run()
    return bool(created)


async def already_sent(dedupe_keys: list[str]) -> set[str]:
    """Those of ``dedupe_keys`` a message was already left under (a job asks before it
    words its messages: a run every 15 minutes finds most of them sent)."""
    found: set[str] = set()
    for start in range(0, len(dedupe_keys), 500):
        chunk = dedupe_keys[start:start + 500]
        found |= {r["dedupe_key"] for r in await Notification.select(Notification.dedupe_key).where(Notification.dedupe_key.is_in(chunk)).run()}
    return found


async def unread_count(user_id: int) -> int:
    """One COUNT on the index ``notification_user_unread``; the page header shows it."""
    return await Notification.count().where((Notification.user == user_id) & Notification.read_at.is_null()).run()


# --- The inbox -----------------------------------------------------------------------

INBOX_COLUMNS = (Notification.id, Notification.kind, Notification.subject, Notification.body, Notification.link, Notification.created_at, Notification.read_at, Notification.repeats, Notification.message)


async def inbox_page(user_id: int, after: int | None) -> Page:
    """The user's messages, newest first (index ``notification_user_id``), in the words of
    the reader's language now."""
    page = await keyset_page(Notification.select(*INBOX_COLUMNS).where(Notification.user == user_id), Notification.id, after, descending=True)
    for row in page.rows:
        in_readers_words(row)
    return page


async def message_of(user_id: int, notification_id: int) -> dict | None:
    row = await Notification.select(*INBOX_COLUMNS).where((Notification.id == notification_id) & (Notification.user == user_id)).first().run()
    return in_readers_words(row) if row else None


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
