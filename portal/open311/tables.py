"""API keys of the Open311 interface: issued by an administrator to a partner
application (a residents' committee app, a city 12345 hotline bridge), needed to POST
a request. Only a SHA-256 hash of a key is kept; the key is shown once, when issued.
Which key filed which item, and the person's answers (feedback updates) a key sent."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.ledger.tables import LedgerItem
from portal.stations.tables import Community


class ApiKey(Table, tablename="open311_api_key"):
    """``community`` is where requests go that name no community (``address_id``);
    ``prefix`` (the key's first characters) tells keys apart on the admin page."""

    name = Varchar(length=100)
    key_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.set_null)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)


class FiledRequest(Table, tablename="open311_request"):
    """The key an item was POSTed with: only that client sends the person's answer on it."""

    item = ForeignKey(references=LedgerItem, on_delete=OnDelete.cascade, unique=True)
    api_key = ForeignKey(references=ApiKey, on_delete=OnDelete.cascade)
    created_at = Timestamptz()


class FeedbackUpdate(Table, tablename="open311_update"):
    """A feedback update a client POSTed: its own ``update_id`` (unique per key with it),
    and the timeline line it became (``event``, the update_id we answer with), so that a
    resend answers the same and records nothing."""

    api_key = ForeignKey(references=ApiKey, on_delete=OnDelete.cascade)
    client_update_id = Varchar(length=64)
    item = ForeignKey(references=LedgerItem, on_delete=OnDelete.cascade)
    event = Integer()
    created_at = Timestamptz()
