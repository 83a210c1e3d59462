"""进建商 (进警营、建实言、商办理): a station invites representatives of the public into the
station, hears them and decides what to do one matter at a time (一事一议).

- ``CouncilRepresentative``: the station's small register of people it invites: deputies
  of the people's congress, members of the political consultative conference, the
  station's "think tank" (民间智库) members, residents' and enterprises' representatives.
  Their phone is personal data (the station's officers and head only). Retired, never
  deleted: past attendance keeps pointing at them.
- ``CouncilSession``: one session of a station, held on a day about a topic, recorded
  under the community (police zone) it was held for so that the figures split by unit;
  the minutes and the number of other citizens who came.
- ``CouncilAttendance``: a representative invited to a session, and whether they came.
- ``CouncilResolution``: one matter decided (一事一议), with one accountable owner and a
  due date, done with a note; linked to a ledger item where the matter is one. Done by
  its owner or the station head, or by the ledger itself when its item closes settled
  (``closed`` or ``closed_unconfirmed``: ``done_via`` = ``ledger``).
- ``CouncilReminder``: the claim of one reminder, (``resolution``, ``due_on``) unique: the
  owner is told on the due day once, however many processes run the job.
"""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.ledger.tables import LedgerItem
from portal.stations.tables import Community, Station

REPRESENTATIVE_KINDS = ("npc_deputy", "cppcc_member", "think_tank", "resident", "enterprise", "other")
RESOLUTION_STATUSES = ("open", "done")


class CouncilRepresentative(Table, tablename="council_representative"):
    station = ForeignKey(references=Station, on_delete=OnDelete.restrict)
    name = Varchar(length=100)
    kind = Varchar(length=16, default="other")
    affiliation = Varchar(length=200, default="")
    phone = Varchar(length=32, default="")
    appointed_on = Date(null=True, default=None)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    retired_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    idempotency_key = Varchar(length=36, unique=True)


class CouncilSession(Table, tablename="council_session"):
    station = ForeignKey(references=Station, on_delete=OnDelete.restrict)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    held_on = Date()
    topic = Varchar(length=200)
    place = Varchar(length=200, default="")
    minutes = Text(default="")
    other_attendees = Integer(default=0)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    version = Integer(default=1)
    idempotency_key = Varchar(length=36, unique=True)


class CouncilAttendance(Table, tablename="council_attendance"):
    session = ForeignKey(references=CouncilSession, on_delete=OnDelete.cascade)
    representative = ForeignKey(references=CouncilRepresentative, on_delete=OnDelete.restrict)
    attended = Boolean(default=False)


class CouncilResolution(Table, tablename="council_resolution"):
    session = ForeignKey(references=CouncilSession, on_delete=OnDelete.cascade)
    seq = Integer()
    matter = Text()
    decision = Text(default="")
    owner = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    due_on = Date()
    status = Varchar(length=8, default="open")
    done_on = Date(null=True, default=None)
    done_note = Text(default="")
    done_via = Varchar(length=8, default="")
    ledger_item = ForeignKey(references=LedgerItem, null=True, on_delete=OnDelete.set_null)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    version = Integer(default=1)
    idempotency_key = Varchar(length=36, unique=True)


class CouncilReminder(Table, tablename="council_reminder"):
    """One reminder claimed: the unique (resolution, due_on) lets one process of many send it."""

    resolution = ForeignKey(references=CouncilResolution, on_delete=OnDelete.cascade)
    due_on = Date()
    created_at = Timestamptz()
