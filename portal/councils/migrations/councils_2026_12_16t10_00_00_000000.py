"""进建商: a version on the register's entries, now that they are changed (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-16T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "councils: council_representative.version"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="councils", description=DESCRIPTION)

    async def run():
        await engine().run_ddl("ALTER TABLE council_representative ADD COLUMN version INTEGER NOT NULL DEFAULT 1")

    manager.add_raw(run)
    return manager
