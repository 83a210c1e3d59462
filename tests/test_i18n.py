"""Languages: negotiation, the switch, complete catalogs, locale formatting."""

import datetime as dt
import os
import re
import sys
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from portal.accounts.tables import User
from portal.settings import ROOT
from portal.web import i18n
from tests.conftest import log_in, post_form


@pytest.mark.parametrize(
    "header, expected",
    [
        ("zh", "zh_CN"),
        ("zh-CN", "zh_CN"),
        ("zh-cn,zh;q=0.9", "zh_CN"),
        ("zh-Hans", "zh_CN"),
        ("zh-Hans-CN", "zh_CN"),
        ("zh_CN", "zh_CN"),
        ("zh-TW", "zh_CN"),
        ("en", "en"),
        ("en-GB,en;q=0.8", "en"),
        ("fr-FR, en;q=0.5, zh;q=0.4", "en"),
        ("fr-FR, zh;q=0.9, en;q=0.8", "zh_CN"),
        ("de, fr", None),
        ("en;q=0, zh;q=0.1", "zh_CN"),
        ("", None),
        ("garbage;;;q=x", None),
    ],
)
def test_accept_language_variants(header, expected):
    assert i18n.negotiate(header) == expected


@pytest.mark.parametrize("header, heading", [("zh-Hans-CN", "登录"), ("zh", "登录"), ("en-US", "Log in"), ("de", "Log in")])
async def test_pages_follow_the_browser_language(client, header, heading):
    response = await client.get("/login", headers={"Accept-Language": header})
    assert f"<h1>{heading}</h1>" in response.text
    assert ('lang="zh-CN"' if heading == "登录" else 'lang="en"') in response.text


async def test_the_switch_sets_a_cookie_that_wins_over_the_browser(client):
    response = await post_form(client, "/language", {"language": "zh_CN", "next": "/login?next=/x"}, headers={"Accept-Language": "en"})
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/x"
    page = await client.get("/login", headers={"Accept-Language": "en"})
    assert "<h1>登录</h1>" in page.text
    bad = await post_form(client, "/language", {"language": "xx", "next": "https://evil.example/"})
    assert bad.headers["location"] == "/"


async def test_the_switch_is_remembered_on_the_account(client, make_user):
    user_id = await make_user("volunteer", username="chooser", preferred_language="en")
    await log_in(client, "chooser")
    await post_form(client, "/language", {"language": "zh_CN", "next": "/"})
    assert (await User.select(User.preferred_language).where(User.id == user_id).first().run())["preferred_language"] == "zh_CN"
    client.cookies.clear()  # another device, no cookie: the account's choice applies after login
    await log_in(client, "chooser")
    assert "您的账号" in (await client.get("/", headers={"Accept-Language": "en"})).text


