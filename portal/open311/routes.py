"""Open311 GeoReport v2 under ``/open311/v2/`` (XML, which the spec requires, and JSON),
FixMyStreet's servicerequestupdates (read, and POST for the person's answer by the
application that filed the request), and the administrators' page that issues and
revokes API keys.

The API answers every role the same: it reads only public items and ignores the
session. It is exempt from CSRF on purpose: a POST is authorised by its ``api_key``
alone, never by a cookie, so a forged cross-site request from a logged-in browser
carries nothing it could use (and partner servers have no CSRF cookie to send).
Errors come in the spec's format — a list of ``error`` with ``code`` and ``description``
— with 400 for bad parameters, 403 for a bad key, 404 for what does not exist and 429
when a key or an address sends too many requests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Callable, ClassVar
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.params import Body, FromPath, PathParameter, QueryParameter
from litestar.response import Template

from portal.accounts.rules import now
from portal.open311 import rules
from portal.open311 import serialise as S
from portal.open311.forms import KeyForm
from portal.public.rules import address_bucket, over_limit
from portal.stations.rules import community_choices
from portal.web.errors import printable
from portal.web.guards import requires
from portal.web.i18n import N_, current_language
from portal.web.i18n import gettext as _
from portal.web.middleware import client_ip
from portal.web.pages import public_address, render, see_other

log = logging.getLogger("portal")

# Query parameters: "optional" means an empty value is the same as none (the spec).
# Real calendar days only: 30-day months end on the 30th, February on the 28th except in
# leap years (years 0001-9999).
_YEAR = r"(0[0-9]{2}[1-9]|0[0-9][1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = r"([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
_DAY = (
    rf"({_YEAR}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
    rf"|{_LEAP_YEAR}-02-29)"
)
_DATE = (
    rf"^(|{_DAY}"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?(Z|[+\- ](0[0-9]|1[0-4]):[0-5][0-9]))?)$"
)
_NUMBER = r"^(|0*([1-9][0-9]{0,2}|1000))$"  # 1 to 1000
_STATUS = r"^(|(open|closed)(,(open|closed))*)$"

# What Litestar's checks of the declared parameters (patterns, lengths) mean, in our words.
_DATE_ERROR = N_("%(name)s must be a W3C date-time with a time zone, e.g. 2026-01-31T08:00:00+08:00.")
_NUMBER_ERROR = N_("%(name)s must be a whole number from 1 to %(largest)d.")
_PARAMETER_ERRORS = {
    "start_date": (_DATE_ERROR, {}),
    "end_date": (_DATE_ERROR, {}),
    "page": (_NUMBER_ERROR, {"largest": rules.MAX_PAGE}),
    "page_size": (_NUMBER_ERROR, {"largest": rules.MAX_PAGE_SIZE}),
    "status": (N_("status must be open, closed or both (comma-separated)."), {}),
}
_TOO_LONG = N_("%(name)s is too long: at most %(largest)d characters.")
_LENGTHS = {
    "description": rules.DESCRIPTION_MAX, "first_name": rules.NAME_MAX, "last_name": rules.NAME_MAX, "phone": rules.PHONE_MAX,
    "email": rules.EMAIL_MAX, "address_string": rules.ADDRESS_MAX, "address_id": rules.ADDRESS_ID_MAX, "service_code": rules.SERVICE_CODE_MAX,
    "lat": rules.COORDINATE_MAX, "long": rules.COORDINATE_MAX, "update_id": rules.UPDATE_ID_MAX,
}
_PARAMETER_ERRORS.update({name: (_TOO_LONG, {"largest": largest}) for name, largest in _LENGTHS.items()})

_ERROR_TEXT = {
    400: "Bad parameters: the description says which.",
    403: "Missing, unknown or revoked api_key.",
    404: "Not found (also a private item, an unknown service or token, another jurisdiction).",
    413: "The body is larger than the portal accepts.",
    429: "Too many requests from this key or address; try again later.",
}


def _docs(ok: object | None, ok_text: str, *statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses: the JSON shapes; the XML twin is added by the operation class."""
    specs = {status: ResponseSpec(data_container=list[S.Error], description=_ERROR_TEXT[status], generate_examples=False) for status in statuses}
    if ok is not None:
        specs[200] = ResponseSpec(data_container=ok, description=ok_text, generate_examples=False)
    return specs


