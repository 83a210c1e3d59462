"""Rules of 联访解: an officer's pairings with units and people, the contact log of each
(visit, call, meeting) and the opinions collected, each solved on the spot or filed into
the ledger through the ledger's own rule (source "officer_visit", the officer
accountable); and the counts per officer.

Who: an officer (or a station head, who is one too) keeps their own pairings in the
communities they serve; the station head reads all of the station's; heads above read;
an administrator reads everything and keeps nothing. The paired person's name, a unit's
contact person and the phones are personal data: ``Actor.sees_personal_data``.

Every change is one write transaction with its audit row (object types ``pairing``,
``pairing_contact``, ``pairing_opinion``); personal data never goes into the audit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import fetch, insert_row, is_unique_violation, write_transaction
from portal.pairings.tables import CHANNELS, OUTCOMES, PAIRING_KINDS, UNIT_KINDS, Pairing, PairingContact, PairingOpinion
from portal.stations.tables import Community
from portal.web.i18n import N_, NC_
from portal.web.i18n import gettext as _

NAME_MAX = 200
PERSON_MAX = 100
TEXT_MAX = 2000
PHONE_PATTERN = re.compile(r"^\+?[0-9 -]{3,20}$")
EARLIEST = dt.date(2000, 1, 1)
PAGE = 50
# An opinion filed into the ledger counts as solved once its item is closed (satisfied, or
# without the person's confirmation after the answer); not as a duplicate or outside remit.
SOLVED_STAGES = ("closed", "closed_unconfirmed")

KIND_LABELS = {"unit": N_("A unit"), "person": N_("A person")}
UNIT_KIND_LABELS = {
    "enterprise": N_("Enterprise"),
    "school": N_("School"),
    "kindergarten": N_("Kindergarten"),
    "clinic": N_("Clinic or hospital"),
    "property": N_("Property management company"),
    "market": N_("Market"),
    "other": N_("Other unit"),
}
CHANNEL_LABELS = {"visit": NC_("contact with a paired unit", "Visit"), "call": N_("Phone call"), "meeting": N_("Meeting")}
OUTCOME_LABELS = {"solved": N_("Solved on the spot"), "filed": N_("Filed into the ledger")}
ACTION_LABELS = {
    "pairing.created": N_("Paired"),
    "pairing.ended": N_("Pairing ended"),
    "pairing.contact": N_("Contact logged"),
    "pairing.opinion": N_("Opinion collected"),
    "pairing.handed_over": N_("Handed over to a successor"),
    "pairing.changed": N_("Pairing changed"),
}
assert set(UNIT_KIND_LABELS) == set(UNIT_KINDS) and set(CHANNEL_LABELS) == set(CHANNELS) and set(OUTCOME_LABELS) == set(OUTCOMES) and set(KIND_LABELS) == set(PAIRING_KINDS)


class PairingError(Exception):
    """A rule refused the input; ``field`` names the form field the (translated) message
    belongs to."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


class _Again(Exception):
    """The idempotency key was used before: the first record stands."""


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def local_today(timezone: str | None, moment: dt.datetime | None = None) -> dt.date:
    return _aware(moment or now()).astimezone(ZoneInfo(timezone or "Asia/Shanghai")).date()


def _too_long(text: str, limit: int, field_name: str) -> None:
    if len(text) > limit:
        raise PairingError(field_name, _("Use at most %(max)d characters.", max=limit))


def _day(value: dt.date | None, field_name: str, first: dt.date, last: dt.date, message: str) -> dt.date:
    if value is None:
        raise PairingError(field_name, _("Give the date as 2026-12-08."))
    if not first <= value <= last:
        raise PairingError(field_name, message)
    return value


# --- Who ---------------------------------------------------------------------------------


def may_pair(actor: Actor) -> bool:
    """Officers and station heads keep pairings of their own (not heads above, not an
    administrator as such)."""
    return not actor.read_only and bool(actor.reach.get("officer"))


