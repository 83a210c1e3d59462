"""Forms of the watch points feature: the application/edit form, the hours form and
the officer's visit form. Hours are seven rows of mode / opens / closes / "closes
after midnight"; cleaned into ``hours.Day`` values by ``week()``."""

from __future__ import annotations

import datetime as dt
import re

from wtforms import BooleanField, DateField, FileField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.watchpoints import hours as H
from portal.watchpoints.tables import CAPABILITIES, KINDS
from portal.web.forms import Form, OnceForm
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_ngettext as _ln
from portal.web.i18n import lazy_pgettext as _lp

PHONE_PATTERN = r"^\+?[0-9 -]{3,20}$"
TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
DATE_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}")

KIND_LABELS = {
    "shop": _l("Shop"),
    "pharmacy": _l("Pharmacy"),
    "hotel": _l("Hotel"),
    "supermarket": _l("Supermarket"),
    "property_gate": _l("Property gate"),
    "school_side": _l("Beside a school"),
    "other": _l("Other"),
}
CAPABILITY_LABELS = {
    "phone": _l("Telephone"),
    "first_aid": _l("First-aid kit"),
    "aed": _l("AED (defibrillator)"),
    "umbrella": _l("Umbrellas"),
    "water": _l("Drinking water"),
    "charging": _l("Phone charging"),
    "shelter": _l("Shelter"),
    "toilet": _l("Toilet"),
    "english": _l("English spoken"),
}
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday"))
MODE_CHOICES = [(H.OPEN, _lp("opening hours", "Open")), (H.ALL_DAY, _l("24 hours")), (H.CLOSED, _lp("opening hours", "Closed"))]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _time_validator(form, field):
    value = (field.data or "").strip()
    if value and not TIME_PATTERN.match(value):
        raise ValidationError(_l("Use the form HH:MM, e.g. 08:30."))


class HoursForm(Form):
    """Seven days of hours (or one row for every day), plus the closed dates (holidays) and
    a closure from one date to another."""

    same_every_day = BooleanField(_l("Same hours every day"), description=_l("Fill in the first row only: it is used for all seven days."))
    closed_dates = TextAreaField(
        _l("Closed dates (holidays)"),
        [Optional(), Length(max=1500, message=_l("Use at most %(max)d characters.", max=1500))],
        description=_l("One date or one range a line, as 2026-02-17 or 2026-02-15 – 2026-02-21."),
    )
    closed_from = DateField(_l("Closed from"), [Optional()], description=_l("Add a holiday closure: the first and the last day closed."))
    closed_until = DateField(_l("Closed until (the last day)"), [Optional()])

    def day_fields(self, index: int):
        return getattr(self, f"mode_{index}"), getattr(self, f"opens_{index}"), getattr(self, f"closes_{index}"), getattr(self, f"overnight_{index}")

    def validate_closed_dates(self, field):
        for token in H.closure_tokens(field.data):
            found = H.RANGE.fullmatch(token)
            for text in found.groups() if found else (token,):
                if not DATE_TOKEN.fullmatch(text):
                    raise ValidationError(_l("Write each date as 2026-02-17 (year-month-day), a range as 2026-02-15 – 2026-02-21."))
                try:
                    dt.date.fromisoformat(text)
                except ValueError:
                    raise ValidationError(_l("%(date)s is not a date in the calendar.", date=text)) from None
            if found:
                self._check_range(field, *(dt.date.fromisoformat(t) for t in found.groups()))

    @staticmethod
    def _check_range(field, first: dt.date, last: dt.date) -> None:
        if last < first:
            raise ValidationError(_l("The last day closed cannot be before the first."))
        if (last - first).days >= H.LONGEST_CLOSURE:
            raise ValidationError(_ln("A closure lasts at most %(days)d day.", "A closure lasts at most %(days)d days.", H.LONGEST_CLOSURE, days=H.LONGEST_CLOSURE))

    def validate_closed_until(self, field):
        if field.data and not self.closed_from.data and not self.closed_from.errors:
            raise ValidationError(_l("Give the first day closed too."))
        if field.data and self.closed_from.data:
            self._check_range(field, self.closed_from.data, field.data)

    def _copy_first_day(self) -> None:
        """"Same hours every day": the first row stands for all seven, whatever the others say."""
        first = self.day_fields(0)
        for index in range(1, 7):
            for source, target in zip(first, self.day_fields(index)):
                target.data, target.raw_data = source.data, source.raw_data

    def validate(self, extra_validators=None) -> bool:
        if self.same_every_day.data:
            self._copy_first_day()
        ok = super().validate(extra_validators)
        for index in range(7):
            mode, opens, closes, overnight = self.day_fields(index)
            if mode.data == H.OPEN and not opens.errors and not closes.errors:
                if not (opens.data or "").strip():
                    opens.errors.append(_l("Give the opening time."))
                    ok = False
                if not (closes.data or "").strip():
                    closes.errors.append(_l("Give the closing time."))
                    ok = False
                if opens.data and closes.data and not opens.errors and not closes.errors:
                    problem = H.problem(self._day(index))
                    if problem == "closes_before_opening":
                        closes.errors.append(_l("Closing must be after opening, unless you tick \"closes after midnight\"."))
                        ok = False
                    elif problem == "overnight_but_closes_later":
                        closes.errors.append(_l("With \"closes after midnight\", the closing time is on the next morning and must be at or before the opening time."))
                        ok = False
        return ok

    def _day(self, index: int) -> H.Day:
        mode, opens, closes, overnight = self.day_fields(index)
        if mode.data != H.OPEN:
            return H.Day(mode.data if mode.data in H.MODES else H.CLOSED)
        return H.Day(H.OPEN, dt.time.fromisoformat(opens.data.strip().zfill(5)), dt.time.fromisoformat(closes.data.strip().zfill(5)), bool(overnight.data))

    def week(self) -> H.Week:
        return tuple(self._day(index) for index in range(7))

    def dates(self) -> list[dt.date]:
        """Every closed day: the dates and ranges of the list, and the closure added."""
        days = set()
        for token in H.closure_tokens(self.closed_dates.data):
            found = H.RANGE.fullmatch(token)
            days.update(H.days_of(*(dt.date.fromisoformat(t) for t in found.groups())) if found else [dt.date.fromisoformat(token)])
        if self.closed_from.data:
            days.update(H.days_of(self.closed_from.data, self.closed_until.data or self.closed_from.data))
        return sorted(days)

    def fill(self, week: H.Week, closed_dates) -> None:
        for index, day in enumerate(week):
            mode, opens, closes, overnight = self.day_fields(index)
            mode.data = day.mode
            opens.data = day.opens.strftime("%H:%M") if day.opens else ""
            closes.data = day.closes.strftime("%H:%M") if day.closes else ""
            overnight.data = day.overnight
        self.same_every_day.data = len(set(week)) == 1
        self.closed_dates.data = H.ranges_to_text(closed_dates)


