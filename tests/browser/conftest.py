"""Browser fixtures: the portal served by uvicorn in a subprocess on the demo data, and
the system's Chromium (never a downloaded one) emulating a phone that may only talk
to 127.0.0.1.

Everything here is synchronous: Playwright's sync API refuses to start inside a
running event loop, so these tests must not use pytest-asyncio fixtures.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from portal import db
from portal.demo import seed_demo
from portal.settings import ROOT

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# A mid-size phone held upright.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
STARTUP_SECONDS = 20


def pytest_collection_modifyitems(config, items):
    """Skip (rather than error) the browser tests where there is no Chromium."""
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: install Debian's chromium or set PORTAL_TEST_CHROMIUM")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(skip)


def reset_demo_data(settings) -> None:
    """Empty the test database and load the demo station, communities and accounts."""

    async def reset() -> None:
        db.configure(settings)
        await db.open_pool(settings)  # seed_demo's few hundred statements: 4.2 s without on PostgreSQL, 0.75 s with
        try:
            await db.wipe()
            await seed_demo()
        finally:
            await db.close_pool()

    # Between its calls Playwright's sync API leaves its own event loop marked as
    # running in this thread, where asyncio.run() would then refuse to start; the
    # marker is per thread, so the reset gets a short-lived thread of its own.
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(reset())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(error)

    worker = threading.Thread(target=run, name="reset-demo-data")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_environment(settings) -> dict[str, str]:
    # No PORTAL_* setting of the developer's shell (Redis, secrets, ...) leaks in.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    environment.update(
        PORTAL_DATABASE_URL=settings.database_url,
        PORTAL_HTMX_SELF_HOSTED="true",
        PORTAL_DEFAULT_LANGUAGE="zh_CN",
        PORTAL_PASSWORD_TIME_COST=str(settings.password_time_cost),
        PORTAL_PASSWORD_MEMORY_KIB=str(settings.password_memory_kib),
        PORTAL_PASSWORD_PARALLELISM=str(settings.password_parallelism),
    )
    return environment


def _wait_until_healthy(process: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(base_url=base_url, trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the portal exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
    raise RuntimeError(f"/healthz did not answer 200 within {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def portal_url(settings, tmp_path_factory) -> Iterator[str]:
    """The base URL of a real uvicorn serving the portal on the test database."""
    yield from serve_portal(settings, tmp_path_factory)


def serve_portal(settings, tmp_path_factory, **environment: str) -> Iterator[str]:
    """``portal_url``'s body, for a module that overrides the fixture with other settings
    (``PORTAL_*`` variables in ``environment``)."""
    reset_demo_data(settings)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("portal-server") / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "portal.app:app_from_environment", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=_server_environment(settings) | environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(process, base_url, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser(portal_url) -> Iterator[Browser]:
    """Headless Chromium, started after the server (whose setup needs asyncio.run()) and
    stopped with the module, so that no other test module runs beside its event loop."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def demo_data(settings, portal_url) -> None:
    """Fresh demo data for every test: earlier tests change languages and count failed logins."""
    reset_demo_data(settings)


@dataclass
class Phone:
    """One browsing session on the phone; ``offsite`` lists the requests that were stopped
    because they would have left the machine."""

    page: Page
    offsite: list[str] = field(default_factory=list)


@pytest.fixture
def open_phone(browser, portal_url, demo_data):
    """``open_phone(java_script_enabled=False)``: a fresh phone session (no cookies)."""
    contexts = []

    def open_session(**options) -> Phone:
        context = browser.new_context(base_url=portal_url, **PHONE, **options)
        contexts.append(context)
        context.set_default_timeout(10_000)
        offsite: list[str] = []

        def only_local(route: Route) -> None:
            if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                offsite.append(route.request.url)
                route.abort("blockedbyclient")

        context.route("**/*", only_local)  # before the first page opens
        return Phone(page=context.new_page(), offsite=offsite)

    yield open_session
    for context in contexts:
        context.close()


@pytest.fixture
def phone(open_phone) -> Phone:
    """A phone session with JavaScript on."""
    return open_phone()
