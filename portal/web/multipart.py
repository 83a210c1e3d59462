"""Forms that carry files, read with a limit per file instead of one on the whole request.

A photo too large used to make the whole request too large: Litestar refused it with 413
before reading a byte, and everything typed with it was lost. A route that opts in with
``**upload_route(UploadLimits(...))`` has its multipart body read here instead, before the
CSRF check (which reads the form for its token), and the parsed form left where
``request.form()`` finds it. A file over ``file_bytes`` keeps its first ``file_bytes + 1``
bytes, enough for the route's own size check to refuse it next to its field, and the rest
is read and dropped, so the fields after it in the body still arrive and the form answers
like any refused form (422, the message by the field, the text kept). Files beyond
``files`` keep their names only, for the route to count them.

What no person types, text fields over ``text_bytes`` together or a body over
``body_bytes``, is still refused with 413.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, AsyncIterator

from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from litestar._multipart import parse_content_header

UPLOAD_LIMITS = "upload_limits"
MEGABYTE = 1024 * 1024
# Read and dropped past a file's limit, per file the form takes: far more than a phone's
# photo weighs (a 48-megapixel JPEG is about 25 MB), so a person's photo is always read to
# its end and the fields after it arrive.
DRAIN_PER_FILE = 64 * MEGABYTE
MAX_PARTS = 1000  # Litestar's own default


@dataclass(frozen=True)
class UploadLimits:
    file_bytes: int  # the largest file the route accepts
    files: int = 1  # the most files it takes
    text_bytes: int = 256 * 1024  # all text fields together

    @property
    def body_bytes(self) -> int:
        return self.files * DRAIN_PER_FILE + self.text_bytes


def upload_route(limits: UploadLimits) -> dict[str, Any]:
    """A route handler's keyword arguments for a form with files: the limits for the
    middleware, and the whole body's limit for a request that is not multipart."""
    return {"opt": {UPLOAD_LIMITS: limits}, "request_max_body_size": limits.body_bytes}


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientException("client disconnected prematurely")
        if message.get("body"):
            yield message["body"]
        if not message.get("more_body", False):
            break
    yield b""  # the end of the input, for the parser


async def read_multipart(receive: Receive, boundary: bytes, limits: UploadLimits) -> dict[str, Any]:
    """The form as Litestar's parser gives it ({name: value or [values]}), within ``limits``."""
    fields: defaultdict[str, list[Any]] = defaultdict(list)
    received = text_bytes = files = 0
    segment: MultipartSegment | None = None
    data: UploadFile | bytearray = bytearray()
    room = 0  # bytes the current file may still keep
    chunks = _chunks(receive)
    chunk = await anext(chunks)
    if not chunk:
        return {}
    try:
        with PushMultipartParser(boundary, max_segment_count=MAX_PARTS) as parser:
            while True:
                received += len(chunk)
                if received > limits.body_bytes:
                    raise RequestEntityTooLarge()
                for part in parser.parse(chunk):
                    if isinstance(part, MultipartSegment):
                        segment = part
                        if segment.filename:
                            data = UploadFile(content_type=segment.content_type or "application/octet-stream", filename=segment.filename, headers=dict(segment.headerlist))
                            files += 1
                            room = limits.file_bytes + 1 if files <= limits.files else 0
                        else:
                            data = bytearray()
                    elif part:
                        if isinstance(data, UploadFile):
                            if room:
                                kept = part[:room]
                                room -= len(kept)
                                await data.write(kept)
                        else:
                            text_bytes += len(part)
                            if text_bytes > limits.text_bytes:
                                raise RequestEntityTooLarge()
                            data.extend(part)
                    else:
                        if segment is None:
                            raise ClientException("Unexpected eof in multipart/form-data")
                        if isinstance(data, UploadFile):
                            await data.seek(0)
                            fields[segment.name].append(data)
                        else:
                            fields[segment.name].append(data.decode(segment.charset or "utf-8", errors="replace"))
                        data, segment = bytearray(), None
                if parser.closed or not chunk:
                    break
                chunk = await anext(chunks, b"")
    except BaseException as error:
        if isinstance(data, UploadFile):
            await data.close()
        for values in fields.values():
            for value in values:
                if isinstance(value, UploadFile):
                    await value.close()
        if isinstance(error, (ParserError, ParserLimitReached)):
            raise ClientException("Invalid multipart/form-data") from None
        raise
    return {name: values if len(values) > 1 else values[0] for name, values in fields.items()}


def upload_form_middleware(app: ASGIApp) -> ASGIApp:
    """Reads the multipart body of a route that declared ``UploadLimits``; runs before the
    CSRF middleware."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler") if scope["type"] == "http" else None
        limits = handler.opt.get(UPLOAD_LIMITS) if handler else None
        if limits and scope["method"] == "POST":
            connection = ASGIConnection(scope)
            content_type, options = parse_content_header(connection.headers.get("content-type", ""))
            if content_type == RequestEncodingType.MULTI_PART and options.get("boundary"):
                announced = connection.headers.get("content-length", "")
                if announced.isdigit() and int(announced) > limits.body_bytes:
                    raise RequestEntityTooLarge()
                ScopeState.from_scope(scope).form = await read_multipart(receive, options["boundary"].encode(), limits)
        await app(scope, receive, send)

    return middleware
