"""Demo field logs: landmarks of every demo community; a handful of recent logs of every
kind written through the rules (so they carry their audit), with hazards at several
stages; and the year of logs before them, written in bulk as part of the demo history
(``history_logs``, see ``portal.demo_history``)."""

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
    "nantan-east": [("南滩市场", "Nantan Market"), ("电力小区大门", "Dianli estate gate"), ("南滩小学", "Nantan Primary School")],
    "nantan-west": [("兴海路公交站", "Xinghai Road bus stop"), ("南滩西小区广场", "Nantan West estate square")],
    "shengli": [("胜利路公交站", "Shengli Road bus stop"), ("五四大街夜市", "Wusi Street night market"), ("胜利小区 2 号楼楼道", "Building 2 stairwell, Shengli estate")],
    "hutai": [("虎台公园", "Hutai Park"), ("虎台新村北门", "Hutai estate, north gate")],
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


async def seed_landmarks(moment: dt.datetime | None = None) -> dict[str, list[int]]:
    """The landmarks of every demo community (a year old); {community code: ids in order}."""
    moment = moment or rules.now()
    communities = {r["code"]: r["id"] for r in await Community.select(Community.id, Community.code).run()}
    rows = [Landmark(community=communities[code], name_zh=zh, name_en=en, created_at=moment - dt.timedelta(days=400)) for code, names in LANDMARKS.items() if code in communities for zh, en in names]
    if rows:
        await Landmark.insert(*rows).run()
    return await landmarks_by_community()


async def landmarks_by_community() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for row in await Landmark.select(Landmark.id, Landmark.community.code).order_by(Landmark.id).run():
        found.setdefault(row["community.code"], []).append(row["id"])
    return found


async def seed_logs(moment: dt.datetime | None = None) -> int:
    moment = moment or rules.now()
    communities = {r["code"]: r["id"] for r in await Community.select(Community.id, Community.code).run()}
    users = {r["username"]: r["id"] for r in await User.select(User.id, User.username).run()}
    landmarks = await landmarks_by_community()
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


# --- The year before: bulk, part of the demo history ----------------------------------

