"""Indexes for the intake list and the rate-limit counter (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "intake and rate limit indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS intake_community_status_id ON intake (community, status, id)",
    "CREATE INDEX IF NOT EXISTS public_rate_hit_bucket_at ON public_rate_hit (bucket, at)",
    "CREATE INDEX IF NOT EXISTS public_rate_hit_at ON public_rate_hit (at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="public", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
