"""Each officer's own saved views of the ledger list (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-09T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger saved views"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f"CREATE TABLE ledger_saved_view (id {serial}, "
        "owner INTEGER NOT NULL REFERENCES portal_user (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "name VARCHAR(60) NOT NULL, query TEXT NOT NULL DEFAULT '', "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE UNIQUE INDEX ledger_saved_view_owner_name ON ledger_saved_view (owner, name)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
