"""The five capture forms (patrol, hazard, mediation, help given, publicity), the author's
answer and the hazard transition form. Times are typed in the community's local time;
``to_data`` turns a valid form into ``rules.LogData`` (UTC)."""

from __future__ import annotations


from wtforms import BooleanField, DateField, DateTimeLocalField, FloatField, HiddenField, IntegerField, MultipleFileField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.logs import rules
from portal.logs.tables import CATEGORIES, OUTCOMES, SEVERITIES
from portal.web.forms import Form, OnceForm, without_nul
from portal.web.i18n import lazy_gettext as _l

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
TEXT_MAX = 2000
PARTY_ROWS = 4


def optional_int(value):
    # "None" is what a page rendered from an empty choice sends back: no choice, not an error.
    if value in (None, "", "None"):
        return None
    return int(value)


def _text(label, required_message=None, max_length=TEXT_MAX, description=None):
    checks = [DataRequired(message=required_message)] if required_message else [Optional()]
    return TextAreaField(label, [*checks, Length(max=max_length, message=_l("Use at most %(max)d characters.", max=max_length))], description=description)


def _line(label, max_length=200):
    return StringField(label, [Optional(), Length(max=max_length, message=_l("Use at most %(max)d characters.", max=max_length))])


def _choices(kind: str) -> list[tuple[str, str]]:
    return [(code, _l(rules.CATEGORY_LABELS[kind][code])) for code in CATEGORIES[kind]]


def _when(label):
    return DateTimeLocalField(label, [InputRequired(message=_l("Give the date and time."))], format=LOCAL_FORMAT)


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LogForm(OnceForm):
    """What every kind shares: the key that makes a resend one log, the community."""

    kind = ""
    community = SelectField(_l("Community"), coerce=optional_int, validate_choice=False, validators=[InputRequired(message=_l("Choose the community."))])

    def validate_community(self, field):
        if field.data not in {value for value, _label in self.community.choices}:
            raise ValidationError(_l("Choose the community."))

    def base_data(self, tz: str) -> dict:
        data = {"kind": self.kind, "community_id": self.community.data, "occurred_at": rules.local_to_utc(self.occurred_at.data, tz)}
        for name in ("watch_point", "landmark"):
            if hasattr(self, name):
                data[f"{name}_id"] = getattr(self, name).data
        for name in ("address", "description"):
            if hasattr(self, name):
                data[name] = (getattr(self, name).data or "").strip()
        for name in ("latitude", "longitude"):
            if hasattr(self, name):
                data[name] = getattr(self, name).data
        if hasattr(self, "category"):
            data["category"] = self.category.data or ""
        return data


class PlaceMixin:
    watch_point = SelectField(_l("Watch point"), coerce=optional_int, validate_choice=False, validators=[Optional()])
    landmark = SelectField(_l("Landmark"), coerce=optional_int, validate_choice=False, validators=[Optional()])
    address = _line(_l("Address or place"))
    latitude = FloatField(_l("Latitude"), [Optional(), NumberRange(min=-90, max=90, message=_l("Between %(min)s and %(max)s.", min=-90, max=90))])
    longitude = FloatField(_l("Longitude"), [Optional(), NumberRange(min=-180, max=180, message=_l("Between %(min)s and %(max)s.", min=-180, max=180))])

    # The kinds that need a place say so here as well as in rules.check, so that the first
    # answer names a missing place along with every other missing field.
    place_missing = None
    position_is_a_place = True

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return self._check_place() and valid

    def _check_place(self) -> bool:
        if self.latitude.errors or self.longitude.errors:
            return False
        if (self.latitude.data is None) != (self.longitude.data is None):
            self.longitude.errors = [_l("Give both latitude and longitude, or neither.")]
            return False
        positioned = self.position_is_a_place and self.latitude.data is not None
        named = self.watch_point.data is not None or self.landmark.data is not None or (self.address.data or "").strip()
        if self.place_missing and not (named or positioned or self.address.errors or self.watch_point.errors or self.landmark.errors):
            self.address.errors = [self.place_missing]
            return False
        return True

    # Choices of None: not read for this submission; rules.check checks the place.
    def validate_watch_point(self, field):
        if field.data is not None and field.choices is not None and field.data not in {v for v, _label in field.choices}:
            raise ValidationError(_l("You can only log at your own watch point or a verified one of your community."))

    def validate_landmark(self, field):
        if field.data is not None and field.choices is not None and field.data not in {v for v, _label in field.choices}:
            raise ValidationError(_l("Choose one of the options."))


class PatrolForm(LogForm):
    kind = "patrol"
    shift = SelectField(_l("Shift"), coerce=optional_int, validate_choice=False, validators=[Optional()])
    occurred_at = _when(_l("Started"))
    ended_at = DateTimeLocalField(_l("Ended"), [InputRequired(message=_l("Give the date and time."))], format=LOCAL_FORMAT)
    route = _line(_l("Route or area"))
    points_passed = Checkboxes(_l("Watch points passed"), coerce=int, choices=[], validate_choice=False)
    nothing_to_report = BooleanField(_l("Nothing to report"))
    # No Optional(): it would stop the check below when the text is empty.
    description = TextAreaField(_l("What you saw"), [Length(max=TEXT_MAX, message=_l("Use at most %(max)d characters.", max=TEXT_MAX))])

    def validate_description(self, field):
        if not self.nothing_to_report.data and not (field.data or "").strip():
            raise ValidationError(_l("Write what you saw, or tick \"Nothing to report\"."))

    def to_data(self, tz: str) -> rules.LogData:
        return rules.LogData(
            **self.base_data(tz), ended_at=rules.local_to_utc(self.ended_at.data, tz), shift_id=self.shift.data,
            route=(self.route.data or "").strip(), points_passed=list(self.points_passed.data or []), nothing_to_report=bool(self.nothing_to_report.data),
        )


