"""Forms of the bulletins: the officer's headline and note on a draft, a tip of the
library, and the residents' subscription."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.bulletins.render import TIP_CATEGORY_LABELS
from portal.bulletins.tables import TIP_CATEGORIES
from portal.web.forms import Form
from portal.web.i18n import lazy_gettext as _l


def _at_most(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


class DraftForm(Form):
    headline_zh = StringField(_l("Headline in Chinese (empty: the generated one)"), [Optional(), _at_most(200)])
    headline_en = StringField(_l("Headline in English (empty: the generated one)"), [Optional(), _at_most(200)])
    note_zh = TextAreaField(_l("Note in Chinese"), [Optional(), _at_most(1000)])
    note_en = TextAreaField(_l("Note in English"), [Optional(), _at_most(1000)])


class TipForm(Form):
    category = SelectField(_l("Category"), choices=[(c, _l(TIP_CATEGORY_LABELS[c])) for c in TIP_CATEGORIES])
    text_zh = TextAreaField(_l("Tip in Chinese"), [DataRequired(message=_l("Write the tip in Chinese.")), _at_most(400)])
    text_en = TextAreaField(_l("Tip in English"), [DataRequired(message=_l("Write the tip in English.")), _at_most(400)])
    always = BooleanField(_l("In every bulletin (one of these each week, e.g. anti-fraud)"))
    active = BooleanField(_l("In use"), default=True)


class SubscribeForm(Form):
    email = StringField(_l("E-mail address"), [DataRequired(message=_l("Enter your e-mail address.")), _at_most(254)])
