"""The care register and its visits: who sees what, registering a person, the schedule,
the volunteers who visit, recording a visit (and escalating it), ending the visits.

Who sees what:
- the register, a person's page and the visit log: those who see a community's personal
  data (``Actor.sees_personal_data``: its officers, its station's head, administrators),
  never a head above the station, another community's officer, a host or the public;
- a volunteer assigned to a person: the name, the address and the needs, the next visit's
  day and the form to record the visit, while they are a verified volunteer of the
  person's community; nothing else, not the visits of others.
Counts (people on the register, visits done, overdue) go to dashboards and bulletins,
never a name. The audit rows name the fields that changed, never their values, so the
trail holds nothing the retention job would have to remove.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portal.accounts.rules import Actor
from portal.audit.rules import record
from portal.care.tables import CONSENT_FROM, END_REASONS, OUTCOMES, VOLUNTEER_OUTCOMES, CareAssignment, CarePerson, CareVisit
from portal.db import fetch, true, write_transaction
from portal.notifications.rules import notify
from portal.stations.tables import Community
from portal.web.i18n import N_
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext
from portal.web.pagination import PAGE_SIZE, Page

NAME_MAX = 100
ADDRESS_MAX = 200
NEEDS_MAX = 1000
PHONE_MAX = 32
NOTE_MAX = 2000
SUMMARY_MAX = 500
EVERY_DAYS_MAX = 90
# How far ahead a first or next visit may be set.
AHEAD_MAX = dt.timedelta(days=366)
PERSONAL = ("name", "address", "needs", "contact_name", "contact_phone")
# Outcomes after which the person's officers hear of it at once.
TELL_OFFICERS = ("escalated_officer",)


class CareError(ValueError):
    """A rule refused the change; ``field`` names the form field the (translated) message
    belongs to, None for the whole form."""

    def __init__(self, field_name: str | None, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def local_today(zone: str, at: dt.datetime | None = None) -> dt.date:
    return (at or utcnow()).astimezone(ZoneInfo(zone)).date()


def end_of_day(day: dt.date, zone: str) -> dt.datetime:
    """The midnight that ends ``day`` in ``zone``, in UTC: a visit due that day is overdue
    from then on."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


def as_date(value) -> dt.date | None:
    """A date read back by hand-written SQL (SQLite gives the text of an expression)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def may_see(actor: Actor | None, community_id: int) -> bool:
    return actor is not None and actor.sees_personal_data(community_id)


async def community(community_id: int) -> dict | None:
    return await Community.select(Community.id, Community.code, Community.name_zh, Community.name_en, Community.timezone, Community.station).where(
        Community.id == community_id
    ).first().run()


# --- The register ----------------------------------------------------------------------


@dataclass
class PersonData:
    name: str
    address: str
    needs: str
    contact_name: str
    contact_phone: str
    consent_on: dt.date
    consent_from: str
    every_days: int
    next_due_on: dt.date


def _clean(data: PersonData, today: dt.date) -> PersonData:
    """The data trimmed and checked against the rules the forms cannot know (today)."""
    data = PersonData(
        name=data.name.strip(), address=data.address.strip(), needs=data.needs.strip(), contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone.strip(), consent_on=data.consent_on, consent_from=data.consent_from, every_days=data.every_days,
        next_due_on=data.next_due_on,
    )
    for field_name, limit in (("name", NAME_MAX), ("address", ADDRESS_MAX), ("needs", NEEDS_MAX), ("contact_name", NAME_MAX), ("contact_phone", PHONE_MAX)):
        if len(getattr(data, field_name)) > limit:
            raise CareError(field_name, _("Use at most %(max)d characters.", max=limit))
    if not data.name:
        raise CareError("name", _("Give the person's name."))
    if not data.address:
        raise CareError("address", _("Give the address where the person is visited."))
    if not data.needs:
        raise CareError("needs", _("Say what the person needs from the visits."))
    if data.consent_from not in CONSENT_FROM:
        raise CareError("consent_from", _("Say who gave the consent."))
    if data.consent_on > today:
        raise CareError("consent_on", _("The consent cannot be given on a day still to come."))
    if not 1 <= data.every_days <= EVERY_DAYS_MAX:
        raise CareError("every_days", ngettext("Visit at least every %(max)d day and at most every day.", "Visit at least every %(max)d days and at most every day.", EVERY_DAYS_MAX, max=EVERY_DAYS_MAX))
    if data.next_due_on < data.consent_on:
        raise CareError("next_due_on", _("The visits start on or after the day of the consent."))
    if data.next_due_on > today + AHEAD_MAX:
        raise CareError("next_due_on", _("Choose a day within a year."))
    return data


def _schedule_view(row: dict) -> dict:
    """What the audit keeps of a person: the schedule and the consent's facts, no text."""
    return {
        "every_days": row["every_days"], "next_due_on": row["next_due_on"], "consent_on": row["consent_on"], "consent_from": row["consent_from"],
        "ended_on": row.get("ended_on"), "end_reason": row.get("end_reason", ""),
    }


