"""Rules of the three ledgers: filing, the lifecycle as data, satisfaction, privacy,
deadlines in working days, escalation of overdue stages and the timed fallback.

Every change of an item goes through ``transition()`` (or the few setters below), which
checks who may do it and from which stage, refuses a page that went stale (``version``),
writes the item and its timeline, audits and notifies, in one write transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from piccolo.querystring import QueryString

from portal.accounts.rules import Actor, now
from portal.accounts.tables import RoleGrant, User
from portal.audit.rules import record
from portal.db import write_transaction
from portal.ledger import calendar
from portal.ledger import mail as ledger_mail
from portal.ledger.tables import (
    CLOSED_STAGES,
    CONFIRMED_VIA,
    LEDGERS,
    OPEN_STAGES,
    PERSON_VIA,
    SOURCES,
    CALLBACK_CHANNELS,
    LedgerCallback,
    LedgerCounter,
    LedgerDeadlineRule,
    LedgerEscalation,
    LedgerEvent,
    LedgerItem,
    LedgerMail,
    LedgerStation,
)
from portal.ledger import labels
from portal.notifications.rules import Translated, notify
from portal.public.rules import new_tracking_code
from portal.public.tables import Intake
from portal.stations.tables import Community, Station
from portal.web.i18n import N_, format_moment

SUMMARY_MAX = 2000
DETAILS_MAX = 4000
NOTE_MAX = 2000
PLACE_MAX = 200

CATEGORIES = {
    "suggestion": ("public_security", "traffic", "community_service", "police_service", "other"),
    "claim": ("household_registration", "documents", "dispute", "help", "property", "other"),
    "complaint": ("police_conduct", "noise", "fraud", "theft", "public_order", "traffic", "other"),
}

# The lifecycle as data: ledger -> stage -> the stages it may move to. Officers move
# items; the person moves feedback_given to closed / in_progress (tracking page); the
# system moves feedback_given to closed_unconfirmed (timed fallback).
_COMMON = {
    "registered": ("assigned", "closed_duplicate", "closed_out_of_remit"),
    "assigned": ("assigned", "in_progress", "closed_duplicate", "closed_out_of_remit"),
    "in_progress": ("assigned", "handled", "closed_duplicate", "closed_out_of_remit"),
    "handled": ("in_progress", "feedback_given"),
    "feedback_given": ("closed", "in_progress", "closed_unconfirmed"),
    "closed": (),
    "closed_unconfirmed": (),
    "closed_duplicate": (),
    "closed_out_of_remit": (),
}
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {ledger: dict(_COMMON) for ledger in LEDGERS}

STALE_MESSAGE = N_("Someone else changed this item meanwhile; nothing was changed. Look at its current state and try again.")

# One matter, made public (一事一公开): the answer to the person and every officer's
# closing (but a duplicate's) need the public summary, or the item kept private with a
# reason. The person's answer and the timed fallback close only after the answer.
NEEDS_PUBLIC_TEXT = ("feedback_given", "closed", "closed_unconfirmed", "closed_out_of_remit")
PUBLIC_TEXT_MISSING = N_("One matter, made public: write the public summary (below, under \"Public ledger\") or keep the item private with a reason first.")
# ... and once answered, that cannot be undone: the summary is not emptied on a public
# item, nor is an item without one shown on the public ledger again.
PUBLIC_TEXT_KEPT = N_("One matter, made public: the person was answered, so the public summary cannot be emptied. Write another text without names or addresses, or keep the item private with a reason.")
SHOWN_WITHOUT_TEXT = N_("One matter, made public: the person was answered; write the public summary before the item is shown on the public ledger again.")

# The usual next step from each open stage (the item page opens its form first).
NEXT_STEP = {"registered": "assigned", "assigned": "in_progress", "in_progress": "handled", "handled": "feedback_given", "feedback_given": "closed"}

# Working days allowed per stage when no ledger_deadline_rule says otherwise.
DEFAULT_DAYS = {"registered": 1, "assigned": 1, "in_progress": 5, "handled": 2}

# Open311 and the bulletins read our stages as open/closed.
STATUS_OF_STAGE = {stage: "open" for stage in OPEN_STAGES} | {stage: "closed" for stage in CLOSED_STAGES}


class LedgerError(Exception):
    """A refused change. ``message`` is an English msgid (translate where shown);
    ``field`` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params


@dataclass(frozen=True)
class Policy:
    """The timed fallback: a reminder ``reminder_days`` after the feedback, then closed
    without confirmation ``close_days`` after the reminder."""

    reminder_days: int = 3
    close_days: int = 4

    @classmethod
    def from_settings(cls, settings) -> "Policy":
        return cls(reminder_days=settings.ledger_reminder_days, close_days=settings.ledger_unconfirmed_days)


def status_of(stage: str) -> str:
    """"open" or "closed" (what Open311 and the bulletins show)."""
    return STATUS_OF_STAGE[stage]


def allowed(ledger: str, stage: str) -> tuple[str, ...]:
    return TRANSITIONS[ledger][stage]


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _check_length(text: str, limit: int, field: str) -> None:
    if len(text) > limit:
        raise LedgerError(N_("Use at most %(max)d characters."), field, max=limit)


# --- Figures' keys ------------------------------------------------------------------


def month_key(at: dt.datetime, timezone: str) -> str:
    """The local year-month of a moment ("2030-06"), stored beside the date so the
    figures group by month in SQL the same way on both engines."""
    return at.astimezone(calendar.ZoneInfo(timezone)).strftime("%Y-%m")


def days_between(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() / 86400, 4)


# --- Numbers and codes ---------------------------------------------------------------

_VOWELS = set("aeiouv")


def station_prefix(name_en: str, station_id: int) -> str:
    """Letters for a station's numbers: the pinyin initials of the first word of its
    English name ("Chengzhong Police Station" → "CZ"), else "S<id>"."""
    word = re.sub(r"[^A-Za-z]", " ", name_en or "").split()
    if not word:
        return f"S{station_id}"
    letters = word[0].lower()
    initials = [letters[0]]
    i, seen_vowel = 1, False
    while i < len(letters):
        ch = letters[i]
        rest = letters[i + 1 : i + 3]
        if ch in _VOWELS:
            seen_vowel = True
        elif seen_vowel and ch == "n" and not (rest[:1] and rest[0] in _VOWELS):
            # "n" / "ng" end a syllable unless a vowel follows (then it starts the next).
            if rest[:1] == "g" and not (rest[1:2] and rest[1] in _VOWELS):
                i += 1
        elif seen_vowel:
            initials.append(ch)
            seen_vowel = False
        i += 1
    return "".join(initials[:3]).upper()


