"""One row per urgent notice; its photo lives in the upload storage under ``photo_key``."""

from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.stations.tables import Community

KINDS = ("missing_person", "case_alert", "daily")


class Notice(Table, tablename="notice"):
    """``expires_at`` ends it on the homes; ``withdrawn_at`` ends it early (found, solved).
    The photo is removed some days after the end (``rules.PHOTO_KEPT``), the text stays."""

    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    kind = Varchar(length=16)
    title = Varchar(length=100)
    body = Text(default="")
    photo_key = Varchar(length=80, null=True, default=None)
    thumb_key = Varchar(length=80, null=True, default=None)
    expires_at = Timestamptz()
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawn_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    idempotency_key = Varchar(length=36, unique=True)
