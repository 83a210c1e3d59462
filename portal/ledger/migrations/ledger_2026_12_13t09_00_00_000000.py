"""A holiday's English name, shown to English readers (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-13T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "holiday English name"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def add_column():
        await engine().run_ddl("ALTER TABLE holiday ADD COLUMN name_en VARCHAR(100) NOT NULL DEFAULT ''")

    manager.add_raw(add_column)
    return manager
