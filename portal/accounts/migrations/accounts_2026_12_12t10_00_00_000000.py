"""Forms kept across a login: what was typed on a form sent after its session had ended,
for a short while (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-12T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "forms kept across a login"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f"CREATE TABLE form_draft (id {serial}, token_hash VARCHAR(64) NOT NULL UNIQUE, "
        "path VARCHAR(500) NOT NULL, fields TEXT NOT NULL, "
        '"user" INTEGER NULL REFERENCES portal_user (id) ON DELETE CASCADE ON UPDATE CASCADE, '
        "created_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL)",
        "CREATE INDEX form_draft_expires_at ON form_draft (expires_at)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
