"""The scheduler: APScheduler ticks in one or more processes; the database decides who runs.

A job is a plain ``async def job(now, settings) -> int`` (how much it did). Each tick
claims the job's run for the current period by inserting ``job_run(run_key)``; the
unique key lets exactly one process win, however many tick. At start-up every job runs
once for the current period, which catches up whatever was missed while nothing ran:
the jobs look at windows of time ("shifts starting within 24 h not yet reminded"), not
at the tick that should have happened.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from portal.jobs.tables import JobRun
from portal.settings import Settings

log = logging.getLogger("portal.jobs")

JobFunction = Callable[[dt.datetime, Settings], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: JobFunction


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def period_key(job: Job, now: dt.datetime) -> str:
    """"<job>@<start of the period>": the same for every process within one period."""
    seconds = int(job.every.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    return f"{job.name}@{dt.datetime.fromtimestamp(start, dt.timezone.utc):%Y-%m-%dT%H:%M}"


async def claim(job: Job, now: dt.datetime) -> int | None:
    """Insert the run's row; only the first process gets an id back."""
    rows = await JobRun.insert(JobRun(run_key=period_key(job, now), job=job.name, started_at=utcnow())).on_conflict(
        target=JobRun.run_key, action="DO NOTHING"
    ).returning(JobRun.id).run()
    return rows[0]["id"] if rows else None


async def run_job(job: Job, settings: Settings, now: dt.datetime | None = None) -> bool:
    """Run ``job`` for the period of ``now`` unless another process already claimed it."""
    now = now or utcnow()
    run_id = await claim(job, now)
    if run_id is None:
        return False
    try:
        done = await job.run(now, settings)
    except Exception as error:  # noqa: BLE001 - one failing job must not stop the others
        log.exception("job %s failed", job.name)
        await JobRun.update({JobRun.outcome: "failed", JobRun.error: repr(error)[:2000], JobRun.finished_at: utcnow()}).where(JobRun.id == run_id).run()
        return True
    await JobRun.update({JobRun.outcome: "ok", JobRun.done: int(done or 0), JobRun.finished_at: utcnow()}).where(JobRun.id == run_id).run()
    return True


def all_jobs() -> list[Job]:
    """Every feature's jobs."""
    from portal.bulletins.jobs import JOBS as BULLETIN_JOBS
    from portal.care.jobs import JOBS as CARE_JOBS
    from portal.councils.jobs import JOBS as COUNCIL_JOBS
    from portal.followups.jobs import JOBS as FOLLOWUP_JOBS
    from portal.ledger.jobs import JOBS as LEDGER_JOBS
    from portal.notices.jobs import JOBS as NOTICE_JOBS
    from portal.overview.jobs import JOBS as OVERVIEW_JOBS
    from portal.retention.jobs import JOBS as RETENTION_JOBS
    from portal.shifts.jobs import JOBS as SHIFT_JOBS

    return [*SHIFT_JOBS, *LEDGER_JOBS, *BULLETIN_JOBS, *RETENTION_JOBS, *CARE_JOBS, *FOLLOWUP_JOBS, *COUNCIL_JOBS, *NOTICE_JOBS, *OVERVIEW_JOBS, Job("notifications.email", dt.timedelta(minutes=1), deliver_email)]


async def deliver_email(now: dt.datetime, settings: Settings) -> int:
    """E-mail copies of new notifications (nothing without ``PORTAL_SMTP_URL``)."""
    from portal.notifications.mail import deliver_pending_email

    return await deliver_pending_email(settings, now)


class JobScheduler:
    """One process's scheduler. Several may run against one database."""

    def __init__(self, settings: Settings, jobs: list[Job] | None = None):
        self.settings = settings
        self.jobs = all_jobs() if jobs is None else jobs
        self._scheduler = None
        self._catch_up: asyncio.Task | None = None

    async def run_due(self, now: dt.datetime | None = None) -> list[str]:
        """Run every job whose current period nobody has claimed yet; the names that ran here."""
        now = now or utcnow()
        ran = []
        for job in self.jobs:
            if await run_job(job, self.settings, now):
                ran.append(job.name)
        return ran

    def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
        for job in self.jobs:
            scheduler.add_job(
                run_job, IntervalTrigger(seconds=int(job.every.total_seconds())), args=[job, self.settings],
                id=job.name, coalesce=True, max_instances=1, misfire_grace_time=int(job.every.total_seconds()),
            )
        scheduler.start()
        self._scheduler = scheduler
        self._catch_up = asyncio.get_running_loop().create_task(self.run_due())

    async def stop(self) -> None:
        if self._catch_up and not self._catch_up.done():
            self._catch_up.cancel()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
