"""Intake records from the public, officers' answers, and the shared rate-limit counter."""

from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.stations.tables import Community
from portal.watchpoints.tables import WatchPoint

INTAKE_KINDS = ("help", "suggestion", "claim", "complaint")
INTAKE_STATUSES = ("new", "answered", "filed")  # filed: taken into a ledger


class Intake(Table, tablename="intake"):
    """One matter raised by a member of the public. ``contact_*`` is personal data: only
    officers of ``community`` see it. ``tracking_code`` is the person's only key."""

    kind = Varchar(length=16)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict, index=True)
    point = ForeignKey(references=WatchPoint, null=True, on_delete=OnDelete.set_null)
    text = Text()
    contact_name = Varchar(length=100, default="")
    contact_phone = Varchar(length=32, default="")
    # For the answers by e-mail: copied to the ledger item the message becomes (its
    # answer and reminder e-mails, with the satisfaction link).
    contact_email = Varchar(length=254, default="")
    language = Varchar(length=8, default="zh_CN")
    status = Varchar(length=16, default="new")
    tracking_code = Varchar(length=16, unique=True)
    idempotency_key = Varchar(length=36, unique=True)
    created_at = Timestamptz()
    answered_at = Timestamptz(null=True, default=None)


class IntakeAnswer(Table, tablename="intake_answer"):
    intake = ForeignKey(references=Intake, on_delete=OnDelete.cascade, index=True)
    officer = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    text = Text()
    created_at = Timestamptz()


class RateHit(Table, tablename="public_rate_hit"):
    """One counted request in a bucket (a hashed client address, a point, …), shared by
    every process through the database."""

    bucket = Varchar(length=80)
    at = Timestamptz()
