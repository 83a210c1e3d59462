"""The shift jobs: keep rosters filled, expire waitlist offers, remind, alert."""

from __future__ import annotations

import datetime as dt

from portal.jobs.runner import Job
from portal.settings import Settings
from portal.shifts import rules


async def fill_rosters(now: dt.datetime, settings: Settings) -> int:
    return await rules.fill_horizon(now)


async def expire_offers(now: dt.datetime, settings: Settings) -> int:
    return await rules.expire_offers(now, rules.Policy.from_settings(settings))


async def remind(now: dt.datetime, settings: Settings) -> int:
    return await rules.send_reminders(now, rules.Policy.from_settings(settings))


async def understaffed(now: dt.datetime, settings: Settings) -> int:
    return await rules.alert_understaffed(now, rules.Policy.from_settings(settings))


async def overdue(now: dt.datetime, settings: Settings) -> int:
    return await rules.alert_overdue(now, rules.Policy.from_settings(settings))


JOBS = [
    Job("shifts.fill_rosters", dt.timedelta(hours=1), fill_rosters),
    Job("shifts.expire_offers", dt.timedelta(minutes=1), expire_offers),
    Job("shifts.reminders", dt.timedelta(minutes=5), remind),
    Job("shifts.understaffed", dt.timedelta(minutes=15), understaffed),
    Job("shifts.overdue_checkout", dt.timedelta(minutes=1), overdue),
]
