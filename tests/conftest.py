"""Test fixtures: a migrated database (SQLite file, or PostgreSQL from
PORTAL_TEST_DATABASE_URL), the app, HTTP clients logged in per role, and factories."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import httpx

from portal import db
from portal.accounts import rules as accounts
from portal.app import create_app
from portal.settings import load_settings
from portal.stations.tables import City, Community, District, Station
from portal.web.csrf import PRESESSION_COOKIE
from portal.web.middleware import SESSION_COOKIE

logging.getLogger("httpx").setLevel(logging.WARNING)


def pytest_configure(config):
    """The self-hosted htmx and axe-core the browser tests need, fetched (pinned and
    checked) once per run even where pytest is called without scripts/test; under
    pytest-xdist by the controller, before its workers start."""
    if hasattr(config, "workerinput"):
        return
    scripts = Path(__file__).resolve().parent.parent / "scripts"
    for name in ("fetch-htmx", "fetch-axe"):
        done = subprocess.run([str(scripts / name)], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"warning: scripts/{name} failed, the browser tests will say what is missing:\n{done.stderr}", file=sys.stderr)

PASSWORD = "correct horse battery"
ROLES = ("volunteer", "host", "officer", "head", "admin")
# Argon2id at its smallest: a real hash and check, without 19 MiB and ~0.07 s per password.
CHEAP_PASSWORD_HASHING = {"password_time_cost": 1, "password_memory_kib": 8, "password_parallelism": 1}


def _database_url(tmp_root: Path) -> str:
    """SQLite in this process's own folder, or PostgreSQL: under pytest-xdist each worker
    gets a database of its own beside the one named (``test`` -> ``test_gw0``)."""
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path}_{worker}"))


async def _create_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names unless it exists, from the one server's
    maintenance database."""
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _reset_schema(settings) -> None:
    """Start from an empty database, then apply every migration (2.6 s on PostgreSQL, once
    per worker: less than a template database would save)."""
    if settings.sqlite_path is None:
        await _create_database(settings.database_url)
    engine = db.configure(settings)
    if settings.sqlite_path is None:
        await engine.run_ddl("DROP SCHEMA IF EXISTS public CASCADE")
        await engine.run_ddl("CREATE SCHEMA public")
    await db.migrate()
    await db.close_pool()


@pytest.fixture(scope="session")
def settings():
    root = Path(tempfile.mkdtemp(prefix="shouwang-test-"))
    test_settings = load_settings(
        {},
        database_url=_database_url(root),
        upload_dir=str(root / "uploads"),  # this worker's own
        htmx_self_hosted=True,
        login_max_failures=3,
        default_language="en",
        redis_url="",
        **CHEAP_PASSWORD_HASHING,
    )
    accounts.configure_passwords(test_settings)
    asyncio.run(_reset_schema(test_settings))
    return test_settings


@pytest.fixture
def engine_name(settings) -> str:
    return "sqlite" if settings.sqlite_path else "postgres"


@pytest.fixture(scope="session")
async def session_engine(settings):
    """The engine every test uses, with its connection pool kept for the whole session (the
    tests share one event loop): a new PostgreSQL connection per test would cost its connect
    and then load every table's catalogue entries again (~25 ms)."""
    engine = db.configure(settings)
    await db.open_pool(settings)
    yield engine
    db.use_engine(engine)
    await db.close_pool()


@pytest.fixture
async def database(settings, session_engine):
    """An empty, migrated database bound to every table."""
    if db.engine() is not session_engine:  # a test's own create_app() bound another
        db.use_engine(session_engine)
    await db.open_pool(settings)  # again, if a test closed it
    await db.wipe()
    yield


@pytest.fixture(scope="session")
def shared_app(settings):
    """The app for the session's settings, built once: building one registers every
    handler and compiles the templates anew (0.2-0.4 s). It keeps no state between
    requests but what is in the database. Tests that need other settings call
    ``create_app`` themselves."""
    return create_app(settings)


@pytest.fixture
async def app(shared_app, database):
    return shared_app


@dataclass
class Area:
    station_id: int
    community_id: int
    other_community_id: int
    other_station_id: int
    other_station_community_id: int
    city_id: int
    district_id: int
    other_district_id: int


@pytest.fixture
async def area(database) -> Area:
    """A city with two districts: a station with two communities in the first, and a
    second station with one in the second."""
    city = (await City.insert(City(code="test-city", name_zh="测试市", name_en="Test City", created_at=accounts.now())).returning(City.id).run())[0]["id"]
    districts = []
    for code, name in (("district-1", "一区"), ("district-2", "二区")):
        row = await District.insert(District(city=city, code=code, name_zh=name, name_en=f"District {code[-1]}", created_at=accounts.now())).returning(District.id).run()
        districts.append(row[0]["id"])
    stations = []
    for code, name, district in (("chengzhong", "城中派出所", districts[0]), ("chengdong", "城东派出所", districts[1])):
        row = await Station.insert(Station(code=code, name_zh=name, name_en=f"{name} EN", district=district, created_at=accounts.now())).returning(Station.id).run()
        stations.append(row[0]["id"])
    communities = []
    for code, station in (("a", stations[0]), ("b", stations[0]), ("c", stations[1])):
        row = await Community.insert(
            Community(station=station, code=code, name_zh=f"社区{code}", name_en=f"Community {code.upper()}", created_at=accounts.now())
        ).returning(Community.id).run()
        communities.append(row[0]["id"])
    return Area(stations[0], communities[0], communities[1], stations[1], communities[2], city, districts[0], districts[1])


