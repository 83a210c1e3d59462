"""``record()``: the one function every change of state calls, inside its transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.audit.tables import AuditEntry
from portal.db import insert_row


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


async def record(
    action: str,
    object_type: str,
    object_id: Any = "",
    *,
    actor: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    ip: str = "",
) -> None:
    """Write one audit row. ``actor`` is an ``Actor``, a ``User`` or None (the system)."""
    actor_id = getattr(actor, "id", None)
    actor_label = getattr(actor, "username", "") or ("system" if actor is None else "")
    await insert_row(AuditEntry, {
        "actor": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": _jsonable(before) if before is not None else None,
        "after": _jsonable(after) if after is not None else None,
        "ip": ip[:64],
    }, returning=None)


async def record_many(entries: list[tuple[str, str, Any, dict | None]]) -> None:
    """System audit rows ``(action, object_type, object_id, after)`` in one INSERT, inside
    the caller's transaction: what a batch of changes (a week's bulletins) writes."""
    if entries:
        await AuditEntry.insert(*[
            AuditEntry(actor=None, actor_label="system", action=action, object_type=object_type, object_id=str(object_id),
                       before=None, after=_jsonable(after) if after is not None else None, ip="")
            for action, object_type, object_id, after in entries
        ]).run()


async def entries_for(object_type: str, object_id: Any, limit: int = 50) -> list[dict]:
    return (
        await AuditEntry.select()
        .where((AuditEntry.object_type == object_type) & (AuditEntry.object_id == str(object_id)))
        .order_by(AuditEntry.id, ascending=False)
        .limit(limit)
        .run()
    )
