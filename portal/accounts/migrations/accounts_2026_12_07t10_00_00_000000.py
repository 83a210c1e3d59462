"""Heads above the station: a role grant may be scoped to a district or a city (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "district and city scope on role grants"

STATEMENTS = [
    "ALTER TABLE role_grant ADD COLUMN district INTEGER REFERENCES district (id) ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null",
    "ALTER TABLE role_grant ADD COLUMN city INTEGER REFERENCES city (id) ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null",
    "CREATE INDEX role_grant_district ON role_grant (district)",
    "CREATE INDEX role_grant_city ON role_grant (city)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