async def pairing_communities(actor: Actor) -> list[dict]:
    """The communities an officer pairs in: those they serve as officer (a station head:
    the station's)."""
    if not may_pair(actor):
        return []
    ids = sorted(actor.reach.get("officer") or ())
    return await Community.select(Community.id, Community.code, Community.name_zh, Community.name_en, Community.timezone).where(
        Community.id.is_in(ids or [0]) & Community.retired_at.is_null()
    ).order_by(Community.code).limit(500).run()


def reads(actor: Actor, pairing: dict) -> bool:
    """Its officer (still serving its community), the heads over it, an administrator."""
    if pairing["officer"] == actor.id and actor.reaches(pairing["community"], "officer"):
        return True
    return actor.reaches(pairing["community"], "head")


def keeps(actor: Actor, pairing: dict) -> bool:
    return pairing["officer"] == actor.id and may_pair(actor) and actor.reaches(pairing["community"], "officer")


def _scope_clause(actor: Actor, alias: str = "") -> str:
    """SQL over a row with ``community`` and ``officer``: what the actor reads."""
    prefix = f"{alias}." if alias else ""
    heads = actor.communities("head")
    if heads is None:
        return "1 = 1"
    own = sorted(actor.communities("officer") or ())
    parts = []
    if heads:
        parts.append(f"{prefix}community IN ({','.join(str(int(i)) for i in sorted(heads))})")
    if own:
        parts.append(f'({prefix}officer = {int(actor.id)} AND {prefix}community IN ({",".join(str(int(i)) for i in own)}))')
    return "(" + " OR ".join(parts) + ")" if parts else "1 = 0"


def without_personal_data(pairing: dict) -> dict:
    """What heads above read: a unit's name stays, a person's name, the contact person and
    the phones go."""
    hidden = {**pairing, "contact_name": "", "phone": "", "personal_hidden": True}
    if pairing["kind"] == "person":
        hidden["name"] = ""
        hidden["address"] = ""
    return hidden


# --- Pairings ------------------------------------------------------------------------------


@dataclass
class PairingData:
    community_id: int | None
    kind: str
    name: str
    unit_kind: str = ""
    contact_name: str = ""
    phone: str = ""
    address: str = ""
    note: str = ""
    started_on: dt.date | None = None


async def create_pairing(actor: Actor, data: PairingData, idempotency_key: str) -> int:
    """Pair the actor with a unit or a person of one of their communities; the same key
    again returns the first pairing."""
    communities = {c["id"]: c for c in await pairing_communities(actor)}
    if data.community_id not in communities:
        raise PairingError("community", _("Choose one of your communities."))
    if data.kind not in PAIRING_KINDS:
        raise PairingError("kind", _("Choose a unit or a person."))
    unit_kind = data.unit_kind if data.kind == "unit" else ""
    if data.kind == "unit" and unit_kind not in UNIT_KINDS:
        raise PairingError("unit_kind", _("Choose the kind of unit."))
    name, contact_name, phone, address, note = (v.strip() for v in (data.name, data.contact_name, data.phone, data.address, data.note))
    if not name:
        raise PairingError("name", _("Give the name of the unit or the person."))
    _too_long(name, NAME_MAX, "name")
    _too_long(contact_name, PERSON_MAX, "contact_name")
    if phone and not PHONE_PATTERN.match(phone):
        raise PairingError("phone", _("Enter a phone number of digits, spaces or dashes."))
    _too_long(address, NAME_MAX, "address")
    _too_long(note, TEXT_MAX, "note")
    today = local_today(communities[data.community_id]["timezone"])
    started = _day(data.started_on, "started_on", EARLIEST, today, _("Choose a day from 2000 up to today."))
    columns = {
        "officer": actor.id, "community": data.community_id, "kind": data.kind, "unit_kind": unit_kind, "name": name, "contact_name": contact_name,
        "phone": phone, "address": address, "note": note, "started_on": started,
    }
    try:
        async with write_transaction():
            moment = now()
            rows = await insert_row(Pairing, {**columns, "created_at": moment, "updated_at": moment, "version": 1, "idempotency_key": idempotency_key}, on_conflict_do_nothing="idempotency_key")
            if not rows:
                raise _Again()
            # A unit's name is no one's personal data; a person's is.
            audited = {"officer": actor.id, "community": data.community_id, "kind": data.kind, "unit_kind": unit_kind, "started_on": started,
                       "name": name if data.kind == "unit" else "", "contact": bool(contact_name or phone)}
            await record("pairing.created", "pairing", rows[0]["id"], actor=actor, after=audited)
            return rows[0]["id"]
    except BaseException as error:
        if isinstance(error, _Again) or is_unique_violation(error):
            again = await Pairing.select(Pairing.id).where(Pairing.idempotency_key == idempotency_key).first().run()
            if again:
                return again["id"]
        raise


