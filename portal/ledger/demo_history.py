"""The demo's year of ledger work in every community (part of ``portal.demo_history``):
public messages (filed into a ledger, or help answered), items of the three ledgers from
every source with their whole timeline, callbacks, referrals and escalations.

Each item is lived through as the rules would have moved it (assigned, in progress,
handled, answered; then the person's answer on the tracking page, a callback by someone
other than the accountable officer, or the reminder and the timed close; sometimes "not
satisfied" and round again; a few duplicates and matters outside police remit), and cut
at now: what happened by now is its timeline, where it got to is its stage. Deadlines
are counted in working days as ``portal.ledger.rules.due_for`` counts them, and a stage
left after its deadline was escalated as the job would have; the stored month keys and
days to close are those ``transition`` writes.
"""

from __future__ import annotations

import datetime as dt

from portal.ledger import calendar
from portal.ledger.rules import CATEGORIES, DEFAULT_DAYS, Policy, days_between, month_key, prefix_of
from portal.ledger.tables import (
    Holiday,
    LedgerCallback,
    LedgerCounter,
    LedgerDeadlineRule,
    LedgerEscalation,
    LedgerEvent,
    LedgerItem,
    LedgerItemLog,
    LedgerReferral,
)
from portal.public.rules import CODE_ALPHABET, CODE_LENGTH
from portal.public.tables import Intake, IntakeAnswer

