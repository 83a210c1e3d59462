"""Open311 GeoReport v2 over the public ledgers: the services (one per ledger and
category), the public items as service requests, their status changes (FixMyStreet's
``servicerequestupdates``), requests POSTed by partner applications, the person's answer
POSTed as an update by the application that filed the request, and API keys.

Only public fields leave, as on the public ledger page: an item's number, ledger and
category, stage (as open/closed with a note), dates and deadline, the station, its
public summary and its place generalised (``place_public``, else the watch point's
name, and the community). Never the person's name, phone or e-mail, the officers'
notes, the typed landmark or a position, and never a private item — a private item
answers exactly like one that does not exist.

Parameters arrive as the strings the client sent; every check raises ``Open311Error``
(an HTTP status and an English message, translated where it is shown).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import operator
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Mapping

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import write_transaction
from portal.ledger import rules as ledger
from portal.ledger.tables import CLOSED_STAGES, LEDGERS, OPEN_STAGES, LedgerEvent, LedgerItem
from portal.open311.tables import ApiKey, FeedbackUpdate, FiledRequest
from portal.stations.tables import Community
from portal.web.i18n import N_
from portal.web.pagination import Page, keyset_page

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00Z"  # when this interface last changed
MAX_SPAN = dt.timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_PAGE = 1000
MAX_IDS = 1000
DESCRIPTION_MAX = 4000  # the spec's limit for description
NAME_MAX = 100
PHONE_MAX = 32
EMAIL_MAX = 254
ADDRESS_MAX = ledger.PLACE_MAX  # address_string becomes the item's landmark
ADDRESS_ID_MAX = 40  # a community code
SERVICE_CODE_MAX = 100
COORDINATE_MAX = 40
KEY_PREFIX = "o311_"

# (most requests, window) for POST: per API key and per client address (keyed hash).
POST_PER_KEY = (120, dt.timedelta(hours=1))
POST_PER_ADDRESS = (30, dt.timedelta(minutes=15))

class Open311Error(Exception):
    """A refused request: ``status`` is the HTTP status (400, 403, 404, 429) and
    ``message`` an English msgid with ``params``."""

    def __init__(self, status: int, message: str, **params):
        super().__init__(message % params if params else message)
        self.status = status
        self.message = message
        self.params = params


# --- Services ------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    code: str
    ledger: str
    category: str


def services() -> list[Service]:
    """One service per ledger and category, in the ledgers' order."""
    return [Service(f"{name}-{category}", name, category) for name in LEDGERS for category in ledger.CATEGORIES[name]]


def service(code: str) -> Service | None:
    return next((s for s in services() if s.code == code), None)


def split_format(resource: str) -> tuple[str, str]:
    """``"CZ-2026-000001.json"`` → ``("CZ-2026-000001", "json")``; 404 for another format."""
    name, dot, fmt = resource.rpartition(".")
    if not dot or fmt not in ("xml", "json") or not name:
        raise Open311Error(404, N_("Not found. Resources end in .xml or .json."))
    return name, fmt


def check_jurisdiction(jurisdiction_id: str | None, ours: str) -> None:
    """One jurisdiction: the parameter may be left out; another one is not found."""
    if jurisdiction_id and jurisdiction_id.strip() != ours:
        raise Open311Error(404, N_("jurisdiction_id not found: this server serves %(ours)s."), ours=ours)


# --- Parameters ----------------------------------------------------------------------

# The W3C profile of ISO 8601: a date, or a date and time with a zone (Z or ±hh:mm).
# A "+" sent unencoded in a query string arrives as a space; it is read as "+".
_W3C = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+\- ]\d{2}:\d{2}))?$",
    re.ASCII,
)


def parse_datetime(raw: str, name: str) -> dt.datetime:
    """A W3C date-time (UTC); a bare date means its midnight in UTC."""
    match = _W3C.match(raw.strip())
    if not match:
        raise Open311Error(400, N_("%(name)s must be a W3C date-time with a time zone, e.g. 2026-01-31T08:00:00+08:00."), name=name)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        if hour is None:
            return dt.datetime(int(year), int(month), int(day), tzinfo=dt.timezone.utc)
        if zone == "Z":
            tz = dt.timezone.utc
        else:
            sign = -1 if zone[0] == "-" else 1
            hours, minutes = int(zone[1:3]), int(zone[4:6])
            if hours > 14 or minutes > 59:
                raise ValueError(zone)
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        local = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo=tz)
        return local.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise Open311Error(400, N_("%(name)s is not a valid date-time."), name=name) from None


