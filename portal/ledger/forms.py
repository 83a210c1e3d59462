"""Forms of the ledgers: filing on someone's behalf, moving an item, privacy and the
public text, the person's answer on the tracking page, filing intake and field logs,
and the admin's holiday calendar, deadline rules and stations' number letters."""

from __future__ import annotations

import uuid

from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from portal.ledger import labels
from portal.ledger.rules import DETAILS_MAX, NOTE_MAX, PLACE_MAX, SUMMARY_MAX
from portal.ledger.tables import LEDGERS
from portal.public.forms import PHONE_PATTERN, IntakeForm
from portal.web.forms import Form
from portal.web.i18n import lazy_gettext as _l
from portal.web.i18n import lazy_pgettext as _lp


def _max(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters.", max=limit))


def _choices(mapping: dict, keys) -> list:
    return [(key, _l(mapping[key])) for key in keys]


LEDGER_CHOICES = _choices(labels.LEDGER_ONE, LEDGERS)
CATEGORY_CHOICES = [(code, _l(label)) for code, label in labels.CATEGORIES.items()]


class VersionedForm(Form):
    """Forms that change an item carry the version the page showed (stale pages)."""

    version = HiddenField()

    def page_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class FileForm(Form):
    idempotency_key = HiddenField()
    ledger = SelectField(_l("Ledger"), choices=LEDGER_CHOICES, validators=[DataRequired(message=_l("Choose a ledger."))])
    category = SelectField(_l("Category"), choices=CATEGORY_CHOICES, validators=[DataRequired(message=_l("Choose a category."))])
    community = SelectField(_l("Community"), coerce=int, validators=[InputRequired(message=_l("Choose a community."))])
    source = SelectField(_l("How it reached us"), choices=_choices(labels.SOURCES, ("reception", "officer_visit")))
    summary = TextAreaField(_l("What is the matter?"), [DataRequired(message=_l("Say what the matter is.")), _max(SUMMARY_MAX)])
    details = TextAreaField(_l("Internal details (officers only)"), [Optional(), _max(DETAILS_MAX)])
    landmark = StringField(_l("Where (address or landmark; officers only)"), [Optional(), _max(PLACE_MAX)])
    raised_by_name = StringField(_l("Name of the person"), [Optional(), _max(100)])
    raised_by_phone = StringField(_l("Phone"), [Optional(), Regexp(PHONE_PATTERN, message=_l("Enter a phone number of digits, spaces or dashes."))])
    raised_by_email = StringField(_l("E-mail"), [Optional(), Email(message=_l("Enter an e-mail address.")), _max(254)])
    anonymous = BooleanField(_l("The person wants to stay anonymous"))
    # The person's language, not the officer's: their e-mails are written in it.
    language = SelectField(_l("Language of the person"), [Optional()], choices=[("zh_CN", "中文"), ("en", "English")])

    @classmethod
    def blank(cls, communities: list[tuple[int, str]], language: str = "zh_CN") -> "FileForm":
        form = cls()
        form.community.choices = communities
        form.idempotency_key.data = str(uuid.uuid4())
        form.language.data = language
        return form

    key = IntakeForm.key  # the same idempotency key as the public form


class MoveForm(VersionedForm):
    """One form for every step; the rule says which fields the step needs."""

    to = HiddenField()
    note = TextAreaField(_l("Note"), [Optional(), _max(NOTE_MAX)])
    officer = SelectField(_l("Accountable officer"), coerce=int, validate_choice=False, validators=[Optional()])
    via = SelectField(_l("How the person answered"), choices=[("", "—"), *_choices(labels.VIA, ("phone", "in_person"))], validators=[Optional()])
    referred_to = StringField(_l("Referred to"), [Optional(), _max(PLACE_MAX)])
    duplicate_of = StringField(_l("Number of the original item"), [Optional(), _max(32)])


class CallbackForm(VersionedForm):
    """A callback (回访) by someone other than the accountable officer."""

    channel = SelectField(_l("How the person was reached"), choices=_choices(labels.VIA, ("phone", "in_person", "visit")), validators=[DataRequired(message=_l("Choose how the person was reached."))])
    said = TextAreaField(_l("What the person said"), [DataRequired(message=_l("Write what the person said.")), _max(NOTE_MAX)])
    satisfied = RadioField(
        _l("Is the person satisfied?"),
        choices=[("yes", _l("Yes, satisfied")), ("no", _l("No, not satisfied"))],
        validators=[InputRequired(message=_l("Choose yes or no."))],
    )


class ReferralForm(VersionedForm):
    """The item sent to another body."""

    body_kind = SelectField(_l("Kind of body"), choices=_choices(labels.REFERRAL_BODIES, labels.REFERRAL_BODIES), validators=[DataRequired(message=_l("Choose the kind of body from the list."))])
    body_name = StringField(_l("Sent to (name of the body)"), [DataRequired(message=_l("Name the body it was sent to.")), _max(PLACE_MAX)])
    sent_on = DateField(_l("Date sent"), validators=[InputRequired(message=_l("Enter the date it was sent (not in the future)."))])
    note = TextAreaField(_l("Note (officers only)"), [Optional(), _max(NOTE_MAX)])


class ReferralAnswerForm(VersionedForm):
    """The other body's answer to a referral."""

    referral = IntegerField(validators=[InputRequired(message=_l("Choose a referral of this item."))])
    answer = TextAreaField(_l("Their answer"), [DataRequired(message=_l("Write what they answered.")), _max(NOTE_MAX)])
    answered_on = DateField(_l("Date of the answer"), validators=[InputRequired(message=_l("Enter the date of the answer (not in the future)."))])


class TemplateEditForm(Form):
    """An answer template changed in place: everything but its station. Shown once per
    template on one page, so each is made with ``prefix="t<id>"`` (unique ids and names)."""

    category = SelectField(_l("Category"), choices=[("", _l("Any category")), *CATEGORY_CHOICES])
    language = SelectField(_l("Language"), choices=[("zh_CN", "中文"), ("en", "English")])
    title = StringField(_l("Title"), [DataRequired(message=_l("Give the template a title.")), _max(100)])
    body = TextAreaField(_l("The answer"), [DataRequired(message=_l("Write the answer.")), _max(NOTE_MAX)])


class TemplateForm(TemplateEditForm):
    """A new answer template of a station."""

    template = HiddenField()
    station = SelectField(_l("Station"), coerce=int, validators=[InputRequired(message=_l("Choose one of your stations."))])


class SavedViewForm(Form):
    """The list's current filters (hidden, as the page drew them) kept under a name."""

    name = StringField(_l("Name of the view"), [DataRequired(message=_l("Give the view a name.")), _max(60)])
    q = HiddenField()
    ledger = HiddenField()
    category = HiddenField()
    stage = HiddenField()
    community = HiddenField()
    owner = HiddenField()
    source = HiddenField()
    due_within = HiddenField()
    sort = HiddenField()
    mine = HiddenField()

    def filters(self) -> dict[str, str | None]:
        return {field.name: field.data for field in self if field.name != "name"}


class PrivateForm(VersionedForm):
    private = BooleanField(_l("Keep this item off the public ledger"))
    reason = TextAreaField(_l("Why"), [Optional(), _max(NOTE_MAX)])


class PublicTextForm(VersionedForm):
    public_summary = TextAreaField(_l("Public summary (no names, no addresses)"), [Optional(), _max(SUMMARY_MAX)])
    place_public = StringField(_l("Public place (a street or area, not an address)"), [Optional(), _max(PLACE_MAX)])


class AnswerForm(VersionedForm):
    """The person on the tracking page."""

    answer = RadioField(
        _l("Are you satisfied with how this was handled?"),
        choices=[("satisfied", _l("Yes, I am satisfied")), ("not_satisfied", _l("No, I am not satisfied"))],
        validators=[InputRequired(message=_l("Choose yes or no."))],
    )
    reason = TextAreaField(_l("What is still wrong? (needed when you are not satisfied)"), [Optional(), _max(NOTE_MAX)])


class FileIntakeForm(Form):
    ledger = SelectField(_l("Ledger"), choices=LEDGER_CHOICES, validators=[DataRequired(message=_l("Choose a ledger."))])
    category = SelectField(_l("Category"), choices=CATEGORY_CHOICES, validators=[DataRequired(message=_l("Choose a category."))])


class EscalateLogForm(FileIntakeForm):
    summary = TextAreaField(_l("Summary for the ledger"), [Optional(), _max(SUMMARY_MAX)])


class HolidayForm(Form):
    date = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    name = StringField(_lp("thing", "Name"), [Optional(), _max(100)])
    name_en = StringField(_l("Name in English (optional)"), [Optional(), _max(100)])
    is_workday = BooleanField(_l("A weekend day worked instead (adjusted working day)"))


class RuleForm(Form):
    ledger = SelectField(_l("Ledger"), choices=LEDGER_CHOICES)
    category = SelectField(_l("Category"), choices=[("", _l("Any category")), *CATEGORY_CHOICES])
    stage = SelectField(
        _l("Stage"),
        choices=[("registered", _l("Time to assign")), ("assigned", _l("Time to start")), ("in_progress", _l("Time to handle")), ("handled", _l("Time to give feedback"))],
    )
    working_days = IntegerField(_l("Working days"), validators=[InputRequired(message=_l("Enter a number of working days from 0 to 365.")), NumberRange(min=0, max=365, message=_l("Enter a number of working days from 0 to 365."))])


class PrefixForm(Form):
    station = SelectField(_l("Station"), coerce=int, validators=[InputRequired(message=_l("Choose a station from the list."))])
    prefix = StringField(
        _l("Letters of its numbers"),
        [InputRequired(message=_l("Use 1 to 8 Latin letters and digits, starting with a letter.")), _max(8)],
        filters=[lambda value: (value or "").strip().upper()],
        description=_l("New numbers start with these letters; numbers already given keep theirs."),
    )
