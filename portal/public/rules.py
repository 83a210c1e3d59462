"""Rules of the public front door: intake records and their tracking codes, officers'
answers, and rate limits kept in the database so every process shares them.

Tracking codes are 12 characters from an alphabet without look-alikes (about 59 random
bits): they cannot be guessed or enumerated, and an unknown code gets exactly the same
answer as a malformed one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import math
import operator
import re
import secrets
from functools import reduce
from zoneinfo import ZoneInfo

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import icontains, write_transaction
from portal.public.tables import INTAKE_KINDS, Intake, IntakeAnswer, RateHit
from portal.web.i18n import N_
from portal.web.pagination import Page, keyset_page

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
TEXT_MAX = 2000
ANSWER_MAX = 2000

# (bucket prefix, most requests, window): submissions per client address and per point.
SUBMIT_PER_ADDRESS = (5, dt.timedelta(minutes=15))
SUBMIT_PER_POINT = (30, dt.timedelta(hours=1))
KEEP_HITS = dt.timedelta(days=1)

# Unknown tracking codes from one address slow its lookups down instead of refusing
# them (OWASP's advice against lockouts: a shared NAT must not lose real codes). Past
# TRACK_FREE_MISSES misses in the window every lookup from the address, of a real code
# too (or the answer's speed would tell a hit), waits a delay that doubles every
# TRACK_DOUBLING misses, up to TRACK_MAX_DELAY. The wait is an asyncio sleep: it holds
# no thread, only the connection, and the worker serves other requests meanwhile. In a
# process an address's delayed lookups queue one behind the other, so parallel requests
# do not multiply its rate; one that would queue past TRACK_MAX_WAIT, or beyond
# TRACK_MAX_SLEEPING sleeping lookups in the process, is answered 429 at once, so the
# sleeping connections stay few.
TRACK_MISS_WINDOW = dt.timedelta(minutes=15)
TRACK_FREE_MISSES = 10
TRACK_FIRST_DELAY = 0.25
TRACK_DOUBLING = 4
TRACK_MAX_DELAY = 8.0
TRACK_MAX_WAIT = 30.0
TRACK_MAX_SLEEPING = 100
_track_queues: dict[str, tuple[asyncio.Lock, list[int]]] = {}
_track_sleeping = [0]


class TrackingBusy(Exception):
    """Too many lookups wait already: try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """What a person typed (any case, dashes, spaces) → a code, or None."""
    code = re.sub(r"[\s-]", "", raw or "").upper()[: CODE_LENGTH + 8]
    return code if CODE_PATTERN.match(code) else None


def pretty_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def address_bucket(ip: str, secret: str) -> str:
    """Client addresses are counted by a keyed hash, never stored as they are."""
    return "ip:" + hashlib.sha256(f"{secret}:{ip}".encode()).hexdigest()[:40]


async def over_limit(buckets: list[tuple[str, int, dt.timedelta]], at: dt.datetime | None = None) -> bool:
    """Count one request in every bucket unless one of them is full; True when limited.
    The check and the count happen in one write transaction, so processes agree."""
    at = at or now()
    async with write_transaction():
        for bucket, limit, window in buckets:
            if await RateHit.count().where((RateHit.bucket == bucket) & (RateHit.at > at - window)).run() >= limit:
                return True
        for bucket, _limit, _window in buckets:
            await RateHit.insert(RateHit(bucket=bucket, at=at)).run()
        if secrets.randbelow(50) == 0:  # now and then, forget old hits
            await RateHit.delete().where(RateHit.at < at - KEEP_HITS).run()
    return False


def miss_delay(misses: int) -> float:
    """Seconds a lookup waits after ``misses`` unknown codes from its address in the window."""
    if misses < TRACK_FREE_MISSES:
        return 0.0
    return min(TRACK_MAX_DELAY, TRACK_FIRST_DELAY * 2 ** ((misses - TRACK_FREE_MISSES) / TRACK_DOUBLING))


