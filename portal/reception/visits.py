"""The desk log of a reception room: who may log, logging a visit (one transaction, one
insert and one audit row, idempotent), correcting it, turning it into a ledger item or a
mediation log (linked both ways), and who may see a visitor's contact details.

Functions other features call:
    ``log_visit(actor, room_id, data, idempotency_key)``, ``correct_visit(actor, visit_id, data)``,
    ``to_ledger(actor, visit_id, ledger)``, ``to_mediation(actor, visit_id)``,
    ``visit_for_item(item_id)``, ``visit_for_log(log_id)``, ``may_see_contact(actor, visit)``.
Audit rows use object type ``reception_visit`` and the visit's id; contact details never
go into the audit (only whether there were any).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portal.accounts.rules import Actor
from portal.audit.rules import record
from portal.db import insert_row, is_unique_violation, write_transaction
from portal.reception import counters  # counters: the daily counts kept with each visit
from portal.reception.tables import OUTCOMES, VISIT_CATEGORIES, Room, Visit
from portal.shifts.tables import Signup
from portal.stations.tables import Community
from portal.web.i18n import N_
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext

OBJECT = "reception_visit"
NOTE_MAX = 1000
NAME_MAX = 100
PHONE_MAX = 32
PEOPLE_MAX = 500
# A volunteer logs at the desk from a little before their reception shift to a little after.
SHIFT_SLACK = dt.timedelta(minutes=30)

CATEGORY_LABELS = {
    "consultation": N_("Consultation"),
    "help_request": N_("Request for help"),
    "emergency": N_("Emergency help or rescue"),
    "mediation": N_("Dispute mediation"),
    "suggestion": N_("Suggestion"),
    "claim": N_("Interest claim"),
    "complaint": N_("Complaint or report"),
    "errand": N_("Errand done for the person"),
    "convenience": N_("Convenience service"),
    "business": N_("Business handled"),
    "foreign_visitor": N_("Foreign visitor served"),
}
OUTCOME_LABELS = {
    "resolved": N_("Resolved at the desk"),
    "referred": N_("Referred elsewhere"),
    "follow_up": N_("Needs follow-up"),
    "filed": N_("Filed as a matter"),
}
ACTION_LABELS = {
    "reception.visit_logged": N_("Logged"), "reception.visit_corrected": N_("Corrected"),
    "reception.visit_filed": N_("Filed in a ledger"), "reception.visit_mediation": N_("Made a mediation log"),
}
LANGUAGE_LABELS = {"zh": N_("Chinese"), "en": N_("English"), "ja": N_("Japanese"), "ko": N_("Korean"), "ru": N_("Russian"), "fr": N_("French"), "de": N_("German"), "es": N_("Spanish"), "ar": N_("Arabic")}
# Categories that are one of the three ledgers already; the others are filed where the
# officer chooses.
LEDGER_OF_CATEGORY = {"suggestion": "suggestion", "claim": "claim", "complaint": "complaint"}
LEDGERS = ("suggestion", "claim", "complaint")
# A visit's outcome as a mediation log's outcome.
MEDIATION_OUTCOME = {"resolved": "resolved", "referred": "referred_committee", "follow_up": "partly", "filed": "partly", "": "partly"}
assert set(CATEGORY_LABELS) == set(VISIT_CATEGORIES) and set(OUTCOME_LABELS) == set(OUTCOMES)


class VisitError(Exception):
    """A rule refused the input; ``field`` names the form field the message belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


@dataclass
class VisitData:
    """What the desk form gives the rules (the one-tap case: only the category)."""

    category: str
    people: int = 1
    language: str = ""  # "": the room's first language
    note: str = ""
    outcome: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def room_languages(room: dict) -> list[str]:
    return [code.strip() for code in (room.get("languages") or "zh").split(",") if code.strip()] or ["zh"]


