"""What a log's page shows of the follow-ups: a mediation's follow-up (or the way to
record it), a hazard's rectification notices (or the way to issue one)."""

from __future__ import annotations

from portal.accounts.rules import Actor
from portal.followups import mediation, notices
from portal.followups.labels import RESULT_LABELS, STATE_LABELS


async def log_context(actor: Actor, log: dict) -> dict:
    out: dict = {
        "follow_up": None, "may_follow_up": False, "rectification_notices": [], "may_issue_notice": False,
        "followup_result_labels": RESULT_LABELS, "followup_state_labels": STATE_LABELS,
    }
    if log["kind"] == "mediation" and log["follow_up_on"]:
        out["may_follow_up"] = mediation.may_follow_up(actor, log) and not actor.read_only
        out["follow_up"] = await mediation.recorded(log["id"])
    if log["kind"] == "hazard" and actor.reaches(log["community"], "officer"):
        out["rectification_notices"] = await notices.notices_of_log(log["id"])
        out["may_issue_notice"] = notices.may_issue(actor, log)
    return out
