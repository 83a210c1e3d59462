"""The columns of each kind of import, their headers in both languages, and the parsing of
the values people type (phones, yes/no, skills with expiry dates, opening hours).

Headers are data, not translations: a file made from the Chinese template and one made
from the English template read the same, whatever the catalogues say later.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from portal.watchpoints import hours as H
from portal.web.i18n import N_


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    required: bool
    help: str  # N_ message, translated in the template's language
    example: str = ""
    example_zh: str = ""
    width: int = 16


def _c(key, en, zh, required, help, example="", example_zh=None, width=16) -> Column:
    return Column(key, en, zh, required, help, example, example if example_zh is None else example_zh, width)


PHONE_HELP = N_("A mainland mobile number: 11 digits starting with 13 to 19 (+86 and spaces are fine). It is the person's key: importing the same phone again updates that person.")
YES_NO_HELP = N_("yes or no (是 or 否).")

COLUMNS: dict[str, tuple[Column, ...]] = {
    "officers": (
        _c("name", "name", "姓名", True, N_("The officer's real name."), "Wang Li", "王莉", 14),
        _c("phone", "phone", "手机号", True, PHONE_HELP, "13800138001", width=16),
        _c("role", "role", "角色", True, N_("officer (community officer, 社区民警), head (station head, 所长), district_head (分局长) or city_head (市局长)."), "officer", "社区民警", 14),
        _c("unit", "unit_code", "单位代码", True, N_("The code of the unit: a community's for an officer, a station's for a head, a district's for a district head, a city's for a city head (shown on the organisation page)."), "xiguan", width=20),
        _c("email", "email", "电子邮箱", False, N_("Optional e-mail address for copies of inbox messages."), "", width=24),
    ),
    "volunteers": (
        _c("name", "name", "姓名", True, N_("The volunteer's real name."), "Zhang Wei", "张伟", 14),
        _c("phone", "phone", "手机号", True, PHONE_HELP, "13900139001"),
        _c("community", "community_code", "社区代码", True, N_("The code of the volunteer's community."), "xiguan", width=18),
        _c("skills", "skills", "技能", False, N_("Skills separated by commas, each optionally with the date it expires: first_aid:2027-06-30, english. Skills: first_aid, english, mediation, driving, fire_safety, sign_language (or their names)."), "first_aid:2027-06-30, english", "急救:2027-06-30, 英语", 32),
        _c("verified", "verified", "已核实", False, N_("yes: verified at once (you checked them). no or empty: new volunteers wait for verification; an existing volunteer's standing is kept."), "yes", "是", 10),
        _c("email", "email", "电子邮箱", False, N_("Optional e-mail address for copies of inbox messages."), "", width=24),
    ),
    "watchpoints": (
        _c("code", "code", "编号", True, N_("Your code for the point, unique: importing the same code again updates that point. Letters, digits, - and _."), "XG-001", width=12),
        _c("community", "community_code", "社区代码", True, N_("The code of the point's community."), "xiguan", width=16),
        _c("name_zh", "name", "名称", True, N_("The point's name (Chinese)."), "Xiguan Pharmacy", "西关大药房", 20),
        _c("name_en", "name_en", "英文名称", False, N_("Optional English name."), "Xiguan Pharmacy", width=20),
        _c("kind", "kind", "类型", True, N_("shop, pharmacy, hotel, supermarket, property_gate, school_side or other (or their names)."), "pharmacy", "药店", 14),
        _c("address", "address", "地址", True, N_("Street address."), "12 Xiguan Street", "西关大街12号", 28),
        _c("latitude", "latitude", "纬度", False, N_("Optional position in decimal degrees, e.g. 36.6171; give both or neither."), "36.6171", width=11),
        _c("longitude", "longitude", "经度", False, N_("Optional, e.g. 101.7782."), "101.7782", width=11),
        _c("hours", "hours", "营业时间", False, N_("Opening hours: days and times separated by semicolons, e.g. Mon-Fri 08:00-20:00; Sat-Sun 09:00-18:00. Also: daily 24h, Sun closed, 20:00-02:00+1 (closes after midnight). Days not named are closed; empty keeps the hours as they are."), "Mon-Fri 08:00-20:00; Sat-Sun 09:00-18:00", "周一至周五 08:00-20:00; 周六至周日 09:00-18:00", 40),
        _c("phone", "phone", "电话", False, N_("Optional telephone of the place."), "0971-8123456", width=16),
        _c("host_name", "host_name", "负责人姓名", True, N_("The host's real name."), "Li Na", "李娜", 14),
        _c("host_phone", "host_phone", "负责人手机号", True, N_("The host's mobile number: the host's key (a new host gets an account)."), "13700137001", width=16),
        _c("verified", "verified", "已核实", False, N_("yes: you visited and verified the point. no or empty: it waits for a visit (an already verified point stays verified)."), "yes", "是", 10),
    ),
    "landmarks": (
        _c("code", "code", "编号", True, N_("Your code for the landmark, unique: importing the same code again updates it. Letters, digits, - and _."), "XG-L01", width=12),
        _c("community", "community_code", "社区代码", True, N_("The code of the landmark's community."), "xiguan", width=16),
        _c("name_zh", "name", "名称", True, N_("The name the community knows it by (Chinese)."), "West Gate Market", "西门菜市场", 20),
        _c("name_en", "name_en", "英文名称", False, N_("Optional English name."), "West Gate Market", width=20),
        _c("active", "active", "启用", False, N_("yes or empty: in use. no: retired (old logs keep it)."), "yes", "是", 10),
    ),
    "boards": (
        _c("code", "code", "编号", True, N_("The board's code, unique in its community: importing the same code again updates that board. Letters, digits, ., - and _."), "B-0001", width=12),
        _c("community", "community_code", "社区代码", True, N_("The code of the board's community."), "xiguan", width=16),
        _c("name_zh", "place", "地点", True, N_("Where the board is (Chinese), e.g. the building and stairwell."), "West Gate Market entrance", "西门菜市场入口", 24),
        _c("name_en", "place_en", "英文地点", False, N_("Optional English name of the place."), "West Gate Market entrance", width=24),
        _c("place_kind", "place_kind", "地点类型", False, N_("stairwell, building_site, market, square, street, school_gate, shop, residential_gate or other (or their names); empty: other."), "market", "市场", 14),
        _c("address", "address", "地址", False, N_("Optional street address."), "1 Ximen Street", "西门街1号", 24),
        _c("latitude", "latitude", "纬度", False, N_("Optional position in decimal degrees, e.g. 36.6171; give both or neither."), "", width=11),
        _c("longitude", "longitude", "经度", False, N_("Optional, e.g. 101.7782."), "", width=11),
        _c("shows", "shows", "显示内容", False, N_("What the board shows, separated by commas: officers, emergency, qr, anti_fraud; empty: officers, emergency, qr."), "officers, emergency, qr", width=26),
        _c("printed_on", "printed_on", "印制日期", False, N_("Optional date the board was printed, e.g. 2026-03-01."), "", width=12),
        _c("note", "note", "备注", False, N_("Optional note."), "", width=24),
    ),
}
KEY_COLUMN = {"officers": "phone", "volunteers": "phone", "watchpoints": "code", "landmarks": "code", "boards": "code"}

ROLE_WORDS = {
    "officer": "officer", "community officer": "officer", "社区民警": "officer", "民警": "officer",
    "head": "head", "station head": "head", "所长": "head", "派出所所长": "head",
    "district_head": "district_head", "district head": "district_head", "分局长": "district_head", "分县局长": "district_head",
    "city_head": "city_head", "city head": "city_head", "市局长": "city_head",
}
SKILL_WORDS = {
    "急救": "first_aid", "first aid": "first_aid", "英语": "english", "英文": "english", "调解": "mediation", "纠纷调解": "mediation",
    "dispute mediation": "mediation", "驾驶": "driving", "消防": "fire_safety", "消防安全": "fire_safety", "fire safety": "fire_safety",
    "手语": "sign_language", "sign language": "sign_language",
}
KIND_WORDS = {
    "商店": "shop", "店铺": "shop", "药店": "pharmacy", "药房": "pharmacy", "宾馆": "hotel", "酒店": "hotel", "超市": "supermarket",
    "物业门岗": "property_gate", "门岗": "property_gate", "property gate": "property_gate", "学校旁": "school_side",
    "beside a school": "school_side", "其他": "other",
}
PLACE_WORDS = {
    "楼道": "stairwell", "楼梯间": "stairwell", "工地": "building_site", "建筑工地": "building_site", "市场": "market", "菜市场": "market",
    "广场": "square", "街道": "street", "街面": "street", "校门": "school_gate", "学校门口": "school_gate", "商铺": "shop", "商店": "shop",
    "小区门口": "residential_gate", "小区大门": "residential_gate", "其他": "other", "其他地点": "other",
}
SHOW_WORDS = {"民警": "officers", "社区民警": "officers", "110": "emergency", "报警电话": "emergency", "二维码": "qr", "反诈": "anti_fraud", "反诈骗": "anti_fraud", "96110": "anti_fraud"}
YES = {"yes", "y", "true", "1", "是", "对", "有", "√", "✓", "x"}
NO = {"no", "n", "false", "0", "否", "不", "无", ""}

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_header(text: str) -> str:
    return re.sub(r"[\s_*（）()]+", "", text.strip().lower())


def header_map(kind: str) -> dict[str, str]:
    """Every accepted spelling of a header -> the column's key."""
    mapping: dict[str, str] = {}
    for column in COLUMNS[kind]:
        for spelling in (column.en, column.zh, column.key):
            mapping[normalise_header(spelling)] = column.key
    return mapping