def check(data: VisitData, room: dict) -> VisitData:
    """Every rule on what was typed; raises ``VisitError`` naming the field. Returns the
    data cleaned (trimmed, the language defaulted)."""
    if data.category not in VISIT_CATEGORIES:
        raise VisitError("category", _("Choose one of the options."))
    if not isinstance(data.people, int) or data.people < 1 or data.people > PEOPLE_MAX:
        raise VisitError("people", ngettext("Between %(low)d and %(high)d person.", "Between %(low)d and %(high)d people.", PEOPLE_MAX, low=1, high=PEOPLE_MAX))
    language = (data.language or room_languages(room)[0]).strip()
    if language not in LANGUAGE_LABELS:
        raise VisitError("language", _("Choose one of the options."))
    if data.outcome and data.outcome not in OUTCOMES:
        raise VisitError("outcome", _("Choose one of the options."))
    note = data.note.strip()
    if len(note) > NOTE_MAX:
        raise VisitError("note", _("At most %(count)d characters.", count=NOTE_MAX))
    name, phone = data.contact_name.strip(), data.contact_phone.strip()
    if len(name) > NAME_MAX:
        raise VisitError("contact_name", _("At most %(count)d characters.", count=NAME_MAX))
    if len(phone) > PHONE_MAX:
        raise VisitError("contact_phone", _("At most %(count)d characters.", count=PHONE_MAX))
    return VisitData(data.category, data.people, language, note, data.outcome, name, phone)


# --- Who may log, correct and see ---------------------------------------------------------

ROOM_COLUMNS = (Room.id, Room.community, Room.name_zh, Room.name_en, Room.languages, Room.status, Room.retired_at, Room.community.station, Room.community.timezone, Room.community.name_zh, Room.community.name_en)


async def get_room(room_id: int) -> dict | None:
    return await Room.select(*ROOM_COLUMNS).where(Room.id == room_id).first().run()


async def on_reception_duty(user_id: int, room_id: int, moment: dt.datetime) -> bool:
    """A current reception shift sign-up (active or stand-in) of a shift kind of this room."""
    return await Signup.exists().where(
        (Signup.user == user_id) & Signup.status.is_in(["active", "standin"]) & (Signup.shift.kind.room == room_id)
        & (Signup.shift.status == "open") & (Signup.shift.starts_at <= moment + SHIFT_SLACK) & (Signup.shift.ends_at >= moment - SHIFT_SLACK)
    ).run()


async def may_log(actor: Actor, room: dict, moment: dt.datetime | None = None) -> bool:
    """Officers of the room's community and its station head (``reaches`` "officer"; on a
    request that changes something district and city heads reach nothing), and volunteers
    or hosts with a current reception shift of this room."""
    if room["retired_at"] is not None:
        return False
    if actor.reaches(room["community"], "officer"):
        return True
    if actor.read_only or not actor.has("volunteer", "host"):
        return False
    return await on_reception_duty(actor.id, room["id"], moment or now())


def is_officer_of(actor: Actor, community_id: int) -> bool:
    return actor.reaches(community_id, "officer")


def may_correct(actor: Actor, visit: dict, moment: dt.datetime | None = None) -> bool:
    """The person who logged it, on its local day, and officers of the community and the
    station head at any time."""
    if actor.read_only:
        return False
    if actor.reaches(visit["community"], "officer"):
        return True
    if visit["logged_by"] != actor.id:
        return False
    tz = ZoneInfo(visit.get("community.timezone") or "Asia/Shanghai")
    return _aware(moment or now()).astimezone(tz).date() == visit["local_day"]


def may_view(actor: Actor, visit: dict) -> bool:
    """Its logger, and officers and heads reaching its community (district and city heads
    read)."""
    return visit["logged_by"] == actor.id or actor.reaches(visit["community"], "officer")


