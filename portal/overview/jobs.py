"""The overview's job: this month counted again for district and city heads before their
kept count runs out (``portal.overview.snapshots``), and old kept counts dropped."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portal.accounts.rules import load_actor
from portal.accounts.tables import RoleGrant
from portal.jobs.runner import Job
from portal.overview import snapshots
from portal.overview.page import level_of, overview_of
from portal.settings import Settings
from portal.web.periods import preset_period


async def warm(now: dt.datetime, settings: Settings) -> int:
    """Counts this month for each district and city head whose count was not kept in the
    last ``WARM_AFTER`` (the same area once, however many heads read it); the count is
    kept if it was slow. Returns how many areas were counted."""
    period = preset_period("month", now.astimezone(ZoneInfo(settings.timezone)).date())
    heads = await RoleGrant.select(RoleGrant.user).where(RoleGrant.role.is_in(["district_head", "city_head"]) & (RoleGrant.user.active == True)).distinct().run()  # noqa: E712
    seen: set[str] = set()
    counted = 0
    for row in heads:
        actor = await load_actor(row["user"], reading=True)
        if actor is None:
            continue
        key = snapshots.key_of(level_of(actor), actor.communities("officer", "head"), period, settings.timezone)
        if key in seen:
            continue
        seen.add(key)
        if await snapshots.kept(key, [], now - snapshots.WARM_AFTER):
            continue
        await overview_of(actor, period, settings.timezone, now, fresh=True)
        counted += 1
    await snapshots.drop_old(now)
    return counted


JOBS = [Job("overview.warm", snapshots.WARM_EVERY, warm)]
