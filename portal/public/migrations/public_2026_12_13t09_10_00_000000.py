"""The messages written through a watch point's QR code, newest first, for its page (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-13T09:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "intake by watch point"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS intake_point_id ON intake (point, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="public", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
