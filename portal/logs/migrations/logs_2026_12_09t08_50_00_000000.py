"""The review queue also sorts by when what a log tells happened (occurred_at): the
indexes its received order has, on that moment. Within a community, after the review
status (the queue's tabs); across every community (an admin), the moment alone and after
the status. A community's own (community, occurred_at, id) already exists (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-09T08:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "review queue indexes by the moment a log happened"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS field_log_community_status_occurred ON field_log (community, status, occurred_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_occurred_id ON field_log (occurred_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_status_occurred ON field_log (status, occurred_at, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="logs", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
