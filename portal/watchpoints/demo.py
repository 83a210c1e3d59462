"""Demo watch points: a few places in the demo communities, one kept by the demo `host`;
and a weekday duty roster for the demo `officer` in 西关社区."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.accounts.rules import now
from portal.accounts.tables import User
from portal.audit.rules import record
from portal.db import write_transaction
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
]


async def seed_watch_points() -> int:
    communities = {r["code"]: r["id"] for r in await Community.select(Community.id, Community.code).run()}
    users = {r["username"]: r["id"] for r in await User.select(User.id, User.username).where(User.username.is_in(["host", "host2", "officer"])).run()}
    created = 0
    async with write_transaction():
        for code, host, name_zh, name_en, kind, address, lat, lon, week, capabilities, status in POINTS:
            if code not in communities:
                continue
            moment = now()
            row = await WatchPoint.insert(
                WatchPoint(
                    community=communities[code], host=users.get(host) if host else None, slug=new_slug(), name_zh=name_zh, name_en=name_en, kind=kind,
                    address=address, latitude=lat, longitude=lon, hours=H.week_to_text(week), capabilities=capabilities, status=status,
                    verified_at=moment if status == "verified" else None, last_visit_on=moment.date() if status == "verified" else None,
                    idempotency_key=str(uuid.uuid4()), created_at=moment, updated_at=moment,
                )
            ).returning(WatchPoint.id).run()
            point_id = row[0]["id"]
            if status == "verified":
                await WatchPointVisit.insert(WatchPointVisit(point=point_id, officer=users.get("officer"), visited_on=moment.date(), note="演示数据 demo", outcome="verified", created_at=moment)).run()
            await record("watchpoint.applied", "watchpoint", point_id, after={"name_zh": name_zh, "demo": True})
            created += 1
        if "xiguan" in communities and "officer" in users:
            for weekday in range(5):  # office hours; outside them the pages list every officer
                await DutySlot.insert(DutySlot(community=communities["xiguan"], officer=users["officer"], weekday=weekday, starts="08:30", ends="17:30", created_at=now())).run()
    return created
