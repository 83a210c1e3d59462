"""The one form path: a declared WTForms form → cleaned data or field errors.

Every message is translated: ours through the portal catalogs, WTForms' built-in
ones ("This field is required.") through the catalog WTForms ships for Chinese.
"""

from __future__ import annotations

from typing import Any, TypeVar

from litestar import Request
from wtforms import Form as _WTForm
from wtforms import i18n as wtforms_i18n
from wtforms.meta import DefaultMeta

from portal.web.i18n import current_language

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
            return list(self._data.getall(key, []))
        value = self._data.get(key)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]


class _Meta(DefaultMeta):
    def get_translations(self, form):
        return wtforms_i18n.get_translations(WTFORMS_LANGUAGE.get(current_language(), ["en"]))


class Form(_WTForm):
    Meta = _Meta

    @classmethod
    async def from_request(cls: type[F], request: Request, **kwargs) -> F:
        data = await request.form()
        return cls(formdata=_FormData(data), **kwargs)

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
