"""E-mail delivery looks for recent messages not yet sent."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T14:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unsent e-mail index"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS notification_unsent ON notification (emailed_at, created_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
