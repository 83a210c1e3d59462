"""Mediation follow-ups: the mediations whose follow-up date has come (the tasks of their
author and of the community's officers), recording the follow-up once with its result
and day, and the counts the home pages show.

A mediation has a follow-up when its log names a date (``field_log.follow_up_on``) and
is not a duplicate; it is done when a ``mediation_follow_up`` row exists. The lists take
"today" in the portal's zone (as the overview does); the reminders take each community's.
Audit rows: ``followup.recorded`` on the log (object type ``field_log``), so the log's
history shows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

from portal.accounts.rules import Actor
from portal.audit.rules import record
from portal.db import write_transaction
from portal.followups.tables import RESULTS, MediationFollowUp
from portal.logs.tables import FieldLog
from portal.notifications.rules import Translated, notify
from portal.web.i18n import N_
from portal.web.i18n import gettext as _
from portal.web.pagination import Page

NOTE_MAX = 2000
PAGE_SIZE = 50
DONE = QueryString("SELECT m.log FROM mediation_follow_up m")


class FollowUpError(Exception):
    """A rule refused the input; ``field`` names the form field the message belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def local_day(moment: dt.datetime, zone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(zone)).date()


def _reach(actor: Actor):
    """Mediations the actor follows up: their own, and those of the communities they
    oversee as officer or head (None: every one, an administrator)."""
    scope = actor.communities("officer")
    if scope is None:
        return None
    mine = FieldLog.author == actor.id
    return (FieldLog.community.is_in(sorted(scope)) | mine) if scope else mine


def _pending():
    return (FieldLog.kind == "mediation") & FieldLog.follow_up_on.is_not_null() & (FieldLog.status != "duplicate") & FieldLog.id.not_in(DONE)


TASK_COLUMNS = (
    FieldLog.id, FieldLog.community, FieldLog.author, FieldLog.category, FieldLog.outcome, FieldLog.occurred_at, FieldLog.follow_up_on,
    FieldLog.community.name_zh, FieldLog.community.name_en, FieldLog.community.timezone, FieldLog.author.real_name,
)


def cursor_of(row: dict) -> str:
    return f"{row['follow_up_on'].isoformat()}.{row['id']}"


def parse_cursor(text: str | None) -> tuple[dt.date, int] | None:
    day, _sep, row_id = (text or "").partition(".")
    try:
        return dt.date.fromisoformat(day), int(row_id)
    except ValueError:
        return None


async def tasks_page(actor: Actor, show: str, today: dt.date, after: str | None = None, size: int = PAGE_SIZE) -> Page:
    """The actor's follow-ups: ``todo`` (due today or before), ``overdue`` (before
    today), ``upcoming`` (after today), soonest first; ``done``, the latest recorded first."""
    reach = _reach(actor)
    if show == "done":
        return await _done_page(actor, after, size)
    where = _pending()
    if reach is not None:
        where &= reach
    where &= {"todo": FieldLog.follow_up_on <= today, "overdue": FieldLog.follow_up_on < today}.get(show, FieldLog.follow_up_on > today)
    position = parse_cursor(after)
    if position:
        day, last = position
        where &= (FieldLog.follow_up_on > day) | ((FieldLog.follow_up_on == day) & (FieldLog.id > last))
    rows = await FieldLog.select(*TASK_COLUMNS).where(where).order_by(FieldLog.follow_up_on).order_by(FieldLog.id).limit(size + 1).run()
    more = len(rows) > size
    rows = rows[:size]
    for row in rows:
        row["overdue"] = row["follow_up_on"] < today
    return Page(rows=rows, next_after=cursor_of(rows[-1]) if more and rows else None)


async def _done_page(actor: Actor, after: str | None, size: int) -> Page:
    scope = actor.communities("officer")
    query = MediationFollowUp.select(
        MediationFollowUp.id, MediationFollowUp.log, MediationFollowUp.result, MediationFollowUp.followed_up_on, MediationFollowUp.note,
        MediationFollowUp.log.follow_up_on, MediationFollowUp.log.category, MediationFollowUp.log.occurred_at, MediationFollowUp.log.author,
        MediationFollowUp.community.name_zh, MediationFollowUp.community.name_en, MediationFollowUp.community.timezone, MediationFollowUp.recorded_by.real_name,
    )
    if scope is not None:
        mine = MediationFollowUp.log.author == actor.id
        query = query.where((MediationFollowUp.community.is_in(sorted(scope)) | mine) if scope else mine)
    if after and after.isdigit():
        query = query.where(MediationFollowUp.id < int(after))
    rows = await query.order_by(MediationFollowUp.id, ascending=False).limit(size + 1).run()
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_after=str(rows[-1]["id"]) if more and rows else None)


