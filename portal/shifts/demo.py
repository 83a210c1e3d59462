"""Demo shifts: kinds, a weekly roster and a shift starting now in 西关社区, a roster in 东门社区."""

from __future__ import annotations

import datetime as dt

from portal.shifts import rules
from portal.shifts.tables import Shift
from portal.stations.tables import Community
from portal.watchpoints.tables import WatchPoint


async def seed_shifts() -> None:
    now = rules.utcnow()
    communities = {c["code"]: c["id"] for c in await Community.select(Community.id, Community.code).run()}
    xiguan, dongmen = communities["xiguan"], communities["dongmen"]
    base = {"description": "", "required_skills": "", "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False}
    patrol = await rules.create_kind(None, xiguan, {**base, "kind": "patrol", "name": "西关夜间巡逻", "place": "西关大街 → 南关十字 → 西关小学", "description": "两人一组，带好手电和对讲机。", "min_people": 2, "max_people": 4, "buddy_min": 2, "needs_experienced": True})
    school = await rules.create_kind(None, xiguan, {**base, "kind": "event", "name": "放学护学岗", "place": "西关小学门口", "min_people": 1, "max_people": 3})
    await rules.create_kind(None, xiguan, {**base, "kind": "reception", "name": "警务会客厅值班（英语）", "place": "西关警务室", "required_skills": "english", "min_people": 1, "max_people": 2})
    point = await WatchPoint.select(WatchPoint.id).where((WatchPoint.community == xiguan) & WatchPoint.host.is_not_null()).first().run()
    await rules.create_kind(None, xiguan, {**base, "kind": "watch_point", "name": "节日夜间守望", "place": "守望点", "open_to": "hosts", "watch_point": point["id"] if point else None, "min_people": 1, "max_people": 1})
    await rules.create_template(None, xiguan, patrol, {"weekdays": [0, 2, 4], "start_time": "19:00", "end_time": "21:00", "min_people": 2, "max_people": 4, "weeks_ahead": 4, "starts_on": now.date()}, now=now)
    # A shift starting in a few minutes, so that checking in can be tried at once.
    starts = (now + dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    await Shift.insert(Shift(community=xiguan, kind=school, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=1, capacity=3, taken=0, note="演示：马上开始", created_at=now)).run()
    east = await rules.create_kind(None, dongmen, {**base, "kind": "patrol", "name": "Dongmen evening patrol", "place": "东门广场", "min_people": 2, "max_people": 3, "buddy_min": 2})
    await rules.create_template(None, dongmen, east, {"weekdays": [1, 3], "start_time": "18:30", "end_time": "20:30", "min_people": 2, "max_people": 3, "weeks_ahead": 2, "starts_on": now.date()}, now=now)


# (community code, kind name, route, weekdays, local start hour, hours): the evening
# patrols of the year; 西关 and 东门 walk the rosters above, the others their own.
PATROLS = [
    ("xiguan", "西关夜间巡逻", "西关大街 → 南关十字 → 西关小学", (0, 2, 4), 19, 2),
    ("dongmen", "Dongmen evening patrol", "东门广场", (1, 3), 18.5, 2),
    ("nanshan", "南山夜间巡逻", "南山路 → 南山公园 → 凤凰山路", (2, 5), 19, 2),
    ("nantan-east", "南滩东片区巡逻", "南滩街 → 南滩市场 → 电力巷", (0, 3, 5), 19, 2),
    ("nantan-west", "南滩西片区巡逻", "南滩西路 → 兴海路", (1, 4), 19, 2),
    ("shengli", "胜利路夜间巡逻", "胜利路 → 五四大街 → 西门口", (0, 2, 4, 5), 19.5, 2),
    ("hutai", "虎台周末巡逻", "虎台南路 → 虎台公园", (5, 6), 10, 2.5),
]
CANCELLED = ("大风降温，取消巡逻。", "暴雨预警，今晚暂停巡逻。", "与社区活动时间冲突，改期。")
OVERRIDE_NOTE = "忘记签到签退，按排班时间计。"


async def history_shifts(history) -> None:
    """A year of evening patrols in every community: shifts, their sign-ups, check-ins
    and check-outs (a few hours set by the officer, a few no-shows); more in summer, fewer
    where the community lags. Part of the demo history (``portal.demo_history``)."""
    from portal.demo_history import PROFILES
    from portal.shifts.tables import ShiftKind, Signup

    profiles = {p.code: p for p in PROFILES}
    await history.reserve(Shift, Signup)
    rng = history.rng
    base = {"description": "", "required_skills": "", "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False, "min_people": 2, "max_people": 4}
    no_shows: dict[int, int] = {}
    for code, name, route, weekdays, start_hour, hours in PATROLS:
        community = history.communities.get(code)
        if not community or code not in profiles:
            continue
        profile = profiles[code]
        kind = await ShiftKind.select(ShiftKind.id).where((ShiftKind.community == community["id"]) & (ShiftKind.name == name)).first().run()
        kind_id = kind["id"] if kind else await rules.create_kind(None, community["id"], {**base, "kind": "patrol", "name": name, "place": route})
        team = history.volunteers.get(code, [])
        for day in history.days():
            if day.weekday() not in weekdays or rng.random() > min(1.0, history.season(day, 0.15) * history.activity(profile, day)):
                continue
            starts = history.at(day, start_hour)
            ends = starts + dt.timedelta(hours=hours)
            if ends > history.moment:
                break
            cancelled = rng.random() < 0.02
            present = [p for p in team if p.joined <= day and (p.left is None or p.left > day)]
            chosen = []
            if not cancelled:
                for _turn in range(min(len(present), rng.choice((2, 2, 3, 3, 4)))):
                    person = rng.choices(present, [p.weight for p in present])[0]
                    present.remove(person)
                    chosen.append(person)
            shift_id = history.add(
                Shift, community=community["id"], kind=kind_id, starts_at=starts, ends_at=ends, min_people=2, capacity=4, taken=len(chosen),
                status="cancelled" if cancelled else "open", cancel_reason=rng.choice(CANCELLED) if cancelled else "", created_at=starts - dt.timedelta(days=10),
            )
            walked = []
            for person in chosen:
                queued = starts - dt.timedelta(days=1 + rng.random() * 6)
                draw = rng.random()
                row = {"shift": shift_id, "user": person.id, "status": "active", "queued_at": queued, "updated_at": ends}
                if draw < 0.05 and not person.named and no_shows.get(person.id, 0) < 2:
                    excused = rng.random() < 0.6
                    no_shows[person.id] = no_shows.get(person.id, 0) + (0 if excused else 1)
                    row.update(no_show="excused" if excused else "unexcused", no_show_reason="家里临时有事，提前请假。" if excused else "")
                elif draw < 0.09 and not person.named:
                    row.update(hours_override=float(hours), hours_note=OVERRIDE_NOTE)
                    walked.append(person)
                else:
                    row.update(checked_in_at=starts + dt.timedelta(minutes=rng.uniform(-10, 8)), checked_out_at=ends + dt.timedelta(minutes=rng.uniform(-5, 20)))
                    walked.append(person)
                history.add(Signup, **row)
            if walked:
                history.patrols.append({"shift": shift_id, "community": code, "starts": starts, "ends": ends, "people": walked, "route": route})
