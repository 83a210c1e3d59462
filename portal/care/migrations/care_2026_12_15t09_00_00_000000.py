"""The care register, its volunteers, the visit log and the reminders' claims (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-15T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "home visits to people who need care"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    user = "INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null"
    community = "INTEGER NOT NULL REFERENCES community (id) ON DELETE RESTRICT ON UPDATE CASCADE"
    return [
        f"CREATE TABLE care_person (id {serial}, community {community}, "
        "name VARCHAR(100) NOT NULL, address VARCHAR(200) NOT NULL, needs TEXT NOT NULL DEFAULT '', "
        "contact_name VARCHAR(100) NOT NULL DEFAULT '', contact_phone VARCHAR(32) NOT NULL DEFAULT '', "
        "consent_on DATE NOT NULL, consent_from VARCHAR(16) NOT NULL DEFAULT 'person', consent_recorded_by "
        f"{user}, every_days INTEGER NOT NULL DEFAULT 7, next_due_on DATE NOT NULL, next_due_at TIMESTAMPTZ NOT NULL, "
        "ended_on DATE DEFAULT null, end_reason VARCHAR(16) NOT NULL DEFAULT '', idempotency_key VARCHAR(36) UNIQUE DEFAULT null, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        # The register in due order (overdue first) and the counts of who is on it.
        "CREATE INDEX care_person_community_due ON care_person (community, next_due_on, id)",
        # The reminders' job and the overdue counts: people still visited, soonest due first.
        "CREATE INDEX care_person_due ON care_person (next_due_at) WHERE ended_on IS NULL",
        # The retention job: people whose consent ended.
        "CREATE INDEX care_person_ended ON care_person (ended_on) WHERE ended_on IS NOT NULL",
        f"CREATE TABLE care_assignment (id {serial}, "
        "person INTEGER NOT NULL REFERENCES care_person (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "volunteer INTEGER NOT NULL REFERENCES portal_user (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        f"assigned_by {user}, assigned_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE UNIQUE INDEX care_assignment_person_volunteer ON care_assignment (person, volunteer)",
        "CREATE INDEX care_assignment_volunteer ON care_assignment (volunteer)",
        f"CREATE TABLE care_visit (id {serial}, "
        "person INTEGER REFERENCES care_person (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        f"community {community}, visited_on DATE NOT NULL, due_on DATE DEFAULT null, visitor {user}, "
        "outcome VARCHAR(20) NOT NULL DEFAULT 'all_well', note TEXT NOT NULL DEFAULT '', "
        "ledger_item INTEGER REFERENCES ledger_item (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        "idempotency_key VARCHAR(36) NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        # A person's log, newest first; the counts per community and day.
        "CREATE INDEX care_visit_person ON care_visit (person, visited_on, id)",
        "CREATE INDEX care_visit_community_day ON care_visit (community, visited_on)",
        f"CREATE TABLE care_reminder (id {serial}, "
        "person INTEGER NOT NULL REFERENCES care_person (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "due_on DATE NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE UNIQUE INDEX care_reminder_person_due ON care_reminder (person, due_on)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="care", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
