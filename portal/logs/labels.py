"""Translated names of the field logs' codes (kinds, categories, outcomes, hazard stages,
severities, review statuses), for pages, exports and statistics alike.

``label(group, code)`` translates at the moment it is called, in the request's language.
"""

from __future__ import annotations

from functools import lru_cache

from portal.web.i18n import N_, activate, current_language, restore
from portal.web.i18n import gettext as _

KIND_LABELS = {
    "patrol": N_("Patrol"),
    "hazard": N_("Hazard"),
    "mediation": N_("Mediation"),
    "help": N_("Help given"),
    "publicity": N_("Publicity session"),
}
CATEGORY_LABELS = {
    "hazard": {
        "fire_exit": N_("Blocked fire exit or locked fire door"),
        "stairwell": N_("Clutter in the stairwell"),
        "lighting": N_("Broken lighting"),
        "structure": N_("Damaged structure"),
        "electrical": N_("Electrical"),
        "gas": N_("Gas"),
        "water": N_("Water"),
        "traffic": N_("Traffic"),
        "other": N_("Other"),
    },
    "mediation": {
        "neighbours": N_("Neighbours"),
        "family": N_("Family"),
        "property": N_("Property management"),
        "commercial": N_("Commercial"),
        "other": N_("Other"),
    },
    "help": {
        "lost_elderly": N_("Lost elderly person"),
        "lost_child": N_("Lost child"),
        "injury": N_("Injury or illness"),
        "drunk": N_("Drunk person"),
        "directions": N_("Directions or visitor help"),
        "lost_property": N_("Lost property"),
        "other": N_("Other"),
    },
    "publicity": {
        "anti_fraud": N_("Anti-fraud"),
        "fire_safety": N_("Fire safety"),
        "law": N_("Law"),
        "traffic": N_("Traffic"),
        "other": N_("Other"),
    },
}
OUTCOME_LABELS = {
    "resolved": N_("Resolved"),
    "partly": N_("Partly resolved"),
    "referred_committee": N_("Referred to the people's mediation committee"),
    "referred_court": N_("Referred to court"),
    "police_case": N_("Police case"),
}
STAGE_LABELS = {
    "reported": N_("Reported"),
    "confirmed": N_("Confirmed"),
    "rectification_requested": N_("Rectification requested"),
    "fixed": N_("Fixed"),
    "verified": N_("Verified"),
    "reopened": N_("Reopened"),
}
SEVERITY_LABELS = {"low": N_("Low"), "medium": N_("Medium"), "high": N_("High")}
STATUS_LABELS = {
    "submitted": N_("Waiting for review"),
    "needs_info": N_("More information asked"),
    "accepted": N_("Accepted"),
    "duplicate": N_("Duplicate"),
}
# The review's audit actions, as a log's history shows them.
REVIEW_ACTION_LABELS = {
    "log.accepted": N_("Accepted by the officer"),
    "log.question": N_("The officer asked for more information"),
    "log.duplicate": N_("Marked as a duplicate"),
    "log.comment": N_("The officer commented"),
}

_GROUPS = {"kind": KIND_LABELS, "outcome": OUTCOME_LABELS, "stage": STAGE_LABELS, "severity": SEVERITY_LABELS, "status": STATUS_LABELS}


def label(group: str, code: str | None, kind: str | None = None) -> str:
    """The translated name of ``code`` in ``group`` ("category" needs the log's ``kind``);
    an unknown code is shown as it is, an empty one as ""."""
    if not code:
        return ""
    table = CATEGORY_LABELS.get(kind or "", {}) if group == "category" else _GROUPS.get(group, {})
    return _(table[code]) if code in table else code


class _Names(dict):
    """Code → translated name; an unknown code is shown as it is (like ``label``)."""

    def __missing__(self, code):
        return code or ""


class _Categories(dict):
    def __missing__(self, kind):
        return _Names()


@lru_cache(maxsize=None)
def _tables(language: str) -> dict:
    token = activate(language)
    try:
        tables = {group: _Names({code: _(text) for code, text in codes.items()}) for group, codes in _GROUPS.items()}
        tables["category"] = _Categories({kind: _Names({code: _(text) for code, text in codes.items()}) for kind, codes in CATEGORY_LABELS.items()})
    finally:
        restore(token)
    return tables


def tables() -> dict:
    """Every group's names in the request's language, translated once per language: a
    list of rows looks them up (``names.kind[row.kind]``,
    ``names.category[row.kind][row.category]``) instead of translating per row."""
    return _tables(current_language())
