"""One row per change of state."""

from piccolo.columns import JSON, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import User


class AuditEntry(Table, tablename="audit_entry"):
    at = Timestamptz(default=TimestamptzNow())
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    # The actor's username at the time, kept when the account is later anonymised.
    actor_label = Varchar(length=64, default="")
    action = Varchar(length=64)
    object_type = Varchar(length=32)
    object_id = Varchar(length=64, default="")
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    ip = Varchar(length=64, default="")