PREFIX_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")


async def prefix_of(station_id: int) -> str:
    """The letters an admin set for the station, else the ones guessed from its name."""
    chosen = await LedgerStation.select(LedgerStation.prefix).where(LedgerStation.station == station_id).first().run()
    if chosen:
        return chosen["prefix"]
    station = await Station.select(Station.name_en).where(Station.id == station_id).first().run()
    return station_prefix(station["name_en"] if station else "", station_id)


async def set_prefix(actor: Actor, station_id: int, prefix: str) -> str:
    """Set a station's letters for the numbers given from now on (admin only; audited).
    Numbers already given keep theirs; the letters must not be another station's, set
    or already used in its numbers."""
    prefix = (prefix or "").strip().upper()
    if not actor.has("admin"):
        raise LedgerError(N_("You may not change this item."))
    if not PREFIX_PATTERN.match(prefix):
        raise LedgerError(N_("Use 1 to 8 Latin letters and digits, starting with a letter."), "prefix")
    async with write_transaction():
        if not await Station.exists().where(Station.id == station_id).run():
            raise LedgerError(N_("Choose a station from the list."), "station")
        taken = await LedgerStation.exists().where((LedgerStation.prefix == prefix) & (LedgerStation.station != station_id)).run()
        used = await LedgerCounter.exists().where((LedgerCounter.prefix == prefix) & (LedgerCounter.station != station_id)).run()
        if taken or used:
            raise LedgerError(N_("Another station already uses these letters."), "prefix")
        before = await prefix_of(station_id)
        at = now()
        if await LedgerStation.exists().where(LedgerStation.station == station_id).run():
            await LedgerStation.update({LedgerStation.prefix: prefix, LedgerStation.updated_at: at}).where(LedgerStation.station == station_id).run()
        else:
            await LedgerStation.insert(LedgerStation(station=station_id, prefix=prefix, updated_at=at)).run()
        # The counters give the letters of the next numbers; the items keep theirs.
        await LedgerCounter.update({LedgerCounter.prefix: prefix}).where(LedgerCounter.station == station_id).run()
        await record("ledger.prefix", "station", station_id, actor=actor, before={"prefix": before}, after={"prefix": prefix})
    return prefix


async def _next_number(station_id: int, year: int) -> tuple[int, str]:
    """The next sequence number of a station and year. The counter row is created once
    (ON CONFLICT DO NOTHING) and incremented by one UPDATE inside the caller's write
    transaction: SQLite holds the write lock, PostgreSQL the row lock, until commit."""
    prefix = await prefix_of(station_id)
    await LedgerCounter.raw(
        "INSERT INTO ledger_counter (station, year, prefix, last) VALUES ({}, {}, {}, 0) ON CONFLICT (station, year) DO NOTHING",
        station_id, year, prefix,
    ).run()
    rows = await LedgerCounter.update({LedgerCounter.last: LedgerCounter.last + 1}).where(
        (LedgerCounter.station == station_id) & (LedgerCounter.year == year)
    ).returning(LedgerCounter.last, LedgerCounter.prefix).run()
    return rows[0]["last"], rows[0]["prefix"]


async def _new_code() -> str:
    """A tracking code unused by intake records and items."""
    while True:
        code = new_tracking_code()
        if not await LedgerItem.exists().where(LedgerItem.tracking_code == code).run() and not await Intake.exists().where(Intake.tracking_code == code).run():
            return code


# --- Deadlines -----------------------------------------------------------------------


async def working_days_for(ledger: str, category: str, stage: str) -> int | None:
    """The rule for (ledger, category, stage), else (ledger, any category, stage), else
    the default; None for stages without a deadline."""
    rows = await LedgerDeadlineRule.select(LedgerDeadlineRule.category, LedgerDeadlineRule.working_days).where(
        (LedgerDeadlineRule.ledger == ledger) & (LedgerDeadlineRule.stage == stage) & LedgerDeadlineRule.category.is_in([category, ""])
    ).run()
    by_category = {r["category"]: r["working_days"] for r in rows}
    if category in by_category:
        return by_category[category]
    if "" in by_category:
        return by_category[""]
    return DEFAULT_DAYS.get(stage)


async def due_for(ledger: str, category: str, stage: str, at: dt.datetime, timezone: str) -> dt.datetime | None:
    days = await working_days_for(ledger, category, stage)
    if days is None:
        return None
    return await calendar.due_after(at, days, timezone)


async def set_deadline_rule(actor: Actor, ledger: str, category: str, stage: str, working_days: int) -> None:
    if ledger not in LEDGERS or stage not in DEFAULT_DAYS or (category and category not in CATEGORIES[ledger]):
        raise LedgerError(N_("Choose a ledger, category and stage from the lists."))
    if not 0 <= working_days <= 365:
        raise LedgerError(N_("Enter a number of working days from 0 to 365."), "working_days")
    async with write_transaction():
        where = (LedgerDeadlineRule.ledger == ledger) & (LedgerDeadlineRule.category == category) & (LedgerDeadlineRule.stage == stage)
        before = await LedgerDeadlineRule.select(LedgerDeadlineRule.working_days).where(where).first().run()
        if before:
            await LedgerDeadlineRule.update({LedgerDeadlineRule.working_days: working_days}).where(where).run()
        else:
            await LedgerDeadlineRule.insert(LedgerDeadlineRule(ledger=ledger, category=category, stage=stage, working_days=working_days)).run()
        await record("ledger.deadline_rule", "ledger_deadline_rule", f"{ledger}/{category or '*'}/{stage}", actor=actor, before=before, after={"working_days": working_days})


async def add_holiday(actor: Actor, day: dt.date, name: str, is_workday: bool, name_en: str = "") -> None:
    from portal.ledger.tables import Holiday

    values = {"name": name.strip()[:100], "name_en": name_en.strip()[:100], "is_workday": is_workday}
    async with write_transaction():
        before = await Holiday.select(Holiday.name, Holiday.name_en, Holiday.is_workday).where(Holiday.date == day).first().run()
        if before:
            await Holiday.update({getattr(Holiday, k): v for k, v in values.items()}).where(Holiday.date == day).run()
        else:
            await Holiday.insert(Holiday(date=day, **values)).run()
        await record("ledger.holiday", "holiday", day.isoformat(), actor=actor, before=before, after=values)