PAIRING_COLUMNS = (
    *Pairing.all_columns(), Pairing.officer.real_name, Pairing.community.name_zh, Pairing.community.name_en, Pairing.community.timezone,
)


async def get_pairing(pairing_id: int) -> dict | None:
    return await Pairing.select(*PAIRING_COLUMNS).where(Pairing.id == pairing_id).first().run()


async def readable_pairing(actor: Actor, pairing_id: int) -> dict | None:
    """The pairing as the actor may read it (personal data only for who sees it), with
    ``kept`` and its contacts and their opinions, or None."""
    pairing = await get_pairing(pairing_id)
    if not pairing or not reads(actor, pairing):
        return None
    personal = actor.sees_personal_data(pairing["community"])
    shown = pairing if personal else without_personal_data(pairing)
    shown["kept"] = keeps(actor, pairing)
    shown["contacts"] = await contacts_of(pairing_id)
    return shown


async def end_pairing(actor: Actor, pairing_id: int, ended_on: dt.date | None, note: str, expected_version: int | None = None) -> None:
    note = note.strip()
    async with write_transaction():
        pairing = await get_pairing(pairing_id)
        if not pairing or not keeps(actor, pairing):
            raise PairingError("end_note", _("Only the officer of this pairing changes it."))
        if expected_version is not None and pairing["version"] != expected_version:
            raise PairingError("end_note", _("Someone else changed this pairing meanwhile; nothing was changed. Look at it again and repeat your change."))
        if pairing["ended_on"]:
            raise PairingError("end_note", _("This pairing has already ended."))
        _too_long(note, TEXT_MAX, "end_note")
        ended = _day(ended_on, "ended_on", pairing["started_on"], local_today(pairing["community.timezone"]), _("Choose a day from the start of the pairing up to today."))
        await Pairing.update({Pairing.ended_on: ended, Pairing.end_note: note, Pairing.updated_at: now(), Pairing.version: pairing["version"] + 1}).where(Pairing.id == pairing_id).run()
        await record("pairing.ended", "pairing", pairing_id, actor=actor, before={"ended_on": None}, after={"ended_on": ended, "end_note": note})