async def counts(actor: Actor, today: dt.date) -> dict[str, int]:
    """For the home pages: the actor's follow-ups due today and overdue."""
    where = _pending() & (FieldLog.follow_up_on <= today)
    reach = _reach(actor)
    if reach is not None:
        where &= reach
    rows = await FieldLog.select(FieldLog.follow_up_on).where(where).limit(1000).run()
    overdue = sum(1 for r in rows if r["follow_up_on"] < today)
    return {"due_today": len(rows) - overdue, "overdue": overdue}


# --- One follow-up ------------------------------------------------------------------------

LOG_COLUMNS = (
    FieldLog.id, FieldLog.kind, FieldLog.community, FieldLog.author, FieldLog.status, FieldLog.category, FieldLog.outcome, FieldLog.occurred_at,
    FieldLog.follow_up_on, FieldLog.agreement, FieldLog.community.name_zh, FieldLog.community.name_en, FieldLog.community.timezone, FieldLog.author.real_name,
)


def may_follow_up(actor: Actor, log: dict) -> bool:
    """The author and the community's officers and station head (not the heads above,
    who read: their reach on a change is nothing)."""
    return log["kind"] == "mediation" and (log["author"] == actor.id or actor.reaches(log["community"], "officer"))


async def mediation_for(actor: Actor, log_id: int) -> dict | None:
    """The mediation with its follow-up (``followed``: the recorded row or None), if the
    actor may follow it up; None otherwise."""
    log = await FieldLog.select(*LOG_COLUMNS).where(FieldLog.id == log_id).first().run()
    if not log or not may_follow_up(actor, log):
        return None
    log["followed"] = await recorded(log_id)
    return log


async def recorded(log_id: int) -> dict | None:
    return await MediationFollowUp.select(
        MediationFollowUp.id, MediationFollowUp.result, MediationFollowUp.followed_up_on, MediationFollowUp.note, MediationFollowUp.created_at,
        MediationFollowUp.recorded_by, MediationFollowUp.recorded_by.real_name,
    ).where(MediationFollowUp.log == log_id).first().run()


@dataclass(frozen=True)
class Recorded:
    follow_up_id: int
    new: bool


async def record_follow_up(actor: Actor, log_id: int, result: str, day: dt.date | None, note: str = "", moment: dt.datetime | None = None) -> Recorded | None:
    """Record the mediation's follow-up once. None when the actor may not (the page
    answers 404); the same follow-up sent again answers as the first did."""
    moment = moment or utcnow()
    note = (note or "").strip()
    async with write_transaction():
        log = await FieldLog.select(*LOG_COLUMNS).where(FieldLog.id == log_id).first().run()
        if not log or not may_follow_up(actor, log):
            return None
        if result not in RESULTS:
            raise FollowUpError("result", _("Choose one of the options."))
        if day is None:
            raise FollowUpError("followed_up_on", _("Give the date of the follow-up."))
        zone = log["community.timezone"]
        if day > local_day(moment, zone):
            raise FollowUpError("followed_up_on", _("This date is in the future."))
        if day < local_day(log["occurred_at"], zone):
            raise FollowUpError("followed_up_on", _("The follow-up cannot come before the mediation."))
        if len(note) > NOTE_MAX:
            raise FollowUpError("note", _("Use at most %(max)d characters.", max=NOTE_MAX))
        rows = await MediationFollowUp.raw(
            "INSERT INTO mediation_follow_up (log, community, result, followed_up_on, note, recorded_by, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}) ON CONFLICT (log) DO NOTHING RETURNING id",
            log_id, log["community"], result, day, note, actor.id, moment,
        ).run()
        if not rows:
            first = await recorded(log_id)
            if first and (first["recorded_by"], first["result"], first["followed_up_on"]) == (actor.id, result, day):
                return Recorded(first["id"], False)  # a double submit
            raise FollowUpError("result", _("The follow-up of this mediation is already recorded."))
        after = {"result": result, "followed_up_on": day, "note": note}
        await record("followup.recorded", "field_log", log_id, actor=actor, after=after)
    if result != "held":
        from portal.followups.reminders import officers_of

        for officer in await officers_of(log["community"]):
            if officer != actor.id:
                await notify(
                    officer, "followup.recorded", N_("Mediation #%(id)s: %(result)s"), N_("The follow-up of the mediation was recorded by %(name)s."),
                    f"/logs/{log_id}", dedupe_key=f"followup-recorded:{log_id}:{officer}", id=log_id, result=Translated(_result_msgid(result)), name=actor.real_name or actor.username,
                )
    return Recorded(rows[0]["id"], True)


def _result_msgid(result: str) -> str:
    from portal.followups.labels import RESULT_LABELS

    return RESULT_LABELS[result]