PER_MONTH = 20  # items a month in a community of size 1 (西关)
LEDGER_WEIGHTS = {"suggestion": 29, "claim": 44, "complaint": 27}  # as Xining's 2023 ledgers
CATEGORY_WEIGHTS = {
    "suggestion": {"public_security": 35, "traffic": 25, "community_service": 20, "police_service": 12, "other": 8},
    "claim": {"household_registration": 15, "documents": 25, "dispute": 20, "help": 15, "property": 20, "other": 5},
    "complaint": {"police_conduct": 4, "noise": 28, "fraud": 14, "theft": 14, "public_order": 22, "traffic": 13, "other": 5},
}
SOURCE_WEIGHTS = {"public": 40, "reception": 37, "officer_visit": 23}  # field_log items come from the hazards
SUMMARIES = {
    ("suggestion", "public_security"): ("建议{place}晚上增加巡逻次数。", "建议在{place}加装监控探头。", "希望{place}的路灯晚上多开一会儿，方便夜归的人。"),
    ("suggestion", "traffic"): ("建议在{place}路口增设减速带。", "{place}上学时段车太多，建议设护学岗。", "建议{place}划定电动车停放区。"),
    ("suggestion", "community_service"): ("希望社区定期讲解防诈骗知识。", "建议在{place}设便民服务点，方便老人办事。", "建议在{place}张贴警民联系牌。"),
    ("suggestion", "police_service"): ("希望户籍窗口周六也能办理业务。", "建议民警定期走访{place}的独居老人。", "希望警务室公布值班电话。"),
    ("suggestion", "other"): ("建议{place}的健身器材定期检修。",),
    ("claim", "household_registration"): ("孩子上学需要办理户口迁移，不清楚要什么材料。", "老人户口本丢失，需要补办。"),
    ("claim", "documents"): ("身份证快过期了，能否预约办理？", "申请无犯罪记录证明，急用。", "居住证到期续签需要什么材料？"),
    ("claim", "dispute"): ("和邻居因为{place}的停车位发生纠纷，请求调解。", "楼上漏水到我家，协商不成。"),
    ("claim", "help"): ("家里老人有走失风险，想办防走失手环。", "独居老人行动不便，希望民警上门帮忙办事。"),
    ("claim", "property"): ("{place}小区门禁坏了很久，物业不修。", "{place}电动车充电桩不够用，要求物业增设。"),
    ("claim", "other"): ("想了解{place}一带拆迁安置的政策。",),
    ("complaint", "police_conduct"): ("窗口办事排队时间太长，工作人员态度一般。",),
    ("complaint", "noise"): ("{place}的烧烤摊半夜还很吵。", "{place}广场舞音响太大声。", "{place}装修噪音周末一早就开始。"),
    ("complaint", "fraud"): ("接到冒充客服的诈骗电话，差点转账。", "有人在{place}推销“保健品”，疑似诈骗老人。"),
    ("complaint", "theft"): ("电动车电瓶在{place}被偷了。", "{place}车棚里的自行车被盗。"),
    ("complaint", "public_order"): ("{place}有人散发小广告。", "{place}晚上有人聚集喝酒闹事。", "{place}的流动摊贩占道经营。"),
    ("complaint", "traffic"): ("{place}经常有车辆乱停，堵住消防通道。", "{place}有电动车逆行，很危险。"),
    ("complaint", "other"): ("{place}的垃圾堆放很久没人清理。",),
}
SUMMARIES_EN = {
    ("complaint", "noise"): "Loud music from a bar on {place} after midnight.",
    ("complaint", "theft"): "My bicycle was stolen near {place}.",
    ("suggestion", "traffic"): "Please add a pedestrian crossing on {place}.",
    ("claim", "documents"): "How do I register my stay as a foreign resident?",
    ("suggestion", "public_security"): "More street lights on {place}, please; it is very dark at night.",
}
# category: (the public topic, what the officer did (internal), what the person is told)
WORK = {
    "public_security": ("治安巡逻", "调整巡逻路线，增加夜间巡逻。", "已调整巡逻路线，晚上增加了巡逻"),
    "traffic": ("交通秩序", "联系交警贴单整治，施划停车线。", "已联系交警整治，并施划了停车线"),
    "community_service": ("社区服务", "与社区居委会商定，列入本季度活动计划。", "已列入社区本季度的活动计划"),
    "police_service": ("警务服务", "所务会研究，周六上午开放户籍窗口预约。", "周六上午可以预约办理户籍业务了"),
    "household_registration": ("户口办理", "户籍民警电话指导，列出所需材料。", "户籍民警已电话告知所需材料"),
    "documents": ("证件办理", "预约办理，民警上门采集信息。", "已为您预约办理，民警会上门采集信息"),
    "dispute": ("邻里纠纷", "组织双方调解，达成书面协议。", "已组织双方调解并达成协议"),
    "help": ("求助", "联系社区网格员上门帮扶。", "社区网格员已上门帮忙"),
    "property": ("物业问题", "约谈物业公司，限期整改。", "已约谈物业公司，物业已整改"),
    "police_conduct": ("办事体验", "调整窗口人员，高峰时段增开一个窗口。", "高峰时段已增开一个窗口"),
    "noise": ("噪音扰民", "上门劝导，商户承诺 22 点前收摊。", "已上门劝导，商户承诺晚上 10 点前结束营业"),
    "fraud": ("防范诈骗", "上门提醒，联系市场监管部门查处。", "已上门提醒，并请市场监管部门查处"),
    "theft": ("盗窃", "调取监控，已立案侦查，车棚加装监控。", "已立案侦查，车棚加装了监控"),
    "public_order": ("治安秩序", "联合城管清理，加强巡查。", "已联合城管清理，并加强巡查"),
    "other": ("其他事项", "转相关部门处理并跟进。", "已请相关部门处理"),
}
# Working days an officer usually needs in progress, per category.
WORK_DAYS = {"documents": 2, "household_registration": 2, "help": 2, "police_conduct": 3, "noise": 3, "public_order": 4, "traffic": 5, "property": 6, "dispute": 4, "theft": 7, "fraud": 4}
LEDGER_WORD = {"suggestion": "的建议", "claim": "的诉求", "complaint": "的投诉"}
SAID_SATISFIED = ("电话回访：问题已解决，表示满意。", "上门回访：对处理结果满意。", "电话回访：群众表示满意，感谢民警。")
SAID_NOT = ("电话回访：问题又出现了，不满意。", "电话回访：只解决了一部分，希望继续跟进。")
REOPEN_REASONS = ("问题又出现了。", "只处理了一半。", "还是没有解决。")
OTHER_DEPARTMENTS = ("城管执法大队", "交警大队", "供电公司", "自来水公司", "市场监管所")
REFERRAL_ANSWERS = ("已派人现场处理。", "已列入本月整治计划。", "已联系业主协商解决。", "已完成维修。")
HELP_REQUESTS = (
    ("想咨询一下居住证怎么办理。", "您好，居住证可在户籍窗口办理，请带身份证和租房合同。"),
    ("家门口的井盖丢了，怎么办？", "您好，已转告市政部门，社区民警会跟进。"),
    ("孩子的自行车丢了，能帮忙查监控吗？", "您好，请到警务室登记，民警会帮您查看监控。"),
    ("Where can I register my stay as a foreign visitor?", "Hello, your hotel registers you; if you stay with friends, come to the reception room with your passport."),
    ("独居老人家里的门锁坏了，能帮忙联系吗？", "您好，已联系社区网格员上门查看。"),
)
# How the people of a community answer the feedback: on the tracking page, in a callback, not at all.
ANSWER_WEIGHTS = {"tracking": 45, "callback": 37, "none": 18}


