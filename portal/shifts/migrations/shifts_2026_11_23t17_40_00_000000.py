"""An officer's "experienced" mark on a person's standing (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "experienced mark"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shifts", description=DESCRIPTION)

    async def add_column():
        await engine().run_ddl("ALTER TABLE shift_standing ADD COLUMN experienced BOOLEAN NOT NULL DEFAULT FALSE")

    manager.add_raw(add_column)
    return manager
