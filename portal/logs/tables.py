"""Field logs: one ``field_log`` row per patrol, hazard, mediation, help given or publicity
session, with its photos, the confidential mediation parties, notes and the landmarks
a community names places by.

Values other features rely on:

``field_log.kind``
    ``patrol`` · ``hazard`` · ``mediation`` · ``help`` · ``publicity``.

``field_log.status`` — the officer's review of the log:
    ``submitted``   new, or answered after a question; waiting for an officer.
    ``needs_info``  an officer asked the author a question (a ``log_note`` of kind
                    ``question``); the author's ``answer`` puts it back to ``submitted``.
    ``accepted``    an officer accepted it; it counts in statistics and bulletins.
    ``duplicate``   the same event as ``duplicate_of``; left out of counts.

``field_log.category`` — depends on the kind (codes in ``CATEGORIES``):
    hazard: the hazard category; mediation: the kind of dispute; help: the kind of help;
    publicity: the topic; patrol: always "".

``field_log.severity`` — hazards only: ``low`` · ``medium`` · ``high``; NULL otherwise.

``field_log.people_count`` — help: people helped; publicity: audience;
    mediation: number of parties; NULL for patrols and hazards.

``field_log.outcome`` — mediation only: ``resolved`` · ``partly`` · ``referred_committee``
    (people's mediation committee) · ``referred_court`` · ``police_case``; "" otherwise.

``field_log.hazard_stage`` — hazards only (NULL for other kinds); changed only by
    ``portal.logs.rules.transition``, and to ``fixed`` by the party's report on a
    rectification notice (``portal.followups.notices.report_fixed``):
    ``reported``                 as logged;
    ``confirmed``                an officer confirmed it is real;
    ``rectification_requested``  someone (``rectification_by``) was asked to fix it by
                                 ``rectification_due``;
    ``fixed``                    reported fixed (``fixed_at``);
    ``verified``                 a re-inspection by someone other than the reporter found it
                                 fixed (``verified_at``, ``verified_by``) — closed;
    ``reopened``                 the re-inspection found it not fixed; it goes on from here
                                 like ``confirmed``.

``field_log.occurred_at`` is when it happened (a patrol's start; ``ended_at`` its end and
``minutes`` its length); ``created_at`` is when it reached the portal. Both UTC.
``nothing_to_report`` marks a patrol logged with the one-tap "Nothing to report".

``field_log.place`` is the street or area of ``address`` without any door, building,
unit or room number (``portal.logs.places.generalise``), written with the log; when
the address names nothing more general but the log has a position, the grid cell of
the position (``portal.logs.places.near``: "34.262°N 108.942°E", about 400 m across);
"" when neither gives anything. The bulletins' hot spots group by it.

``log_note.kind``: ``comment`` (officer) · ``question`` (officer asks for information) ·
``answer`` (the author's reply) · ``decision`` (the officer's note with accept/duplicate).

``mediation_party`` rows are confidential: only officers and heads of the log's community
(and admins) may read them; everything else uses ``field_log.people_count``.
"""

from piccolo.columns import Boolean, Date, DoublePrecision, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.shifts.tables import Shift
from portal.stations.tables import Community
from portal.watchpoints.tables import WatchPoint

KINDS = ("patrol", "hazard", "mediation", "help", "publicity")
STATUSES = ("submitted", "needs_info", "accepted", "duplicate")
SEVERITIES = ("low", "medium", "high")
CATEGORIES = {
    "patrol": (),
    "hazard": ("fire_exit", "stairwell", "lighting", "structure", "electrical", "gas", "water", "traffic", "other"),
    "mediation": ("neighbours", "family", "property", "commercial", "other"),
    "help": ("lost_elderly", "lost_child", "injury", "drunk", "directions", "lost_property", "other"),
    "publicity": ("anti_fraud", "fire_safety", "law", "traffic", "other"),
}
OUTCOMES = ("resolved", "partly", "referred_committee", "referred_court", "police_case")
HAZARD_STAGES = ("reported", "confirmed", "rectification_requested", "fixed", "verified", "reopened")
NOTE_KINDS = ("comment", "question", "answer", "decision")
MAX_PHOTOS = 3


class Landmark(Table, tablename="landmark"):
    """A place the community knows by name (a market gate, a building) to log hazards at."""

    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    active = Boolean(default=True)
    created_at = Timestamptz()
    # The officer's own code for the landmark in an imported spreadsheet (portal.imports).
    import_code = Varchar(length=40, null=True, default=None)


class FieldLog(Table, tablename="field_log"):
    """One field record; the module docstring lists every code value."""

    kind = Varchar(length=12)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    author = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    shift = ForeignKey(references=Shift, null=True, on_delete=OnDelete.set_null)
    watch_point = ForeignKey(references=WatchPoint, null=True, on_delete=OnDelete.set_null)
    landmark = ForeignKey(references=Landmark, null=True, on_delete=OnDelete.set_null)
    address = Varchar(length=200, default="")
    place = Varchar(length=200, default="")  # the address generalised: street or area, never a door
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    route = Varchar(length=200, default="")  # patrol: route or area walked
    points_passed = Varchar(length=400, default="")  # patrol: comma-separated watch point ids
    category = Varchar(length=24, default="")
    severity = Varchar(length=8, null=True, default=None)
    status = Varchar(length=12, default="submitted")
    duplicate_of = ForeignKey(references="self", null=True, on_delete=OnDelete.set_null)
    reviewed_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    reviewed_at = Timestamptz(null=True, default=None)
    occurred_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    minutes = Integer(null=True, default=None)  # patrol length, for sums without date arithmetic
    description = Text(default="")  # observations / what the hazard or dispute is / details
    agreement = Text(default="")  # mediation: what was agreed
    people_count = Integer(null=True, default=None)
    outcome = Varchar(length=24, default="")
    handed_over_to = Varchar(length=200, default="")
    follow_up_on = Date(null=True, default=None)
    hazard_stage = Varchar(length=24, null=True, default=None)
    rectification_by = Varchar(length=200, default="")
    rectification_due = Date(null=True, default=None)
    fixed_at = Timestamptz(null=True, default=None)
    verified_at = Timestamptz(null=True, default=None)
    verified_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    nothing_to_report = Boolean(default=False)
    photo_count = Integer(default=0)
    idempotency_key = Varchar(length=36, unique=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LogPhoto(Table, tablename="log_photo"):
    """A re-encoded photo of a log; the bytes live in ``portal.uploads`` storage by key."""

    log = ForeignKey(references=FieldLog, on_delete=OnDelete.cascade)
    storage_key = Varchar(length=120)
    thumb_key = Varchar(length=120)
    width = Integer()
    height = Integer()
    ordinal = Integer(default=0)
    created_at = Timestamptz()


class MediationParty(Table, tablename="mediation_party"):
    """A party to a mediation: confidential (officers and heads of the community, admins)."""

    log = ForeignKey(references=FieldLog, on_delete=OnDelete.cascade)
    name = Varchar(length=100)
    contact = Varchar(length=100, default="")
    ordinal = Integer(default=0)


class LogNote(Table, tablename="log_note"):
    """A comment, question, answer or decision on a log (``NOTE_KINDS``)."""

    log = ForeignKey(references=FieldLog, on_delete=OnDelete.cascade)
    author = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=12)
    text = Text()
    created_at = Timestamptz()