async def update_pairing(actor: Actor, pairing_id: int, data: PairingData, expected_version: int | None) -> None:
    """Correct a pairing going on (its officer only): the unit's kind, the name, the contact
    person, phone, address, note and the day it began (not after its first contact). The
    community and whether it is a unit or a person stay. A stale page changes nothing. The
    audit keeps what changed; a person's name and every phone, contact person, address
    and note only as "changed", never the values."""
    async with write_transaction():
        pairing = await get_pairing(pairing_id)
        if not pairing or not keeps(actor, pairing):
            raise PairingError("name", _("Only the officer of this pairing changes it."))
        if expected_version is not None and pairing["version"] != expected_version:
            raise PairingError("name", _("Someone else changed this pairing meanwhile; nothing was changed. Look at it again and repeat your change."))
        if pairing["ended_on"]:
            raise PairingError("name", _("This pairing has already ended."))
        unit_kind = data.unit_kind if pairing["kind"] == "unit" else ""
        if pairing["kind"] == "unit" and unit_kind not in UNIT_KINDS:
            raise PairingError("unit_kind", _("Choose the kind of unit."))
        name, contact_name, phone, address, note = (v.strip() for v in (data.name, data.contact_name, data.phone, data.address, data.note))
        if not name:
            raise PairingError("name", _("Give the name of the unit or the person."))
        _too_long(name, NAME_MAX, "name")
        _too_long(contact_name, PERSON_MAX, "contact_name")
        if phone and not PHONE_PATTERN.match(phone):
            raise PairingError("phone", _("Enter a phone number of digits, spaces or dashes."))
        _too_long(address, NAME_MAX, "address")
        _too_long(note, TEXT_MAX, "note")
        first = await PairingContact.select(PairingContact.contacted_on).where(PairingContact.pairing == pairing_id).order_by(PairingContact.contacted_on).first().run()
        latest = min(local_today(pairing["community.timezone"]), first["contacted_on"]) if first else local_today(pairing["community.timezone"])
        started = _day(data.started_on, "started_on", EARLIEST, latest, _("Choose a day from 2000 up to the first contact or today."))
        columns = {"unit_kind": unit_kind, "name": name, "contact_name": contact_name, "phone": phone, "address": address, "note": note, "started_on": started}
        changed = {k: v for k, v in columns.items() if pairing[k] != v}
        if not changed:
            return
        await Pairing.update({**{getattr(Pairing, k): v for k, v in changed.items()}, Pairing.updated_at: now(), Pairing.version: pairing["version"] + 1}).where(Pairing.id == pairing_id).run()
        # Personal data only as "changed": a unit's name, its kind and the day go in as they are.
        plain = ("unit_kind", "started_on") + (("name",) if pairing["kind"] == "unit" else ())
        before = {k: (pairing[k] if k in plain else "changed") for k in changed} | {"version": pairing["version"]}
        after = {k: (v if k in plain else "changed") for k, v in changed.items()} | {"version": pairing["version"] + 1}
        await record("pairing.changed", "pairing", pairing_id, actor=actor, before=before, after=after)


# --- Contacts and opinions ---------------------------------------------------------------------


@dataclass
class ContactData:
    contacted_on: dt.date | None
    channel: str
    note: str = ""


async def add_contact(actor: Actor, pairing_id: int, data: ContactData, idempotency_key: str) -> int:
    """Log a visit, call or meeting of the pairing's officer; the same key again returns it."""
    pairing = await get_pairing(pairing_id)
    if not pairing or not keeps(actor, pairing):
        raise PairingError("note", _("Only the officer of this pairing logs its contacts."))
    if pairing["ended_on"]:
        raise PairingError("contacted_on", _("This pairing has already ended."))
    if data.channel not in CHANNELS:
        raise PairingError("channel", _("Choose a visit, a call or a meeting."))
    note = data.note.strip()
    _too_long(note, TEXT_MAX, "note")
    day = _day(data.contacted_on, "contacted_on", pairing["started_on"], local_today(pairing["community.timezone"]), _("Choose a day from the start of the pairing up to today."))
    columns = {"pairing": pairing_id, "community": pairing["community"], "officer": actor.id, "contacted_on": day, "channel": data.channel, "note": note}
    try:
        async with write_transaction():
            rows = await insert_row(PairingContact, {**columns, "created_at": now(), "idempotency_key": idempotency_key}, on_conflict_do_nothing="idempotency_key")
            if not rows:
                raise _Again()
            await record("pairing.contact", "pairing_contact", rows[0]["id"], actor=actor, after={k: v for k, v in columns.items() if k != "note"} | {"note_length": len(note)})
            return rows[0]["id"]
    except BaseException as error:
        if isinstance(error, _Again) or is_unique_violation(error):
            again = await PairingContact.select(PairingContact.id).where(PairingContact.idempotency_key == idempotency_key).first().run()
            if again:
                return again["id"]
        raise


@dataclass
class OpinionData:
    text: str
    outcome: str
    solution: str = ""
    ledger: str = ""
    category: str = "other"


