"""Nothing lost when the server dies: a real ``portal serve`` is killed with SIGKILL while
64 clients submit field logs (mediations with their parties, hazards with a photo) through
the real forms, CSRF tokens and idempotency keys. Afterwards every submission that was
answered with success is in the database, none is half-written (a log always has its
parties, photo rows, photo files and audit row), and the server starts again cleanly.
Runs on SQLite and, with ``PORTAL_TEST_DATABASE_URL``, on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from portal.audit.tables import AuditEntry
from portal.logs.tables import FieldLog, LogPhoto, MediationParty
from portal.settings import ROOT
from portal.uploads import storage_for
from tests.conftest import PASSWORD, csrf_token, ensure_csrf
from tests.test_logs_routes import valid
from tests.test_uploads import jpeg_with_gps

pytestmark = pytest.mark.solo  # a served process killed under 64 concurrent submissions

CLIENTS = 64
STARTUP_SECONDS = 30
SAVED = re.compile(r"^/logs/(\d+)\?saved=1$")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def portal_environment(settings, upload_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment of a ``portal`` subprocess on the test database (none of the shell's settings)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    environment.update(
        PORTAL_DATABASE_URL=database_url or settings.database_url,
        PORTAL_SECRET_KEY=settings.secret_key,
        PORTAL_SCHEDULER="off",
        PORTAL_UPLOAD_DIR=str(upload_dir),
        PORTAL_DEFAULT_LANGUAGE="en",
        PORTAL_HTMX_SELF_HOSTED="true",
        PORTAL_PG_POOL_SIZE="8",
        PORTAL_PASSWORD_TIME_COST=str(settings.password_time_cost),
        PORTAL_PASSWORD_MEMORY_KIB=str(settings.password_memory_kib),
        PORTAL_PASSWORD_PARALLELISM=str(settings.password_parallelism),
    )
    return environment


class Server:
    """One ``portal serve`` process on the test database; ``kill()`` is SIGKILL."""

    def __init__(self, settings, upload_dir: Path, log: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = portal_environment(settings, upload_dir)
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "portal.cli", "serve", "--port", str(self.port), "--workers", "1", "--no-access-log"],
                cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
            )

    async def healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        async with httpx.AsyncClient(trust_env=False, timeout=2) as probe:
            while True:
                assert self.process.poll() is None, self.log.read_text()[-3000:]
                assert time.monotonic() < deadline, f"no /healthz within {STARTUP_SECONDS} s:\n{self.log.read_text()[-3000:]}"
                try:
                    if (await probe.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


async def _logged_in(url: str, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, trust_env=False, timeout=20)
    response = await client.post("/login", data={"username": username, "password": PASSWORD, "_csrf_token": await ensure_csrf(client)})
    assert response.status_code == 303, response.text[:500]
    await ensure_csrf(client)  # the new session's token, read once from a page
    return client


async def serve_and_log_in(settings, make_user, tmp_path: Path, clients: int) -> tuple[Server, list[httpx.AsyncClient], str]:
    """A server on the test database (uploads under ``tmp_path``) and ``clients`` sessions of one officer."""
    username = f"officer-{uuid.uuid4().hex[:8]}"
    await make_user("officer", username=username)
    server = Server(settings, tmp_path / "uploads", tmp_path / "server.log")
    try:
        await server.healthy()
        return server, list(await asyncio.gather(*(_logged_in(server.url, username) for _ in range(clients)))), username
    except BaseException:
        server.stop()
        raise


async def _submit(client: httpx.AsyncClient, kind: str, data: dict) -> httpx.Response:
    files = [("photos", ("door.jpg", jpeg_with_gps(), "image/jpeg"))] if kind == "hazard" else None
    return await client.post(f"/logs/new/{kind}", data={**data, "_csrf_token": csrf_token(client)}, files=files)


async def _consistent(settings) -> list[dict]:
    """Every log whole: parties of mediations, photo rows and files of hazards, an audit row."""
    logs = await FieldLog.select(FieldLog.id, FieldLog.kind, FieldLog.idempotency_key, FieldLog.photo_count).run()
    parties = await MediationParty.select(MediationParty.log).run()
    photos = await LogPhoto.select(LogPhoto.log, LogPhoto.storage_key, LogPhoto.thumb_key).run()
    audited = {int(row["object_id"]) for row in await AuditEntry.select(AuditEntry.object_id).where(AuditEntry.action == "log.created").run()}
    storage = storage_for(settings)
    for log in logs:
        own_parties = [p for p in parties if p["log"] == log["id"]]
        own_photos = [p for p in photos if p["log"] == log["id"]]
        assert len(own_parties) == (2 if log["kind"] == "mediation" else 0), log
        assert len(own_photos) == log["photo_count"] == (1 if log["kind"] == "hazard" else 0), log
        for photo in own_photos:
            assert await storage.get(photo["storage_key"]) and await storage.get(photo["thumb_key"]), photo
        assert log["id"] in audited, log
    return logs


async def test_kill_9_during_64_concurrent_submissions_loses_nothing_answered(settings, area, make_user, tmp_path):
    from dataclasses import replace

    upload_dir = tmp_path / "uploads"
    files_settings = replace(settings, upload_dir=str(upload_dir))
    server, clients, username = await serve_and_log_in(settings, make_user, tmp_path, CLIENTS)
    try:
        answered: dict[str, int] = {}  # idempotency key -> log id, for every success answer
        sent: set[str] = set()
        stop = asyncio.Event()

        async def keep_submitting(number: int, client: httpx.AsyncClient) -> None:
            kind = "hazard" if number % 4 == 0 else "mediation"
            while not stop.is_set():
                data = valid(kind, area.community_id)
                key = data["idempotency_key"]
                sent.add(key)
                try:
                    response = await _submit(client, kind, data)
                except httpx.TransportError:
                    return  # the server is gone; whatever was in flight got no answer
                match = SAVED.match(response.headers.get("location", ""))
                assert response.status_code == 303 and match, (response.status_code, response.text[:300])
                answered[key] = int(match.group(1))

        workers = [asyncio.create_task(keep_submitting(n, c)) for n, c in enumerate(clients)]
        # Let enough submissions complete, then kill the server in the middle of the stream.
        deadline = time.monotonic() + 15
        while len(answered) < 3 * CLIENTS and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        server.kill()
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), timeout=30)
        assert len(answered) >= CLIENTS, f"only {len(answered)} answered before the kill"

        logs = await _consistent(files_settings)
        by_key = {log["idempotency_key"]: log["id"] for log in logs}
        missing = {key for key in answered if by_key.get(key) != answered[key]}
        assert not missing, f"{len(missing)} answered submissions lost"
        assert set(by_key) <= sent  # nothing appeared that nobody sent
        if settings.sqlite_path:
            assert (await FieldLog.raw("PRAGMA integrity_check").run())[0]["integrity_check"] == "ok"

        # It starts again cleanly: health, a login, a new submission, and a resend of a
        # submission answered before the kill is still one log.
        server = Server(settings, upload_dir, tmp_path / "server.log")
        await server.healthy()
        again = await _logged_in(server.url, username)
        clients.append(again)
        response = await _submit(again, "mediation", valid("mediation", area.community_id))
        assert response.status_code == 303 and SAVED.match(response.headers["location"])
        old_key, old_id = next(iter(answered.items()))
        response = await again.post("/logs/new/mediation", data={**valid("mediation", area.community_id), "idempotency_key": old_key, "_csrf_token": csrf_token(again)})
        assert response.headers["location"] == f"/logs/{old_id}?saved=1"
        assert await FieldLog.count().run() == len(logs) + 1
        await _consistent(files_settings)
    finally:
        for client in clients:
            await client.aclose()
        server.stop()
