"""The daily retention job (claimed in the database: one run per day however many
processes tick)."""

from __future__ import annotations

import datetime as dt

from portal.jobs.runner import Job
from portal.retention import rules
from portal.settings import Settings


async def retention(now: dt.datetime, settings: Settings) -> int:
    return sum((await rules.purge(now, rules.Policy.from_settings(settings))).values())


JOBS = [Job("retention.purge", dt.timedelta(days=1), retention)]
