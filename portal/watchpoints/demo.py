"""Demo watch points: a few places in every demo community, one kept by the demo `host`,
registered over the past year and verified by an officer's visit about every quarter
since; and a weekday duty roster for the demo `officer` in 西关社区."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.accounts.rules import now
from portal.accounts.tables import User
from portal.audit.rules import record
from portal.db import insert_many, write_transaction
from portal.stations.tables import Community
from portal.watchpoints import hours as H
from portal.watchpoints.rules import new_slug
from portal.watchpoints.tables import DutySlot, WatchPoint, WatchPointVisit

DAY = H.Day(H.OPEN, dt.time(8), dt.time(22))
LATE = H.Day(H.OPEN, dt.time(18), dt.time(2), overnight=True)
ALL = H.Day(H.ALL_DAY)

# community code, host username, name zh, name en, kind, address, lat, lon, week, capabilities, status
POINTS = [
    ("xiguan", "host", "陈记药房", "Chen's Pharmacy", "pharmacy", "西关大街 18 号", 36.6171, 101.7662, (DAY,) * 7, "phone,first_aid,aed,water,english", "verified"),
    ("xiguan", None, "西关便利店", "Xiguan 24h Store", "shop", "西关大街 52 号", 36.6185, 101.7701, (ALL,) * 7, "phone,umbrella,water,charging,shelter", "verified"),
    ("xiguan", None, "夜归人面馆", "Night Noodles", "shop", "西关小学东侧 3 号", 36.6150, 101.7640, (LATE,) * 6 + (H.Day(),), "phone,water,shelter,toilet", "verified"),
    ("xiguan", None, "如家酒店西关店", "Home Inn Xiguan", "hotel", "西关大街 100 号", 36.6199, 101.7720, (ALL,) * 7, "phone,first_aid,shelter,toilet,english", "pending"),
    ("dongmen", None, "东门物业门岗", "Dongmen Property Gate", "property_gate", "东门小区 1 号门", 36.6230, 101.7810, (ALL,) * 7, "phone,umbrella,shelter", "verified"),
    ("nanshan", "host2", "平安超市", "Ping'an Supermarket", "supermarket", "南山路 7 号", 36.6050, 101.7600, (DAY,) * 7, "phone,water,charging,toilet", "verified"),
    ("dongmen", None, "东关大街药店", "Dongguan Street Pharmacy", "pharmacy", "东关大街 40 号", 36.6220, 101.7850, (DAY,) * 7, "phone,first_aid,water", "verified"),
    ("nanshan", None, "南山小学门卫室", "Nanshan Primary School gatehouse", "school_side", "南山东路 2 号", 36.6040, 101.7630, (DAY,) * 5 + (H.Day(), H.Day()), "phone,shelter", "verified"),
    ("nantan-east", None, "南滩市场管理处", "Nantan Market office", "other", "南滩街 8 号", 36.5985, 101.7765, (DAY,) * 7, "phone,water,toilet", "verified"),
    ("nantan-east", None, "电力小区物业门岗", "Dianli estate gate", "property_gate", "电力巷 1 号", 36.5978, 101.7801, (ALL,) * 7, "phone,umbrella,shelter", "verified"),
    ("nantan-east", None, "南滩便民超市", "Nantan Corner Shop", "supermarket", "南滩东路 15 号", 36.5969, 101.7790, (DAY,) * 7, "phone,water,charging", "verified"),
    ("nantan-west", None, "兴海路加油站便利店", "Xinghai Road filling station shop", "shop", "兴海路 88 号", 36.5950, 101.7700, (ALL,) * 7, "phone,water,toilet,shelter", "verified"),
    ("nantan-west", None, "南滩西小区门岗", "Nantan West estate gate", "property_gate", "南滩西路 3 号", 36.5960, 101.7690, (ALL,) * 7, "phone,shelter", "pending"),
    ("shengli", None, "胜利路大药房", "Shengli Road Pharmacy", "pharmacy", "胜利路 30 号", 36.6280, 101.7620, (DAY,) * 7, "phone,first_aid,aed,water,english", "verified"),
    ("shengli", None, "五四大街快捷酒店", "Wusi Street Express Hotel", "hotel", "五四大街 12 号", 36.6300, 101.7590, (ALL,) * 7, "phone,first_aid,shelter,toilet,english", "verified"),
    ("shengli", None, "西门口便利店", "Ximenkou 24h Store", "shop", "西门口 5 号", 36.6270, 101.7650, (ALL,) * 7, "phone,umbrella,water,charging,shelter", "verified"),
    ("hutai", None, "虎台公园管理处", "Hutai Park office", "other", "虎台南路 1 号", 36.6100, 101.7400, (DAY,) * 7, "phone,first_aid,water,toilet", "verified"),
    ("hutai", None, "虎台新村物业门岗", "Hutai estate gate", "property_gate", "虎台北路 20 号", 36.6120, 101.7420, (ALL,) * 7, "phone,shelter", "verified"),
]
# Days since a point joined (the rest: 330); pending points are new.
OPENED = {"东关大街药店": 150, "南滩便民超市": 60, "虎台新村物业门岗": 200, "西门口便利店": 100}
# Who verifies the points of each community.
VERIFIERS = {"xiguan": "officer", "dongmen": "officer2", "nanshan": "head", "nantan-east": "officer3", "nantan-west": "head2", "shengli": "officer4", "hutai": "head3"}


async def seed_watch_points() -> int:
    communities = {r["code"]: r["id"] for r in await Community.select(Community.id, Community.code).run()}
    users = {r["username"]: r["id"] for r in await User.select(User.id, User.username).where(User.username.is_in(["host", "host2", *VERIFIERS.values()])).run()}
    created = 0
    visits = []
    async with write_transaction():
        for code, host, name_zh, name_en, kind, address, lat, lon, week, capabilities, status in POINTS:
            if code not in communities:
                continue
            moment = now()
            opened = moment - dt.timedelta(days=OPENED.get(name_zh, 330) if status == "verified" else 2)
            # A visit about every quarter since it opened; the latest is the verification.
            visited = [(opened + dt.timedelta(days=days)).date() for days in range(1, (moment - opened).days + 1, 91)] if status == "verified" else []
            row = await WatchPoint.insert(
                WatchPoint(
                    community=communities[code], host=users.get(host) if host else None, slug=new_slug(), name_zh=name_zh, name_en=name_en, kind=kind,
                    address=address, latitude=lat, longitude=lon, hours=H.week_to_text(week), capabilities=capabilities, status=status,
                    verified_at=dt.datetime.combine(visited[-1], dt.time(3), dt.timezone.utc) if visited else None, last_visit_on=visited[-1] if visited else None,
                    idempotency_key=str(uuid.uuid4()), created_at=opened, updated_at=opened,
                )
            ).returning(WatchPoint.id).run()
            point_id = row[0]["id"]
            for day in visited:
                visits.append({"point": point_id, "officer": users.get(VERIFIERS[code]), "visited_on": day, "note": "演示数据 demo", "outcome": "verified", "created_at": dt.datetime.combine(day, dt.time(3), dt.timezone.utc)})
            await record("watchpoint.applied", "watchpoint", point_id, after={"name_zh": name_zh, "demo": True})
            created += 1
        await insert_many(WatchPointVisit, visits)
        if "xiguan" in communities and "officer" in users:
            for weekday in range(5):  # office hours; outside them the pages list every officer
                await DutySlot.insert(DutySlot(community=communities["xiguan"], officer=users["officer"], weekday=weekday, starts="08:30", ends="17:30", created_at=now())).run()
    return created
