"""Demo data: one station, three communities, and an account for every role.

Only ``portal seed-demo`` creates these accounts; their password is public.
"""

from __future__ import annotations

import datetime as dt
import uuid

from portal.accounts.rules import create_user, now
from portal.accounts.tables import User
from portal.db import write_transaction
from portal.stations.tables import City, Community, District, Station
from portal.volunteers.rules import Application, apply, ensure_profile

DEMO_PASSWORD = "shouwang-demo"

COMMUNITIES = [
    ("xiguan", "西关社区", "Xiguan Community"),
    ("dongmen", "东门社区", "Dongmen Community"),
    ("nanshan", "南山社区", "Nanshan Community"),
]

# username, real name, role, community index (None: station-wide or global), language
ACCOUNTS = [
    ("admin", "系统管理员", "admin", None, "zh_CN"),
    ("head", "赵所长", "head", None, "zh_CN"),
    ("officer", "王莉", "officer", 0, "zh_CN"),
    ("officer2", "李明", "officer", 1, "zh_CN"),
    ("volunteer", "张建国", "volunteer", 0, "zh_CN"),
    ("volunteer2", "刘芳", "volunteer", 0, "zh_CN"),
    ("volunteer3", "Tom Walker", "volunteer", 1, "en"),
    ("host", "陈记药房 陈老板", "host", 0, "zh_CN"),
    ("host2", "平安超市 周女士", "host", 2, "zh_CN"),
]
# Demo volunteers are verified and hold these skills (None: no expiry).
VOLUNTEER_SKILLS = {
    "volunteer": {"first_aid": dt.date(2027, 6, 30), "mediation": None},
    "volunteer2": {"fire_safety": None},
    "volunteer3": {"english": None, "driving": dt.date(2030, 1, 31)},
}
# One application waits in 西关社区 for the officer to review.
APPLICANT = ("applicant", "孙小梅", 0)


async def is_seeded() -> bool:
    return await User.exists().where(User.username == "admin").run()


async def seed_demo() -> list[tuple[str, str]]:
    """Create the demo station, communities and accounts; returns (username, role)."""
    async with write_transaction():
        city = await City.insert(City(code="xining", name_zh="西宁市公安局", name_en="Xining Public Security Bureau", created_at=now())).returning(City.id).run()
        district = await District.insert(
            District(city=city[0]["id"], code="chengzhong-district", name_zh="城中分局", name_en="Chengzhong District Bureau", created_at=now())
        ).returning(District.id).run()
        station = await Station.insert(
            Station(district=district[0]["id"], code="chengzhong", name_zh="城中派出所", name_en="Chengzhong Police Station", phone="0971-0000000", created_at=now())
        ).returning(Station.id).run()
        station_id = station[0]["id"]
        community_ids = []
        for code, name_zh, name_en in COMMUNITIES:
            row = await Community.insert(
                Community(station=station_id, code=code, name_zh=name_zh, name_en=name_en, timezone="Asia/Shanghai", created_at=now())
            ).returning(Community.id).run()
            community_ids.append(row[0]["id"])
    created = []
    for username, real_name, role, community_index, language in ACCOUNTS:
        user_id = await create_user(
            None,
            username=username,
            password=DEMO_PASSWORD,
            real_name=real_name,
            role=role,
            preferred_language=language,
            phone="13800000000",
            station_id=station_id if role == "head" else None,
            community_id=community_ids[community_index] if community_index is not None else None,
        )
        if role == "volunteer":
            await ensure_profile(None, user_id, community_ids[community_index], "verified", VOLUNTEER_SKILLS.get(username))
        created.append((username, role))
    username, real_name, community_index = APPLICANT
    await apply(
        Application(
            real_name=real_name,
            phone="13900000000",
            community_id=community_ids[community_index],
            username=username,
            password=DEMO_PASSWORD,
            consent=True,
            application_key=str(uuid.uuid4()),
            availability="工作日晚上，周六上午",
            may_be_named=True,
            skills={"first_aid": None},
        )
    )
    created.append((username, "volunteer"))
    from portal.watchpoints.demo import seed_watch_points

    await seed_watch_points()
    from portal.boards.demo import seed_boards

    await seed_boards()
    from portal.shifts.demo import seed_shifts

    await seed_shifts()
    from portal.logs.demo import seed_logs

    await seed_logs()
    from portal.ledger.demo import seed_ledger

    await seed_ledger()
    from portal.bulletins.demo import seed_bulletins

    await seed_bulletins()
    return created
