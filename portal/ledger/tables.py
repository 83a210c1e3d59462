"""The three ledgers (三本账): items, their timeline, deadline rules, the holiday calendar,
escalations to the station head and the per-station number counter.

An item's ``stage`` is one of:

- ``registered``: filed, nobody is accountable yet.
- ``assigned``: one accountable officer (``officer``) holds it; reassignment is recorded.
- ``in_progress``: the officer is working on it (also where a reopened item goes back).
- ``handled``: the officer wrote what was done (``handled_note``).
- ``feedback_given``: the answer was sent to the person (``feedback_text``); the item
  waits for the person to say satisfied or not.
- ``closed``: the person confirmed satisfaction (``satisfaction_via`` says how): their own
  answer on the tracking page ("tracking"), by the signed link of the answer e-mail
  ("email") or as an update from the Open311 application they filed it with ("open311");
  or in a callback recorded by someone other than the accountable officer
  (``LedgerCallback``; ``satisfaction_via`` "callback").
- ``closed_unconfirmed``: no answer within the configured time after a reminder; closed
  with a reason and counted apart in every figure.
- ``closed_duplicate``: the same matter as ``duplicate_of``.
- ``closed_out_of_remit``: outside police remit; ``referred_to`` says where it went.

"Not satisfied" moves a ``feedback_given`` item back to ``in_progress`` with the reason
(``reopened_count`` goes up). Contact fields ``raised_by_*`` are personal data: officers
of the community only. ``public_summary`` is the only text the public pages show.
"""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Real, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.logs.tables import FieldLog
from portal.public.tables import Intake
from portal.stations.tables import Community, Station
from portal.watchpoints.tables import WatchPoint

LEDGERS = ("suggestion", "claim", "complaint")
SOURCES = ("public", "field_log", "reception", "officer_visit", "council")
OPEN_STAGES = ("registered", "assigned", "in_progress", "handled", "feedback_given")
CLOSED_STAGES = ("closed", "closed_unconfirmed", "closed_duplicate", "closed_out_of_remit")
STAGES = OPEN_STAGES + CLOSED_STAGES
SATISFACTION = ("satisfied", "not_satisfied")
CONFIRMED_VIA = ("tracking", "phone", "in_person")
# How the person's own answer reached us (each counts as "by the person" in the figures).
PERSON_VIA = ("tracking", "email", "open311")
CALLBACK_CHANNELS = ("phone", "in_person", "visit")
REFERRAL_BODIES = ("street_office", "judicial_office", "property_management", "other_department")


class LedgerItem(Table, tablename="ledger_item"):
    """One matter in one ledger. ``number`` is readable (``CZ-2026-000123``, unique per
    station); ``tracking_code`` is the person's unguessable key; ``version`` goes up on
    every change so a page that went stale is refused."""

    ledger = Varchar(length=16)
    category = Varchar(length=32, default="other")
    station = ForeignKey(references=Station, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict, index=True)
    point = ForeignKey(references=WatchPoint, null=True, on_delete=OnDelete.set_null)
    landmark = Varchar(length=200, default="")
    place_public = Varchar(length=200, default="")
    summary = Text()
    details = Text(default="")
    public_summary = Text(default="")
    raised_by_name = Varchar(length=100, default="")
    raised_by_phone = Varchar(length=32, default="")
    raised_by_email = Varchar(length=254, default="")
    anonymous = Boolean(default=False)
    language = Varchar(length=8, default="zh_CN")
    source = Varchar(length=16, default="public")
    intake = ForeignKey(references=Intake, null=True, on_delete=OnDelete.set_null)
    filed_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    year = Integer()
    seq = Integer()
    number = Varchar(length=32)
    tracking_code = Varchar(length=16, unique=True)
    stage = Varchar(length=24, default="registered")
    stage_entered_at = Timestamptz()
    stage_due_at = Timestamptz(null=True, default=None)
    officer = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    handled_note = Text(default="")
    feedback_text = Text(default="")
    feedback_at = Timestamptz(null=True, default=None)
    reminder_sent_at = Timestamptz(null=True, default=None)
    reopened_count = Integer(default=0)
    satisfaction = Varchar(length=16, default="")
    satisfaction_via = Varchar(length=16, default="")
    satisfaction_note = Text(default="")
    closure_note = Text(default="")
    referred_to = Varchar(length=200, default="")
    duplicate_of = Integer(null=True, default=None)
    private = Boolean(default=False)
    private_reason = Text(default="")
    idempotency_key = Varchar(length=36, null=True, default=None, unique=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    # Written with the dates so the figures group and take medians in SQL: the local
    # year-month ("2030-06", the community's zone) of filing and closing, and the days
    # from filing to closing.
    filed_month = Varchar(length=7, default="")
    closed_month = Varchar(length=7, null=True, default=None)
    close_days = Real(null=True, default=None)


class LedgerEvent(Table, tablename="ledger_event"):
    """One line of an item's timeline. ``public`` lines appear on the tracking page."""

    item = ForeignKey(references=LedgerItem, on_delete=OnDelete.cascade)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=24, default="stage")
    from_stage = Varchar(length=24, default="")
    to_stage = Varchar(length=24, default="")
    note = Text(default="")
    public = Boolean(default=False)
    created_at = Timestamptz()


