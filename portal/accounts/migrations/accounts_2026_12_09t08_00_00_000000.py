"""The admin's user list sorts by name and by last login: an index for each order, ending
on id for the keyset pages (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-09T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the user list's orders"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS portal_user_real_name_id ON portal_user (real_name, id)",
    "CREATE INDEX IF NOT EXISTS portal_user_last_login_id ON portal_user (last_login_at, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