def may_see_contact(actor: Actor, station_id: int, station_communities: frozenset[int] | set[int]) -> bool:
    """Contact details: officers of the room's station (community officers of any of its
    communities) and its station head. Never volunteers, hosts, district or city heads,
    admins, the public or exports."""
    for grant in actor.grants:
        if grant.role == "head" and grant.station_id == station_id:
            return True
        if grant.role == "officer" and grant.community_id in station_communities:
            return True
    return False


async def station_communities(station_id: int) -> frozenset[int]:
    rows = await Community.select(Community.id).where(Community.station == station_id).run()
    return frozenset(r["id"] for r in rows)


async def contact_allowed(actor: Actor, station_id: int) -> bool:
    return may_see_contact(actor, station_id, await station_communities(station_id))


# --- Logging -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    visit_id: int
    new: bool  # False: the same key was sent before; nothing was written this time


def _audit_view(columns: dict) -> dict:
    """What the audit keeps of a visit: everything but the contact details themselves."""
    shown = {k: v for k, v in columns.items() if k not in ("contact_name", "contact_phone")}
    shown["contact"] = bool(columns.get("contact_name") or columns.get("contact_phone"))
    return shown


async def visit_by_key(idempotency_key: str) -> dict | None:
    return await Visit.select(Visit.id).where(Visit.idempotency_key == idempotency_key).first().run()


async def log_visit(actor: Actor, room_id: int, data: VisitData, idempotency_key: str, moment: dt.datetime | None = None, room: dict | None = None) -> Logged:
    """Check and write one visit: one insert and one audit row in one write transaction.
    The same ``idempotency_key`` again (double tap, retry) returns the first visit and
    writes nothing."""
    moment = moment or now()
    room = room or await get_room(room_id)
    if not room or not await may_log(actor, room, moment):
        raise VisitError("room", _("You do not log visits at this room."))
    data = check(data, room)
    local_day = moment.astimezone(ZoneInfo(room["community.timezone"] or "Asia/Shanghai")).date()
    columns = {
        "room": room["id"], "community": room["community"], "category": data.category, "people": data.people, "language": data.language,
        "note": data.note, "outcome": data.outcome, "contact_name": data.contact_name, "contact_phone": data.contact_phone,
    }
    try:
        async with write_transaction():
            row = await insert_row(
                Visit,
                {**columns, "logged_by": actor.id, "visited_at": moment, "local_day": local_day, "idempotency_key": idempotency_key, "created_at": moment, "updated_at": moment},
                on_conflict_do_nothing="idempotency_key",
            )
            if not row:
                raise _Again()
            visit_id = row[0]["id"]
            await counters.bump_daily({**columns, "local_day": local_day})  # counters: the room's day counts this visit
            await record("reception.visit_logged", OBJECT, visit_id, actor=actor, after=_audit_view(columns))
        return Logged(visit_id, True)
    except BaseException as error:
        if isinstance(error, _Again) or is_unique_violation(error):
            again = await visit_by_key(idempotency_key)
            if again:
                return Logged(again["id"], False)
        raise


class _Again(Exception):
    pass


# --- Reading -----------------------------------------------------------------------------

VISIT_COLUMNS = (
    Visit.id, Visit.room, Visit.community, Visit.category, Visit.people, Visit.language, Visit.note, Visit.outcome,
    Visit.contact_name, Visit.contact_phone, Visit.logged_by, Visit.visited_at, Visit.local_day, Visit.ledger_item, Visit.field_log,
    Visit.created_at, Visit.updated_at, Visit.logged_by.real_name, Visit.logged_by.username,
    Visit.room.name_zh, Visit.room.name_en, Visit.community.station, Visit.community.timezone,
    Visit.ledger_item.number, Visit.ledger_item.tracking_code, Visit.ledger_item.created_at,
)


async def get_visit(visit_id: int) -> dict | None:
    return await Visit.select(*VISIT_COLUMNS).where(Visit.id == visit_id).first().run()


