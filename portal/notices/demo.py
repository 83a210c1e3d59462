"""A demo notice: the 西关 officer's daily briefing (每日通报), on the home page of the
community's volunteers and hosts for a week after the demo is loaded."""

from __future__ import annotations

import uuid

from portal.accounts.rules import load_actor
from portal.accounts.tables import User
from portal.notices import rules
from portal.stations.tables import Community


async def seed_notices() -> None:
    officer = await User.select(User.id).where(User.username == "officer").first().run()
    community = await Community.select(Community.id).where(Community.code == "xiguan").first().run()
    if not officer or not community:
        return
    data = rules.NoticeData(
        community_id=community["id"], kind="daily", title="昨夜西关大街电动车被盗 2 起",
        body="请提醒住户把电动车停进车棚并上锁；发现有人夜间撬锁，请立即拨打 110 或联系社区民警。", lasts="7",
    )
    await rules.send(await load_actor(officer["id"]), data, None, None, str(uuid.uuid4()))
