"""Forms of 联访解: a pairing, a contact, an opinion (solved on the spot or filed), the end."""

from __future__ import annotations

from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.ledger.forms import CATEGORY_CHOICES, LEDGER_CHOICES
from portal.pairings import rules
from portal.web.forms import Form, OnceForm
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp

DATE_MESSAGE = _l("Give the date as 2026-12-08.")


def _max(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters.", max=limit))


def _choices(labels: dict) -> list:
    return [(code, _l(label)) for code, label in labels.items()]


class PairingForm(OnceForm):
    community = SelectField(_l("Community"), coerce=int, validate_choice=False, validators=[InputRequired(message=_l("Choose a community."))])
    kind = RadioField(_l("Paired with"), choices=_choices(rules.KIND_LABELS), default="unit")
    unit_kind = SelectField(_l("Kind of unit"), choices=[("", "—"), *_choices(rules.UNIT_KIND_LABELS)], validators=[Optional()])
    name = StringField(_l("Name of the unit or the person"), [InputRequired(message=_l("Give the name of the unit or the person.")), _max(rules.NAME_MAX)])
    contact_name = StringField(_l("Contact person at the unit (optional)"), [Optional(), _max(rules.PERSON_MAX)])
    phone = StringField(_l("Phone (optional)"), [Optional(), _max(32)])
    address = StringField(_l("Address (optional)"), [Optional(), _max(rules.NAME_MAX)])
    started_on = DateField(_l("Paired since"), [InputRequired(message=DATE_MESSAGE)])
    note = TextAreaField(_l("Note (optional)"), [Optional(), _max(rules.TEXT_MAX)])

    def pairing_data(self) -> rules.PairingData:
        return rules.PairingData(
            community_id=self.community.data, kind=self.kind.data or "", name=self.name.data or "", unit_kind=self.unit_kind.data or "",
            contact_name=self.contact_name.data or "", phone=self.phone.data or "", address=self.address.data or "", note=self.note.data or "",
            started_on=self.started_on.data,
        )


class PairingEditForm(Form):
    """The same fields less the community and the kind, which stay."""

    version = HiddenField()
    unit_kind = PairingForm.unit_kind
    name = PairingForm.name
    contact_name = PairingForm.contact_name
    phone = PairingForm.phone
    address = PairingForm.address
    started_on = PairingForm.started_on
    note = PairingForm.note

    def pairing_data(self) -> rules.PairingData:
        return rules.PairingData(
            community_id=None, kind="", name=self.name.data or "", unit_kind=self.unit_kind.data or "", contact_name=self.contact_name.data or "",
            phone=self.phone.data or "", address=self.address.data or "", note=self.note.data or "", started_on=self.started_on.data,
        )

    def page_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class ContactForm(OnceForm):
    contacted_on = DateField(_l("Day of the contact"), [InputRequired(message=DATE_MESSAGE)])
    channel = RadioField(_l("How"), choices=[("visit", _lp("contact with a paired unit", "Visit")), ("call", _l("Phone call")), ("meeting", _l("Meeting"))], default="visit")
    note = TextAreaField(_l("Note (optional)"), [Optional(), _max(rules.TEXT_MAX)])

    def contact_data(self) -> rules.ContactData:
        return rules.ContactData(contacted_on=self.contacted_on.data, channel=self.channel.data or "", note=self.note.data or "")


class OpinionForm(OnceForm):
    text = TextAreaField(_l("Opinion or request collected"), [InputRequired(message=_l("Write the opinion collected.")), _max(2000)])
    outcome = RadioField(_l("What became of it"), choices=_choices(rules.OUTCOME_LABELS), default="solved")
    solution = TextAreaField(_l("How it was solved on the spot"), [Optional(), _max(rules.TEXT_MAX)])
    ledger = SelectField(_l("Ledger"), choices=[("", "—"), *LEDGER_CHOICES], validators=[Optional()])
    category = SelectField(_l("Category"), choices=CATEGORY_CHOICES, default="other", validators=[Optional()])

    def opinion_data(self) -> rules.OpinionData:
        return rules.OpinionData(text=self.text.data or "", outcome=self.outcome.data or "", solution=self.solution.data or "", ledger=self.ledger.data or "", category=self.category.data or "other")


class EndForm(Form):
    version = HiddenField()
    ended_on = DateField(_l("Ended on"), [InputRequired(message=DATE_MESSAGE)])
    end_note = TextAreaField(_l("Why (optional)"), [Optional(), _max(rules.TEXT_MAX)])

    def page_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None