# What the logs of the year say ({place}: a street or landmark of the community).
PATROL_NOTES = (
    "{place}有两辆电动车占用消防通道，已提醒车主挪走。", "{place}路灯不亮，已记录并报社区。", "劝离{place}聚集饮酒的人员。",
    "提醒{place}沿街商户关好门窗、看好财物。", "{place}有一处井盖松动，已设置警示。", "{place}发现一名迷路老人，已送回家。",
)
PATROL_NOTES_EN = ("Quiet evening on {place}; reminded two shops to lock their e-bikes.", "A street light is out on {place}; reported.")
HAZARDS = {
    "fire_exit": ("{place}消防门被铁链锁住。", "{place}安全出口被杂物堵住。"),
    "stairwell": ("{place}楼道堆放纸箱和旧家具。", "{place}楼道里停放电动车并充电。"),
    "lighting": ("{place}路灯不亮，晚上很黑。", "{place}楼道感应灯坏了。"),
    "structure": ("{place}围墙有裂缝，有倒塌风险。", "{place}广告牌松动，大风天危险。"),
    "electrical": ("{place}私拉电线给电动车充电。", "{place}配电箱门没关，电线裸露。"),
    "gas": ("{place}小吃店液化气罐摆在门口。", "{place}有燃气味，已通知燃气公司。"),
    "water": ("{place}积水很深，行人难以通过。", "{place}水管破裂漏水。"),
    "traffic": ("{place}人行道上车辆乱停。", "{place}路口斑马线磨损看不清。"),
    "other": ("{place}井盖缺失。", "{place}树枝断裂悬在人行道上方。"),
}
HAZARDS_EN = {"lighting": "Broken street light on {place}.", "structure": "Loose advertising board on {place}.", "traffic": "Cars parked on the pavement on {place}."}
# Hazard categories of winter (heating, indoor charging) and of summer (rain, wind).
WINTER_HAZARDS = ("fire_exit", "stairwell", "electrical", "gas")
RECTIFIERS = ("物业公司", "沿街商户", "社区居委会", "供电公司", "市政养护所")
MEDIATIONS = {
    "neighbours": (("楼上漏水到楼下，双方因维修费用发生争执。", "楼上承担维修费用，本周内修好。"), ("邻居在楼道堆放杂物引发争吵。", "三天内清理楼道。"), ("装修噪音影响老人休息。", "装修时间改为 9:00—12:00、14:00—18:00。")),
    "family": (("老人赡养问题，子女发生争执。", "子女轮流照顾，每月按时给生活费。"),),
    "property": (("物业费与停车位纠纷。", "物业重新划定车位，业主补交物业费。"), ("电动车充电桩收费纠纷。", "物业公示收费标准，多收的退还。")),
    "commercial": (("顾客与商户因退货发生争执。", "商户同意退款。"), ("外卖骑手与小区门岗发生冲突。", "门岗为骑手开设临时通道。")),
    "other": (("广场舞音响音量引发纠纷。", "音量调低，晚上 9 点前结束。"),),
}
OUTCOME_WEIGHTS = {"resolved": 64, "partly": 11, "referred_committee": 15, "referred_court": 4, "police_case": 6}
HELP = {
    "lost_elderly": (("老人找不到回家的路，联系到家属接回。", "老人的女儿"),),
    "lost_child": (("{place}孩子与家长走散，帮助找到家长。", "孩子的母亲"),),
    "injury": (("行人在{place}摔倒，帮忙呼叫急救。", "120 急救"), ("顾客突发不适，协助送医。", "家属")),
    "drunk": (("醉酒人员倒在{place}，联系家属接回。", "家属"),),
    "directions": (("为外地游客指路并推荐公交线路。", ""), ("Showed two tourists the way to the Bell Tower and called a taxi.", "")),
    "lost_property": (("捡到钱包一个，已归还失主。", "失主本人"), ("帮助游客找回遗落在{place}的手机。", "失主本人")),
    "other": (("帮助老人把米面扛上楼。", ""),),
}
HELP_WEIGHTS = {"lost_elderly": 10, "lost_child": 5, "injury": 8, "drunk": 5, "directions": 30, "lost_property": 15, "other": 8}
PUBLICITY = {
    "anti_fraud": ("在{place}讲解电信诈骗常见手法。", "向老人讲解“保健品”骗局。", "春节前反诈宣传，发放宣传单。"),
    "fire_safety": ("冬季防火宣传：电动车不进楼道。", "在{place}演示灭火器使用方法。"),
    "law": ("在{place}开展普法宣传。", "讲解《民法典》中的相邻关系。"),
    "traffic": ("开学季交通安全宣传。", "骑电动车戴头盔宣传。"),
    "other": ("暑期防溺水宣传。", "禁毒知识宣传。"),
}
# (category, peak day of the year): anti-fraud before the Spring Festival, fire safety in
# the heating season, traffic when school starts, the rest in summer.
PUBLICITY_PEAKS = {"anti_fraud": 20, "fire_safety": 340, "law": 120, "traffic": 245, "other": 200}
# Per month in a community of size 1: (kind, count, seasonal amplitude, peak day).
RATES = (("hazard", 7, 0.2, 15), ("mediation", 5, 0.15, 196), ("help", 8, 0.35, 196), ("publicity", 4, 0.25, 20))


