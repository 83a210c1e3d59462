"""Forms of the shifts feature."""

from __future__ import annotations

from wtforms import BooleanField, DateField, DecimalField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.shifts.rules import KIND_NAMES, OPEN_TO_NAMES, SKILL_NAMES
from portal.web.forms import Form
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
WEEKDAYS = [("0", _l("Mon")), ("1", _l("Tue")), ("2", _l("Wed")), ("3", _l("Thu")), ("4", _l("Fri")), ("5", _l("Sat")), ("6", _l("Sun"))]


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _people(label):
    return IntegerField(label, [InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=200, message=_l("Between %(min)s and %(max)s.", min=1, max=200))])


class ShiftKindForm(Form):
    idempotency_key = HiddenField()
    kind = SelectField(_lp("kind of", "Kind"), choices=[(k, _l(v)) for k, v in KIND_NAMES.items()], validators=[DataRequired(message=_l("Choose a kind from the list."))])
    name = StringField(_lp("thing", "Name"), [DataRequired(message=_l("Give the shift kind a name.")), Length(max=100, message=_l("At most %(max)d characters.", max=100))])
    name_en = StringField(_l("Name in English (optional)"), [Optional(), Length(max=100, message=_l("At most %(max)d characters.", max=100))])
    place = StringField(_l("Place or route"), [Optional(), Length(max=200, message=_l("At most %(max)d characters.", max=200))])
    description = TextAreaField(_l("Description"), [Optional(), Length(max=2000, message=_l("At most %(max)d characters.", max=2000))])
    required_skills = Checkboxes(_l("Required skills"), choices=[(k, _l(v)) for k, v in SKILL_NAMES.items()], validate_choice=False)
    min_people = _people(_l("Minimum people"))
    max_people = _people(_l("Maximum people"))
    open_to = SelectField(_l("Who may take it"), choices=[(k, _l(v)) for k, v in OPEN_TO_NAMES.items()])
    watch_point = SelectField(_l("Watch point"), coerce=int, choices=[], validate_choice=False, validators=[Optional()])
    room = SelectField(_l("Reception room"), coerce=int, choices=[], validate_choice=False, validators=[Optional()])
    buddy_min = IntegerField(_l("Buddy rule: the patrol starts only with at least this many people (0: no rule)"), [InputRequired(message=_l("Enter a whole number.")), NumberRange(min=0, max=20, message=_l("Between %(min)s and %(max)s.", min=0, max=20))], default=0)
    needs_experienced = BooleanField(_l("At least one experienced volunteer"))
    cancel_cutoff_hours = IntegerField(_l("Cancel cut-off in hours (empty: the portal's setting)"), [Optional(), NumberRange(min=0, max=168, message=_l("Between %(min)s and %(max)s.", min=0, max=168))])
    signup_opens_hours = IntegerField(_l("Sign-up opens this many hours before (empty: at once)"), [Optional(), NumberRange(min=1, max=24 * 60, message=_l("Between %(min)s and %(max)s.", min=1, max=24 * 60))])
    active = BooleanField(_l("In use"), default=True)

    def data_for_rules(self) -> dict:
        return {
            "kind": self.kind.data,
            "name": self.name.data.strip(),
            "name_en": (self.name_en.data or "").strip(),
            "place": (self.place.data or "").strip(),
            "description": (self.description.data or "").strip(),
            "required_skills": ",".join(self.required_skills.data or []),
            "min_people": self.min_people.data,
            "max_people": self.max_people.data,
            "open_to": self.open_to.data,
            "watch_point": self.watch_point.data or None,
            "room": self.room.data or None,
            "buddy_min": self.buddy_min.data,
            "needs_experienced": bool(self.needs_experienced.data),
            "cancel_cutoff_hours": self.cancel_cutoff_hours.data,
            "signup_opens_hours": self.signup_opens_hours.data,
            "active": bool(self.active.data),
        }


