"""A demo 进建商 session: 城中派出所's register of five representatives, and a session held
for 西关社区 ten days ago about the school gate and the street at night (three of four
invited came), with four resolutions: one done, one filed into the suggestions ledger
(王莉 accountable), one still open, and one whose due day passed three days ago without
being done (on the overdue list and the homes' count; its owner was reminded that day)."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.accounts.rules import load_actor
from portal.accounts.tables import User
from portal.councils import rules
from portal.stations.tables import Community, Station

REPRESENTATIVES = [
    ("王建华", "npc_deputy", "城中区人大代表，西关小学校长", "13709710001"),
    ("李秀兰", "cppcc_member", "城中区政协委员", "13709710002"),
    ("陈立新", "think_tank", "民间智库成员，退休法官", "13709710003"),
    ("赵志强", "enterprise", "西关商贸城商户代表", "13709710004"),
    ("马桂英", "resident", "西关大街 18 号院楼长", ""),
]
MINUTES = """一、王建华代表反映：放学时段（16:30—17:30）西关小学门口接孩子的车辆乱停，学生横穿马路危险。
二、赵志强代表反映：西关大街 60 号至 100 号一段路灯不亮，商户夜里收摊回家不安全。
三、陈立新代表建议：小区楼道电动车充电隐患多，可联合物业开展一次集中排查。
所里当场逐项议定（一事一议），明确责任人和完成时限。"""


async def seed_councils() -> None:
    head = await User.select(User.id).where(User.username == "head").first().run()
    officer = await User.select(User.id).where(User.username == "officer").first().run()
    station = await Station.select(Station.id).where(Station.code == "chengzhong").first().run()
    community = await Community.select(Community.id, Community.timezone).where(Community.code == "xiguan").first().run()
    if not (head and officer and station and community):
        return
    actor = await load_actor(head["id"])
    ids = [
        await rules.add_representative(actor, station["id"], rules.RepresentativeData(name, kind, affiliation, phone, dt.date(2025, 3, 1)), str(uuid.uuid4()))
        for name, kind, affiliation, phone in REPRESENTATIVES
    ]
    today = rules.local_today(community["timezone"])
    held = today - dt.timedelta(days=10)
    session = rules.SessionData(
        community_id=community["id"], held_on=held, topic="校园周边交通与夜间出行安全", place="城中派出所三楼会议室",
        invited=tuple(ids[:4]), attended=tuple(ids[:3]), other_attendees=6, minutes=MINUTES,
    )
    session_id = await rules.create_session(actor, station["id"], session, str(uuid.uuid4()))
    done = await rules.add_resolution(actor, session_id, rules.ResolutionData(
        matter="放学时段西关小学门口车辆乱停，学生横穿马路危险。", decision="每个上学日 16:30—17:30 派一名民警和两名义警在校门口疏导，并请交警增设临时停车区。",
        owner_id=officer["id"], due_on=held + dt.timedelta(days=7),
    ), str(uuid.uuid4()))
    await rules.mark_done(await load_actor(officer["id"]), done, held + dt.timedelta(days=5), "已排班疏导；交警在校门西侧划出临时停车区，放学时段秩序明显好转。")
    await rules.add_resolution(actor, session_id, rules.ResolutionData(
        matter="西关大街 60 号至 100 号一段路灯不亮，夜间出行不安全。", decision="由社区民警报街道办和路灯管理所，跟踪修复并答复赵志强代表。",
        owner_id=officer["id"], due_on=today + dt.timedelta(days=10), ledger_choice="file", ledger="suggestion", category="public_security",
    ), str(uuid.uuid4()))
    await rules.add_resolution(actor, session_id, rules.ResolutionData(
        matter="小区楼道电动车充电隐患多。", decision="联合物业在西关大街 18 号院开展一次集中排查，并在楼道张贴提示。",
        owner_id=head["id"], due_on=today + dt.timedelta(days=20),
    ), str(uuid.uuid4()))
    await rules.add_resolution(actor, session_id, rules.ResolutionData(
        matter="商户反映冒充客服退款的诈骗电话多。", decision="组织义警到西关商贸城逐店发放反诈提示，并在商户群里转发案例。",
        owner_id=officer["id"], due_on=held + dt.timedelta(days=7),
    ), str(uuid.uuid4()))
