"""联访解 (联社会各界、访千家万户、解急难愁盼): each officer pairs with units of their
communities (enterprises, schools, kindergartens, clinics, property companies, markets)
and with people, keeps in touch and collects their opinions, each either solved on the
spot or filed into the ledger.

- ``Pairing``: one officer with one unit or person of a community, from ``started_on``
  until ``ended_on``. The person's name, a unit's contact person and every phone are
  personal data (``Actor.sees_personal_data``).
- ``PairingContact``: a visit, a call or a meeting on a day.
- ``PairingOpinion``: an opinion collected at a contact: ``solved`` on the spot (what was
  done) or ``filed`` into a ledger (``ledger_item``; solved once the item is closed).

Contacts and opinions repeat the pairing's community and the officer who made them, and
opinions their contact's day, so that the figures count them by unit, officer and day
from one table each. A pairing changes officer only when its officer leaves (deactivated,
or their role removed: ``portal.accounts.holdings``); its past contacts keep who made them.
"""

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.ledger.tables import LedgerItem
from portal.stations.tables import Community

PAIRING_KINDS = ("unit", "person")
UNIT_KINDS = ("enterprise", "school", "kindergarten", "clinic", "property", "market", "other")
CHANNELS = ("visit", "call", "meeting")
OUTCOMES = ("solved", "filed")


class Pairing(Table, tablename="pairing"):
    officer = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    kind = Varchar(length=8, default="unit")
    unit_kind = Varchar(length=16, default="")
    name = Varchar(length=200)
    contact_name = Varchar(length=100, default="")
    phone = Varchar(length=32, default="")
    address = Varchar(length=200, default="")
    note = Text(default="")
    started_on = Date()
    ended_on = Date(null=True, default=None)
    end_note = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    version = Integer(default=1)
    idempotency_key = Varchar(length=36, unique=True)


class PairingContact(Table, tablename="pairing_contact"):
    pairing = ForeignKey(references=Pairing, on_delete=OnDelete.cascade)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    officer = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    contacted_on = Date()
    channel = Varchar(length=8, default="visit")
    note = Text(default="")
    created_at = Timestamptz()
    idempotency_key = Varchar(length=36, unique=True)


class PairingOpinion(Table, tablename="pairing_opinion"):
    contact = ForeignKey(references=PairingContact, on_delete=OnDelete.cascade)
    pairing = ForeignKey(references=Pairing, on_delete=OnDelete.cascade)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    officer = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    contacted_on = Date()
    text = Text()
    outcome = Varchar(length=8, default="solved")
    solution = Text(default="")
    ledger_item = ForeignKey(references=LedgerItem, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    idempotency_key = Varchar(length=36, unique=True)