def mobile(text: str) -> str | None:
    """A mainland mobile number as its 11 digits, or None."""
    digits = re.sub(r"[\s\-().]", "", text or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if MOBILE.match(digits) else None


def yes_no(text: str) -> bool | None:
    """True, False, or None when it is neither."""
    word = (text or "").strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    return None


def parse_date(text: str) -> dt.date | None:
    text = text.strip().replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").replace("日", "")
    try:
        return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        return None


def parse_skills(text: str, skills: tuple[str, ...], labels: dict[str, str]) -> tuple[dict[str, dt.date | None], str | None]:
    """``first_aid:2027-06-30, english`` -> {skill: expiry}; the second value names a part
    that could not be read."""
    words = {**SKILL_WORDS, **{label.lower(): code for code, label in labels.items()}, **{s: s for s in skills}}
    found: dict[str, dt.date | None] = {}
    for part in re.split(r"[,，;；、\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        name, _sep, expiry = part.replace("：", ":").partition(":")
        name = name.strip().lower()
        if not expiry:  # "first_aid 2027-06-30"
            match = re.match(r"^(.*?)\s+(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)$", name)
            if match:
                name, expiry = match.group(1).strip(), match.group(2)
        code = words.get(name) or words.get(name.replace(" ", "_"))
        if code is None:
            return {}, part
        date = None
        if expiry.strip():
            date = parse_date(expiry)
            if date is None:
                return {}, part
        found[code] = date
    return found, None


def skills_text(skills: dict[str, dt.date | None]) -> str:
    return ", ".join(f"{code}:{date.isoformat()}" if date else code for code, date in sorted(skills.items()))


# --- Opening hours as typed in a cell ----------------------------------------------------

DAY_WORDS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
    "周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6, "周天": 6,
    "星期一": 0, "星期二": 1, "星期三": 2, "星期四": 3, "星期五": 4, "星期六": 5, "星期日": 6, "星期天": 6,
}
EVERY_DAY = {"daily", "every day", "everyday", "每天", "每日", "全周", "周一至周日"}
ALL_DAY_WORDS = {"24h", "24 h", "24 hours", "24小时", "全天"}
CLOSED_WORDS = {"closed", "休息", "不营业", "关闭"}
TIME_RANGE = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)\s*[-–~至到]\s*(次日)?\s*([01]?\d|2[0-3])[:：]([0-5]\d)\s*(\+1)?$")
ENGLISH_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _days(text: str) -> list[int] | None:
    text = text.strip().lower()
    if text in EVERY_DAY:
        return list(range(7))
    days: list[int] = []
    for part in re.split(r"[,，、/]+|\s+", text):
        if not part:
            continue
        span = re.split(r"\s*(?:-|–|~|至|到)\s*", part)
        if len(span) == 2 and span[0] in DAY_WORDS and span[1] in DAY_WORDS:
            first, last = DAY_WORDS[span[0]], DAY_WORDS[span[1]]
            days += [(first + step) % 7 for step in range((last - first) % 7 + 1)]
        elif part in DAY_WORDS:
            days.append(DAY_WORDS[part])
        else:
            return None
    return days or None


