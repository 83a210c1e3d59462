"""Answer templates per station, category and language, kept by the station's officers
(both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-07T15:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger answer templates"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f"CREATE TABLE ledger_answer_template (id {serial}, "
        "station INTEGER NOT NULL REFERENCES station (id) ON DELETE CASCADE ON UPDATE CASCADE, "
        "category VARCHAR(32) NOT NULL DEFAULT '', language VARCHAR(8) NOT NULL DEFAULT 'zh_CN', "
        "title VARCHAR(100) NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '', "
        "updated_by INTEGER REFERENCES portal_user (id) ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "
        "updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)",
        "CREATE INDEX ledger_answer_template_station ON ledger_answer_template (station, category)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
