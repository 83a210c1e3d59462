"""The care visits' job: remind whoever visits a person on the visit's day. Every 15
minutes: the claims, not the tick, make each reminder go once, and a start-up run
catches up what was missed."""

from __future__ import annotations

import datetime as dt

from portal.care import reminders
from portal.jobs.runner import Job
from portal.settings import Settings


async def visits_due(now: dt.datetime, settings: Settings) -> int:
    return await reminders.remind_visits_due(now)


JOBS = [Job("care.visits_due", dt.timedelta(minutes=15), visits_due)]
