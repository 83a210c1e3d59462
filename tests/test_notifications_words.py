"""A message is put in words when it is read, in the reader's language of the moment: its
msgids and parameters are kept (names with their English form, moments in the community's
zone, msgids, plurals); rows written before keep their stored words."""

import datetime as dt

from portal.notifications.rules import Joined, Named, Translated, When, notify
from portal.notifications.tables import Notification
from portal.shifts import rules as shifts
from portal.shifts.tables import Shift, Signup
from portal.web import i18n
from portal.web.i18n import N_, NN_
from tests.conftest import post_form

UTC = dt.timezone.utc


async def _inbox(client) -> str:
    return (await client.get("/inbox")).text


async def test_a_message_reads_in_the_language_the_reader_has_now(client_for, monkeypatch):
    monkeypatch.setattr(i18n, "_this_year", lambda tz: 2026)  # a day of this year shows no year
    reader, user_id = await client_for("volunteer", preferred_language="en")
    starts = dt.datetime(2026, 12, 10, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    await notify(
        user_id, "test", N_("Shift cancelled: %(shift)s"), NN_("%(taken)s of at least %(needed)s person is signed up.", "%(taken)s of at least %(needed)s people are signed up.", "needed"),
        link="/shifts/mine", shift=Joined((Named("西关夜巡", "Xiguan night patrol"), When(starts, "Asia/Shanghai"))), taken=1, needed=2,
    )
    english = await _inbox(reader)
    assert "Shift cancelled: Xiguan night patrol · Thu 10 Dec" in english and "19:00" in english and "1 of at least 2 people are signed up." in english
    # The stored words are the recipient's at the time (for e-mail and old readers).
    stored = await Notification.select(Notification.subject).first().run()
    assert stored["subject"].startswith("Shift cancelled: Xiguan night patrol")

    await post_form(reader, "/language", {"language": "zh_CN", "next": "/"})
    chinese = await _inbox(reader)
    assert "班次已取消：西关夜巡 · 12月10日 周四 19:00" in chinese and "Xiguan" not in chinese and "已报名 1 人，至少需要 2 人。" in chinese


async def test_a_translated_parameter_and_a_day_follow_the_reader(client_for):
    reader, user_id = await client_for("officer", preferred_language="zh_CN")
    await notify(user_id, "test", N_("Overdue: %(number)s"), N_("Ledger item %(number)s is past its deadline at the stage \"%(stage)s\" (accountable: %(officer)s)."),
                 link="/ledger", number="BL-2026-000001", stage=Translated("In progress"), officer="王警官")
    assert "在“办理中”环节已超期（责任民警：王警官）" in await _inbox(reader)
    await post_form(reader, "/language", {"language": "en", "next": "/"})
    assert 'at the stage "In progress" (accountable: 王警官).' in (await _inbox(reader)).replace("&#34;", '"')


async def test_rows_written_before_keep_their_words(client_for):
    reader, user_id = await client_for("volunteer", preferred_language="zh_CN")
    await Notification.insert(Notification(user=user_id, kind="old", subject="旧消息", body="旧的正文", link="/", created_at=dt.datetime.now(UTC))).run()
    await post_form(reader, "/language", {"language": "en", "next": "/"})
    page = await _inbox(reader)
    assert "旧消息" in page and "旧的正文" in page


async def test_a_cancelled_shift_is_told_in_each_readers_words(client_for, area):
    """The shift's kind in the reader's language, its start in the community's zone."""
    officer, officer_id = await client_for("officer")
    kind = await shifts.create_kind(None, area.community_id, {"kind": "patrol", "name": "西关夜巡", "name_en": "Xiguan night patrol", "place": "", "required_skills": "", "min_people": 1, "max_people": 3, "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False})
    starts = shifts.utcnow() + dt.timedelta(days=2)
    shift = (await Shift.insert(Shift(community=area.community_id, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=1, capacity=3, taken=2, created_at=shifts.utcnow())).returning(Shift.id).run())[0]["id"]
    english, english_id = await client_for("volunteer", preferred_language="en")
    chinese, chinese_id = await client_for("volunteer", preferred_language="zh_CN")
    for person in (english_id, chinese_id):
        await Signup.insert(Signup(shift=shift, user=person, status="active", queued_at=starts, updated_at=starts)).run()
    from portal.accounts.rules import load_actor

    await shifts.cancel_shift(await load_actor(officer_id), area.community_id, shift, "Storm warning", shifts.utcnow())
    assert "Shift cancelled: Xiguan night patrol · " in await _inbox(english)
    in_chinese = await _inbox(chinese)
    assert "班次已取消：西关夜巡 · " in in_chinese and " 周" in in_chinese and "Xiguan" not in in_chinese