def without_contact(visit: dict) -> dict:
    return {**visit, "contact_name": "", "contact_phone": ""}


async def visits_of_day(room_id: int, day: dt.date, limit: int = 200) -> list[dict]:
    """The room's visits of one local day, the latest first."""
    return await Visit.select(*VISIT_COLUMNS).where((Visit.room == room_id) & (Visit.local_day == day)).order_by(Visit.id, ascending=False).limit(limit).run()


def local_today(room: dict, moment: dt.datetime | None = None) -> dt.date:
    return _aware(moment or now()).astimezone(ZoneInfo(room["community.timezone"] or "Asia/Shanghai")).date()


async def visit_for_item(item_id: int) -> dict | None:
    """The visit a ledger item came from (the item's page links back)."""
    return await Visit.select(Visit.id, Visit.room, Visit.visited_at, Visit.room.name_zh, Visit.room.name_en).where(Visit.ledger_item == item_id).first().run()


async def visit_for_log(log_id: int) -> dict | None:
    """The visit a mediation log came from (the log's page links back)."""
    return await Visit.select(Visit.id, Visit.room, Visit.visited_at, Visit.room.name_zh, Visit.room.name_en).where(Visit.field_log == log_id).first().run()


# --- Correcting --------------------------------------------------------------------------


async def correct_visit(actor: Actor, visit_id: int, data: VisitData, moment: dt.datetime | None = None) -> bool:
    """Change what was typed about a visit (not its room, day or links); audited with
    before and after. Returns False when nothing changed."""
    moment = moment or now()
    visit = await get_visit(visit_id)
    if not visit or not may_correct(actor, visit, moment):
        raise VisitError("visit", _("You cannot correct this visit."))
    room = await get_room(visit["room"])
    data = check(data, room)
    fields = ("category", "people", "language", "note", "outcome", "contact_name", "contact_phone")
    after = {name: getattr(data, name) for name in fields}
    before = {name: visit[name] for name in fields}
    if after == before:
        return False
    async with write_transaction():
        counted = await counters.visit_counted(visit_id)  # counters: the visit as counted, taken away and counted again below
        await Visit.update({**{getattr(Visit, name): value for name, value in after.items()}, Visit.updated_at: moment}).where(Visit.id == visit_id).run()
        await counters.bump_daily(counted, -1)  # counters
        await counters.bump_daily({**counted, **after})  # counters
        changed = [name for name in fields if after[name] != before[name]]
        await record(
            "reception.visit_corrected", OBJECT, visit_id, actor=actor,
            before=_audit_view({k: before[k] for k in changed}), after=_audit_view({k: after[k] for k in changed}),
        )
    return True


# --- Turning a visit into a matter -------------------------------------------------------


def _ledger_language(code: str) -> str:
    return "zh_CN" if code == "zh" else "en"


