"""Importing officers and heads, watch points and landmarks: preview, confirm, the same file
again (unchanged), an edited file (updated, audited before/after), and who may import what."""

from __future__ import annotations

import datetime as dt
import json

from portal.accounts.rules import now
from portal.accounts.tables import RoleGrant, User
from portal.audit.tables import AuditEntry
from portal.db import fetch
from portal.logs.tables import Landmark
from portal.watchpoints import hours as H
from portal.watchpoints.tables import WatchPoint
from tests.imports_helpers import confirm, upload, xlsx

OFFICERS = ["姓名", "手机号", "角色", "单位代码", "电子邮箱"]
POINTS = ["code", "community_code", "name", "name_en", "kind", "address", "latitude", "longitude", "hours", "phone", "host_name", "host_phone", "verified"]
LANDMARKS = ["编号", "社区代码", "名称", "英文名称", "启用"]


async def _preview(client, kind, rows, name="f.xlsx"):
    response, token = await upload(client, kind, xlsx(rows), name)
    assert response.status_code == 303, response.text[:300]
    return token, (await client.get(f"/imports/batch/{token}")).text


async def test_officers_and_heads_by_a_station_head(client_for, area):
    """A head imports officers of their communities and a head of their station; another
    station's units are refused; the same file again changes nothing; an edit updates."""
    head, _ = await client_for("head")
    rows = [OFFICERS, ["王莉", "13800138101", "社区民警", "a", ""], ["Zhao", "13800138102", "officer", "b", "z@example.org"],
            ["刘洋", "13800138103", "所长", "chengzhong", ""]]
    token, page = await _preview(head, "officers", rows)
    assert "To create: 3" in page
    await confirm(head, token)
    wang = await User.select().where(User.phone == "13800138101").first().run()
    grants = await RoleGrant.select().where(RoleGrant.user == wang["id"]).run()
    assert [(g["role"], g["community"]) for g in grants] == [("officer", area.community_id)] and wang["must_change_password"]
    liu = await User.select().where(User.phone == "13800138103").first().run()
    assert [(g["role"], g["station"]) for g in await RoleGrant.select().where(RoleGrant.user == liu["id"]).run()] == [("head", area.station_id)]
    _token, page = await _preview(head, "officers", rows)
    assert "Unchanged: 3" in page
    edited = [OFFICERS, ["王莉莉", "13800138101", "社区民警", "a", ""], ["Zhao", "13800138102", "officer", "a", ""], ["陈", "13800138104", "officer", "c", ""],
              ["某", "13800138105", "head", "chengdong", ""]]
    token, page = await _preview(head, "officers", edited)
    assert "Row 4: The community c is not one of yours." in page and "Row 5: The station chengdong is not one of yours." in page
    token, page = await _preview(head, "officers", edited[:3])
    assert "To update: 2" in page and "王莉 → 王莉莉" in page and "officer a" in page
    await confirm(head, token)
    assert (await User.select(User.real_name).where(User.id == wang["id"]).first().run())["real_name"] == "王莉莉"
    zhao = await User.select().where(User.phone == "13800138102").first().run()
    assert sorted(g["community"] for g in await RoleGrant.select().where(RoleGrant.user == zhao["id"]).run()) == sorted([area.community_id, area.other_community_id])
    # An officer imports no officers.
    officer, _ = await client_for("officer")
    response, _token = await upload(officer, "officers", xlsx(rows))
    assert response.status_code == 422


async def test_district_and_city_heads_by_an_admin(client_for, area):
    admin, _ = await client_for("admin")
    district, city = (await fetch("SELECT code FROM district WHERE id = {}", area.district_id))[0]["code"], (await fetch("SELECT code FROM city WHERE id = {}", area.city_id))[0]["code"]
    token, page = await _preview(admin, "officers", [OFFICERS, ["区长", "13800138201", "分局长", district, ""], ["市长", "13800138202", "city_head", city, ""]])
    assert "To create: 2" in page
    await confirm(admin, token)
    rows = await fetch("SELECT g.role, g.district, g.city FROM role_grant g JOIN portal_user u ON u.id = g.\"user\" WHERE u.phone IN ({}, {}) ORDER BY u.phone", "13800138201", "13800138202")
    assert rows == [{"role": "district_head", "district": area.district_id, "city": None}, {"role": "city_head", "district": None, "city": area.city_id}]


