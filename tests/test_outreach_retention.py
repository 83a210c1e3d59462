"""Retention of the follow-ups' and 联访解's personal data, on a fixed clock: a
rectification notice closed (withdrawn, or its hazard re-inspected and found fixed)
PORTAL_RETENTION_NOTICE_DAYS (730) ago or more loses the party it was addressed to, its
address, the notes of the party's reports and the hazard's "who must fix it", in every
table including the audit; a pairing ended PORTAL_RETENTION_PAIRING_DAYS (365) ago or more
loses a person's name, address, phone and notes with the notes of its contacts and the
opinions' text, and a unit's contact person and phone. Notices and pairings closed later,
notices in force and pairings going on keep everything; the rows and their counts stay;
a period of 0 keeps all."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

from portal import db
from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.followups import notices
from portal.followups.tables import RectificationNotice, RectificationReport
from portal.jobs.runner import run_job
from portal.logs import rules as logs
from portal.logs.tables import FieldLog
from portal.pairings import rules as pairings
from portal.pairings.tables import Pairing, PairingContact, PairingOpinion
from portal.retention.jobs import JOBS

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=1000)
JOB = JOBS[0]


async def everything() -> str:
    """Every row of every table, as text."""
    return json.dumps([await table.select().run() for table in db.all_tables()], default=str, ensure_ascii=False)


async def a_notice(officer, author_id: int, community_id: int, marker: str) -> tuple[int, int]:
    data = logs.LogData(kind="hazard", community_id=community_id, occurred_at=logs.now() - dt.timedelta(hours=3), category="fire_exit", severity="high",
                        description="Fire door chained", address="Building 3")
    log_id = (await logs.create(await load_actor(author_id), data, str(uuid.uuid4()))).log_id
    await logs.transition(officer, log_id, "confirmed")
    await logs.transition(officer, log_id, "rectification_requested", rectification_by=f"{marker}-party", rectification_due=logs.now().date() + dt.timedelta(days=5))
    issued = await notices.issue(officer, log_id, f"{marker}-party", f"{marker}-address", str(uuid.uuid4()))
    await RectificationReport.insert(RectificationReport(
        notice=issued.notice_id, note=f"{marker}-report-note", photo_key="x", thumb_key="y", width=1, height=1, idempotency_key=str(uuid.uuid4()), created_at=logs.now(),
    )).run()
    return issued.notice_id, log_id


async def a_pairing(officer, community_id: int, kind: str, marker: str, ended_days_ago: int | None) -> int:
    data = pairings.PairingData(community_id, kind, f"{marker}-name", unit_kind="school" if kind == "unit" else "", contact_name=f"{marker}-cperson",
                                phone="139 0000 2222", address=f"{marker}-address", note=f"{marker}-note", started_on=logs.now().date() - dt.timedelta(days=10))
    pairing_id = await pairings.create_pairing(officer, data, str(uuid.uuid4()))
    contact = await pairings.add_contact(officer, pairing_id, pairings.ContactData(logs.now().date(), "visit", f"{marker}-contact-note"), str(uuid.uuid4()))
    await pairings.add_opinion(officer, contact, pairings.OpinionData(f"{marker}-opinion", "solved", f"{marker}-solution"), str(uuid.uuid4()))
    if ended_days_ago is not None:
        await pairings.end_pairing(officer, pairing_id, logs.now().date(), f"{marker}-end-note")
        await Pairing.update({Pairing.ended_on: (NOW - dt.timedelta(days=ended_days_ago)).date()}).where(Pairing.id == pairing_id).run()
    return pairing_id


async def test_closed_notices_and_ended_pairings_lose_their_personal_data_after_the_period(settings, area, make_user):
    assert settings.retention_notice_days == 730 and settings.retention_pairing_days == 365
    officer_id = await make_user("officer")
    author = await make_user("volunteer")
    officer = await load_actor(officer_id)
    withdrawn, _ = await a_notice(officer, author, area.community_id, "nw")
    verified, verified_log = await a_notice(officer, author, area.community_id, "nv")
    recent, _ = await a_notice(officer, author, area.community_id, "nr")
    in_force, _ = await a_notice(officer, author, area.community_id, "nf")
    await notices.withdraw(officer, withdrawn)
    await notices.withdraw(officer, recent)
    await RectificationNotice.update({RectificationNotice.withdrawn_at: NOW - dt.timedelta(days=731)}).where(RectificationNotice.id == withdrawn).run()
    await RectificationNotice.update({RectificationNotice.withdrawn_at: NOW - dt.timedelta(days=729)}).where(RectificationNotice.id == recent).run()
    await FieldLog.update({FieldLog.hazard_stage: "verified", FieldLog.verified_at: NOW - dt.timedelta(days=740)}).where(FieldLog.id == verified_log).run()
    person = await a_pairing(officer, area.community_id, "person", "pp", 366)
    unit = await a_pairing(officer, area.community_id, "unit", "pu", 365)
    later = await a_pairing(officer, area.community_id, "person", "pl", 364)
    going_on = await a_pairing(officer, area.community_id, "person", "pg", None)
    before = await everything()
    for marker in ("nw", "nv", "pp", "pu"):
        assert marker in before

    assert await run_job(JOB, settings, NOW)
    after = await everything()
    # Gone from every table, the audit included.
    for secret in ("nw-party", "nw-address", "nw-report-note", "nv-party", "nv-address", "nv-report-note",
                   "pp-name", "pp-cperson", "pp-address", "pp-note", "pp-contact-note", "pp-opinion", "pp-solution", "pp-end-note", "pu-cperson"):
        assert secret not in after, secret
    # Kept: a notice closed less long ago, one in force, a pairing ended later or going on, a unit's name.
    for kept in ("nr-party", "nr-report-note", "nf-party", "nf-address", "pl-name", "pl-contact-note", "pg-name", "pg-opinion", "pu-name", "pu-note"):
        assert kept in after, kept
    rows = {r["id"]: r for r in await RectificationNotice.select().run()}
    assert rows[withdrawn]["party"] == rows[verified]["party"] == "—" and rows[withdrawn]["party_address"] == "" and rows[withdrawn]["number"]
    assert (await FieldLog.select(FieldLog.rectification_by).where(FieldLog.id == verified_log).first().run())["rectification_by"] == "—"
    people = {r["id"]: r for r in await Pairing.select().run()}
    assert people[person]["name"] == "—" and people[person]["phone"] == "" and people[unit]["phone"] == "" and people[unit]["name"] == "pu-name"
    assert people[later]["phone"] == "139 0000 2222" and people[going_on]["contact_name"] == "pg-cperson"
    # The rows stay, so their counts do.
    assert await PairingContact.count().run() == 4 and await PairingOpinion.count().run() == 4 and await RectificationReport.count().run() == 4
    [run] = await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "retention.purged").output(load_json=True).run()
    assert run["after"]["notices"] == 2 and run["after"]["pairings"] == 2
    assert "rectification_notice.party" in run["after"]["purged"] and "pairing.name" in run["after"]["purged"]
    assert run["after"]["days"]["notice"] == 730 and run["after"]["days"]["pairing"] == 365

    # The next day's run takes the notice that reached its period then; nothing twice.
    assert await run_job(JOB, settings, NOW + dt.timedelta(days=2))
    assert "nr-party" not in await everything() and "pl-name" not in await everything()
    runs = await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "retention.purged").order_by(AuditEntry.id).output(load_json=True).run()
    assert runs[-1]["after"]["notices"] == 1 and runs[-1]["after"]["pairings"] == 1


async def test_a_period_of_zero_keeps_the_party_and_the_paired_person(settings, area, make_user):
    officer_id = await make_user("officer")
    officer = await load_actor(officer_id)
    withdrawn, _ = await a_notice(officer, await make_user("volunteer"), area.community_id, "zw")
    await notices.withdraw(officer, withdrawn)
    await RectificationNotice.update({RectificationNotice.withdrawn_at: NOW - dt.timedelta(days=3000)}).where(RectificationNotice.id == withdrawn).run()
    await a_pairing(officer, area.community_id, "person", "zp", 3000)
    assert await run_job(JOB, dataclasses.replace(settings, retention_notice_days=0, retention_pairing_days=0), NOW)
    after = await everything()
    assert "zw-party" in after and "zw-report-note" in after and "zp-name" in after and "zp-opinion" in after
