"""Scheduled jobs: each run is claimed once in the database however many schedulers tick,
the app starts its scheduler only when PORTAL_SCHEDULER=app, and the shift jobs notify
exactly once with two scheduler instances on one database."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from portal.app import create_app
from portal.jobs.runner import Job, JobScheduler, all_jobs, period_key
from portal.jobs.tables import JobRun
from portal.notifications.tables import Notification
from portal.shifts import rules
from portal.shifts.tables import Shift

UTC = dt.timezone.utc
NOW = dt.datetime(2030, 6, 3, 8, 0, 30, tzinfo=UTC)


def counting_job(name: str = "test.count", every: dt.timedelta = dt.timedelta(minutes=5)):
    calls: list[dt.datetime] = []

    async def run(now, settings):
        await asyncio.sleep(0.01)  # let the other scheduler try meanwhile
        calls.append(now)
        return 1

    return Job(name, every, run), calls


async def test_two_schedulers_claiming_the_same_run_produce_one_run(database, settings):
    job, calls = counting_job()
    first, second = JobScheduler(settings, [job]), JobScheduler(settings, [job])
    ran = await asyncio.gather(first.run_due(NOW), second.run_due(NOW + dt.timedelta(seconds=20)))
    assert sorted(len(r) for r in ran) == [0, 1]
    assert len(calls) == 1
    rows = await JobRun.select(JobRun.run_key, JobRun.outcome, JobRun.done).run()
    assert rows == [{"run_key": "test.count@2030-06-03T08:00", "outcome": "ok", "done": 1}]
    # The next period is a new run.
    assert await second.run_due(NOW + dt.timedelta(minutes=5)) == ["test.count"]
    assert len(calls) == 2


async def test_a_failing_job_is_recorded_and_does_not_stop_the_others(database, settings):
    async def broken(now, settings):
        raise RuntimeError("boom")

    ok, calls = counting_job("test.ok")
    ran = await JobScheduler(settings, [Job("test.broken", dt.timedelta(minutes=1), broken), ok]).run_due(NOW)
    assert ran == ["test.broken", "test.ok"] and len(calls) == 1
    failed = await JobRun.select(JobRun.outcome, JobRun.error).where(JobRun.job == "test.broken").first().run()
    assert failed["outcome"] == "failed" and "boom" in failed["error"]


def test_periods_are_the_same_for_every_process_within_a_period():
    job, _ = counting_job(every=dt.timedelta(hours=1))
    assert period_key(job, NOW) == period_key(job, NOW + dt.timedelta(minutes=59)) == "test.count@2030-06-03T08:00"
    assert period_key(job, NOW + dt.timedelta(hours=1)) == "test.count@2030-06-03T09:00"


def test_every_feature_job_is_registered():
    names = {job.name for job in all_jobs()}
    assert {"shifts.fill_rosters", "shifts.expire_offers", "shifts.reminders", "shifts.understaffed", "shifts.overdue_checkout", "notifications.email"} <= names


async def test_the_test_app_starts_no_jobs_and_the_lifespan_only_with_scheduler_app(database, settings):
    off = create_app(dataclasses.replace(settings, scheduler="off"))
    async with off.lifespan():
        assert off.state.scheduler is None
    assert await JobRun.count().run() == 0
    on = create_app(dataclasses.replace(settings, scheduler="app"))
    async with on.lifespan():
        scheduler = on.state.scheduler
        assert scheduler is not None
        await asyncio.wait_for(scheduler._catch_up, timeout=30)  # the start-up catch-up run
    assert await JobRun.count().run() == len(all_jobs())


async def test_reminders_and_alerts_go_out_once_with_two_scheduler_instances(database, settings, area, make_volunteer, make_user):
    officer = await make_user("officer")
    volunteer = await make_volunteer()
    kind = await rules.create_kind(None, area.community_id, {"kind": "patrol", "name": "Night patrol", "place": "", "required_skills": "", "min_people": 2, "max_people": 3, "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False})
    starts = NOW + dt.timedelta(hours=20)
    shift = (await Shift.insert(Shift(community=area.community_id, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=2, capacity=3, taken=0, created_at=NOW)).returning(Shift.id).run())[0]["id"]
    await rules.sign_up(volunteer, shift, NOW)
    first, second = JobScheduler(settings), JobScheduler(settings)
    # Same periods at once, then both again in later periods: still one message each.
    await asyncio.gather(first.run_due(NOW), second.run_due(NOW))
    await asyncio.gather(first.run_due(NOW + dt.timedelta(minutes=15)), second.run_due(NOW + dt.timedelta(minutes=30)))
    reminders = await Notification.count().where((Notification.user == volunteer) & (Notification.kind == "shift.reminder")).run()
    alerts = await Notification.count().where((Notification.user == officer) & (Notification.kind == "shift.understaffed")).run()
    assert (reminders, alerts) == (1, 1)