@dataclass
class _Formats(Operation):
    """Describes each response in the formats the path serves: XML (a document as
    text) and/or JSON (the schema generated from the serialise shapes)."""

    xml: ClassVar[bool] = True
    json: ClassVar[bool] = True

    def __post_init__(self) -> None:
        for response in (self.responses or {}).values():
            content = getattr(response, "content", None) or {}
            shape = content.get("application/json")
            served: dict[str, OpenAPIMediaType] = {}
            if self.xml:
                served["text/xml"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, description="The same document in the spec's XML (UTF-8)."))
            if self.json and shape is not None:
                served["application/json"] = shape
            if hasattr(response, "content"):
                response.content = served or None


@dataclass
class _XmlOnly(_Formats):
    json: ClassVar[bool] = False


@dataclass
class _JsonOnly(_Formats):
    xml: ClassVar[bool] = False


def _format_of(request: Request) -> str:
    return "json" if request.url.path.endswith(".json") else "xml"


def _answer(fmt: str, root: str, document: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if fmt == "json":
        return Response(S.to_json(document), status_code=status, media_type=S.JSON_MEDIA_TYPE, headers=headers)
    return Response(S.to_xml(root, document), status_code=status, media_type=S.XML_MEDIA_TYPE, headers=headers)


def _error(request: Request, status: int, description: str, headers: dict[str, str] | None = None) -> Response:
    return _answer(_format_of(request), "errors", S.errors(status, description), status, headers)


def _open311_error(request: Request, exc: rules.Open311Error) -> Response:
    return _error(request, exc.status, _(exc.message, **exc.params))


def _http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        problems = [(str(e.get("key")), str(e.get("message", ""))) for e in (exc.extra or []) if isinstance(e, dict) and e.get("key")]
        known = [
            _(_PARAMETER_ERRORS[name][0], name=name, **_PARAMETER_ERRORS[name][1])
            for name, message in problems
            if name in _PARAMETER_ERRORS and (name not in _LENGTHS or "length" in message)
        ]
        names = ", ".join(name for name, _message in problems)[:200]
        return _error(request, 400, " ".join(known) or _("Invalid parameter: %(names)s.", names=names or "?"))
    messages = {404: N_("Not found."), 413: N_("The body is larger than the portal accepts."), 405: N_("This method is not served here.")}
    if status >= 500:
        log.exception("open311 error", exc_info=exc)
    # Keep what Litestar says about the answer (Allow on a 405).
    return _error(request, status, _(messages.get(status, N_("The request could not be served."))), dict(exc.headers or {}))


def api_errors_first(page_error: Callable[[Request, HTTPException], Response]) -> Callable[[Request, HTTPException], Response]:
    """For the app's handler: Litestar refuses unknown paths and methods before any
    controller is chosen; under /open311/ those get the spec's error document too."""

    def handler(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith(Open311Controller.path + "/"):
            return _http_error(request, exc)
        return page_error(request, exc)

    return handler


def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, printable(request.url.path), exc_info=exc)
    return _error(request, 500, _("Something went wrong on the server. The error was recorded."))


def _jurisdiction(request: Request) -> str:
    """Our jurisdiction_id: the host the public reaches the portal at."""
    return urlsplit(public_address(request)).hostname or "localhost"


class ServiceRequestForm(msgspec.Struct):
    """The form of POST requests (application/x-www-form-urlencoded)."""

    api_key: str | None = None
    jurisdiction_id: str | None = None
    service_code: Annotated[str, msgspec.Meta(max_length=rules.SERVICE_CODE_MAX)] | None = None
    lat: Annotated[str, msgspec.Meta(max_length=rules.COORDINATE_MAX, description="WGS84 latitude")] | None = None
    long: Annotated[str, msgspec.Meta(max_length=rules.COORDINATE_MAX, description="WGS84 longitude")] | None = None
    address_string: Annotated[str, msgspec.Meta(max_length=rules.ADDRESS_MAX, description="Where, as the person says it (officers only)")] | None = None
    address_id: Annotated[str, msgspec.Meta(max_length=rules.ADDRESS_ID_MAX, description="The code of one of our communities")] | None = None
    email: Annotated[str, msgspec.Meta(max_length=rules.EMAIL_MAX)] | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: Annotated[str, msgspec.Meta(max_length=rules.NAME_MAX)] | None = None
    last_name: Annotated[str, msgspec.Meta(max_length=rules.NAME_MAX)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=rules.PHONE_MAX)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=rules.DESCRIPTION_MAX)] | None = None
    media_url: str | None = None


