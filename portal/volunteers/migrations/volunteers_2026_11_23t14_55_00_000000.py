"""A double-submitted application finds the first by its key; officers page lists by id."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T14:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "application key and list indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS volunteer_profile_application_key ON volunteer_profile (application_key)",
    "CREATE INDEX IF NOT EXISTS volunteer_profile_community_status_id ON volunteer_profile (community, status, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
