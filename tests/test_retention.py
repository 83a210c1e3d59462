"""The retention job, on a fixed clock: old mediation parties are anonymised, contact
details of long-closed ledger items and of answered or filed public intakes are removed;
recent or still open matters keep theirs; every count stays; the job runs once per day
however often it is ticked; each run writes one audit row with counts and no personal
data."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.jobs.runner import run_job
from portal.ledger.tables import LedgerItem
from portal.logs import rules as logs
from portal.logs.tables import FieldLog, MediationParty
from portal.public.tables import Intake
from portal.retention.jobs import JOBS
from portal.retention.rules import ANONYMOUS_PARTY

NOW = dt.datetime(2029, 6, 1, 3, 0, tzinfo=dt.timezone.utc)
JOB = JOBS[0]


def days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


async def _mediation(actor, area, when: dt.datetime, marker: str) -> int:
    data = logs.LogData(
        kind="mediation", community_id=area.community_id, occurred_at=when, category="neighbours", people_count=2,
        description="Noise", outcome="resolved", parties=[(f"{marker}-name-a", f"{marker}-phone-a"), (f"{marker}-name-b", "")],
    )
    return (await logs.create(actor, data, str(uuid.uuid4()), moment=when + dt.timedelta(hours=1))).log_id


async def _ledger_item(area, number: int, stage: str, closed: dt.datetime | None, marker: str) -> int:
    created = (closed or NOW) - dt.timedelta(days=10)
    row = await LedgerItem.insert(
        LedgerItem(
            ledger="complaint", station=area.station_id, community=area.community_id, summary="Street lamp", year=created.year, seq=number,
            number=f"T-{number}", tracking_code=f"trk{number:08d}", stage=stage, stage_entered_at=created, created_at=created, updated_at=created,
            closed_at=closed, raised_by_name=f"{marker}-name", raised_by_phone=f"{marker}-phone", raised_by_email=f"{marker}@example.org",
        )
    ).returning(LedgerItem.id).run()
    return row[0]["id"]


async def _intake(area, status: str, created: dt.datetime, marker: str) -> int:
    row = await Intake.insert(
        Intake(
            kind="help", community=area.community_id, text="Help", contact_name=f"{marker}-name", contact_phone=f"{marker}-phone",
            contact_email=f"{marker}@example.org", status=status, tracking_code=uuid.uuid4().hex[:16], idempotency_key=str(uuid.uuid4()), created_at=created,
            answered_at=created if status != "new" else None,
        )
    ).returning(Intake.id).run()
    return row[0]["id"]


async def test_retention_removes_old_third_party_data_keeps_figures_and_runs_once_a_day(settings, area, make_user):
    actor = await load_actor(await make_user("officer"))
    old_log = await _mediation(actor, area, days_ago(settings.retention_mediation_days + 5), "oldmed")
    new_log = await _mediation(actor, area, days_ago(settings.retention_mediation_days - 5), "newmed")
    old_closed = await _ledger_item(area, 1, "closed", days_ago(settings.retention_ledger_days + 1), "oldclosed")
    old_unconfirmed = await _ledger_item(area, 2, "closed_unconfirmed", days_ago(settings.retention_ledger_days + 40), "oldunconf")
    new_closed = await _ledger_item(area, 3, "closed", days_ago(settings.retention_ledger_days - 1), "newclosed")
    old_open = await _ledger_item(area, 4, "in_progress", None, "oldopen")
    await LedgerItem.update({LedgerItem.created_at: days_ago(5000)}).where(LedgerItem.id == old_open).run()
    old_answered = await _intake(area, "answered", days_ago(settings.retention_intake_days + 1), "oldans")
    old_filed = await _intake(area, "filed", days_ago(settings.retention_intake_days + 1), "oldfiled")
    old_new = await _intake(area, "new", days_ago(settings.retention_intake_days + 100), "oldnew")
    new_answered = await _intake(area, "answered", days_ago(settings.retention_intake_days - 1), "newans")
    counts_before = (await FieldLog.count().run(), await MediationParty.count().run(), await LedgerItem.count().run(), await Intake.count().run())

    assert await run_job(JOB, settings, NOW)
    assert not await run_job(JOB, settings, NOW + dt.timedelta(hours=5))  # the same day: claimed already

    parties = await MediationParty.select().order_by(MediationParty.id).run()
    old_parties = [p for p in parties if p["log"] == old_log]
    assert [(p["name"], p["contact"]) for p in old_parties] == [(ANONYMOUS_PARTY, ""), (ANONYMOUS_PARTY, "")]
    assert [(p["name"], p["contact"]) for p in parties if p["log"] == new_log] == [("newmed-name-a", "newmed-phone-a"), ("newmed-name-b", "")]
    assert (await FieldLog.select(FieldLog.people_count).where(FieldLog.id == old_log).first().run())["people_count"] == 2

    items = {row["id"]: row for row in await LedgerItem.select().run()}
    for item_id in (old_closed, old_unconfirmed):
        assert (items[item_id]["raised_by_name"], items[item_id]["raised_by_phone"], items[item_id]["raised_by_email"]) == ("", "", "")
        assert items[item_id]["version"] == 2 and items[item_id]["summary"] == "Street lamp"
    assert items[new_closed]["raised_by_phone"] == "newclosed-phone"
    assert items[old_open]["raised_by_name"] == "oldopen-name"  # still being handled

    intakes = {row["id"]: row for row in await Intake.select().run()}
    for intake_id in (old_answered, old_filed):
        assert (intakes[intake_id]["contact_name"], intakes[intake_id]["contact_phone"], intakes[intake_id]["contact_email"]) == ("", "", "")
    assert intakes[old_new]["contact_phone"] == "oldnew-phone" and intakes[old_new]["contact_email"] == "oldnew@example.org"  # nobody has answered yet
    assert (intakes[new_answered]["contact_name"], intakes[new_answered]["contact_email"]) == ("newans-name", "newans@example.org")

    assert counts_before == (await FieldLog.count().run(), await MediationParty.count().run(), await LedgerItem.count().run(), await Intake.count().run())

    audits = await AuditEntry.select().where(AuditEntry.action == "retention.purged").run()
    assert len(audits) == 1
    after = audits[0]["after"] if isinstance(audits[0]["after"], dict) else json.loads(audits[0]["after"])
    assert (after["mediation_parties"], after["ledger_items"], after["intakes"]) == (2, 2, 2)
    assert "mediation_party.contact" in after["purged"] and "ledger_item.raised_by_email" in after["purged"] and "intake.contact_phone" in after["purged"] and "intake.contact_email" in after["purged"]
    every_audit = json.dumps([row["after"] for row in await AuditEntry.select(AuditEntry.after).run()], default=str)
    assert "oldmed-" not in every_audit and "oldclosed-" not in every_audit and "oldans-" not in every_audit

    # The next day: nothing more is old enough; still one audit row for the run, with zeros.
    assert await run_job(JOB, settings, NOW + dt.timedelta(days=1))
    audits = await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "retention.purged").order_by(AuditEntry.id).run()
    assert len(audits) == 2
    after = audits[1]["after"] if isinstance(audits[1]["after"], dict) else json.loads(audits[1]["after"])
    assert (after["mediation_parties"], after["ledger_items"], after["intakes"], after["purged"]) == (0, 0, 0, [])
    # Sixteen days on, the recent mediation and the recent intake have aged past the limit too.
    assert await run_job(JOB, settings, NOW + dt.timedelta(days=16))
    assert {p["name"] for p in await MediationParty.select(MediationParty.name).run()} == {ANONYMOUS_PARTY}
    assert (await Intake.select(Intake.contact_name).where(Intake.id == new_answered).first().run())["contact_name"] == ""
    assert (await LedgerItem.select(LedgerItem.raised_by_name).where(LedgerItem.id == new_closed).first().run())["raised_by_name"] == ""


async def test_a_period_of_zero_keeps_everything(settings, area, make_user):
    from dataclasses import replace

    actor = await load_actor(await make_user("officer"))
    await _mediation(actor, area, days_ago(5000), "kept")
    await _ledger_item(area, 1, "closed", days_ago(5000), "kept")
    await _intake(area, "answered", days_ago(5000), "kept")
    keep = replace(settings, retention_mediation_days=0, retention_ledger_days=0, retention_intake_days=0)
    assert await run_job(JOB, keep, NOW)
    assert (await MediationParty.select(MediationParty.name).first().run())["name"] == "kept-name-a"
    assert (await LedgerItem.select(LedgerItem.raised_by_name).first().run())["raised_by_name"] == "kept-name"
    assert (await Intake.select(Intake.contact_name).first().run())["contact_name"] == "kept-name"