async def register(actor: Actor, community_id: int, data: PersonData, idempotency_key: str, at: dt.datetime | None = None) -> int:
    """Put a person on the community's register; the same form sent twice registers once."""
    at = at or utcnow()
    place = await community(community_id)
    if not place or not may_see(actor, community_id):
        raise CareError(None, _("Choose one of your communities."))
    data = _clean(data, local_today(place["timezone"], at))
    async with write_transaction():
        same = await CarePerson.select(CarePerson.id).where(CarePerson.idempotency_key == idempotency_key).first().run()
        if same:
            return same["id"]
        row = CarePerson(
            community=community_id, name=data.name, address=data.address, needs=data.needs, contact_name=data.contact_name, contact_phone=data.contact_phone,
            consent_on=data.consent_on, consent_from=data.consent_from, consent_recorded_by=actor.id, every_days=data.every_days,
            next_due_on=data.next_due_on, next_due_at=end_of_day(data.next_due_on, place["timezone"]), idempotency_key=idempotency_key,
            created_at=at, updated_at=at,
        )
        person_id = (await CarePerson.insert(row).returning(CarePerson.id).run())[0]["id"]
        # Personal data: the audit names the person's fields, never their values.
        await record("care.registered", "care_person", person_id, actor=actor, after={"community": community_id, **_schedule_view({
            "every_days": data.every_days, "next_due_on": data.next_due_on, "consent_on": data.consent_on, "consent_from": data.consent_from})})
    return person_id


PERSON_COLUMNS = (
    CarePerson.id, CarePerson.community, CarePerson.name, CarePerson.address, CarePerson.needs, CarePerson.contact_name, CarePerson.contact_phone,
    CarePerson.consent_on, CarePerson.consent_from, CarePerson.consent_recorded_by.real_name, CarePerson.every_days, CarePerson.next_due_on,
    CarePerson.next_due_at, CarePerson.ended_on, CarePerson.end_reason, CarePerson.created_at, CarePerson.community.timezone,
    CarePerson.community.name_zh, CarePerson.community.name_en,
)


async def person_for_officer(actor: Actor, person_id: int) -> dict | None:
    """The whole record, for those who see the community's personal data; None otherwise."""
    row = await CarePerson.select(*PERSON_COLUMNS).where(CarePerson.id == person_id).first().run()
    if not row or not may_see(actor, row["community"]):
        return None
    return row


async def update(actor: Actor, person_id: int, data: PersonData, at: dt.datetime | None = None) -> bool:
    at = at or utcnow()
    async with write_transaction():
        before = await person_for_officer(actor, person_id)
        if not before:
            return False
        data = _clean(data, local_today(before["community.timezone"], at))
        values = {
            "name": data.name, "address": data.address, "needs": data.needs, "contact_name": data.contact_name, "contact_phone": data.contact_phone,
            "consent_on": data.consent_on, "consent_from": data.consent_from, "every_days": data.every_days, "next_due_on": data.next_due_on,
        }
        changed = sorted(k for k, v in values.items() if before[k] != v)
        if not changed:
            return True
        await CarePerson.update({
            **{getattr(CarePerson, k): v for k, v in values.items()},
            CarePerson.next_due_at: end_of_day(data.next_due_on, before["community.timezone"]), CarePerson.updated_at: at,
        }).where(CarePerson.id == person_id).run()
        after = before | values
        await record("care.updated", "care_person", person_id, actor=actor, before=_schedule_view(before), after={**_schedule_view(after), "changed": changed})
    return True


