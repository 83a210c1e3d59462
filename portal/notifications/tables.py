"""One row per message to one user."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User


class Notification(Table, tablename="notification"):
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    kind = Varchar(length=48)
    subject = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=300, default="")
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
    # Same key, same message: a job run by several processes notifies once.
    dedupe_key = Varchar(length=160, null=True, default=None, unique=True)
    emailed_at = Timestamptz(null=True, default=None)
    # The same subject and link again while the first is unread: one row, counted.
    repeats = Integer(default=1)
    # The message as msgids and parameters (JSON), put in words when it is read; "" for
    # rows written before.
    message = Text(default="")
