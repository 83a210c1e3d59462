"""The generalised place of the field logs written before logs with only a position got
one: where the address gave nothing (``place`` is "") and the log has a position, the
grid cell of the position (``portal.logs.places.near``).

Read a batch at a time in id order and written back with one UPDATE per cell, as the
migration that added ``place``; the schema is unchanged.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.querystring import QueryString

from portal.db import engine
from portal.logs.places import near

ID = "2026-12-03T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "generalised place of field logs with only a position"
BATCH = 1000


async def backfill(batch: int = BATCH) -> int:
    """Give a place to the logs with a position and none; returns how many got one."""
    db = engine()
    last_id, filled = 0, 0
    while True:
        rows = await db.run_querystring(QueryString(
            "SELECT id, latitude, longitude FROM field_log WHERE id > {} AND place = '' AND latitude IS NOT NULL AND longitude IS NOT NULL "
            f"ORDER BY id LIMIT {int(batch)}", last_id,
        ))
        if not rows:
            return filled
        last_id = rows[-1]["id"]
        by_place: dict[str, list[int]] = {}
        for row in rows:
            place = near(float(row["latitude"]), float(row["longitude"]))
            if place:
                by_place.setdefault(place, []).append(int(row["id"]))
        for place, ids in by_place.items():
            await db.run_querystring(QueryString(f"UPDATE field_log SET place = {{}} WHERE id IN ({', '.join(map(str, ids))})", place))
            filled += len(ids)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="logs", description=DESCRIPTION)
    manager.add_raw(backfill)
    return manager
