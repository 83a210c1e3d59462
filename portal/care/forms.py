"""Forms of the care register: a person (registering and editing), a visit, filing an
earlier visit into a ledger, ending the visits, asking a volunteer to visit."""

from __future__ import annotations

from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from portal.accounts.forms import PHONE_PATTERN
from portal.care import rules
from portal.care.tables import END_REASONS, OUTCOMES, VOLUNTEER_OUTCOMES
from portal.web.forms import Form, OnceForm
from portal.web.i18n import N_
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp

CONSENT_FROM_LABELS = {"person": N_("The person themself"), "representative": N_("A family member or legal representative")}
OUTCOME_LABELS = {
    "all_well": N_("All well"),
    "needs_help": N_("Needs help (noted for the officer)"),
    "escalated_officer": N_("Escalated to the officer now"),
    "escalated_ledger": N_("Filed into a ledger"),
}
END_LABELS = {"withdrawn": N_("Consent withdrawn"), "left": N_("The person left (moved away, in care elsewhere, died)")}
DATE_MESSAGE = _l("Give the date as 2026-12-08.")


class _Between(NumberRange):
    """NumberRange for a number that was read: text that is no number has its own message."""

    def __call__(self, form, field):
        if field.data is not None:
            super().__call__(form, field)


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters.", max=limit))


class PersonForm(Form):
    name = StringField(_lp("person", "Name"), [DataRequired(message=_l("Give the person's name.")), _at_most(rules.NAME_MAX)])
    address = StringField(_l("Address"), [DataRequired(message=_l("Give the address where the person is visited.")), _at_most(rules.ADDRESS_MAX)])
    needs = TextAreaField(_l("What they need from the visits"), [DataRequired(message=_l("Say what the person needs from the visits.")), _at_most(rules.NEEDS_MAX)],
                          description=_l("Only what the visitor needs to know: the volunteers asked to visit read this."))
    contact_name = StringField(_l("Contact person (optional)"), [Optional(), _at_most(rules.NAME_MAX)], description=_l("Someone to call if the person needs help, e.g. a daughter."))
    contact_phone = StringField(_l("Contact person's phone (optional)"), [Optional(), _at_most(rules.PHONE_MAX), Regexp(PHONE_PATTERN, message=_l("Enter a phone number of digits, spaces or dashes."))])
    consent_on = DateField(_l("Consent given on"), [InputRequired(message=DATE_MESSAGE)])
    consent_from = SelectField(_l("Consent given by"), choices=[(k, _l(v)) for k, v in CONSENT_FROM_LABELS.items()], default="person",
                               validators=[DataRequired(message=_l("Say who gave the consent."))])
    every_days = IntegerField(_l("Visit every (days)"), [InputRequired(message=_l("Enter a whole number.")),
                              _Between(min=1, max=rules.EVERY_DAYS_MAX, message=_l("Between %(min)s and %(max)s.", min=1, max=rules.EVERY_DAYS_MAX))], default=7,
                              description=_l("7 for a weekly visit, 14 for every other week."))
    next_due_on = DateField(_l("Next visit on"), [InputRequired(message=DATE_MESSAGE)])

    def person_data(self) -> rules.PersonData:
        return rules.PersonData(
            name=self.name.data or "", address=self.address.data or "", needs=self.needs.data or "", contact_name=self.contact_name.data or "",
            contact_phone=self.contact_phone.data or "", consent_on=self.consent_on.data, consent_from=self.consent_from.data,
            every_days=self.every_days.data, next_due_on=self.next_due_on.data,
        )


class NewPersonForm(OnceForm, PersonForm):
    pass


class VisitForm(OnceForm):
    visited_on = DateField(_l("Visited on"), [InputRequired(message=DATE_MESSAGE)])
    outcome = SelectField(_l("How it went"), choices=[], validators=[DataRequired(message=_l("Choose how the visit went."))])
    note = TextAreaField(_lp("visit", "Note"), [Optional(), _at_most(rules.NOTE_MAX)], description=_l("What you saw and what help is needed. Needed unless all is well."))
    # "ledger:category" when filed into a ledger (a grouped select; the rules check it).
    ledger = SelectField(_l("Ledger"), choices=[], validate_choice=False, validators=[Optional()])
    summary = TextAreaField(_l("The matter, for the ledger"), [Optional(), _at_most(rules.SUMMARY_MAX)])

    def __init__(self, *args, officer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(k, _l(OUTCOME_LABELS[k])) for k in (OUTCOMES if officer else VOLUNTEER_OUTCOMES)]

    def visit_data(self) -> rules.VisitData:
        return rules.VisitData(visited_on=self.visited_on.data, outcome=self.outcome.data, note=self.note.data or "", ledger=self.ledger.data or "", summary=self.summary.data or "")


class FileForm(Form):
    ledger = SelectField(_l("Ledger"), choices=[], validate_choice=False, validators=[DataRequired(message=_l("Choose the ledger and category to file into."))])
    summary = TextAreaField(_l("The matter, for the ledger"), [Optional(), _at_most(rules.SUMMARY_MAX)], description=_l("Empty: the visit's note."))


class EndForm(Form):
    reason = SelectField(_l("Why the visits end"), choices=[(k, _l(END_LABELS[k])) for k in END_REASONS], validators=[DataRequired(message=_l("Say why the visits end."))])
    ended_on = DateField(_lp("visits ended", "Since"), [InputRequired(message=DATE_MESSAGE)])


class AssignForm(Form):
    volunteer = SelectField(_l("Volunteer"), coerce=int, choices=[], validate_choice=False, validators=[InputRequired(message=_l("Choose a verified volunteer of the community."))])
