"""Demo data: a city with two districts, the first with two stations; the first station's
three communities hold the demo's people and records, the other units a few ledger items;
an account for every role and a head at every level.

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

# The rest of the tree: (district code, zh, en) -> stations (code, zh, en, phone) -> communities (code, zh, en).
MORE_UNITS = [
    (None, [("nantan", "南滩派出所", "Nantan Police Station", "0971-0000001", [("nantan-east", "南滩东社区", "Nantan East Community"), ("nantan-west", "南滩西社区", "Nantan West Community")])]),
    (("chengxi-district", "城西分局", "Chengxi District Bureau"), [
        ("shenglilu", "胜利路派出所", "Shenglilu Police Station", "0971-0000002", [("shengli", "胜利社区", "Shengli Community"), ("hutai", "虎台社区", "Hutai Community")]),
    ]),
]
# Heads above the first station and of the other stations, and their officers:
# username, real name, role, unit code (station, district or city; a community for officers).
MORE_ACCOUNTS = [
    ("city_head", "马局长", "city_head", "xining"),
    ("district_head", "韩局长", "district_head", "chengzhong-district"),
    ("district_head2", "林局长", "district_head", "chengxi-district"),
    ("head2", "周所长", "head", "nantan"),
    ("head3", "吴所长", "head", "shenglilu"),
    ("officer3", "郑警官", "officer", "nantan-east"),
    ("officer4", "何警官", "officer", "shengli"),
]
# A few items per community of the other stations, so that the heads' figures have parts.
MORE_ITEMS = {
    "nantan-east": [("complaint", "noise", "夜市收摊太晚，噪音扰民。"), ("suggestion", "traffic", "学校门口增设减速带。")],
    "nantan-west": [("claim", "property", "小区门禁损坏，外来人员随意进出，业主要求物业修好。")],
    "shengli": [("complaint", "public_order", "胜利路公交站附近有人散发小广告。"), ("suggestion", "traffic", "路口红绿灯时间太短，老人过不去。"), ("suggestion", "police_service", "希望到社区讲讲防诈骗。")],
    "hutai": [("complaint", "noise", "装修噪音周末一早就开始。")],
}

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
    """Create the demo units and accounts; returns (username, role)."""
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
        for district_data, stations in MORE_UNITS:
            district_id = district[0]["id"]
            if district_data:
                code, name_zh, name_en = district_data
                district_id = (await District.insert(District(city=city[0]["id"], code=code, name_zh=name_zh, name_en=name_en, created_at=now())).returning(District.id).run())[0]["id"]
            for code, name_zh, name_en, phone, communities in stations:
                other = (await Station.insert(Station(district=district_id, code=code, name_zh=name_zh, name_en=name_en, phone=phone, created_at=now())).returning(Station.id).run())[0]["id"]
                for c_code, c_zh, c_en in communities:
                    await Community.insert(Community(station=other, code=c_code, name_zh=c_zh, name_en=c_en, timezone="Asia/Shanghai", created_at=now())).run()
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
    created += await _more_accounts()  # after the first station's people, whose ids stay as they were
    from portal.watchpoints.demo import seed_watch_points

    await seed_watch_points()
    from portal.reception.demo import seed_rooms

    await seed_rooms()
    from portal.boards.demo import seed_boards

    await seed_boards()
    from portal.shifts.demo import seed_shifts

    await seed_shifts()
    from portal.notices.demo import seed_notices

    await seed_notices()
    from portal.demo_history import seed_history
    from portal.ledger.demo import seed_holidays
    from portal.logs.demo import seed_landmarks, seed_logs

    await seed_landmarks()
    await seed_holidays()
    await seed_history()  # the year before, in bulk; the records below are its last days, through the rules
    await seed_logs()
    from portal.followups.demo import seed_followups

    await seed_followups()
    from portal.ledger.demo import seed_ledger

    await seed_ledger()
    from portal.reception.demo_visits import seed_visits

    await seed_visits()
    from portal.councils.demo import seed_councils
    from portal.pairings.demo import seed_pairings

    await seed_councils()
    await seed_pairings()
    from portal.care.demo import seed_care

    await seed_care()
    from portal.bulletins.demo import seed_bulletins

    await _more_items()
    await seed_bulletins()
    from portal.ledger.rules import escalate_overdue

    await escalate_overdue(now())  # as the job would: the heads hear of what is late now
    return created


async def _more_accounts() -> list[tuple[str, str]]:
    units = {}
    for table, key in ((City, "city_id"), (District, "district_id"), (Station, "station_id"), (Community, "community_id")):
        for row in await table.select(table.id, table.code).run():
            units[row["code"]] = (key, row["id"])
    created = []
    for username, real_name, role, code in MORE_ACCOUNTS:
        key, unit_id = units[code]
        await create_user(None, username=username, password=DEMO_PASSWORD, real_name=real_name, role=role, preferred_language="zh_CN", phone="13800000000", **{key: unit_id})
        created.append((username, role))
    return created


async def _more_items() -> None:
    """Items filed at the reception of the other stations' communities over the last weeks."""
    from portal.ledger.rules import NewItem, file_item

    codes = {row["code"]: row["id"] for row in await Community.select(Community.id, Community.code).where(Community.code.is_in(list(MORE_ITEMS))).run()}
    for code, items in MORE_ITEMS.items():
        for n, (ledger, category, summary) in enumerate(items):
            await file_item(None, NewItem(ledger=ledger, category=category, community_id=codes[code], summary=summary), at=now() - dt.timedelta(days=3 + 5 * n))
