"""An optional e-mail address on a public message, for the answers (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-20T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "intake contact e-mail"

STATEMENTS = [
    "ALTER TABLE intake ADD COLUMN contact_email VARCHAR(254) NOT NULL DEFAULT ''",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="public", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
