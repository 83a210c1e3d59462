"""Shift kinds, roster templates, concrete shifts, sign-ups, standing and calendar tokens."""

from piccolo.columns import Boolean, Date, DoublePrecision, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from portal.accounts.tables import User
from portal.stations.tables import Community
from portal.watchpoints.tables import WatchPoint

KINDS = ("patrol", "watch_point", "event", "reception")
OPEN_TO = ("volunteers", "hosts", "both")
# A sign-up's states. "active", "offered" and "standin" hold one of the shift's places.
SIGNUP_STATUSES = ("active", "waiting", "offered", "standin", "cancelled", "lapsed", "replaced")
HOLDS_PLACE = ("active", "offered", "standin")


class ShiftKind(Table, tablename="shift_kind"):
    """What a shift is: a patrol route, duty at a watch point, event support, reception room."""

    community = ForeignKey(references=Community, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16)
    name = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    place = Varchar(length=200, default="")
    description = Text(default="")
    required_skills = Varchar(length=200, default="")  # comma-separated skill codes
    min_people = Integer(default=1)
    max_people = Integer(default=4)
    open_to = Varchar(length=12, default="volunteers")
    watch_point = ForeignKey(references=WatchPoint, null=True, on_delete=OnDelete.set_null)
    # A reception room's duty: its roster, check-in and hours come from its shifts.
    room = ForeignKey(references=LazyTableReference("Room", module_path="portal.reception.tables"), null=True, on_delete=OnDelete.set_null)
    buddy_min = Integer(default=0)  # a patrol does not start with fewer people checked in
    needs_experienced = Boolean(default=False)
    cancel_cutoff_hours = Integer(null=True, default=None)  # None: the portal's setting
    signup_opens_hours = Integer(null=True, default=None)  # None: open as soon as published
    active = Boolean(default=True)
    idempotency_key = Varchar(length=36, null=True, default=None, unique=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class RosterTemplate(Table, tablename="roster_template"):
    """A weekly pattern in the community's local time, e.g. Mon/Wed/Fri 19:00–21:00."""

    kind = ForeignKey(references=ShiftKind, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict, index=True)
    weekdays = Varchar(length=20)  # "0,2,4": Monday is 0
    start_time = Varchar(length=5)  # "19:00" local
    end_time = Varchar(length=5)
    min_people = Integer()
    max_people = Integer()
    weeks_ahead = Integer(default=4)
    starts_on = Date()
    active = Boolean(default=True)
    idempotency_key = Varchar(length=36, null=True, default=None, unique=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Shift(Table, tablename="shift"):
    """A concrete time window. ``taken`` counts the sign-ups holding a place and is only
    changed by a conditional UPDATE, so the database enforces ``taken <= capacity``."""

    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    # Indexed by the raw migration: Piccolo's index name "shift_kind" is the kind table's name.
    kind = ForeignKey(references=ShiftKind, on_delete=OnDelete.restrict)
    template = ForeignKey(references=RosterTemplate, null=True, on_delete=OnDelete.set_null, index=True)
    # "<template id>:<UTC start>": generating a roster twice creates each shift once.
    template_key = Varchar(length=64, null=True, default=None, unique=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    min_people = Integer()
    capacity = Integer()
    taken = Integer(default=0)
    status = Varchar(length=12, default="open")  # open | cancelled
    cancel_reason = Text(default="")
    # Signed-up shifts a template edit no longer matches: kept, shown to the officer.
    mismatch = Boolean(default=False)
    note = Varchar(length=200, default="")
    idempotency_key = Varchar(length=36, null=True, default=None, unique=True)
    created_at = Timestamptz()


class Signup(Table, tablename="shift_signup"):
    shift = ForeignKey(references=Shift, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    status = Varchar(length=12)
    queued_at = Timestamptz()
    offer_expires_at = Timestamptz(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)
    checked_out_at = Timestamptz(null=True, default=None)
    hours_override = DoublePrecision(null=True, default=None)
    hours_note = Varchar(length=200, default="")
    no_show = Varchar(length=12, default="")  # "" | excused | unexcused
    no_show_reason = Varchar(length=200, default="")
    updated_at = Timestamptz()


class ShiftStanding(Table, tablename="shift_standing"):
    """Sign-up is blocked while unexcused no-shows minus ``lifted_count`` reach the limit.
    ``experienced``: an officer counts the person as experienced for the buddy rule before
    they reach the worked shifts that make anyone experienced (e.g. a retired officer)."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True)
    experienced = Boolean(default=False)
    lifted_count = Integer(default=0)
    lifted_at = Timestamptz(null=True, default=None)
    lifted_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)


class CalendarToken(Table, tablename="calendar_token"):
    """The secret of a personal iCal feed; only its SHA-256 is stored."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