async def end(actor: Actor, person_id: int, reason: str, on: dt.date, at: dt.datetime | None = None) -> bool:
    """Consent withdrawn or the person left: no more visits, the volunteers see nothing
    more, and the retention job removes the record ``PORTAL_RETENTION_CARE_DAYS`` after ``on``."""
    at = at or utcnow()
    if reason not in END_REASONS:
        raise CareError("reason", _("Say why the visits end."))
    async with write_transaction():
        before = await person_for_officer(actor, person_id)
        if not before:
            return False
        if before["ended_on"] is not None:
            raise CareError(None, _("The visits have already ended."))
        today = local_today(before["community.timezone"], at)
        if on > today:
            raise CareError("ended_on", _("Choose today or a day before."))
        if on < before["consent_on"]:
            raise CareError("ended_on", _("The visits cannot end before the consent was given."))
        await CarePerson.update({CarePerson.ended_on: on, CarePerson.end_reason: reason, CarePerson.updated_at: at}).where(CarePerson.id == person_id).run()
        await CareAssignment.delete().where(CareAssignment.person == person_id).run()
        await record("care.ended", "care_person", person_id, actor=actor, before=_schedule_view(before), after={**_schedule_view(before | {"ended_on": on, "end_reason": reason})})
    return True


async def resume(actor: Actor, person_id: int, at: dt.datetime | None = None) -> bool:
    """The visits go on after all (ended by mistake, or the person came back): the next
    visit is due today unless it was later."""
    at = at or utcnow()
    async with write_transaction():
        before = await person_for_officer(actor, person_id)
        if not before:
            return False
        if before["ended_on"] is None:
            raise CareError(None, _("The visits have not ended."))
        due = max(before["next_due_on"], local_today(before["community.timezone"], at))
        await CarePerson.update({
            CarePerson.ended_on: None, CarePerson.end_reason: "", CarePerson.next_due_on: due,
            CarePerson.next_due_at: end_of_day(due, before["community.timezone"]), CarePerson.updated_at: at,
        }).where(CarePerson.id == person_id).run()
        await record("care.resumed", "care_person", person_id, actor=actor, before=_schedule_view(before), after=_schedule_view(before | {"ended_on": None, "end_reason": "", "next_due_on": due}))
    return True


def _cursor(day: dt.date, row_id: int) -> str:
    return f"{day.isoformat()}_{row_id}"


def _parse_cursor(text: str | None) -> tuple[dt.date, int] | None:
    day, _sep, row_id = (text or "").partition("_")
    try:
        return dt.date.fromisoformat(day), int(row_id)
    except ValueError:
        return None


async def register_page(community_id: int, ended: bool, after: str | None, size: int = PAGE_SIZE) -> Page:
    """A community's register: the people still visited soonest due first (overdue at the
    top), or those whose visits ended, latest first; keyset pages by (day, id)."""
    day_column = CarePerson.ended_on if ended else CarePerson.next_due_on
    query = CarePerson.select(
        CarePerson.id, CarePerson.name, CarePerson.address, CarePerson.every_days, CarePerson.next_due_on, CarePerson.next_due_at,
        CarePerson.ended_on, CarePerson.end_reason,
    ).where((CarePerson.community == community_id) & (CarePerson.ended_on.is_not_null() if ended else CarePerson.ended_on.is_null()))
    position = _parse_cursor(after)
    if position:
        day, last = position
        if ended:
            query = query.where((day_column < day) | ((day_column == day) & (CarePerson.id < last)))
        else:
            query = query.where((day_column > day) | ((day_column == day) & (CarePerson.id > last)))
    rows = await query.order_by(day_column, ascending=not ended).order_by(CarePerson.id, ascending=not ended).limit(size + 1).run()
    more = len(rows) > size
    rows = rows[:size]
    await _with_last_visits(rows)
    next_after = _cursor(rows[-1]["ended_on" if ended else "next_due_on"], rows[-1]["id"]) if more and rows else None
    return Page(rows=rows, next_after=next_after)


def _ids(rows: list[dict], key: str = "id") -> str:
    return ",".join(str(int(r[key])) for r in rows) or "0"


async def _with_last_visits(rows: list[dict]) -> None:
    """Each person's last visit (day, outcome) and number of volunteers, in two queries."""
    if not rows:
        return
    last = {
        r["person"]: r for r in await fetch(
            "SELECT person, visited_on, outcome FROM (SELECT person, visited_on, outcome, ROW_NUMBER() OVER (PARTITION BY person ORDER BY visited_on DESC, id DESC) AS rn "
            f"FROM care_visit WHERE person IN ({_ids(rows)})) t WHERE rn = 1"
        )
    }
    volunteers = {r["person"]: int(r["n"]) for r in await fetch(f"SELECT person, COUNT(*) AS n FROM care_assignment WHERE person IN ({_ids(rows)}) GROUP BY person")}
    for row in rows:
        seen = last.get(row["id"])
        row["last_visited_on"] = as_date(seen["visited_on"]) if seen else None
        row["last_outcome"] = seen["outcome"] if seen else ""
        row["volunteers"] = volunteers.get(row["id"], 0)


