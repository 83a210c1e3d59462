"""The one form path: a declared WTForms form → cleaned data or field errors.

Every message is translated: ours through the portal catalogs, WTForms' built-in
ones ("This field is required.") through the catalog WTForms ships for Chinese.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any, TypeVar

from litestar import Request
from litestar.datastructures import MultiDict
from wtforms import Form as _WTForm
from wtforms import HiddenField, IntegerField
from wtforms import i18n as wtforms_i18n
from wtforms.meta import DefaultMeta

from portal.web.i18n import current_language
from portal.web.i18n import gettext as _

F = TypeVar("F", bound="Form")
WTFORMS_LANGUAGE = {"zh_CN": ["zh"], "en": ["en"]}


class _FormData:
    """Adapts Litestar's form multidict to the ``getlist`` interface WTForms reads."""

    def __init__(self, data: Any):
        self._data = data

    def __iter__(self):
        return iter(self._data.keys())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def getlist(self, key: str) -> list:
        if hasattr(self._data, "getall"):
            values = list(self._data.getall(key, []))
        else:
            value = self._data.get(key)
            values = [] if value is None else value if isinstance(value, list) else [value]
        return [without_nul(v) if isinstance(v, str) else v for v in values]


def without_nul(text: str) -> str:
    """NUL never means anything in a form, and PostgreSQL cannot store it in text."""
    return text.replace("\x00", "")


# Whole numbers a form accepts at all: the database's integer columns are 32-bit on
# PostgreSQL, and WTForms' NumberRange fails on integers too large for a float.
MAX_FORM_INT = 2**31 - 1
# WTForms' own message for an IntegerField it cannot read, translated by WTForms' catalog.
_WTFORMS_NOT_AN_INTEGER = "Not a valid integer value."


def _refuse_huge_integers(form: "Form") -> None:
    for field in form:
        if isinstance(field, IntegerField) and isinstance(field.data, int) and abs(field.data) > MAX_FORM_INT:
            field.data = None
            field.process_errors.append(field.gettext(_WTFORMS_NOT_AN_INTEGER))


@functools.lru_cache(maxsize=8)
def _wtforms_translations(language: str):
    # wtforms looks its catalog up on disk for every form otherwise.
    return wtforms_i18n.get_translations(WTFORMS_LANGUAGE.get(language, ["en"]))


class _Meta(DefaultMeta):
    def get_translations(self, form):
        return _wtforms_translations(current_language())


class Form(_WTForm):
    Meta = _Meta

    @classmethod
    async def from_request(cls: type[F], request: Request, **kwargs) -> F:
        data = await request.form()
        form = cls(formdata=_FormData(data), **kwargs)
        _refuse_huge_integers(form)
        return form

    def fail(self, field_name: str, message: str) -> None:
        """Attach an error a rule found (after validation) to a field."""
        field = getattr(self, field_name, None)
        if field is None:
            self.form_errors.append(message)
            return
        field.errors = [*field.errors, message]

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(f.errors for f in self)


class OnceForm(Form):
    """A form saved once however often it is sent: the key is made when the form is shown,
    so a double tap, a retry after a timeout or a reload after submit repeat it."""

    idempotency_key = HiddenField()

    @classmethod
    def blank(cls, **kwargs):
        form = cls(**kwargs)
        form.idempotency_key.data = str(uuid.uuid4())
        return form

    def validate_idempotency_key(self, field):
        try:
            uuid.UUID(field.data or "")
        except ValueError:
            field.data = str(uuid.uuid4())  # a form without a key still saves once


def refill(context: dict[str, Any], fields: list[tuple[str, str]]) -> None:
    """Fill the page's form with what was typed before a login (``portal.web.drafts``): the
    form of ``context`` whose fields were sent (the one matching most of their names), as
    if the fields had been posted, with a message saying the form was not sent yet."""
    sent = {name for name, _value in fields}
    forms = [value for value in context.values() if isinstance(value, _WTForm)]
    scored = sorted(((sum(1 for field in form if field.name in sent), index, form) for index, form in enumerate(forms)), key=lambda item: (-item[0], item[1]))
    if not scored or scored[0][0] == 0:
        return
    form = scored[0][2]
    form.process(formdata=_FormData(MultiDict(fields)))
    form.form_errors.append(_("You were signed out before this form was sent. Here is what you typed: check it and send it again (photos must be chosen again)."))
