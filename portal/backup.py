"""Backups and restores of the database and the uploaded files.

SQLite: SQLite's online backup API copies the file page by page into a new file that is
one consistent snapshot, while the portal keeps serving and writing. PostgreSQL:
``pg_dump`` (custom format, one snapshot) and ``pg_restore`` when they are installed.
Uploaded photos go to a tar beside the database copy (``<backup>.uploads.tar``); the
database is copied first, because a photo's file is written before its row, so every row
in the copy has its file in the tar.

A restore refuses to overwrite a database that holds a portal unless forced, and refuses a
file that is not a portal database or ran migrations this code does not know (a newer
portal's); older backups are brought up to date by ``portal migrate`` afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from portal.settings import Settings

_ID = re.compile(r'^ID\s*=\s*"([^"]+)"', re.M)
# Tables whose presence marks a portal database (``migration`` is Piccolo's record of migrations).
MARKER_TABLES = ("migration", "portal_user", "field_log")


class BackupError(Exception):
    """A backup or restore the portal refuses; the message says why."""


@dataclass(frozen=True)
class Outcome:
    database: Path
    uploads: Path | None
    migrations: int


def uploads_tar(path: Path) -> Path:
    return path.with_name(path.name + ".uploads.tar")


def known_migrations() -> set[tuple[str, str]]:
    """(app, migration id) of every migration in this code."""
    from portal import piccolo_conf

    known = set()
    for app in piccolo_conf.APP_REGISTRY.app_configs.values():
        for file in Path(app.migrations_folder_path).glob("*.py"):
            match = _ID.search(file.read_text(encoding="utf-8"))
            if match:
                known.add((app.app_name, match.group(1)))
    return known


def _check_migrations(ran: set[tuple[str, str]]) -> int:
    if not ran:
        raise BackupError("The file holds no migrated portal database.")
    unknown = ran - known_migrations()
    if unknown:
        names = ", ".join(f"{app}:{name}" for app, name in sorted(unknown)[:5])
        raise BackupError(f"The file comes from a newer portal (migrations this version does not know: {names}). Restore it with that version.")
    return len(ran)


# --- uploads -------------------------------------------------------------------------------

def _tar_uploads(upload_dir: Path, target: Path) -> Path | None:
    if not upload_dir.is_dir():
        return None
    partial = target.with_name(f".{target.name}.partial")
    with tarfile.open(partial, "w") as archive:
        # Files being written are temporary names starting with "."; they are not photos yet.
        archive.add(upload_dir, arcname=".", filter=lambda info: None if Path(info.name).name.startswith(".") and info.name != "." else info)
    os.replace(partial, target)
    return target


def _untar_uploads(archive_path: Path, upload_dir: Path) -> None:
    upload_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path) as archive:
        archive.extractall(upload_dir, filter="data")  # no absolute paths, links out or devices


# --- SQLite --------------------------------------------------------------------------------

def _sqlite_backup(source: Path, target: Path) -> None:
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as src, sqlite3.connect(partial) as dst:
        src.backup(dst, pages=256)  # steps, so writers are not held up for the whole copy
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    dst.close()
    src.close()
    os.replace(partial, target)


def sqlite_migrations(path: Path) -> set[tuple[str, str]]:
    """The migrations a SQLite file ran; ``BackupError`` when it is no portal database."""
    if not path.is_file():
        raise BackupError(f"No such file: {path}")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not an SQLite database.")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not set(MARKER_TABLES) <= tables:
            raise BackupError(f"{path} is not a portal database.")
        return {(app, name) for app, name in connection.execute("SELECT app_name, name FROM migration")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read: {error}") from error
    finally:
        connection.close()


def _sqlite_holds_portal(path: Path) -> bool:
    try:
        return bool(sqlite_migrations(path))
    except BackupError:
        return path.is_file() and path.stat().st_size > 0


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target, timeout=30) as dst:
        src.backup(dst)  # replaces every page of the target, WAL included, under its lock
    src.close()
    dst.close()


# --- PostgreSQL ------------------------------------------------------------------------------

def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if not tool:
        raise BackupError(
            f"{name} is not installed. Install the PostgreSQL client of your server's version (Debian: apt install postgresql-client), "
            f"or run: pg_dump --format=custom --file=portal.dump \"$PORTAL_DATABASE_URL\" and pg_restore --clean --if-exists --no-owner "
            f"--dbname=\"$PORTAL_DATABASE_URL\" portal.dump; copy the upload folder with tar."
        )
    return tool


def _run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def _pg_url(settings: Settings) -> str:
    return settings.database_url.replace("postgres://", "postgresql://", 1)


def pg_dump_migrations(path: Path) -> set[tuple[str, str]]:
    """The migrations recorded in a pg_dump custom-format file."""
    if not path.is_file():
        raise BackupError(f"No such file: {path}")
    listing = subprocess.run([_pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{path} is not a pg_dump custom-format file.")
    if not all(re.search(rf"TABLE public {table}\b", listing.stdout) for table in MARKER_TABLES):
        raise BackupError(f"{path} is not a portal database.")
    data = _run([_pg_tool("pg_restore"), "--data-only", "--table=migration", "--file=-", str(path)])
    ran = set()
    copying = False
    for line in data.splitlines():
        if re.match(r"COPY (public\.)?migration ", line):
            columns = [c.strip().strip('"') for c in line[line.index("(") + 1 : line.index(")")].split(",")]
            copying = True
            continue
        if copying:
            if line == "\\.":
                break
            values = dict(zip(columns, line.split("\t")))
            ran.add((values["app_name"], values["name"]))
    return ran


# --- the commands --------------------------------------------------------------------------

def backup(settings: Settings, target: Path, *, force: bool = False, uploads: bool = True) -> Outcome:
    """Copy the database (and the upload folder) to ``target`` while the portal runs."""
    target = Path(target)
    tar_path = uploads_tar(target)
    if not force and (target.exists() or (uploads and tar_path.exists())):
        raise BackupError(f"{target} already exists; choose another name or use --force.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if settings.sqlite_path:
        _sqlite_backup(settings.sqlite_path, target)
        migrations = len(sqlite_migrations(target))
    else:
        partial = target.with_name(f".{target.name}.partial")
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", _pg_url(settings)])
        os.replace(partial, target)
        migrations = len(pg_dump_migrations(target))
    tar = _tar_uploads(settings.upload_path, tar_path) if uploads else None
    return Outcome(target, tar, migrations)


async def _target_holds_portal(settings: Settings) -> bool:
    if settings.sqlite_path:
        return _sqlite_holds_portal(settings.sqlite_path)
    from piccolo.apps.migrations.tables import Migration

    from portal import db

    db.configure(settings)
    async with db.lifespan_pool(settings):
        return await Migration.table_exists().run()


def restore(settings: Settings, source: Path, *, force: bool = False) -> Outcome:
    """Replace the configured database (and upload folder) with a backup. Stop the portal first."""
    import asyncio

    source = Path(source)
    ran = sqlite_migrations(source) if settings.sqlite_path else pg_dump_migrations(source)
    count = _check_migrations(ran)
    if not force and asyncio.run(_target_holds_portal(settings)):
        raise BackupError("The configured database already holds a portal; stop the portal and add --force to replace it.")
    if settings.sqlite_path:
        _sqlite_restore(source, settings.sqlite_path)
    else:
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={_pg_url(settings)}", str(source)])
    tar_path = uploads_tar(source)
    if tar_path.exists():
        _untar_uploads(tar_path, settings.upload_path)
    return Outcome(settings.sqlite_path or source, tar_path if tar_path.exists() else None, count)

