"""Bulletin uniqueness (one version per scope and week, one mail per subscriber) and the
indexes the weekly aggregation reads by time on other features' tables (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T17:19:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "bulletin indexes and the starting tips"

STATEMENTS = [
    # The first compile of a week wins however many processes compile it.
    "CREATE UNIQUE INDEX IF NOT EXISTS bulletin_scope_week_version ON bulletin (scope_key, week, version)",
    "CREATE INDEX IF NOT EXISTS bulletin_scope_status_published ON bulletin (scope_key, status, published_at)",
    "CREATE INDEX IF NOT EXISTS bulletin_status_published ON bulletin (status, published_at)",
    "CREATE UNIQUE INDEX IF NOT EXISTS bulletin_delivery_bulletin_subscriber ON bulletin_delivery (bulletin, subscriber)",
    "CREATE UNIQUE INDEX IF NOT EXISTS bulletin_subscriber_email_community ON bulletin_subscriber (email, community)",
    # The week's windows over all communities at once.
    "CREATE INDEX IF NOT EXISTS bulletin_field_log_occurred ON field_log (occurred_at, community)",
    "CREATE INDEX IF NOT EXISTS bulletin_field_log_fixed ON field_log (fixed_at)",
    "CREATE INDEX IF NOT EXISTS bulletin_field_log_verified ON field_log (verified_at)",
    "CREATE INDEX IF NOT EXISTS bulletin_ledger_item_created ON ledger_item (created_at)",
    "CREATE INDEX IF NOT EXISTS bulletin_ledger_item_closed ON ledger_item (closed_at)",
    "CREATE INDEX IF NOT EXISTS bulletin_audit_type_at ON audit_entry (object_type, at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="bulletins", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    async def load_tips():
        from portal.bulletins.demo import seed_tips

        await seed_tips()

    manager.add_raw(create_indexes)
    # The starting tip library, so the first bulletins already have anti-fraud tips.
    manager.add_raw(load_tips)
    return manager
