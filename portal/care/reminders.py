"""The reminder of a home visit due, run by a scheduled job that claims its run in
``job_run``: on the visit's day (from ``REMIND_HOUR`` local time) the volunteers asked to
visit the person are told, or the community's officers and station head when nobody is.

Each reminder is claimed by a ``care_reminder`` row (unique person and day) in the
transaction that sends it, so two processes running the job at the same moment send it
once, and a later run never again. A run looks back ``CATCH_UP`` for what it missed while
nothing ran; what is older stays on the overdue list without a message. The messages
never name the person: the link leads to the page that may.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portal.audit.rules import record
from portal.care.rules import as_date
from portal.db import engine, fetch, true, write_transaction
from portal.notifications.rules import notify
from portal.web.i18n import N_

REMIND_HOUR = 8  # local time: nobody is woken at midnight by a visit due
CATCH_UP = dt.timedelta(days=7)
LIMIT = 500


def _day(value: dt.date):
    from piccolo.engine.postgres import PostgresEngine

    return value if isinstance(engine(), PostgresEngine) else value.isoformat()


async def _visitors(person_id: int, community_id: int) -> list[int]:
    rows = await fetch(
        'SELECT a.volunteer FROM care_assignment a JOIN volunteer_profile vp ON vp."user" = a.volunteer JOIN portal_user u ON u.id = a.volunteer '
        f"WHERE a.person = {{}} AND vp.community = {{}} AND vp.status = 'verified' AND u.active = {true()} ORDER BY a.volunteer",
        person_id, community_id,
    )
    return [r["volunteer"] for r in rows]


async def _claim(person_id: int, due_on: dt.date, at: dt.datetime) -> bool:
    return bool(await fetch(
        "INSERT INTO care_reminder (person, due_on, created_at) VALUES ({}, {}, {}) ON CONFLICT (person, due_on) DO NOTHING RETURNING id", person_id, _day(due_on), at,
    ))


async def remind_visits_due(now: dt.datetime, limit: int = LIMIT) -> int:
    """Tell whoever visits each person whose visit day has come in their community (and
    not more than CATCH_UP ago), once per person and day."""
    first = (now - CATCH_UP - dt.timedelta(days=1)).date()
    last = (now + dt.timedelta(days=1)).date()  # the zones ahead of UTC are on the next day
    rows = await fetch(
        "SELECT p.id, p.community, p.next_due_on, c.timezone FROM care_person p JOIN community c ON c.id = p.community "
        "WHERE p.ended_on IS NULL AND p.next_due_on >= {} AND p.next_due_on <= {} "
        "AND NOT EXISTS (SELECT 1 FROM care_reminder r WHERE r.person = p.id AND r.due_on = p.next_due_on) "
        f"ORDER BY p.next_due_on, p.id LIMIT {int(limit)}",
        _day(first), _day(last),
    )
    done = 0
    for row in rows:
        due = as_date(row["next_due_on"])
        local = now.astimezone(ZoneInfo(row["timezone"]))
        if local.date() < due or (local.date() == due and local.hour < REMIND_HOUR) or local.date() - due > CATCH_UP:
            continue
        async with write_transaction():
            if not await _claim(row["id"], due, now):
                continue
            visitors = await _visitors(row["id"], row["community"])
            if visitors:
                for person in visitors:
                    await notify(
                        person, "care.due", N_("A home visit is due"), N_("Today is the day to visit the person you were asked to visit. Record how they are afterwards."),
                        f"/care/assigned/{row['id']}", dedupe_key=f"care-due:{row['id']}:{due.isoformat()}:{person}",
                    )
                told = visitors
            else:
                from portal.ledger.rules import officers_of

                told = [officer["id"] for officer in await officers_of(row["community"])]
                for person in told:
                    await notify(
                        person, "care.due", N_("A home visit is due"), N_("Today is the day of a home visit, and no volunteer is asked to make it: visit the person or ask a volunteer."),
                        f"/care/{row['id']}", dedupe_key=f"care-due:{row['id']}:{due.isoformat()}:{person}",
                    )
            await record("care.reminded", "care_person", row["id"], after={"due_on": due, "told": len(told), "to": "volunteers" if visitors else "officers"})
        done += 1
    return done