async def counts_by_community(community_ids, at: dt.datetime | None = None) -> dict[int, dict]:
    """{community: {"people": on the register, "overdue": visits overdue}} for the home pages."""
    at = at or utcnow()
    ids = sorted(community_ids or [])
    if not ids:
        return {}
    rows = await fetch(
        "SELECT community, COUNT(*) AS people, SUM(CASE WHEN next_due_at <= {} THEN 1 ELSE 0 END) AS overdue FROM care_person "
        f"WHERE ended_on IS NULL AND community IN ({','.join(str(int(i)) for i in ids)}) GROUP BY community",
        at,
    )
    return {r["community"]: {"people": int(r["people"]), "overdue": int(r["overdue"] or 0)} for r in rows}


# --- Volunteers ------------------------------------------------------------------------


async def volunteers_of(community_id: int) -> list[dict]:
    """The verified volunteers of the community who may be asked to visit."""
    return await fetch(
        'SELECT u.id, u.real_name FROM volunteer_profile vp JOIN portal_user u ON u.id = vp."user" '
        f"WHERE vp.community = {{}} AND vp.status = 'verified' AND u.active = {true()} ORDER BY u.real_name, u.id",
        community_id,
    )


async def assigned_volunteers(person_id: int) -> list[dict]:
    return await fetch(
        'SELECT u.id, u.real_name, a.assigned_at FROM care_assignment a JOIN portal_user u ON u.id = a.volunteer WHERE a.person = {} ORDER BY a.assigned_at, a.id',
        person_id,
    )


async def assign(actor: Actor, person_id: int, volunteer_id: int, at: dt.datetime | None = None) -> bool:
    """Ask a verified volunteer of the person's community to visit; they are told, without
    the person's name (it is on the page the message links to)."""
    at = at or utcnow()
    async with write_transaction():
        person = await person_for_officer(actor, person_id)
        if not person:
            return False
        if person["ended_on"] is not None:
            raise CareError(None, _("The visits have ended."))
        if volunteer_id not in {v["id"] for v in await volunteers_of(person["community"])}:
            raise CareError("volunteer", _("Choose a verified volunteer of the community."))
        made = await fetch(
            "INSERT INTO care_assignment (person, volunteer, assigned_by, assigned_at) VALUES ({}, {}, {}, {}) ON CONFLICT (person, volunteer) DO NOTHING RETURNING id",
            person_id, volunteer_id, actor.id, at,
        )
        if made:
            await record("care.assigned", "care_person", person_id, actor=actor, after={"volunteer": volunteer_id})
            await notify(
                volunteer_id, "care.assigned", N_("You were asked to make home visits"),
                N_("An officer asked you to visit someone in your community who needs care. The name, the address and what they need are on the page."),
                f"/care/assigned/{person_id}", dedupe_key=f"care-assigned:{person_id}:{volunteer_id}:{made[0]['id']}",
            )
    return True


async def unassign(actor: Actor, person_id: int, volunteer_id: int) -> bool:
    async with write_transaction():
        person = await person_for_officer(actor, person_id)
        if not person:
            return False
        gone = await CareAssignment.delete().where((CareAssignment.person == person_id) & (CareAssignment.volunteer == volunteer_id)).returning(CareAssignment.id).run()
        if gone:
            await record("care.unassigned", "care_person", person_id, actor=actor, before={"volunteer": volunteer_id})
    return True


def _assigned_sql(where: str) -> str:
    """People a volunteer is asked to visit, while the visits go on and the volunteer is a
    verified volunteer of the person's community (an assignment outlives neither)."""
    return (
        "SELECT p.id, p.community, p.name, p.address, p.needs, p.every_days, p.next_due_on, p.next_due_at, p.consent_on, c.timezone, c.name_zh AS community_zh, "
        "c.name_en AS community_en FROM care_assignment a JOIN care_person p ON p.id = a.person JOIN community c ON c.id = p.community "
        'JOIN volunteer_profile vp ON vp."user" = a.volunteer AND vp.community = p.community AND vp.status = \'verified\' '
        f"WHERE a.volunteer = {{}} AND p.ended_on IS NULL {where}"
    )


def _assigned_row(row: dict, at: dt.datetime | None = None) -> dict:
    due = as_date(row["next_due_on"])
    return row | {"next_due_on": due, "consent_on": as_date(row["consent_on"]), "overdue": due < local_today(row["timezone"], at)}


