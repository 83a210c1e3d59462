"""The starting tip library (also loaded outside the demo: ``seed_tips``) and demo
bulletins: the last two weeks compiled, the older one published."""

from __future__ import annotations

import datetime as dt

from portal.bulletins.tables import Tip

# (category, always, Chinese, English): common prevention advice of community police.
TIPS = [
    ("fraud", True, "公检法机关不会通过电话、网络办案，更不会要求您把钱转到“安全账户”。接到此类电话请立即挂断，拨打 110 核实。",
     "Police, prosecutors and courts never handle cases by phone or online, and never ask you to move money to a \"safe account\". Hang up and call 110 to check."),
    ("fraud", True, "刷单返利都是诈骗：先给小钱尝甜头，再让您垫付大额资金。凡是要求先交钱的兼职，一律不要相信。",
     "\"Paid to click\" jobs are always fraud: small rewards first, then you are asked to advance large sums. Never pay to get a job."),
    ("fraud", True, "不要向任何人透露短信验证码、银行卡密码；冒充客服要求“退款”“注销校园贷”的，都是骗子。",
     "Never tell anyone a text-message code or a card PIN. \"Customer service\" offering a refund or to cancel a student loan is a scam."),
    ("fraud", True, "子女、亲友在网上借钱或说“出事了”急需用钱，先打电话或视频核实本人，再决定。",
     "When a child or friend asks for money online or says they are in trouble, call them or video-chat first to check it is really them."),
    ("fraud", True, "下载国家反诈中心 App，开启来电预警；可疑链接不点、陌生二维码不扫。",
     "Install the National Anti-Fraud Centre app and turn on call warnings; do not open suspicious links or scan unknown QR codes."),
    ("theft", False, "出门随手锁门关窗，贵重物品不要放在窗台或车内显眼处；电动车请上锁并停放在有监控的车棚。",
     "Lock doors and windows when you go out, keep valuables off window sills and out of sight in cars; lock e-bikes in a covered, watched shed."),
    ("theft", False, "楼道灯坏了请及时报修；发现陌生人反复在楼内徘徊、查看门锁，请记下特征并拨打 110。",
     "Report broken stairwell lights quickly; if a stranger keeps lingering in the building or checking locks, note what they look like and call 110."),
    ("fire", False, "电动车不进楼道、不进家门，不在室内充电；充满即拔，不要整夜充电。",
     "Keep e-bikes out of stairwells and homes and never charge them indoors; unplug when full, never charge overnight."),
    ("fire", False, "不私拉乱接电线，不超负荷使用插线板；闻到燃气味先关阀门、开窗，不要开关电器。",
     "Do not run makeshift wiring or overload power strips; if you smell gas, close the valve and open windows without touching switches."),
    ("fire", False, "家中常备灭火器和逃生面罩，全家约定好逃生路线和集合地点。",
     "Keep a fire extinguisher and smoke hoods at home, and agree on an escape route and meeting point as a family."),
    ("stairwell", False, "楼道、消防通道是生命通道：不堆放杂物，不锁闭安全出口，不占用消防车通道。",
     "Stairwells and fire exits save lives: keep them clear, never lock an emergency exit, never park in a fire lane."),
    ("stairwell", False, "发现楼道堆物、防火门被锁，可告诉楼栋长或社区民警，也可在守望点扫码反映。",
     "If you see clutter in a stairwell or a locked fire door, tell the building head or the community officer, or report it by the QR code at a watch point."),
    ("traffic", False, "接送孩子时请在校门外指定区域即停即走；过马路走斑马线，不闯红灯。",
     "When taking children to school, stop only in the marked area and move on; cross at zebra crossings and wait for the green light."),
    ("traffic", False, "骑电动车请戴头盔，不逆行、不载人超员；夜间出行穿浅色衣服。",
     "Wear a helmet on an e-bike, never ride against the traffic or carry too many people; wear light colours at night."),
    ("dispute", False, "邻里有矛盾先冷静沟通，也可以请网格员、义警或人民调解员来调解，避免小事变大。",
     "When neighbours disagree, talk calmly first, or ask the grid worker, a volunteer or a people's mediator to help before a small matter grows."),
    ("dispute", False, "装修、噪音、漏水等纠纷请保留照片和聊天记录，通过物业或社区调解解决。",
     "For renovation, noise or leak disputes, keep photos and messages and settle them through the property office or community mediation."),
    ("elderly", False, "家中老人外出时，可在衣服里放一张写有家人电话的卡片；老人走失请第一时间拨打 110，不必等 24 小时。",
     "Put a card with a family phone number in an older person's pocket; if they go missing, call 110 at once: there is no 24-hour wait."),
    ("elderly", False, "警惕“免费体检”“保健品讲座”等推销，购买前先和子女商量。",
     "Beware of \"free health checks\" and supplement talks; talk to your family before buying anything."),
    ("children", False, "教孩子记住父母电话和家庭住址；走失时找警察、守望点店员或穿制服的工作人员求助。",
     "Teach children their parents' phone number and home address; if lost, they should ask a police officer, a watch-point shop assistant or staff in uniform."),
    ("children", False, "放学路上不跟陌生人走，不吃陌生人给的东西；遇到危险就近进入平安守望点。",
     "On the way home from school, never go with a stranger or take food from one; in danger, go into the nearest watch point."),
    ("weather", False, "大风、雨雪天气请收好阳台物品，远离广告牌和临时搭建物；路面结冰注意防滑。",
     "In wind, rain or snow, bring in things from balconies and keep away from billboards and temporary structures; watch for ice on the pavement."),
    ("general", False, "遇到紧急情况拨打 110；非紧急的求助、建议和投诉，可在社区页面或守望点二维码提交，并凭查询码跟踪办理。",
     "In an emergency call 110; for help, suggestions or complaints that are not urgent, use the community page or a watch point's QR code and follow them by the tracking code."),
]


async def seed_tips() -> int:
    """Load the starting tips into an empty library; returns how many were added."""
    if await Tip.exists().run():
        return 0
    now = dt.datetime.now(dt.timezone.utc)
    await Tip.insert(*[Tip(category=c, always=a, text_zh=zh, text_en=en, active=True, created_at=now, updated_at=now) for c, a, zh, en in TIPS]).run()
    return len(TIPS)


WEEKS = 3


async def seed_bulletins(now: dt.datetime | None = None) -> None:
    """The tips, then the bulletins of the last ``WEEKS`` finished weeks, compiled from the
    demo's logs and ledgers when the job would have compiled them (the Monday after, 06:00)
    and published that morning, but the latest, which waits as a draft."""
    from zoneinfo import ZoneInfo

    from portal.bulletins import rules
    from portal.bulletins.tables import Bulletin

    await seed_tips()
    now = now or rules.utcnow()
    zone = ZoneInfo("Asia/Shanghai")
    latest = rules.last_due_monday(now, "Asia/Shanghai")
    for back in range(WEEKS - 1, -1, -1):
        monday = latest - dt.timedelta(weeks=back)
        due = dt.datetime.combine(monday + dt.timedelta(weeks=1), dt.time(6, 5), zone).astimezone(dt.timezone.utc)
        await rules.compile_week(rules.week_of(monday), now=min(due, now))
        if back:
            for row in await Bulletin.select(Bulletin.id).where((Bulletin.week == rules.week_of(monday)) & (Bulletin.status == "draft")).run():
                await rules.publish(None, row["id"], now=min(due + dt.timedelta(hours=3, minutes=25), now))
