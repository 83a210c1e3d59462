"""The contact boards registry (both engines): codes unique per community, and the
index the registry page and the dashboards' counts read (community, retired, due)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-08T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "contact boards registry"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f"CREATE TABLE contact_board (id {serial}, "
        "community INTEGER NOT NULL REFERENCES community (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "code VARCHAR(40) NOT NULL, place_kind VARCHAR(20) NOT NULL DEFAULT 'other', "
        "name_zh VARCHAR(100) NOT NULL DEFAULT '', name_en VARCHAR(100) NOT NULL DEFAULT '', address VARCHAR(200) NOT NULL DEFAULT '', "
        "latitude DOUBLE PRECISION DEFAULT null, longitude DOUBLE PRECISION DEFAULT null, "
        "shows VARCHAR(100) NOT NULL DEFAULT 'officers,emergency,qr', note TEXT NOT NULL DEFAULT '', "
        "printed_on DATE DEFAULT null, replaced_on DATE DEFAULT null, replace_due DATE DEFAULT null, "
        "retired_at TIMESTAMPTZ DEFAULT null, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "
        "updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE UNIQUE INDEX contact_board_community_code ON contact_board (community, code)",
        "CREATE INDEX contact_board_community_due ON contact_board (community, retired_at, replace_due)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="boards", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
