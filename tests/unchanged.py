"""One check for every refused change: the rows it aimed at are exactly as they were
(every column), their tables gained or lost no row, and no audit row or notification was
written. A status code or an exception alone would pass a refusal that still wrote.

    async with nothing_changes((FieldLog, log_id)):
        assert (await post_form(outsider, f"/logs/{log_id}/hazard", {"to": "confirmed"})).status_code == 404

A target is ``(Table, id)`` or ``(Table, where-clause)``; ``also`` names more tables whose
row count must stay (a timeline, notes, queued mail).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from portal.audit.tables import AuditEntry
from portal.notifications.tables import Notification

ALWAYS = (AuditEntry, Notification)


async def _rows(table, where) -> list[dict]:
    clause = table.id == where if isinstance(where, int) else where
    return await table.select().where(clause).order_by(table.id).run()


async def snapshot(*targets, also=()) -> dict:
    """The targets' rows and the row counts of their tables, ``also`` and ALWAYS."""
    rows = {}
    for number, (table, where) in enumerate(targets):
        found = await _rows(table, where)
        assert found, f"{table.__name__}: the target of the check matches no row"
        rows[(number, table.__name__)] = found
    tables = {table for table, _ in targets} | set(also) | set(ALWAYS)
    counts = {table.__name__: await table.count().run() for table in sorted(tables, key=lambda t: t.__name__)}
    return {"rows": rows, "counts": counts}


@asynccontextmanager
async def nothing_changes(*targets, also=()):
    """Assert that the block (a refused change) left the targets and the counts alone."""
    before = await snapshot(*targets, also=also)
    yield
    after = await snapshot(*targets, also=also)
    assert after["counts"] == before["counts"], ("rows were added or removed", before["counts"], after["counts"])
    for key, rows in before["rows"].items():
        assert after["rows"][key] == rows, (key, rows, after["rows"][key])
