"""Urgent notices: sending one (checked, audited, its photo through the house's upload
pipeline), who reads which (in SQL, by the reader's roles and communities), ending one
early, the text for chat groups, and removing photos some days after a notice ended.

Officers and station heads send to the communities they reach as such; the volunteers and
hosts of the community read it on their home page until it expires, and find it in their
inbox. A notice ends when it expires; "withdrawn" ends it at once (the person was found)
by moving ``expires_at`` to that moment, so "running" is one condition everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portal.accounts.rules import Actor
from portal.accounts.tables import RoleGrant
from portal.audit.rules import record
from portal.db import is_unique_violation, write_transaction
from portal.notices.tables import KINDS, Notice
from portal.notifications.rules import Translated, When, notify
from portal.stations.tables import Community
from portal.uploads import ProcessedImage, Storage, new_key
from portal.web.i18n import N_, format_datetime, localized
from portal.web.i18n import gettext as _
from portal.web.pagination import Page, keyset_page

KIND_NAMES = {"missing_person": N_("Missing person"), "case_alert": N_("Case alert today"), "daily": N_("Daily briefing")}
# How long a notice stays on the homes: to the end of the community's day, or some days.
LASTS = {"today": N_("Until the end of today"), "1": N_("24 hours"), "3": N_("3 days"), "7": N_("7 days")}
TITLE_MAX = 100
BODY_MAX = 1000
CHAT_TEXT_LIMIT = 1500  # characters: one message in the usual chat groups, as the bulletin's
# A missing person's photo is personal data: it goes this long after the notice ended.
PHOTO_KEPT = dt.timedelta(days=7)
HOME_LIMIT = 5

COLUMNS = (
    Notice.id, Notice.community, Notice.kind, Notice.title, Notice.body, Notice.photo_key, Notice.expires_at, Notice.created_at,
    Notice.withdrawn_at, Notice.created_by.real_name, Notice.community.name_zh, Notice.community.name_en, Notice.community.timezone,
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


class NoticeError(ValueError):
    """A rule refused the notice; ``field`` names the form field the message belongs to."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class NoticeData:
    community_id: int
    kind: str
    title: str
    body: str
    lasts: str


def sender_scope(actor: Actor) -> frozenset[int] | None:
    """Where the actor may send (None: everywhere, an administrator). District and city
    heads reach nothing on a request that changes something, so they never send."""
    return actor.communities("officer", "head")


def reader_scope(actor: Actor) -> frozenset[int] | None:
    """Whose notices the actor reads: their communities as volunteer or host, and those they
    send to (heads above a station read those of the stations below)."""
    readers, senders = actor.communities("volunteer", "host"), actor.communities("officer", "head")
    return None if readers is None or senders is None else readers | senders


def kind_label(kind: str) -> str:
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def expiry(lasts: str, now: dt.datetime, timezone: str) -> dt.datetime:
    if lasts == "today":
        zone = ZoneInfo(timezone)
        local = now.astimezone(zone)
        midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), zone)
        return midnight.astimezone(dt.timezone.utc)
    return now + dt.timedelta(days=int(lasts))


def check(data: NoticeData, scope: frozenset[int] | None) -> None:
    """The form checks the same; a rule never trusts a form."""
    if scope is not None and data.community_id not in scope:
        raise NoticeError("community", _("Choose a community from the list."))
    if data.kind not in KINDS:
        raise NoticeError("kind", _("Choose a kind from the list."))
    if data.lasts not in LASTS:
        raise NoticeError("lasts", _("Choose how long the notice is shown."))
    if not data.title.strip():
        raise NoticeError("title", _("Give the notice a title."))
    if len(data.title.strip()) > TITLE_MAX:
        raise NoticeError("title", _("Use at most %(max)d characters.", max=TITLE_MAX))
    if len(data.body.strip()) > BODY_MAX:
        raise NoticeError("body", _("Use at most %(max)d characters.", max=BODY_MAX))


