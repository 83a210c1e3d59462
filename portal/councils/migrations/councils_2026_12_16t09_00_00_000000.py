"""进建商: the claims of the resolutions' due-day reminders, and how a resolution was done
(by its owner, or by the ledger closing its item) (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-16T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "councils: resolution reminders, done_via"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        "ALTER TABLE council_resolution ADD COLUMN done_via VARCHAR(8) NOT NULL DEFAULT ''",
        f"CREATE TABLE council_reminder (id {serial}, "
        "resolution INTEGER NOT NULL REFERENCES council_resolution (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "due_on DATE NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE UNIQUE INDEX council_reminder_once ON council_reminder (resolution, due_on)",
        # The overdue list and the reminder: open resolutions by due day.
        "CREATE INDEX council_resolution_open_due ON council_resolution (due_on, id) WHERE status = 'open'",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="councils", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
