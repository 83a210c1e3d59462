"""District and city roll-ups: a bulletin may belong to a district or a city (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-07T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "district and city bulletins"

STATEMENTS = [
    "ALTER TABLE bulletin ADD COLUMN district INTEGER REFERENCES district (id) ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null",
    "ALTER TABLE bulletin ADD COLUMN city INTEGER REFERENCES city (id) ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null",
    "CREATE INDEX bulletin_district ON bulletin (district)",
    "CREATE INDEX bulletin_city ON bulletin (city)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="bulletins", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
