"""Reception rooms, the visits logged at their desk, daily counters and the phrasebook.

A room sits in a community (its officers and the station head keep it; the station
follows); its ``hours`` use the watch points' format (``portal.watchpoints.hours``).
A visit keeps the room's community for scoping in SQL and the local day it happened for
the counters; contact details are for the station's officers only.
"""

from piccolo.columns import Date, DoublePrecision, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.ledger.tables import LedgerItem
from portal.logs.tables import FieldLog
from portal.stations.tables import Community, Station

ROOM_KINDS = ("street", "community")
ROOM_STATUSES = ("pending", "verified", "suspended")
SERVICES = ("consultation", "emergency_help", "mediation", "residence_permit", "no_criminal_record", "dog_registration", "id_card", "other_business")
AMENITIES = ("umbrella", "first_aid", "water", "rest_room", "key_storage", "charging", "toilet", "wifi")
# What happened at the desk: the articles' counters are sums over these.
VISIT_CATEGORIES = (
    "consultation", "help_request", "emergency", "mediation", "suggestion", "claim", "complaint",
    "errand", "convenience", "business", "foreign_visitor",
)
OUTCOMES = ("resolved", "referred", "follow_up", "filed")


class Room(Table, tablename="reception_room"):
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16, default="community")
    slug = Varchar(length=32, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    address = Varchar(length=200, default="")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    hours = Text(default="[]")
    holidays = Text(default="[]")
    services = Varchar(length=300, default="")  # comma-separated SERVICES
    amenities = Varchar(length=300, default="")  # comma-separated AMENITIES
    languages = Varchar(length=100, default="zh")  # comma-separated language codes
    phone = Varchar(length=32, default="")
    status = Varchar(length=16, default="pending")
    verified_at = Timestamptz(null=True, default=None)
    verified_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    idempotency_key = Varchar(length=36, unique=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    retired_at = Timestamptz(null=True, default=None)


class Visit(Table, tablename="reception_visit"):
    room = ForeignKey(references=Room, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict, index=True)
    category = Varchar(length=20)
    people = Integer(default=1)
    language = Varchar(length=16, default="zh")
    note = Text(default="")
    outcome = Varchar(length=20, default="")
    contact_name = Varchar(length=100, default="")
    contact_phone = Varchar(length=32, default="")
    logged_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    visited_at = Timestamptz()
    local_day = Date()
    idempotency_key = Varchar(length=36, unique=True)
    ledger_item = ForeignKey(references=LedgerItem, null=True, on_delete=OnDelete.set_null)
    field_log = ForeignKey(references=FieldLog, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Phrase(Table, tablename="reception_phrase"):
    """A service script for foreign visitors, Chinese and English side by side."""

    station = ForeignKey(references=Station, on_delete=OnDelete.restrict, index=True)
    situation = Varchar(length=32)
    text_zh = Text()
    text_en = Text()
    position = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class DailyCount(Table, tablename="reception_daily"):
    """A room's visits of one local day, counted: kept in each visit's write transaction
    by ``portal.reception.counters.bump_daily`` so the figures read these rows, never the
    visits. One column per category (visits), people, resolved mediations and the people
    of visits served in a language other than Chinese or as foreign visitors."""

    room = ForeignKey(references=Room, on_delete=OnDelete.restrict)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    day = Date()
    visits = Integer(default=0)
    people = Integer(default=0)
    consultation = Integer(default=0)
    help_request = Integer(default=0)
    emergency = Integer(default=0)
    mediation = Integer(default=0)
    suggestion = Integer(default=0)
    claim = Integer(default=0)
    complaint = Integer(default=0)
    errand = Integer(default=0)
    convenience = Integer(default=0)
    business = Integer(default=0)
    foreign_visitor = Integer(default=0)
    mediation_resolved = Integer(default=0)
    foreign_people = Integer(default=0)
