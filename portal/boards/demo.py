"""Demo contact boards in 西关社区: a stairwell, a building site, a market and a square,
one of them due for replacement."""

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


async def seed_boards() -> int:
    community = await Community.select(Community.id).where(Community.code == "xiguan").first().run()
    if not community:
        return 0
    at = now()
    today = at.date()
    async with write_transaction():
        for code, kind, name_zh, name_en, address, shows, put_up, due in BOARDS:
            await Board.insert(Board(
                community=community["id"], code=code, place_kind=kind, name_zh=name_zh, name_en=name_en, address=address, shows=shows,
                printed_on=today - dt.timedelta(days=put_up + 3), replaced_on=today - dt.timedelta(days=put_up), replace_due=today + dt.timedelta(days=due),
                created_at=at, updated_at=at,
            )).run()
    return len(BOARDS)
