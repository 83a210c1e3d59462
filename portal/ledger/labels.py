"""Words for the ledgers' codes, marked for translation and translated where shown
(templates: ``_(ledger_labels.stages[code])``)."""

from __future__ import annotations

from types import SimpleNamespace

from portal.web.i18n import N_, NC_

LEDGERS = {
    "suggestion": N_("Suggestions"),
    "claim": N_("Claims"),
    "complaint": N_("Complaints and reports"),
}
LEDGER_ONE = {
    "suggestion": N_("Suggestion"),
    "claim": N_("Claim"),
    "complaint": N_("Complaint or report"),
}
STAGES = {
    "registered": N_("Registered"),
    "assigned": N_("Assigned"),
    "in_progress": N_("In progress"),
    "handled": N_("Handled"),
    "feedback_given": N_("Feedback given"),
    "closed": N_("Closed, satisfied"),
    "closed_unconfirmed": N_("Closed without confirmation"),
    "closed_duplicate": N_("Closed as a duplicate"),
    "closed_out_of_remit": N_("Closed: outside police remit"),
}
# What the button that moves an item to a stage says.
ACTIONS = {
    "assigned": N_("Assign"),
    "in_progress": N_("Start work"),
    "handled": N_("Mark handled"),
    "feedback_given": N_("Give feedback"),
    "closed": N_("Close: the person is satisfied"),
    "closed_unconfirmed": N_("Close without confirmation"),
    "closed_duplicate": N_("Close as a duplicate"),
    "closed_out_of_remit": N_("Close: outside police remit"),
}
CATEGORIES = {
    "public_security": N_("Public security"),
    "traffic": N_("Traffic"),
    "community_service": N_("Community services"),
    "police_service": N_("Police services"),
    "household_registration": N_("Household registration"),
    "documents": N_("ID cards and documents"),
    "dispute": N_("Disputes"),
    "help": N_("Help needed"),
    "property": N_("Property and rights"),
    "police_conduct": N_("Police conduct"),
    "noise": N_("Noise"),
    "fraud": N_("Fraud"),
    "theft": N_("Theft"),
    "public_order": N_("Public order"),
    "other": N_("Other"),
}
SOURCES = {
    "public": N_("Public form"),
    "field_log": NC_("ledger source", "Field log"),
    "reception": N_("Reception room (walk-in or phone)"),
    "officer_visit": N_("Raised during a visit"),
    "council": N_("Decided at a session with citizens (进建商)"),
}
VIA = {
    "tracking": N_("on the tracking page"),
    "email": N_("by the link in the answer e-mail"),
    "open311": N_("through the application they filed it with (Open311)"),
    "phone": N_("by phone"),
    "in_person": N_("in person"),
    "callback": N_("in a callback by a colleague"),
    "visit": N_("on a visit"),
}
EVENTS = {
    "assigned": N_("Assigned to an accountable officer"),
    "reassigned": N_("Reassigned"),
    "satisfied": N_("The person is satisfied"),
    "reopened": N_("The person is not satisfied; reopened"),
    "reminder": N_("Reminder: please tell us whether you are satisfied"),
    "timed_out": N_("No answer within the time allowed; closed without confirmation"),
    "escalated": N_("Overdue; reported to the station head"),
    "mailed_feedback": N_("The answer was e-mailed to the person"),
    "mailed_reminder": N_("The reminder was e-mailed to the person"),
    "private": N_("Kept private"),
    "public": N_("Shown on the public ledger again"),
    "note": N_("Note"),
    "callback": N_("Callback recorded"),
    "referred": N_("Referred to another body"),
    "referral_answer": N_("The other body answered"),
}
REFERRAL_BODIES = {
    "street_office": N_("Street office"),
    "judicial_office": N_("Judicial office"),
    "property_management": N_("Property management"),
    "other_department": N_("Another department"),
}
STATUS = {"open": NC_("matter state", "Open"), "closed": NC_("matter state", "Closed")}

ALL = SimpleNamespace(ledgers=LEDGERS, ledger_one=LEDGER_ONE, stages=STAGES, actions=ACTIONS, categories=CATEGORIES, sources=SOURCES, via=VIA, bodies=REFERRAL_BODIES, events=EVENTS, status=STATUS)