def _weighted(rng, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


async def history_logs(history) -> None:
    """A year of field logs in every community: a patrol log for each shift walked, and
    hazards, mediations, help given and publicity sessions at the season's rates; all
    reviewed (accepted, a few duplicates) but those of the last days, some of which still
    wait in the queue. Hazards go on through the stages with the dates of each (fixed,
    re-inspected by someone other than the reporter), faster where the community improves,
    slower where it lags."""
    from portal.demo_history import PROFILES, poisson
    from portal.logs.places import generalise
    from portal.logs.tables import FieldLog, LogNote, MediationParty
    from portal.watchpoints.tables import WatchPoint

    await history.reserve(FieldLog, MediationParty, LogNote)
    rng = history.rng
    moment = history.moment
    landmarks = {}
    for row in await Landmark.select(Landmark.id, Landmark.name_zh, Landmark.community.code).order_by(Landmark.id).run():
        landmarks.setdefault(row["community.code"], []).append((row["id"], row["name_zh"]))
    for row in await WatchPoint.select(WatchPoint.id, WatchPoint.host, WatchPoint.community.code).where(WatchPoint.host.is_not_null() & (WatchPoint.status == "verified")).run():
        history.hosts.setdefault(row["community.code"], []).append((row["host"], row["id"]))
    profiles = {p.code: p for p in PROFILES if p.code in history.communities}
    written: list[tuple[dt.datetime, dict]] = []

    def place_of(profile, english: bool = False) -> tuple[dict, str]:
        """Where: a landmark (a third of the time) or an address on one of its streets;
        the columns and the words for the text."""
        if landmarks.get(profile.code) and rng.random() < 0.35:
            landmark_id, name = rng.choice(landmarks[profile.code])
            return {"landmark": landmark_id, "address": "", "place": ""}, name
        zh, en = rng.choice(profile.streets)
        address = f"{rng.randint(1, 120)} {en}" if english else f"{zh} {rng.randint(1, 120)} 号"
        return {"landmark": None, "address": address, "place": generalise(address)}, en if english else zh

    def author_on(profile, day: dt.date) -> int:
        team = [p for p in history.volunteers.get(profile.code, []) if p.joined <= day and (p.left is None or p.left > day)]
        if not team:
            return history.officer_of(profile)
        return rng.choices(team, [p.weight for p in team])[0].id

    def reviewer_for(profile, author: int) -> int:
        reviewer = history.officer_of(profile)
        return history.users[profile.head]["id"] if reviewer == author else reviewer

    def log(profile, kind: str, author: int, occurred: dt.datetime, reviewed: dt.datetime | None = None, **columns) -> int:
        """One log, reviewed as an officer would: accepted a day or so later, but most of
        the last two days' still waiting (and one or two with a question)."""
        reviewed = reviewed or occurred + dt.timedelta(hours=rng.uniform(3, 30) * history.slowness(profile, history.local_day(occurred)))
        created = min(occurred + dt.timedelta(minutes=rng.uniform(5, 120)), moment)
        status, reviewer = "accepted", reviewer_for(profile, author)
        if reviewed > moment:
            status, reviewed = ("needs_info" if rng.random() < 0.1 else "submitted"), None
        row = {
            "kind": kind, "community": history.communities[profile.code]["id"], "author": author, "shift": None, "watch_point": None,
            "landmark": None, "address": "", "place": "", "latitude": None, "longitude": None, "route": "", "points_passed": "", "category": "",
            "severity": None, "status": status, "duplicate_of": None, "reviewed_by": reviewer if reviewed else None, "reviewed_at": reviewed,
            "occurred_at": occurred, "ended_at": None, "minutes": None, "description": "", "agreement": "", "people_count": None, "outcome": "",
            "handed_over_to": "", "follow_up_on": None, "hazard_stage": "reported" if kind == "hazard" else None, "rectification_by": "",
            "rectification_due": None, "fixed_at": None, "verified_at": None, "verified_by": None, "nothing_to_report": False, "photo_count": 0,
            "created_at": created, "updated_at": reviewed or created,
        }
        row.update(columns)
        row["idempotency_key"] = f"demo-history-log-{len(written)}"
        log_id = history.add(FieldLog, **row)
        written.append((occurred, row))
        if status == "needs_info":
            history.add(LogNote, log=log_id, author=reviewer, kind="question", text="请补充具体位置或照片。", created_at=created + dt.timedelta(hours=1))
        return log_id

    # A patrol log for every shift walked, by one of those who walked it.
    for patrol in history.patrols:
        profile = profiles[patrol["community"]]
        author = patrol["people"][0].id
        quiet = rng.random() < 0.55
        english = rng.random() < profile.english
        _where, place = place_of(profile, english)
        text = "" if quiet else rng.choice(PATROL_NOTES_EN if english else PATROL_NOTES).format(place=place)
        minutes = int((patrol["ends"] - patrol["starts"]).total_seconds() // 60)
        log(profile, "patrol", author, patrol["starts"], shift=patrol["shift"], ended_at=patrol["ends"], minutes=minutes, route=patrol["route"], description=text, nothing_to_report=quiet)

    previous_hazard: dict[str, int] = {}
    for day in history.days():
        for profile in profiles.values():
            for kind, per_month, amplitude, peak in RATES:
                for _n in range(poisson(rng, history.rate(profile, day, per_month, amplitude, peak))):
                    occurred = history.at(day, rng.uniform(8, 21.5))
                    if occurred > moment:
                        continue
                    author = author_on(profile, day)
                    english = rng.random() < profile.english
                    where, place = place_of(profile, english)
                    if kind == "hazard":
                        weights = {c: (2.0 * history.season(day, 0.5, 15) if c in WINTER_HAZARDS else 1.0) for c in HAZARDS}
                        category = _weighted(rng, weights)
                        text = HAZARDS_EN[category] if english and category in HAZARDS_EN else rng.choice(HAZARDS[category])
                        columns = {**where, "category": category, "severity": _weighted(rng, {"low": 4, "medium": 4, "high": 2}), "description": text.format(place=place)}
                        stages, confirmed = _hazard_stages(history, profile, occurred, author, reviewer_for(profile, author))
                        columns.update(stages)
                        if stages and profile.code in previous_hazard and rng.random() < 0.03:
                            columns.update(status="duplicate", duplicate_of=previous_hazard[profile.code], hazard_stage="reported", fixed_at=None, verified_at=None, verified_by=None, rectification_by="", rectification_due=None)
                        log_id = log(profile, "hazard", author, occurred, reviewed=confirmed, **columns)
                        if written[-1][1]["status"] == "accepted":
                            previous_hazard[profile.code] = log_id
                            history.hazards.append({"id": log_id, "community": profile.code, "category": category, "severity": columns["severity"], "description": columns["description"],
                                                    "reviewed_at": written[-1][1]["reviewed_at"], "reviewer": written[-1][1]["reviewed_by"], "place": place})
                    elif kind == "mediation":
                        category = _weighted(rng, {"neighbours": 40, "family": 10, "property": 25, "commercial": 15, "other": 10})
                        text, agreement = rng.choice(MEDIATIONS[category])
                        outcome = _weighted(rng, OUTCOME_WEIGHTS)
                        parties = rng.choice((2, 2, 2, 3))
                        log_id = log(profile, "mediation", author, occurred, **where, category=category, description=text, people_count=parties, outcome=outcome,
                                     agreement=agreement if outcome in ("resolved", "partly") else "",
                                     follow_up_on=day + dt.timedelta(days=7) if outcome.startswith("referred") else None)
                        for ordinal in range(parties):
                            history.add(MediationParty, log=log_id, name=history.person_name(), contact=history.phone(), ordinal=ordinal)
                    elif kind == "help":
                        weights = dict(HELP_WEIGHTS, directions=HELP_WEIGHTS["directions"] * history.season(day, 0.6, 200))
                        category = _weighted(rng, weights)
                        text, handed = rng.choice(HELP[category])
                        hosts = history.hosts.get(profile.code)
                        if hosts and rng.random() < 0.4:  # at a watch point, by its host
                            author, point = rng.choice(hosts)
                            where = {"landmark": None, "address": "", "place": "", "watch_point": point}
                        log(profile, "help", author, occurred, **where, category=category, description=text.format(place=place), people_count=rng.choice((1, 1, 1, 2, 2, 3)), handed_over_to=handed)
                    else:
                        weights = {c: history.season(day, 0.8, PUBLICITY_PEAKS[c]) for c in PUBLICITY}
                        category = _weighted(rng, weights)
                        audience = int(rng.uniform(12, 60) * (1.6 if category == "anti_fraud" else 1.0) * (0.6 + profile.size))
                        log(profile, "publicity", author, occurred, **where, category=category, description=rng.choice(PUBLICITY[category]).format(place=place), people_count=audience)


def _hazard_stages(history, profile, occurred: dt.datetime, author: int, reviewer: int) -> tuple[dict, dt.datetime]:
    """A hazard's way from reported to verified, as far as it got by now (its stage
    columns, nothing when it waits for review; and when it was confirmed): confirmed at
    the review, rectification requested from whoever must fix it (most of the time),
    fixed, then re-inspected by someone other than the reporter; a few reopened on
    re-inspection. The dates stretch with the community's slowness."""
    rng = history.rng
    moment = history.moment
    slow = history.slowness(profile, history.local_day(occurred))
    confirmed = occurred + dt.timedelta(hours=rng.uniform(3, 30) * slow)
    if confirmed > moment:
        return {}, confirmed
    out = {"status": "accepted", "hazard_stage": "confirmed"}
    fixed = confirmed + dt.timedelta(days=rng.uniform(1, 9) * slow)
    if rng.random() < 0.65:
        asked = confirmed + dt.timedelta(hours=rng.uniform(1, 20))
        if asked > moment:
            return out, confirmed
        out.update(hazard_stage="rectification_requested", rectification_by=rng.choice(RECTIFIERS), rectification_due=history.local_day(asked) + dt.timedelta(days=rng.choice((3, 5, 7, 10))))
        fixed = asked + dt.timedelta(days=rng.uniform(1, 10) * slow)
    if profile.trend == "lagging" and rng.random() < 0.25 * history.fraction(history.local_day(occurred)):
        return out, confirmed  # never fixed: still open
    if fixed > moment:
        return out, confirmed
    out.update(hazard_stage="fixed", fixed_at=fixed)
    verified = fixed + dt.timedelta(days=rng.uniform(0.5, 5) * slow)
    if verified > moment:
        return out, confirmed
    inspector = reviewer if reviewer != author else history.users[profile.head]["id"]
    if verified > moment - dt.timedelta(days=20) and rng.random() < 0.1:
        out.update(hazard_stage="reopened", fixed_at=None)  # found not fixed; still to do
        return out, confirmed
    out.update(hazard_stage="verified", verified_at=verified, verified_by=inspector)
    return out, confirmed
