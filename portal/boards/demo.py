"""Demo contact boards: in 西关社区 a stairwell, a building site, a market and a square,
one of them due for replacement; and a few in every other community, put up (or
replaced) over the past year."""

from __future__ import annotations

import datetime as dt

from portal.accounts.rules import now
from portal.boards.tables import Board
from portal.db import write_transaction
from portal.stations.tables import Community

# code, kind, name zh, name en, address, shows, put up (days ago), due (days from today)
BOARDS = [
    ("LD-0001", "stairwell", "西关大街 18 号院 3 号楼 2 单元楼道", "Stair 2, Building 3, No. 18 Xiguan St", "西关大街 18 号院", "officers,emergency,qr,anti_fraud", 400, 330),
    ("GD-0001", "building_site", "西关棚改项目工地东门", "East gate, Xiguan renewal site", "西关大街 60 号", "officers,emergency,qr", 700, -30),
    ("SC-0001", "market", "西关菜市场", "Xiguan food market", "西关小学东侧", "officers,emergency,qr,anti_fraud", 100, 630),
    ("GC-0001", "square", "西关文化广场", "Xiguan culture square", "西关大街 100 号对面", "emergency,qr", 30, 700),
]
# The other communities' boards, as above.
MORE_BOARDS = {
    "dongmen": [("LD-0001", "stairwell", "东门小区 5 号楼 1 单元楼道", "Stair 1, Building 5, Dongmen estate", "东门小区", "officers,emergency,qr,anti_fraud", 300, 430),
                ("GC-0001", "square", "东门广场", "Dongmen Square", "东关大街 1 号", "officers,emergency,qr", 45, 685)],
    "nanshan": [("XM-0001", "school_gate", "南山小学校门", "Nanshan Primary School gate", "南山东路 2 号", "officers,emergency,qr", 200, 530)],
    "nantan-east": [("SC-0001", "market", "南滩市场", "Nantan Market", "南滩街 8 号", "officers,emergency,qr,anti_fraud", 250, 480),
                    ("LD-0001", "stairwell", "电力小区 3 号楼楼道", "Stairwell, Building 3, Dianli estate", "电力巷", "officers,emergency,qr", 120, 610),
                    ("XQ-0001", "residential_gate", "南滩新村大门", "Nantan New Village gate", "南滩东路", "officers,emergency,qr", 15, 715)],
    "nantan-west": [("XQ-0001", "residential_gate", "南滩西小区大门", "Nantan West estate gate", "南滩西路 3 号", "officers,emergency,qr", 340, 20)],
    "shengli": [("JD-0001", "street", "胜利路公交站旁", "By the Shengli Road bus stop", "胜利路 40 号", "officers,emergency,qr,anti_fraud", 280, 450),
                ("SC-0001", "market", "五四大街夜市", "Wusi Street night market", "五四大街", "officers,emergency,qr,anti_fraud", 160, 570),
                ("LD-0001", "stairwell", "胜利小区 2 号楼楼道", "Stairwell, Building 2, Shengli estate", "胜利路 9 号院", "officers,emergency,qr", 75, 655)],
    "hutai": [("GC-0001", "square", "虎台公园南门", "Hutai Park, south gate", "虎台南路 1 号", "officers,emergency,qr", 220, 510)],
}


async def seed_boards() -> int:
    communities = {r["code"]: r["id"] for r in await Community.select(Community.id, Community.code).run()}
    at = now()
    today = at.date()
    rows = [
        Board(
            community=communities[community], code=code, place_kind=kind, name_zh=name_zh, name_en=name_en, address=address, shows=shows,
            printed_on=today - dt.timedelta(days=put_up + 3), replaced_on=today - dt.timedelta(days=put_up), replace_due=today + dt.timedelta(days=due),
            created_at=at, updated_at=at,
        )
        for community, boards in (("xiguan", BOARDS), *MORE_BOARDS.items()) if community in communities
        for code, kind, name_zh, name_en, address, shows, put_up, due in boards
    ]
    if rows:
        async with write_transaction():
            await Board.insert(*rows).run()
    return len(rows)
