"""Callbacks (回访): a colleague of the accountable officer asks the person whether they
are satisfied and records who, when, how and what was said (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-07T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger callbacks"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f"CREATE TABLE ledger_callback (id {serial}, "
        "item INTEGER NOT NULL REFERENCES ledger_item (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "by_user INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        "channel VARCHAR(16) NOT NULL DEFAULT 'phone', said TEXT NOT NULL DEFAULT '', satisfied BOOLEAN NOT NULL DEFAULT false, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE INDEX ledger_callback_item ON ledger_callback (item, created_at)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
