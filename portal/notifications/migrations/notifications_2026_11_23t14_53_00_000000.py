"""The inbox lists a user's newest messages; unread ones are counted on every page."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T14:53:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification indexes"

STATEMENTS = [
    'CREATE INDEX IF NOT EXISTS notification_user_id ON notification ("user", id)',
    'CREATE INDEX IF NOT EXISTS notification_user_unread ON notification ("user", read_at)',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