class LedgerItemLog(Table, tablename="ledger_item_log"):
    """A field log an item came from (escalated from the review queue)."""

    item = ForeignKey(references=LedgerItem, on_delete=OnDelete.cascade)
    field_log = ForeignKey(references=FieldLog, on_delete=OnDelete.cascade)
    created_at = Timestamptz()


class LedgerDeadlineRule(Table, tablename="ledger_deadline_rule"):
    """Working days allowed in ``stage`` for a ledger and category (category "" = any)."""

    ledger = Varchar(length=16)
    category = Varchar(length=32, default="")
    stage = Varchar(length=24)
    working_days = Integer()


class Holiday(Table, tablename="holiday"):
    """A date of the working-day calendar: a public holiday, or with ``is_workday`` a
    weekend day worked instead (调休)."""

    date = Date(unique=True)
    name = Varchar(length=100, default="")
    name_en = Varchar(length=100, default="")
    is_workday = Boolean(default=False)


class LedgerCounter(Table, tablename="ledger_counter"):
    """The last number given per station and year; taken in a write transaction."""

    station = ForeignKey(references=Station, on_delete=OnDelete.cascade)
    year = Integer()
    prefix = Varchar(length=8)
    last = Integer(default=0)


class LedgerEscalation(Table, tablename="ledger_escalation"):
    """An overdue stage reported to the station head: unique per item, stage and round
    (``reopened_count``), so it happens once however many processes run the job."""

    item = ForeignKey(references=LedgerItem, on_delete=OnDelete.cascade)
    stage = Varchar(length=24)
    round = Integer(default=0)
    created_at = Timestamptz()


class LedgerStation(Table, tablename="ledger_station"):
    """A station's letters in its ledger numbers, set by an admin (unique across
    stations). Numbers already given keep their letters."""

    station = ForeignKey(references=Station, on_delete=OnDelete.cascade, unique=True)
    prefix = Varchar(length=8, unique=True)
    updated_at = Timestamptz()


class LedgerMail(Table, tablename="ledger_mail"):
    """An e-mail to the person who raised an item (the feedback, the reminder), written
    in their language with the item's change and sent once by the mail job."""

    item = ForeignKey(references=LedgerItem, on_delete=OnDelete.cascade)
    kind = Varchar(length=16)
    recipient = Varchar(length=254)
    subject = Varchar(length=200)
    body = Text()
    link = Varchar(length=200, default="")
    dedupe_key = Varchar(length=80, unique=True)
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class LedgerCallback(Table, tablename="ledger_callback"):
    """A callback (回访): someone other than the accountable officer asked the person
    whether they are satisfied with the answer. A satisfied callback recorded since the
    feedback is what lets an officer close the item as satisfied."""

    item = ForeignKey(references=LedgerItem, on_delete=OnDelete.cascade)
    by_user = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    channel = Varchar(length=16, default="phone")
    said = Text(default="")
    satisfied = Boolean(default=False)
    created_at = Timestamptz()


class LedgerReferral(Table, tablename="ledger_referral"):
    """The item sent to another body (``body_kind`` one of ``REFERRAL_BODIES``, named in
    ``body_name``) on ``sent_on`` by ``by_user``; their ``answer`` once it came."""

    item = ForeignKey(references=LedgerItem, on_delete=OnDelete.cascade)
    body_kind = Varchar(length=24, default="other_department")
    body_name = Varchar(length=200, default="")
    sent_on = Date()
    by_user = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    note = Text(default="")
    answer = Text(default="")
    answered_on = Date(null=True, default=None)
    created_at = Timestamptz()


class LedgerAnswerTemplate(Table, tablename="ledger_answer_template"):
    """A ready answer for the feedback to the person, kept by a station's officers per
    category ("" = any) and language; an officer picks one and edits it."""

    station = ForeignKey(references=Station, on_delete=OnDelete.cascade)
    category = Varchar(length=32, default="")
    language = Varchar(length=8, default="zh_CN")
    title = Varchar(length=100, default="")
    body = Text(default="")
    updated_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz()


class LedgerSavedView(Table, tablename="ledger_saved_view"):
    """An officer's own view of the ledger list: its filters and order (``query``, the
    list's query string) under a ``name`` unique for its ``owner``."""

    owner = ForeignKey(references=User, on_delete=OnDelete.cascade)
    name = Varchar(length=60)
    query = Text(default="")
    created_at = Timestamptz()