class ServiceRequestUpdateForm(msgspec.Struct):
    """The form of POST servicerequestupdates as FixMyStreet's Open311 client sends it
    (application/x-www-form-urlencoded); here it carries the person's answer."""

    api_key: str | None = None
    jurisdiction_id: str | None = None
    service_request_id: Annotated[str, msgspec.Meta(max_length=rules.REQUEST_ID_MAX)] | None = None
    update_id: Annotated[str, msgspec.Meta(max_length=rules.UPDATE_ID_MAX, description="The client's id of the update: sent again, it records nothing")] | None = None
    status: Annotated[str, msgspec.Meta(max_length=32, description="CLOSED or FIXED: the person is satisfied; OPEN or REOPEN: not satisfied")] | None = None
    updated_datetime: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=rules.DESCRIPTION_MAX, description="What the person said (needed when not satisfied)")] | None = None
    email: Annotated[str, msgspec.Meta(max_length=rules.EMAIL_MAX)] | None = None
    first_name: Annotated[str, msgspec.Meta(max_length=rules.NAME_MAX)] | None = None
    last_name: Annotated[str, msgspec.Meta(max_length=rules.NAME_MAX)] | None = None
    media_url: str | None = None
    account_id: str | None = None


_Jurisdiction = Annotated[str | None, QueryParameter(max_length=200, description="Optional: this server serves one jurisdiction.")]
_Page = Annotated[str | None, QueryParameter(pattern=_NUMBER, description="Extension: the page, from 1 (at most 1000).")]
_PageSize = Annotated[str | None, QueryParameter(pattern=_NUMBER, description="Extension: items per page, 1 to 1000 (default 1000).")]
_Start = Annotated[str | None, QueryParameter(pattern=_DATE, description="W3C date-time; the range is at most 90 days (default: the last 90 days).")]
_End = Annotated[str | None, QueryParameter(pattern=_DATE, description="W3C date-time; the range is at most 90 days.")]
_Ids = Annotated[str | None, QueryParameter(max_length=40000, description="Comma-separated; overrides every other filter.")]
_Codes = Annotated[str | None, QueryParameter(max_length=4000, description="Comma-separated service codes.")]
_Status = Annotated[str | None, QueryParameter(pattern=_STATUS, description="open, closed or both, comma-separated.")]



async def _request_params(
    jurisdiction_id: _Jurisdiction = None, service_request_id: _Ids = None, service_code: _Codes = None, start_date: _Start = None,
    end_date: _End = None, status: _Status = None, page: _Page = None, page_size: _PageSize = None,
) -> dict:
    """The query of GET requests, as sent (shared by its .xml and .json handlers)."""
    return {"jurisdiction_id": jurisdiction_id, "service_request_id": service_request_id, "service_code": service_code, "start_date": start_date, "end_date": end_date, "status": status, "page": page, "page_size": page_size}


async def _update_params(jurisdiction_id: _Jurisdiction = None, start_date: _Start = None, end_date: _End = None, page: _Page = None, page_size: _PageSize = None) -> dict:
    """The query of GET servicerequestupdates, as sent."""
    return {"jurisdiction_id": jurisdiction_id, "start_date": start_date, "end_date": end_date, "page": page, "page_size": page_size}


