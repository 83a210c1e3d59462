"""API keys of the Open311 interface: issued by an administrator to a partner
application (a residents' committee app, a city 12345 hotline bridge), needed to POST
a request. Only a SHA-256 hash of a key is kept; the key is shown once, when issued."""

from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
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
