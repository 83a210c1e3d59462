"""Watch points (their front photo is in ``portal.uploads`` storage by key), officers'
visits, officers' photos for the contact boards, and the duty roster of each
community's officers (who is on duty, shown on the public pages)."""

from piccolo.columns import Boolean, Date, DoublePrecision, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.stations.tables import Community

KINDS = ("shop", "pharmacy", "hotel", "supermarket", "property_gate", "school_side", "other")
CAPABILITIES = ("phone", "first_aid", "aed", "umbrella", "water", "charging", "shelter", "toilet", "english")
STATUSES = ("pending", "verified", "suspended")


class WatchPoint(Table, tablename="watch_point"):
    """A safe place. ``slug`` is the unguessable, permanent key of its public page and QR
    code; ``hours`` is the week as JSON (see ``portal.watchpoints.hours``)."""

    community = ForeignKey(references=Community, on_delete=OnDelete.restrict, index=True)
    host = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    slug = Varchar(length=32, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    kind = Varchar(length=20)
    address = Varchar(length=200)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    hours = Text(default="[]")
    holidays = Text(default="[]")
    closed_today_on = Date(null=True, default=None)
    capabilities = Varchar(length=200, default="")
    phone = Varchar(length=32, default="")
    status = Varchar(length=16, default="pending")
    verified_at = Timestamptz(null=True, default=None)
    last_visit_on = Date(null=True, default=None)
    has_photo = Boolean(default=False)
    photo_key = Varchar(length=120, default="")
    photo_thumb_key = Varchar(length=120, default="")
    idempotency_key = Varchar(length=36, unique=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # The officer's own code for the point in an imported spreadsheet (portal.imports).
    import_code = Varchar(length=40, null=True, default=None)


class WatchPointVisit(Table, tablename="watch_point_visit"):
    """An officer's visit: the basis of verification and of "last verified"."""

    point = ForeignKey(references=WatchPoint, on_delete=OnDelete.cascade, index=True)
    officer = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    visited_on = Date()
    note = Text(default="")
    outcome = Varchar(length=16)
    created_at = Timestamptz()


class DutySlot(Table, tablename="duty_slot"):
    """One officer on duty in a community: every ``weekday`` (0 = Monday) or on one date
    (``on_date``, which replaces the weekday slots of that date), from ``starts`` to
    ``ends`` (``HH:MM`` in the community's time zone; ``overnight`` ends the next morning)."""

    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, index=True)
    officer = ForeignKey(references=User, on_delete=OnDelete.cascade)
    weekday = Integer(null=True, default=None)
    on_date = Date(null=True, default=None)
    starts = Varchar(length=5)
    ends = Varchar(length=5)
    overnight = Boolean(default=False)
    created_at = Timestamptz()


class OfficerPhoto(Table, tablename="officer_photo"):
    """An officer's photo for the contact boards; the bytes live in ``portal.uploads``
    storage by key (the full photo and its thumbnail)."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True)
    storage_key = Varchar(length=120)
    thumb_key = Varchar(length=120)
    width = Integer()
    height = Integer()
    updated_at = Timestamptz()
