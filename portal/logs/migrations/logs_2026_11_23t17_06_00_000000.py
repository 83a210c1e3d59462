"""Indexes of the review queue, "My logs", the watch point pages and the bulletins' sums
(both engines): every filter of the queue followed by its order (created_at, id)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T17:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "field log indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS field_log_community_created ON field_log (community, created_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_community_status_created ON field_log (community, status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_community_kind_created ON field_log (community, kind, created_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_community_severity_created ON field_log (community, severity, created_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_community_occurred ON field_log (community, occurred_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_community_kind_occurred ON field_log (community, kind, occurred_at)",
    "CREATE INDEX IF NOT EXISTS field_log_community_stage ON field_log (community, hazard_stage)",
    "CREATE INDEX IF NOT EXISTS field_log_author_created ON field_log (author, created_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_point_created ON field_log (watch_point, created_at, id)",
    "CREATE INDEX IF NOT EXISTS field_log_landmark ON field_log (landmark)",
    "CREATE INDEX IF NOT EXISTS field_log_shift ON field_log (shift)",
    "CREATE INDEX IF NOT EXISTS field_log_duplicate_of ON field_log (duplicate_of)",
    "CREATE UNIQUE INDEX IF NOT EXISTS log_photo_log_ordinal ON log_photo (log, ordinal)",
    "CREATE INDEX IF NOT EXISTS mediation_party_log ON mediation_party (log, ordinal)",
    "CREATE INDEX IF NOT EXISTS log_note_log_id ON log_note (log, id)",
    "CREATE INDEX IF NOT EXISTS landmark_community_active ON landmark (community, active)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="logs", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