def _comma_list(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _positive(raw: str | None, name: str, default: int, largest: int) -> int:
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    if not re.fullmatch(r"0*[0-9]{1,7}", value) or not 1 <= int(value) <= largest:
        raise Open311Error(400, N_("%(name)s must be a whole number from 1 to %(largest)d."), name=name, largest=largest)
    return int(value)


def _shifted(moment: dt.datetime, by: dt.timedelta) -> dt.datetime:
    """``moment + by``, stopped at the ends of the calendar."""
    try:
        return moment + by
    except OverflowError:
        return (dt.datetime.min if by < dt.timedelta(0) else dt.datetime.max).replace(tzinfo=dt.timezone.utc)


def window(start_raw: str | None, end_raw: str | None, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The date range of a list: at most 90 days; the most recent 90 days by default,
    90 days from ``start_date`` or up to ``end_date`` when only one is given."""
    start = parse_datetime(start_raw, "start_date") if start_raw and start_raw.strip() else None
    end = parse_datetime(end_raw, "end_date") if end_raw and end_raw.strip() else None
    if start is None and end is None:
        end, start = at, at - MAX_SPAN
    elif start is None:
        start = _shifted(end, -MAX_SPAN)
    elif end is None:
        end = _shifted(start, MAX_SPAN)
    if end < start:
        raise Open311Error(400, N_("end_date is before start_date."))
    if end - start > MAX_SPAN:
        raise Open311Error(400, N_("The date range may not span more than 90 days."))
    return start, end


@dataclass
class RequestQuery:
    """What GET requests asks for, checked."""

    ids: list[str] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def request_query(params: Mapping[str, str | None], at: dt.datetime) -> RequestQuery:
    """``service_request_id`` overrides every other filter (the spec says so)."""
    page = _positive(params.get("page"), "page", 1, MAX_PAGE)
    page_size = _positive(params.get("page_size"), "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    ids = _comma_list(params.get("service_request_id"))
    if len(ids) > MAX_IDS:
        raise Open311Error(400, N_("Ask for at most %(largest)d service_request_id at once."), largest=MAX_IDS)
    if ids:
        return RequestQuery(ids=ids, page=page, page_size=page_size)
    chosen = []
    for code in _comma_list(params.get("service_code")):
        found = service(code)
        if not found:
            raise Open311Error(404, N_("service_code not found: %(code)s. The list is at services.xml."), code=code[:64])
        chosen.append(found)
    statuses = _comma_list(params.get("status"))
    for status in statuses:
        if status not in ("open", "closed"):
            raise Open311Error(400, N_("status must be open, closed or both (comma-separated)."))
    start, end = window(params.get("start_date"), params.get("end_date"), at)
    return RequestQuery(services=chosen, statuses=sorted(set(statuses)), start=start, end=end, page=page, page_size=page_size)


# --- Reading the public ledgers ------------------------------------------------------

_ITEM_COLUMNS = (
    LedgerItem.id, LedgerItem.number, LedgerItem.ledger, LedgerItem.category, LedgerItem.stage,
    LedgerItem.public_summary, LedgerItem.place_public,
    LedgerItem.created_at, LedgerItem.updated_at, LedgerItem.closed_at, LedgerItem.stage_due_at,
    LedgerItem.point.name_zh, LedgerItem.point.name_en,
    LedgerItem.community.code, LedgerItem.community.name_zh, LedgerItem.community.name_en, LedgerItem.community.timezone,
    LedgerItem.station.name_zh, LedgerItem.station.name_en,
)


def _public():
    return LedgerItem.private == False  # noqa: E712


async def find_requests(query: RequestQuery) -> list[dict]:
    """Public items, newest first, one page of at most ``page_size``."""
    select = LedgerItem.select(*_ITEM_COLUMNS).where(_public())
    if query.ids:
        select = select.where(LedgerItem.number.is_in([i[:32] for i in query.ids]))
    else:
        select = select.where((LedgerItem.created_at >= query.start) & (LedgerItem.created_at <= query.end))
        if query.services:
            pairs = [(LedgerItem.ledger == s.ledger) & (LedgerItem.category == s.category) for s in query.services]
            select = select.where(functools.reduce(operator.or_, pairs))
        if len(query.statuses) == 1:
            select = select.where(LedgerItem.stage.is_in(list(OPEN_STAGES if query.statuses[0] == "open" else CLOSED_STAGES)))
    select = select.order_by(LedgerItem.created_at, ascending=False).order_by(LedgerItem.id, ascending=False)
    return await select.limit(query.page_size).offset((query.page - 1) * query.page_size).run()


async def find_request(number: str) -> dict | None:
    if len(number) > 32:
        return None
    return await LedgerItem.select(*_ITEM_COLUMNS).where(_public() & (LedgerItem.number == number)).first().run()


@dataclass
class UpdatesQuery:
    start: dt.datetime
    end: dt.datetime
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def updates_query(params: Mapping[str, str | None], at: dt.datetime) -> UpdatesQuery:
    start, end = window(params.get("start_date"), params.get("end_date"), at)
    return UpdatesQuery(
        start=start, end=end,
        page=_positive(params.get("page"), "page", 1, MAX_PAGE),
        page_size=_positive(params.get("page_size"), "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE),
    )


async def find_updates(query: UpdatesQuery) -> list[dict]:
    """Changes of stage of public items in the window, oldest first (a client polls
    from where it stopped). Officers' notes never leave: only the new stage."""
    return await LedgerEvent.select(
        LedgerEvent.id, LedgerEvent.to_stage, LedgerEvent.created_at,
        LedgerEvent.item.number, LedgerEvent.item.community.timezone,
    ).where(
        (LedgerEvent.created_at >= query.start) & (LedgerEvent.created_at <= query.end)
        & (LedgerEvent.item.private == False)  # noqa: E712
        & (LedgerEvent.kind != "note") & (LedgerEvent.to_stage != "") & (LedgerEvent.to_stage != LedgerEvent.from_stage)
    ).order_by(LedgerEvent.created_at).order_by(LedgerEvent.id).limit(query.page_size).offset((query.page - 1) * query.page_size).run()


# --- API keys ------------------------------------------------------------------------


def _hash(key: str) -> str:
    # Keys carry 256 random bits, so a plain SHA-256 is enough to keep them unusable
    # from a copy of the database, and lets a request find its key by index.
    return hashlib.sha256(key.encode()).hexdigest()


async def issue_key(actor: Actor, name: str, community_id: int | None) -> tuple[int, str]:
    """A new key for ``name``; returns (id, key). The key is never stored or shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    async with write_transaction():
        rows = await ApiKey.insert(
            ApiKey(name=name.strip()[:100], key_hash=_hash(key), prefix=key[:12], community=community_id or None, created_by=actor.id, created_at=now())
        ).returning(ApiKey.id).run()
        key_id = rows[0]["id"]
        await record("open311.key_issued", "open311_api_key", key_id, actor=actor, after={"name": name.strip()[:100], "prefix": key[:12], "community": community_id or None})
    return key_id, key


async def revoke_key(actor: Actor, key_id: int) -> bool:
    """Stop a key at once; False when there is no such key. Revoking twice changes nothing."""
    async with write_transaction():
        row = await ApiKey.select(ApiKey.id, ApiKey.revoked_at).where(ApiKey.id == key_id).first().run()
        if not row:
            return False
        if row["revoked_at"] is None:
            at = now()
            await ApiKey.update({ApiKey.revoked_at: at, ApiKey.revoked_by: actor.id}).where(ApiKey.id == key_id).run()
            await record("open311.key_revoked", "open311_api_key", key_id, actor=actor, before={"revoked_at": None}, after={"revoked_at": at})
    return True


async def keys_page(after: int | None) -> Page:
    query = ApiKey.select(
        ApiKey.id, ApiKey.name, ApiKey.prefix, ApiKey.created_at, ApiKey.last_used_at, ApiKey.revoked_at,
        ApiKey.community.name_zh, ApiKey.community.name_en, ApiKey.created_by.username,
    )
    return await keyset_page(query, ApiKey.id, after, descending=True)


async def key_for(raw: str | None) -> dict:
    """The active key behind ``raw``; 403 when it is missing, unknown or revoked."""
    if not raw or not raw.strip():
        raise Open311Error(403, N_("api_key is missing: POST needs a key issued by the portal's administrators."))
    row = await ApiKey.select(ApiKey.id, ApiKey.name, ApiKey.community, ApiKey.revoked_at).where(ApiKey.key_hash == _hash(raw.strip()[:200])).first().run()
    if not row or row["revoked_at"] is not None:
        raise Open311Error(403, N_("Invalid api_key: it is unknown or was revoked."))
    return row


# --- POST a request ------------------------------------------------------------------


def _text(fields: Mapping[str, str], name: str, largest: int) -> str:
    value = (fields.get(name) or "").strip()
    if len(value) > largest:
        raise Open311Error(400, N_("%(name)s is too long: at most %(largest)d characters."), name=name, largest=largest)
    return value


def _coordinate(fields: Mapping[str, str], name: str, limit: float) -> float | None:
    raw = (fields.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw[:COORDINATE_MAX])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise Open311Error(400, N_("%(name)s must be a number from -%(limit)d to %(limit)d (WGS84)."), name=name, limit=int(limit))
    return value


async def create_request(key: dict, fields: Mapping[str, str], language: str) -> dict:
    """File a POSTed request in its ledger as a public matter; returns the item's
    {id, number, tracking_code}. The contact goes where the ledger keeps personal
    data (officers of the community only); the typed address becomes the landmark."""
    code = _text(fields, "service_code", SERVICE_CODE_MAX)
    if not code:
        raise Open311Error(400, N_("service_code is required."))
    chosen = service(code)
    if not chosen:
        raise Open311Error(404, N_("service_code not found: %(code)s. The list is at services.xml."), code=code[:64])
    description = _text(fields, "description", DESCRIPTION_MAX)
    if not description:
        raise Open311Error(400, N_("description is required: say what the matter is."))
    address = _text(fields, "address_string", ADDRESS_MAX)
    address_id = _text(fields, "address_id", ADDRESS_ID_MAX)
    lat, lon = _coordinate(fields, "lat", 90), _coordinate(fields, "long", 180)
    if (lat is None) != (lon is None):
        raise Open311Error(400, N_("lat and long are sent together."))
    if not (address or address_id or lat is not None):
        raise Open311Error(400, N_("A location is required: lat and long, address_string or address_id."))
    name = " ".join(part for part in (_text(fields, "first_name", NAME_MAX), _text(fields, "last_name", NAME_MAX)) if part)
    if len(name) > NAME_MAX:
        raise Open311Error(400, N_("%(name)s is too long: at most %(largest)d characters."), name="first_name + last_name", largest=NAME_MAX)
    phone = _text(fields, "phone", PHONE_MAX)
    email = _text(fields, "email", EMAIL_MAX)
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
        raise Open311Error(400, N_("email is not an e-mail address."))
    if address_id:
        community = await Community.select(Community.id).where(Community.code == address_id).first().run()
        if not community:
            raise Open311Error(400, N_("address_id must be the code of one of our communities (as in the requests' address_id)."))
        community_id = community["id"]
    elif key["community"]:
        community_id = key["community"]
    else:
        raise Open311Error(400, N_("address_id is required with this key: give the code of the community (as in the requests' address_id)."))
    summary, details = description, ""
    if len(description) > ledger.SUMMARY_MAX:
        summary, details = description[: ledger.SUMMARY_MAX - 1] + "…", description
    if lat is not None:
        details = (details + "\n\n" if details else "") + f"lat {lat:.6f}, long {lon:.6f} (Open311)"
    try:
        async with write_transaction():
            item = await ledger.file_item(
                None,
                ledger.NewItem(
                    ledger=chosen.ledger, category=chosen.category, community_id=community_id, summary=summary, details=details,
                    landmark=address, raised_by_name=name, raised_by_phone=phone, raised_by_email=email,
                    source="public", language=language, idempotency_key=str(uuid.uuid4()),
                ),
            )
            at = now()
            await FiledRequest.insert(FiledRequest(item=item["id"], api_key=key["id"], created_at=at)).run()
            await ApiKey.update({ApiKey.last_used_at: at}).where(ApiKey.id == key["id"]).run()
            await record("open311.request_created", "ledger_item", item["id"], after={"key": key["id"], "key_name": key["name"], "number": item["number"], "service_code": code})
    except ledger.LedgerError as error:
        raise Open311Error(400, error.message, **error.params) from None
    return item


# --- POST an update: the person's answer ----------------------------------------------

# FixMyStreet's upper-case update statuses, read as the person's answer to our feedback:
# the matter is settled (satisfied) or it is not (not satisfied, with the description).
SATISFIED_STATUSES = ("CLOSED", "FIXED")
NOT_SATISFIED_STATUSES = ("OPEN", "REOPEN")
UPDATE_ID_MAX = 64
REQUEST_ID_MAX = 32


async def post_feedback(key: dict, fields: Mapping[str, str], at: dt.datetime | None = None) -> str:
    """Record the person's answer that the application which filed the request sends as
    an update (``status`` CLOSED or FIXED: satisfied; OPEN or REOPEN: not satisfied, the
    ``description`` saying why), through the ledger's rule for the person's own answer
    (``satisfaction_via`` "open311"). Returns our update_id (the timeline line's id). A
    request another key filed is not found; one not waiting for the answer is refused;
    the same ``update_id`` sent again answers the same and records nothing."""
    number = _text(fields, "service_request_id", REQUEST_ID_MAX)
    if not number:
        raise Open311Error(400, N_("service_request_id is required."))
    status = _text(fields, "status", 32).upper()
    if status not in SATISFIED_STATUSES + NOT_SATISFIED_STATUSES:
        raise Open311Error(400, N_("status must be CLOSED or FIXED (the person is satisfied) or OPEN or REOPEN (the person is not satisfied)."))
    description = _text(fields, "description", ledger.NOTE_MAX)
    client_update_id = _text(fields, "update_id", UPDATE_ID_MAX)
    async with write_transaction():
        filed = await FiledRequest.select(FiledRequest.item).where(
            (FiledRequest.api_key == key["id"]) & (FiledRequest.item.number == number)
        ).first().run()
        if not filed:
            raise Open311Error(404, N_("service_request_id not found: %(id)s."), id=number[:40])
        if client_update_id:
            sent = await FeedbackUpdate.select(FeedbackUpdate.event, FeedbackUpdate.item).where(
                (FeedbackUpdate.api_key == key["id"]) & (FeedbackUpdate.client_update_id == client_update_id)
            ).first().run()
            if sent:
                if sent["item"] != filed["item"]:
                    raise Open311Error(400, N_("update_id was already used for another request."))
                return str(sent["event"])
        satisfied = status in SATISFIED_STATUSES
        try:
            await ledger.answer_from_person(filed["item"], satisfied, description, None, via="open311", at=at)
        except ledger.LedgerError as error:
            if error.field == "note":
                raise Open311Error(400, N_("description is required when the person is not satisfied: say what is still wrong.")) from None
            raise Open311Error(400, N_("service_request_id is not waiting for the person's answer: it was answered already, or it is still being handled.")) from None
        event = await LedgerEvent.select(LedgerEvent.id).where(LedgerEvent.item == filed["item"]).order_by(LedgerEvent.id, ascending=False).first().run()
        if client_update_id:
            await FeedbackUpdate.insert(FeedbackUpdate(api_key=key["id"], client_update_id=client_update_id, item=filed["item"], event=event["id"], created_at=at or now())).run()
        await ApiKey.update({ApiKey.last_used_at: at or now()}).where(ApiKey.id == key["id"]).run()
        await record(
            "open311.feedback", "ledger_item", filed["item"],
            after={"key": key["id"], "key_name": key["name"], "number": number, "status": status, "satisfied": satisfied, "update_id": client_update_id or None, "event": event["id"]},
        )
    return str(event["id"])
