"""notify(): in the recipient's language, once per dedupe key."""

import asyncio

from portal.notifications.rules import notify, unread_count
from portal.notifications.tables import Notification
from portal.web.i18n import N_


async def test_a_message_is_written_in_the_recipients_language(make_user):
    chinese = await make_user("volunteer", preferred_language="zh_CN")
    english = await make_user("volunteer", preferred_language="en")
    for user_id in (chinese, english):
        assert await notify(user_id, "test", N_("Log in"), link="/login")
    subjects = {r["user"]: r["subject"] for r in await Notification.select(Notification.user, Notification.subject).run()}
    assert subjects == {chinese: "登录", english: "Log in"}
    assert await unread_count(chinese) == 1


async def test_the_same_dedupe_key_notifies_once_even_concurrently(make_user):
    user_id = await make_user("volunteer")
    results = await asyncio.gather(*(notify(user_id, "reminder", N_("Log in"), dedupe_key="reminder:shift-1:24h") for _ in range(10)))
    assert results.count(True) == 1
    assert await Notification.count().where(Notification.user == user_id).run() == 1
