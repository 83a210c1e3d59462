"""One import: the uploaded file, its preview (a report per row) and its outcome.

``import_batch.status``:
    ``previewing``  the file is being read and checked (in the background for a large one);
    ``previewed``   the report is ready; ``confirm`` may write it (nothing written yet);
    ``refused``     the file could not be read at all (``error`` says why);
    ``importing``   confirmed: the rows are being written in one transaction;
    ``done``        written (``counts`` says what), the file and report kept until ``expires_at``;
    ``failed``      the import stopped and wrote nothing (``error`` says why).

``report`` is JSON: one item per row, ``{"row", "key", "action", "message", "changes"}``
with ``action`` one of ``create`` · ``update`` · ``unchanged`` · ``refused``.
``credentials`` is JSON (new accounts' usernames and one-time passwords), readable only by
the importing user until they erase it or the batch expires.
"""

from piccolo.columns import Bytea, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User

KINDS = ("officers", "volunteers", "watchpoints", "landmarks", "boards")
STATUSES = ("previewing", "previewed", "refused", "importing", "done", "failed")


class ImportBatch(Table, tablename="import_batch"):
    token = Varchar(length=32, unique=True)
    kind = Varchar(length=16)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    language = Varchar(length=8, default="zh_CN")
    filename = Varchar(length=200, default="")
    content = Bytea(null=True, default=None)
    status = Varchar(length=16, default="previewing")
    rows_total = Integer(default=0)
    counts = Text(default="{}")
    report = Text(default="[]")
    error = Text(default="")
    credentials = Text(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    expires_at = Timestamptz()
    confirmed_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
