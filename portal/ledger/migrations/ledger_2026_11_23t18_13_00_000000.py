"""Fill the figures' month keys and days to close of the items filed before they were
stored, and index the grouped figure queries (both engines)."""

import datetime as dt
from zoneinfo import ZoneInfo

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.querystring import QueryString

from portal.db import engine

ID = "2026-11-23T18:13:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger figures in SQL: month keys and their indexes"
BATCH = 1000

STATEMENTS = [
    # The figures read these indexes only: filed per month and ledger, closed per month,
    # ledger and stage with the days to close (median), per community or station.
    "DROP INDEX IF EXISTS ledger_item_community_created",
    "DROP INDEX IF EXISTS ledger_item_station_created",
    "DROP INDEX IF EXISTS ledger_item_community_closed",
    "DROP INDEX IF EXISTS ledger_item_station_closed",
    "CREATE INDEX IF NOT EXISTS ledger_item_community_filed_month ON ledger_item (community, created_at, filed_month, ledger, stage)",
    "CREATE INDEX IF NOT EXISTS ledger_item_station_filed_month ON ledger_item (station, created_at, filed_month, ledger, stage)",
    "CREATE INDEX IF NOT EXISTS ledger_item_community_closed_month ON ledger_item (community, closed_at, closed_month, ledger, stage, close_days)",
    "CREATE INDEX IF NOT EXISTS ledger_item_station_closed_month ON ledger_item (station, closed_at, closed_month, ledger, stage, close_days)",
    # The same without a community (an admin's figures of every station).
    "CREATE INDEX IF NOT EXISTS ledger_item_filed_month ON ledger_item (created_at, filed_month, ledger, stage)",
    "CREATE INDEX IF NOT EXISTS ledger_item_closed_month ON ledger_item (closed_at, closed_month, ledger, stage, close_days)",
    # Open items by age on the dashboard.
    "CREATE INDEX IF NOT EXISTS ledger_item_community_stage_created ON ledger_item (community, stage, created_at)",
    "CREATE INDEX IF NOT EXISTS ledger_mail_unsent ON ledger_mail (sent_at, id)",
]


def _utc(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


async def backfill() -> None:
    """Items without a month key, a batch at a time in id order."""
    db = engine()
    last_id = 0
    while True:
        rows = await db.run_querystring(QueryString(
            "SELECT i.id, i.stage, i.created_at, i.closed_at, c.timezone FROM ledger_item i JOIN community c ON c.id = i.community "
            "WHERE i.id > {} AND i.filed_month = '' ORDER BY i.id LIMIT {}", last_id, BATCH,
        ))
        if not rows:
            return
        for row in rows:
            zone = ZoneInfo(row["timezone"] or "Asia/Shanghai")
            created = _utc(row["created_at"])
            closed_month, days = None, None
            if row["closed_at"] is not None and row["stage"].startswith("closed"):
                closed = _utc(row["closed_at"])
                closed_month = closed.astimezone(zone).strftime("%Y-%m")
                days = round((closed - created).total_seconds() / 86400, 4)
            await db.run_querystring(QueryString(
                "UPDATE ledger_item SET filed_month = {}, closed_month = {}, close_days = {} WHERE id = {}",
                created.astimezone(zone).strftime("%Y-%m"), closed_month, days, row["id"],
            ))
        last_id = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        await backfill()
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