async def _by_key(idempotency_key: str) -> int | None:
    row = await Notice.select(Notice.id).where(Notice.idempotency_key == idempotency_key).first().run()
    return row["id"] if row else None


async def send(actor: Actor, data: NoticeData, photo: ProcessedImage | None, storage: Storage | None, idempotency_key: str, now: dt.datetime | None = None) -> int:
    """Check and save a notice, then tell its readers; the same form sent twice (same
    key) saves one notice and tells nobody twice. Returns the notice's id."""
    now = now or utcnow()
    check(data, sender_scope(actor))
    if existing := await _by_key(idempotency_key):
        return existing
    community = await Community.select(Community.timezone).where(Community.id == data.community_id).first().run()
    if not community:
        raise NoticeError("community", _("Choose a community from the list."))
    keys = (new_key("notices"), new_key("notices")) if photo and storage else (None, None)
    if keys[0]:
        # The files first, then the row that names them: a reader never meets a missing photo.
        await storage.put(keys[0], photo.content)
        await storage.put(keys[1], photo.thumb)
    values = {
        "community": data.community_id, "kind": data.kind, "title": data.title.strip(), "body": data.body.strip(), "photo_key": keys[0], "thumb_key": keys[1],
        "expires_at": expiry(data.lasts, now, community["timezone"] or "Asia/Shanghai"), "created_by": actor.id, "created_at": now, "idempotency_key": idempotency_key,
    }
    try:
        async with write_transaction():
            created = await Notice.insert(Notice(**values)).returning(Notice.id).run()
            notice_id = created[0]["id"]
            await record("notice.sent", "notice", notice_id, actor=actor, after={k: v for k, v in values.items() if k not in ("idempotency_key", "thumb_key")})
    except BaseException as error:
        if keys[0]:
            await storage.delete(keys[0])
            await storage.delete(keys[1])
        if isinstance(error, Exception) and is_unique_violation(error) and (existing := await _by_key(idempotency_key)):
            return existing  # two taps raced: the first one's notice stands
        raise
    await tell_readers(notice_id)
    return notice_id


async def readers_of(community_id: int) -> list[int]:
    """The active volunteers and hosts of the community."""
    rows = await RoleGrant.select(RoleGrant.user).where(
        (RoleGrant.community == community_id) & RoleGrant.role.is_in(["volunteer", "host"]) & (RoleGrant.user.active == True)  # noqa: E712 - SQL
    ).run()
    return sorted({r["user"] for r in rows})


async def tell_readers(notice_id: int) -> int:
    """An inbox message to each reader, in their language; keyed per notice and person, so
    running it again (a retry) tells nobody twice. Returns how many were told now."""
    notice = await Notice.select(*COLUMNS).where(Notice.id == notice_id).first().run()
    until = notice["expires_at"]
    told = 0
    for user_id in await readers_of(notice["community"]):
        told += await notify(
            user_id, "notice.sent", N_("%(what)s: %(title)s"), N_("From your community officer, shown on your home page until %(until)s."),
            link=f"/notices/{notice_id}", dedupe_key=f"notice:{notice_id}:{user_id}",
            what=Translated(KIND_NAMES[notice["kind"]]), title=notice["title"], until=When(until, notice["community.timezone"] or "Asia/Shanghai"),
        )
    return told


async def running_for(actor: Actor, now: dt.datetime | None = None) -> list[dict]:
    """The notices on the actor's home page: running, of the communities where they are a
    volunteer or a host, newest first."""
    now = now or utcnow()
    scope = actor.communities("volunteer", "host")
    query = Notice.select(*COLUMNS).where(Notice.expires_at > now)
    if scope is not None:
        if not scope:
            return []
        query = query.where(Notice.community.is_in(sorted(scope)))
    return await query.order_by(Notice.id, ascending=False).limit(HOME_LIMIT).run()


