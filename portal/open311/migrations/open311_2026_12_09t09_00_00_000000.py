"""Which key filed which item, and the feedback updates keys send (both engines). Items
filed before are matched to their key from the audit trail's "open311.request_created"."""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-09T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "open311 filed requests and feedback updates"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f"CREATE TABLE open311_request (id {serial}, "
        "item INTEGER NOT NULL UNIQUE REFERENCES ledger_item (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "api_key INTEGER NOT NULL REFERENCES open311_api_key (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        f"CREATE TABLE open311_update (id {serial}, "
        "api_key INTEGER NOT NULL REFERENCES open311_api_key (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "client_update_id VARCHAR(64) NOT NULL, "
        "item INTEGER NOT NULL REFERENCES ledger_item (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "event INTEGER NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE UNIQUE INDEX open311_update_key_client_id ON open311_update (api_key, client_update_id)",
        "CREATE INDEX open311_update_item ON open311_update (item)",
    ]


async def backfill(db) -> None:
    rows = await db.run_ddl("SELECT object_id, after FROM audit_entry WHERE action = 'open311.request_created'")
    for row in rows or []:
        after = row["after"]
        after = json.loads(after) if isinstance(after, str) else after or {}
        item, key = str(row["object_id"] or ""), after.get("key")
        if not item.isdigit() or not isinstance(key, int):
            continue
        # Integers only, checked above: nothing of the audit's text reaches the statement.
        await db.run_ddl(
            "INSERT INTO open311_request (item, api_key, created_at) "
            f"SELECT li.id, k.id, li.created_at FROM ledger_item li, open311_api_key k WHERE li.id = {int(item)} AND k.id = {int(key)} "
            "ON CONFLICT (item) DO NOTHING"
        )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="open311", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)
        await backfill(db)

    manager.add_raw(run)
    return manager