async def remove_holiday(actor: Actor, day: dt.date) -> bool:
    from portal.ledger.tables import Holiday

    async with write_transaction():
        before = await Holiday.select(Holiday.name, Holiday.name_en, Holiday.is_workday).where(Holiday.date == day).first().run()
        if not before:
            return False
        await Holiday.delete().where(Holiday.date == day).run()
        await record("ledger.holiday_removed", "holiday", day.isoformat(), actor=actor, before=before)
    return True


# --- Filing --------------------------------------------------------------------------


@dataclass
class NewItem:
    ledger: str
    category: str
    community_id: int
    summary: str
    details: str = ""
    point_id: int | None = None
    landmark: str = ""
    raised_by_name: str = ""
    raised_by_phone: str = ""
    raised_by_email: str = ""
    anonymous: bool = False
    source: str = "reception"
    language: str = "zh_CN"
    intake_id: int | None = None
    tracking_code: str | None = None
    idempotency_key: str | None = None


def _validate_new(new: NewItem) -> None:
    if new.ledger not in LEDGERS:
        raise LedgerError(N_("Choose one of the three ledgers."), "ledger")
    if new.category not in CATEGORIES[new.ledger]:
        raise LedgerError(N_("Choose a category of this ledger."), "category")
    if new.source not in SOURCES:
        raise LedgerError(N_("Choose where the matter came from."), "source")
    if not new.summary.strip():
        raise LedgerError(N_("Say what the matter is."), "summary")
    _check_length(new.summary.strip(), SUMMARY_MAX, "summary")
    _check_length(new.details.strip(), DETAILS_MAX, "details")
    _check_length(new.landmark.strip(), PLACE_MAX, "landmark")


async def file_item(actor: Actor | None, new: NewItem, at: dt.datetime | None = None) -> dict:
    """File a matter in a ledger; returns {id, number, tracking_code}. An officer files
    only in communities they reach; the same idempotency key files one item."""
    _validate_new(new)
    at = at or now()
    async with write_transaction():
        if new.idempotency_key:
            existing = await LedgerItem.select(LedgerItem.id, LedgerItem.number, LedgerItem.tracking_code).where(LedgerItem.idempotency_key == new.idempotency_key).first().run()
            if existing:
                return existing
        if new.intake_id is not None:
            existing = await LedgerItem.select(LedgerItem.id, LedgerItem.number, LedgerItem.tracking_code).where(LedgerItem.intake == new.intake_id).first().run()
            if existing:
                return existing
        community = await Community.select(Community.id, Community.station, Community.timezone).where(Community.id == new.community_id).first().run()
        if not community or (actor is not None and not actor.reaches(community["id"], "officer")):
            raise LedgerError(N_("Choose one of your communities."), "community")
        local_year = at.astimezone(calendar.ZoneInfo(community["timezone"])).year
        seq, prefix = await _next_number(community["station"], local_year)
        number = f"{prefix}-{local_year}-{seq:06d}"
        code = new.tracking_code or await _new_code()
        anonymous = new.anonymous or not (new.raised_by_name.strip() or new.raised_by_phone.strip() or new.raised_by_email.strip())
        rows = await LedgerItem.insert(
            LedgerItem(
                ledger=new.ledger, category=new.category, station=community["station"], community=community["id"],
                point=new.point_id, landmark=new.landmark.strip(), summary=new.summary.strip(), details=new.details.strip(),
                raised_by_name="" if new.anonymous else new.raised_by_name.strip()[:100],
                raised_by_phone="" if new.anonymous else new.raised_by_phone.strip()[:32],
                raised_by_email="" if new.anonymous else new.raised_by_email.strip()[:254],
                anonymous=anonymous, language=new.language, source=new.source, intake=new.intake_id,
                filed_by=actor.id if actor else None, year=local_year, seq=seq, number=number, tracking_code=code,
                stage="registered", stage_entered_at=at,
                stage_due_at=await due_for(new.ledger, new.category, "registered", at, community["timezone"]),
                idempotency_key=new.idempotency_key, created_at=at, updated_at=at, version=1,
                filed_month=month_key(at, community["timezone"]),
            )
        ).returning(LedgerItem.id).run()
        item_id = rows[0]["id"]
        await LedgerEvent.insert(LedgerEvent(item=item_id, actor=actor.id if actor else None, kind="stage", from_stage="", to_stage="registered", public=True, created_at=at)).run()
        # Contact details are personal data: the audit says only whether there were any.
        await record(
            "ledger.filed", "ledger_item", item_id, actor=actor,
            after={"number": number, "ledger": new.ledger, "category": new.category, "community": community["id"], "source": new.source, "intake": new.intake_id, "anonymous": anonymous},
        )
        if new.intake_id is not None:
            await Intake.update({Intake.status: "filed"}).where(Intake.id == new.intake_id).run()
    return {"id": item_id, "number": number, "tracking_code": code}


async def file_from_intake(intake_id: int, ledger: str | None = None, category: str = "other", actor: Actor | None = None, at: dt.datetime | None = None) -> dict:
    """Put an intake record into a ledger: the public forms' suggestion / claim /
    complaint go to the matching ledger at once; an officer files a help request into
    the ledger they choose. The item keeps the record's tracking code."""
    intake = await Intake.select().where(Intake.id == intake_id).first().run()
    if not intake:
        raise LedgerError(N_("No such message."))
    if actor is not None and not actor.reaches(intake["community"], "officer"):
        raise LedgerError(N_("No such message."))
    ledger = ledger or intake["kind"]
    return await file_item(
        actor,
        NewItem(
            ledger=ledger, category=category, community_id=intake["community"], summary=intake["text"], point_id=intake["point"],
            raised_by_name=intake["contact_name"], raised_by_phone=intake["contact_phone"], raised_by_email=intake["contact_email"], source="public",
            language=intake["language"], intake_id=intake_id, tracking_code=intake["tracking_code"],
        ),
        at=at,
    )


