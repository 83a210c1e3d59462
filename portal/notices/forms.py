"""The notice form: community, kind, title, text, how long it is shown, an optional photo."""

from __future__ import annotations

from wtforms import FileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.notices.rules import BODY_MAX, KIND_NAMES, LASTS, TITLE_MAX
from portal.web.forms import OnceForm
from portal.web.i18n import lazy_gettext as _l


class NoticeForm(OnceForm):
    community = SelectField(_l("Community"), coerce=int, choices=[], validate_choice=False)
    kind = SelectField(_l("Kind of notice"), choices=[(k, _l(v)) for k, v in KIND_NAMES.items()], validators=[DataRequired(message=_l("Choose a kind from the list."))])
    title = StringField(_l("Title"), [DataRequired(message=_l("Give the notice a title.")), Length(max=TITLE_MAX, message=_l("Use at most %(max)d characters.", max=TITLE_MAX))],
                        description=_l("What readers must know first, e.g. \"Missing: boy, 8, red coat\"."))
    body = TextAreaField(_l("Text"), [Optional(), Length(max=BODY_MAX, message=_l("Use at most %(max)d characters.", max=BODY_MAX))],
                         description=_l("Where and when, what to look out for, whom to call."))
    lasts = SelectField(_l("Shown until"), choices=[(k, _l(v)) for k, v in LASTS.items()], default="today", validators=[DataRequired(message=_l("Choose how long the notice is shown."))])
    photo = FileField(_l("Photo (optional)"), description=_l("For a missing person: a recent photo. JPEG, PNG or WebP, at most 5 MB."))

    def validate_community(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose a community from the list."))

    def validate_photo(self, field):
        field.data = field.data if hasattr(field.data, "read") and getattr(field.data, "filename", "") else None
