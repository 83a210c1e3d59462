"""The retention job and the care register, on a fixed clock: a person whose consent was
withdrawn (or who left) PORTAL_RETENTION_CARE_DAYS ago or more is removed from the
database with the volunteers asked to visit and the reminders' claims; their visits stay
counted without the person and without the note; nothing of theirs is left in any table
(the audit included); people still visited, or ended more recently, keep everything; a
period of 0 keeps everything."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

from portal import db
from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.care import rules
from portal.care.tables import CareAssignment, CarePerson, CareReminder, CareVisit
from portal.jobs.runner import run_job
from portal.retention.jobs import JOBS

NOW = dt.datetime(2029, 6, 1, 3, 0, tzinfo=dt.timezone.utc)
JOB = JOBS[0]


async def person(officer, community_id: int, marker: str, visitor: int, ended_days_ago: int | None) -> int:
    """A person registered 100 days before NOW, visited twice with notes (one reminder
    claimed), and ended ``ended_days_ago`` days before NOW (None: still visited)."""
    start = NOW - dt.timedelta(days=100)
    day = start.date()
    data = rules.PersonData(f"{marker}-name", f"{marker}-address", f"{marker}-needs", f"{marker}-contact", "139 0000 1111", day, "person", 7, day)
    person_id = await rules.register(officer, community_id, data, str(uuid.uuid4()), at=start)
    await rules.assign(officer, person_id, visitor, at=start)
    for days in (90, 80):
        visit = rules.VisitData(visited_on=(NOW - dt.timedelta(days=days)).date(), outcome="needs_help", note=f"{marker}-note-{days}")
        await rules.record_visit(officer, person_id, visit, str(uuid.uuid4()), at=NOW - dt.timedelta(days=days))
    await CareReminder.insert(CareReminder(person=person_id, due_on=day, created_at=start)).run()
    if ended_days_ago is not None:
        await rules.end(officer, person_id, "withdrawn", (NOW - dt.timedelta(days=ended_days_ago)).date(), at=NOW - dt.timedelta(days=ended_days_ago))
    return person_id


async def everything() -> str:
    """Every row of every table, as text."""
    return json.dumps([await table.select().run() for table in db.all_tables()], default=str, ensure_ascii=False)


async def test_retention_removes_the_record_and_the_notes_a_set_time_after_the_visits_ended(settings, area, make_user, make_volunteer):
    assert settings.retention_care_days == 30
    officer = await load_actor(await make_user("officer"))
    visitor = await make_volunteer()
    gone = await person(officer, area.community_id, "gone", visitor, ended_days_ago=30)
    recent = await person(officer, area.community_id, "recent", visitor, ended_days_ago=29)
    active = await person(officer, area.community_id, "active", visitor, ended_days_ago=None)
    visits_before = await CareVisit.count().run()
    assert "gone-name" in await everything()

    assert await run_job(JOB, settings, NOW)

    assert await CarePerson.count().where(CarePerson.id == gone).run() == 0
    assert await CareAssignment.count().where(CareAssignment.person == gone).run() == 0
    assert await CareReminder.count().where(CareReminder.person == gone).run() == 0
    # The visits stay for the counts: their community, day and outcome, no person, no note.
    assert await CareVisit.count().run() == visits_before
    orphans = await CareVisit.select(CareVisit.community, CareVisit.outcome, CareVisit.note).where(CareVisit.person.is_null()).run()
    assert orphans == [{"community": area.community_id, "outcome": "needs_help", "note": ""}] * 2
    # Nothing of the person is left anywhere in the database, the audit trail included.
    left = await everything()
    assert not any(f"gone-{what}" in left for what in ("name", "address", "needs", "contact", "note"))
    for kept in (recent, active):
        row = await CarePerson.select().where(CarePerson.id == kept).first().run()
        assert row["name"].endswith("-name") and row["contact_name"].endswith("-contact")
        notes = {v["note"] for v in await CareVisit.select(CareVisit.note).where(CareVisit.person == kept).run()}
        assert len(notes) == 2 and all(note for note in notes)
    assert "recent-note-90" in left and "active-needs" in left
    audit = await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "retention.purged").run()
    after = audit[0]["after"] if isinstance(audit[0]["after"], dict) else json.loads(audit[0]["after"])
    assert (after["care_people"], after["care_visits"], after["days"]["care"]) == (1, 2, 30)
    assert "care_person" in after["purged"] and "care_visit.note" in after["purged"]

    # A day later the recent one has aged past the period too.
    assert await run_job(JOB, settings, NOW + dt.timedelta(days=1))
    assert {r["id"] for r in await CarePerson.select(CarePerson.id).run()} == {active}


async def test_a_care_period_of_zero_keeps_the_record(settings, area, make_user, make_volunteer):
    officer = await load_actor(await make_user("officer"))
    kept = await person(officer, area.community_id, "kept", await make_volunteer(), ended_days_ago=60)
    assert await run_job(JOB, dataclasses.replace(settings, retention_care_days=0), NOW)
    assert (await CarePerson.select(CarePerson.name).where(CarePerson.id == kept).first().run())["name"] == "kept-name"
    assert await CareVisit.count().where(CareVisit.note != "").run() == 2
