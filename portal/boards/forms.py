"""Forms of the contact boards registry: a board, "replaced on", "printed on"."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.boards import rules
from portal.boards.tables import PLACE_KINDS
from portal.watchpoints.forms import CheckboxesField, _float
from portal.web.forms import Form
from portal.web.i18n import lazy_gettext as _l

PLACE_KIND_LABELS = {
    "stairwell": _l("Stairwell"),
    "building_site": _l("Building site"),
    "market": _l("Market"),
    "square": _l("Square"),
    "street": _l("Street"),
    "school_gate": _l("School gate"),
    "shop": _l("Shop"),
    "residential_gate": _l("Gate of a residential compound"),
    "other": _l("Other place"),
}
SHOW_LABELS = {
    "officers": _l("The community officers' names, photos and phones"),
    "emergency": _l("Emergency number 110"),
    "qr": _l("QR code of the community's public page"),
    "anti_fraud": _l("Anti-fraud notice and line 96110"),
}
assert set(PLACE_KIND_LABELS) == set(PLACE_KINDS)


class BoardForm(Form):
    code = StringField(_l("Board code"), [Optional(), Length(max=40, message=_l("Use at most %(max)d characters.", max=40))], description=_l("Leave empty for the next free code (B-0001, …)."))
    place_kind = SelectField(_l("Kind of place"), choices=list(PLACE_KIND_LABELS.items()), default="stairwell",
                             validators=[DataRequired(message=_l("Choose a kind of place from the list."))])
    name_zh = StringField(_l("Place in Chinese"), [DataRequired(message=_l("Give the place's name in Chinese.")), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])
    name_en = StringField(_l("Place in English (optional)"), [Optional(), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])
    address = StringField(_l("Address (optional)"), [Optional(), Length(max=200, message=_l("Use at most %(max)d characters.", max=200))])
    latitude = StringField(_l("Latitude (optional)"), [_float])
    longitude = StringField(_l("Longitude (optional)"), [_float])
    shows = CheckboxesField(_l("The board shows"), choices=list(SHOW_LABELS.items()), default=list(rules.DEFAULT_SHOWS), validate_choice=True)
    note = TextAreaField(_l("Note (optional)"), [Optional(), Length(max=2000, message=_l("Use at most %(max)d characters.", max=2000))])
    printed_on = DateField(_l("Printed on (optional)"), [Optional()])
    replaced_on = DateField(_l("Put up or last replaced on (optional)"), [Optional()])
    replace_due = DateField(_l("Replacement due (optional)"), [Optional()])

    def data_for(self, community_id: int) -> rules.BoardData:
        return rules.BoardData(
            community_id=community_id, code=self.code.data or "", name_zh=self.name_zh.data or "", place_kind=self.place_kind.data,
            name_en=self.name_en.data or "", address=self.address.data or "", latitude=self.latitude.data, longitude=self.longitude.data,
            shows=tuple(self.shows.data or ()), note=self.note.data or "", printed_on=self.printed_on.data,
            replaced_on=self.replaced_on.data, replace_due=self.replace_due.data,
        )


class ReplacedForm(Form):
    replaced_on = DateField(_l("Replaced on"), [InputRequired(message=_l("Give the date as 2026-12-08."))])
    next_due = DateField(_l("Next replacement due (optional)"), [Optional()], description=_l("Two years later unless you give a date."))


class PrintedForm(Form):
    printed_on = DateField(_l("Printed on"), [InputRequired(message=_l("Give the date as 2026-12-08."))])
