"""Indexes of the review queue when it spans every community (an admin): the time key
alone and after the review status, so the newest or oldest page is read from the index
instead of sorting every log (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T17:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "review queue indexes across communities"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS field_log_created ON field_log (created_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_status_created ON field_log (status, created_at, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="logs", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
