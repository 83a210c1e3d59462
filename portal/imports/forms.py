"""The upload form of the imports feature."""

from __future__ import annotations

from wtforms import FileField, SelectField
from wtforms.validators import InputRequired

from portal.web.forms import Form
from portal.web.i18n import lazy_gettext as _l


class UploadForm(Form):
    kind = SelectField(_l("What the file holds"), choices=[], validate_choice=True, validators=[InputRequired(message=_l("Choose what the file holds."))])
    file = FileField(_l("File (.xlsx or .csv)"))
