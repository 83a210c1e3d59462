"""Urgent notices of a community (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-13T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "urgent notices"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    user = "INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null"
    return [
        f"CREATE TABLE notice (id {serial}, "
        "community INTEGER NOT NULL REFERENCES community (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "kind VARCHAR(16) NOT NULL, title VARCHAR(100) NOT NULL, body TEXT NOT NULL DEFAULT '', "
        "photo_key VARCHAR(80) DEFAULT null, thumb_key VARCHAR(80) DEFAULT null, expires_at TIMESTAMPTZ NOT NULL, "
        f"created_by {user}, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "
        f"withdrawn_at TIMESTAMPTZ DEFAULT null, withdrawn_by {user}, idempotency_key VARCHAR(36) NOT NULL UNIQUE)",
        # The homes' current notices (community, still running) and the officers' list (newest first).
        "CREATE INDEX notice_community_expires ON notice (community, expires_at)",
        "CREATE INDEX notice_community_id ON notice (community, id)",
        # The job that removes the photos of notices that ended.
        "CREATE INDEX notice_photo_expires ON notice (expires_at) WHERE photo_key IS NOT NULL",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notices", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
