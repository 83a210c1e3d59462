"""What the retention job removes, and when.

Third parties' personal data is kept only as long as it is useful: the names and
contacts of mediation parties, the contact details of people who raised ledger items
(once the item is closed) and of people who wrote in through the public forms (once their
matter was answered or filed). The rows themselves stay, so every count and figure
(parties per mediation, items per ledger, intakes per community) is unchanged. The care
register is the exception: a person's record goes whole (with the volunteers asked to
visit and the reminders' claims) a set time after their consent was withdrawn or they
left, and their visits keep only what the counts need (the day, the outcome, the
community), without the person and the note. Each run writes one audit row with the
counts, never the removed values (the care feature's own audit rows never hold them).

Rectification notices, once closed (withdrawn, or their hazard re-inspected and found
fixed: ``verified``), lose the party they were addressed to (named "—", no address), the
notes of the party's reports and the hazard's "who must fix it"; 联访解 pairings, once
ended, lose a paired person's name, address and phone with the notes of their contacts and
the text of the opinions collected, and a unit's contact person and phone. The audit rows
of those notices and pairings lose the same values (the party, the report's note, the end
note), since they held them; the rows themselves stay. An opinion filed into the ledger
follows the ledger's period there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.audit.rules import record
from portal.audit.tables import AuditEntry
from portal.care.tables import CarePerson, CareVisit
from portal.db import write_transaction
from portal.followups.tables import RectificationNotice, RectificationReport
from portal.ledger.tables import CLOSED_STAGES, LedgerItem
from portal.logs.tables import FieldLog, MediationParty
from portal.pairings.tables import Pairing, PairingContact, PairingOpinion
from portal.public.tables import Intake
from portal.settings import Settings

# A party's name after anonymisation: the placeholder the log form already uses for a
# party given without a name.
ANONYMOUS_PARTY = "—"
PURGED = {
    "mediation_parties": ["mediation_party.name", "mediation_party.contact"],
    "ledger_items": ["ledger_item.raised_by_name", "ledger_item.raised_by_phone", "ledger_item.raised_by_email"],
    "intakes": ["intake.contact_name", "intake.contact_phone", "intake.contact_email"],
    "care_people": ["care_person", "care_assignment", "care_reminder"],
    "care_visits": ["care_visit.note", "care_visit.person"],
    "notices": ["rectification_notice.party", "rectification_notice.party_address", "rectification_report.note", "field_log.rectification_by"],
    "pairings": [
        "pairing.name", "pairing.contact_name", "pairing.phone", "pairing.address", "pairing.note", "pairing.end_note",
        "pairing_contact.note", "pairing_opinion.text", "pairing_opinion.solution",
    ],
}


@dataclass(frozen=True)
class Policy:
    mediation_days: int
    ledger_days: int
    intake_days: int
    care_days: int = 0
    notice_days: int = 0
    pairing_days: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        return cls(
            settings.retention_mediation_days, settings.retention_ledger_days, settings.retention_intake_days, settings.retention_care_days,
            settings.retention_notice_days, settings.retention_pairing_days,
        )


def _cutoff(now: dt.datetime, days: int) -> dt.datetime | None:
    return now - dt.timedelta(days=days) if days > 0 else None


async def purge(now: dt.datetime, policy: Policy) -> dict[str, int]:
    """Anonymise what is older than the policy allows; the number of rows changed per kind."""
    counts = {"mediation_parties": 0, "ledger_items": 0, "intakes": 0, "care_people": 0, "care_visits": 0, "notices": 0, "pairings": 0}
    async with write_transaction():
        cutoff = _cutoff(now, policy.mediation_days)
        if cutoff:
            old_mediations = FieldLog.select(FieldLog.id).where((FieldLog.kind == "mediation") & (FieldLog.occurred_at < cutoff))
            rows = await MediationParty.update({MediationParty.name: ANONYMOUS_PARTY, MediationParty.contact: ""}).where(
                MediationParty.log.is_in(old_mediations) & ((MediationParty.name != ANONYMOUS_PARTY) | (MediationParty.contact != ""))
            ).returning(MediationParty.id).run()
            counts["mediation_parties"] = len(rows)
        cutoff = _cutoff(now, policy.ledger_days)
        if cutoff:
            rows = await LedgerItem.update(
                {LedgerItem.raised_by_name: "", LedgerItem.raised_by_phone: "", LedgerItem.raised_by_email: "", LedgerItem.version: LedgerItem.version + 1}
            ).where(
                LedgerItem.stage.is_in(list(CLOSED_STAGES)) & (LedgerItem.closed_at < cutoff)
                & ((LedgerItem.raised_by_name != "") | (LedgerItem.raised_by_phone != "") | (LedgerItem.raised_by_email != ""))
            ).returning(LedgerItem.id).run()
            counts["ledger_items"] = len(rows)
        cutoff = _cutoff(now, policy.intake_days)
        if cutoff:
            rows = await Intake.update({Intake.contact_name: "", Intake.contact_phone: "", Intake.contact_email: ""}).where(
                Intake.status.is_in(["answered", "filed"]) & (Intake.created_at < cutoff)
                & ((Intake.contact_name != "") | (Intake.contact_phone != "") | (Intake.contact_email != ""))
            ).returning(Intake.id).run()
            counts["intakes"] = len(rows)
        cutoff = _cutoff(now, policy.care_days)
        if cutoff:
            ended = CarePerson.ended_on.is_not_null() & (CarePerson.ended_on <= cutoff.date())
            # The visits first: deleting the person only unlinks them (ON DELETE SET NULL).
            rows = await CareVisit.update({CareVisit.note: "", CareVisit.person: None}).where(
                CareVisit.person.is_in(CarePerson.select(CarePerson.id).where(ended))
            ).returning(CareVisit.id).run()
            counts["care_visits"] = len(rows)
            rows = await CarePerson.delete().where(ended).returning(CarePerson.id).run()
            counts["care_people"] = len(rows)
        cutoff = _cutoff(now, policy.notice_days)
        if cutoff:
            counts["notices"] = await _purge_notices(cutoff)
        cutoff = _cutoff(now, policy.pairing_days)
        if cutoff:
            counts["pairings"] = await _purge_pairings(cutoff)
        await record(
            "retention.purged", "retention", f"{now:%Y-%m-%d}",
            after={
                **counts,
                "purged": [column for kind, columns in PURGED.items() if counts[kind] for column in columns],
                "days": {
                    "mediation": policy.mediation_days, "ledger": policy.ledger_days, "intake": policy.intake_days, "care": policy.care_days,
                    "notice": policy.notice_days, "pairing": policy.pairing_days,
                },
            },
        )
    return counts


async def _scrub_audit(object_type: str, ids: list[int], blank: dict[str, str], actions: tuple[str, ...] | None = None) -> None:
    """Blank the values of ``blank``'s keys in the audit rows of these objects (the rows
    stay, with every other value)."""
    if not ids:
        return
    query = AuditEntry.select(AuditEntry.id, AuditEntry.before, AuditEntry.after).where(
        (AuditEntry.object_type == object_type) & AuditEntry.object_id.is_in([str(i) for i in ids])
    )
    if actions:
        query = query.where(AuditEntry.action.is_in(list(actions)))
    for row in await query.output(load_json=True).run():
        changes = {}
        for column in ("before", "after"):
            value = row[column]
            if isinstance(value, dict) and any(key in value and value[key] not in ("", blank[key]) for key in blank):
                changes[getattr(AuditEntry, column)] = {k: (blank[k] if k in blank and v not in ("", None) else v) for k, v in value.items()}
        if changes:
            await AuditEntry.update(changes).where(AuditEntry.id == row["id"]).run()


async def _purge_notices(cutoff: dt.datetime) -> int:
    """Closed notices (withdrawn, or their hazard verified) before ``cutoff``: the party
    and its address, the reports' notes, the hazard's "who must fix it"."""
    closed = (RectificationNotice.withdrawn_at < cutoff) | ((RectificationNotice.log.hazard_stage == "verified") & (RectificationNotice.log.verified_at < cutoff))
    rows = await RectificationNotice.select(RectificationNotice.id, RectificationNotice.log).where(
        closed & ((RectificationNotice.party != ANONYMOUS_PARTY) | (RectificationNotice.party_address != ""))
    ).run()
    ids, logs = [r["id"] for r in rows], sorted({r["log"] for r in rows})
    if not ids:
        return 0
    await RectificationNotice.update({RectificationNotice.party: ANONYMOUS_PARTY, RectificationNotice.party_address: ""}).where(RectificationNotice.id.is_in(ids)).run()
    await RectificationReport.update({RectificationReport.note: ""}).where(RectificationReport.notice.is_in(ids)).run()
    # The hazard's own copy of the party, unless a notice still in force names it.
    in_force = RectificationNotice.select(RectificationNotice.log).where(RectificationNotice.withdrawn_at.is_null() & RectificationNotice.id.not_in(ids))
    cleared = await FieldLog.update({FieldLog.rectification_by: ANONYMOUS_PARTY}).where(
        FieldLog.id.is_in(logs) & FieldLog.id.not_in(in_force) & (FieldLog.rectification_by != "")
    ).returning(FieldLog.id).run()
    await _scrub_audit("rectification_notice", ids, {"party": ANONYMOUS_PARTY, "party_address": "", "note": ""})
    await _scrub_audit("field_log", [r["id"] for r in cleared], {"rectification_by": ANONYMOUS_PARTY}, ("log.hazard_stage",))
    return len(ids)


async def _purge_pairings(cutoff: dt.datetime) -> int:
    """Pairings ended on or before ``cutoff``'s day: a person's name, address, phone and
    notes with their contacts' notes and opinions' text; a unit's contact person and phone."""
    ended = Pairing.ended_on.is_not_null() & (Pairing.ended_on <= cutoff.date())
    people = await Pairing.update({
        Pairing.name: ANONYMOUS_PARTY, Pairing.contact_name: "", Pairing.phone: "", Pairing.address: "", Pairing.note: "", Pairing.end_note: "",
    }).where(ended & (Pairing.kind == "person") & (Pairing.name != ANONYMOUS_PARTY)).returning(Pairing.id).run()
    person_ids = [r["id"] for r in people]
    if person_ids:
        await PairingContact.update({PairingContact.note: ""}).where(PairingContact.pairing.is_in(person_ids)).run()
        await PairingOpinion.update({PairingOpinion.text: "", PairingOpinion.solution: ""}).where(PairingOpinion.pairing.is_in(person_ids)).run()
    units = await Pairing.update({Pairing.contact_name: "", Pairing.phone: ""}).where(
        ended & (Pairing.kind == "unit") & ((Pairing.contact_name != "") | (Pairing.phone != ""))
    ).returning(Pairing.id).run()
    await _scrub_audit("pairing", person_ids, {"end_note": ""})
    return len(person_ids) + len(units)