def _pick(rng, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


class _Clock:
    """Deadlines in working days on the holiday calendar, read once (the rules' ``due_for``
    without a query per step)."""

    def __init__(self, overrides: dict[dt.date, bool], rules: dict[tuple[str, str, str], int]):
        self.overrides, self.rules = overrides, rules

    def days(self, ledger: str, category: str, stage: str) -> int | None:
        for key in ((ledger, category, stage), (ledger, "", stage)):
            if key in self.rules:
                return self.rules[key]
        return DEFAULT_DAYS.get(stage)

    def due(self, ledger: str, category: str, stage: str, at: dt.datetime) -> dt.datetime | None:
        days = self.days(ledger, category, stage)
        if days is None:
            return None
        zone = calendar.ZoneInfo("Asia/Shanghai")
        last = calendar.add_working_days(at.astimezone(zone).date(), days, self.overrides)
        return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.timezone.utc)


async def history_ledger(history) -> None:
    """A year of public messages and ledger items in every community (see the module)."""
    from portal.demo_history import PROFILES, poisson
    from portal.watchpoints.tables import WatchPoint

    rng = history.rng
    moment = history.moment
    overrides = {r["date"]: bool(r["is_workday"]) for r in await Holiday.select(Holiday.date, Holiday.is_workday).run()}
    rules = {(r["ledger"], r["category"], r["stage"]): r["working_days"] for r in await LedgerDeadlineRule.select().run()}
    clock = _Clock(overrides, rules)
    points: dict[int, list[int]] = {}
    for row in await WatchPoint.select(WatchPoint.id, WatchPoint.community).where(WatchPoint.status == "verified").run():
        points.setdefault(row["community"], []).append(row["id"])
    profiles = [p for p in PROFILES if p.code in history.communities]
    by_code = {p.code: p for p in profiles}

    # What was raised, when and where; lived through below in the order it was filed.
    raised: list[dict] = []
    helps: list[dict] = []
    for day in history.days():
        for profile in profiles:
            for _n in range(poisson(rng, history.rate(profile, day, PER_MONTH, 0.15, 196))):
                at = history.at(day, rng.uniform(7.5, 22))
                if at <= moment:
                    raised.append(_raise(history, profile, at, _pick(rng, SOURCE_WEIGHTS)))
            for _n in range(poisson(rng, history.rate(profile, day, 3, 0.2, 196))):
                at = history.at(day, rng.uniform(7, 23))
                if at <= moment:
                    helps.append({"profile": profile, "at": at})
    for hazard in history.hazards:
        # Serious hazards the officer took into a ledger from the review queue.
        if hazard["severity"] != "low" and rng.random() < 0.3:
            at = hazard["reviewed_at"] + dt.timedelta(minutes=rng.uniform(2, 90))
            if at <= moment:
                raised.append(_raise(history, by_code[hazard["community"]], at, "field_log", hazard))
    raised.sort(key=lambda item: item["created_at"])

    await history.reserve(Intake, IntakeAnswer, LedgerItem, LedgerEvent, LedgerCallback, LedgerReferral, LedgerEscalation, LedgerItemLog, LedgerCounter)
    codes: set[str] = set()

    def tracking_code() -> str:
        while True:
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in codes:
                codes.add(code)
                return code

    # Numbers per station and local year, in the order filed (the rules' counter, ahead).
    counters: dict[tuple[int, int], int] = {}
    prefixes = {station: await prefix_of(station) for station in {c["station"] for c in history.communities.values()}}
    for item in raised:
        station = history.communities[item["profile"].code]["station"]
        year = item["created_at"].astimezone(calendar.ZoneInfo("Asia/Shanghai")).year
        seq = counters[(station, year)] = counters.get((station, year), 0) + 1
        item.update(station=station, year=year, seq=seq, number=f"{prefixes[station]}-{year}-{seq:06d}", tracking_code=tracking_code())
    for (station, year), last in sorted(counters.items()):
        history.add(LedgerCounter, station=station, year=year, prefix=prefixes[station], last=last)

    latest: dict[tuple[str, str], dict] = {}
    for number, item in enumerate(raised):
        profile = item["profile"]
        community = history.communities[profile.code]
        if item["source"] == "public":
            item["point"] = rng.choice(points[community["id"]]) if points.get(community["id"]) and rng.random() < 0.25 else None
            item["intake"] = history.add(
                Intake, kind=item["ledger"], community=community["id"], point=item["point"], text=item["summary"], contact_name=item["raised_by_name"],
                contact_phone=item["raised_by_phone"], language=item["language"], status="filed", tracking_code=item["tracking_code"],
                idempotency_key=f"demo-intake-{number}", created_at=item["created_at"], answered_at=None,
            )
        original = latest.get((profile.code, item["category"]))
        if original and (item["created_at"] - original["created_at"]).days > 14:
            original = None
        _live(history, clock, item, original)
        latest[(profile.code, item["category"])] = item
    for number, help_request in enumerate(helps):
        profile = help_request["profile"]
        text, answer = rng.choice(HELP_REQUESTS)
        answered = help_request["at"] + dt.timedelta(hours=rng.uniform(0.5, 30) * history.slowness(profile, history.local_day(help_request["at"])))
        english = text.isascii()
        intake = history.add(
            Intake, kind="help", community=history.communities[profile.code]["id"], point=None, text=text, contact_name=history.person_name(english) if rng.random() < 0.7 else "",
            contact_phone=history.phone(), language="en" if english else "zh_CN", status="answered" if answered <= moment else "new", tracking_code=tracking_code(),
            idempotency_key=f"demo-help-{number}", created_at=help_request["at"], answered_at=answered if answered <= moment else None,
        )
        if answered <= moment:
            history.add(IntakeAnswer, intake=intake, officer=history.officer_of(profile), text=answer, created_at=answered)


