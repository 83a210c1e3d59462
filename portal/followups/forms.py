"""The follow-ups' forms: recording a mediation's follow-up, issuing a rectification
notice, a station's wording, and the party's report of the fix (a public form)."""

from __future__ import annotations

from wtforms import DateField, FileField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.followups.labels import RESULT_LABELS
from portal.followups.mediation import NOTE_MAX
from portal.followups.notices import NOTE_MAX as REPORT_NOTE_MAX
from portal.followups.notices import PARTY_MAX, WORDING_MAX
from portal.followups.tables import RESULTS
from portal.web.forms import Form, OnceForm
from portal.web.i18n import lazy_gettext as _l


def _max(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters.", max=limit))


class FollowUpForm(Form):
    result = RadioField(_l("How it stands"), choices=[(r, _l(RESULT_LABELS[r])) for r in RESULTS], validators=[InputRequired(message=_l("Choose one of the options."))])
    followed_up_on = DateField(_l("Date of the follow-up"), [InputRequired(message=_l("Give the date of the follow-up."))],
                               description=_l("When you asked the parties, or the day it was referred on."))
    note = TextAreaField(_l("Note (optional)"), [Optional(), _max(NOTE_MAX)], description=_l("What the parties said; no names or phone numbers here."))


class NoticeForm(OnceForm):
    party = StringField(_l("Addressed to"), [DataRequired(message=_l("Say to whom the notice is addressed.")), _max(PARTY_MAX)],
                        description=_l("The person or the company responsible, as on their licence or ID."))
    party_address = StringField(_l("Their address (optional)"), [Optional(), _max(PARTY_MAX)])


class WordingForm(Form):
    text = TextAreaField(_l("Legal wording"), [DataRequired(message=_l("Write the wording of the notice.")), _max(WORDING_MAX)],
                         description=_l("Printed between the addressee and the hazard. The number, the hazard with its photos, the deadline, the signature lines and the QR code are added by the portal."))


class ReportForm(OnceForm):
    photo = FileField(_l("Photo of the fixed place"), description=_l("JPEG, PNG or WebP, at most 5 MB."))
    note = TextAreaField(_l("What was done (optional)"), [Optional(), _max(REPORT_NOTE_MAX)])
    # The honeypot: hidden from people by CSS and aria-hidden; bots fill it in.
    website = StringField(_l("Leave this empty"), [Optional(), Length(max=200)])

    def validate_photo(self, field):
        field.data = field.data if hasattr(field.data, "read") and getattr(field.data, "filename", "") else None
        if field.data is None:
            raise ValidationError(_l("Add a photo of the fixed place."))
