"""Shift lists read a page at a time by (start, id): one index per filter ending in both,
so PostgreSQL (which, unlike SQLite, keeps no row id in its indexes) never sorts a page.
They replace the (…, starts_at) indexes they extend."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T17:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "shift keyset indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS shift_community_starts_id ON shift (community, starts_at, id)",
    "CREATE INDEX IF NOT EXISTS shift_kind_starts_id ON shift (kind, starts_at, id)",
    "CREATE INDEX IF NOT EXISTS shift_starts_id ON shift (starts_at, id)",
    "DROP INDEX IF EXISTS shift_community_starts",
    "DROP INDEX IF EXISTS shift_kind_starts",
    "DROP INDEX IF EXISTS shift_starts",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shifts", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
