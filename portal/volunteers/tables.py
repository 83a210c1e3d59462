"""A volunteer's standing in their community and the skills they hold."""

from piccolo.columns import Boolean, Date, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.stations.tables import Community

# "deleted": the volunteer deleted their account; the anonymised row stays for history.
STATUSES = ("pending", "verified", "rejected", "suspended", "deleted")
SKILLS = ("first_aid", "english", "mediation", "driving", "fire_safety", "sign_language")


class VolunteerProfile(Table, tablename="volunteer_profile"):
    """One per volunteer: the application and its verification by an officer."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True)
    community = ForeignKey(references=Community, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=16, default="pending")
    availability = Text(default="")
    consent_at = Timestamptz(null=True, default=None)
    # Named in the weekly bulletin's thanks only with this consent.
    may_be_named = Boolean(default=False)
    applied_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    decision_reason = Text(default="")
    # The hidden key of the application form: a double submit finds the first one.
    application_key = Varchar(length=36, null=True, default=None)


class VolunteerSkill(Table, tablename="volunteer_skill"):
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    skill = Varchar(length=32)
    expires_on = Date(null=True, default=None)
