"""Reception rooms, their visits and the phrasebook; a shift kind may belong to a room
(both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-07T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reception rooms, visits, phrasebook"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    user = "INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null"
    return [
        f"CREATE TABLE reception_room (id {serial}, "
        "community INTEGER NOT NULL REFERENCES community (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "kind VARCHAR(16) NOT NULL DEFAULT 'community', slug VARCHAR(32) NOT NULL UNIQUE, "
        "name_zh VARCHAR(100) NOT NULL DEFAULT '', name_en VARCHAR(100) NOT NULL DEFAULT '', address VARCHAR(200) NOT NULL DEFAULT '', "
        "latitude DOUBLE PRECISION DEFAULT null, longitude DOUBLE PRECISION DEFAULT null, "
        "hours TEXT NOT NULL DEFAULT '[]', holidays TEXT NOT NULL DEFAULT '[]', "
        "services VARCHAR(300) NOT NULL DEFAULT '', amenities VARCHAR(300) NOT NULL DEFAULT '', languages VARCHAR(100) NOT NULL DEFAULT 'zh', "
        "phone VARCHAR(32) NOT NULL DEFAULT '', status VARCHAR(16) NOT NULL DEFAULT 'pending', "
        f"verified_at TIMESTAMPTZ DEFAULT null, verified_by {user}, idempotency_key VARCHAR(36) NOT NULL UNIQUE, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "
        "retired_at TIMESTAMPTZ DEFAULT null)",
        "CREATE INDEX reception_room_community ON reception_room (community, status)",
        f"CREATE TABLE reception_visit (id {serial}, "
        "room INTEGER NOT NULL REFERENCES reception_room (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "community INTEGER NOT NULL REFERENCES community (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "category VARCHAR(20) NOT NULL, people INTEGER NOT NULL DEFAULT 1, language VARCHAR(16) NOT NULL DEFAULT 'zh', "
        "note TEXT NOT NULL DEFAULT '', outcome VARCHAR(20) NOT NULL DEFAULT '', "
        "contact_name VARCHAR(100) NOT NULL DEFAULT '', contact_phone VARCHAR(32) NOT NULL DEFAULT '', "
        f"logged_by {user}, visited_at TIMESTAMPTZ NOT NULL, local_day DATE NOT NULL, idempotency_key VARCHAR(36) NOT NULL UNIQUE, "
        "ledger_item INTEGER REFERENCES ledger_item (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        "field_log INTEGER REFERENCES field_log (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE INDEX reception_visit_room_day ON reception_visit (room, local_day)",
        "CREATE INDEX reception_visit_community_day ON reception_visit (community, local_day, category)",
        f"CREATE TABLE reception_phrase (id {serial}, "
        "station INTEGER NOT NULL REFERENCES station (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "situation VARCHAR(32) NOT NULL, text_zh TEXT NOT NULL DEFAULT '', text_en TEXT NOT NULL DEFAULT '', position INTEGER NOT NULL DEFAULT 0, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE INDEX reception_phrase_station ON reception_phrase (station, situation, position)",
        "ALTER TABLE shift_kind ADD COLUMN room INTEGER REFERENCES reception_room (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reception", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
