"""Several portal processes on one PostgreSQL database behave as one portal.

Three ``portal serve`` processes on their own ports share sessions, login throttling,
the public forms' limits and the scheduled jobs, because all of them live in the
database. PostgreSQL only (``PORTAL_TEST_DATABASE_URL``): SQLite is one machine's file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from portal.jobs.runner import all_jobs
from portal.jobs.tables import JobRun
from portal.settings import ROOT
from portal.web.middleware import SESSION_COOKIE
from tests.conftest import PASSWORD, ensure_csrf

PROCESSES = 3
STARTUP_SECONDS = 40

pytestmark = [
    pytest.mark.skipif(not os.environ.get("PORTAL_TEST_DATABASE_URL"), reason="needs PostgreSQL: set PORTAL_TEST_DATABASE_URL"),
    pytest.mark.solo,  # several served processes and timing
]


class Portals(list):
    """The processes' base URLs, and when they were started."""

    started = dt.datetime.now(dt.timezone.utc)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(settings) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    environment.update(
        PORTAL_DATABASE_URL=settings.database_url,
        PORTAL_SECRET_KEY=settings.secret_key,
        PORTAL_SCHEDULER="app",  # every process ticks; the database lets one run each period
        PORTAL_LOGIN_MAX_FAILURES=str(settings.login_max_failures),
        PORTAL_PG_POOL_SIZE="3",
        PORTAL_DEFAULT_LANGUAGE="en",
        PORTAL_HTMX_SELF_HOSTED="true",
        PORTAL_PASSWORD_TIME_COST=str(settings.password_time_cost),
        PORTAL_PASSWORD_MEMORY_KIB=str(settings.password_memory_kib),
        PORTAL_PASSWORD_PARALLELISM=str(settings.password_parallelism),
    )
    return environment


@pytest.fixture
async def portals(settings, area, tmp_path):
    """Base URLs of three ``portal serve`` processes started together on the test database."""
    if settings.sqlite_path:
        pytest.skip("several machines share PostgreSQL, not an SQLite file")
    processes: list[tuple[subprocess.Popen, Path]] = []
    urls = Portals()
    urls.started = dt.datetime.now(dt.timezone.utc)
    for number in range(PROCESSES):
        port = _free_port()
        log = tmp_path / f"portal-{number}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "portal.cli", "serve", "--port", str(port), "--workers", "1"],
                cwd=ROOT, env=_environment(settings), stdout=output, stderr=subprocess.STDOUT,
            )
        processes.append((process, log))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=5) as probe:
            for (process, log), url in zip(processes, urls):
                deadline = time.monotonic() + STARTUP_SECONDS
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


async def _log_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/login", data={"username": username, "password": password, "_csrf_token": await ensure_csrf(client)})


async def test_a_login_made_through_one_process_works_on_the_others_and_logging_out_ends_it_everywhere(portals, make_user):
    await make_user("volunteer", username="walker", real_name="Wang Walker")
    async with httpx.AsyncClient(base_url=portals[0], trust_env=False, timeout=10) as first:
        assert (await _log_in(first, "walker", PASSWORD)).status_code == 303
        session = first.cookies.get(SESSION_COOKIE)
        csrf = await ensure_csrf(first)  # bound to the session: good on every process (one secret)
    assert session
    for url in portals[1:]:
        async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=10, cookies={SESSION_COOKIE: session}) as other:
            home = await other.get("/")
            assert home.status_code == 200 and "Wang Walker" in home.text, url
    async with httpx.AsyncClient(base_url=portals[2], trust_env=False, timeout=10, cookies={SESSION_COOKIE: session}) as last:
        assert (await last.post("/logout", data={"_csrf_token": csrf})).status_code == 303
    async with httpx.AsyncClient(base_url=portals[0], trust_env=False, timeout=10, cookies={SESSION_COOKIE: session}) as first:
        home = await first.get("/")
        assert "Wang Walker" not in home.text


async def test_failed_logins_on_every_process_add_up_to_one_throttle(portals, make_user, settings):
    await make_user("officer", username="guarded")
    for number in range(settings.login_max_failures):
        async with httpx.AsyncClient(base_url=portals[number % PROCESSES], trust_env=False, timeout=10) as client:
            assert (await _log_in(client, "guarded", "wrong password!")).status_code == 422
    # Each process alone saw fewer failures than the limit; together they reached it.
    async with httpx.AsyncClient(base_url=portals[settings.login_max_failures % PROCESSES], trust_env=False, timeout=10) as client:
        refused = await _log_in(client, "guarded", PASSWORD)
    assert refused.status_code == 429
    assert client.cookies.get(SESSION_COOKIE) is None


async def test_the_public_forms_limit_counts_messages_sent_to_every_process(portals, area):
    from portal.public.rules import SUBMIT_PER_ADDRESS

    allowed = SUBMIT_PER_ADDRESS[0]
    answers = []
    for number in range(allowed + 1):
        async with httpx.AsyncClient(base_url=portals[number % PROCESSES], trust_env=False, timeout=10) as client:
            token = await ensure_csrf(client)
            answer = await client.post(
                "/c/a/ask/suggestion",
                data={"text": f"Street light {number} is out", "idempotency_key": str(uuid.uuid4()), "_csrf_token": token},
            )
            answers.append(answer.status_code)
    assert answers == [303] * allowed + [429]


async def test_every_scheduled_job_runs_once_per_period_however_many_processes_tick(portals):
    """All three processes run every job at start-up; each period is claimed by one."""
    started = portals.started
    jobs = all_jobs()
    deadline = time.monotonic() + 60
    while True:
        rows = await JobRun.select(JobRun.job, JobRun.run_key, JobRun.outcome, JobRun.finished_at).where(JobRun.started_at >= started).run()
        finished = {row["job"] for row in rows if row["finished_at"] is not None}
        if finished >= {job.name for job in jobs} or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    now = dt.datetime.now(dt.timezone.utc)
    for job in jobs:
        runs = [row for row in rows if row["job"] == job.name]
        seconds = int(job.every.total_seconds())
        periods = int(now.timestamp()) // seconds - int(started.timestamp()) // seconds + 1
        assert runs, f"{job.name} never ran"
        assert len(runs) <= periods, (job.name, runs)
        assert len({row["run_key"] for row in runs}) == len(runs)
        assert all(row["outcome"] == "ok" for row in runs), (job.name, runs)