class Open311Controller(Controller):
    """GeoReport v2 and FixMyStreet's servicerequestupdates, over the public ledgers."""

    path = "/open311/v2"
    include_in_schema = True
    tags = ["Open311 GeoReport v2"]
    opt = {"exclude_from_csrf": True}
    exception_handlers = {rules.Open311Error: _open311_error, HTTPException: _http_error, Exception: _server_error}

    # --- Discovery -------------------------------------------------------------------

    def _discovery(self, request: Request) -> S.Discovery:
        base = public_address(request)
        return S.Discovery(
            changeset=rules.CHANGESET,
            contact=_("The community officers of each community; the portal's public pages at %(url)s.", url=base),
            key_service=_("Reading needs no key. To POST requests, ask the portal's administrators for an API key; it is shown once when issued."),
            endpoints=[
                S.Endpoint(
                    specification=rules.SPECIFICATION, url=f"{base}/open311/v2", changeset=rules.CHANGESET,
                    type="production", formats=["text/xml", "application/json"],
                )
            ],
        )

    @get("/discovery.xml", operation_class=_XmlOnly, responses=_docs(None, ""), summary="Service discovery (XML)")
    async def discovery_xml(self, request: Request) -> Response[bytes]:
        return _answer("xml", "discovery", self._discovery(request))

    @get("/discovery.json", operation_class=_JsonOnly, responses=_docs(S.Discovery, "Service discovery"), summary="Service discovery (JSON)")
    async def discovery_json(self, request: Request) -> Response[bytes]:
        return _answer("json", "discovery", self._discovery(request))

    # --- Services --------------------------------------------------------------------

    def _services(self, request: Request, jurisdiction_id: str | None) -> list[S.ServiceType]:
        rules.check_jurisdiction(jurisdiction_id, _jurisdiction(request))
        return [S.service_type(s) for s in rules.services()]

    @get("/services.xml", operation_class=_XmlOnly, responses=_docs(None, "", 400, 404), summary="Service list (XML)")
    async def services_xml(self, request: Request, jurisdiction_id: _Jurisdiction = None) -> Response[bytes]:
        return _answer("xml", "services", self._services(request, jurisdiction_id))

    @get("/services.json", operation_class=_JsonOnly, responses=_docs(list[S.ServiceType], "One service per ledger and category", 400, 404), summary="Service list (JSON)")
    async def services_json(self, request: Request, jurisdiction_id: _Jurisdiction = None) -> Response[bytes]:
        return _answer("json", "services", self._services(request, jurisdiction_id))

    @get("/services/{service_file:str}", operation_class=_Formats, responses=_docs(S.ServiceDefinition, "The service definition (no attributes)", 400, 404), summary="Service definition")
    async def service_definition(
        self, request: Request,
        service_file: Annotated[str, PathParameter(description="service_code followed by .xml or .json")],
        jurisdiction_id: _Jurisdiction = None,
    ) -> Response[bytes]:
        code, fmt = rules.split_format(service_file)
        rules.check_jurisdiction(jurisdiction_id, _jurisdiction(request))
        if not rules.service(code):
            raise rules.Open311Error(404, N_("service_code not found: %(code)s. The list is at services.xml."), code=code[:64])
        # Our services ask nothing beyond the description: the spec's definition without attributes.
        return _answer(fmt, "service_definition", S.ServiceDefinition(service_code=code, attributes=[]))

    # --- Requests --------------------------------------------------------------------

    async def _requests(self, request: Request, params: dict) -> list[S.ServiceRequest]:
        rules.check_jurisdiction(params.pop("jurisdiction_id"), _jurisdiction(request))
        query = rules.request_query(params, now())
        return [S.service_request(row) for row in await rules.find_requests(query)]

    @get("/requests.xml", operation_class=_XmlOnly, responses=_docs(None, "", 400, 404), summary="Service requests (XML)", dependencies={"params": Provide(_request_params)})
    async def requests_xml(self, request: Request, params: NamedDependency[dict]) -> Response[bytes]:
        return _answer("xml", "service_requests", await self._requests(request, params))

    @get("/requests.json", operation_class=_JsonOnly, responses=_docs(list[S.ServiceRequest], "Public items, newest first", 400, 404), summary="Service requests (JSON)", dependencies={"params": Provide(_request_params)})
    async def requests_json(self, request: Request, params: NamedDependency[dict]) -> Response[bytes]:
        return _answer("json", "service_requests", await self._requests(request, params))

    @get("/requests/{request_file:str}", operation_class=_Formats, responses=_docs(list[S.ServiceRequest], "The request, as a list of one", 400, 404), summary="One service request")
    async def one_request(
        self, request: Request,
        request_file: Annotated[str, PathParameter(description="service_request_id followed by .xml or .json")],
        jurisdiction_id: _Jurisdiction = None,
    ) -> Response[bytes]:
        number, fmt = rules.split_format(request_file)
        rules.check_jurisdiction(jurisdiction_id, _jurisdiction(request))
        row = await rules.find_request(number)
        if not row:
            raise rules.Open311Error(404, N_("service_request_id not found: %(id)s."), id=number[:40])
        return _answer(fmt, "service_requests", [S.service_request(row)])

    async def _create(self, request: Request, data: ServiceRequestForm, fmt: str) -> Response:
        settings = request.app.state.settings
        if await over_limit([(address_bucket(client_ip(request), settings.secret_key), *rules.POST_PER_ADDRESS)]):
            raise rules.Open311Error(429, N_("Too many requests from this address; try again later."))
        rules.check_jurisdiction(data.jurisdiction_id, _jurisdiction(request))
        key = await rules.key_for(data.api_key or request.query_params.get("api_key"))
        if await over_limit([(f"open311-key:{key['id']}", *rules.POST_PER_KEY)]):
            raise rules.Open311Error(429, N_("Too many requests with this api_key; try again later."))
        fields = {name: value for name, value in msgspec.structs.asdict(data).items() if isinstance(value, str)}
        item = await rules.create_request(key, fields, current_language())
        track = public_address(request, f"/track/{item['tracking_code']}")
        notice = _(
            "Filed as %(number)s. The community officer answers, and the matter is closed when the person who raised it says they are satisfied: give them this private link to follow it and answer: %(link)s",
            number=item["number"], link=track,
        )
        return _answer(fmt, "service_requests", [S.Created(service_request_id=item["number"], service_notice=notice, account_id=None)])

    @post("/requests.xml", status_code=200, operation_class=_XmlOnly, responses=_docs(None, "", 400, 403, 404, 413, 429), summary="Create a service request (XML answer)")
    async def create_xml(self, request: Request, data: Annotated[ServiceRequestForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response[bytes]:
        return await self._create(request, data, "xml")

    @post("/requests.json", status_code=200, operation_class=_JsonOnly, responses=_docs(list[S.Created], "The new request's id and what happens next", 400, 403, 404, 413, 429), summary="Create a service request (JSON answer)")
    async def create_json(self, request: Request, data: Annotated[ServiceRequestForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response[bytes]:
        return await self._create(request, data, "json")

    @get("/tokens/{token_file:str}", operation_class=_Formats, responses=_docs(list[S.TokenAnswer], "The request a token stands for", 400, 404), summary="service_request_id from a token")
    async def token(
        self, request: Request,
        token_file: Annotated[str, PathParameter(description="token followed by .xml or .json")],
        jurisdiction_id: _Jurisdiction = None,
    ) -> Response[bytes]:
        rules.split_format(token_file)
        rules.check_jurisdiction(jurisdiction_id, _jurisdiction(request))
        # Every service is "realtime": a POST answers with its service_request_id and
        # never with a token, so no token exists.
        raise rules.Open311Error(404, N_("token not found: this server answers every POST with its service_request_id at once."))

    # --- FixMyStreet's servicerequestupdates -----------------------------------------

    async def _post_update(self, request: Request, data: ServiceRequestUpdateForm, fmt: str) -> Response:
        """The person's answer, from the application that filed the request: the same
        key and address limits as POST requests."""
        settings = request.app.state.settings
        if await over_limit([(address_bucket(client_ip(request), settings.secret_key), *rules.POST_PER_ADDRESS)]):
            raise rules.Open311Error(429, N_("Too many requests from this address; try again later."))
        rules.check_jurisdiction(data.jurisdiction_id, _jurisdiction(request))
        key = await rules.key_for(data.api_key or request.query_params.get("api_key"))
        if await over_limit([(f"open311-key:{key['id']}", *rules.POST_PER_KEY)]):
            raise rules.Open311Error(429, N_("Too many requests with this api_key; try again later."))
        fields = {name: value for name, value in msgspec.structs.asdict(data).items() if isinstance(value, str)}
        update_id = await rules.post_feedback(key, fields)
        return _answer(fmt, "service_request_updates", [S.UpdateCreated(update_id=update_id, account_id=None)])

    @post("/servicerequestupdates.xml", status_code=200, operation_class=_XmlOnly, responses=_docs(None, "", 400, 403, 404, 413, 429), summary="The person's answer as an update (XML answer)")
    async def post_update_xml(self, request: Request, data: Annotated[ServiceRequestUpdateForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response[bytes]:
        return await self._post_update(request, data, "xml")

    @post("/servicerequestupdates.json", status_code=200, operation_class=_JsonOnly, responses=_docs(list[S.UpdateCreated], "Our update_id of the recorded answer", 400, 403, 404, 413, 429), summary="The person's answer as an update (JSON answer)")
    async def post_update_json(self, request: Request, data: Annotated[ServiceRequestUpdateForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response[bytes]:
        return await self._post_update(request, data, "json")

    async def _updates(self, request: Request, params: dict) -> list[S.RequestUpdate]:
        rules.check_jurisdiction(params.pop("jurisdiction_id"), _jurisdiction(request))
        query = rules.updates_query(params, now())
        return [S.request_update(row) for row in await rules.find_updates(query)]

    @get("/servicerequestupdates.xml", operation_class=_XmlOnly, responses=_docs(None, "", 400, 404), summary="Status changes (XML)", dependencies={"params": Provide(_update_params)})
    async def updates_xml(self, request: Request, params: NamedDependency[dict]) -> Response[bytes]:
        return _answer("xml", "service_requests_updates", await self._updates(request, params))

    @get("/servicerequestupdates.json", operation_class=_JsonOnly, responses=_docs(list[S.RequestUpdate], "Changes of stage of public items, oldest first", 400, 404), summary="Status changes (JSON)", dependencies={"params": Provide(_update_params)})
    async def updates_json(self, request: Request, params: NamedDependency[dict]) -> Response[bytes]:
        return _answer("json", "service_requests_updates", await self._updates(request, params))


class Open311KeysController(Controller):
    """Administrators issue and revoke the API keys partner applications POST with."""

    path = "/admin/open311-keys"
    guards = [requires("admin")]

    async def _page(self, request: Request, form: KeyForm, status: int = 200, **extra) -> Template:
        after = request.query_params.get("after")
        page = await rules.keys_page(int(after) if after and after.isdigit() and len(after) < 12 else None)
        return render(request, "open311/keys.html", {"page": page, "form": form, "issued": None, **extra}, status=status)

    async def _form(self, form: KeyForm) -> KeyForm:
        form.community.choices = [(0, "—")] + await community_choices()
        return form

    @get("/", name="open311.keys")
    async def list_keys(self, request: Request) -> Template:
        return await self._page(request, await self._form(KeyForm()))

    @post("/", name="open311.keys.issue")
    async def issue(self, request: Request) -> Template:
        form = await self._form(await KeyForm.from_request(request))
        if not form.validate():
            return await self._page(request, form, status=422)
        _key_id, key = await rules.issue_key(request.user, form.name.data, form.community.data or None)
        # Shown once, on this answer only: never stored, never cached.
        response = await self._page(request, await self._form(KeyForm()), issued=key)
        response.headers["cache-control"] = "no-store"
        return response

    @post("/{key_id:int}/revoke", name="open311.keys.revoke")
    async def revoke(self, request: Request, key_id: FromPath[int]) -> Response:
        if not await rules.revoke_key(request.user, key_id):
            raise NotFoundException()
        return see_other("/admin/open311-keys/?revoked=1")
