"""The cached date/time formatter writes exactly what Babel writes.

``portal.web.i18n.formatter`` compiles a CLDR pattern once per language (numbers, month
and weekday names from tables read once); these tests hold it to Babel's own
``format_datetime``/``format_date`` in both languages, in zones with and without
daylight saving time, across the changes of the clocks.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_datetime

from portal.web import i18n

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC")
PATTERNS = sorted({p for language in i18n.PATTERNS.values() for p in language.values()} | {
    "yyyy-MM-dd HH:mm", "yy-M-d H:m:s", "LLLL", "LLL", "MMMMM", "EEEEE", "EEEEEE", "cccc", "E d",
    "h:mm a", "HH:mm zzzz", "G y", "'at' HH 'o''clock'",  # the last three: fields left to Babel's pattern
})


def moments() -> list[dt.datetime]:
    utc = dt.timezone.utc
    # Every 7 hours through a year (every weekday, month and hour), and the minutes
    # around the clock changes of 2026 in Berlin (29 Mar, 25 Oct) and New York (8 Mar, 1 Nov).
    found = [dt.datetime(2026, 1, 1, tzinfo=utc) + dt.timedelta(hours=7 * n) for n in range(0, 365 * 24 // 7, 3)]
    for change in (dt.datetime(2026, 3, 29, 1, tzinfo=utc), dt.datetime(2026, 10, 25, 1, tzinfo=utc),
                   dt.datetime(2026, 3, 8, 7, tzinfo=utc), dt.datetime(2026, 11, 1, 6, tzinfo=utc)):
        found += [change + dt.timedelta(minutes=m) for m in (-61, -30, -1, 0, 1, 30, 59, 61)]
    return found + [dt.datetime(999, 12, 31, 23, 59, tzinfo=utc), dt.datetime(2026, 12, 31, 16, 5, 9, tzinfo=utc)]


@pytest.mark.parametrize("language", i18n.LANGUAGES)
@pytest.mark.parametrize("zone", ZONES)
def test_the_cached_formatter_writes_what_babel_writes(language, zone):
    tz = ZoneInfo(zone)
    for pattern in PATTERNS:
        compiled = i18n.formatter(language, pattern)
        for moment in moments():
            assert compiled(moment.astimezone(tz)) == format_datetime(moment, pattern, tzinfo=tz, locale=language), (pattern, moment)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_dates_format_as_babel_formats_them(language):
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(0, 400, 3)]
    for pattern in [p for p in PATTERNS if not any(c in p for c in "Hhmsaz")]:
        for day in days:
            assert i18n.formatter(language, pattern)(day) == format_date(day, pattern, locale=language), (pattern, day)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_filters_give_babels_text_in_the_communitys_zone(language):
    token = i18n.activate(language)
    try:
        for zone in ZONES:
            for moment in moments()[::5]:
                local = moment.astimezone(ZoneInfo(zone))
                assert i18n.format_time(moment, zone) == format_datetime(moment, "HH:mm", tzinfo=ZoneInfo(zone), locale=language)
                assert i18n.format_datetime(moment, zone, "yyyy-MM-dd HH:mm") == format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=ZoneInfo(zone), locale=language)
                assert i18n.format_date(local.date(), "date") == format_date(local.date(), i18n.PATTERNS[language]["date"], locale=language)
                assert i18n.format_date(local, "EEE d MMMM y") == format_date(local, "EEE d MMMM y", locale=language)
    finally:
        i18n.restore(token)


def test_one_locale_and_one_compiled_pattern_per_language():
    assert i18n.locale_of("en") is i18n.locale_of("en")
    assert i18n.formatter("zh_CN", "HH:mm") is i18n.formatter("zh_CN", "HH:mm")