def _raise(history, profile, at: dt.datetime, source: str, hazard: dict | None = None) -> dict:
    """A matter as raised: ledger, category, the person's words, who they are."""
    rng = history.rng
    if hazard:
        ledger, category = {
            "fire_exit": ("complaint", "public_order"), "stairwell": ("complaint", "public_order"), "electrical": ("complaint", "public_order"),
            "gas": ("complaint", "public_order"), "traffic": ("complaint", "traffic"),
        }.get(hazard["category"], ("claim", "property"))
        return {"profile": profile, "created_at": at, "source": "field_log", "ledger": ledger, "category": category, "summary": hazard["description"],
                "place": hazard["place"], "language": "zh_CN", "raised_by_name": "", "raised_by_phone": "", "anonymous": True, "hazard": hazard}
    ledger = _pick(rng, LEDGER_WEIGHTS)
    category = _pick(rng, CATEGORY_WEIGHTS[ledger])
    assert category in CATEGORIES[ledger]
    english = (ledger, category) in SUMMARIES_EN and rng.random() < profile.english * 4
    street_zh, street_en = rng.choice(profile.streets)
    place = street_en if english else rng.choice((street_zh, street_zh, rng.choice(profile.compounds)))
    summary = (SUMMARIES_EN[(ledger, category)] if english else rng.choice(SUMMARIES[(ledger, category)])).format(place=place)
    anonymous = source == "public" and rng.random() < 0.12
    return {
        "profile": profile, "created_at": at, "source": source, "ledger": ledger, "category": category, "summary": summary, "place": street_zh,
        "language": "en" if english else "zh_CN", "anonymous": anonymous,
        "raised_by_name": "" if anonymous else history.person_name(english), "raised_by_phone": "" if anonymous else history.phone(), "hazard": None,
    }


