"""The desk's forms: the one-tap category form (keyed, so a double tap logs once), the
details of a visit (added after the tap or corrected later) and the choice of ledger."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.reception import visits
from portal.reception.tables import OUTCOMES, VISIT_CATEGORIES
from portal.web.forms import Form, OnceForm
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_ngettext as _ln


class TapForm(OnceForm):
    """One tap: the category button's value; the rest takes the defaults."""

    category = StringField(_l("What happened"))


def _text_limit(limit: int):
    return Length(max=limit, message=_l("Use at most %(max)d characters.", max=limit))


class DetailsForm(Form):
    category = SelectField(_l("What happened"), choices=[(code, _l(visits.CATEGORY_LABELS[code])) for code in VISIT_CATEGORIES],
                           validators=[InputRequired(message=_l("Choose one of the options."))])
    people = IntegerField(_l("Number of people"), validators=[
        InputRequired(message=_l("Give the number of people.")),
        NumberRange(min=1, max=visits.PEOPLE_MAX, message=_ln("Between %(min)d and %(max)d person.", "Between %(min)d and %(max)d people.", visits.PEOPLE_MAX, min=1, max=visits.PEOPLE_MAX)),
    ])
    language = SelectField(_l("Language used"), validate_choice=False)
    note = TextAreaField(_l("Short note"), validators=[Optional(), _text_limit(visits.NOTE_MAX)])
    outcome = SelectField(_l("Outcome"), choices=[("", _l("— not yet —"))] + [(code, _l(visits.OUTCOME_LABELS[code])) for code in OUTCOMES])
    contact_name = StringField(_l("Name (optional)"), validators=[Optional(), _text_limit(visits.NAME_MAX)])
    contact_phone = StringField(_l("Phone (optional)"), validators=[Optional(), _text_limit(visits.PHONE_MAX)])

    def set_languages(self, codes: list[str]) -> None:
        known = list(dict.fromkeys([*codes, *visits.LANGUAGE_LABELS]))
        self.language.choices = [(code, _l(visits.LANGUAGE_LABELS[code])) for code in known if code in visits.LANGUAGE_LABELS]

    def validate_language(self, field):
        from wtforms.validators import ValidationError

        if field.data not in visits.LANGUAGE_LABELS:
            raise ValidationError(_l("Choose one of the options."))

    def fill(self, visit: dict, contact: bool) -> None:
        self.category.data = visit["category"]
        self.people.data = visit["people"]
        self.language.data = visit["language"]
        self.note.data = visit["note"]
        self.outcome.data = visit["outcome"]
        self.contact_name.data = visit["contact_name"] if contact else ""
        self.contact_phone.data = visit["contact_phone"] if contact else ""

    def to_data(self, visit: dict, contact: bool) -> visits.VisitData:
        """The form as the rules' data; one who may not see the contact keeps it as it was."""
        return visits.VisitData(
            category=self.category.data, people=self.people.data, language=self.language.data, note=self.note.data or "",
            outcome=self.outcome.data or "",
            contact_name=(self.contact_name.data or "") if contact else visit["contact_name"],
            contact_phone=(self.contact_phone.data or "") if contact else visit["contact_phone"],
        )


class LedgerForm(Form):
    ledger = SelectField(_l("Ledger"), validate_choice=False, choices=[
        ("suggestion", _l("Suggestion")), ("claim", _l("Interest claim")), ("complaint", _l("Complaint or report")),
    ])