for _index in range(7):
    setattr(HoursForm, f"mode_{_index}", SelectField(WEEKDAYS[_index], [InputRequired(message=_l("Choose open, 24 hours or closed."))], choices=MODE_CHOICES, default=H.OPEN))
    setattr(HoursForm, f"opens_{_index}", StringField(_l("Opens"), [Optional(), _time_validator], default="08:00"))
    setattr(HoursForm, f"closes_{_index}", StringField(_l("Closes"), [Optional(), _time_validator], default="21:00"))
    setattr(HoursForm, f"overnight_{_index}", BooleanField(_l("Closes after midnight")))


def _float(form, field):
    raw = (field.raw_data[0] if field.raw_data else "").strip().replace(",", ".")
    if not raw:
        field.data = None
        return
    try:
        field.data = float(raw)
    except ValueError:
        raise ValidationError(_l("Write a number in degrees, e.g. 36.6171.")) from None


class PointForm(OnceForm, HoursForm):
    name_zh = StringField(_l("Name in Chinese"), [DataRequired(message=_l("Give the name of the place.")), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])
    name_en = StringField(_l("Name in English (optional)"), [Optional(), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])
    kind = SelectField(_l("Kind of place"), choices=list(KIND_LABELS.items()), validators=[DataRequired(message=_l("Choose a kind from the list."))])
    community = SelectField(_l("Community"), coerce=int, choices=[], validate_choice=False)
    address = StringField(_l("Address"), [DataRequired(message=_l("Give the address.")), Length(max=200, message=_l("Use at most %(max)d characters.", max=200))])
    latitude = StringField(_l("Latitude"), [_float])
    longitude = StringField(_l("Longitude"), [_float])
    phone = StringField(_l("Telephone of the place (optional)"), [Optional(), Regexp(PHONE_PATTERN, message=_l("Enter a phone number of digits, spaces or dashes."))])
    capabilities = CheckboxesField(_l("What you offer"), choices=list(CAPABILITY_LABELS.items()), validate_choice=True)
    photo = FileField(_l("Photo of the front (optional)"), description=_l("JPEG, PNG or WebP, at most 5 MB."))

    def validate_community(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose a community from the list."))

    def validate_photo(self, field):
        field.data = field.data if hasattr(field.data, "read") and getattr(field.data, "filename", "") else None


class VisitForm(Form):
    visited_on = DateField(_l("Date of the visit"), [DataRequired(message=_l("Give the date of the visit as 2026-11-23."))])
    note = TextAreaField(_l("What you saw"), [Optional(), Length(max=1000, message=_l("Use at most %(max)d characters.", max=1000))])
    outcome = SelectField(_l("Outcome"), choices=[("verified", _l("Verified: a safe place")), ("noted", _l("Visit noted, not verified"))])


class SuspendForm(Form):
    note = TextAreaField(_l("Reason"), [Optional(), Length(max=500, message=_l("Use at most %(max)d characters.", max=500))])


class DutyForm(Form):
    """One slot of the duty roster: an officer, a weekday or a date, and a time range."""

    officer = SelectField(_l("Officer"), coerce=int, choices=[], validate_choice=False)
    day = SelectField(_l("Every week on"), choices=[("", _l("Only on the date below"))] + [(str(i), WEEKDAYS[i]) for i in range(7)], default="0")
    on_date = DateField(_l("Or only on this date"), [Optional()], description=_l("A date replaces that day's weekly roster."))
    starts = StringField(_l("From"), [InputRequired(message=_l("Give the time as HH:MM.")), _time_validator], default="08:00")
    ends = StringField(_l("To"), [InputRequired(message=_l("Give the time as HH:MM.")), _time_validator], default="17:00")
    overnight = BooleanField(_l("Ends after midnight"))

    def validate_officer(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose an officer of this community."))

    def validate_day(self, field):
        if field.data and field.data not in {str(i) for i in range(7)}:
            raise ValidationError(_l("Choose a weekday or a date."))

    def weekday(self) -> int | None:
        return None if self.on_date.data or not self.day.data else int(self.day.data)

    @staticmethod
    def time(field) -> dt.time:
        return dt.time.fromisoformat(field.data.strip().zfill(5))


class OfficerPhotoForm(Form):
    photo = FileField(_l("Photo"), description=_l("A portrait: JPEG, PNG or WebP, at most 5 MB."))

    def validate_photo(self, field):
        if not (hasattr(field.data, "read") and getattr(field.data, "filename", "")):
            raise ValidationError(_l("Choose a photo to upload."))
