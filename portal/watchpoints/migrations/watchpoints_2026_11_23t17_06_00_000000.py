"""Indexes for the duty roster (today's and yesterday's slots of a community) and for
the officers' paged list of points (community, then the stalest verification first)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T17:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "duty roster and paged list indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS duty_slot_community_day ON duty_slot (community, weekday, on_date)",
    "CREATE INDEX IF NOT EXISTS watch_point_community_verified_id ON watch_point (community, verified_at, id)",
    "CREATE INDEX IF NOT EXISTS watch_point_verified_id ON watch_point (verified_at, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="watchpoints", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
