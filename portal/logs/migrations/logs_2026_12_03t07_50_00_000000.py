"""The generalised place of a field log (``field_log.place``: the street or area of its
address, never the door), filled for the logs written before it, and the index the
bulletins' hot spots are read from (both engines).

The old logs are read a batch at a time in id order (only those with an address) and
each batch is written back with one UPDATE per place, so the table is never held in memory.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.querystring import QueryString

from portal.db import engine
from portal.logs.places import generalise

ID = "2026-12-03T07:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "generalised place of field logs"
BATCH = 1000

# The hot spots of a week: per community, hazards and help requests in a time range,
# grouped by watch point, landmark or place, read from the index alone.
INDEX = "CREATE INDEX IF NOT EXISTS bulletin_field_log_hotspot_week ON field_log (community, kind, occurred_at, status, watch_point, landmark, place)"


async def add_column() -> None:
    await engine().run_ddl("ALTER TABLE field_log ADD COLUMN place VARCHAR(200) NOT NULL DEFAULT ''")


async def backfill(batch: int = BATCH) -> int:
    """Fill ``place`` of the logs that have an address; returns how many got one."""
    db = engine()
    last_id, filled = 0, 0
    while True:
        rows = await db.run_querystring(QueryString(
            f"SELECT id, address FROM field_log WHERE id > {{}} AND address <> '' ORDER BY id LIMIT {int(batch)}", last_id,
        ))
        if not rows:
            return filled
        last_id = rows[-1]["id"]
        by_place: dict[str, list[int]] = {}
        for row in rows:
            place = generalise(row["address"])
            if place:
                by_place.setdefault(place, []).append(int(row["id"]))
        # One UPDATE per place of the batch (a batch's logs share a few streets).
        for place, ids in by_place.items():
            await db.run_querystring(QueryString(f"UPDATE field_log SET place = {{}} WHERE id IN ({', '.join(map(str, ids))})", place))
            filled += len(ids)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="logs", description=DESCRIPTION)

    async def run():
        await add_column()
        await backfill()
        await engine().run_ddl(INDEX)

    manager.add_raw(run)
    return manager