async def record_miss(bucket: str) -> None:
    async with write_transaction():
        await RateHit.insert(RateHit(bucket=bucket, at=now())).run()
        if secrets.randbelow(50) == 0:  # now and then, forget old hits
            await RateHit.delete().where(RateHit.at < now() - KEEP_HITS).run()


async def slow_down(bucket: str) -> float:
    """Wait the address's delay before a lookup (see TRACK_FREE_MISSES); returns it.
    Raises TrackingBusy when the wait would be too long."""
    misses = await RateHit.count().where((RateHit.bucket == bucket) & (RateHit.at > now() - TRACK_MISS_WINDOW)).run()
    delay = miss_delay(misses)
    if not delay:
        return 0.0
    lock, waiting = _track_queues.setdefault(bucket, (asyncio.Lock(), [0]))
    if (waiting[0] + 1) * delay > TRACK_MAX_WAIT or _track_sleeping[0] >= TRACK_MAX_SLEEPING:
        raise TrackingBusy(math.ceil(delay * (waiting[0] + 1)))
    waiting[0] += 1
    _track_sleeping[0] += 1
    try:
        async with lock:
            await asyncio.sleep(delay)
    finally:
        waiting[0] -= 1
        _track_sleeping[0] -= 1
        if not waiting[0]:
            _track_queues.pop(bucket, None)
    return delay


async def create_intake(
    *,
    kind: str,
    community_id: int,
    point_id: int | None,
    text: str,
    contact_name: str,
    contact_phone: str,
    language: str,
    idempotency_key: str,
    contact_email: str = "",
) -> str:
    """File what a member of the public sent; returns its tracking code. The same form
    sent twice (same key) files one record and returns its code again."""
    if kind not in INTAKE_KINDS:
        raise ValueError(kind)
    async with write_transaction():
        existing = await Intake.select(Intake.tracking_code).where(Intake.idempotency_key == idempotency_key).first().run()
        if existing:
            return existing["tracking_code"]
        code = new_tracking_code()
        while await Intake.exists().where(Intake.tracking_code == code).run():
            code = new_tracking_code()
        created = await Intake.insert(
            Intake(
                kind=kind,
                community=community_id,
                point=point_id,
                text=text.strip()[:TEXT_MAX],
                contact_name=contact_name.strip()[:100],
                contact_phone=contact_phone.strip()[:32],
                contact_email=contact_email.strip()[:254],
                language=language,
                status="new",
                tracking_code=code,
                idempotency_key=idempotency_key,
                created_at=now(),
            )
        ).returning(Intake.id).run()
        # The contact is personal data: the audit row says only that there was one.
        await record(
            "intake.created", "intake", created[0]["id"],
            after={"kind": kind, "community": community_id, "point": point_id, "language": language, "with_contact": bool(contact_name.strip() or contact_phone.strip() or contact_email.strip())},
        )
        if kind != "help":
            # Suggestions, claims and complaints go straight into their ledger, in the
            # same transaction; help requests wait for an officer in the intake list.
            from portal.ledger.rules import file_from_intake

            await file_from_intake(created[0]["id"])
        if point_id is not None:
            await _tell_host(point_id, created[0]["id"])
    return code


async def _tell_host(point_id: int, intake_id: int) -> None:
    """The host hears that someone wrote through their point's QR code, and nothing of
    who or what: that stays between the person and the police."""
    from portal.notifications.rules import notify
    from portal.watchpoints.tables import WatchPoint
    from portal.web.i18n import N_

    point = await WatchPoint.select(WatchPoint.host, WatchPoint.name_zh).where(WatchPoint.id == point_id).first().run()
    if point and point["host"]:
        await notify(
            point["host"], "intake.at_point", N_("Someone wrote to the police through the QR code of %(point)s"),
            N_("The community officer answers them. Your watch point's page shows whether it was answered; what they wrote stays between them and the police."),
            link=f"/watchpoints/{point_id}#qr-messages", dedupe_key=f"intake-point:{intake_id}", point=point["name_zh"],
        )


# What a point's page says of a message sent through its QR code: never who, never what.
WAITING, ANSWERED, CLOSED = "waiting", "answered", "closed"
POINT_MESSAGES_SHOWN = 20