async def assigned_to(actor: Actor, limit: int = 200) -> list[dict]:
    """"Visits assigned to you": name, address, needs and the next visit's day."""
    if not actor.has("volunteer"):
        return []
    rows = await fetch(_assigned_sql("") + f" ORDER BY p.next_due_on, p.id LIMIT {int(limit)}", actor.id)
    return [_assigned_row(r) for r in rows if actor.reaches(r["community"], "volunteer")]


async def assigned_person(actor: Actor, person_id: int) -> dict | None:
    if not actor.has("volunteer"):
        return None
    rows = await fetch(_assigned_sql("AND p.id = {}"), actor.id, person_id)
    if not rows or not actor.reaches(rows[0]["community"], "volunteer"):
        return None
    return _assigned_row(rows[0])


# --- Visits ----------------------------------------------------------------------------


@dataclass
class VisitData:
    visited_on: dt.date
    outcome: str
    note: str = ""
    # Filing into a ledger (the officer's choice "ledger:category" and the matter).
    ledger: str = ""
    summary: str = ""


def parse_ledger_choice(value: str) -> tuple[str, str]:
    from portal.ledger.rules import CATEGORIES

    ledger, _sep, category = (value or "").partition(":")
    if category not in CATEGORIES.get(ledger, ()):
        raise CareError("ledger", _("Choose the ledger and category to file into."))
    return ledger, category


async def _file_into_ledger(actor: Actor, person: dict, choice: str, summary: str, at: dt.datetime) -> dict:
    """The ledger's own rule files the matter (its numbering, deadlines, audit); the person
    raised it, so the item carries their name for the feedback, under the ledger's rules."""
    from portal.ledger.rules import LedgerError, NewItem, file_item

    ledger, category = parse_ledger_choice(choice)
    summary = summary.strip()
    if not summary:
        raise CareError("summary", _("Say what the matter is."))
    if len(summary) > SUMMARY_MAX:
        raise CareError("summary", _("Use at most %(max)d characters.", max=SUMMARY_MAX))
    try:
        return await file_item(actor, NewItem(
            ledger=ledger, category=category, community_id=person["community"], summary=summary, raised_by_name=person["name"], source="officer_visit",
        ), at=at)
    except LedgerError as error:
        raise CareError(error.field if error.field in ("summary", "ledger") else None, _(error.message, **error.params)) from error


async def record_visit(actor: Actor, person_id: int, data: VisitData, idempotency_key: str, at: dt.datetime | None = None) -> dict | None:
    """Record a visit by an officer of the community or an assigned volunteer (None for
    anyone else); the schedule moves on from the visit's day. "Escalated to the officer"
    tells the officers at once; "escalated to the ledger" (officers only) files the
    matter through the ledger. The same form sent twice records one visit."""
    at = at or utcnow()
    officer = await person_for_officer(actor, person_id)
    person = officer or await assigned_person(actor, person_id)
    if not person:
        return None
    if officer is not None:
        person = officer | {"timezone": officer["community.timezone"]}
    allowed = OUTCOMES if officer else VOLUNTEER_OUTCOMES
    if data.outcome not in allowed:
        raise CareError("outcome", _("Choose how the visit went."))
    today = local_today(person["timezone"], at)
    if data.visited_on > today:
        raise CareError("visited_on", _("Choose today or a day before."))
    if data.visited_on < person["consent_on"]:
        raise CareError("visited_on", _("The visits started on %(day)s.", day=person["consent_on"].isoformat()))
    note = data.note.strip()
    if len(note) > NOTE_MAX:
        raise CareError("note", _("Use at most %(max)d characters.", max=NOTE_MAX))
    if data.outcome in ("needs_help", "escalated_officer") and not note:
        raise CareError("note", _("Say what help is needed."))
    async with write_transaction():
        same = await CareVisit.select(CareVisit.id, CareVisit.ledger_item).where(CareVisit.idempotency_key == idempotency_key).first().run()
        if same:
            return {"id": same["id"], "ledger_item": same["ledger_item"]}
        current = await CarePerson.select(CarePerson.next_due_on, CarePerson.ended_on, CarePerson.every_days).where(CarePerson.id == person_id).first().run()
        if not current or current["ended_on"] is not None:
            raise CareError(None, _("The visits have ended."))
        item = await _file_into_ledger(actor, person, data.ledger, data.summary or note, at) if data.outcome == "escalated_ledger" else None
        visit_id = (await CareVisit.insert(CareVisit(
            person=person_id, community=person["community"], visited_on=data.visited_on, due_on=current["next_due_on"], visitor=actor.id,
            outcome=data.outcome, note=note, ledger_item=item["id"] if item else None, idempotency_key=idempotency_key, created_at=at,
        )).returning(CareVisit.id).run())[0]["id"]
        due = max(current["next_due_on"], data.visited_on + dt.timedelta(days=current["every_days"]))
        await CarePerson.update({CarePerson.next_due_on: due, CarePerson.next_due_at: end_of_day(due, person["timezone"]), CarePerson.updated_at: at}).where(
            CarePerson.id == person_id
        ).run()
        # The note is personal data: the audit says only whether there was one.
        await record("care.visited", "care_visit", visit_id, actor=actor, after={
            "person": person_id, "visited_on": data.visited_on, "outcome": data.outcome, "due_on": current["next_due_on"], "next_due_on": due,
            "by": "officer" if officer else "volunteer", "with_note": bool(note), "ledger_item": item["id"] if item else None,
        })
        if data.outcome in TELL_OFFICERS:
            await _tell_officers(person_id, person["community"], visit_id)
    return {"id": visit_id, "ledger_item": item["id"] if item else None}


