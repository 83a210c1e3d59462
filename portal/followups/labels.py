"""Words of the follow-ups: results, the states of a notice, the list filters."""

from portal.web.i18n import N_

RESULT_LABELS = {
    "held": N_("Agreement held"),
    "relapsed": N_("Dispute broke out again"),
    "referred_committee": N_("Referred to the people's mediation committee"),
    "referred_court": N_("Referred to a court"),
    "police_case": N_("Taken up as a police case"),
}
# What a notice stands at, worked out from the notice and its hazard (notices.state_of).
STATE_LABELS = {
    "open": N_("Waiting for the fix"),
    "overdue": N_("Overdue"),
    "reported": N_("Reported fixed, to re-inspect"),
    "verified": N_("Fixed and re-inspected"),
    "withdrawn": N_("Withdrawn"),
}
TASK_FILTERS = {
    "todo": N_("To do now"),
    "overdue": N_("Overdue"),
    "upcoming": N_("Coming"),
    "done": N_("Recorded"),
}
NOTICE_FILTERS = {
    "open": N_("In force"),
    "overdue": N_("Overdue"),
    "reported": N_("Reported fixed"),
    "all": N_("All"),
}
