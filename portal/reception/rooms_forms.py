"""Forms of the reception room registry: the room (with its hours, as the watch points'
hours form) and the short notes of suspension and retirement."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.reception.phrasebook import SITUATIONS, PhraseData
from portal.reception.rooms import LANGUAGES
from portal.reception.tables import AMENITIES, ROOM_KINDS, SERVICES
from portal.watchpoints import hours as H
from portal.watchpoints.forms import PHONE_PATTERN, CheckboxesField, HoursForm, _float
from portal.web.forms import Form, OnceForm
from portal.web.i18n import lazy_gettext as _l

KIND_LABELS = {"street": _l("Street reception room"), "community": _l("Community reception room")}
SERVICE_LABELS = {
    "consultation": _l("Consultation"),
    "emergency_help": _l("Emergency help"),
    "mediation": _l("Dispute mediation"),
    "residence_permit": _l("Residence permits"),
    "no_criminal_record": _l("No-criminal-record certificates"),
    "dog_registration": _l("Dog registration"),
    "id_card": _l("ID card errands"),
    "other_business": _l("Other police business"),
}
AMENITY_LABELS = {
    "umbrella": _l("Umbrellas"),
    "first_aid": _l("First-aid kit"),
    "water": _l("Drinking water"),
    "rest_room": _l("Rest room"),
    "key_storage": _l("Key storage"),
    "charging": _l("Phone charging"),
    "toilet": _l("Toilet"),
    "wifi": _l("Wi-Fi"),
}
LANGUAGE_LABELS = {
    "zh": _l("Chinese"), "en": _l("English"), "ja": _l("Japanese"), "ko": _l("Korean"), "ru": _l("Russian"),
    "fr": _l("French"), "de": _l("German"), "es": _l("Spanish"), "ar": _l("Arabic"),
}
assert set(SERVICE_LABELS) == set(SERVICES) and set(AMENITY_LABELS) == set(AMENITIES) and set(KIND_LABELS) == set(ROOM_KINDS) and set(LANGUAGE_LABELS) == set(LANGUAGES)


def labels() -> dict:
    return {"room_kinds": KIND_LABELS, "services": SERVICE_LABELS, "amenities": AMENITY_LABELS, "room_languages": LANGUAGE_LABELS}


class RoomForm(OnceForm, HoursForm):
    name_zh = StringField(_l("Name in Chinese"), [DataRequired(message=_l("Give the name of the room.")), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])
    name_en = StringField(_l("Name in English (optional)"), [Optional(), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])
    kind = SelectField(_l("Kind of room"), choices=list(KIND_LABELS.items()), validators=[DataRequired(message=_l("Choose a kind from the list."))])
    community = SelectField(_l("Community"), coerce=int, choices=[], validate_choice=False)
    address = StringField(_l("Address"), [DataRequired(message=_l("Give the address.")), Length(max=200, message=_l("Use at most %(max)d characters.", max=200))])
    latitude = StringField(_l("Latitude"), [_float])
    longitude = StringField(_l("Longitude"), [_float])
    phone = StringField(_l("Telephone of the room (optional)"), [Optional(), Regexp(PHONE_PATTERN, message=_l("Enter a phone number of digits, spaces or dashes."))])
    services = CheckboxesField(_l("Services offered"), choices=list(SERVICE_LABELS.items()), validate_choice=True)
    amenities = CheckboxesField(_l("Amenities"), choices=list(AMENITY_LABELS.items()), validate_choice=True)
    languages = CheckboxesField(_l("Languages spoken"), choices=list(LANGUAGE_LABELS.items()), validate_choice=True)

    @classmethod
    def blank(cls, **kwargs):
        form = super().blank(**kwargs)
        form.fill(tuple(H.Day(H.ALL_DAY) for _ in range(7)), ())
        form.languages.data = ["zh"]
        return form

    def validate_community(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose a community from the list."))

    def validate_languages(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one language from the list."))


class NoteForm(Form):
    note = TextAreaField(_l("Reason"), [Optional(), Length(max=500, message=_l("Use at most %(max)d characters.", max=500))])


SITUATION_LABELS = {
    "greeting": _l("Greeting"),
    "directions": _l("Directions"),
    "lost_passport": _l("Lost passport"),
    "lost_property": _l("Lost property"),
    "medical": _l("Medical help"),
    "theft": _l("Reporting a theft"),
    "registration": _l("Registration of stay"),
    "taxi": _l("Calling a taxi"),
    "embassy": _l("Calling an embassy"),
    "other": _l("Other"),
}
assert set(SITUATION_LABELS) == set(SITUATIONS)


class PhraseForm(Form):
    situation = SelectField(_l("Situation"), choices=list(SITUATION_LABELS.items()), validators=[DataRequired(message=_l("Choose a situation from the list."))])
    text_zh = TextAreaField(_l("In Chinese"), [DataRequired(message=_l("Write the sentence in Chinese.")), Length(max=500, message=_l("Use at most %(max)d characters.", max=500))])
    text_en = TextAreaField(_l("In English"), [DataRequired(message=_l("Write the sentence in English.")), Length(max=500, message=_l("Use at most %(max)d characters.", max=500))])
    position = IntegerField(_l("Order within the situation"), [InputRequired(message=_l("Enter a whole number.")), NumberRange(min=0, max=999, message=_l("Between %(min)s and %(max)s.", min=0, max=999))], default=0)

    def data_for_rules(self) -> PhraseData:
        return PhraseData(self.situation.data, self.text_zh.data, self.text_en.data, self.position.data)
