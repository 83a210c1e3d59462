"""Login attempts are reserved before their password is checked (pending while in flight)
and remember the trusted device they came from (a signed device cookie), so that a
device's own failures are counted apart from the account's (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-10T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "login attempts in flight and per trusted device"

STATEMENTS = [
    "ALTER TABLE login_failure ADD COLUMN device VARCHAR(64) NOT NULL DEFAULT ''",
    "ALTER TABLE login_failure ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE",
    "CREATE INDEX IF NOT EXISTS login_failure_device_at ON login_failure (device, at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
