"""The README's production path, followed on an empty database of the suite's engine:
`portal init` (the first administrator and nothing else), `portal org add` for the units,
`portal users create` for an officer, `portal import` for the volunteers kept in Excel,
and the officer and an imported volunteer log in to the production app."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from portal.app import create_app
from portal.settings import load_settings
from tests.conftest import CHEAP_PASSWORD_HASHING, log_in
from tests.test_backup import _fresh_pg, _rows
from tests.test_cli import portal

PUBLIC_URL = "https://portal.example.org"
ADMIN_PASSWORD = "first-admin-password"


@pytest.fixture
async def empty_database(settings, tmp_path) -> str:
    """A database with no schema at all, as a new server has."""
    if settings.sqlite_path:
        return f"sqlite:///{tmp_path / 'production.sqlite3'}"
    parts = urlsplit(settings.database_url)
    url = urlunsplit(parts._replace(path=parts.path + "_live"))
    await _fresh_pg(url)
    return url


def production_environment(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": "k" * 48,
        "PORTAL_PUBLIC_URL": PUBLIC_URL,
        "PORTAL_SCHEDULER": "off",
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_PASSWORD_TIME_COST": str(CHEAP_PASSWORD_HASHING["password_time_cost"]),
        "PORTAL_PASSWORD_MEMORY_KIB": str(CHEAP_PASSWORD_HASHING["password_memory_kib"]),
        "PORTAL_PASSWORD_PARALLELISM": str(CHEAP_PASSWORD_HASHING["password_parallelism"]),
        **extra,
    }


async def test_from_an_empty_database_to_an_officer_at_work(empty_database, tmp_path):
    environment = production_environment(
        empty_database, PORTAL_INIT_ADMIN_USERNAME="Chief", PORTAL_INIT_ADMIN_NAME="张所长", PORTAL_INIT_ADMIN_PASSWORD=ADMIN_PASSWORD
    )
    first = portal("init", env_extra=environment)
    assert first.returncode == 0, first.stderr
    assert "administrator chief created" in first.stdout
    # The administrator and nothing else: no demo data, no unit.
    assert await _rows(empty_database, "SELECT username FROM portal_user") == [("chief",)]
    assert await _rows(empty_database, "SELECT COUNT(*) FROM station") == [(0,)]
    assert await _rows(empty_database, "SELECT COUNT(*) FROM community") == [(0,)]
    again = portal("init", env_extra={**environment, "PORTAL_INIT_ADMIN_USERNAME": "second"})
    assert again.returncode == 1 and "already has users" in again.stderr
    assert await _rows(empty_database, "SELECT username FROM portal_user") == [("chief",)]

    for step in (
        ("org", "add", "city", "xining", "--zh", "西宁市公安局", "--en", "Xining PSB"),
        ("org", "add", "district", "chengzhong", "--zh", "城中分局", "--parent", "xining"),
        ("org", "add", "station", "nanguan", "--zh", "南关派出所", "--parent", "chengzhong"),
        ("org", "add", "community", "xiguan", "--zh", "西关社区", "--en", "Xiguan", "--parent", "nanguan", "--centre", "36.62,101.77"),
    ):
        done = portal(*step, env_extra=environment)
        assert done.returncode == 0, (step, done.stderr)
    officer = portal(
        "users", "create", "--username", "wangli", "--name", "王莉", "--role", "officer", "--community", "xiguan", "--password-stdin",
        input="officer-password\n", env_extra=environment,
    )
    assert officer.returncode == 0, officer.stderr
    from tests.imports_helpers import VOLUNTEER_HEADER, xlsx

    volunteers = tmp_path / "义警.xlsx"
    volunteers.write_bytes(xlsx([VOLUNTEER_HEADER, ["张伟", "13800138000", "xiguan", "急救", "是", ""]]))
    preview = portal("import", "volunteers", str(volunteers), "--as", "chief", env_extra=environment)
    assert preview.returncode == 0 and "Nothing written" in preview.stdout, preview.stderr
    passwords = tmp_path / "passwords.csv"
    imported = portal("import", "volunteers", str(volunteers), "--as", "chief", "--confirm", "--passwords", str(passwords), env_extra=environment)
    assert imported.returncode == 0 and "created 1" in imported.stdout, imported.stderr
    one_time = passwords.read_text(encoding="utf-8-sig").splitlines()[1].split(",")[2]

    production = load_settings(environment)
    app = create_app(production)
    try:
        async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            await log_in(client, "wangli", "officer-password")
            home = await client.get("/")
            assert home.status_code == 200 and "西关社区" in home.text
            board = await client.get("/c/xiguan")
            assert board.status_code == 200
        async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            await log_in(client, "13800138000", one_time)
            assert (await client.get("/", follow_redirects=False)).headers["location"].startswith("/account/password")
    finally:
        from portal import db

        await db.close_pool()


def test_init_asks_for_the_administrator_when_no_variables_are_set(tmp_path):
    environment = production_environment(f"sqlite:///{tmp_path / 'asked.sqlite3'}")
    for name in ("PORTAL_INIT_ADMIN_USERNAME", "PORTAL_INIT_ADMIN_NAME", "PORTAL_INIT_ADMIN_PASSWORD"):
        assert name not in os.environ
    short = portal("init", env_extra=environment, input="admin\n管理员\nshort\nshort\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    asked = portal("init", env_extra=environment, input="admin\n管理员\nlong-enough-pw\nlong-enough-pw\n")
    assert asked.returncode == 0, asked.stderr
    assert "Administrator's username" in asked.stdout and "administrator admin created" in asked.stdout


def test_production_does_not_start_without_its_public_address(tmp_path):
    environment = production_environment(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    del environment["PORTAL_PUBLIC_URL"]
    refused = portal("serve", env_extra=environment)
    assert refused.returncode == 1 and "PORTAL_PUBLIC_URL must be set in production" in refused.stderr