async def _tell_officers(person_id: int, community_id: int, visit_id: int) -> None:
    from portal.ledger.rules import officers_of

    for officer in await officers_of(community_id):
        await notify(
            officer["id"], "care.escalated", N_("A home visit needs you"),
            N_("A visitor found that the person needs the officer's help. The visit's note says what is needed."),
            f"/care/{person_id}", dedupe_key=f"care-escalated:{visit_id}:{officer['id']}",
        )


async def file_visit(actor: Actor, visit_id: int, choice: str, summary: str, at: dt.datetime | None = None) -> dict | None:
    """File an earlier visit's matter into a ledger (a volunteer's "needs help" or
    "escalated to the officer"); once per visit. None when the actor may not see it."""
    at = at or utcnow()
    visit = await CareVisit.select(CareVisit.id, CareVisit.person, CareVisit.outcome, CareVisit.note, CareVisit.ledger_item).where(CareVisit.id == visit_id).first().run()
    if not visit or visit["person"] is None:
        return None
    person = await person_for_officer(actor, visit["person"])
    if not person:
        return None
    async with write_transaction():
        if visit["ledger_item"] is not None:
            raise CareError(None, _("This visit is already in a ledger."))
        item = await _file_into_ledger(actor, person, choice, summary or visit["note"], at)
        changed = await CareVisit.update({CareVisit.ledger_item: item["id"], CareVisit.outcome: "escalated_ledger"}).where(
            (CareVisit.id == visit_id) & CareVisit.ledger_item.is_null()
        ).returning(CareVisit.id).run()
        if not changed:
            raise CareError(None, _("This visit is already in a ledger."))
        await record("care.filed", "care_visit", visit_id, actor=actor, before={"outcome": visit["outcome"]}, after={"outcome": "escalated_ledger", "ledger_item": item["id"]})
    return item


async def visit_page(person_id: int, after: int | None, size: int = PAGE_SIZE) -> Page:
    """A person's visits, the last recorded first."""
    query = CareVisit.select(
        CareVisit.id, CareVisit.visited_on, CareVisit.due_on, CareVisit.outcome, CareVisit.note, CareVisit.visitor.real_name,
        CareVisit.ledger_item, CareVisit.ledger_item.number, CareVisit.created_at,
    ).where(CareVisit.person == person_id)
    if after is not None:
        query = query.where(CareVisit.id < after)
    rows = await query.order_by(CareVisit.id, ascending=False).limit(size + 1).run()
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_after=rows[-1]["id"] if more and rows else None)


async def person_of_visit(visit_id: int) -> int | None:
    row = await CareVisit.select(CareVisit.person).where(CareVisit.id == visit_id).first().run()
    return row["person"] if row else None


async def home_context(actor: Actor, oversees: list[dict]) -> dict:
    """The home pages: each community whose register the actor keeps, with its counts
    (officers and station heads), and the people a volunteer is asked to visit."""
    care = []
    if actor.home_role in ("officer", "head"):
        seen = [c for c in oversees if may_see(actor, c["id"])]
        counts = await counts_by_community([c["id"] for c in seen])
        care = [c | counts.get(c["id"], {"people": 0, "overdue": 0}) for c in seen]
    return {"care": care, "care_assigned": await assigned_to(actor) if actor.home_role == "volunteer" else []}