async def add_opinion(actor: Actor, contact_id: int, data: OpinionData, idempotency_key: str) -> int:
    """Record an opinion collected at a contact: solved on the spot (what was done), or
    filed into a ledger through the ledger's rule with the person (or the unit's contact)
    as who raised it and the officer accountable, in the same transaction. The same key
    again returns the first opinion and files nothing more."""
    from portal.ledger.rules import CATEGORIES, SUMMARY_MAX, LedgerError, NewItem, file_item, officers_of, transition

    contact = await PairingContact.select(*PairingContact.all_columns()).where(PairingContact.id == contact_id).first().run()
    pairing = await get_pairing(contact["pairing"]) if contact else None
    if not pairing or not keeps(actor, pairing):
        raise PairingError("text", _("Only the officer of this pairing records its opinions."))
    text, solution = data.text.strip(), data.solution.strip()
    if not text:
        raise PairingError("text", _("Write the opinion collected."))
    _too_long(text, SUMMARY_MAX, "text")
    _too_long(solution, TEXT_MAX, "solution")
    if data.outcome not in OUTCOMES:
        raise PairingError("outcome", _("Say whether it was solved on the spot or goes into the ledger."))
    if data.outcome == "solved" and not solution:
        raise PairingError("solution", _("Write how it was solved."))
    if data.outcome == "filed":
        if data.ledger not in CATEGORIES:
            raise PairingError("ledger", _("Choose one of the three ledgers."))
        if (data.category or "other") not in CATEGORIES[data.ledger]:
            raise PairingError("category", _("Choose a category of this ledger."))
    columns = {
        "contact": contact_id, "pairing": pairing["id"], "community": pairing["community"], "officer": actor.id, "contacted_on": contact["contacted_on"],
        "text": text, "outcome": data.outcome, "solution": solution if data.outcome == "solved" else "",
    }
    try:
        async with write_transaction():
            rows = await insert_row(PairingOpinion, {**columns, "created_at": now(), "idempotency_key": idempotency_key}, on_conflict_do_nothing="idempotency_key")
            if not rows:
                raise _Again()
            opinion_id = rows[0]["id"]
            item = None
            if data.outcome == "filed":
                who = pairing["name"] if pairing["kind"] == "person" else pairing["contact_name"]
                try:
                    item = await file_item(
                        actor,
                        NewItem(
                            ledger=data.ledger, category=data.category or "other", community_id=pairing["community"], summary=text, source="officer_visit",
                            details=_("Collected on a contact with %(unit)s.", unit=pairing["name"]) if pairing["kind"] == "unit" else "",
                            landmark=pairing["address"][:200], raised_by_name=who, raised_by_phone=pairing["phone"], idempotency_key=f"pairing-opinion-{opinion_id}",
                        ),
                    )
                    # One matter, one person accountable: the officer who collected it.
                    if actor.id in {o["id"] for o in await officers_of(pairing["community"])}:
                        await transition(item["id"], "assigned", actor, officer_id=actor.id)
                except LedgerError as error:
                    raise PairingError(error.field if error.field in ("ledger", "category") else "ledger", _(error.message, **error.params)) from error
                await PairingOpinion.update({PairingOpinion.ledger_item: item["id"]}).where(PairingOpinion.id == opinion_id).run()
            audited = {k: v for k, v in columns.items() if k not in ("text", "solution")} | {"ledger_item": item["id"] if item else None, "number": item["number"] if item else ""}
            await record("pairing.opinion", "pairing_opinion", opinion_id, actor=actor, after=audited)
            return opinion_id
    except BaseException as error:
        if isinstance(error, _Again) or is_unique_violation(error):
            again = await PairingOpinion.select(PairingOpinion.id).where(PairingOpinion.idempotency_key == idempotency_key).first().run()
            if again:
                return again["id"]
        raise


async def contact_of(contact_id: int) -> dict | None:
    return await PairingContact.select(PairingContact.id, PairingContact.pairing).where(PairingContact.id == contact_id).first().run()


