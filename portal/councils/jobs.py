"""进建商's job: remind a resolution's owner on its due day. Every 15 minutes: the claims,
not the tick, make each reminder go once, and a start-up run catches up what was missed."""

from __future__ import annotations

import datetime as dt

from portal.councils import reminders
from portal.jobs.runner import Job
from portal.settings import Settings


async def resolutions_due(now: dt.datetime, settings: Settings) -> int:
    return await reminders.remind_resolutions_due(now)


JOBS = [Job("councils.resolutions_due", dt.timedelta(minutes=15), resolutions_due)]
