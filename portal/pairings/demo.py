"""Demo 联访解 pairings: 王莉 (西关) with the primary school, the food market, a clinic and an
elderly woman living alone, each with a contact or two and the opinions collected (solved
on the spot, or filed into the ledger with 王莉 accountable); 赵所长 with an enterprise."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.accounts.rules import load_actor
from portal.accounts.tables import User
from portal.pairings import rules
from portal.stations.tables import Community

# username, community, kind, unit kind, name, contact person, phone, address, paired (days ago),
# contacts: (days ago, channel, note, opinions: (text, outcome, solution or (ledger, category)))
PAIRINGS = [
    ("officer", "xiguan", "unit", "school", "西关小学", "王建华校长", "0971-8000001", "西关大街 20 号", 200, [
        (40, "visit", "开学安全检查。", [("希望开学第一周放学时有民警在校门口。", "solved", "已安排开学第一周每天放学时段民警到岗。")]),
        (6, "meeting", "参加学校家长会，讲防诈骗。", [("家长反映校门口有人推销“学习机”，疑似诈骗。", "filed", ("complaint", "fraud"))]),
    ]),
    ("officer", "xiguan", "unit", "market", "西关菜市场", "市场管理处 刘经理", "0971-8000002", "西关小学东侧", 150, [
        (20, "visit", "", [("市场东门夜间没有照明。", "filed", ("suggestion", "public_security")), ("摊主想知道电动车上牌在哪里办。", "solved", "当场告知办理地点和所需材料。")]),
    ]),
    ("officer", "xiguan", "unit", "clinic", "瑞康诊所", "", "0971-8000003", "西关大街 45 号", 90, [
        (12, "call", "", []),
    ]),
    ("officer", "xiguan", "person", "", "马奶奶（独居老人）", "", "139 0971 2233", "西关大街 18 号院 3 号楼", 120, [
        (30, "visit", "身体还好，儿子在外地。", [("担心接到冒充儿子的诈骗电话。", "solved", "讲解了常见骗局，留下社区民警电话。")]),
        (3, "call", "", []),
    ]),
    ("head", "dongmen", "unit", "enterprise", "城中商贸有限公司", "办公室 周主任", "0971-8000004", "东关大街 8 号", 60, [
        (15, "meeting", "企业安全座谈。", [("员工落户手续希望能集中办理。", "solved", "与户政窗口约定每月一次集中受理。")]),
    ]),
]


async def seed_pairings() -> None:
    communities = {r["code"]: r for r in await Community.select(Community.id, Community.code, Community.timezone).run()}
    for username, code, kind, unit_kind, name, contact_name, phone, address, paired, contacts in PAIRINGS:
        user = await User.select(User.id).where(User.username == username).first().run()
        if not user or code not in communities:
            continue
        actor = await load_actor(user["id"])
        today = rules.local_today(communities[code]["timezone"])
        pairing_id = await rules.create_pairing(actor, rules.PairingData(
            community_id=communities[code]["id"], kind=kind, name=name, unit_kind=unit_kind, contact_name=contact_name, phone=phone, address=address,
            started_on=today - dt.timedelta(days=paired),
        ), str(uuid.uuid4()))
        for days_ago, channel, note, opinions in contacts:
            contact_id = await rules.add_contact(actor, pairing_id, rules.ContactData(today - dt.timedelta(days=days_ago), channel, note), str(uuid.uuid4()))
            for text, outcome, what in opinions:
                if outcome == "solved":
                    data = rules.OpinionData(text=text, outcome="solved", solution=what)
                else:
                    data = rules.OpinionData(text=text, outcome="filed", ledger=what[0], category=what[1])
                await rules.add_opinion(actor, contact_id, data, str(uuid.uuid4()))