def parse_hours(text: str) -> H.Week | None:
    """A week from ``Mon-Fri 08:00-20:00; Sat 20:00-02:00+1; Sun closed`` (days not
    named are closed); None when it cannot be read. The watch points' own rules then
    check each day (``portal.watchpoints.rules.check_data``)."""
    week = [H.Day() for _ in range(7)]
    parts = [p.strip() for p in re.split(r"[;；\n]+", text or "") if p.strip()]
    if not parts:
        return None
    for part in parts:
        match = re.match(r"^(.*?)\s*((?:[01]?\d|2[0-3])[:：][0-5]\d\s*[-–~至到].*|24\s*h(?:ours)?|24小时|全天|closed|休息|不营业|关闭)$", part, re.I)
        if not match:
            return None
        days = _days(match.group(1)) if match.group(1).strip() else list(range(7))
        if days is None:
            return None
        rule = match.group(2).strip().lower()
        if rule in ALL_DAY_WORDS or re.fullmatch(r"24\s*h(ours)?", rule):
            day = H.Day(H.ALL_DAY)
        elif rule in CLOSED_WORDS:
            day = H.Day(H.CLOSED)
        else:
            times = TIME_RANGE.match(rule)
            if not times:
                return None
            opens = dt.time(int(times.group(1)), int(times.group(2)))
            closes = dt.time(int(times.group(4)), int(times.group(5)))
            day = H.Day(H.OPEN, opens, closes, bool(times.group(3) or times.group(6)))
        for index in days:
            week[index] = day
    return tuple(week)


def hours_text(week: H.Week) -> str:
    """The week in the form ``parse_hours`` reads, consecutive equal days joined."""
    parts: list[str] = []
    index = 0
    while index < 7:
        end = index
        while end + 1 < 7 and week[end + 1] == week[index]:
            end += 1
        day = week[index]
        days = ENGLISH_DAYS[index] if end == index else f"{ENGLISH_DAYS[index]}-{ENGLISH_DAYS[end]}"
        if day.mode == H.ALL_DAY:
            rule = "24h"
        elif day.mode == H.OPEN:
            rule = f"{day.opens:%H:%M}-{day.closes:%H:%M}{'+1' if day.overnight else ''}"
        else:
            rule = "closed"
        if not (day.mode == H.CLOSED and (index, end) != (0, 6)):
            parts.append(f"{'daily' if (index, end) == (0, 6) else days} {rule}")
        index = end + 1
    return "; ".join(parts) or "daily closed"
