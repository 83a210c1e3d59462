"""Demo reception rooms: a 24-hour street room on 西关大街 (bilingual, like the Bell Tower
room) and a community room in 东门社区, both verified, each with a reception shift kind and
a weekly roster; a street room on 胜利路 and a community room in 南滩东社区 (open a year, no
roster of their own); a shift running now at the street room with a volunteer checked in, so
"on duty now" has someone to show; and a dozen phrasebook entries for 城中派出所."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.accounts.rules import now
from portal.accounts.tables import User
from portal.audit.rules import record
from portal.db import write_transaction
from portal.reception.rooms import new_slug
from portal.reception.tables import Phrase, Room
from portal.shifts import rules as shifts
from portal.shifts.tables import Shift, Signup
from portal.stations.tables import Community
from portal.watchpoints import hours as H

ALL = H.Day(H.ALL_DAY)
LONG = H.Day(H.OPEN, dt.time(8), dt.time(21))

# community code, kind, name zh, name en, address, lat, lon, week, services, amenities, languages, phone
ROOMS = [
    ("xiguan", "street", "西关大街暖心警务会客厅", "Xiguan Street Police Reception Room", "西关大街 36 号", 36.6178, 101.7680, (ALL,) * 7,
     "consultation,emergency_help,mediation,residence_permit,no_criminal_record,id_card", "umbrella,first_aid,water,rest_room,key_storage,charging,toilet,wifi", "zh,en", "0971-8000110"),
    ("dongmen", "community", "东门社区警务会客厅", "Dongmen Community Police Reception Room", "东门小区 3 号楼底商", 36.6236, 101.7822, (LONG,) * 7,
     "consultation,mediation,residence_permit,dog_registration,other_business", "umbrella,first_aid,water,rest_room,charging", "zh", ""),
    ("shengli", "street", "胜利路暖心警务会客厅", "Shengli Road Police Reception Room", "胜利路 66 号", 36.6290, 101.7610, (ALL,) * 7,
     "consultation,emergency_help,mediation,residence_permit,id_card", "umbrella,first_aid,water,rest_room,charging,toilet,wifi", "zh,en", "0971-8000220"),
    ("nantan-east", "community", "南滩东社区警务会客厅", "Nantan East Community Police Reception Room", "南滩街 21 号", 36.5990, 101.7780, (LONG,) * 6 + (H.Day(),),
     "consultation,mediation,residence_permit,other_business", "umbrella,water,rest_room", "zh", ""),
]
VERIFIED_BY = {"xiguan": "officer", "dongmen": "officer2", "nantan-east": "officer3", "shengli": "officer4"}
# (community code, shift kind name, weekdays, start, end, min, max)
ROSTERS = [
    ("xiguan", "会客厅值班 · 西关大街", [0, 1, 2, 3, 4, 5, 6], "08:00", "14:00", 1, 3),
    ("xiguan", "会客厅值班 · 西关大街", [0, 1, 2, 3, 4, 5, 6], "14:00", "20:00", 1, 3),
    ("dongmen", "会客厅值班 · 东门", [0, 1, 2, 3, 4], "09:00", "17:00", 1, 2),
]
# situation, Chinese, English
PHRASES = [
    ("greeting", "您好，这里是警务会客厅。请问有什么可以帮您？", "Hello, this is a police reception room. How can I help you?"),
    ("greeting", "请坐，喝杯水。我们慢慢说。", "Please have a seat and a glass of water. Take your time."),
    ("directions", "您要去哪里？请在地图上指给我看。", "Where would you like to go? Please show me on the map."),
    ("directions", "钟楼在前方五百米，步行大约七分钟。", "The Bell Tower is 500 metres ahead, about seven minutes on foot."),
    ("lost_passport", "护照丢了请不要着急，我们先为您开具报失证明。", "Don't worry about your lost passport: first we will give you a certificate of loss."),
    ("lost_passport", "请告诉我您最后一次看到护照的时间和地点。", "Please tell me when and where you last saw your passport."),
    ("lost_property", "请描述丢失物品的样子，并留下您的电话。找到后我们会联系您。", "Please describe the lost item and leave your phone number. We will call you when it is found."),
    ("medical", "您哪里不舒服？我们马上为您叫救护车。", "Where does it hurt? We will call an ambulance for you right away."),
    ("medical", "最近的医院是市第一人民医院，我们可以陪您去。", "The nearest hospital is the First People's Hospital; we can go there with you."),
    ("theft", "您被偷了什么？大概在什么时间、什么地点？", "What was stolen? About when and where did it happen?"),
    ("registration", "外国人入住后二十四小时内需要办理住宿登记。住酒店的，酒店会为您办理。", "Foreign visitors must register their stay within 24 hours of arrival. A hotel does this for its guests."),
    ("taxi", "我帮您叫一辆出租车。请在门口稍等。", "I will call a taxi for you. Please wait at the door."),
    ("embassy", "需要联系您国家的大使馆或领事馆吗？我们可以帮您查找电话。", "Do you need to contact your embassy or consulate? We can help you find the number."),
]


async def seed_rooms() -> int:
    """The demo rooms, rosters, a shift running now and the phrasebook; returns the rooms made."""
    communities = {r["code"]: r for r in await Community.select(Community.id, Community.code, Community.station).run()}
    users = {r["username"]: r["id"] for r in await User.select(User.id, User.username).where(User.username.is_in(["officer", "officer2", "officer3", "officer4", "volunteer3", "volunteer"])).run()}
    rooms: dict[str, int] = {}
    moment = now()
    opened = moment - dt.timedelta(days=400)  # a year of visits before now (demo_visits)
    async with write_transaction():
        for code, kind, name_zh, name_en, address, lat, lon, week, services, amenities, languages, phone in ROOMS:
            if code not in communities:
                continue
            row = await Room.insert(
                Room(
                    community=communities[code]["id"], kind=kind, slug=new_slug(), name_zh=name_zh, name_en=name_en, address=address, latitude=lat, longitude=lon,
                    hours=H.week_to_text(week), services=services, amenities=amenities, languages=languages, phone=phone, status="verified",
                    verified_at=opened, verified_by=users.get(VERIFIED_BY[code]), idempotency_key=str(uuid.uuid4()), created_at=opened, updated_at=opened,
                )
            ).returning(Room.id).run()
            rooms[code] = row[0]["id"]
            await record("reception_room.created", "reception_room", rooms[code], after={"name_zh": name_zh, "demo": True})
        station = communities.get("xiguan", {}).get("station")
        if station:
            for position, (situation, text_zh, text_en) in enumerate(PHRASES):
                await Phrase.insert(Phrase(station=station, situation=situation, text_zh=text_zh, text_en=text_en, position=position, created_at=moment, updated_at=moment)).run()
    base = {"description": "", "required_skills": "", "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False, "kind": "reception"}
    kinds: dict[str, int] = {}
    for code, name, weekdays, start, end, low, high in ROSTERS:
        if code not in rooms:
            continue
        if name not in kinds:
            kinds[name] = await shifts.create_kind(None, communities[code]["id"], {**base, "name": name, "place": next(r[4] for r in ROOMS if r[0] == code), "room": rooms[code], "min_people": low, "max_people": high})
        template = {"weekdays": weekdays, "start_time": start, "end_time": end, "min_people": low, "max_people": high, "weeks_ahead": 2, "starts_on": moment.date()}
        await shifts.create_template(None, communities[code]["id"], kinds[name], template, now=moment)
    street_kind = kinds.get(ROSTERS[0][1])
    volunteer = users.get("volunteer3")
    if street_kind and volunteer:
        # A shift running now at the street room, its English-speaking volunteer checked in.
        starts = moment.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
        async with write_transaction():
            row = await Shift.insert(
                Shift(community=communities["xiguan"]["id"], kind=street_kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=4), min_people=1, capacity=2, taken=1, note="演示：正在值班", created_at=moment)
            ).returning(Shift.id).run()
            await Signup.insert(Signup(shift=row[0]["id"], user=volunteer, status="active", queued_at=starts - dt.timedelta(days=1), checked_in_at=starts + dt.timedelta(minutes=2), updated_at=moment)).run()
    return len(rooms)
