"""Indexes for the officers' list (community, status, verification) on both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "watch point list indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS watch_point_community_status ON watch_point (community, status, verified_at)",
    "CREATE INDEX IF NOT EXISTS watch_point_visit_point_id ON watch_point_visit (point, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="watchpoints", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