async def messages_at_point(point_id: int, limit: int = POINT_MESSAGES_SHOWN) -> list[dict]:
    """The latest messages written through the point's QR code, newest first: the day
    each came (in the community's zone) and whether the police answered it (``state``:
    waiting, answered, or closed once its ledger item closed). Nothing else."""
    from portal.ledger.tables import CLOSED_STAGES, LedgerItem

    rows = await Intake.select(Intake.id, Intake.status, Intake.created_at, Intake.community.timezone).where(Intake.point == point_id).order_by(Intake.id, ascending=False).limit(limit).run()
    items = {}
    if ids := [r["id"] for r in rows if r["status"] == "filed"]:
        items = {r["intake"]: r for r in await LedgerItem.select(LedgerItem.intake, LedgerItem.stage, LedgerItem.feedback_at).where(LedgerItem.intake.is_in(ids)).run()}
    shown = []
    for row in rows:
        item = items.get(row["id"])
        if item and item["stage"] in CLOSED_STAGES:
            state = CLOSED
        elif row["status"] == "answered" or (item and item["feedback_at"]):
            state = ANSWERED
        else:
            state = WAITING
        zone = ZoneInfo(row["community.timezone"] or "Asia/Shanghai")
        received = row["created_at"] if row["created_at"].tzinfo else row["created_at"].replace(tzinfo=dt.timezone.utc)
        shown.append({"received_on": received.astimezone(zone).date(), "state": state})
    return shown


async def tracked(code: str) -> dict | None:
    """What the tracking page shows: the record (without the contact) and its answers,
    and under ``ledger`` the public part of the ledger item it became (if any)."""
    from portal.ledger.rules import tracked as ledger_tracked

    ledger_item = await ledger_tracked(code)
    row = await Intake.select(
        Intake.id, Intake.kind, Intake.text, Intake.status, Intake.created_at, Intake.answered_at, Intake.tracking_code,
        Intake.community.name_zh, Intake.community.name_en, Intake.community.timezone, Intake.point.name_zh, Intake.point.name_en,
    ).where(Intake.tracking_code == code).first().run()
    if not row:
        # Items filed by an officer (reception room, visits) have no intake record.
        return {"ledger": ledger_item, "tracking_code": code} if ledger_item else None
    row["answers"] = await IntakeAnswer.select(IntakeAnswer.text, IntakeAnswer.created_at).where(IntakeAnswer.intake == row["id"]).order_by(IntakeAnswer.id).limit(50).run()
    row["ledger"] = ledger_item
    return row


# --- Officers ------------------------------------------------------------------------


async def intake_page(actor: Actor, status: str | None, after: int | None) -> Page:
    """Intake of the actor's communities, newest first, filtered in SQL by scope."""
    scope = actor.communities("officer")
    query = Intake.select(
        Intake.id, Intake.kind, Intake.status, Intake.created_at, Intake.text, Intake.language,
        Intake.community.name_zh, Intake.community.name_en, Intake.community.timezone, Intake.point.name_zh, Intake.point.name_en,
    )
    if scope is not None:
        if not scope:
            return Page(rows=[], next_after=None)
        query = query.where(Intake.community.is_in(list(scope)))
    if status in ("new", "answered"):
        query = query.where(Intake.status == status)
    return await keyset_page(query, Intake.id, after, descending=True)


async def intake_for_officer(actor: Actor, intake_id: int) -> dict | None:
    """One record with its contact, only for an officer of its community (else None)."""
    row = await Intake.select(
        *Intake.all_columns(), Intake.community.name_zh, Intake.community.name_en, Intake.community.timezone, Intake.point.name_zh, Intake.point.name_en,
    ).where(Intake.id == intake_id).first().run()
    if not row or not actor.reaches(row["community"], "officer"):
        return None
    row["answers"] = await IntakeAnswer.select(IntakeAnswer.text, IntakeAnswer.created_at, IntakeAnswer.officer.real_name).where(IntakeAnswer.intake == intake_id).order_by(IntakeAnswer.id).limit(50).run()
    from portal.ledger.tables import LedgerItem

    row["ledger_item"] = await LedgerItem.select(LedgerItem.id, LedgerItem.number).where(LedgerItem.intake == intake_id).first().run()
    return row


