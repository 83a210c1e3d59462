"""Forms of the public front door: the intake form, the tracking lookup, the answer."""

from __future__ import annotations

import uuid

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from portal.public.rules import ANSWER_MAX, TEXT_MAX
from portal.web.forms import Form
from portal.web.i18n import lazy_gettext as _l

PHONE_PATTERN = r"^\+?[0-9 ()-]{3,24}$"


class IntakeForm(Form):
    idempotency_key = HiddenField()
    text = TextAreaField(
        _l("What is it about?"),
        [DataRequired(message=_l("Tell us what it is about.")), Length(max=TEXT_MAX, message=_l("Use at most %(max)d characters.", max=TEXT_MAX))],
    )
    contact_name = StringField(_l("Your name (optional)"), [Optional(), Length(max=100, message=_l("Use at most %(max)d characters.", max=100))])
    contact_phone = StringField(
        _l("Your phone (optional)"),
        [Optional(), Regexp(PHONE_PATTERN, message=_l("Enter a phone number of digits, spaces or dashes."))],
    )
    contact_email = StringField(
        _l("Your e-mail, for the answer (optional)"),
        [Optional(), Email(message=_l("Enter an e-mail address.")), Length(max=254, message=_l("Use at most %(max)d characters.", max=254))],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    # The honeypot: hidden from people by CSS and aria-hidden; bots fill it in.
    website = StringField(_l("Leave this empty"), [Optional(), Length(max=200)])

    @classmethod
    def blank(cls) -> "IntakeForm":
        form = cls()
        form.idempotency_key.data = str(uuid.uuid4())
        return form

    def key(self) -> str:
        try:
            return str(uuid.UUID(self.idempotency_key.data or ""))
        except ValueError:
            return str(uuid.uuid4())


class AnswerForm(Form):
    text = TextAreaField(
        _l("Your answer"),
        [DataRequired(message=_l("Write the answer.")), Length(max=ANSWER_MAX, message=_l("Use at most %(max)d characters.", max=ANSWER_MAX))],
    )
