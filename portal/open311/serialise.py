"""The Open311 documents: typed shapes (they are also the OpenAPI schemas of the JSON
answers), the mapping of ledger rows onto them, and XML as the spec writes it — UTF-8,
an XML declaration, the spec's element names, no namespace; JSON is the same document
by the Spark convention (the root's list becomes a JSON array)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from portal.ledger import labels
from portal.ledger.rules import status_of
from portal.open311 import rules
from portal.web.i18n import gettext as _
from portal.web.i18n import localized

XML_MEDIA_TYPE = "text/xml"  # Litestar adds "; charset=utf-8"
JSON_MEDIA_TYPE = "application/json; charset=utf-8"

# The element of each item of a list, by the list's element (the spec's ⇊ and ↴).
_ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "service_requests_updates": "request_update",
    "service_request_updates": "request_update",  # the answer to POST servicerequestupdates
    "errors": "error",
}
# Characters XML 1.0 cannot carry at all (controls, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Error(msgspec.Struct):
    code: int
    description: str


class Endpoint(msgspec.Struct):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(msgspec.Struct):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class ServiceType(msgspec.Struct):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class Attribute(msgspec.Struct):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str


class ServiceDefinition(msgspec.Struct):
    service_code: str
    attributes: list[Attribute]


class ServiceRequest(msgspec.Struct):
    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str
    address_id: str


class Created(msgspec.Struct):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class TokenAnswer(msgspec.Struct):
    service_request_id: str
    token: str


class UpdateCreated(msgspec.Struct):
    """The answer to POST servicerequestupdates (mySociety's extension): our update_id."""

    update_id: str
    account_id: str | None


class RequestUpdate(msgspec.Struct):
    update_id: str
    service_request_id: str
    status: str
    external_status_code: str
    updated_datetime: str
    description: str
    media_url: str | None


# --- Values --------------------------------------------------------------------------


def w3c(value: dt.datetime | None, timezone: str) -> str | None:
    """``2026-11-23T17:05:00+08:00``: whole seconds, the community's offset."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).replace(microsecond=0).isoformat()


def service_type(service: rules.Service) -> ServiceType:
    ledger_name = _(labels.LEDGERS[service.ledger])
    category_name = _(labels.CATEGORIES.get(service.category, service.category))
    return ServiceType(
        service_code=service.code,
        service_name=_("%(ledger)s: %(category)s", ledger=ledger_name, category=category_name),
        description=_("Filed in the ledger of %(ledger)s, answered by one accountable community officer, and closed when the person who raised it is satisfied.", ledger=ledger_name),
        metadata=False,
        type="realtime",
        keywords=", ".join([service.ledger, service.category.replace("_", " "), ledger_name, category_name]),
        group=ledger_name,
    )


def stage_note(stage: str) -> str:
    """The public words for a stage: the public ledger page's (officers' notes and where
    a matter was referred stay on the item's page and the person's tracking page)."""
    return _(labels.STAGES.get(stage, stage))


def service_request(row: dict) -> ServiceRequest:
    """A public item as a service request: only its public fields."""
    tz = row["community.timezone"] or "Asia/Shanghai"
    status = status_of(row["stage"])
    community = localized({"name_zh": row["community.name_zh"], "name_en": row["community.name_en"]}, "name")
    point = localized({"name_zh": row["point.name_zh"], "name_en": row["point.name_en"]}, "name") if row["point.name_zh"] else ""
    code = f"{row['ledger']}-{row['category']}"
    found = rules.service(code)
    return ServiceRequest(
        service_request_id=row["number"],
        status=status,
        status_notes=stage_note(row["stage"]),
        service_name=service_type(found).service_name if found else code,
        service_code=code,
        description=row["public_summary"] or None,
        agency_responsible=localized({"name_zh": row["station.name_zh"], "name_en": row["station.name_en"]}, "name") or None,
        service_notice=None,
        requested_datetime=w3c(row["created_at"], tz),
        updated_datetime=w3c(row["closed_at"] if status == "closed" and row["closed_at"] else row["updated_at"], tz),
        expected_datetime=w3c(row["stage_due_at"], tz) if status == "open" else None,
        address=", ".join(part for part in (row["place_public"] or point, community) if part),
        address_id=row["community.code"],
    )


def request_update(row: dict) -> RequestUpdate:
    stage = row["to_stage"]
    return RequestUpdate(
        update_id=str(row["id"]),
        service_request_id=row["item.number"],
        status=status_of(stage) if stage in labels.STAGES else "open",
        external_status_code=stage,
        updated_datetime=w3c(row["created_at"], row["item.community.timezone"] or "Asia/Shanghai"),
        description=stage_note(stage),
        media_url=None,
    )


# --- Documents -----------------------------------------------------------------------


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    child = ET.SubElement(parent, tag)
    _fill(child, tag, value)


def _fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, msgspec.Struct):
        value = msgspec.structs.asdict(value)
    if isinstance(value, dict):
        for name, inner in value.items():
            _append(element, name, inner)
    elif isinstance(value, list):
        for inner in value:
            _append(element, _ITEM_TAGS[tag], inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))


def to_xml(root: str, document: Any) -> bytes:
    """``root`` holds ``document`` (a list → one item element each)."""
    element = ET.Element(root)
    _fill(element, root, document)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def to_json(document: Any) -> bytes:
    return msgspec.json.encode(document)


def errors(status: int, description: str) -> list[Error]:
    return [Error(code=status, description=description)]