def _live(history, clock: _Clock, item: dict, original: dict | None) -> None:
    """Move the item through its stages as far as it got by now; write it, its timeline,
    callbacks, referrals and escalations."""
    rng = history.rng
    moment = history.moment
    profile = item["profile"]
    day = history.local_day(item["created_at"])
    slow = history.slowness(profile, day)
    fraction = history.fraction(day)
    users = history.users
    owner = history.officer_of(profile)
    head = users[profile.head]["id"]
    if profile.officer and rng.random() < 0.15:
        owner = head  # the station head takes some of the busy community's items himself
    callbacker = head if owner != head else (users[profile.officer]["id"] if profile.officer else None)
    names = {u["id"]: u["real_name"] for u in users.values()}
    filed_by = None if item["source"] == "public" else (item["hazard"]["reviewer"] if item["hazard"] else owner)
    hours = lambda low, high: dt.timedelta(hours=rng.uniform(low, high))  # noqa: E731
    topic, internal, told = WORK[item["category"]]
    public_summary = f"{item['place']}{topic}{LEDGER_WORD[item['ledger']]}"

    # The steps, in time: (at, event columns, item changes). Cut at now below.
    steps: list[tuple[dt.datetime, dict, dict]] = []
    referrals: list[dict] = []
    callbacks: list[tuple[dt.datetime, dict]] = []

    def step(at: dt.datetime, kind: str, to: str | None, note: str = "", public: bool = True, actor: int | None = None, **changes) -> dt.datetime:
        steps.append((at, {"kind": kind, "to": to, "note": note, "public": public, "actor": actor}, changes))
        return at

    t = item["created_at"]
    draw = rng.random()
    private = item["category"] in ("dispute", "help", "household_registration") and rng.random() < 0.12
    if private:
        step(t + hours(0.2, 3), "private", None, "涉及个人家庭情况，不公开。", False, owner, private=True, private_reason="涉及个人家庭情况，不公开。")
    if original and draw < 0.05:
        step(t + hours(2, 40), "stage", "closed_duplicate", ("duplicate", original), True, owner, duplicate_of=original["id"])
    elif draw < 0.11 and item["source"] != "field_log":
        at = t + hours(4, 60) * slow
        body_kind = rng.choice(("street_office", "property_management", "other_department"))
        body = _body(history, profile, body_kind)
        referrals.append({"at": at, "kind": body_kind, "name": body, "by": owner, "answer_after": rng.uniform(2, 15)})
        step(at, "stage", "closed_out_of_remit", body, True, owner, referred_to=body, closure_note="已电话告知反映人。", public_summary=public_summary)
    else:
        t = step(t + hours(1, 20) * slow, "assigned", "assigned", names[owner], True, owner if rng.random() < 0.7 else head, officer=owner)
        t = step(t + hours(0.5, 18), "stage", "in_progress", "", True, owner)
        stuck_odds = {"lagging": 0.08 + 0.4 * fraction, "improving": 0.02 + 0.1 * (1 - fraction)}.get(profile.trend, 0.05)
        recent = (moment - item["created_at"]).days < (150 if profile.trend == "lagging" else 60)
        work = dt.timedelta(days=WORK_DAYS.get(item["category"], 3) * rng.uniform(0.4, 1.8) * slow)
        if rng.random() < 0.12:
            sent = t + dt.timedelta(days=rng.uniform(0.3, 2))
            after = rng.uniform(2, 12) * slow
            referrals.append({"at": sent, "kind": rng.choice(("street_office", "judicial_office", "property_management", "other_department")), "by": owner, "answer_after": after})
            referrals[-1]["name"] = _body(history, profile, referrals[-1]["kind"])
            work = max(work, sent - t + dt.timedelta(days=after + rng.uniform(0.3, 1.5)))
        if recent and rng.random() < stuck_odds:
            return _write(history, clock, item, steps, referrals, callbacks, filed_by, public_summary if rng.random() < 0.5 else "")
        rounds = 0
        while True:
            t = step(t + work, "stage", "handled", internal, False, owner, handled_note=internal)
            answer = f"您反映的{topic}问题，{told}。感谢您的支持！" if item["language"] != "en" else "Thank you for telling us. The community officer has dealt with the matter; please tell us if it happens again."
            feedback_at = t + hours(2, 40)
            t = step(feedback_at, "stage", "feedback_given", answer, True, owner, feedback_text=answer, feedback_at=feedback_at, reminder_sent_at=None, satisfaction="", public_summary=public_summary)
            weights = dict(ANSWER_WEIGHTS) if callbacker else {"tracking": ANSWER_WEIGHTS["tracking"], "none": ANSWER_WEIGHTS["none"]}
            how = _pick(rng, weights)
            satisfied = rounds > 0 or rng.random() < history.satisfied_odds(profile, day)
            if how == "tracking":
                t = t + hours(2, 70)  # within the three days before the reminder
                if satisfied:
                    step(t, "satisfied", "closed", "", True, None, satisfaction="satisfied", satisfaction_via="tracking")
                    break
                reason = rng.choice(REOPEN_REASONS)
                step(t, "reopened", "in_progress", reason, True, None, satisfaction="not_satisfied", satisfaction_via="tracking", satisfaction_note=reason, reopened=True, feedback_at=None, reminder_sent_at=None)
            elif how == "callback":
                t = t + hours(12, 60)
                said = rng.choice(SAID_SATISFIED if satisfied else SAID_NOT)
                callbacks.append((t, {"by_user": callbacker, "channel": rng.choice(("phone", "phone", "visit", "in_person")), "said": said, "satisfied": satisfied}))
                step(t, "callback", None, said, False, callbacker)
                if satisfied:
                    step(t + hours(0.5, 10), "satisfied", "closed", "回访群众满意，办结。", True, owner, satisfaction="satisfied", satisfaction_via="callback", satisfaction_note="回访群众满意，办结。")
                    break
                t = step(t + hours(0.5, 6), "reopened", "in_progress", said, True, owner, satisfaction="not_satisfied", satisfaction_via="phone", satisfaction_note=said, reopened=True, feedback_at=None, reminder_sent_at=None)
            else:
                policy = Policy()
                # The job's reminder and timed close, a few minutes after each falls due.
                reminded = feedback_at + dt.timedelta(days=policy.reminder_days, minutes=rng.uniform(1, 5))
                step(reminded, "reminder", None, "", True, None, reminder_sent_at=reminded)
                step(reminded + dt.timedelta(days=policy.close_days, minutes=rng.uniform(1, 5)), "timed_out", "closed_unconfirmed", "", True, None)
                break
            rounds += 1
            work = dt.timedelta(days=rng.uniform(1, 4) * slow)
    _write(history, clock, item, steps, referrals, callbacks, filed_by, "")