async def escalate_log(actor: Actor, log_id: int, ledger: str, category: str = "other", summary: str = "", at: dt.datetime | None = None) -> dict:
    """File a field log into a ledger (from the review queue) and link the two. The same
    log escalated again returns the item it already went into."""
    from portal.ledger.tables import LedgerItemLog
    from portal.logs.tables import FieldLog

    log = await FieldLog.select(FieldLog.id, FieldLog.community, FieldLog.description, FieldLog.watch_point, FieldLog.address, FieldLog.landmark.name_zh).where(FieldLog.id == log_id).first().run()
    if not log or not actor.reaches(log["community"], "officer"):
        raise LedgerError(N_("No such log."))
    async with write_transaction():
        linked = await LedgerItemLog.select(LedgerItemLog.item.id, LedgerItemLog.item.number, LedgerItemLog.item.tracking_code).where(LedgerItemLog.field_log == log_id).first().run()
        if linked:
            return {"id": linked["item.id"], "number": linked["item.number"], "tracking_code": linked["item.tracking_code"]}
        created = await file_item(
            actor,
            NewItem(
                ledger=ledger, category=category, community_id=log["community"], summary=(summary or log["description"] or "").strip()[:SUMMARY_MAX] or "-",
                point_id=log["watch_point"], landmark=(log["landmark.name_zh"] or log["address"] or "")[:PLACE_MAX], source="field_log",
            ),
            at=at,
        )
        await LedgerItemLog.insert(LedgerItemLog(item=created["id"], field_log=log_id, created_at=at or now())).run()
        await record("ledger.escalated_log", "ledger_item", created["id"], actor=actor, after={"field_log": log_id})
    return created


# --- The lifecycle -------------------------------------------------------------------


async def _load(item_id: int) -> dict | None:
    return await LedgerItem.select(*LedgerItem.all_columns(), LedgerItem.community.timezone, LedgerItem.station.name_zh).where(LedgerItem.id == item_id).first().run()


def _check_actor(actor: Actor | None, channel: str, item: dict, to: str) -> None:
    if channel == "tracking":
        if item["stage"] != "feedback_given" or to not in ("closed", "in_progress"):
            raise LedgerError(N_("This step is not allowed from the current stage."))
        return
    if channel == "system":
        if to != "closed_unconfirmed":
            raise LedgerError(N_("This step is not allowed from the current stage."))
        return
    if actor is None or not actor.reaches(item["community"], "officer"):
        raise LedgerError(N_("You may not change this item."))
    # Any officer of the community assigns or reassigns (recorded); once someone is
    # accountable, only they (or a station head) move the item on.
    if to != "assigned" and item["officer"] not in (None, actor.id) and not actor.has("head", "admin"):
        raise LedgerError(N_("Only the accountable officer or the station head may do this."))


async def _officer_reaching(officer_id: int | None, community_id: int) -> dict | None:
    if not officer_id:
        return None
    grants = await RoleGrant.select(RoleGrant.role, RoleGrant.community, RoleGrant.station).where(
        (RoleGrant.user == officer_id) & RoleGrant.role.is_in(["officer", "head"])
    ).run()
    community = await Community.select(Community.station).where(Community.id == community_id).first().run()
    for grant in grants:
        if (grant["role"] == "officer" and grant["community"] == community_id) or (grant["role"] == "head" and community and grant["station"] == community["station"]):
            return await User.select(User.id, User.real_name).where((User.id == officer_id) & (User.active == True)).first().run()  # noqa: E712
    return None


