"""What other features need to know about a volunteer, in one query each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.volunteers.tables import VolunteerProfile, VolunteerSkill


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
    profile = await VolunteerProfile.select(VolunteerProfile.community, VolunteerProfile.status).where(VolunteerProfile.user == user_id).first().run()
    rows = await VolunteerSkill.select(VolunteerSkill.skill, VolunteerSkill.expires_on).where(VolunteerSkill.user == user_id).run()
    skills = frozenset(r["skill"] for r in rows if r["expires_on"] is None or r["expires_on"] >= on)
    if not profile:
        return VolunteerFacts(user_id, None, "none", skills)
    return VolunteerFacts(user_id, profile["community"], profile["status"], skills)
