"""Demo ledgers: the 2026 National Day holidays with their adjusted working days; the
year of items in every community before now, written in bulk as part of the demo history
(``history_ledger``, see ``portal.demo_history``); then a few items of 西关社区 and 东门社区
at every stage written through the rules (one overdue, one handled and waiting for the
answer, one waiting for the person's answer, closed satisfied, without confirmation,
duplicate, outside remit)."""

from __future__ import annotations

import datetime as dt

from portal.accounts.rules import load_actor, now
from portal.accounts.tables import User
from portal.ledger import rules
from portal.ledger.rules import NewItem, Policy
from portal.ledger.tables import Holiday
from portal.stations.tables import Community

# (date, name, worked): 国庆节 2026 and its adjusted working days.
HOLIDAYS = [(dt.date(2026, 10, day), "国庆节", False) for day in range(1, 8)] + [
    (dt.date(2026, 9, 27), "国庆节调休", True),
    (dt.date(2026, 10, 10), "国庆节调休", True),
    (dt.date(2027, 1, 1), "元旦", False),
]


async def seed_holidays() -> None:
    """The calendar the deadlines count working days on (before any item is filed)."""
    await Holiday.insert(*[Holiday(date=day, name=name, is_workday=worked) for day, name, worked in HOLIDAYS]).run()


async def seed_ledger() -> None:
    moment = now()
    communities = {c["code"]: c["id"] for c in await Community.select(Community.id, Community.code).run()}
    users = {u["username"]: u["id"] for u in await User.select(User.id, User.username).where(User.username.is_in(["officer", "officer2", "head"])).run()}
    officer = await load_actor(users["officer"])
    officer2 = await load_actor(users["officer2"])
    head = await load_actor(users["head"])
    xiguan, dongmen = communities["xiguan"], communities["dongmen"]

    def ago(days: float) -> dt.datetime:
        return moment - dt.timedelta(days=days)

    async def item(days: float, ledger: str, category: str, summary: str, community: int = xiguan, actor=officer, **kwargs) -> dict:
        data = {"raised_by_name": "刘阿姨", "raised_by_phone": "13911112222", "source": "reception", **kwargs}
        return await rules.file_item(actor, NewItem(ledger=ledger, category=category, community_id=community, summary=summary, **data), at=ago(days))

    async def move(made: dict, to: str, days: float, actor=officer, note: str = "", **kwargs) -> None:
        await rules.transition(made["id"], to, actor, note, at=ago(days), policy=Policy(), **kwargs)

    async def public(made: dict, summary: str, place: str) -> None:
        await rules.set_public_text(officer, made["id"], summary, place)

    # Closed, the person satisfied on the tracking page.
    lights = await item(40, "complaint", "public_order", "西关大街 12 号楼下路灯坏了一个月，晚上很黑。", landmark="西关大街 12 号")
    await public(lights, "西关大街路灯损坏", "西关大街")
    await move(lights, "assigned", 39, officer_id=officer.id)
    await move(lights, "in_progress", 39)
    await move(lights, "handled", 35, note="联系街道办和供电所，路灯已修好。")
    await move(lights, "feedback_given", 35, note="路灯已经修好，感谢您的反映。")
    await rules.answer_from_tracking(lights["tracking_code"], True, "", None, at=ago(34))
    # Closed, satisfied: the station head called the person back (回访).
    noise = await item(30, "complaint", "noise", "楼上棋牌室每天半夜还很吵。", landmark="西关小区 3 栋 502")
    await public(noise, "小区夜间噪音", "西关小区")
    await move(noise, "assigned", 29, officer_id=officer.id)
    await move(noise, "in_progress", 29)
    await move(noise, "handled", 27, note="上门劝导，棋牌室承诺 22 点前结束。")
    await move(noise, "feedback_given", 27, note="已上门劝导，棋牌室承诺晚上 10 点前结束。")
    await rules.record_callback(head, noise["id"], "phone", "电话回访：棋牌室已按时结束，表示满意。", True, at=ago(25.5))
    await move(noise, "closed", 25, note="所长电话回访，群众满意。")
    # Closed without confirmation: no answer after the reminder.
    bus = await item(25, "suggestion", "traffic", "建议在西关小学门口增设护学岗。")
    await public(bus, "学校门口增设护学岗的建议", "西关小学周边")
    await move(bus, "assigned", 24, officer_id=officer.id)
    await move(bus, "in_progress", 24)
    await move(bus, "handled", 20, note="已安排义警放学时段护学。")
    await move(bus, "feedback_given", 20, note="已安排义警每天放学时段在校门口护学。")
    await rules.feedback_fallback(ago(16), Policy())
    await rules.feedback_fallback(ago(11), Policy())
    # Outside police remit, referred; and a duplicate of the first.
    water = await item(12, "claim", "property", "小区停水三天，物业不管。")
    await public(water, "小区停水，已转自来水公司和街道办", "西关小区")
    await move(water, "closed_out_of_remit", 11, referred_to="西关街道办事处、自来水公司", note="已电话告知反映人。")
    again = await item(38, "complaint", "public_order", "西关大街路灯不亮。", raised_by_name="", raised_by_phone="", anonymous=True)
    await move(again, "closed_duplicate", 37, duplicate_of=lights["number"])
    # Waiting for the person's answer (try the tracking page).
    card = await item(6, "claim", "documents", "老人身份证丢了，行动不便，能否上门办理？")
    await public(card, "老人上门办理身份证的诉求", "西关社区")
    await move(card, "assigned", 6, officer_id=officer.id)
    await move(card, "in_progress", 5)
    await move(card, "handled", 2, note="已预约户籍民警周四上门办理。")
    await move(card, "feedback_given", 1, note="户籍民警将于本周四上午上门为老人办理身份证。")
    # Overdue in progress (escalated by the job), assigned, and new ones.
    fraud = await item(12, "complaint", "fraud", "有人在小区门口推销“保健品”，疑似诈骗老人。", source="officer_visit")
    await move(fraud, "assigned", 12, officer_id=officer.id)
    await move(fraud, "in_progress", 11)
    await rules.escalate_overdue(moment)
    parking = await item(2, "suggestion", "public_security", "建议晚上在菜市场后巷多巡逻几次。")
    await move(parking, "assigned", 1, officer_id=officer.id)
    await item(0.2, "claim", "help", "家里老人走失过一次，想办防走失手环。", raised_by_name="王先生")
    # Handled, the answer to the person still to write.
    battery = await item(3, "complaint", "theft", "电动车电瓶被偷了。", community=dongmen, actor=officer2, raised_by_name="周师傅")
    await move(battery, "assigned", 3, actor=officer2, officer_id=officer2.id)
    await move(battery, "in_progress", 2.5, actor=officer2)
    await move(battery, "handled", 0.5, actor=officer2, note="调取车棚监控，已锁定嫌疑人，电瓶追回。")
