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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.audit.rules import record
from portal.care.tables import CarePerson, CareVisit
from portal.db import write_transaction
from portal.ledger.tables import CLOSED_STAGES, LedgerItem
from portal.logs.tables import FieldLog, MediationParty
from portal.public.tables import Intake
from portal.settings import Settings

# A party's name after anonymisation: the placeholder the log form already uses for a
# party given without a name.
ANONYMOUS_PARTY = "—"
PURGED = {
    "mediation_parties": ["mediation_party.name", "mediation_party.contact"],
    "ledger_items": ["ledger_item.raised_by_name", "ledger_item.raised_by_phone", "ledger_item.raised_by_email"],
    "intakes": ["intake.contact_name", "intake.contact_phone"],
    "care_people": ["care_person", "care_assignment", "care_reminder"],
    "care_visits": ["care_visit.note", "care_visit.person"],
}


@dataclass(frozen=True)
class Policy:
    mediation_days: int
    ledger_days: int
    intake_days: int
    care_days: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        return cls(settings.retention_mediation_days, settings.retention_ledger_days, settings.retention_intake_days, settings.retention_care_days)


def _cutoff(now: dt.datetime, days: int) -> dt.datetime | None:
    return now - dt.timedelta(days=days) if days > 0 else None


async def purge(now: dt.datetime, policy: Policy) -> dict[str, int]:
    """Anonymise what is older than the policy allows; the number of rows changed per kind."""
    counts = {"mediation_parties": 0, "ledger_items": 0, "intakes": 0, "care_people": 0, "care_visits": 0}
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
            rows = await Intake.update({Intake.contact_name: "", Intake.contact_phone: ""}).where(
                Intake.status.is_in(["answered", "filed"]) & (Intake.created_at < cutoff)
                & ((Intake.contact_name != "") | (Intake.contact_phone != ""))
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
        await record(
            "retention.purged", "retention", f"{now:%Y-%m-%d}",
            after={
                **counts,
                "purged": [column for kind, columns in PURGED.items() if counts[kind] for column in columns],
                "days": {"mediation": policy.mediation_days, "ledger": policy.ledger_days, "intake": policy.intake_days, "care": policy.care_days},
            },
        )
    return counts
