"""The users who never logged in, read apart in id order when the user list sorts by last
login: a partial index (PostgreSQL takes ``last_login_at IS NULL`` for no equality, so
the (last_login_at, id) index does not give their order there)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-09T08:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "users who never logged in, by id"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS portal_user_never_logged_in ON portal_user (id) WHERE last_login_at IS NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
