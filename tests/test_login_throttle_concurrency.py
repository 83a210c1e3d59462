"""The login throttle holds under concurrency, on SQLite and PostgreSQL.

Two ``portal serve`` processes on the test database get bursts of wrong passwords sent
at once: one account never has more passwords checked than the per-account limit (5 in
15 minutes), one address never more than the per-address limit (20), however the
requests interleave. Each attempt is counted and reserved (its row committed) under a
lock per account and address before the slow hash, so attempts made at the same time
queue for the count instead of all reading it before any of them was written.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest
from argon2 import PasswordHasher

from portal.accounts.tables import LoginFailure, User
from portal.audit.tables import AuditEntry
from portal.settings import ROOT

pytestmark = pytest.mark.solo  # served processes and timing

LIMIT = 5  # PORTAL_LOGIN_MAX_FAILURES's default, the documented limit
BURST = 80
PROCESSES = 2
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def served(settings, database, tmp_path):
    """Base URLs of two portal processes on the test database, at the real hashing cost
    (the slow hash is the window a burst used to slip through)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    environment.update(
        PORTAL_DATABASE_URL=settings.database_url, PORTAL_SECRET_KEY=settings.secret_key, PORTAL_SCHEDULER="off",
        PORTAL_LOGIN_MAX_FAILURES=str(LIMIT), PORTAL_DEFAULT_LANGUAGE="en", PORTAL_HTMX_SELF_HOSTED="true", PORTAL_PG_POOL_SIZE="5",
    )
    processes, urls = [], []
    for number in range(PROCESSES):
        port = _free_port()
        log = tmp_path / f"portal-{number}.log"
        with log.open("wb") as output:
            processes.append((subprocess.Popen([sys.executable, "-m", "portal.cli", "serve", "--port", str(port), "--workers", "1", "--no-access-log"],
                                               cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT), log))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=5) as probe:
            for (process, log), url in zip(processes, urls):
                deadline = time.monotonic() + 40
                while True:
                    assert process.poll() is None, log.read_text()[-3000:]
                    assert time.monotonic() < deadline, f"{url} did not start:\n{log.read_text()[-3000:]}"
                    try:
                        if (await probe.get(f"{url}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
        yield urls
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _burst(urls: list[str], usernames: list[str], password: str) -> list[int]:
    """Every login form fetched first, then every post sent at once, spread over the processes."""
    clients = [httpx.AsyncClient(base_url=urls[n % len(urls)], trust_env=False, timeout=60) for n in range(len(usernames))]
    try:
        tokens = [TOKEN.search((await client.get("/login")).text).group(1) for client in clients]
        answers = await asyncio.gather(*(
            client.post("/login", data={"username": username, "password": password, "_csrf_token": token})
            for client, username, token in zip(clients, usernames, tokens)
        ))
    finally:
        for client in clients:
            await client.aclose()
    return [answer.status_code for answer in answers]


async def _checked(action: str) -> int:
    return await AuditEntry.count().where(AuditEntry.action == action).run()


async def test_a_burst_of_wrong_passwords_for_one_account_checks_at_most_the_limit(served, make_user):
    user = await make_user("officer", username="besieged")
    # A hash at the default cost: its check takes tens of milliseconds, as in production.
    await User.update({User.password_hash: PasswordHasher().hash("the real password!")}).where(User.id == user).run()
    answers = await _burst(served, ["besieged"] * BURST, "wrong password!")
    assert set(answers) <= {422, 429} and answers.count(422) >= 1
    failed, throttled = await _checked("login.failed"), await _checked("login.throttled")
    assert failed + throttled == BURST
    assert failed == LIMIT, f"{failed} passwords checked for one account"
    assert answers.count(422) == failed
    assert await LoginFailure.count().where(LoginFailure.username == "besieged").run() == failed


async def test_a_burst_from_one_address_across_accounts_checks_at_most_the_address_limit(served, area):
    # Unknown usernames are checked against a dummy hash at the served processes' default cost.
    answers = await _burst(served, [f"nobody{n}" for n in range(BURST)], "wrong password!")
    assert set(answers) <= {422, 429}
    failed = await _checked("login.failed")
    assert failed == LIMIT * 4, f"{failed} passwords checked from one address"
    assert answers.count(422) == failed
