"""The ledger jobs: escalate overdue stages to the station head; remind about and
finally close feedback the person never answered."""

from __future__ import annotations

import datetime as dt

from portal.jobs.runner import Job
from portal.ledger import rules
from portal.settings import Settings


async def overdue(now: dt.datetime, settings: Settings) -> int:
    return await rules.escalate_overdue(now)


async def feedback(now: dt.datetime, settings: Settings) -> int:
    return await rules.feedback_fallback(now, rules.Policy.from_settings(settings))


JOBS = [
    Job("ledger.overdue", dt.timedelta(minutes=15), overdue),
    Job("ledger.feedback", dt.timedelta(minutes=30), feedback),
]