async def answer(actor: Actor, intake_id: int, text: str) -> bool:
    """An officer answers: the answer is stored, the status becomes answered, audited."""
    async with write_transaction():
        row = await Intake.select(Intake.id, Intake.community, Intake.status, Intake.contact_email, Intake.language, Intake.tracking_code).where(Intake.id == intake_id).first().run()
        if not row or not actor.reaches(row["community"], "officer"):
            return False
        moment = now()
        created = await IntakeAnswer.insert(IntakeAnswer(intake=intake_id, officer=actor.id, text=text.strip()[:ANSWER_MAX], created_at=moment)).returning(IntakeAnswer.id).run()
        await Intake.update({Intake.status: "answered", Intake.answered_at: moment}).where(Intake.id == intake_id).run()
        await record("intake.answered", "intake", intake_id, actor=actor, before={"status": row["status"]}, after={"status": "answered", "answer": text.strip()[:ANSWER_MAX]})
        if row["contact_email"]:
            await _mail_answer(row, created[0]["id"], text.strip()[:ANSWER_MAX], moment)
    return True


ANSWER_MAIL = (
    N_("Answer to your message %(code)s"),
    N_("The community police answered your message:\n\n%(answer)s\n\nThe page of your tracking code %(code)s shows your message and every answer:"),
)


async def _mail_answer(row: dict, answer_id: int, text: str, at: dt.datetime) -> None:
    """Queue the answer for the address the person left, in the language they wrote in,
    with the link to their tracking page; the ledger's mail job sends it once
    (``portal.ledger.mail.deliver_pending``) and then forgets the address and text."""
    from portal.ledger.tables import LedgerMail
    from portal.web import i18n

    params = {"code": pretty_code(row["tracking_code"]), "answer": text}
    token = i18n.activate(row["language"] or "zh_CN")
    try:
        subject, body = i18n.gettext(ANSWER_MAIL[0], **params)[:200], i18n.gettext(ANSWER_MAIL[1], **params)
    finally:
        i18n.restore(token)
    await LedgerMail.insert(
        LedgerMail(item=None, kind="intake_answer", recipient=row["contact_email"], subject=subject, body=body, link=f"/track/{row['tracking_code']}", dedupe_key=f"intake-answer:{answer_id}", created_at=at)
    ).on_conflict(target=LedgerMail.dedupe_key, action="DO NOTHING").run()


# --- The public home: which community? ---------------------------------------------

# Up to this many communities the public home lists them all, by station; beyond it
# (a city has hundreds) it asks for a name first and lists what matches.
HOME_LIST_MAX = 12
HOME_FOUND_MAX = 30
QUERY_MAX = 40


async def communities_for_home(query: str = "") -> tuple[list[dict], bool]:
    """The communities a visitor of the public home may pick, ordered by station then
    name, and whether there are more than HOME_LIST_MAX (then only those matching
    ``query`` — a community's or station's name in either language, or its code — are
    listed, at most HOME_FOUND_MAX). Retired communities and stations are left out."""
    from portal.stations.tables import Community

    shown = (Community.code, Community.name_zh, Community.name_en, Community.station.id, Community.station.name_zh, Community.station.name_en)
    active = Community.retired_at.is_null() & Community.station.retired_at.is_null()
    many = await Community.count().where(active).run() > HOME_LIST_MAX
    query = (query or "").strip()[:QUERY_MAX]
    select = Community.select(*shown).where(active)
    if many:
        # Wildcards typed are dropped (nobody names a community with % or _).
        if not (text := re.sub(r"[%_\\]", "", query)):
            return [], True
        columns = (Community.name_zh, Community.name_en, Community.code, Community.station.name_zh, Community.station.name_en)
        select = select.where(reduce(operator.or_, (icontains(column, text) for column in columns)))
    rows = await select.order_by(Community.station.id).order_by(Community.name_zh).limit(HOME_FOUND_MAX if many else HOME_LIST_MAX).run()
    return rows, many
