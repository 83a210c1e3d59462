"""Forms of the volunteers feature: applying, one's profile, deleting, decisions."""

from __future__ import annotations

import datetime as dt
import uuid

from wtforms import BooleanField, DateField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from portal.accounts.forms import PHONE_PATTERN, USERNAME_PATTERN
from portal.accounts.passwords import MIN_PASSWORD_LENGTH, password_problem
from portal.volunteers.rules import MAX_AVAILABILITY, MAX_REASON, SKILL_LABELS
from portal.volunteers.tables import SKILLS
from portal.web.forms import Form
from portal.web.i18n import gettext
from portal.web.i18n import lazy_gettext as _l


class SkillsForm(Form):
    """Skills as checkboxes, each with an optional expiry date (``expires_<skill>``)."""

    skills = SelectMultipleField(_l("Skills"), choices=[(s, s) for s in SKILLS], validate_choice=False)
    phone = StringField(
        _l("Phone"),
        [DataRequired(message=_l("Enter a phone number where the officer can reach you.")), Regexp(PHONE_PATTERN, message=_l("Enter a phone number of digits, spaces or dashes."))],
    )
    email = EmailField(_l("E-mail (optional)"), [Optional(), Length(max=254, message=_l("Use at most %(max)d characters.", max=254)), Email(message=_l("Enter a valid e-mail address."))])
    availability = TextAreaField(
        _l("When you can help (optional)"),
        [Optional(), Length(max=MAX_AVAILABILITY, message=_l("Use at most %(max)d characters.", max=MAX_AVAILABILITY))],
    )
    may_be_named = BooleanField(_l("You may thank me by name in the weekly bulletin"))

    def validate_skills(self, field):
        if any(value not in SKILLS for value in field.data or []):
            raise ValidationError(gettext("Choose skills from the list."))

    def skill_rows(self):
        """(skill, label, ticked, its date field) for the template."""
        ticked = set(self.skills.data or [])
        return [(skill, gettext(SKILL_LABELS[skill]), skill in ticked, getattr(self, f"expires_{skill}")) for skill in SKILLS]

    def chosen_skills(self) -> dict[str, dt.date | None]:
        return {skill: getattr(self, f"expires_{skill}").data for skill in (self.skills.data or []) if skill in SKILLS}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        today = dt.date.today()
        for skill in SKILLS:
            date_field = getattr(self, f"expires_{skill}")
            if date_field.data and date_field.data < today and skill in (self.skills.data or []):
                date_field.errors = [*date_field.errors, gettext("This date has passed: leave it empty or give a future date.")]
                ok = False
        return ok


for _skill in SKILLS:
    setattr(
        SkillsForm,
        f"expires_{_skill}",
        DateField(_l("Valid until (optional)"), [Optional()], format="%Y-%m-%d", render_kw={"type": "date"}),
    )


class ApplicationForm(SkillsForm):
    real_name = StringField(_l("Real name"), [DataRequired(message=_l("Enter your real name.")), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])
    community = SelectField(_l("Community"), coerce=int, choices=[], validate_choice=False)
    consent = BooleanField(_l("I agree that my data is stored and used as described above"), [DataRequired(message=_l("Agree to the use of your data to apply."))])
    username = StringField(
        _l("Username"),
        [
            DataRequired(message=_l("Choose a username.")),
            Length(min=3, max=64, message=_l("Use 3 to 64 characters.")),
            Regexp(USERNAME_PATTERN, message=_l("Use only letters, digits, dots, dashes and underscores.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        [DataRequired(message=_l("Choose a password.")), Length(min=MIN_PASSWORD_LENGTH, max=256, message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH))],
    )
    application_key = HiddenField()
    # The honeypot: hidden from people by CSS and aria-hidden; bots fill it in.
    website = StringField(_l("Leave this empty"), [Optional(), Length(max=200)])

    def validate_community(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(gettext("Choose a community from the list."))

    def validate_password(self, field):
        if not field.errors and (problem := password_problem(field.data or "", self.username.data or "")):
            raise ValidationError(problem)

    def validate_application_key(self, field):
        try:
            field.data = str(uuid.UUID(field.data or ""))
        except ValueError:
            # A form from before a restart or a hand-made post: a fresh key is fine.
            field.data = str(uuid.uuid4())


class ProfileForm(SkillsForm):
    pass


class DeleteAccountForm(Form):
    password = PasswordField(_l("Your password"), [DataRequired(message=_l("Enter your password to confirm.")), Length(max=256)])


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), [Optional(), Length(max=MAX_REASON, message=_l("Use at most %(max)d characters.", max=MAX_REASON))])
