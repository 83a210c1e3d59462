"""Indexes of the shift queries, and one sign-up per person and shift (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T15:06:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "shift indexes"

STATEMENTS = [
    # A double tap, or two processes, create one sign-up per person and shift.
    'CREATE UNIQUE INDEX IF NOT EXISTS shift_signup_shift_user ON shift_signup (shift, "user")',
    'CREATE INDEX IF NOT EXISTS shift_signup_user_status ON shift_signup ("user", status)',
    "CREATE INDEX IF NOT EXISTS shift_signup_shift_status_queued ON shift_signup (shift, status, queued_at)",
    "CREATE INDEX IF NOT EXISTS shift_signup_status_offer ON shift_signup (status, offer_expires_at)",
    "CREATE INDEX IF NOT EXISTS shift_community_starts ON shift (community, starts_at)",
    "CREATE INDEX IF NOT EXISTS shift_kind_starts ON shift (kind, starts_at)",
    "CREATE INDEX IF NOT EXISTS shift_starts ON shift (starts_at)",
    "CREATE INDEX IF NOT EXISTS shift_ends ON shift (ends_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shifts", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
