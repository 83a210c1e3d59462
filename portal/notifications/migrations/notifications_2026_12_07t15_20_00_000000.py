"""Repeated messages about the same thing are one row with a count (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-07T15:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "grouped repeats of a message"

STATEMENTS = [
    "ALTER TABLE notification ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