async def to_ledger(actor: Actor, visit_id: int, ledger: str | None = None, moment: dt.datetime | None = None) -> dict:
    """File the visit in a ledger (its own for a suggestion, claim or complaint, else the
    one chosen) with what was typed: the note as summary, the contact as the person who
    raised it. Links both ways; the same visit again returns its item. Returns
    {id, number, tracking_code}."""
    from portal.ledger.rules import SUMMARY_MAX, LedgerError, NewItem, file_item
    from portal.ledger.tables import LedgerItem

    moment = moment or now()
    visit = await get_visit(visit_id)
    if not visit or actor.read_only or not actor.reaches(visit["community"], "officer"):
        raise VisitError("visit", _("Only officers of this community file a visit in a ledger."))
    if visit["ledger_item"]:
        return {"id": visit["ledger_item"], "number": visit["ledger_item.number"], "tracking_code": visit["ledger_item.tracking_code"]}
    ledger = LEDGER_OF_CATEGORY.get(visit["category"]) or ledger
    if ledger not in LEDGERS:
        raise VisitError("ledger", _("Choose one of the three ledgers."))
    label = _(CATEGORY_LABELS[visit["category"]])
    summary = (visit["note"] or "").strip()[:SUMMARY_MAX] or label
    details = ngettext("From a reception visit at %(room)s: %(category)s, %(people)d person.", "From a reception visit at %(room)s: %(category)s, %(people)d people.", visit["people"], room=visit["room.name_zh"], category=label, people=visit["people"])
    key = f"reception-visit-{visit_id}"
    try:
        item = await file_item(
            actor,
            NewItem(
                ledger=ledger, category="other", community_id=visit["community"], summary=summary, details=details,
                raised_by_name=visit["contact_name"], raised_by_phone=visit["contact_phone"], source="reception",
                language=_ledger_language(visit["language"]), idempotency_key=key,
            ),
            at=moment,
        )
    except LedgerError as error:
        raise VisitError(error.field or "ledger", _(str(error))) from error
    async with write_transaction():
        counted = await counters.visit_counted(visit_id)  # counters: its outcome becomes "filed" (a resolved mediation no longer counts as resolved)
        await Visit.update({Visit.ledger_item: item["id"], Visit.outcome: "filed", Visit.updated_at: moment}).where((Visit.id == visit_id) & Visit.ledger_item.is_null()).run()
        if counted and counted["ledger_item"] is None:  # counters
            await counters.bump_daily(counted, -1)  # counters
            await counters.bump_daily({**counted, "outcome": "filed"})  # counters
        await record("reception.visit_filed", OBJECT, visit_id, actor=actor, before={"outcome": visit["outcome"]}, after={"ledger_item": item["id"], "number": item["number"], "outcome": "filed"})
    linked = await Visit.select(Visit.ledger_item).where(Visit.id == visit_id).first().run()
    if linked and linked["ledger_item"] != item["id"]:  # another tap filed it first
        row = await LedgerItem.select(LedgerItem.id, LedgerItem.number, LedgerItem.tracking_code).where(LedgerItem.id == linked["ledger_item"]).first().run()
        return row
    return item


async def to_mediation(actor: Actor, visit_id: int, moment: dt.datetime | None = None) -> int:
    """Turn the visit into a mediation field log with what was typed (the note, the number
    of people, the outcome, the contact as a party) and link both ways; the same visit
    again returns its log. Returns the log's id."""
    from portal.logs.rules import LogData, LogError, create

    moment = moment or now()
    visit = await get_visit(visit_id)
    if not visit or actor.read_only or not actor.reaches(visit["community"], "officer"):
        raise VisitError("visit", _("Only officers of this community turn a visit into a mediation log."))
    if visit["field_log"]:
        return visit["field_log"]
    parties = [(visit["contact_name"] or "-", visit["contact_phone"])] if (visit["contact_name"] or visit["contact_phone"]) else []
    occurred = min(_aware(visit["visited_at"]), moment)
    data = LogData(
        kind="mediation", community_id=visit["community"], occurred_at=occurred, category="other",
        description=visit["note"] or _(CATEGORY_LABELS[visit["category"]]), people_count=visit["people"],
        outcome=MEDIATION_OUTCOME.get(visit["outcome"], "partly"), address=visit["room.name_zh"], parties=parties,
    )
    try:
        created = await create(actor, data, f"reception-visit-{visit_id}-mediation", moment=moment)
    except LogError as error:
        raise VisitError(error.field, error.message) from error
    async with write_transaction():
        await Visit.update({Visit.field_log: created.log_id, Visit.updated_at: moment}).where((Visit.id == visit_id) & Visit.field_log.is_null()).run()
        await record("reception.visit_mediation", OBJECT, visit_id, actor=actor, after={"field_log": created.log_id})
    linked = await Visit.select(Visit.field_log).where(Visit.id == visit_id).first().run()
    return linked["field_log"] if linked and linked["field_log"] else created.log_id
