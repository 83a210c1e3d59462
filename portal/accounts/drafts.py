"""Forms kept across a login: the text typed on a form sent when its session had ended is
kept for ``LIFETIME`` under a random key (the sender's cookie holds it, the table its
SHA-256), and given back to fill the form again on its page, then forgotten. Never a password or a
file: the caller passes only the fields it may keep.

    key = await keep("/logs/new/hazard", [("description", "…")], user_id=None)
    found = await find(key, "/logs/new/hazard", user_id=7)   # Found(fields=[…], gone=False)
    await discard(key)                                        # once the form showed them
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from portal.accounts.tables import FormDraft

LIFETIME = dt.timedelta(minutes=30)
MAX_TEXT = 256 * 1024  # characters of names and values together; more is not kept
PATH_MAX = 500


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def fits(fields: list[tuple[str, str]], path: str) -> bool:
    return bool(fields) and len(path) <= PATH_MAX and sum(len(name) + len(value) for name, value in fields) <= MAX_TEXT


async def keep(path: str, fields: list[tuple[str, str]], user_id: int | None, moment: dt.datetime | None = None) -> str:
    """Keeps ``fields`` for the form at ``path`` (see ``fits``); returns the key for the
    sender's cookie. Drafts past their time go at the same moment."""
    moment = moment or now()
    key = secrets.token_urlsafe(32)
    await FormDraft.delete().where(FormDraft.expires_at <= moment).run()
    await FormDraft.insert(
        FormDraft(token_hash=_hash(key), path=path, fields=json.dumps(fields, ensure_ascii=False), user=user_id, created_at=moment, expires_at=moment + LIFETIME)
    ).run()
    return key


@dataclass(frozen=True)
class Found:
    fields: list[tuple[str, str]] | None  # the form's fields, when they may be given back here
    gone: bool  # nothing is kept under the key any more: the cookie may go


async def find(key: str, path: str, user_id: int | None, moment: dt.datetime | None = None) -> Found:
    """The fields kept under ``key`` for the form at ``path``: only to whoever sent them
    (anyone on that browser, when nobody was signed in) and before they expire. They stay
    until ``discard``: a page that does not show the form (the login first) leaves them."""
    moment = moment or now()
    rows = await FormDraft.select(FormDraft.path, FormDraft.fields, FormDraft.user).where(
        (FormDraft.token_hash == _hash(key)) & (FormDraft.expires_at > moment)
    ).first().run()
    if not rows:
        return Found(None, gone=True)
    if rows["path"] != path or rows["user"] not in (None, user_id):
        return Found(None, gone=False)
    return Found([(name, value) for name, value in json.loads(rows["fields"])], gone=False)


async def discard(key: str) -> bool:
    """Forget the fields kept under ``key`` (once shown); False when they were gone already."""
    return bool(await FormDraft.delete().where(FormDraft.token_hash == _hash(key)).returning(FormDraft.id).run())
