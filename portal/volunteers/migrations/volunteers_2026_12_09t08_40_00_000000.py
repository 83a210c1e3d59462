"""A community's volunteers sort by the date of application: (community, applied_at, id)
for the keyset pages (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-09T08:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index for the volunteers list's order by application"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS volunteer_profile_community_applied_id ON volunteer_profile (community, applied_at, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
