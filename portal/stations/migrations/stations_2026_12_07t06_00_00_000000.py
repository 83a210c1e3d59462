"""The organisation's upper levels: cities and districts, a code and a district for every
station, a centre for every community, and retirement instead of deletion (both engines).
Stations created before get the code ``station-<id>`` and no district until one is given."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-07T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cities, districts, station codes, community centres, retirement"


def statements(postgres: bool) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    unit = "code VARCHAR(40) NOT NULL UNIQUE, name_zh VARCHAR(100) NOT NULL DEFAULT '', name_en VARCHAR(100) NOT NULL DEFAULT '', " \
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, retired_at TIMESTAMPTZ DEFAULT null"
    return [
        f"CREATE TABLE city (id {serial}, {unit})",
        f'CREATE TABLE district (id {serial}, city INTEGER NOT NULL REFERENCES city (id) ON DELETE RESTRICT ON UPDATE CASCADE, {unit})',
        "CREATE INDEX district_city ON district (city)",
        "ALTER TABLE station ADD COLUMN district INTEGER REFERENCES district (id) ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null",
        "ALTER TABLE station ADD COLUMN code VARCHAR(40) NOT NULL DEFAULT ''",
        "ALTER TABLE station ADD COLUMN retired_at TIMESTAMPTZ DEFAULT null",
        "UPDATE station SET code = 'station-' || id",
        "CREATE UNIQUE INDEX station_code ON station (code)",
        "CREATE INDEX station_district ON station (district)",
        "ALTER TABLE community ADD COLUMN latitude DOUBLE PRECISION DEFAULT null",
        "ALTER TABLE community ADD COLUMN longitude DOUBLE PRECISION DEFAULT null",
        "ALTER TABLE community ADD COLUMN retired_at TIMESTAMPTZ DEFAULT null",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="stations", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in statements(isinstance(db, PostgresEngine)):
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
