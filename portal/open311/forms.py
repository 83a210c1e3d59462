"""The form of the API keys page."""

from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.web.forms import Form
from portal.web.i18n import lazy_gettext as _l


class KeyForm(Form):
    name = StringField(
        _l("Who the key is for"),
        [DataRequired(message=_l("Say who the key is for, e.g. the application and its maintainer.")), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))],
    )
    community = SelectField(_l("Community of requests without an address_id"), coerce=int, default=0, validate_choice=True)