def _body(history, profile, kind: str) -> str:
    rng = history.rng
    if kind == "street_office":
        return f"{profile.streets[0][0].removesuffix('大街').removesuffix('路').removesuffix('街')}街道办事处"
    if kind == "judicial_office":
        return "城中区司法所" if profile.head in ("head", "head2") else "城西区司法所"
    if kind == "property_management":
        return f"{rng.choice(profile.compounds)}物业服务中心"
    return rng.choice(OTHER_DEPARTMENTS)


def _write(history, clock: _Clock, item: dict, steps: list, referrals: list, callbacks: list, filed_by: int | None, early_summary: str) -> None:
    """Apply the steps taken by now to the item as filed and add its rows."""
    rng = history.rng
    moment = history.moment
    created = item["created_at"]
    state = {
        "stage": "registered", "stage_entered_at": created, "officer": None, "handled_note": "", "feedback_text": "", "feedback_at": None,
        "reminder_sent_at": None, "reopened_count": 0, "satisfaction": "", "satisfaction_via": "", "satisfaction_note": "", "closure_note": "",
        "referred_to": "", "duplicate_of": None, "private": False, "private_reason": "", "public_summary": early_summary, "closed_at": None, "version": 1,
    }
    events = [{"actor": filed_by, "kind": "stage", "from_stage": "", "to_stage": "registered", "note": "", "public": True, "created_at": created}]
    escalations = []

    def leave(stage: str, entered: dt.datetime, until: dt.datetime) -> None:
        """Escalate the stage if it was held past its deadline (the job runs every few minutes)."""
        due = clock.due(item["ledger"], item["category"], stage, entered)
        if due is None:
            return
        at = due + dt.timedelta(minutes=rng.uniform(1, 5))
        if until > at and at <= moment:
            escalations.append({"stage": stage, "round": state["reopened_count"], "created_at": at})
            events.append({"actor": None, "kind": "escalated", "from_stage": stage, "to_stage": stage, "note": "", "public": False, "created_at": at})

    for at, event, changes in sorted(steps, key=lambda s: s[0]):
        if at > moment:
            break
        stage = state["stage"]
        to = event["to"]
        changes = dict(changes)
        reopened = changes.pop("reopened", False)
        summary = changes.pop("public_summary", None)
        if summary and not state["public_summary"] and not state["private"]:
            state["public_summary"] = summary
            state["version"] += 1
        note = event["note"]
        if isinstance(note, tuple):  # the duplicate's public line names the original's number
            note = note[1]["number"]
        if to is not None:
            leave(stage, state["stage_entered_at"], at)
            state.update(changes)
            if reopened:
                state["reopened_count"] += 1
            state.update(stage=to, stage_entered_at=at)
            if to.startswith("closed"):
                state["closed_at"] = at
            kind = event["kind"]
            events.append({"actor": event["actor"], "kind": kind, "from_stage": stage, "to_stage": to, "note": note, "public": event["public"], "created_at": at})
            if to == "closed_out_of_remit" and changes.get("closure_note"):
                events.append({"actor": event["actor"], "kind": "note", "from_stage": stage, "to_stage": to, "note": changes["closure_note"], "public": False, "created_at": at})
        else:
            state.update(changes)
            events.append({"actor": event["actor"], "kind": event["kind"], "from_stage": stage, "to_stage": stage, "note": note, "public": event["public"], "created_at": at})
        state["version"] += 1
    stage = state["stage"]
    open_now = not stage.startswith("closed")
    if open_now:
        leave(stage, state["stage_entered_at"], moment + dt.timedelta(days=3650))
    sent = []
    for referral in referrals:
        if referral["at"] > moment:
            continue
        answered = referral["at"] + dt.timedelta(days=referral["answer_after"])
        referral["answered"] = answered if answered <= moment else None
        referral["answer"] = rng.choice(REFERRAL_ANSWERS) if referral["answered"] else ""
        events.append({"actor": referral["by"], "kind": "referred", "from_stage": "", "to_stage": "", "note": referral["name"], "public": False, "created_at": referral["at"]})
        if referral["answered"]:
            events.append({"actor": referral["by"], "kind": "referral_answer", "from_stage": "", "to_stage": "", "note": referral["answer"], "public": False, "created_at": referral["answered"]})
        state["version"] += 2 if referral["answered"] else 1
        sent.append(referral)
    events.sort(key=lambda e: e["created_at"])
    # A referral's lines carry the stage the item was in at that moment.
    stage_then = ""
    for event in events:
        if event["kind"] in ("referred", "referral_answer"):
            event["from_stage"] = event["to_stage"] = stage_then
        elif event["to_stage"]:
            stage_then = event["to_stage"]
    profile = item["profile"]
    community = history.communities[profile.code]
    hazard = item.get("hazard")
    item_id = history.add(
        LedgerItem,
        ledger=item["ledger"], category=item["category"], station=item["station"], community=community["id"], point=item.get("point"),
        landmark=item["place"], place_public=item["place"] if state["public_summary"] else "", summary=item["summary"], details="",
        public_summary=state["public_summary"], raised_by_name=item["raised_by_name"], raised_by_phone=item["raised_by_phone"], raised_by_email="",
        anonymous=item["anonymous"] or not (item["raised_by_name"] or item["raised_by_phone"]), language=item["language"], source=item["source"],
        intake=item.get("intake"), filed_by=filed_by, year=item["year"], seq=item["seq"], number=item["number"], tracking_code=item["tracking_code"],
        stage=stage, stage_entered_at=state["stage_entered_at"],
        stage_due_at=clock.due(item["ledger"], item["category"], stage, state["stage_entered_at"]) if open_now else None,
        officer=state["officer"], handled_note=state["handled_note"], feedback_text=state["feedback_text"], feedback_at=state["feedback_at"],
        reminder_sent_at=state["reminder_sent_at"], reopened_count=state["reopened_count"], satisfaction=state["satisfaction"],
        satisfaction_via=state["satisfaction_via"], satisfaction_note=state["satisfaction_note"], closure_note=state["closure_note"],
        referred_to=state["referred_to"], duplicate_of=state["duplicate_of"], private=state["private"], private_reason=state["private_reason"],
        idempotency_key=None, created_at=created, updated_at=max(e["created_at"] for e in events), closed_at=state["closed_at"], version=state["version"],
        filed_month=month_key(created, "Asia/Shanghai"),
        closed_month=month_key(state["closed_at"], "Asia/Shanghai") if state["closed_at"] else None,
        close_days=days_between(created, state["closed_at"]) if state["closed_at"] else None,
    )
    item["id"] = item_id
    for event in events:
        history.add(LedgerEvent, item=item_id, **event)
    for escalation in escalations:
        history.add(LedgerEscalation, item=item_id, **escalation)
    for at, callback in callbacks:
        if at <= moment:
            history.add(LedgerCallback, item=item_id, created_at=at, **callback)
    for referral in sent:
        history.add(
            LedgerReferral, item=item_id, body_kind=referral["kind"], body_name=referral["name"], sent_on=history.local_day(referral["at"]), by_user=referral["by"],
            note="请协助处理并回复。", answer=referral["answer"], answered_on=history.local_day(referral["answered"]) if referral["answered"] else None, created_at=referral["at"],
        )
    if hazard:
        history.add(LedgerItemLog, item=item_id, field_log=hazard["id"], created_at=created)
