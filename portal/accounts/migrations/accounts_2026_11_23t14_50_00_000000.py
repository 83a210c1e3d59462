"""Indexes that match the throttling and session queries (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T14:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "login failure and session indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS login_failure_username_at ON login_failure (username, at)",
    "CREATE INDEX IF NOT EXISTS login_failure_ip_at ON login_failure (ip, at)",
    "CREATE INDEX IF NOT EXISTS role_grant_user_role ON role_grant (\"user\", role)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
