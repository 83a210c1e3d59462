"""The reception rooms' daily counts: one row per room, community and local day, kept
with each visit; the visits of before are counted into it once (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-07T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reception daily counts"

COUNTED = (
    "consultation", "help_request", "emergency", "mediation", "suggestion", "claim", "complaint",
    "errand", "convenience", "business", "foreign_visitor",
)


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    counts = ", ".join(f"{name} INTEGER NOT NULL DEFAULT 0" for name in ("visits", "people", *COUNTED, "mediation_resolved", "foreign_people"))
    per_category = ", ".join(f"SUM(CASE WHEN category = '{name}' THEN 1 ELSE 0 END)" for name in COUNTED)
    return [
        f"CREATE TABLE reception_daily (id {serial}, "
        "room INTEGER NOT NULL REFERENCES reception_room (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "community INTEGER NOT NULL REFERENCES community (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        f"day DATE NOT NULL, {counts})",
        "CREATE UNIQUE INDEX reception_daily_room_day ON reception_daily (room, community, day)",
        "CREATE INDEX reception_daily_community_day ON reception_daily (community, day)",
        "CREATE INDEX reception_daily_day ON reception_daily (day)",
        f"INSERT INTO reception_daily (room, community, day, visits, people, {', '.join(COUNTED)}, mediation_resolved, foreign_people) "
        f"SELECT room, community, local_day, COUNT(*), SUM(people), {per_category}, "
        "SUM(CASE WHEN category = 'mediation' AND outcome = 'resolved' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN category = 'foreign_visitor' OR (language <> '' AND language NOT LIKE 'zh%') THEN people ELSE 0 END) "
        "FROM reception_visit GROUP BY room, community, local_day",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reception", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
