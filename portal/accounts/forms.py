"""Forms of the accounts feature."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from portal.accounts.passwords import MIN_PASSWORD_LENGTH, password_problem
from portal.web.forms import Form
from portal.web.i18n import lazy_gettext as _l

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
PHONE_PATTERN = r"^\+?[0-9 -]{3,20}$"


class LoginForm(Form):
    username = StringField(_l("Username"), [DataRequired(message=_l("Enter your username.")), Length(max=64)])
    password = PasswordField(_l("Password"), [DataRequired(message=_l("Enter your password.")), Length(max=256)])


class PasswordChangeForm(Form):
    current_password = PasswordField(_l("Current password"), [DataRequired(message=_l("Enter your current password.")), Length(max=256)])
    new_password = PasswordField(
        _l("New password"),
        [
            DataRequired(message=_l("Enter a new password.")),
            Length(min=MIN_PASSWORD_LENGTH, max=256, message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)),
        ],
    )
    confirm_password = PasswordField(
        _l("New password again"),
        [DataRequired(message=_l("Enter the new password again.")), EqualTo("new_password", message=_l("The two new passwords are not the same."))],
    )


def _role_choices():
    return [
        ("volunteer", _l("Volunteer")),
        ("host", _l("Watch-point host")),
        ("officer", _l("Community officer")),
        ("head", _l("Station head")),
        ("district_head", _l("District head")),
        ("city_head", _l("City head")),
        ("admin", _l("Administrator")),
    ]


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=_role_choices(), validators=[DataRequired(message=_l("Choose a role from the list."))])
    community = SelectField(_l("Community"), coerce=int, choices=[], validate_choice=False, validators=[Optional()])
    station = SelectField(_l("Station"), coerce=int, choices=[], validate_choice=False, validators=[Optional()])
    district = SelectField(_l("District"), coerce=int, choices=[], validate_choice=False, validators=[Optional()])
    city = SelectField(_l("City"), coerce=int, choices=[], validate_choice=False, validators=[Optional()])

    def validate_community(self, field):
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose a community from the list."))

    def validate_station(self, field):
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose a station from the list."))

    def validate_district(self, field):
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose a district from the list."))

    def validate_city(self, field):
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose a city from the list."))


class UserCreateForm(RoleForm):
    username = StringField(
        _l("Username"),
        [
            DataRequired(message=_l("Enter a username.")),
            Length(min=3, max=64, message=_l("Use 3 to 64 characters.")),
            Regexp(USERNAME_PATTERN, message=_l("Use only letters, digits, dots, dashes and underscores.")),
        ],
    )
    real_name = StringField(_l("Real name"), [DataRequired(message=_l("Enter the person's real name.")), Length(max=100)])
    phone = StringField(_l("Phone"), [Optional(), Regexp(PHONE_PATTERN, message=_l("Enter a phone number of digits, spaces or dashes."))])
    email = EmailField(_l("E-mail"), [Optional(), Length(max=254), Email(message=_l("Enter a valid e-mail address."))])
    preferred_language = SelectField(_l("Language"), choices=[("zh_CN", "中文"), ("en", "English")])
    password = PasswordField(
        _l("First password"),
        [DataRequired(message=_l("Enter a first password.")), Length(min=MIN_PASSWORD_LENGTH, max=256, message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH))],
    )
    must_change_password = BooleanField(_l("Must choose a new password at first login"), default=True)

    def validate_password(self, field):
        if not field.errors and (problem := password_problem(field.data or "", self.username.data or "")):
            raise ValidationError(problem)
