"""The follow-ups' jobs: remind on a mediation's follow-up day, chase a rectification the
day after its deadline. Every 15 minutes: the claims, not the tick, make each reminder
go once, and a start-up run catches up what was missed."""

from __future__ import annotations

import datetime as dt

from portal.followups import reminders
from portal.jobs.runner import Job
from portal.settings import Settings


async def follow_ups_due(now: dt.datetime, settings: Settings) -> int:
    return await reminders.remind_follow_ups(now)


async def rectifications_overdue(now: dt.datetime, settings: Settings) -> int:
    return await reminders.chase_overdue_notices(now)


JOBS = [
    Job("followups.mediation_due", dt.timedelta(minutes=15), follow_ups_due),
    Job("followups.rectification_overdue", dt.timedelta(minutes=15), rectifications_overdue),
]
