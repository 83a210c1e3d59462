"""Demo field logs: landmarks of each demo community and a handful of logs of every kind,
written through the rules (so they carry their audit), with hazards at several stages."""

from __future__ import annotations

import datetime as dt

from portal.accounts.rules import load_actor
from portal.accounts.tables import User
from portal.logs import rules
from portal.logs.tables import Landmark
from portal.stations.tables import Community
from portal.watchpoints.tables import WatchPoint

LANDMARKS = {
    "xiguan": [("西关菜市场北门", "Xiguan market, north gate"), ("西关小学", "Xiguan Primary School"), ("3 号楼楼道", "Building 3 stairwell")],
    "dongmen": [("东门公交站", "Dongmen bus stop"), ("东门小区广场", "Dongmen estate square")],
    "nanshan": [("南山公园入口", "Nanshan Park entrance"), ("南山路地下通道", "Nanshan Road underpass")],
}

# username, community code, days ago, LogData fields (the place may name a landmark by index
# or the user's own watch point with "own_point"), hazard stages to walk through (by officer).
LOGS = [
    ("volunteer", "xiguan", 1, {"kind": "patrol", "route": "西关大街—菜市场—小学", "description": "菜市场北门有两辆电动车占用消防通道，已提醒车主挪走。", "hours": 2}, ()),
    ("volunteer2", "xiguan", 2, {"kind": "patrol", "route": "西关小区环线", "nothing_to_report": True, "hours": 2}, ()),
    ("volunteer", "xiguan", 3, {"kind": "hazard", "category": "fire_exit", "severity": "high", "description": "3 号楼一层消防门被铁链锁住。", "landmark": 2}, ("confirmed", "rectification_requested")),
    ("volunteer2", "xiguan", 9, {"kind": "hazard", "category": "lighting", "severity": "medium", "description": "小学东侧路灯不亮，晚上放学路段很暗。", "landmark": 1}, ("confirmed", "fixed", "verified")),
    ("host", "xiguan", 2, {"kind": "hazard", "category": "stairwell", "severity": "low", "description": "药房后楼道堆放纸箱。", "own_point": True}, ()),
    ("volunteer", "xiguan", 4, {"kind": "mediation", "category": "neighbours", "people_count": 2, "description": "楼上装修噪音，楼下老人休息受影响。", "agreement": "装修时间改为 9:00—12:00、14:00—18:00。", "outcome": "resolved", "parties": [("甲某", "13900000011"), ("乙某", "13900000012")]}, ()),
    ("volunteer2", "xiguan", 6, {"kind": "mediation", "category": "property", "people_count": 3, "description": "物业费与停车位纠纷。", "outcome": "referred_committee", "follow_up_in_days": 7, "parties": [("丙某", "13900000013")]}, ()),
    ("host", "xiguan", 1, {"kind": "help", "category": "lost_elderly", "people_count": 1, "handed_over_to": "老人的女儿", "description": "老人找不到回家的路，联系到家属接回。", "own_point": True}, ()),
    ("host", "xiguan", 5, {"kind": "help", "category": "directions", "people_count": 2, "description": "为两位外地游客指路并给手机充电。", "own_point": True}, ()),
    ("volunteer", "xiguan", 5, {"kind": "publicity", "category": "anti_fraud", "people_count": 45, "description": "在菜市场讲解电信诈骗常见手法。", "landmark": 0}, ()),
    ("volunteer3", "dongmen", 2, {"kind": "patrol", "route": "Dongmen estate loop", "description": "Broken fence near the bus stop, reported below.", "hours": 1}, ()),
    ("volunteer3", "dongmen", 2, {"kind": "hazard", "category": "structure", "severity": "medium", "description": "Broken fence panel next to the bus stop.", "landmark": 0}, ("confirmed",)),
    ("volunteer3", "dongmen", 8, {"kind": "publicity", "category": "traffic", "people_count": 30, "description": "Road safety talk for parents.", "landmark": 1}, ()),
    ("host2", "nanshan", 3, {"kind": "help", "category": "injury", "people_count": 1, "handed_over_to": "120 急救", "description": "顾客在门口摔倒，帮忙呼叫急救。", "own_point": True}, ()),
    ("host2", "nanshan", 4, {"kind": "hazard", "category": "water", "severity": "low", "description": "地下通道积水。", "landmark": 1}, ()),
]


async def seed_logs(moment: dt.datetime | None = None) -> int:
    moment = moment or rules.now()
    communities = {r["code"]: r["id"] for r in await Community.select(Community.id, Community.code).run()}
    users = {r["username"]: r["id"] for r in await User.select(User.id, User.username).run()}
    landmarks: dict[str, list[int]] = {}
    for code, names in LANDMARKS.items():
        if code not in communities:
            continue
        landmarks[code] = []
        for name_zh, name_en in names:
            row = await Landmark.insert(Landmark(community=communities[code], name_zh=name_zh, name_en=name_en, created_at=moment)).returning(Landmark.id).run()
            landmarks[code].append(row[0]["id"])
    officers = {"xiguan": users.get("officer"), "dongmen": users.get("officer2"), "nanshan": users.get("head")}
    created = 0
    for index, (username, code, days_ago, fields, stages) in enumerate(LOGS):
        if username not in users or code not in communities:
            continue
        actor = await load_actor(users[username])
        fields = dict(fields)
        occurred = moment - dt.timedelta(days=days_ago, hours=3)
        hours = fields.pop("hours", None)
        if "landmark" in fields:
            fields["landmark_id"] = landmarks[code][fields.pop("landmark")]
        if fields.pop("own_point", False):
            point = await WatchPoint.select(WatchPoint.id).where(WatchPoint.host == users[username]).first().run()
            fields["watch_point_id"] = point["id"] if point else None
            if not point:
                fields["address"] = "—"
        follow_up = fields.pop("follow_up_in_days", None)
        data = rules.LogData(
            community_id=communities[code], occurred_at=occurred, ended_at=occurred + dt.timedelta(hours=hours) if hours else None,
            follow_up_on=(moment + dt.timedelta(days=follow_up)).date() if follow_up else None, **fields,
        )
        result = await rules.create(actor, data, f"demo-log-{index}", moment=moment)
        created += int(result.new)
        officer_id = officers.get(code)
        if stages and officer_id and result.new:
            officer = await load_actor(officer_id)
            for stage in stages:
                extra = {"rectification_by": "物业公司", "rectification_due": (moment + dt.timedelta(days=5)).date()} if stage == "rectification_requested" else {}
                # A re-inspection is never the reporter's: the head walks it when the officer reported.
                who = officer if not (stage in rules.RE_INSPECTION and officer_id == actor.id) else await load_actor(users["head"])
                await rules.transition(who, result.log_id, stage, moment=moment, **extra)
    return created
