"""The notices' job: photos of notices that ended a while ago are removed."""

from __future__ import annotations

import datetime as dt

from portal.jobs.runner import Job
from portal.notices import rules
from portal.settings import Settings
from portal.uploads import storage_for


async def purge_photos(now: dt.datetime, settings: Settings) -> int:
    return await rules.purge_photos(now, storage_for(settings))


JOBS = [Job("notices.purge_photos", dt.timedelta(hours=1), purge_photos)]
