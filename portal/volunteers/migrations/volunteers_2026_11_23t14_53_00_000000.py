"""One row per volunteer and skill; profiles listed by community and status."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T14:53:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "volunteer indexes"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS volunteer_skill_user_skill ON volunteer_skill ("user", skill)',
    "CREATE INDEX IF NOT EXISTS volunteer_profile_community_status ON volunteer_profile (community, status, applied_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
