"""Forms of the officer's review: the queue's filters (a GET form), a decision on one log,
the bulk bar, and the statistics period."""

from __future__ import annotations

import datetime as dt

from wtforms import DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.logs.labels import KIND_LABELS, SEVERITY_LABELS, STATUS_LABELS
from portal.logs.review import NOTE_MAX, REVIEW_SORTS, QueueFilters
from portal.logs.stats import MAX_DAYS
from portal.web.forms import Form, _FormData
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp
from portal.web.i18n import localized
from portal.web.sorting import Order

ANY = ("", _l("Any"))


def _optional_int(value):
    return None if value in (None, "", "None") else int(value)


class _Period:
    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end is before the start."))
        if field.data and self.date_from.data and (field.data - self.date_from.data).days > MAX_DAYS:
            raise ValidationError(_l("Choose a period of at most ten years."))


class QueueFilterForm(_Period, Form):
    kind = SelectField(_lp("kind of", "Kind"), choices=[ANY] + [(k, _l(v)) for k, v in KIND_LABELS.items()], default="")
    status = SelectField(_l("Review status"), choices=[ANY] + [(k, _l(v)) for k, v in STATUS_LABELS.items()], default="")
    community = SelectField(_l("Community"), coerce=_optional_int, choices=[], default=None)
    volunteer = SelectField(_l("Logged by"), coerce=_optional_int, choices=[], default=None)
    severity = SelectField(_l("Severity (hazards)"), choices=[ANY] + [(k, _l(v)) for k, v in SEVERITY_LABELS.items()], default="")
    date_from = DateField(_l("Received from"), validators=[Optional()])
    date_to = DateField(_l("Received until"), validators=[Optional()])

    @classmethod
    def from_query(cls, params, choices: dict) -> "QueueFilterForm":
        """The form filled from the query's ``params`` (defaults when there are none)."""
        form = cls(formdata=_FormData(params) if params else None)
        form.community.choices = [("", _l("All my communities"))] + [(c["id"], localized(c, "name")) for c in choices["communities"]]
        form.volunteer.choices = [("", _l("Anyone"))] + [(p["id"], p["real_name"]) for p in choices["people"]]
        return form

    @staticmethod
    def requested(params) -> tuple[int | None, int | None]:
        """The community and the person asked for in ``params`` (to list the people the
        form offers); anything not a number is None here and an error in the form."""

        def number(name):
            value = (params.get(name) or "") if params else ""
            return int(value) if value.isdigit() and len(value) < 10 else None

        return number("community"), number("volunteer")

    def filters(self, tz: str, order: Order | None = None) -> QueueFilters:
        """The valid choices as filters, in ``order`` (by default the newest received
        first); a field with an error filters nothing."""

        def ok(field):
            return None if field.errors else (field.data or None)

        order = order or REVIEW_SORTS.parse(None)
        return QueueFilters(
            kind=ok(self.kind), status=ok(self.status), community=ok(self.community), volunteer=ok(self.volunteer),
            severity=ok(self.severity), date_from=ok(self.date_from), date_to=ok(self.date_to),
            oldest_first=not order.descending, by=order.key, tz=tz,
        )


def _note(label):
    return TextAreaField(label, [Optional(), Length(max=NOTE_MAX, message=_l("At most %(max)d characters.", max=NOTE_MAX))])


class DecisionForm(Form):
    """A decision on one log: ``version`` is the state the officer saw."""

    version = HiddenField()
    note = _note(_l("Note"))
    original = IntegerField(_l("Duplicate of log number"), [Optional(), NumberRange(min=1, max=2**31 - 1, message=_l("Give a log number."))])
    ledger = HiddenField()  # "ledger:category" when filing into a ledger (checked by the rules)
    next = HiddenField()


class BulkForm(Form):
    """The action bar: ``log`` values are "id:version" of the ticked rows."""

    action = SelectField(_l("Action"), choices=[("accept", _l("Accept")), ("ask", _l("Ask for more information")), ("duplicate", _l("Mark as duplicate")), ("comment", _l("Comment")),
                                            ("file", _l("File into a ledger"))])
    log = SelectMultipleField(choices=[], validate_choice=False)
    ledger = HiddenField()  # "ledger:category" (a select on the page; checked by the rules)
    note = _note(_l("Note (sent with a question or a comment)"))
    original = IntegerField(_l("Duplicate of log number"), [Optional(), NumberRange(min=1, max=2**31 - 1, message=_l("Give a log number."))])
    next = HiddenField()

    def items(self) -> list[tuple[int, str]]:
        """The ticked (log id, version) pairs; malformed values are dropped."""
        items = []
        for value in self.log.data or []:
            log_id, _sep, version = str(value).partition(":")
            if log_id.isdigit():
                items.append((int(log_id), version))
        return items


class StatsForm(_Period, Form):
    place = SelectField(_l("Community or station"), choices=[], validate_choice=True)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])

    @classmethod
    def from_query(cls, params, places: list[tuple[str, str]]) -> "StatsForm":
        form = cls(formdata=_FormData(params) if params else None)
        form.place.choices = places
        return form

    def period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The chosen days, by default the current month up to today."""
        if self.date_from.errors or self.date_to.errors:
            return today.replace(day=1), today
        first = self.date_from.data or today.replace(day=1)
        last = self.date_to.data or max(today, first)
        return first, last

