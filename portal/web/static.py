"""Static files addressed by their content: ``static_url("css/portal.css")`` gives
``/static/css/portal.css?v=<hash>``, and a response to that exact address may be
cached for a year, because a changed file gets a new address. Any other static
address (an old hash, none at all) is revalidated on every use.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import parse_qs

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from portal.settings import ROOT

STATIC_ROOT = (ROOT / "static").resolve()
STATIC_PREFIX = "/static/"
HASHED_CACHE = "public, max-age=31536000, immutable"
UNHASHED_CACHE = "no-cache"

# relative path -> (mtime_ns, size, hash): a file edited while the portal runs gets a new hash.
_hashes: dict[str, tuple[int, int, str]] = {}


def content_hash(relative: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, or None if it is not a static file."""
    path = (STATIC_ROOT / relative).resolve()
    if not path.is_relative_to(STATIC_ROOT):
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    known = _hashes.get(relative)
    if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
        return known[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _hashes[relative] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


def static_url(relative: str) -> str:
    """The address of ``static/<relative>`` that changes whenever the file does."""
    digest = content_hash(relative)
    return f"{STATIC_PREFIX}{relative}?v={digest}" if digest else f"{STATIC_PREFIX}{relative}"


def frozen_static_url():
    """``static_url`` for production, where the files change only with a deploy, which
    restarts the workers: each address is worked out once per process, not with a
    ``resolve()`` and a ``stat()`` on every page."""
    return lru_cache(maxsize=512)(static_url)


async def static_cache_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: a year for a static file asked for by its current hash."""
    if message["type"] != "http.response.start" or not scope.get("path", "").startswith(STATIC_PREFIX):
        return
    headers = MutableScopeHeaders.from_message(message)
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
    current = content_hash(scope["path"].removeprefix(STATIC_PREFIX)) if asked and message["status"] == 200 else None
    headers["cache-control"] = HASHED_CACHE if current and asked == current else UNHASHED_CACHE
    headers["vary"] = "Accept-Encoding"  # the same file for every visitor, compressed or not
