"""The ledger jobs: escalate overdue stages to the station head; remind about and
finally close feedback the person never answered; e-mail the people who raised items."""

from __future__ import annotations

import datetime as dt

from portal.jobs.runner import Job
from portal.ledger import rules
from portal.settings import Settings


async def overdue(now: dt.datetime, settings: Settings) -> int:
    return await rules.escalate_overdue(now)


async def feedback(now: dt.datetime, settings: Settings) -> int:
    return await rules.feedback_fallback(now, rules.Policy.from_settings(settings))


async def mail(now: dt.datetime, settings: Settings) -> int:
    """E-mails to the people who raised items (nothing without ``PORTAL_SMTP_URL``)."""
    from portal.ledger.mail import deliver_pending

    return await deliver_pending(settings, now)


JOBS = [
    Job("ledger.overdue", dt.timedelta(minutes=15), overdue),
    Job("ledger.feedback", dt.timedelta(minutes=30), feedback),
    Job("ledger.mail", dt.timedelta(minutes=1), mail),
]
