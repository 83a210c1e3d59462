"""Indexes for an object's history and for the newest entries first."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T14:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS audit_entry_object ON audit_entry (object_type, object_id, id)",
    "CREATE INDEX IF NOT EXISTS audit_entry_action_at ON audit_entry (action, at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
