"""What other features need to know about a volunteer, in one query each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.db import fetch


@dataclass(frozen=True)
class VolunteerFacts:
    user_id: int
    community_id: int | None
    status: str  # "none" when the user never applied
    skills: frozenset[str]  # skills valid on the day asked about

    @property
    def verified(self) -> bool:
        return self.status == "verified"


async def volunteer_facts(user_id: int, on: dt.date | None = None) -> VolunteerFacts:
    on = on or dt.date.today()
    # One statement (every log submission asks): the profile and the skills, each
    # LEFT JOINed to the user's id, so that a user with neither is still one row.
    rows = await fetch(
        "SELECT p.community, p.status, s.skill, s.expires_on FROM (SELECT CAST({} AS INTEGER) AS uid) x "
        'LEFT JOIN volunteer_profile p ON p."user" = x.uid LEFT JOIN volunteer_skill s ON s."user" = x.uid',
        user_id,
        short_read=True,
    )
    skills = frozenset(r["skill"] for r in rows if r["skill"] is not None and (r["expires_on"] is None or r["expires_on"] >= on))
    profile = next((r for r in rows if r["status"] is not None), None)
    if not profile:
        return VolunteerFacts(user_id, None, "none", skills)
    return VolunteerFacts(user_id, profile["community"], profile["status"], skills)