async def test_watch_points_with_hosts_hours_and_verification(client_for, area):
    officer, officer_id = await client_for("officer")
    rows = [POINTS,
            ["XG-001", "a", "西关大药房", "Xiguan Pharmacy", "药店", "西关大街12号", "36.6171", "101.7782", "周一至周五 08:00-20:00; 周六至周日 09:00-18:00", "0971-8123456", "李娜", "13700137101", "是"],
            ["XG-002", "a", "夜宵店", "", "shop", "西关大街1号", "", "", "daily 20:00-02:00+1", "", "李娜", "13700137101", ""],
            ["XG-003", "a", "坏时间", "", "shop", "路", "", "", "Mon 20:00-08:00", "", "某", "13700137103", ""]]
    token, page = await _preview(officer, "watchpoints", rows)
    assert "Row 4: Closing must be after opening" in page and "Refused: 1" in page
    token, page = await _preview(officer, "watchpoints", rows[:3])
    assert "To create: 2" in page
    await confirm(officer, token)
    points = await WatchPoint.select().where(WatchPoint.community == area.community_id).order_by(WatchPoint.id).run()
    assert [(p["name_zh"], p["status"], p["kind"]) for p in points] == [("西关大药房", "verified", "pharmacy"), ("夜宵店", "pending", "shop")]
    assert H.week_from_text(points[1]["hours"])[0] == H.Day(H.OPEN, dt.time(20), dt.time(2), True)
    host = await User.select().where(User.phone == "13700137101").first().run()
    assert points[0]["host"] == points[1]["host"] == host["id"]
    assert [(g["role"], g["community"]) for g in await RoleGrant.select().where(RoleGrant.user == host["id"]).run()] == [("host", area.community_id)]
    _token, page = await _preview(officer, "watchpoints", rows[:3])
    assert "Unchanged: 2" in page
    edited = [POINTS, rows[1][:8] + ["daily 24h"] + rows[1][9:]]
    token, page = await _preview(officer, "watchpoints", edited)
    assert "To update: 1" in page and "Mon-Fri 08:00-20:00; Sat-Sun 09:00-18:00 → daily 24h" in page
    await confirm(officer, token)
    entry = await AuditEntry.select().where(AuditEntry.action == "watchpoint.updated").first().run()
    assert json.loads(entry["after"])["hours"] == "daily 24h"
    # The other station's officer cannot touch the point by its code.
    other, _ = await client_for("officer", community_id=area.other_station_community_id)
    _token, page = await _preview(other, "watchpoints", [POINTS, ["XG-001"] + ["c"] + rows[1][2:]])
    assert "Row 2: The code XG-001 belongs to a watch point of a community that is not yours." in page


async def test_landmarks_adopt_retire_and_stay_unchanged(client_for, area):
    officer, _ = await client_for("officer")
    await Landmark.insert(Landmark(community=area.community_id, name_zh="西门菜市场", created_at=now())).run()
    rows = [LANDMARKS, ["L1", "a", "西门菜市场", "West Gate Market", ""], ["L2", "a", "3号楼", "", "否"], ["L1", "a", "重复", "", ""]]
    _token, page = await _preview(officer, "landmarks", rows)
    assert "Row 4: The code L1 is also on row 2." in page
    token, page = await _preview(officer, "landmarks", rows[:3])
    assert "To create: 1" in page and "To update: 1" in page  # the hand-made market gets the code
    await confirm(officer, token)
    marks = await Landmark.select().where(Landmark.community == area.community_id).order_by(Landmark.id).run()
    assert [(m["name_zh"], m["name_en"], m["active"]) for m in marks] == [("西门菜市场", "West Gate Market", True), ("3号楼", "", False)]
    _token, page = await _preview(officer, "landmarks", rows[:3])
    assert "Unchanged: 2" in page


async def test_templates_and_examples_in_both_languages(client_for, area):
    """Every kind's template and example download in both languages; each example imports
    as it is (after its units exist)."""
    from io import BytesIO

    from openpyxl import load_workbook

    admin, _ = await client_for("admin")
    for kind in ("officers", "volunteers", "watchpoints", "landmarks", "boards"):
        for lang in ("zh_CN", "en"):
            short = lang[:2]
            template = await admin.get(f"/imports/files/{kind}/template-{short}.xlsx")
            book = load_workbook(BytesIO(template.content))
            assert len(book.worksheets) == 2 and book.worksheets[0].freeze_panes == "A2"
            csv_template = await admin.get(f"/imports/files/{kind}/template-{short}.csv")
            assert csv_template.content.startswith(b"\xef\xbb\xbf")
            example = await admin.get(f"/imports/files/{kind}/example-{short}.xlsx")
            response, token = await upload(admin, kind, example.content, f"example-{kind}.xlsx")
            page = (await admin.get(f"/imports/batch/{token}")).text
            assert "Refused: 0" in page, (kind, lang, page[page.find("<table"):][:1500])


BOARDS = ["编号", "社区代码", "地点", "英文地点", "地点类型", "地址", "纬度", "经度", "显示内容", "印制日期", "备注"]


async def test_contact_boards_into_the_registry(client_for, area):
    """Boards are matched on (community, code); an empty optional cell keeps the stored
    value, so the same file twice and a file with fewer details change nothing."""
    from portal.boards.tables import Board

    officer, _ = await client_for("officer")
    rows = [BOARDS, ["b-1", "a", "西门菜市场入口", "Market gate", "市场", "西门街1号", "", "", "民警, 110, 二维码, 反诈", "2026-03-01", ""],
            ["B-2", "a", "3号楼楼道", "", "楼道", "", "", "", "", "", "note"], ["B-3", "a", "坏", "", "月球", "", "", "", "", "", ""]]
    _token, page = await _preview(officer, "boards", rows)
    assert "Row 4: The kind of place 月球 is not one of" in page
    token, page = await _preview(officer, "boards", rows[:3])
    assert "To create: 2" in page
    await confirm(officer, token)
    boards = await Board.select().where(Board.community == area.community_id).order_by(Board.code).run()
    assert [(b["code"], b["place_kind"], b["shows"]) for b in boards] == [("B-1", "market", "officers,emergency,qr,anti_fraud"), ("B-2", "stairwell", "officers,emergency,qr")]
    assert await AuditEntry.count().where(AuditEntry.action == "board.created").run() == 2
    _token, page = await _preview(officer, "boards", [BOARDS, ["B-1", "a", "西门菜市场入口", "", "", "", "", "", "", "", ""], rows[2]])
    assert "Unchanged: 2" in page
    token, page = await _preview(officer, "boards", [BOARDS, ["B-1", "a", "西门菜市场北入口", "", "", "", "", "", "", "", ""]])
    assert "To update: 1" in page and "西门菜市场入口 → 西门菜市场北入口" in page
    await confirm(officer, token)
    assert (await Board.select(Board.name_zh, Board.printed_on).where(Board.code == "B-1").first().run())["name_zh"] == "西门菜市场北入口"
