"""The home pages' counts of the follow-ups: due today and overdue for everyone who has
follow-ups, and the overdue rectification notices for officers and heads."""

from __future__ import annotations

from portal.accounts.rules import Actor
from portal.followups import mediation, notices


async def followup_counts(actor: Actor, zone: str) -> dict[str, int]:
    moment = mediation.utcnow()
    counted = await mediation.counts(actor, mediation.local_day(moment, zone))
    counted["notices_overdue"] = await notices.overdue_count(actor, moment) if actor.has("officer", "head", "admin") else 0
    return counted