async def transition(
    item_id: int,
    to: str,
    actor: Actor | None,
    note: str = "",
    expected_version: int | None = None,
    *,
    channel: str = "portal",
    officer_id: int | None = None,
    via: str = "",
    referred_to: str = "",
    duplicate_of: str = "",
    policy: Policy | None = None,
    at: dt.datetime | None = None,
) -> dict:
    """Move an item to ``to``. ``channel``: "portal" (an officer, ``actor``), "tracking"
    (the person themselves: ``via`` says whether on the tracking page, by the answer
    e-mail's link or through Open311) or "system" (the timed fallback). Raises
    ``LedgerError`` and changes nothing when the step is not allowed, a required note is
    missing, or ``expected_version`` is not the item's version (a stale page)."""
    at = at or now()
    policy = policy or Policy()
    note = _clean(note)
    _check_length(note, NOTE_MAX, "note")
    async with write_transaction():
        item = await _load(item_id)
        if not item:
            raise LedgerError(N_("No such item."))
        if channel == "portal" and (actor is None or not actor.reaches(item["community"], "officer")):
            raise LedgerError(N_("No such item."))
        if expected_version is not None and item["version"] != expected_version:
            raise LedgerError(STALE_MESSAGE, stale=True)
        stage = item["stage"]
        if to not in TRANSITIONS[item["ledger"]].get(stage, ()):
            raise LedgerError(N_("This step is not allowed from the current stage."))
        _check_actor(actor, channel, item, to)
        changes: dict = {}
        public = True
        public_note = ""
        kind = "stage"
        notify_officer: tuple[str, str] | None = None
        if to == "assigned":
            officer = await _officer_reaching(officer_id, item["community"])
            if not officer:
                raise LedgerError(N_("Choose an officer of this community."), "officer")
            if stage == "assigned" and officer["id"] == item["officer"]:
                raise LedgerError(N_("The item is already assigned to this officer."), "officer")
            changes[LedgerItem.officer] = officer["id"]
            kind = "reassigned" if item["officer"] else "assigned"
            public_note = officer["real_name"]
        elif to == "handled":
            if not note:
                raise LedgerError(N_("Write what was done."), "note")
            changes[LedgerItem.handled_note] = note
            public = False
        elif to == "feedback_given":
            if not note:
                raise LedgerError(N_("Write the answer given to the person."), "note")
            changes.update({LedgerItem.feedback_text: note, LedgerItem.feedback_at: at, LedgerItem.reminder_sent_at: None, LedgerItem.satisfaction: ""})
            public_note = note
        elif to == "closed":
            if channel == "tracking":
                via = via if via in PERSON_VIA else "tracking"
            else:
                # Satisfied, provably: the person's own answer (the tracking channel), or a
                # satisfied callback since the feedback by someone other than the officer.
                if not await callback_evidence(item):
                    raise LedgerError(N_("Closing as satisfied needs the person's own answer or a callback recorded by someone other than the accountable officer."))
                via = "callback"
            changes.update({LedgerItem.satisfaction: "satisfied", LedgerItem.satisfaction_via: via, LedgerItem.satisfaction_note: note, LedgerItem.closed_at: at})
            kind = "satisfied"
            public_note = note
        elif to == "in_progress" and stage == "feedback_given":
            if not note:
                raise LedgerError(N_("Say why the person is not satisfied."), "note")
            if channel == "tracking":
                via = via if via in PERSON_VIA else "tracking"
            elif via not in CONFIRMED_VIA:
                raise LedgerError(N_("Say how the person answered."), "via")
            changes.update({
                LedgerItem.satisfaction: "not_satisfied", LedgerItem.satisfaction_via: via, LedgerItem.satisfaction_note: note,
                LedgerItem.reopened_count: item["reopened_count"] + 1, LedgerItem.feedback_at: None, LedgerItem.reminder_sent_at: None,
            })
            kind = "reopened"
            public_note = note
            notify_officer = (N_("Not satisfied: %(number)s reopened"), N_("The person is not satisfied: %(reason)s"))
        elif to == "in_progress":
            if stage == "handled" and not note:
                raise LedgerError(N_("Say what is still to be done."), "note")
            public = stage != "handled"
        elif to == "closed_unconfirmed":
            if channel == "system":
                kind = "timed_out"  # the reason is the configured period, shown translated
            elif not note:
                raise LedgerError(N_("Give the reason for closing without confirmation."), "note")
            if item["reminder_sent_at"] is None:
                raise LedgerError(N_("The person has not been reminded yet; it cannot be closed without confirmation."))
            until = item["reminder_sent_at"] + dt.timedelta(days=policy.close_days)
            if at < until:
                raise LedgerError(N_("The person may answer until %(until)s; it cannot be closed without confirmation before then."), until=format_moment(until, item["community.timezone"]))
            changes.update({LedgerItem.closure_note: note, LedgerItem.closed_at: at})
            public_note = note
        elif to == "closed_duplicate":
            original = await LedgerItem.select(LedgerItem.id, LedgerItem.number).where(
                (LedgerItem.number == duplicate_of.strip().upper()[:32]) & (LedgerItem.station == item["station"]) & (LedgerItem.id != item_id)
            ).first().run() if duplicate_of.strip() else None
            if not original:
                raise LedgerError(N_("Give the number of the item of this station it duplicates."), "duplicate_of")
            changes.update({LedgerItem.duplicate_of: original["id"], LedgerItem.closure_note: note, LedgerItem.closed_at: at})
            public_note = original["number"]
        elif to == "closed_out_of_remit":
            referred_to = referred_to.strip()
            if not referred_to:
                raise LedgerError(N_("Say where the matter was referred."), "referred_to")
            _check_length(referred_to, PLACE_MAX, "referred_to")
            changes.update({LedgerItem.referred_to: referred_to, LedgerItem.closure_note: note, LedgerItem.closed_at: at})
            public_note = referred_to
        if to in NEEDS_PUBLIC_TEXT and channel == "portal" and not item["private"] and not (item["public_summary"] or "").strip():
            raise LedgerError(PUBLIC_TEXT_MISSING, "public_summary")
        if to in CLOSED_STAGES:
            changes.update({LedgerItem.closed_month: month_key(at, item["community.timezone"]), LedgerItem.close_days: days_between(item["created_at"], at)})
        due = await due_for(item["ledger"], item["category"], to, at, item["community.timezone"])
        changes.update({
            LedgerItem.stage: to, LedgerItem.stage_entered_at: at, LedgerItem.stage_due_at: due,
            LedgerItem.updated_at: at, LedgerItem.version: item["version"] + 1,
        })
        # The version in the WHERE makes the write itself refuse a concurrent change.
        written = await LedgerItem.update(changes).where((LedgerItem.id == item_id) & (LedgerItem.version == item["version"])).returning(LedgerItem.id).run()
        if not written:
            raise LedgerError(STALE_MESSAGE, stale=True)
        actor_id = actor.id if actor else None
        # A public line carries only what the person may read; an officer's internal
        # note goes on a line of its own that only officers see.
        await LedgerEvent.insert(
            LedgerEvent(item=item_id, actor=actor_id, kind=kind, from_stage=stage, to_stage=to, note=public_note if public else note, public=public, created_at=at)
        ).run()
        if to in CLOSED_STAGES:
            # A 进建商 resolution filed as this item is done when it closes settled.
            from portal.councils.rules import done_by_ledger

            await done_by_ledger(item_id, to, actor, at)
        if to == "feedback_given":
            # The answer goes to the person too when they left an e-mail address.
            await ledger_mail.queue({**item, "feedback_text": note}, "feedback", at, f"feedback:{item_id}:{item['version'] + 1}")
        if public and note and note != public_note:
            await LedgerEvent.insert(LedgerEvent(item=item_id, actor=actor_id, kind="note", from_stage=stage, to_stage=to, note=note, public=False, created_at=at)).run()
        await record(
            "ledger.transition", "ledger_item", item_id, actor=actor,
            before={"stage": stage, "officer": item["officer"], "version": item["version"]},
            after={"stage": to, "officer": changes.get(LedgerItem.officer, item["officer"]), "version": item["version"] + 1, "note": note, "channel": channel, "via": via or None},
        )
        link = f"/ledger/{item_id}"
        if to == "assigned" and changes[LedgerItem.officer] != (actor.id if actor else None):
            await notify(changes[LedgerItem.officer], "ledger", N_("%(number)s is yours"), N_("You are accountable for ledger item %(number)s."), link, number=item["number"])
        if item["officer"] and item["officer"] != (actor.id if actor else None):
            if notify_officer:
                await notify(item["officer"], "ledger", notify_officer[0], notify_officer[1], link, number=item["number"], reason=note[:200])
            elif to == "closed" and channel == "tracking" and via == "tracking":
                await notify(item["officer"], "ledger", N_("Satisfied: %(number)s closed"), N_("The person confirmed satisfaction on the tracking page."), link, number=item["number"])
            elif to == "closed" and channel == "tracking":
                await notify(item["officer"], "ledger", N_("Satisfied: %(number)s closed"), N_("The person confirmed satisfaction %(via)s."), link, number=item["number"], via=Translated(labels.VIA[via]))
            elif to == "closed_unconfirmed":
                reason = note[:200] if note else Translated(labels.EVENTS["timed_out"])
                await notify(item["officer"], "ledger", N_("%(number)s closed without confirmation"), N_("No answer from the person: %(reason)s"), link, number=item["number"], reason=reason)
    return await _load(item_id)