async def contacts_of(pairing_id: int, limit: int = 200) -> list[dict]:
    """The pairing's contacts, latest first, each with its opinions and their items."""
    contacts = await PairingContact.select(*PairingContact.all_columns(), PairingContact.officer.real_name).where(PairingContact.pairing == pairing_id).order_by(
        PairingContact.contacted_on, ascending=False
    ).order_by(PairingContact.id, ascending=False).limit(limit).run()
    opinions = await PairingOpinion.select(*PairingOpinion.all_columns(), PairingOpinion.ledger_item.number, PairingOpinion.ledger_item.stage).where(
        PairingOpinion.contact.is_in([c["id"] for c in contacts] or [0])
    ).order_by(PairingOpinion.id).run()
    by_contact: dict[int, list[dict]] = {}
    for opinion in opinions:
        opinion["solved"] = opinion["outcome"] == "solved" or opinion["ledger_item.stage"] in SOLVED_STAGES
        by_contact.setdefault(opinion["contact"], []).append(opinion)
    for contact in contacts:
        contact["opinions"] = by_contact.get(contact["id"], [])
    return contacts


# --- Lists and counts ------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilter:
    officer: int | None = None
    kind: str = ""
    ended: bool = False


@dataclass(frozen=True)
class PairingPage:
    rows: list[dict]
    next_after: int | None


