"""Demo visits: a year at the desk of every verified demo room (more in summer, as the
communities' demo history goes: ``portal.demo_history``), so the counters, their trends,
the bulletin section and the desk's "today" have something to show on the first start.
The numbers come from a fixed seed (the same demo every time) and are written in bulk; a
few visits of the week are already filed in the ledger (with their receipt) or made a
mediation log."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from portal.accounts.rules import load_actor, now
from portal.accounts.tables import RoleGrant
from portal.db import insert_many, write_transaction
from portal.reception.tables import Room, Visit

DAYS = 365
# How often each category comes to a desk (a street room sees more visitors and errands).
WEIGHTS = {
    "consultation": 30, "help_request": 10, "emergency": 2, "mediation": 4, "suggestion": 3, "claim": 3, "complaint": 2,
    "errand": 8, "convenience": 25, "business": 8, "foreign_visitor": 5,
}
NOTES = {
    "consultation": ["问路去钟楼", "咨询居住证办理", "咨询无犯罪记录证明"], "help_request": ["老人走失，已联系家属", "手机丢失求助"],
    "emergency": ["路人晕倒，呼叫120"], "mediation": ["邻里漏水纠纷，双方达成一致", "停车位纠纷"],
    "suggestion": ["建议附近街道晚间加强巡逻"], "claim": ["小区门禁卡补办诉求"], "complaint": ["夜间烧烤店噪音扰民"],
    "errand": ["代领身份证", "代办居住证"], "convenience": ["借雨伞", "饮水休息", "手机充电"], "business": ["办理犬只登记"],
    "foreign_visitor": ["Lost passport, certificate of loss issued", "Directions to the Bell Tower"],
}


async def seed_visits(days: int = DAYS, seed: int = 16) -> int:
    """Visits in every verified room over the last ``days`` days (today up to now), logged
    by an officer of the room's community; then the daily counts rebuilt. Returns how many."""
    rooms = await Room.select(Room.id, Room.community, Room.kind, Room.languages, Room.community.timezone).where((Room.status == "verified") & Room.retired_at.is_null()).order_by(Room.id).run()
    if not rooms:
        return 0
    from portal.demo_history import PROFILES, Shape
    from portal.stations.tables import Community

    generator = random.Random(seed)
    moment = now()
    categories, weights = list(WEIGHTS), list(WEIGHTS.values())
    profiles = {row["id"]: p for row in await Community.select(Community.id, Community.code).run() for p in PROFILES if p.code == row["code"]}
    shape = Shape(moment)
    rows = []
    for room in rooms:
        officer = await RoleGrant.select(RoleGrant.user).where((RoleGrant.role == "officer") & (RoleGrant.community == room["community"])).order_by(RoleGrant.id).first().run()
        tz = ZoneInfo(room["community.timezone"] or "Asia/Shanghai")
        languages = [c for c in (room["languages"] or "zh").split(",") if c]
        local_now = moment.astimezone(tz)
        per_day = (2, 8) if room["kind"] == "street" else (0, 4)
        profile = profiles.get(room["community"])
        for back in range(days - 1, -1, -1):
            day = local_now.date() - dt.timedelta(days=back)
            opening = dt.datetime.combine(day, dt.time(8), tz)
            busy = shape.season(day, 0.3) * (shape.activity(profile, day) if profile else 1.0)
            for number in range(round(generator.randint(*per_day) * busy)):
                visited = opening + dt.timedelta(minutes=generator.randint(0, 12 * 60))
                if visited > local_now:
                    continue
                category = generator.choices(categories, weights)[0]
                foreign = category == "foreign_visitor" and "en" in languages
                rows.append(dict(
                    room=room["id"], community=room["community"], category=category, people=generator.choice((1, 1, 1, 2, 2, 3)),
                    language="en" if foreign else languages[0], note=generator.choice(NOTES[category]),
                    outcome="resolved" if generator.random() < 0.8 else generator.choice(("referred", "follow_up")),
                    logged_by=officer["user"] if officer else None, visited_at=visited.astimezone(dt.timezone.utc), local_day=day,
                    idempotency_key=f"demo-visit-{room['id']}-{day:%Y%m%d}-{number}", created_at=visited, updated_at=visited,
                ))
    async with write_transaction():
        await insert_many(Visit, rows)
    await _follow_some_up(moment)
    from portal.reception.counters import rebuild_daily

    await rebuild_daily()
    return len(rows)


async def _follow_some_up(moment: dt.datetime) -> None:
    """The latest complaint and claim of the last week filed in the ledger, the latest
    mediation made a log, as an officer at the desk would (through the desk's rules)."""
    from portal.reception.visits import to_ledger, to_mediation

    week_ago = moment - dt.timedelta(days=7)
    for category, turn in (("complaint", to_ledger), ("claim", to_ledger), ("mediation", to_mediation)):
        visit = await Visit.select(Visit.id, Visit.logged_by).where((Visit.category == category) & (Visit.visited_at >= week_ago) & Visit.logged_by.is_not_null()).order_by(Visit.id, ascending=False).first().run()
        if visit:
            actor = await load_actor(visit["logged_by"])
            if actor:
                await turn(actor, visit["id"], moment=moment)
