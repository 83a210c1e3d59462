"""联访解: officers' pairings with units and people, their contacts and the opinions collected (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-14T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "pairings, contacts, opinions"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    user = "INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null"
    community = "INTEGER NOT NULL REFERENCES community (id) ON DELETE RESTRICT ON UPDATE CASCADE"
    return [
        f"CREATE TABLE pairing (id {serial}, officer {user}, community {community}, "
        "kind VARCHAR(8) NOT NULL DEFAULT 'unit', unit_kind VARCHAR(16) NOT NULL DEFAULT '', name VARCHAR(200) NOT NULL, "
        "contact_name VARCHAR(100) NOT NULL DEFAULT '', phone VARCHAR(32) NOT NULL DEFAULT '', address VARCHAR(200) NOT NULL DEFAULT '', "
        "note TEXT NOT NULL DEFAULT '', started_on DATE NOT NULL, ended_on DATE DEFAULT null, end_note TEXT NOT NULL DEFAULT '', "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "
        "version INTEGER NOT NULL DEFAULT 1, idempotency_key VARCHAR(36) NOT NULL UNIQUE)",
        # An officer's own list and a head's list of the station's communities, newest first.
        "CREATE INDEX pairing_officer ON pairing (officer, id)",
        "CREATE INDEX pairing_community ON pairing (community, id)",
        "CREATE INDEX pairing_started ON pairing (started_on)",
        f"CREATE TABLE pairing_contact (id {serial}, "
        "pairing INTEGER NOT NULL REFERENCES pairing (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        f"community {community}, officer {user}, contacted_on DATE NOT NULL, channel VARCHAR(8) NOT NULL DEFAULT 'visit', "
        "note TEXT NOT NULL DEFAULT '', created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, idempotency_key VARCHAR(36) NOT NULL UNIQUE)",
        "CREATE INDEX pairing_contact_pairing ON pairing_contact (pairing, contacted_on)",
        "CREATE INDEX pairing_contact_community ON pairing_contact (community, contacted_on)",
        "CREATE INDEX pairing_contact_day ON pairing_contact (contacted_on)",
        f"CREATE TABLE pairing_opinion (id {serial}, "
        "contact INTEGER NOT NULL REFERENCES pairing_contact (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "pairing INTEGER NOT NULL REFERENCES pairing (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        f"community {community}, officer {user}, contacted_on DATE NOT NULL, text TEXT NOT NULL, "
        "outcome VARCHAR(8) NOT NULL DEFAULT 'solved', solution TEXT NOT NULL DEFAULT '', "
        "ledger_item INTEGER REFERENCES ledger_item (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, idempotency_key VARCHAR(36) NOT NULL UNIQUE)",
        "CREATE INDEX pairing_opinion_contact ON pairing_opinion (contact)",
        "CREATE INDEX pairing_opinion_community ON pairing_opinion (community, contacted_on)",
        "CREATE INDEX pairing_opinion_day ON pairing_opinion (contacted_on)",
        "CREATE INDEX pairing_opinion_item ON pairing_opinion (ledger_item) WHERE ledger_item IS NOT NULL",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pairings", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