def _entries(language):
    with open(ROOT / "portal" / "locale" / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return [m for m in read_po(handle) if m.id]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_catalogs_are_complete(language):
    entries = _entries(language)
    assert len(entries) > 50
    untranslated = [m.id for m in entries if not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert untranslated == [] and fuzzy == []


@pytest.fixture(scope="module")
def extracted():
    """The code's strings as they are now (scripts/i18n extract), with their places."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(ROOT / "scripts" / "i18n"), "extract", f"{tmp}/messages.pot"], cwd=ROOT, check=True, env={**os.environ, "PYTHON": sys.executable})
        with open(f"{tmp}/messages.pot", "rb") as handle:
            return [m for m in read_po(handle) if m.id]


def _key(message) -> tuple:
    return (message.context, message.id if isinstance(message.id, str) else message.id[0])


def test_catalogs_hold_every_string_in_the_code(extracted):
    """Re-extracting finds nothing missing from the catalogs (scripts/i18n update was run),
    each string with its context."""
    known = {_key(m) for m in _entries("zh_CN")}
    assert {_key(m) for m in extracted} - known == set()


# English words that mean different things in different places ("Open": a message to open,
# a shop open now, a matter not yet closed): wherever they are used they say which meaning
# they have, so that each meaning gets its own translation (pgettext, _lp, NC_).
AMBIGUOUS = (
    "Open", "Closed", "Close", "Name", "New", "Save", "Hours", "Save the hours", "Status", "State", "Type", "Kind",
    "Field log", "Log", "Filed", "Visit", "Visits", "Answer", "Post", "Order", "Sort", "Back", "Due", "Position",
    "Review", "Report", "Record", "Check", "Return", "Present", "Leave", "Free", "Book", "Case", "Point",
)


def test_short_words_with_several_meanings_always_carry_a_context(extracted):
    bare = sorted(f"{_key(m)[1]!r} at {path}:{line}" for m in extracted if _key(m)[1] in AMBIGUOUS and not m.context for path, line in m.locations)
    assert bare == []


def test_each_context_of_a_word_has_its_own_translation():
    """A context is there for a meaning of its own: two contexts (or a context and the bare
    word) that read the same in Chinese are one meaning, or one of them is mistranslated."""
    meanings: dict[str, dict] = {}
    for message in _entries("zh_CN"):
        context, msgid = _key(message)
        meanings.setdefault(msgid, {})[context] = message.string if isinstance(message.string, str) else message.string[0]
    same = {msgid: by_context for msgid, by_context in meanings.items() if len(by_context) > 1 and len(set(by_context.values())) < len(by_context)}
    assert same == {}


# A number followed by a counted word in the plural: "Missing 1 people" for one. Such a
# message has a singular and a plural (ngettext, NN_). A range ("0–2 days") is plural anyway.
COUNTED = re.compile(r"%\((\w+)\)[sd] (people|days|hours|minutes|weeks|months|years|shifts|logs|rows|places|parties|periods|photos|entries|times|items|visits|boards|reports|hazards|volunteers|messages|matters)\b")


def test_counted_words_have_a_singular(extracted):
    singular_only = sorted(f"{_key(m)[1]!r} at {m.locations[0][0]}" for m in extracted if isinstance(m.id, str) and any(c.group(1) != "range" for c in COUNTED.finditer(m.id)))
    assert singular_only == []


def test_plural_messages_take_their_other_variables_in_templates_and_tables(shared_app):
    """Jinja's ngettext with variables besides the number, a plural marked in a table
    (NN_) and a fraction of hours."""
    env = shared_app.template_engine.engine
    template = env.from_string('{{ ngettext("Missing %(count)s person", "Missing %(count)s people", n, count=n) }}|{{ ngettext("%(hours)s hour", "%(hours)s hours", h, hours=h) }}')
    token = i18n.activate("en")
    try:
        assert template.render(n=1, h=1) == "Missing 1 person|1 hour"
        assert template.render(n=3, h=1.5) == "Missing 3 people|1.5 hours"
        marked = i18n.NN_("%(taken)s of at least %(needed)s person is signed up.", "%(taken)s of at least %(needed)s people are signed up.", "needed")
        assert i18n.gettext(marked, taken=0, needed=1) == "0 of at least 1 person is signed up."
        assert i18n.gettext(marked, taken=1, needed=2) == "1 of at least 2 people are signed up."
    finally:
        i18n.restore(token)
    token = i18n.activate("zh_CN")
    try:
        assert template.render(n=1, h=1) == "还缺 1 人|1 小时"
    finally:
        i18n.restore(token)


def test_zh_cn_translations_keep_their_placeholders():
    import re

    for message in _entries("zh_CN"):
        source = message.id if isinstance(message.id, str) else message.id[0]
        target = message.string if isinstance(message.string, str) else message.string[0]
        assert sorted(re.findall(r"%\(\w+\)\w", source)) == sorted(re.findall(r"%\(\w+\)\w", target)), source


def test_dates_and_numbers_follow_the_language_and_the_community_zone():
    moment = dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.timezone.utc)  # 00:30 next day in Shanghai
    token = i18n.activate("zh_CN")
    try:
        assert i18n.format_datetime(moment, "Asia/Shanghai").startswith("11月24日 周二") or i18n.format_datetime(moment, "Asia/Shanghai").startswith("2026年11月24日 周二")
        assert i18n.format_number(12345.5) == "12,345.5"
    finally:
        i18n.restore(token)


def _in(language: str, call, *args):
    token = i18n.activate(language)
    try:
        return call(*args)
    finally:
        i18n.restore(token)


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", {
            "span": "Thu 10 Dec, 14:00–16:00", "overnight": "Thu 10 Dec, 22:00 – Fri 11 Dec, 06:00", "moment": "Thu 10 Dec, 14:00", "time": "14:00",
            "day": "Thu 10 Dec", "other_year": "Sat 1 Mar 2025", "date": "10 Dec 2026", "month": "December 2026",
            "deadline": "by end of 9 Dec", "deadline_at": "by Thu 10 Dec, 14:00", "due_date": "by end of 10 Dec", "legacy": "Thu 10 Dec, 14:00",
        }),
        ("zh_CN", {
            "span": "12月10日 周四 14:00–16:00", "overnight": "12月10日 周四 22:00 – 12月11日 周五 06:00", "moment": "12月10日 周四 14:00", "time": "14:00",
            "day": "12月10日 周四", "other_year": "2025年3月1日 周六", "date": "2026年12月10日", "month": "2026年12月",
            "deadline": "12月9日前（含当日）", "deadline_at": "12月10日 周四 14:00前", "due_date": "12月10日前（含当日）", "legacy": "12月10日 周四 14:00",
        }),
    ],
)
def test_one_pattern_per_language_and_purpose(language, expected, monkeypatch):
    """Times in the community's zone (Shanghai, UTC+8), the year only when it is not this
    one; a ledger deadline is the midnight that ends its last day, shown as that day."""
    monkeypatch.setattr(i18n, "_this_year", lambda tz: 2026)
    utc = dt.timezone.utc
    two_pm, four_pm = dt.datetime(2026, 12, 10, 6, 0, tzinfo=utc), dt.datetime(2026, 12, 10, 8, 0, tzinfo=utc)
    zone = "Asia/Shanghai"
    got = {
        "span": _in(language, i18n.format_span, two_pm, four_pm, zone),
        "overnight": _in(language, i18n.format_span, dt.datetime(2026, 12, 10, 14, 0, tzinfo=utc), dt.datetime(2026, 12, 10, 22, 0, tzinfo=utc), zone),
        "moment": _in(language, i18n.format_moment, two_pm, zone),
        "time": _in(language, i18n.format_time, two_pm, zone),
        "day": _in(language, i18n.format_day, two_pm, zone),
        "other_year": _in(language, i18n.format_day, dt.date(2025, 3, 1)),
        "date": _in(language, i18n.format_date, dt.date(2026, 12, 10)),
        "month": _in(language, i18n.format_month, dt.date(2026, 12, 1)),
        # 2026-12-10 00:00 in Shanghai: the end of 9 December.
        "deadline": _in(language, i18n.format_deadline, dt.datetime(2026, 12, 9, 16, 0, tzinfo=utc), zone),
        "deadline_at": _in(language, i18n.format_deadline, two_pm, zone),
        "due_date": _in(language, i18n.format_deadline, dt.date(2026, 12, 10)),
        "legacy": _in(language, i18n.format_datetime, two_pm, zone, "short"),
    }
    assert got == expected


async def test_a_ledger_deadline_reads_as_its_last_day(app, area, client_for):
    """The deadline of a stage (working days, ending at local midnight) on the item's page
    in both languages: never "00:00"."""
    from portal.ledger.calendar import due_after
    from portal.ledger.rules import NewItem, file_item
    from portal.ledger.tables import LedgerItem

    item = await file_item(None, NewItem(ledger="suggestion", category="traffic", community_id=area.community_id, summary="Crossing"))
    due = await due_after(dt.datetime.now(dt.timezone.utc), 3, "Asia/Shanghai")
    await LedgerItem.update({LedgerItem.stage_due_at: due}).where(LedgerItem.id == item["id"]).run()
    last_day = due.astimezone(ZoneInfo("Asia/Shanghai")).date() - dt.timedelta(days=1)
    officer, _ = await client_for("officer")
    english = (await officer.get(f"/ledger/{item['id']}")).text
    assert f"Due by end of {last_day.day} {last_day.strftime('%b')}" in english and "00:00" not in english
    await post_form(officer, "/language", {"language": "zh_CN", "next": "/"})
    chinese = (await officer.get(f"/ledger/{item['id']}")).text
    assert f"{last_day.month}月{last_day.day}日前（含当日）" in chinese


async def test_short_words_carry_their_meaning_in_chinese(client_for):
    """"Open" on a message is 打开 and on opening hours 营业; a closed day is 休息, a closed
    ledger matter 已办结; a place's or a thing's name is 名称, a person's 姓名."""
    from portal.notifications.rules import notify

    token = i18n.activate("zh_CN")
    try:
        assert (i18n.pgettext("message", "Open"), i18n.pgettext("opening hours", "Open"), i18n.pgettext("matter state", "Open")) == ("打开", "营业", "在办")
        assert (i18n.pgettext("opening hours", "Closed"), i18n.pgettext("matter state", "Closed")) == ("休息", "已办结")
        assert (i18n.pgettext("thing", "Name"), i18n.pgettext("person", "Name")) == ("名称", "姓名")
        assert i18n.pgettext("ledger source", "Field log") == "工作日志"
        assert (i18n.pgettext("opening hours", "Save the hours"), i18n.pgettext("time served", "Save the hours")) == ("保存营业时间", "保存时长")
        # A word marked with its context where it is defined keeps it when shown by _().
        assert i18n.gettext(i18n.NC_("matter state", "Open")) == "在办"
    finally:
        i18n.restore(token)
    volunteer, user_id = await client_for("volunteer", preferred_language="zh_CN")
    await notify(user_id, "test", "有新消息", link="/shifts/")
    inbox = await volunteer.get("/inbox", headers={"Accept-Language": "zh-CN"})
    assert '<button type="submit">打开</button>' in inbox.text


async def test_opening_hours_never_read_as_ledger_stages(client, make_user, area):
    """A shop's day off is 休息 on its public page and on the host's hours form, whose
    choices are 营业 / 休息 and whose button saves the opening hours (营业时间), never the
    ledger's 在办 / 已办结 or a volunteer's 时长."""
    from tests.test_public_routes import slug_of
    from tests.test_watchpoints_rules import ALL, SHUT, make_point

    point_id, host_id = await make_point(make_user, area, week=(ALL, SHUT, ALL, ALL, ALL, ALL, ALL))
    public = (await client.get(f"/p/{await slug_of(point_id)}", headers={"accept-language": "zh-CN"})).text
    assert "休息" in public and "已办结" not in public and "在办" not in public
    from portal.accounts.tables import User

    await User.update({User.preferred_language: "zh_CN"}).where(User.id == host_id).run()
    username = (await User.select(User.username).where(User.id == host_id).first().run())["username"]
    await log_in(client, username)
    form = (await client.get(f"/watchpoints/{point_id}/hours")).text
    assert ">营业<" in form and ">休息<" in form and "保存营业时间" in form
    assert "已办结" not in form and "在办" not in form and "保存时长" not in form