async def _for_change(actor: Actor, item_id: int, expected_version: int | None) -> dict:
    """The item an officer is about to change (inside the write transaction), or a
    refusal: not theirs, or changed since their page was drawn."""
    item = await _load(item_id)
    if not item or not actor.reaches(item["community"], "officer"):
        raise LedgerError(N_("No such item."))
    if expected_version is not None and item["version"] != expected_version:
        raise LedgerError(STALE_MESSAGE, stale=True)
    return item


def made_public(item: dict) -> bool:
    """The item was answered (it may have been reopened since) or closed under the rule
    of one matter, made public: from then on it keeps a public summary or a recorded
    reason not to publish."""
    return item["stage"] in NEEDS_PUBLIC_TEXT or bool(item["feedback_text"])


async def set_private(actor: Actor, item_id: int, private: bool, reason: str, expected_version: int | None = None) -> dict:
    """Hide an item from the public pages (or show it again), with a reason; audited.
    An answered item without a public summary is not shown again."""
    reason = reason.strip()
    _check_length(reason, NOTE_MAX, "reason")
    if private and not reason:
        raise LedgerError(N_("Say why the item is kept private."), "reason")
    async with write_transaction():
        item = await _for_change(actor, item_id, expected_version)
        if not private and made_public(item) and not (item["public_summary"] or "").strip():
            raise LedgerError(SHOWN_WITHOUT_TEXT, "private")
        at = now()
        await LedgerItem.update({LedgerItem.private: private, LedgerItem.private_reason: reason if private else "", LedgerItem.updated_at: at, LedgerItem.version: item["version"] + 1}).where(LedgerItem.id == item_id).run()
        await LedgerEvent.insert(LedgerEvent(item=item_id, actor=actor.id, kind="private" if private else "public", note=reason, public=False, created_at=at)).run()
        await record("ledger.private", "ledger_item", item_id, actor=actor, before={"private": item["private"], "reason": item["private_reason"]}, after={"private": private, "reason": reason if private else ""})
    return await _load(item_id)


async def set_public_text(actor: Actor, item_id: int, public_summary: str, place_public: str, expected_version: int | None = None) -> dict:
    """The public summary and generalised place: the only text the public pages show.
    Once the item is made public its summary is changed, never emptied."""
    public_summary, place_public = public_summary.strip(), place_public.strip()
    _check_length(public_summary, SUMMARY_MAX, "public_summary")
    _check_length(place_public, PLACE_MAX, "place_public")
    async with write_transaction():
        item = await _for_change(actor, item_id, expected_version)
        if not public_summary and not item["private"] and made_public(item):
            raise LedgerError(PUBLIC_TEXT_KEPT, "public_summary")
        await LedgerItem.update({LedgerItem.public_summary: public_summary, LedgerItem.place_public: place_public, LedgerItem.updated_at: now(), LedgerItem.version: item["version"] + 1}).where(LedgerItem.id == item_id).run()
        await record("ledger.public_text", "ledger_item", item_id, actor=actor, before={"public_summary": item["public_summary"], "place_public": item["place_public"]}, after={"public_summary": public_summary, "place_public": place_public})
    return await _load(item_id)


# Outcome words of the suggested public summary, by stage.
_OUTCOMES = {
    "registered": N_("registered, being looked at"),
    "assigned": N_("an officer is handling it"),
    "in_progress": N_("an officer is handling it"),
    "handled": N_("handled"),
    "feedback_given": N_("handled; the person was answered"),
    "closed": N_("handled; the person is satisfied"),
    "closed_unconfirmed": N_("handled; the person was answered"),
    "closed_duplicate": N_("the same matter as another item"),
    "closed_out_of_remit": N_("outside police remit; referred to %(referred_to)s"),
}


def suggested_public_summary(item: dict) -> str:
    """A public summary made only from the category, the community and the outcome
    (never the person's words, which may name people), in the officer's language: the
    officer checks and saves it."""
    from portal.ledger import labels
    from portal.web.i18n import gettext, localized

    outcome = gettext(_OUTCOMES.get(item["stage"], _OUTCOMES["in_progress"]), referred_to=item.get("referred_to") or "-")
    return gettext(
        "%(ledger)s about %(category)s in %(community)s: %(outcome)s.",
        ledger=gettext(labels.LEDGER_ONE[item["ledger"]]), category=gettext(labels.CATEGORIES.get(item["category"], labels.CATEGORIES["other"])).lower(),
        community=localized(item, "community.name"), outcome=outcome,
    )


# --- Callbacks (回访) -------------------------------------------------------------------


async def callback_evidence(item: dict) -> dict | None:
    """The latest satisfied callback on the item since its feedback, recorded by
    someone other than its accountable officer (None when there is none)."""
    query = LedgerCallback.select(*LedgerCallback.all_columns(), LedgerCallback.by_user.real_name).where(
        (LedgerCallback.item == item["id"]) & (LedgerCallback.satisfied == True) & LedgerCallback.by_user.is_not_null()  # noqa: E712
    )
    if item["officer"]:
        query = query.where(LedgerCallback.by_user != item["officer"])
    if item["feedback_at"]:
        query = query.where(LedgerCallback.created_at >= item["feedback_at"])
    return await query.order_by(LedgerCallback.id, ascending=False).first().run()


async def callbacks_of(item_id: int) -> list[dict]:
    return await LedgerCallback.select(*LedgerCallback.all_columns(), LedgerCallback.by_user.real_name).where(LedgerCallback.item == item_id).order_by(LedgerCallback.id).limit(100).run()


