"""Languages: negotiation, the request's translations, and locale-aware formatting.

The request's locale lives in a context variable so rules, forms and templates all
translate with the same ``gettext`` without passing the request around.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import parse_pattern
from babel.numbers import format_decimal
from babel.support import LazyProxy, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("zh_CN", "en")
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
LANGUAGE_COOKIE = "lang"

_current = contextvars.ContextVar("portal_locale", default="zh_CN")


@lru_cache(maxsize=None)
def translations(language: str) -> Translations:
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


def current_language() -> str:
    return _current.get()


def activate(language: str) -> contextvars.Token:
    return _current.set(language if language in LANGUAGES else "zh_CN")


def restore(token: contextvars.Token) -> None:
    _current.reset(token)


class Contextual(str):
    """A msgid marked with its context where it is defined (``NC_``), translated with
    that context wherever it is shown, even by a plain ``_()``."""

    context: str

    def __new__(cls, context: str, message: str):
        marked = super().__new__(cls, message)
        marked.context = context
        return marked


class Plural(str):
    """A message with a plural form, marked where it is defined (``NN_``): translated
    with ngettext for the number in its ``count`` variable wherever it is shown."""

    plural: str
    count: str

    def __new__(cls, singular: str, plural: str, count: str = "num"):
        marked = super().__new__(cls, singular)
        marked.plural, marked.count = plural, count
        return marked


def plural_number(n) -> int:
    """The number that chooses a plural form: a whole number as it is, a fraction as
    many ("1.5 hours"), nothing as none."""
    if n is None or n == "":
        return 0
    try:
        whole = int(n)
    except (TypeError, ValueError):
        return 0
    return whole if whole == n else max(whole, 2)


def translate(message: str) -> str:
    """The translation alone, not formatted (Jinja's newstyle gettext formats it)."""
    if isinstance(message, Contextual):
        return translations(_current.get()).pgettext(message.context, message)
    return translations(_current.get()).ugettext(message)


def translate_context(context: str, message: str) -> str:
    return translations(_current.get()).pgettext(context, message)


def translate_plural(singular: str, plural: str, n) -> str:
    return translations(_current.get()).ungettext(singular, plural, plural_number(n))


def translate_context_plural(context: str, singular: str, plural: str, n) -> str:
    return translations(_current.get()).npgettext(context, singular, plural, plural_number(n))


def gettext(message: str, **variables) -> str:
    if isinstance(message, Plural):
        return ngettext(message, message.plural, variables.get(message.count), **variables)
    text = translate(message)
    return text % variables if variables else text


def pgettext(context: str, message: str, **variables) -> str:
    """A short word whose meaning depends on where it stands (Open, Closed, Name, ...)."""
    text = translate_context(context, message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n, **variables) -> str:
    return translate_plural(singular, plural, n) % {"num": n, **variables}


def npgettext(context: str, singular: str, plural: str, n, **variables) -> str:
    return translate_context_plural(context, singular, plural, n) % {"num": n, **variables}


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


def NC_(context: str, message: str) -> Contextual:
    """``N_`` for a short word with several meanings: the mark keeps its context."""
    return Contextual(context, message)


def NN_(singular: str, plural: str, count: str = "num") -> Plural:
    """``N_`` for a message about a number: translated with the plural form that fits the
    number in the variable ``count`` when it is shown."""
    return Plural(singular, plural, count)


def lazy_gettext(message: str, **variables) -> LazyProxy:
    """For strings defined at import time (form labels), translated when shown."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def lazy_pgettext(context: str, message: str, **variables) -> LazyProxy:
    return LazyProxy(pgettext, context, message, enable_cache=False, **variables)


def lazy_ngettext(singular: str, plural: str, n, **variables) -> LazyProxy:
    return LazyProxy(ngettext, singular, plural, n, enable_cache=False, **variables)


def normalise_tag(tag: str) -> str | None:
    """Map a BCP 47 tag to one of our languages: every Chinese tag is zh_CN."""
    tag = tag.strip().lower().replace("_", "-")
    if tag == "zh" or tag.startswith("zh-"):
        return "zh_CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def negotiate(accept_language: str | None) -> str | None:
    """The best of our languages for an Accept-Language header, or None."""
    if not accept_language:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = normalise_tag(tag)
        if language and quality > 0:
            weighted.append((-quality, position, language))
    return min(weighted)[2] if weighted else None


def choose_language(cookie: str | None, user_language: str | None, accept_language: str | None, default: str) -> str:
    """An explicit choice (cookie) wins, then the account's, then the browser's."""
    for candidate in (cookie, user_language):
        if candidate in LANGUAGES:
            return candidate
    return negotiate(accept_language) or default


@lru_cache(maxsize=None)
def locale_of(language: str) -> Locale:
    """One Locale object per language (``Locale.parse`` builds a new one on every call)."""
    return Locale.parse(language)


def babel_locale() -> Locale:
    return locale_of(current_language())


def _digits(attribute: str):
    def field(num: int):
        return lambda value: "%0*d" % (num, getattr(value, attribute))

    return field


def _names(kind: str, context: str, width: str, locale: Locale, index) -> Callable:
    names = dict((locale.months if kind == "month" else locale.days)[context][width])
    return lambda value: names[index(value)]


def _field(name: str, locale: Locale) -> Callable | None:
    """What Babel's ``DateTimeFormat[name]`` gives, for the fields the portal's patterns
    use; None for any other (the whole pattern is then left to Babel)."""
    char, num = name[0], len(name)
    if char in "dHms":
        return _digits({"d": "day", "H": "hour", "m": "minute", "s": "second"}[char])(num)
    if char == "y":
        if num == 2:
            return lambda value: ("%0*d" % (2, value.year))[-2:]
        return _digits("year")(num)
    if char in "ML":
        if num <= 2:
            return _digits("month")(num)
        width = {3: "abbreviated", 4: "wide", 5: "narrow"}[num]
        return _names("month", "format" if char == "M" else "stand-alone", width, locale, lambda value: value.month)
    if char in "Ec" and (char == "E" or num >= 3):
        width = {3: "abbreviated", 4: "wide", 5: "narrow", 6: "short"}[max(num, 3)]
        return _names("day", "format" if char == "E" else "stand-alone", width, locale, lambda value: value.weekday())
    return None


@lru_cache(maxsize=None)
def formatter(language: str, pattern: str) -> Callable[[dt.date | dt.datetime | dt.time], str]:
    """A CLDR date/time pattern compiled once per language: the same text as Babel's
    ``format_datetime(value, pattern, locale=language)`` for a value already in its zone,
    without a Locale parsed, a pattern parsed or a DateTimeFormat built per call. Its
    numbers, month and weekday names are looked up in tables read from the locale once;
    a pattern with other fields (eras, time zones, day periods, ...) is applied by
    Babel's own DateTimePattern, parsed once."""
    locale = locale_of(language)
    parsed = parse_pattern(pattern)
    fields = {}
    for name in re.findall(r"%\((\w+)\)s", parsed.format):
        field = _field(name, locale)
        if field is None:
            return lambda value: parsed.apply(value, locale)
        fields[name] = field
    template = parsed.format
    if not fields:
        text = template % {}
        return lambda value: text
    items = tuple(fields.items())
    return lambda value: template % {name: field(value) for name, field in items}


# Dates and times: one pattern per language and purpose, in CLDR's pattern letters, applied
# by Babel in the reader's language (its day and month names). A day of another year than
# this one (in the community's zone) carries its year.
PATTERNS = {
    "en": {
        "day": "EEE d MMM", "day_year": "EEE d MMM y", "plain_day": "d MMM", "plain_day_year": "d MMM y",
        "date": "d MMM y", "time": "HH:mm", "month": "MMMM y", "weekday": "EEEE",
    },
    "zh_CN": {
        "day": "M月d日 EEE", "day_year": "y年M月d日 EEE", "plain_day": "M月d日", "plain_day_year": "y年M月d日",
        "date": "y年M月d日", "time": "HH:mm", "month": "y年M月", "weekday": "EEEE",
    },
}
# How a day and its times join: "Thu 10 Dec, 14:00", "Thu 10 Dec, 14:00–16:00" / "12月10日 周四 14:00".
JOINS = {
    "en": {"moment": "{day}, {time}", "span": "{day}, {start}–{end}", "across": "{start} – {end}"},
    "zh_CN": {"moment": "{day} {time}", "span": "{day} {start}–{end}", "across": "{start} – {end}"},
}
DEFAULT_ZONE = "Asia/Shanghai"


def _apply(purpose: str, value) -> str:
    language = current_language()
    return formatter(language, PATTERNS[language][purpose])(value)


def _in_zone(value: dt.datetime, tz: str | None) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(ZoneInfo(tz or DEFAULT_ZONE))


def _this_year(tz: str | None) -> int:
    return dt.datetime.now(ZoneInfo(tz or DEFAULT_ZONE)).year


def _day_of(value, tz: str | None) -> dt.date:
    return _in_zone(value, tz).date() if isinstance(value, dt.datetime) else value


def format_day(value: dt.date | dt.datetime | None, tz: str | None = None) -> str:
    """A day with its weekday: "Thu 10 Dec" / "12月10日 周四"."""
    if value is None:
        return ""
    day = _day_of(value, tz)
    return _apply("day" if day.year == _this_year(tz) else "day_year", day)


def format_time(value: dt.datetime | None, tz: str | None = None) -> str:
    """"14:00", on the 24-hour clock in both languages."""
    return _apply("time", _in_zone(value, tz)) if value else ""


def format_moment(value: dt.datetime | None, tz: str | None = None) -> str:
    """A moment: "Thu 10 Dec, 14:00" / "12月10日 周四 14:00"."""
    if value is None:
        return ""
    return JOINS[current_language()]["moment"].format(day=format_day(value, tz), time=format_time(value, tz))


def format_span(start: dt.datetime | None, end: dt.datetime | None, tz: str | None = None) -> str:
    """A time range: on one day "Thu 10 Dec, 14:00–16:00" / "12月10日 周四 14:00–16:00",
    overnight both moments in full."""
    if start is None:
        return ""
    if end is None:
        return format_moment(start, tz)
    joins = JOINS[current_language()]
    if _day_of(start, tz) == _day_of(end, tz):
        return joins["span"].format(day=format_day(start, tz), start=format_time(start, tz), end=format_time(end, tz))
    return joins["across"].format(start=format_moment(start, tz), end=format_moment(end, tz))


def format_deadline(value: dt.date | dt.datetime | None, tz: str | None = None) -> str:
    """A deadline that cannot be misread. A deadline at local midnight is the end of the day
    before: "by end of 9 Dec" / "12月9日前（含当日）", never "10 Dec 00:00"; another time of
    day is named: "by Thu 10 Dec, 14:00"; a date is the end of that day."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = _in_zone(value, tz)
        if local.time() != dt.time(0, 0):
            return gettext("by %(moment)s", moment=format_moment(value, tz))
        value = local.date() - dt.timedelta(days=1)
    return gettext("by end of %(day)s", day=format_plain_day(value, tz))


def format_plain_day(value: dt.date | None, tz: str | None = None) -> str:
    """A day without its weekday: "9 Dec" / "12月9日", for deadlines and short ranges."""
    if value is None:
        return ""
    day = _day_of(value, tz)
    return _apply("plain_day" if day.year == _this_year(tz) else "plain_day_year", day)


def format_month(value: dt.date | None) -> str:
    """"December 2026" / "2026年12月"."""
    return _apply("month", value) if value else ""


def format_weekday(value: dt.date) -> str:
    """"Tuesday" / "星期二"."""
    return _apply("weekday", value)


# Babel's format names that older callers pass, and the purpose each now means.
_LEGACY = {"short": "moment", "medium": "moment", "long": "moment", "full": "moment", "HH:mm": "time"}


def format_datetime(value: dt.datetime | None, tz: str = DEFAULT_ZONE, format: str = "moment") -> str:
    """A moment (``format`` "time" for the time alone); other CLDR patterns still work for
    code not moved to a purpose yet."""
    if value is None:
        return ""
    purpose = _LEGACY.get(format, format)
    if purpose == "moment":
        return format_moment(value, tz)
    if purpose == "time":
        return format_time(value, tz)
    return formatter(current_language(), format)(_in_zone(value, tz))


def format_date(value: dt.date | None, format: str = "date") -> str:
    """A date with its year: "10 Dec 2026" / "2026年12月10日"; ``format`` "day" with its
    weekday (the "long" and "full" of older callers too)."""
    if not value:
        return ""
    if format in ("day", "long", "full"):
        return format_day(value)
    if format in ("date", "short", "medium"):
        return _apply("date", value)
    # As Babel's format_date: a moment counts by its date.
    return formatter(current_language(), format)(value.date() if isinstance(value, dt.datetime) else value)


def format_number(value: float | int) -> str:
    return format_decimal(value, locale=babel_locale())


def localized(row: dict, field: str) -> str:
    """``row['<field>_en']`` in English when present, else the Chinese ``<field>_zh`` (or
    ``<field>`` itself, where an older table named its Chinese column so)."""
    if current_language() == "en" and row.get(f"{field}_en"):
        return row[f"{field}_en"]
    return row.get(f"{field}_zh") or row.get(field) or row.get(f"{field}_en") or ""
