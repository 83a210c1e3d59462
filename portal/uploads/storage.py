"""Where uploaded bytes live, behind one small interface so object storage can replace the
disk: ``put``, ``get`` and ``delete`` by key. Keys are made by ``new_key`` (random, so they
cannot be guessed or collide) and never come from the user."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from portal.settings import Settings

_KEY = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*\.[a-z0-9]+$")


def new_key(prefix: str, suffix: str = "jpg") -> str:
    """``<prefix>/<ab>/<random>.<suffix>``: the two-letter folder keeps directories small."""
    token = secrets.token_hex(16)
    return f"{prefix}/{token[:2]}/{token}.{suffix}"


def _check(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    async def put(self, key: str, content: bytes) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...


class DiskStorage:
    """Files under one folder; a write goes to a temporary file first, so a reader never
    sees half a photo."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / _check(key)

    def _put(self, key: str, content: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        temporary.write_bytes(content)
        os.replace(temporary, target)

    def _get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def _delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    async def put(self, key: str, content: bytes) -> None:
        await asyncio.to_thread(self._put, key, content)

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)


def storage_for(settings: Settings) -> Storage:
    return _disk(settings.upload_path)


@lru_cache(maxsize=16)
def _disk(root: Path) -> DiskStorage:
    """One DiskStorage per folder (it holds nothing but its root)."""
    return DiskStorage(root)
