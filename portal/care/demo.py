"""Demo care register of 西关社区: five people visited weekly or every other week by the
officer 王莉 and the volunteers 张建国 and 刘芳, with a few weeks of visits; one visit is
overdue, one found that help was needed, and one person withdrew their consent last week."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.accounts.rules import load_actor
from portal.accounts.tables import User
from portal.care import rules
from portal.care.tables import CareVisit
from portal.stations.tables import Community

# name, address, needs, contact, phone, consent from, every (days), registered (days ago),
# visitor (username), visits made (days ago, outcome, note)
PEOPLE = [
    ("马秀兰", "西关大街 18 号院 3 号楼 2 单元 501", "82 岁，独居，腿脚不便；需要有人看看是否安好，帮忙检查燃气和门锁。", "马建华（儿子）", "139 0971 2201", "person", 7, 40, "volunteer",
     [(35, "all_well", ""), (28, "all_well", ""), (21, "all_well", ""), (14, "needs_help", "楼道灯坏了，老人晚上不敢出门。已告诉物业。"), (7, "all_well", "")]),
    ("李桂芳", "西关大街 60 号 2 号楼 101", "79 岁，独居，听力差；需要确认冬季取暖正常、手机能接通。", "李强（侄子）", "138 0971 3302", "person", 7, 30, "volunteer",
     [(26, "all_well", ""), (19, "all_well", ""), (10, "all_well", "")]),
    ("王晓燕", "西关小学东侧 6 号院 3 单元 402", "孕 30 周，丈夫在外地工作；需要紧急情况下有人帮忙联系医院。", "王母", "137 0971 4403", "person", 14, 25, "volunteer2",
     [(6, "all_well", "")]),
    ("赵永福", "西关文化广场北侧平房 12 号", "肢体残疾，坐轮椅；需要帮忙清理门口通道，留意冬天路面结冰。", "社区网格员 陈芳", "136 0971 5504", "representative", 7, 20, "officer",
     [(9, "all_well", ""), (2, "escalated_officer", "门口坡道结冰，轮椅出不去，请社区安排清理。")]),
    ("孙德明", "西关大街 100 号 5 号楼 302", "重病在家休养；家属希望每周有人看看。", "孙丽（女儿）", "135 0971 6605", "representative", 7, 30, "officer",
     [(25, "all_well", ""), (18, "all_well", "")]),
]


async def seed_care(now: dt.datetime | None = None) -> None:
    now = now or rules.utcnow()
    community = await Community.select(Community.id, Community.timezone).where(Community.code == "xiguan").first().run()
    if not community:
        return
    users = {row["username"]: row["id"] for row in await User.select(User.id, User.username).where(User.username.is_in(["officer", "volunteer", "volunteer2"])).run()}
    officer = await load_actor(users["officer"])
    today = rules.local_today(community["timezone"], now)
    person_ids = []
    for name, address, needs, contact, phone, consent_from, every, registered, visitor, visits in PEOPLE:
        at = now - dt.timedelta(days=registered)
        day = today - dt.timedelta(days=registered)
        data = rules.PersonData(name, address, needs, contact, phone, day, consent_from, every, day + dt.timedelta(days=2))
        person_id = await rules.register(officer, community["id"], data, str(uuid.uuid4()), at=at)
        person_ids.append(person_id)
        if visitor != "officer":
            await rules.assign(officer, person_id, users[visitor], at=at)
        by = officer if visitor == "officer" else await load_actor(users[visitor])
        for days_ago, outcome, note in visits:
            visit = rules.VisitData(visited_on=today - dt.timedelta(days=days_ago), outcome=outcome, note=note)
            await rules.record_visit(by, person_id, visit, str(uuid.uuid4()), at=now - dt.timedelta(days=days_ago))
    # The wheelchair user's ramp went into the ledger (a claim: the ramp is the community's).
    ramp = await CareVisit.select(CareVisit.id).where((CareVisit.person == person_ids[3]) & (CareVisit.outcome == "escalated_officer")).first().run()
    await rules.file_visit(officer, ramp["id"], "claim:other", "西关文化广场北侧平房门口坡道结冰，轮椅无法出入，请社区清理并加装防滑垫。", at=now - dt.timedelta(days=2))
    # 孙德明's family moved him to his daughter's home: visits ended, the record goes later.
    await rules.end(officer, person_ids[4], "left", today - dt.timedelta(days=6), at=now - dt.timedelta(days=6))
