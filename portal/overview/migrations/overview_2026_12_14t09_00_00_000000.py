"""The overview's kept counts (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-14T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "overview snapshots"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f"CREATE TABLE overview_snapshot (id {serial}, key VARCHAR(64) NOT NULL UNIQUE, "
        "counted_at TIMESTAMPTZ NOT NULL, seconds REAL NOT NULL DEFAULT 0, payload TEXT NOT NULL)",
        # The job that drops the counts nobody needs any more.
        "CREATE INDEX overview_snapshot_counted_at ON overview_snapshot (counted_at)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="overview", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
