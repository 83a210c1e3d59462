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
