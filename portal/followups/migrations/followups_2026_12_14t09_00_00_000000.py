"""Mediation follow-ups, rectification notices with their numbers, reports and wording,
and the reminders' claims (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-14T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "follow-ups and rectification notices"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    user = "INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null"
    community = "INTEGER NOT NULL REFERENCES community (id) ON DELETE RESTRICT ON UPDATE CASCADE"
    log = "INTEGER NOT NULL REFERENCES field_log (id) ON DELETE CASCADE ON UPDATE CASCADE"
    return [
        f"CREATE TABLE mediation_follow_up (id {serial}, log {log}, community {community}, result VARCHAR(24) NOT NULL, "
        f"followed_up_on DATE NOT NULL, note TEXT NOT NULL DEFAULT '', recorded_by {user}, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        # One follow-up per mediation: a double submit records it once.
        "CREATE UNIQUE INDEX mediation_follow_up_log ON mediation_follow_up (log)",
        "CREATE INDEX mediation_follow_up_community_day ON mediation_follow_up (community, followed_up_on)",
        f"CREATE TABLE rectification_wording (id {serial}, station INTEGER NOT NULL REFERENCES station (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        f"text TEXT NOT NULL, updated_by {user}, updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE UNIQUE INDEX rectification_wording_station ON rectification_wording (station)",
        f"CREATE TABLE rectification_counter (id {serial}, station INTEGER NOT NULL REFERENCES station (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "year INTEGER NOT NULL, last INTEGER NOT NULL DEFAULT 0)",
        "CREATE UNIQUE INDEX rectification_counter_station_year ON rectification_counter (station, year)",
        f"CREATE TABLE rectification_notice (id {serial}, log {log}, community {community}, "
        "station INTEGER NOT NULL REFERENCES station (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "year INTEGER NOT NULL, seq INTEGER NOT NULL, number VARCHAR(24) NOT NULL, party VARCHAR(200) NOT NULL, "
        "party_address VARCHAR(200) NOT NULL DEFAULT '', wording TEXT NOT NULL, due_on DATE NOT NULL, due_at TIMESTAMPTZ NOT NULL, "
        f"token VARCHAR(43) NOT NULL UNIQUE, issued_by {user}, issued_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "
        f"withdrawn_at TIMESTAMPTZ DEFAULT null, withdrawn_by {user}, idempotency_key VARCHAR(36) NOT NULL UNIQUE)",
        "CREATE UNIQUE INDEX rectification_notice_number ON rectification_notice (station, year, seq)",
        "CREATE INDEX rectification_notice_log ON rectification_notice (log)",
        # The lists and the chase: notices in force by deadline, per community.
        "CREATE INDEX rectification_notice_due ON rectification_notice (community, due_at, id) WHERE withdrawn_at IS NULL",
        "CREATE INDEX rectification_notice_community_id ON rectification_notice (community, id)",
        f"CREATE TABLE rectification_report (id {serial}, "
        "notice INTEGER NOT NULL REFERENCES rectification_notice (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "note TEXT NOT NULL DEFAULT '', photo_key VARCHAR(120) NOT NULL, thumb_key VARCHAR(120) NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, "
        "idempotency_key VARCHAR(36) NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE INDEX rectification_report_notice ON rectification_report (notice, id)",
        f"CREATE TABLE follow_up_reminder (id {serial}, kind VARCHAR(24) NOT NULL, ref INTEGER NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE UNIQUE INDEX follow_up_reminder_kind_ref ON follow_up_reminder (kind, ref)",
        # The mediations waiting for their follow-up, by day: the task lists and the reminder job.
        "CREATE INDEX field_log_follow_up ON field_log (community, follow_up_on, id) WHERE kind = 'mediation' AND follow_up_on IS NOT NULL",
        "CREATE INDEX field_log_follow_up_day ON field_log (follow_up_on, id) WHERE kind = 'mediation' AND follow_up_on IS NOT NULL",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="followups", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