async def record_callback(actor: Actor, item_id: int, channel: str, said: str, satisfied: bool, expected_version: int | None = None, at: dt.datetime | None = None) -> dict:
    """Record a callback: an officer of the community other than the item's accountable
    officer asked the person, after the feedback, whether they are satisfied. The item
    does not move; a satisfied callback is what lets it be closed as satisfied."""
    said = _clean(said)
    _check_length(said, NOTE_MAX, "said")
    if channel not in CALLBACK_CHANNELS:
        raise LedgerError(N_("Choose how the person was reached."), "channel")
    if not said:
        raise LedgerError(N_("Write what the person said."), "said")
    at = at or now()
    async with write_transaction():
        item = await _for_change(actor, item_id, expected_version)
        if actor.read_only:
            raise LedgerError(N_("You may not change this item."))
        if item["officer"] == actor.id:
            raise LedgerError(N_("You are accountable for this item: the callback must be made by someone else."))
        if item["stage"] != "feedback_given":
            raise LedgerError(N_("A callback is recorded after the answer was given to the person."))
        rows = await LedgerCallback.insert(LedgerCallback(item=item_id, by_user=actor.id, channel=channel, said=said, satisfied=satisfied, created_at=at)).returning(LedgerCallback.id).run()
        await LedgerItem.update({LedgerItem.updated_at: at, LedgerItem.version: item["version"] + 1}).where(LedgerItem.id == item_id).run()
        await LedgerEvent.insert(LedgerEvent(item=item_id, actor=actor.id, kind="callback", from_stage=item["stage"], to_stage=item["stage"], note=said, public=False, created_at=at)).run()
        await record("ledger.callback", "ledger_item", item_id, actor=actor, before={"version": item["version"]}, after={"callback": rows[0]["id"], "channel": channel, "satisfied": satisfied, "said": said, "version": item["version"] + 1})
        if item["officer"]:
            await notify(
                item["officer"], "ledger", N_("Callback on %(number)s"),
                N_("A colleague called the person back: satisfied.") if satisfied else N_("A colleague called the person back: not satisfied."),
                f"/ledger/{item_id}", number=item["number"],
            )
    return await _load(item_id)


# --- The person on the tracking page -------------------------------------------------


async def tracked(code: str) -> dict | None:
    """The tracking page's view of an item: never the contact, internal notes or events."""
    item = await LedgerItem.select(
        LedgerItem.id, LedgerItem.number, LedgerItem.ledger, LedgerItem.category, LedgerItem.summary, LedgerItem.stage,
        LedgerItem.created_at, LedgerItem.closed_at, LedgerItem.feedback_text, LedgerItem.satisfaction, LedgerItem.version,
        LedgerItem.tracking_code, LedgerItem.referred_to, LedgerItem.community.name_zh, LedgerItem.community.name_en, LedgerItem.community.timezone,
    ).where(LedgerItem.tracking_code == code).first().run()
    if not item:
        return None
    item["events"] = await LedgerEvent.select(LedgerEvent.kind, LedgerEvent.to_stage, LedgerEvent.note, LedgerEvent.created_at).where(
        (LedgerEvent.item == item["id"]) & (LedgerEvent.public == True)  # noqa: E712
    ).order_by(LedgerEvent.id).limit(100).run()
    item["status"] = status_of(item["stage"])
    return item


async def answer_from_person(item_id: int, satisfied: bool, reason: str, expected_version: int | None, via: str = "tracking", at: dt.datetime | None = None) -> dict:
    """The person's own answer, whichever way it came (``via``: the tracking page, the
    answer e-mail's link, Open311): satisfied closes, not satisfied with a reason reopens.
    Refused unless the item waits for their answer, so a second answer records nothing."""
    if via not in PERSON_VIA:
        raise LedgerError(N_("This step is not allowed from the current stage."))
    to = "closed" if satisfied else "in_progress"
    return await transition(item_id, to, None, reason, expected_version, channel="tracking", via=via, at=at)


async def answer_from_tracking(code: str, satisfied: bool, reason: str, expected_version: int | None, at: dt.datetime | None = None) -> dict:
    """The person says satisfied (closes) or not satisfied with a reason (reopens)."""
    item = await LedgerItem.select(LedgerItem.id).where(LedgerItem.tracking_code == code).first().run()
    if not item:
        raise LedgerError(N_("No such item."))
    return await answer_from_person(item["id"], satisfied, reason, expected_version, "tracking", at)


# --- Jobs ----------------------------------------------------------------------------


async def heads_of_station(station_id: int) -> list[int]:
    rows = await RoleGrant.select(RoleGrant.user).where((RoleGrant.role == "head") & (RoleGrant.station == station_id) & (RoleGrant.user.active == True)).run()  # noqa: E712
    return sorted({r["user"] for r in rows})


_ESCALATED = 'SELECT e.item FROM ledger_escalation e WHERE e.item = ledger_item.id AND e.stage = ledger_item.stage AND e."round" = ledger_item.reopened_count'


async def escalate_overdue(at: dt.datetime, limit: int = 500) -> int:
    """Tell the station head about every open item whose stage deadline has passed —
    once per item, stage and round: the unique ledger_escalation row is the claim, so
    two processes running this at the same moment escalate each item once."""
    rows = await LedgerItem.select(
        LedgerItem.id, LedgerItem.number, LedgerItem.stage, LedgerItem.station, LedgerItem.reopened_count, LedgerItem.officer.real_name,
    ).where(
        LedgerItem.stage.is_in(list(OPEN_STAGES)) & LedgerItem.stage_due_at.is_not_null() & (LedgerItem.stage_due_at <= at)
        # Leave out the stages already escalated, so a backlog of them never hides new ones.
        & LedgerItem.id.not_in(QueryString(_ESCALATED))
    ).order_by(LedgerItem.stage_due_at).limit(limit).run()
    done = 0
    for row in rows:
        async with write_transaction():
            claimed = await LedgerEscalation.raw(
                'INSERT INTO ledger_escalation (item, stage, "round", created_at) VALUES ({}, {}, {}, {}) ON CONFLICT (item, stage, "round") DO NOTHING RETURNING id',
                row["id"], row["stage"], row["reopened_count"], at,
            ).run()
            if not claimed:
                continue
            await LedgerEvent.insert(LedgerEvent(item=row["id"], kind="escalated", from_stage=row["stage"], to_stage=row["stage"], public=False, created_at=at)).run()
            await record("ledger.escalated", "ledger_item", row["id"], after={"stage": row["stage"], "round": row["reopened_count"]})
            for head in await heads_of_station(row["station"]):
                await notify(
                    head, "ledger", N_("Overdue: %(number)s"), N_("Ledger item %(number)s is past its deadline at the stage \"%(stage)s\" (accountable: %(officer)s)."),
                    f"/ledger/{row['id']}", dedupe_key=f"ledger-escalation:{row['id']}:{row['stage']}:{row['reopened_count']}:{head}",
                    number=row["number"], stage=Translated(labels.STAGES[row["stage"]]), officer=row["officer.real_name"] or "-",
                )
            done += 1
    return done


