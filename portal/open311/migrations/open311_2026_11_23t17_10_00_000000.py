"""Indexes of the Open311 lists (both engines): public items by date, and the status
changes feed by date."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T17:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "open311 indexes"

STATEMENTS = [
    # GET requests: public items in a date window, newest first.
    "CREATE INDEX IF NOT EXISTS open311_ledger_item_private_created ON ledger_item (private, created_at, id)",
    # GET servicerequestupdates: timeline lines in a date window.
    "CREATE INDEX IF NOT EXISTS open311_ledger_event_created ON ledger_event (created_at, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="open311", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
