"""Forms of the organisation pages."""

from __future__ import annotations

from wtforms import BooleanField, FloatField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.web.forms import Form
from portal.web.i18n import lazy_gettext as _l


def level_choices():
    return [
        ("community", _l("Community or police zone")),
        ("station", _l("Police station")),
        ("district", _l("District or county bureau")),
        ("city", _l("City bureau")),
    ]


class NamesForm(Form):
    name_zh = StringField(_l("Name in Chinese"), [DataRequired(message=_l("Give the Chinese name.")), Length(max=100)])
    name_en = StringField(_l("Name in English"), [Optional(), Length(max=100)])


class UnitForm(NamesForm):
    level = SelectField(_l("Level"), choices=level_choices(), validators=[DataRequired(message=_l("Choose a level: city, district, station or community."))])
    code = StringField(_l("Unit code"), [DataRequired(message=_l("Give the unit a code.")), Length(max=40)])
    parent = SelectField(_l("Belongs to"), choices=[], validate_choice=False, validators=[Optional()])
    timezone = StringField(_l("Time zone"), [Optional(), Length(max=64)], default="Asia/Shanghai")
    latitude = FloatField(_l("Centre: latitude"), [Optional(), NumberRange(min=-90, max=90)])
    longitude = FloatField(_l("Centre: longitude"), [Optional(), NumberRange(min=-180, max=180)])


class MoveForm(Form):
    parent = SelectField(_l("Move under"), choices=[], validate_choice=False, validators=[DataRequired(message=_l("Choose the unit to move it under."))])


class RetireForm(Form):
    confirm = BooleanField(_l("Yes, retire it: it keeps its history and is offered for nothing new."), [InputRequired(message=_l("Tick the box to confirm."))])