async def sent_page(actor: Actor, after: int | None = None) -> Page:
    """The notices of the communities the actor sends to, newest first."""
    scope = sender_scope(actor)
    query = Notice.select(*COLUMNS)
    if scope is not None:
        if not scope:
            return Page(rows=[], next_after=None)
        query = query.where(Notice.community.is_in(sorted(scope)))
    page = await keyset_page(query, Notice.id, after, descending=True)
    now = utcnow()
    for row in page.rows:
        row["running"] = _aware(row["expires_at"]) > now
    return page


async def notice_for(actor: Actor, notice_id: int) -> dict | None:
    """One notice the actor may read (None otherwise), with ``may_end``."""
    scope = reader_scope(actor)
    query = Notice.select(*COLUMNS, Notice.thumb_key).where(Notice.id == notice_id)
    if scope is not None:
        if not scope:
            return None
        query = query.where(Notice.community.is_in(sorted(scope)))
    row = await query.first().run()
    if row:
        senders = sender_scope(actor)
        row["may_end"] = senders is None or row["community"] in senders
        row["running"] = _aware(row["expires_at"]) > utcnow()
    return row


async def end(actor: Actor, notice_id: int, now: dt.datetime | None = None) -> bool:
    """End a running notice now (the person was found, the case is over). False when the
    notice is not the actor's to end; ending one already over changes nothing."""
    now = now or utcnow()
    scope = sender_scope(actor)
    if scope is not None and not scope:
        return False
    async with write_transaction():
        query = Notice.select(Notice.id, Notice.expires_at).where(Notice.id == notice_id)
        if scope is not None:
            query = query.where(Notice.community.is_in(sorted(scope)))
        row = await query.first().run()
        if not row:
            return False
        if _aware(row["expires_at"]) <= now:
            return True
        await Notice.update({Notice.expires_at: now, Notice.withdrawn_at: now, Notice.withdrawn_by: actor.id}).where(Notice.id == notice_id).run()
        await record("notice.ended", "notice", notice_id, actor=actor, before={"expires_at": row["expires_at"]}, after={"expires_at": now, "withdrawn_at": now})
    return True


def chat_text(notice: dict, public_url: str) -> str:
    """The notice as plain text for a chat group, in the language of the page."""
    tz = notice["community.timezone"] or "Asia/Shanghai"
    community = localized(notice, "community.name")
    lines = [f"【{kind_label(notice['kind'])}】{notice['title']}"]
    if notice["body"]:
        lines.append(notice["body"])
    tail = [
        "",
        _("%(community)s community police, until %(until)s.", community=community, until=format_datetime(notice["expires_at"], tz, "short")),
        _("If you know anything, call 110 or your community officer."),
        _("Safe places and the community police: %(url)s", url=public_url.rstrip("/") + "/"),
    ]
    text = "\n".join(lines)
    room = CHAT_TEXT_LIMIT - len("\n".join(tail)) - 2
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return text + "\n" + "\n".join(tail)


async def purge_photos(now: dt.datetime, storage: Storage) -> int:
    """Remove the photos of notices that ended ``PHOTO_KEPT`` ago (the row forgets them
    first, then the files go); one audit row per notice. Returns how many."""
    due = await Notice.select(Notice.id, Notice.photo_key, Notice.thumb_key).where(
        Notice.photo_key.is_not_null() & (Notice.expires_at < now - PHOTO_KEPT)
    ).limit(500).run()
    done = 0
    for row in due:
        async with write_transaction():
            cleared = await Notice.update({Notice.photo_key: None, Notice.thumb_key: None}).where(
                (Notice.id == row["id"]) & (Notice.photo_key == row["photo_key"])
            ).returning(Notice.id).run()
            if not cleared:
                continue  # another process got there first
            await record("notice.photo_removed", "notice", row["id"], before={"photo": True}, after={"photo": False})
        await storage.delete(row["photo_key"])
        if row["thumb_key"]:
            await storage.delete(row["thumb_key"])
        done += 1
    return done
