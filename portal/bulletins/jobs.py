"""The bulletin jobs: compile due weeks (Monday 06:00 in each community's zone, catching
up missed weeks) and mail published bulletins to subscribers."""

from __future__ import annotations

import datetime as dt

from portal.bulletins import rules
from portal.jobs.runner import Job
from portal.settings import Settings


async def compile_bulletins(now: dt.datetime, settings: Settings) -> int:
    return await rules.compile_due(now, settings.bulletin_catch_up_weeks)


async def mail_bulletins(now: dt.datetime, settings: Settings) -> int:
    return await rules.mail_published(settings, now)


JOBS = [
    # Every 10 minutes: a week is compiled within 10 minutes of Monday 06:00 local, and the
    # per-week unique index (not the tick) makes it happen once.
    Job("bulletins.compile", dt.timedelta(minutes=10), compile_bulletins),
    Job("bulletins.mail", dt.timedelta(minutes=5), mail_bulletins),
]
