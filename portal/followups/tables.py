"""Tables of the follow-ups: recorded mediation follow-ups, rectification notices with
their numbers, the party's reports and each station's legal wording, and the claims
that make every reminder go once.

Values other features rely on:

``mediation_follow_up.result``
    ``held`` the agreement held · ``relapsed`` the dispute broke out again ·
    ``referred_committee`` referred on to the people's mediation committee ·
    ``referred_court`` to a court · ``police_case`` taken up as a police case.
    ``followed_up_on`` is the local day the follow-up (or the referral) happened.

``rectification_notice``: ``due_on`` is the deadline (the community's local day),
    ``due_at`` the instant that day ends there (UTC): from then on an unfixed hazard is
    overdue. ``withdrawn_at`` takes a notice out of force (a mistake, or a new notice for
    the same hazard). ``token`` is the secret of the party's report page (the QR code).
    The hazard's own stage (``field_log.hazard_stage``) says whether it was fixed.

``follow_up_reminder``: (``kind``, ``ref``) unique, the claim of one reminder:
    ``mediation_due`` (ref: the mediation log) · ``notice_overdue`` (ref: the notice).
"""

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.logs.tables import FieldLog
from portal.stations.tables import Community, Station

RESULTS = ("held", "relapsed", "referred_committee", "referred_court", "police_case")
REFERRED = ("referred_committee", "referred_court", "police_case")
REMINDER_KINDS = ("mediation_due", "notice_overdue")


class MediationFollowUp(Table, tablename="mediation_follow_up"):
    """The follow-up of one mediation (unique per log), with its result and day."""

    log = ForeignKey(references=FieldLog, on_delete=OnDelete.cascade)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    result = Varchar(length=24)
    followed_up_on = Date()
    note = Text(default="")
    recorded_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()


class NoticeWording(Table, tablename="rectification_wording"):
    """A station's legal wording of its rectification notices (one row per station)."""

    station = ForeignKey(references=Station, on_delete=OnDelete.cascade)
    text = Text()
    updated_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz()


class NoticeCounter(Table, tablename="rectification_counter"):
    """The last notice number of a station and year; taken in a write transaction."""

    station = ForeignKey(references=Station, on_delete=OnDelete.cascade)
    year = Integer()
    last = Integer(default=0)


class RectificationNotice(Table, tablename="rectification_notice"):
    """A 责令整改通知书 for one hazard; the module docstring explains the columns."""

    log = ForeignKey(references=FieldLog, on_delete=OnDelete.cascade)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    station = ForeignKey(references=Station, on_delete=OnDelete.restrict)
    year = Integer()
    seq = Integer()
    number = Varchar(length=24)
    party = Varchar(length=200)
    party_address = Varchar(length=200, default="")
    wording = Text()
    due_on = Date()
    due_at = Timestamptz()
    token = Varchar(length=43, unique=True)
    issued_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    issued_at = Timestamptz()
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawn_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    idempotency_key = Varchar(length=36, unique=True)


class RectificationReport(Table, tablename="rectification_report"):
    """The party's "fixed", sent from the notice's QR page with a re-encoded photo."""

    notice = ForeignKey(references=RectificationNotice, on_delete=OnDelete.cascade)
    note = Text(default="")
    photo_key = Varchar(length=120)
    thumb_key = Varchar(length=120)
    width = Integer()
    height = Integer()
    idempotency_key = Varchar(length=36, unique=True)
    created_at = Timestamptz()


class FollowUpReminder(Table, tablename="follow_up_reminder"):
    """One reminder claimed: the unique (kind, ref) lets one process of many send it."""

    kind = Varchar(length=24)
    ref = Integer()
    created_at = Timestamptz()
