"""Bulletins (one row per version), the prevention-tip library, e-mail subscribers and
the record of which published bulletin went to which subscriber.

A bulletin's ``figures`` is the compiled week as JSON, free of language: numbers, ids
and names in both languages. Pages, feeds, mails and the chat text are rendered from it
in the reader's language, so a week is compiled once.
"""

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.stations.tables import City, Community, District, Station

SCOPES = ("community", "station", "district", "city")
STATUSES = ("draft", "published", "superseded")
TIP_CATEGORIES = ("fraud", "theft", "fire", "traffic", "dispute", "elderly", "children", "weather", "stairwell", "general")


class Bulletin(Table, tablename="bulletin"):
    """One version of the bulletin of a community (or a station's, a district's or a
    city's roll-up) for an ISO week.

    ``scope_key`` is "c<community id>", "s<station id>", "d<district id>" or
    "city<city id>"; the unique index on
    (scope_key, week, version) makes the first compile of a week win however many
    processes try, and a correction is the next version.
    """

    scope = Varchar(length=12)
    scope_key = Varchar(length=24)
    station = ForeignKey(references=Station, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.restrict, index=True)
    district = ForeignKey(references=District, null=True, on_delete=OnDelete.restrict, index=True)
    city = ForeignKey(references=City, null=True, on_delete=OnDelete.restrict, index=True)
    week = Varchar(length=8)  # "2026-W47"
    starts_on = Date()
    version = Integer(default=1)
    status = Varchar(length=12, default="draft")
    figures = JSON(default="{}")
    headline_zh = Text(default="")  # the officer's headline; empty: the generated one
    headline_en = Text(default="")
    note_zh = Text(default="")
    note_en = Text(default="")
    compiled_at = Timestamptz()
    published_at = Timestamptz(null=True, default=None)
    published_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz()


class Tip(Table, tablename="bulletin_tip"):
    """A bilingual prevention tip. ``always`` tips (anti-fraud) go into every bulletin."""

    category = Varchar(length=16)
    text_zh = Text()
    text_en = Text()
    always = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Subscriber(Table, tablename="bulletin_subscriber"):
    """A resident's e-mail subscription to a community's bulletin (double opt-in).

    The tokens are random and unguessable; the unsubscribe token is in every mail."""

    email = Varchar(length=254)
    community = ForeignKey(references=Community, on_delete=OnDelete.cascade, index=True)
    language = Varchar(length=8, default="zh_CN")
    confirm_token = Varchar(length=64, unique=True)
    unsubscribe_token = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    confirmed_at = Timestamptz(null=True, default=None)
    unsubscribed_at = Timestamptz(null=True, default=None)


class Delivery(Table, tablename="bulletin_delivery"):
    """A published bulletin claimed for one subscriber: each is mailed once."""

    bulletin = ForeignKey(references=Bulletin, on_delete=OnDelete.cascade)
    subscriber = ForeignKey(references=Subscriber, on_delete=OnDelete.cascade, index=True)
    claimed_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