class HazardForm(PlaceMixin, LogForm):
    kind = "hazard"
    place_missing = _l("Say where: a watch point, a landmark, an address or your position.")
    category = RadioField(_l("What kind of hazard"), choices=_choices("hazard"), validators=[InputRequired(message=_l("Choose one of the options."))])
    severity = RadioField(_l("How serious"), choices=[(s, _l(rules.SEVERITY_LABELS[s])) for s in SEVERITIES], default="medium", validators=[InputRequired(message=_l("Choose one of the options."))])
    description = _text(_l("What is wrong"), _l("Describe the hazard."))
    occurred_at = _when(_l("Seen at"))
    photos = MultipleFileField(_l("Photos (up to 3)"), description=_l("JPEG, PNG or WebP, at most 5 MB each. Faces and number plates are best left out."))

    def to_data(self, tz: str) -> rules.LogData:
        return rules.LogData(**self.base_data(tz), severity=self.severity.data)


class MediationForm(PlaceMixin, LogForm):
    kind = "mediation"
    category = RadioField(_l("Kind of dispute"), choices=_choices("mediation"), validators=[InputRequired(message=_l("Choose one of the options."))])
    people_count = IntegerField(_l("Number of parties"), [InputRequired(message=_l("Enter a whole number.")), NumberRange(min=2, max=50, message=_l("Between %(min)s and %(max)s.", min=2, max=50))], default=2)
    description = _text(_l("What the dispute was"), _l("Describe the dispute."))
    agreement = _text(_l("What was agreed"))
    outcome = RadioField(_l("Outcome"), choices=[(o, _l(rules.OUTCOME_LABELS[o])) for o in OUTCOMES], validators=[InputRequired(message=_l("Choose one of the options."))])
    follow_up_on = DateField(_l("Follow-up date (optional)"), [Optional()])
    occurred_at = _when(_l("When"))

    def parties(self, raw) -> list[tuple[str, str]]:
        """The parties' rows typed on the form (names and contacts: confidential)."""
        rows = []
        for index in range(PARTY_ROWS):
            name = without_nul(raw.get(f"party_name_{index}") or "").strip()[:100]
            contact = without_nul(raw.get(f"party_contact_{index}") or "").strip()[:100]
            if name or contact:
                rows.append((name or "—", contact))
        return rows

    def to_data(self, tz: str, raw=None) -> rules.LogData:
        return rules.LogData(
            **self.base_data(tz), people_count=self.people_count.data, agreement=(self.agreement.data or "").strip(), outcome=self.outcome.data,
            follow_up_on=self.follow_up_on.data, parties=self.parties(raw or {}),
        )


class HelpForm(PlaceMixin, LogForm):
    kind = "help"
    category = RadioField(_l("Kind of help"), choices=_choices("help"), validators=[InputRequired(message=_l("Choose one of the options."))])
    people_count = IntegerField(_l("People helped"), [InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=100, message=_l("Between %(min)s and %(max)s.", min=1, max=100))], default=1)
    handed_over_to = _line(_l("Handed over to (family, police, hospital…)"))
    description = _text(_l("Details (optional)"))
    occurred_at = _when(_l("When"))

    def to_data(self, tz: str) -> rules.LogData:
        return rules.LogData(**self.base_data(tz), people_count=self.people_count.data, handed_over_to=(self.handed_over_to.data or "").strip())


class PublicityForm(PlaceMixin, LogForm):
    kind = "publicity"
    place_missing = _l("Say where the session was.")
    position_is_a_place = False
    category = RadioField(_l("Topic"), choices=_choices("publicity"), validators=[InputRequired(message=_l("Choose one of the options."))])
    people_count = IntegerField(_l("Audience (people)"), [InputRequired(message=_l("Enter a whole number.")), NumberRange(min=0, max=100000, message=_l("Between %(min)s and %(max)s.", min=0, max=100000))])
    description = _text(_l("Notes (optional)"))
    occurred_at = _when(_l("When"))

    def to_data(self, tz: str) -> rules.LogData:
        return rules.LogData(**self.base_data(tz), people_count=self.people_count.data)


FORMS: dict[str, type[LogForm]] = {"patrol": PatrolForm, "hazard": HazardForm, "mediation": MediationForm, "help": HelpForm, "publicity": PublicityForm}


class LandmarkForm(Form):
    name_zh = StringField(_l("Name (Chinese)"), [DataRequired(message=_l("Give the name.")), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])
    name_en = StringField(_l("Name (English, optional)"), [Optional(), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])


class AnswerForm(Form):
    text = TextAreaField(_l("Your answer"), [DataRequired(message=_l("Write your answer.")), Length(max=TEXT_MAX, message=_l("Use at most %(max)d characters.", max=TEXT_MAX))])


class StageForm(Form):
    to = HiddenField()
    rectification_by = _line(_l("Who must fix it"))
    rectification_due = DateField(_l("Fixed by"), [Optional()])
    note = _text(_l("Note (optional)"))
