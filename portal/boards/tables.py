"""The registry of contact boards: one row per physical board in a stairwell, on a
building site, in a market, on a square… ``code`` is the board's stable key, unique in
its community (what an import matches on). A board that came down is retired, never
deleted: its history stays."""

from piccolo.columns import Date, DoublePrecision, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.stations.tables import Community

PLACE_KINDS = ("stairwell", "building_site", "market", "square", "street", "school_gate", "shop", "residential_gate", "other")
# What a board shows; the QR code always opens the community's public page.
SHOWS = ("officers", "emergency", "qr", "anti_fraud")


class Board(Table, tablename="contact_board"):
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict)
    code = Varchar(length=40)
    place_kind = Varchar(length=20, default="other")
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    address = Varchar(length=200, default="")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    shows = Varchar(length=100, default="officers,emergency,qr")
    note = Text(default="")
    printed_on = Date(null=True, default=None)
    replaced_on = Date(null=True, default=None)
    replace_due = Date(null=True, default=None)
    retired_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
