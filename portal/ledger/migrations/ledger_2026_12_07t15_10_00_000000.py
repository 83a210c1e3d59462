"""Referrals of an item to other bodies (street office, judicial office, property
management, other departments): when sent, by whom, and their answer (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-07T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger referrals"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f"CREATE TABLE ledger_referral (id {serial}, "
        "item INTEGER NOT NULL REFERENCES ledger_item (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "body_kind VARCHAR(24) NOT NULL DEFAULT 'other_department', body_name VARCHAR(200) NOT NULL DEFAULT '', "
        "sent_on DATE NOT NULL, by_user INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        "note TEXT NOT NULL DEFAULT '', answer TEXT NOT NULL DEFAULT '', answered_on DATE DEFAULT null, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE INDEX ledger_referral_item ON ledger_referral (item)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