class RosterForm(Form):
    idempotency_key = HiddenField()
    kind = SelectField(_l("Kind of shift"), coerce=int, choices=[], validate_choice=False, validators=[DataRequired(message=_l("Choose a kind of shift of this community."))])
    weekdays = Checkboxes(_l("Days of the week"), choices=WEEKDAYS, validate_choice=False)
    start_time = StringField(_l("Start (HH:MM)"), [DataRequired(message=_l("Enter a time like 19:00.")), Regexp(TIME_PATTERN, message=_l("Enter a time like 19:00."))])
    end_time = StringField(_l("End (HH:MM)"), [DataRequired(message=_l("Enter a time like 21:00.")), Regexp(TIME_PATTERN, message=_l("Enter a time like 21:00."))])
    min_people = _people(_l("Minimum people"))
    max_people = _people(_l("Maximum people"))
    weeks_ahead = IntegerField(_l("Weeks ahead to publish"), [InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=26, message=_l("Between %(min)s and %(max)s.", min=1, max=26))], default=4)
    starts_on = DateField(_l("First day"), [InputRequired(message=_l("Enter a date."))])
    active = BooleanField(_l("In use"), default=True)

    def validate_weekdays(self, field):
        from wtforms.validators import ValidationError

        if not field.data:
            raise ValidationError(_l("Choose at least one day of the week."))
        if any(d not in {v for v, _ in WEEKDAYS} for d in field.data):
            raise ValidationError(_l("Choose days from the list."))

    def data_for_rules(self) -> dict:
        return {
            "weekdays": [int(d) for d in self.weekdays.data],
            "start_time": self.start_time.data,
            "end_time": self.end_time.data,
            "min_people": self.min_people.data,
            "max_people": self.max_people.data,
            "weeks_ahead": self.weeks_ahead.data,
            "starts_on": self.starts_on.data,
            "active": bool(self.active.data),
        }


class ExtraShiftForm(Form):
    idempotency_key = HiddenField()
    kind = SelectField(_l("Kind of shift"), coerce=int, choices=[], validate_choice=False, validators=[DataRequired(message=_l("Choose a kind of shift of this community."))])
    day = DateField(_l("Day"), [InputRequired(message=_l("Enter a date."))])
    start_time = StringField(_l("Start (HH:MM)"), [DataRequired(message=_l("Enter a time like 19:00.")), Regexp(TIME_PATTERN, message=_l("Enter a time like 19:00."))])
    end_time = StringField(_l("End (HH:MM)"), [DataRequired(message=_l("Enter a time like 21:00.")), Regexp(TIME_PATTERN, message=_l("Enter a time like 21:00."))])
    min_people = _people(_l("Minimum people"))
    max_people = _people(_l("Maximum people"))
    note = StringField(_l("Note"), [Optional(), Length(max=200, message=_l("At most %(max)d characters.", max=200))])


class CancelShiftForm(Form):
    reason = StringField(_l("Reason"), [DataRequired(message=_l("Say why the shift is cancelled.")), Length(max=300, message=_l("At most %(max)d characters.", max=300))])


class NoShowForm(Form):
    excused = SelectField(_l("No-show"), choices=[("unexcused", _l("Unexcused")), ("excused", _l("Excused")), ("none", _l("Not a no-show (remove the mark)"))])
    reason = StringField(_l("Reason"), [DataRequired(message=_l("Give a reason.")), Length(max=200, message=_l("At most %(max)d characters.", max=200))])


class HoursForm(Form):
    hours = DecimalField(_lp("time served", "Hours"), [InputRequired(message=_l("Enter the hours, e.g. 2.5.")), NumberRange(min=0, max=24, message=_l("Between %(min)s and %(max)s.", min=0, max=24))], places=2)
    note = StringField(_l("Note"), [DataRequired(message=_l("Say why the hours are corrected.")), Length(max=200, message=_l("At most %(max)d characters.", max=200))])
