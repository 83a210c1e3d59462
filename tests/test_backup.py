"""``portal backup`` and ``portal restore``: a round trip while a real ``portal serve``
takes submissions during the backup; the copy is one consistent snapshot (every log with
its parties and photo files); restore refuses to overwrite a portal without --force and
refuses files that are not a portal database or come from a newer portal. SQLite, and
PostgreSQL (pg_dump/pg_restore) with ``PORTAL_TEST_DATABASE_URL``; the PostgreSQL restore
goes to ``PORTAL_TEST_RESTORE_DATABASE_URL`` (default: the test database's name + ``_restore``)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from portal.settings import ROOT
from tests.test_durability_crash import SAVED, _submit, portal_environment, serve_and_log_in
from tests.test_logs_routes import valid

pytestmark = pytest.mark.solo  # a backup taken while a served process takes submissions


async def _cli(environment: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portal.cli", *args, cwd=ROOT, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode, output.decode()


def _restore_url(settings) -> str:
    explicit = os.environ.get("PORTAL_TEST_RESTORE_DATABASE_URL")
    if explicit:
        return explicit
    parts = urlsplit(settings.database_url)
    return urlunsplit(parts._replace(path=parts.path + "_restore"))


async def _fresh_pg(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _rows(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return list(connection.execute(sql))
        finally:
            connection.close()
    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def _whole(url: str, upload_dir: Path) -> int:
    """Every log of the database at ``url`` has its parties and photo files; the log count."""
    logs = await _rows(url, "SELECT id, kind, photo_count FROM field_log")
    parties = dict(await _rows(url, "SELECT log, COUNT(*) FROM mediation_party GROUP BY log"))
    photos = await _rows(url, "SELECT log, storage_key, thumb_key FROM log_photo")
    for log_id, kind, photo_count in logs:
        assert parties.get(log_id, 0) == (2 if kind == "mediation" else 0)
        own = [p for p in photos if p[0] == log_id]
        assert len(own) == photo_count == (1 if kind == "hazard" else 0)
        for _, full, thumb in own:
            assert (upload_dir / full).is_file() and (upload_dir / thumb).is_file()
    return len(logs)


async def test_backup_while_the_portal_takes_submissions_then_restore(settings, area, make_user, tmp_path):
    if not settings.sqlite_path and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    from portal.logs.tables import FieldLog

    upload_dir = tmp_path / "uploads"
    server, clients, _username = await serve_and_log_in(settings, make_user, tmp_path, 8)
    try:
        stop = asyncio.Event()

        async def keep_submitting(number: int, client: httpx.AsyncClient) -> int:
            kind = "hazard" if number % 2 else "mediation"
            done = 0
            while not stop.is_set():
                response = await _submit(client, kind, valid(kind, area.community_id))
                assert response.status_code == 303 and SAVED.match(response.headers["location"]), response.text[:300]
                done += 1
            return done

        writers = [asyncio.create_task(keep_submitting(n, c)) for n, c in enumerate(clients)]
        while await FieldLog.count().run() < 20:
            await asyncio.sleep(0.05)
        before = await FieldLog.count().run()
        target = tmp_path / "backups" / "portal.backup"
        code, output = await _cli(portal_environment(settings, upload_dir), "backup", str(target))
        after = await FieldLog.count().run()
        stop.set()
        await asyncio.gather(*writers)
        assert code == 0, output
        assert target.is_file() and Path(f"{target}.uploads.tar").is_file()

        # Once more to the same name: refused without --force.
        code, output = await _cli(portal_environment(settings, upload_dir), "backup", str(target))
        assert code != 0 and "already exists" in output

        # Restoring over the running portal's database is refused without --force.
        code, output = await _cli(portal_environment(settings, upload_dir), "restore", str(target))
        assert code != 0 and "already holds a portal" in output, output

        # Into an empty database: the snapshot comes back whole.
        if settings.sqlite_path:
            restore_url = f"sqlite:///{tmp_path / 'restored' / 'portal.sqlite3'}"
        else:
            restore_url = _restore_url(settings)
            await _fresh_pg(restore_url)
        restored_uploads = tmp_path / "restored-uploads"
        environment = portal_environment(settings, restored_uploads, database_url=restore_url)
        code, output = await _cli(environment, "restore", str(target))
        assert code == 0, output
        restored = await _whole(restore_url, restored_uploads)
        assert before <= restored <= after
        code, output = await _cli(environment, "migrate")
        assert code == 0, output

        # A second restore onto it needs --force, and then works.
        code, output = await _cli(environment, "restore", str(target))
        assert code != 0
        code, output = await _cli(environment, "restore", "--force", str(target))
        assert code == 0, output
        assert await _whole(restore_url, restored_uploads) == restored
    finally:
        for client in clients:
            await client.aclose()
        server.stop()


async def test_restore_refuses_what_is_not_a_portal_database_of_a_known_version(settings, database, tmp_path):
    environment = portal_environment(settings, tmp_path / "uploads", database_url=f"sqlite:///{tmp_path / 'target.sqlite3'}")
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    code, output = await _cli(environment, "restore", str(text))
    assert code != 0 and "not an SQLite database" in output

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE things (id INTEGER)")
    connection.close()
    code, output = await _cli(environment, "restore", str(other))
    assert code != 0 and "not a portal database" in output

    # A backup of this portal, then one that ran a migration this code does not know.
    if settings.sqlite_path:
        good = tmp_path / "good.sqlite3"
        code, output = await _cli(portal_environment(settings, tmp_path / "uploads"), "backup", "--no-uploads", str(good))
        assert code == 0, output
        with sqlite3.connect(good) as connection:
            connection.execute("INSERT INTO migration (name, app_name, ran_on) VALUES ('2099-01-01T00:00:00:000000', 'logs', '2099-01-01 00:00:00')")
        connection.close()
        code, output = await _cli(environment, "restore", str(good))
        assert code != 0 and "newer portal" in output
        assert not (tmp_path / "target.sqlite3").exists()
