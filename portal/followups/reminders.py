"""The reminders, each run by a scheduled job that claims its run in ``job_run``:

- on the day of a mediation's follow-up (from ``REMIND_HOUR`` local time), its author and
  the community's officers are told;
- the day after a rectification notice's deadline (from ``REMIND_HOUR``), when the hazard
  is still not reported fixed, the community's officers and the notice's issuer are told.

Each reminder is claimed by a ``follow_up_reminder`` row (unique kind and ref) in the
transaction that sends it, so two processes running a job at the same moment send it
once, and a later run never again. A run looks back ``CATCH_UP`` for what it missed
while nothing ran; what is older stays on the overdue lists without a message.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

from portal.accounts.tables import RoleGrant
from portal.audit.rules import record
from portal.db import write_transaction
from portal.followups.tables import FollowUpReminder, RectificationNotice
from portal.logs.tables import FieldLog
from portal.notifications.rules import When, notify
from portal.web.i18n import N_

REMIND_HOUR = 8  # local time: nobody is woken at midnight by a follow-up
CATCH_UP = dt.timedelta(days=7)
LIMIT = 500
NOT_FIXED = ("rectification_requested", "reopened")


async def officers_of(community_id: int) -> list[int]:
    rows = await RoleGrant.select(RoleGrant.user).where((RoleGrant.role == "officer") & (RoleGrant.community == community_id) & (RoleGrant.user.active == True)).run()  # noqa: E712
    return sorted({r["user"] for r in rows})


def _claimed(kind: str) -> QueryString:
    return QueryString(f"SELECT r.ref FROM follow_up_reminder r WHERE r.kind = '{kind}'")


def _due(local: dt.datetime, day: dt.date) -> bool:
    """The reminder of ``day`` is due at ``local``: the day has come, from REMIND_HOUR."""
    return local.date() > day or (local.date() == day and local.hour >= REMIND_HOUR)


async def _claim(kind: str, ref: int, at: dt.datetime) -> bool:
    rows = await FollowUpReminder.raw(
        "INSERT INTO follow_up_reminder (kind, ref, created_at) VALUES ({}, {}, {}) ON CONFLICT (kind, ref) DO NOTHING RETURNING id", kind, ref, at,
    ).run()
    return bool(rows)


async def remind_follow_ups(now: dt.datetime, limit: int = LIMIT) -> int:
    """Tell the author and the officers of every mediation whose follow-up day has come
    in its community (and not more than CATCH_UP ago), unless recorded or told before."""
    first = (now - CATCH_UP - dt.timedelta(days=1)).date()
    last = (now + dt.timedelta(days=1)).date()  # the zones ahead of UTC are on the next day
    rows = await FieldLog.select(FieldLog.id, FieldLog.community, FieldLog.author, FieldLog.follow_up_on, FieldLog.community.timezone).where(
        (FieldLog.kind == "mediation") & (FieldLog.status != "duplicate") & (FieldLog.follow_up_on >= first) & (FieldLog.follow_up_on <= last)
        & FieldLog.id.not_in(QueryString("SELECT m.log FROM mediation_follow_up m")) & FieldLog.id.not_in(_claimed("mediation_due"))
    ).order_by(FieldLog.follow_up_on).order_by(FieldLog.id).limit(limit).run()
    done = 0
    for row in rows:
        local = now.astimezone(ZoneInfo(row["community.timezone"]))
        if not _due(local, row["follow_up_on"]) or local.date() - row["follow_up_on"] > CATCH_UP:
            continue
        async with write_transaction():
            if not await _claim("mediation_due", row["id"], now):
                continue
            await record("followup.reminded", "field_log", row["id"], after={"follow_up_on": row["follow_up_on"]})
            people = set(await officers_of(row["community"])) | ({row["author"]} if row["author"] else set())
            for person in sorted(people):
                await notify(
                    person, "followup.due", N_("Follow-up due: mediation #%(id)s"), N_("Today is the follow-up of this mediation: ask the parties whether the agreement holds, then record it."),
                    f"/followups/{row['id']}/record", dedupe_key=f"followup-due:{row['id']}:{person}", id=row["id"],
                )
        done += 1
    return done


async def chase_overdue_notices(now: dt.datetime, limit: int = LIMIT) -> int:
    """Tell the officers of the community and the issuer about every notice in force
    whose deadline passed (the day after, from REMIND_HOUR) while its hazard waits for
    the fix; once per notice."""
    rows = await RectificationNotice.select(
        RectificationNotice.id, RectificationNotice.number, RectificationNotice.community, RectificationNotice.issued_by, RectificationNotice.due_on,
        RectificationNotice.party, RectificationNotice.log, RectificationNotice.community.timezone,
    ).where(
        RectificationNotice.withdrawn_at.is_null() & (RectificationNotice.due_at <= now) & (RectificationNotice.due_at > now - CATCH_UP - dt.timedelta(days=1))
        & RectificationNotice.log.hazard_stage.is_in(list(NOT_FIXED)) & RectificationNotice.id.not_in(_claimed("notice_overdue"))
    ).order_by(RectificationNotice.due_at).order_by(RectificationNotice.id).limit(limit).run()
    done = 0
    for row in rows:
        local = now.astimezone(ZoneInfo(row["community.timezone"]))
        if not _due(local, row["due_on"] + dt.timedelta(days=1)):
            continue
        async with write_transaction():
            if not await _claim("notice_overdue", row["id"], now):
                continue
            await record("rectification.overdue", "rectification_notice", row["id"], after={"due_on": row["due_on"]})
            people = set(await officers_of(row["community"])) | ({row["issued_by"]} if row["issued_by"] else set())
            for person in sorted(people):
                await notify(
                    person, "rectification.overdue", N_("Rectification overdue: %(number)s"),
                    N_("%(party)s was to fix the hazard of notice %(number)s by %(day)s and has not reported it fixed. Check on it."),
                    f"/rectification/{row['id']}", dedupe_key=f"rectification-overdue:{row['id']}:{person}", number=row["number"], party=row["party"], day=When(row["due_on"], purpose="day"),
                )
        done += 1
    return done
