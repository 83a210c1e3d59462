"""The officers' list of watch points sorts by name too: (community, name_zh, id), and
(name_zh, id) for an administrator's list of every community. The points never verified,
read apart in id order before the others, get a partial index (PostgreSQL does not take
``verified_at IS NULL`` for an equality, so (community, verified_at, id) does not give
their order there)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-09T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the watch points list's orders"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS watch_point_community_name_id ON watch_point (community, name_zh, id)",
    "CREATE INDEX IF NOT EXISTS watch_point_name_id ON watch_point (name_zh, id)",
    "CREATE INDEX IF NOT EXISTS watch_point_community_never_verified ON watch_point (community, id) WHERE verified_at IS NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="watchpoints", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
