"""进建商: the stations' representatives, their sessions, attendance and resolutions (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-14T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "councils: representatives, sessions, attendance, resolutions"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    user = "INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null"
    return [
        f"CREATE TABLE council_representative (id {serial}, "
        "station INTEGER NOT NULL REFERENCES station (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "name VARCHAR(100) NOT NULL, kind VARCHAR(16) NOT NULL DEFAULT 'other', affiliation VARCHAR(200) NOT NULL DEFAULT '', "
        f"phone VARCHAR(32) NOT NULL DEFAULT '', appointed_on DATE DEFAULT null, created_by {user}, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, retired_at TIMESTAMPTZ DEFAULT null, "
        "idempotency_key VARCHAR(36) NOT NULL UNIQUE)",
        "CREATE INDEX council_representative_station ON council_representative (station, id)",
        f"CREATE TABLE council_session (id {serial}, "
        "station INTEGER NOT NULL REFERENCES station (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "community INTEGER NOT NULL REFERENCES community (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "held_on DATE NOT NULL, topic VARCHAR(200) NOT NULL, place VARCHAR(200) NOT NULL DEFAULT '', minutes TEXT NOT NULL DEFAULT '', "
        f"other_attendees INTEGER NOT NULL DEFAULT 0, created_by {user}, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "
        "version INTEGER NOT NULL DEFAULT 1, idempotency_key VARCHAR(36) NOT NULL UNIQUE)",
        # The list (a station's sessions, latest first) and the overview (by community and day).
        "CREATE INDEX council_session_station ON council_session (station, held_on, id)",
        "CREATE INDEX council_session_community ON council_session (community, held_on)",
        "CREATE INDEX council_session_held ON council_session (held_on)",
        f"CREATE TABLE council_attendance (id {serial}, "
        "session INTEGER NOT NULL REFERENCES council_session (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "representative INTEGER NOT NULL REFERENCES council_representative (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "attended BOOLEAN NOT NULL DEFAULT FALSE)",
        "CREATE UNIQUE INDEX council_attendance_once ON council_attendance (session, representative)",
        "CREATE INDEX council_attendance_representative ON council_attendance (representative)",
        f"CREATE TABLE council_resolution (id {serial}, "
        "session INTEGER NOT NULL REFERENCES council_session (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "seq INTEGER NOT NULL, matter TEXT NOT NULL, decision TEXT NOT NULL DEFAULT '', "
        f"owner {user}, due_on DATE NOT NULL, status VARCHAR(8) NOT NULL DEFAULT 'open', done_on DATE DEFAULT null, "
        "done_note TEXT NOT NULL DEFAULT '', "
        "ledger_item INTEGER REFERENCES ledger_item (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        f"created_by {user}, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "
        "updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, version INTEGER NOT NULL DEFAULT 1, "
        "idempotency_key VARCHAR(36) NOT NULL UNIQUE)",
        # One number per matter of a session (一事一议), given in the write transaction.
        "CREATE UNIQUE INDEX council_resolution_seq ON council_resolution (session, seq)",
        "CREATE INDEX council_resolution_done ON council_resolution (done_on) WHERE done_on IS NOT NULL",
        "CREATE INDEX council_resolution_owner ON council_resolution (owner, status)",
        "CREATE INDEX council_resolution_item ON council_resolution (ledger_item) WHERE ledger_item IS NOT NULL",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="councils", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