async def feedback_fallback(at: dt.datetime, policy: Policy, limit: int = 500) -> int:
    """Feedback without an answer: after ``reminder_days`` a reminder (once: a
    conditional update is the claim); ``close_days`` after the reminder the item is
    closed without confirmation, with the reason, counted apart in every figure."""
    done = 0
    reminders = await LedgerItem.select(
        LedgerItem.id, LedgerItem.number, LedgerItem.officer, LedgerItem.tracking_code, LedgerItem.language, LedgerItem.raised_by_email, LedgerItem.anonymous, LedgerItem.version,
    ).where(
        (LedgerItem.stage == "feedback_given") & LedgerItem.reminder_sent_at.is_null() & (LedgerItem.feedback_at <= at - dt.timedelta(days=policy.reminder_days))
    ).limit(limit).run()
    for row in reminders:
        async with write_transaction():
            claimed = await LedgerItem.update({LedgerItem.reminder_sent_at: at}).where(
                (LedgerItem.id == row["id"]) & LedgerItem.reminder_sent_at.is_null() & (LedgerItem.stage == "feedback_given")
            ).returning(LedgerItem.id).run()
            if not claimed:
                continue
            await LedgerEvent.insert(LedgerEvent(item=row["id"], kind="reminder", from_stage="feedback_given", to_stage="feedback_given", public=True, created_at=at)).run()
            await record("ledger.reminder", "ledger_item", row["id"], after={"reminder_sent_at": at})
            await ledger_mail.queue(row, "reminder", at, f"reminder:{row['id']}:{row['version']}")
            if row["officer"]:
                await notify(
                    row["officer"], "ledger", N_("Ask about %(number)s"), N_("The person has not said whether they are satisfied with %(number)s. Please ask them."),
                    f"/ledger/{row['id']}", dedupe_key=f"ledger-reminder:{row['id']}:{at.isoformat()}", number=row["number"],
                )
            done += 1
    due = await LedgerItem.select(LedgerItem.id).where(
        (LedgerItem.stage == "feedback_given") & LedgerItem.reminder_sent_at.is_not_null() & (LedgerItem.reminder_sent_at <= at - dt.timedelta(days=policy.close_days))
    ).limit(limit).run()
    for row in due:
        try:
            await transition(row["id"], "closed_unconfirmed", None, "", channel="system", policy=policy, at=at)
        except LedgerError:
            continue  # answered or closed meanwhile
        done += 1
    return done


# --- Officers' lists -----------------------------------------------------------------

LIST_COLUMNS = (
    LedgerItem.id, LedgerItem.number, LedgerItem.ledger, LedgerItem.category, LedgerItem.stage, LedgerItem.summary, LedgerItem.created_at,
    LedgerItem.stage_due_at, LedgerItem.private, LedgerItem.officer, LedgerItem.officer.real_name, LedgerItem.community.name_zh,
    LedgerItem.community.name_en, LedgerItem.community.timezone,
)


@dataclass(frozen=True)
class ListFilter:
    ledger: str | None = None
    stage: str | None = None  # a stage, "open", "closed" or "overdue"
    community_id: int | None = None
    mine: bool = False
    q: str | None = None  # words of the search (portal.ledger.search)
    category: str | None = None
    owner: str | None = None  # an officer's id, or "none": nobody accountable yet
    source: str | None = None
    due_within: int | None = None  # open items due within so many days (overdue too)
    sort: str = "new"  # "new": newest first; "due": soonest deadline first


async def item_page(actor: Actor, chosen: ListFilter, after: int | str | None, at: dt.datetime | None = None):
    """Items of the actor's communities, filtered and searched in SQL (newest first, or by
    deadline with ``after`` a cursor string)."""
    from portal.ledger import search

    return await search.item_page(actor, chosen, LIST_COLUMNS, after, at)


async def item_for_officer(actor: Actor, item_id: int) -> dict | None:
    """One item with its contact and whole timeline, for an officer who reaches it."""
    from portal.ledger.tables import LedgerItemLog

    item = await LedgerItem.select(
        *LedgerItem.all_columns(), LedgerItem.officer.real_name, LedgerItem.filed_by.real_name, LedgerItem.community.name_zh, LedgerItem.community.name_en,
        LedgerItem.community.timezone, LedgerItem.community.code, LedgerItem.point.name_zh, LedgerItem.point.name_en,
    ).where(LedgerItem.id == item_id).first().run()
    if not item or not actor.reaches(item["community"], "officer", "head"):
        return None
    item["events"] = await LedgerEvent.select(*LedgerEvent.all_columns(), LedgerEvent.actor.real_name).where(LedgerEvent.item == item_id).order_by(LedgerEvent.id).limit(300).run()
    item["logs"] = await LedgerItemLog.select(LedgerItemLog.field_log, LedgerItemLog.field_log.kind, LedgerItemLog.field_log.occurred_at).where(LedgerItemLog.item == item_id).limit(50).run()
    if item["duplicate_of"]:
        original = await LedgerItem.select(LedgerItem.number).where(LedgerItem.id == item["duplicate_of"]).first().run()
        item["duplicate_number"] = original["number"] if original else ""
    item["moves"] = list(TRANSITIONS[item["ledger"]][item["stage"]])
    item["callbacks"] = await callbacks_of(item_id)
    from portal.ledger.referrals import referrals_of  # a module built on this one

    item["referrals"] = await referrals_of(item_id)
    item["evidence"] = await callback_evidence(item) if item["stage"] == "feedback_given" else None
    item["forward"] = NEXT_STEP.get(item["stage"])
    return item


async def officers_of(community_id: int) -> list[dict]:
    """Who can be made accountable: the community's officers and its station's heads."""
    community = await Community.select(Community.station).where(Community.id == community_id).first().run()
    if not community:
        return []
    rows = await RoleGrant.select(RoleGrant.user, RoleGrant.user.real_name).where(
        (RoleGrant.user.active == True)  # noqa: E712
        & (((RoleGrant.role == "officer") & (RoleGrant.community == community_id)) | ((RoleGrant.role == "head") & (RoleGrant.station == community["station"])))
    ).run()
    seen: dict[int, str] = {}
    for row in rows:
        seen.setdefault(row["user"], row["user.real_name"])
    return [{"id": k, "real_name": v} for k, v in sorted(seen.items(), key=lambda kv: kv[1])]
