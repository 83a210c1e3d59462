"""Imports: the batch table, and a code column (the import's stable key) on watch points
and landmarks (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-07T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "import batches; import codes of watch points and landmarks"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    blob = "BYTEA" if postgres else "BLOB"
    return [
        f"CREATE TABLE import_batch (id {serial}, token VARCHAR(32) NOT NULL UNIQUE, kind VARCHAR(16) NOT NULL, "
        "actor INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        "language VARCHAR(8) NOT NULL DEFAULT 'zh_CN', filename VARCHAR(200) NOT NULL DEFAULT '', "
        f"content {blob} DEFAULT null, status VARCHAR(16) NOT NULL DEFAULT 'previewing', rows_total INTEGER NOT NULL DEFAULT 0, "
        "counts TEXT NOT NULL DEFAULT '{}', report TEXT NOT NULL DEFAULT '[]', error TEXT NOT NULL DEFAULT '', credentials TEXT DEFAULT null, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "
        "expires_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, confirmed_at TIMESTAMPTZ DEFAULT null, finished_at TIMESTAMPTZ DEFAULT null)",
        "CREATE INDEX import_batch_actor ON import_batch (actor, id)",
        "CREATE INDEX import_batch_expires ON import_batch (expires_at)",
        "ALTER TABLE watch_point ADD COLUMN import_code VARCHAR(40) DEFAULT null",
        "CREATE UNIQUE INDEX watch_point_import_code ON watch_point (import_code)",
        "ALTER TABLE landmark ADD COLUMN import_code VARCHAR(40) DEFAULT null",
        "CREATE UNIQUE INDEX landmark_import_code ON landmark (import_code)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="imports", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