@pytest.fixture
def make_user(area):
    """Create a user with one role in the area's first community (or station)."""

    async def make(role: str = "volunteer", username: str | None = None, community_id: int | None = None, station_id: int | None = None, district_id: int | None = None, **kwargs) -> int:
        scope = accounts.SCOPED_ROLES[role]
        return await accounts.create_user(
            None,
            username=username or f"{role}{os.urandom(3).hex()}",
            password=kwargs.pop("password", PASSWORD),
            real_name=kwargs.pop("real_name", f"Test {role}"),
            preferred_language=kwargs.pop("preferred_language", "en"),
            role=role,
            community_id=(community_id or area.community_id) if scope == "community" else None,
            station_id=(station_id or area.station_id) if scope == "station" else None,
            district_id=(district_id or area.district_id) if scope == "district" else None,
            city_id=area.city_id if scope == "city" else None,
            **kwargs,
        )

    return make


# The token a page carries, in a form's field or in the htmx header on <body>.
CSRF_IN_PAGE = re.compile(r'name="_csrf_token" value="([^"]+)"|"x-csrftoken": "([^"]+)"')


def _csrf_binding(client: httpx.AsyncClient) -> tuple:
    """The cookies a token is bound to (session or pre-session, plain or __Host-)."""
    names = {SESSION_COOKIE, PRESESSION_COOKIE}
    return tuple(sorted((c.name, c.value) for c in client.cookies.jar if c.name.removeprefix("__Host-") in names))


def token_in(html: str) -> str:
    match = CSRF_IN_PAGE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def csrf_token(client: httpx.AsyncClient) -> str:
    """The token read last for the client's current session ("" if it changed since)."""
    known = getattr(client, "_portal_csrf", None)
    return known[1] if known and known[0] == _csrf_binding(client) else ""


async def ensure_csrf(client: httpx.AsyncClient) -> str:
    """A token for the client's current session, read from a page as a browser would: the
    token is bound to the session, so a login or logout needs a page read again."""
    token = csrf_token(client)
    if not token:
        signed_in = any(c.name.removeprefix("__Host-") == SESSION_COOKIE for c in client.cookies.jar)
        page = await client.get("/account/password" if signed_in else "/login", follow_redirects=True)
        token = token_in(page.text)
        client._portal_csrf = (_csrf_binding(client), token)
    return token


async def post_form(client: httpx.AsyncClient, url: str, data: dict | None = None, **kwargs):
    """A plain HTML form post, with the CSRF field the page would have rendered."""
    token = await ensure_csrf(client)
    kwargs.setdefault("follow_redirects", False)
    return await client.post(url, data={**(data or {}), "_csrf_token": token}, **kwargs)


async def htmx_post(client: httpx.AsyncClient, url: str, data: dict | None = None, target: str | None = None, **kwargs):
    """A post as htmx sends it: the CSRF token in the header set on <body>."""
    token = await ensure_csrf(client)
    headers = {"HX-Request": "true", "x-csrftoken": token, "HX-Current-URL": "http://testserver.local/"}
    if target:
        headers["HX-Target"] = target
    kwargs.setdefault("follow_redirects", False)
    return await client.post(url, data=data or {}, headers=headers, **kwargs)


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD):
    response = await post_form(client, "/login", {"username": username, "password": password})
    assert response.status_code == 303, response.text
    return response


def http_client(app) -> httpx.AsyncClient:
    """A client that calls the app in the test's own event loop (no lifespan: the
    lifespan is exercised by the health and browser tests)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local", follow_redirects=True)


@pytest.fixture
async def client(app):
    async with http_client(app) as test_client:
        yield test_client


@pytest.fixture
async def client_for(app, make_user):
    """A logged-in client for a fresh user with ``role``: ``await client_for("officer")``."""
    opened: list[httpx.AsyncClient] = []

    async def open_client(role: str, **kwargs) -> tuple[httpx.AsyncClient, int]:
        user_id = await make_user(role, **kwargs)
        from portal.accounts.tables import User

        username = (await User.select(User.username).where(User.id == user_id).first().run())["username"]
        test_client = http_client(app)
        await test_client.__aenter__()
        opened.append(test_client)
        await log_in(test_client, username)
        return test_client, user_id

    yield open_client
    for test_client in reversed(opened):
        await test_client.__aexit__(None, None, None)


def field_error(html: str, field_id: str) -> str | None:
    """The error text shown next to the field ``field_id``, or None."""
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else None


@pytest.fixture
def make_volunteer(make_user, area):
    """A volunteer with a profile: ``await make_volunteer(verified=True, skills=("first_aid",))``."""
    import datetime as _dt

    from portal.volunteers.tables import VolunteerProfile, VolunteerSkill

    async def make(verified: bool = True, skills: tuple[str, ...] = (), community_id: int | None = None, status: str | None = None, **kwargs) -> int:
        community_id = community_id or area.community_id
        user_id = await make_user("volunteer", community_id=community_id, **kwargs)
        moment = _dt.datetime.now(_dt.timezone.utc)
        await VolunteerProfile.insert(
            VolunteerProfile(user=user_id, community=community_id, status=status or ("verified" if verified else "pending"), applied_at=moment, consent_at=moment, decided_at=moment if verified else None)
        ).run()
        for skill in skills:
            await VolunteerSkill.insert(VolunteerSkill(user=user_id, skill=skill)).run()
        return user_id

    return make
