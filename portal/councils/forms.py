"""Forms of 进建商: a representative of the register, a session (with who was invited and
who came), a resolution with its ledger step, the ledger step alone, and "done"."""

from __future__ import annotations

from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.councils import rules
from portal.ledger.forms import CATEGORY_CHOICES, LEDGER_CHOICES
from portal.watchpoints.forms import CheckboxesField
from portal.web.forms import Form, OnceForm
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp

DATE_MESSAGE = _l("Give the date as 2026-12-08.")
KIND_CHOICES = [(code, _l(label)) for code, label in rules.KIND_LABELS.items()]
LEDGER_STEP_CHOICES = [
    ("none", _l("Not a ledger matter")),
    ("file", _l("File it in a ledger now")),
    ("link", _l("Link an item already in the ledger")),
]


def _max(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters.", max=limit))


class VersionedForm(Form):
    version = HiddenField()

    def page_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class RepresentativeForm(OnceForm):
    name = StringField(_l("Name of the representative"), [InputRequired(message=_l("Give the representative's name.")), _max(rules.NAME_MAX)])
    kind = SelectField(_lp("kind of person", "Kind"), choices=KIND_CHOICES, default="think_tank")
    affiliation = StringField(_l("Post or organisation (optional)"), [Optional(), _max(rules.TEXT_MAX)])
    phone = StringField(_l("Phone (optional)"), [Optional(), _max(32)])
    appointed_on = DateField(_l("Appointed on (optional)"), [Optional()])

    def representative_data(self) -> rules.RepresentativeData:
        return rules.RepresentativeData(name=self.name.data or "", kind=self.kind.data or "", affiliation=self.affiliation.data or "", phone=self.phone.data or "", appointed_on=self.appointed_on.data)


class RepresentativeEditForm(VersionedForm):
    name = RepresentativeForm.name
    kind = RepresentativeForm.kind
    affiliation = RepresentativeForm.affiliation
    phone = RepresentativeForm.phone
    appointed_on = RepresentativeForm.appointed_on

    def representative_data(self) -> rules.RepresentativeData:
        return rules.RepresentativeData(name=self.name.data or "", kind=self.kind.data or "", affiliation=self.affiliation.data or "", phone=self.phone.data or "", appointed_on=self.appointed_on.data)


class SessionForm(OnceForm, VersionedForm):
    community = SelectField(_l("Community the session was held for"), coerce=int, validate_choice=False, validators=[InputRequired(message=_l("Choose a community."))])
    held_on = DateField(_l("Held on"), [InputRequired(message=DATE_MESSAGE)])
    topic = StringField(_l("Topic"), [InputRequired(message=_l("Say what the session is about.")), _max(rules.TEXT_MAX)])
    place = StringField(_l("Place (optional)"), [Optional(), _max(rules.TEXT_MAX)])
    invited = CheckboxesField(_l("Representatives invited"), coerce=int, validate_choice=False)
    attended = CheckboxesField(_l("Representatives who came"), coerce=int, validate_choice=False)
    other_attendees = IntegerField(_l("Other citizens who came"), [Optional(), NumberRange(min=0, max=rules.OTHER_ATTENDEES_MAX, message=_l("Give a number from 0 to %(max)d.", max=rules.OTHER_ATTENDEES_MAX))], default=0)
    minutes = TextAreaField(_l("Minutes (optional)"), [Optional(), _max(rules.MINUTES_MAX)])

    def session_data(self) -> rules.SessionData:
        return rules.SessionData(
            community_id=self.community.data, held_on=self.held_on.data, topic=self.topic.data or "", place=self.place.data or "",
            invited=tuple(self.invited.data or ()), attended=tuple(self.attended.data or ()), other_attendees=self.other_attendees.data or 0,
            minutes=self.minutes.data or "",
        )


class LedgerStepForm(Form):
    ledger_choice = RadioField(_l("In the ledger"), choices=LEDGER_STEP_CHOICES, default="none")
    ledger = SelectField(_l("Ledger"), choices=[("", "—"), *LEDGER_CHOICES], validators=[Optional()])
    category = SelectField(_l("Category"), choices=CATEGORY_CHOICES, default="other", validators=[Optional()])
    item_number = StringField(_l("Number of the ledger item"), [Optional(), _max(32)])

    def step(self, data: rules.ResolutionData) -> rules.ResolutionData:
        data.ledger_choice = self.ledger_choice.data or "none"
        data.ledger = self.ledger.data or ""
        data.category = self.category.data or "other"
        data.item_number = self.item_number.data or ""
        return data


class ResolutionForm(OnceForm, LedgerStepForm):
    matter = TextAreaField(_l("The matter"), [InputRequired(message=_l("Say what the matter is.")), _max(rules.MATTER_MAX)])
    decision = TextAreaField(_l("What was decided"), [Optional(), _max(rules.MATTER_MAX)])
    owner = SelectField(_l("Owner (accountable)"), coerce=int, validate_choice=False, validators=[InputRequired(message=_l("Choose an officer of this station."))])
    due_on = DateField(_l("To be done by"), [InputRequired(message=DATE_MESSAGE)])

    def resolution_data(self) -> rules.ResolutionData:
        data = rules.ResolutionData(matter=self.matter.data or "", decision=self.decision.data or "", owner_id=self.owner.data, due_on=self.due_on.data)
        return self.step(data)


class DoneForm(VersionedForm):
    done_on = DateField(_l("Done on"), [InputRequired(message=DATE_MESSAGE)])
    note = TextAreaField(_l("What was done"), [InputRequired(message=_l("Write what was done.")), _max(rules.MATTER_MAX)])


class ChangeForm(VersionedForm):
    """Another owner or due date for an open resolution."""

    owner = SelectField(_l("Owner (accountable)"), coerce=int, validate_choice=False, validators=[InputRequired(message=_l("Choose an officer of this station."))])
    due_on = DateField(_l("To be done by"), [InputRequired(message=DATE_MESSAGE)])
