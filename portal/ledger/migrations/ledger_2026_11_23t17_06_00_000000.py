"""Unique keys and the indexes of the ledger lists, jobs and public figures (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-11-23T17:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger keys and indexes"

STATEMENTS = [
    # One number per station and year; one item per intake record; one counter row.
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_item_station_year_seq ON ledger_item (station, year, seq)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_item_intake_unique ON ledger_item (intake)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_counter_station_year ON ledger_counter (station, year)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_deadline_rule_key ON ledger_deadline_rule (ledger, category, stage)",
    # The overdue job claims (item, stage, round) once, whichever process gets there first.
    'CREATE UNIQUE INDEX IF NOT EXISTS ledger_escalation_key ON ledger_escalation (item, stage, "round")',
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_item_log_key ON ledger_item_log (item, field_log)",
    "CREATE INDEX IF NOT EXISTS ledger_item_log_field_log ON ledger_item_log (field_log)",
    # Officers' lists: by community and stage, newest first; "mine" and overdue per officer.
    "CREATE INDEX IF NOT EXISTS ledger_item_community_stage_id ON ledger_item (community, stage, id)",
    "CREATE INDEX IF NOT EXISTS ledger_item_community_ledger_id ON ledger_item (community, ledger, id)",
    "CREATE INDEX IF NOT EXISTS ledger_item_officer_stage_due ON ledger_item (officer, stage, stage_due_at)",
    # Jobs: overdue stages, and feedback waiting for an answer.
    "CREATE INDEX IF NOT EXISTS ledger_item_stage_due ON ledger_item (stage, stage_due_at)",
    "CREATE INDEX IF NOT EXISTS ledger_item_stage_feedback ON ledger_item (stage, feedback_at)",
    # Public pages and figures: per community / station, public items, by date.
    "CREATE INDEX IF NOT EXISTS ledger_item_community_private_id ON ledger_item (community, private, id)",
    "CREATE INDEX IF NOT EXISTS ledger_item_station_private_id ON ledger_item (station, private, id)",
    "CREATE INDEX IF NOT EXISTS ledger_item_community_created ON ledger_item (community, created_at)",
    "CREATE INDEX IF NOT EXISTS ledger_item_station_created ON ledger_item (station, created_at)",
    "CREATE INDEX IF NOT EXISTS ledger_item_community_closed ON ledger_item (community, closed_at)",
    "CREATE INDEX IF NOT EXISTS ledger_item_station_closed ON ledger_item (station, closed_at)",
    # Open311 lists and status-change feeds.
    "CREATE INDEX IF NOT EXISTS ledger_item_ledger_created ON ledger_item (ledger, created_at)",
    "CREATE INDEX IF NOT EXISTS ledger_item_updated ON ledger_item (updated_at, id)",
    "CREATE INDEX IF NOT EXISTS ledger_event_item_id ON ledger_event (item, id)",
    "CREATE INDEX IF NOT EXISTS ledger_event_public_created ON ledger_event (public, created_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