async def pairing_page(actor: Actor, chosen: ListFilter, after: int | None) -> PairingPage:
    """The pairings the actor reads (their own; a head's area's), newest first, with the
    counts of each; personal data only where the actor sees it."""
    where = [_scope_clause(actor, "p")]
    args: list = []
    if chosen.officer:
        where.append("p.officer = {}")
        args.append(int(chosen.officer))
    if chosen.kind in PAIRING_KINDS:
        where.append("p.kind = {}")
        args.append(chosen.kind)
    if not chosen.ended:
        where.append("p.ended_on IS NULL")
    if after:
        where.append("p.id < {}")
        args.append(int(after))
    rows = await fetch(
        "SELECT p.id, p.officer, p.community, p.kind, p.unit_kind, p.name, p.contact_name, p.phone, p.started_on, p.ended_on, "
        "u.real_name AS officer_name, c.name_zh AS community_name_zh, c.name_en AS community_name_en "
        "FROM pairing p JOIN community c ON c.id = p.community LEFT JOIN portal_user u ON u.id = p.officer "
        f"WHERE {' AND '.join(where)} ORDER BY p.id DESC LIMIT {PAGE + 1}",
        *args,
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    counts = await pairing_counts([r["id"] for r in rows])
    shown = []
    for row in rows:
        row = row if actor.sees_personal_data(row["community"]) else without_personal_data(row)
        row.update(counts.get(row["id"], {"contacts": 0, "opinions": 0, "solved": 0, "last_contact": None}))
        shown.append(row)
    return PairingPage(shown, rows[-1]["id"] if more and rows else None)


async def pairing_counts(ids: list[int]) -> dict[int, dict]:
    """Per pairing: contacts, opinions collected, opinions solved (on the spot, or their
    ledger item closed), the last contact's day."""
    if not ids:
        return {}
    listed = ",".join(str(int(i)) for i in ids)
    solved = ", ".join(f"'{s}'" for s in SOLVED_STAGES)
    rows = await fetch(
        "SELECT x.pairing, SUM(x.contacts) AS contacts, SUM(x.opinions) AS opinions, SUM(x.solved) AS solved, MAX(x.last_contact) AS last_contact FROM ("
        f"SELECT pairing, 1 AS contacts, 0 AS opinions, 0 AS solved, contacted_on AS last_contact FROM pairing_contact WHERE pairing IN ({listed}) "
        f"UNION ALL SELECT o.pairing, 0, 1, CASE WHEN o.outcome = 'solved' OR li.stage IN ({solved}) THEN 1 ELSE 0 END, NULL "
        f"FROM pairing_opinion o LEFT JOIN ledger_item li ON li.id = o.ledger_item WHERE o.pairing IN ({listed})"
        ") x GROUP BY x.pairing"
    )
    out = {}
    for row in rows:
        last = row["last_contact"]
        out[row["pairing"]] = {
            "contacts": int(row["contacts"] or 0), "opinions": int(row["opinions"] or 0), "solved": int(row["solved"] or 0),
            "last_contact": dt.date.fromisoformat(last) if isinstance(last, str) else last,
        }
    return out


async def officers_listed(actor: Actor) -> list[dict]:
    """The officers whose pairings the actor reads (for the list's filter)."""
    rows = await fetch(
        f"SELECT DISTINCT p.officer AS id, u.real_name FROM pairing p JOIN portal_user u ON u.id = p.officer WHERE {_scope_clause(actor, 'p')} ORDER BY u.real_name LIMIT 500"
    )
    return rows


def _bounds(first: dt.date, last: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
    return start, end


def _date_arg(day: dt.date):
    from piccolo.engine.postgres import PostgresEngine

    from portal.db import engine

    return day if isinstance(engine(), PostgresEngine) else day.isoformat()


async def officer_figures(actor: Actor, first: dt.date, last: dt.date, zone: str) -> tuple[list[dict], dict]:
    """Per officer, over the pairings the actor reads: pairings now (not ended) and made,
    under the pairing's officer now; contacts, opinions collected and solved in the days
    ``first`` to ``last``, under the officer who made the contact (a pairing handed over
    keeps its past work with them; an opinion filed into the ledger is solved on the day its
    item closed, in ``zone``). Returns the rows (by name) and their total."""
    scope = _scope_clause(actor, "p")
    start, end = _bounds(first, last, zone)
    day_from, day_to = _date_arg(first), _date_arg(last + dt.timedelta(days=1))
    solved = ", ".join(f"'{s}'" for s in SOLVED_STAGES)
    rows = await fetch(
        "SELECT x.officer, u.real_name, SUM(x.now) AS now, SUM(x.made) AS made, SUM(x.contacts) AS contacts, SUM(x.opinions) AS opinions, SUM(x.solved) AS solved FROM ("
        f"SELECT p.officer, CASE WHEN p.ended_on IS NULL THEN 1 ELSE 0 END AS now, CASE WHEN p.started_on >= {{}} AND p.started_on < {{}} THEN 1 ELSE 0 END AS made, "
        f"0 AS contacts, 0 AS opinions, 0 AS solved FROM pairing p WHERE {scope} "
        f"UNION ALL SELECT k.officer, 0, 0, 1, 0, 0 FROM pairing_contact k JOIN pairing p ON p.id = k.pairing WHERE k.contacted_on >= {{}} AND k.contacted_on < {{}} AND {scope} "
        f"UNION ALL SELECT o.officer, 0, 0, 0, 1, CASE WHEN o.outcome = 'solved' THEN 1 ELSE 0 END FROM pairing_opinion o JOIN pairing p ON p.id = o.pairing "
        f"WHERE o.contacted_on >= {{}} AND o.contacted_on < {{}} AND {scope} "
        f"UNION ALL SELECT o.officer, 0, 0, 0, 0, 1 FROM pairing_opinion o JOIN pairing p ON p.id = o.pairing JOIN ledger_item li ON li.id = o.ledger_item "
        f"WHERE li.stage IN ({solved}) AND li.closed_at >= {{}} AND li.closed_at < {{}} AND {scope}"
        ") x LEFT JOIN portal_user u ON u.id = x.officer GROUP BY x.officer, u.real_name ORDER BY u.real_name, x.officer",
        day_from, day_to, day_from, day_to, day_from, day_to, start, end,
    )
    keys = ("now", "made", "contacts", "opinions", "solved")
    out = [{"officer": r["officer"], "real_name": r["real_name"] or "", **{k: int(r[k] or 0) for k in keys}} for r in rows]
    return out, {k: sum(r[k] for r in out) for k in keys}

