"""The reminder of a 进建商 resolution falling due, run by a scheduled job that claims its
run in ``job_run``: on the resolution's due day (from ``REMIND_HOUR`` local time in the
session's community) its owner is told, or the station's heads when the owner is gone
(no owner, or an account deactivated without a handover).

Each reminder is claimed by a ``council_reminder`` row (unique resolution and due day) in
the transaction that sends it, so two processes running the job at the same moment send
it once, and a later run never again. A run looks back ``CATCH_UP`` for what it missed
while nothing ran; what is older stays on the overdue list (``/councils/overdue``)
without a message. Resolutions done (by their owner or by the ledger) are never reminded.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portal.audit.rules import record
from portal.councils.tables import CouncilResolution
from portal.db import engine, fetch, true, write_transaction
from portal.notifications.rules import When, notify
from portal.web.i18n import N_

REMIND_HOUR = 8  # local time, like the other reminders
CATCH_UP = dt.timedelta(days=7)
LIMIT = 500


def _day(value: dt.date):
    from piccolo.engine.postgres import PostgresEngine

    return value if isinstance(engine(), PostgresEngine) else value.isoformat()


def _as_date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


async def _claim(resolution_id: int, due_on: dt.date, at: dt.datetime) -> bool:
    return bool(await fetch(
        "INSERT INTO council_reminder (resolution, due_on, created_at) VALUES ({}, {}, {}) ON CONFLICT (resolution, due_on) DO NOTHING RETURNING id",
        resolution_id, _day(due_on), at,
    ))


async def _told(owner: int | None, station_id: int) -> tuple[list[int], str]:
    """The owner while their account is active; otherwise the station's active heads."""
    if owner:
        rows = await fetch(f"SELECT id FROM portal_user WHERE id = {{}} AND active = {true()}", owner)
        if rows:
            return [owner], "owner"
    rows = await fetch(
        f"SELECT DISTINCT g.\"user\" AS id FROM role_grant g JOIN portal_user u ON u.id = g.\"user\" WHERE g.role = 'head' AND g.station = {{}} AND u.active = {true()} ORDER BY 1",
        station_id,
    )
    return [r["id"] for r in rows], "heads"


async def remind_resolutions_due(now: dt.datetime, limit: int = LIMIT) -> int:
    """Tell the owner of every open resolution whose due day has come in its session's
    community (and not more than CATCH_UP ago), once per resolution and due day."""
    first = (now - CATCH_UP - dt.timedelta(days=1)).date()
    last = (now + dt.timedelta(days=1)).date()  # the zones ahead of UTC are on the next day
    rows = await fetch(
        "SELECT r.id, r.session, r.seq, r.owner, r.due_on, s.station, s.topic, c.timezone FROM council_resolution r "
        "JOIN council_session s ON s.id = r.session JOIN community c ON c.id = s.community "
        "WHERE r.status = 'open' AND r.due_on >= {} AND r.due_on <= {} "
        "AND NOT EXISTS (SELECT 1 FROM council_reminder m WHERE m.resolution = r.id AND m.due_on = r.due_on) "
        f"ORDER BY r.due_on, r.id LIMIT {int(limit)}",
        _day(first), _day(last),
    )
    done = 0
    for row in rows:
        due = _as_date(row["due_on"])
        local = now.astimezone(ZoneInfo(row["timezone"]))
        if local.date() < due or (local.date() == due and local.hour < REMIND_HOUR) or local.date() - due > CATCH_UP:
            continue
        async with write_transaction():
            still = await CouncilResolution.select(CouncilResolution.status, CouncilResolution.owner).where(CouncilResolution.id == row["id"]).first().run()
            if not still or still["status"] != "open" or not await _claim(row["id"], due, now):
                continue
            told, to = await _told(still["owner"], row["station"])
            for person in told:
                await notify(
                    person, "council.due", N_("Resolution due: %(topic)s, matter %(number)s"),
                    N_("Matter %(number)s decided at the session \"%(topic)s\" is to be done by %(day)s. Record what was done, or see to it."),
                    f"/councils/{row['session']}#resolution-{row['id']}", dedupe_key=f"council-due:{row['id']}:{due.isoformat()}:{person}",
                    topic=row["topic"], number=row["seq"], day=When(due, purpose="day"),
                )
            await record("council.resolution_reminded", "council_resolution", row["id"], after={"due_on": due, "told": len(told), "to": to})
        done += 1
    return done
