"""Home visits to people who need care (关爱走访: older people living alone, people with a
disability, pregnant women, the seriously ill): a register per community of the people who
asked for or agreed to regular visits, who visits them, and the log of the visits.

A ``CarePerson`` holds the only personal data: name, address, needs and a contact person,
with the consent (the day it was given, by the person or a representative, and the
officer who recorded it). ``every_days`` is the schedule; ``next_due_on`` the next
visit's day and ``next_due_at`` the end of that day in the community's zone (overdue once
passed). ``ended_on`` is the day consent was withdrawn or the person left
(``end_reason``): no more visits are due, and the retention job removes the row a
set time later (``PORTAL_RETENTION_CARE_DAYS``), with the text of its visits.

A ``CareVisit`` stays after that, without its person and its note, so that the counts
of visits done stay the same. ``outcome`` is one of ``OUTCOMES``: all well, needs help,
escalated to the officer (the officers are told at once) or escalated to the ledger (an
item filed through the ledger's rule, ``ledger_item``).
"""

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.ledger.tables import LedgerItem
from portal.stations.tables import Community

CONSENT_FROM = ("person", "representative")
END_REASONS = ("withdrawn", "left")
OUTCOMES = ("all_well", "needs_help", "escalated_officer", "escalated_ledger")
# What a volunteer may record: filing into a ledger is the officer's.
VOLUNTEER_OUTCOMES = ("all_well", "needs_help", "escalated_officer")


class CarePerson(Table, tablename="care_person"):
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    name = Varchar(length=100)
    address = Varchar(length=200)
    needs = Text(default="")
    contact_name = Varchar(length=100, default="")
    contact_phone = Varchar(length=32, default="")
    consent_on = Date()
    consent_from = Varchar(length=16, default="person")
    consent_recorded_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    every_days = Integer(default=7)
    next_due_on = Date()
    next_due_at = Timestamptz()
    ended_on = Date(null=True, default=None)
    end_reason = Varchar(length=16, default="")
    idempotency_key = Varchar(length=36, null=True, default=None, unique=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CareAssignment(Table, tablename="care_assignment"):
    """A volunteer who visits the person on the schedule; they see only the name, the
    address and the needs."""

    person = ForeignKey(references=CarePerson, on_delete=OnDelete.cascade)
    volunteer = ForeignKey(references=User, on_delete=OnDelete.cascade)
    assigned_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    assigned_at = Timestamptz()


class CareVisit(Table, tablename="care_visit"):
    person = ForeignKey(references=CarePerson, null=True, on_delete=OnDelete.set_null)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    visited_on = Date()
    due_on = Date(null=True, default=None)
    visitor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    outcome = Varchar(length=20, default="all_well")
    note = Text(default="")
    ledger_item = ForeignKey(references=LedgerItem, null=True, on_delete=OnDelete.set_null)
    idempotency_key = Varchar(length=36, unique=True)
    created_at = Timestamptz()


class CareReminder(Table, tablename="care_reminder"):
    """One row per visit day reminded: the claim that makes the reminder go once."""

    person = ForeignKey(references=CarePerson, on_delete=OnDelete.cascade)
    due_on = Date()
    created_at = Timestamptz()
