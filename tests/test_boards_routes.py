"""The contact boards registry: officers keep a community's boards (place, what it shows,
printed, replaced, due), print them in bulk and see them counted; others are refused and
nothing changes; an import upserts by code in one transaction."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.boards import rules
from portal.boards.tables import Board
from tests.conftest import field_error, post_form
from tests.unchanged import nothing_changes

BOARD = {"code": "", "place_kind": "stairwell", "name_zh": "3号楼2单元楼道", "name_en": "Building 3, stair 2", "address": "幸福路 3 号", "shows": ["officers", "emergency", "qr"]}


def base(area) -> str:
    return f"/communities/{area.community_id}/board-registry"


async def test_officer_keeps_prints_and_counts_the_boards_of_a_community(area, client_for, make_user):
    officer, officer_id = await client_for("officer", real_name="李警官", phone="138 0000 1111")
    url = base(area)

    # A board without a place name is refused next to the field, and nothing is written.
    async with _no_board():
        response = await post_form(officer, f"{url}/new", {**BOARD, "name_zh": ""})
        assert response.status_code == 422
        assert field_error(response.text, "name_zh")
        assert 'value="Building 3, stair 2"' in response.text  # the input comes back

    # Without a code the board gets the next free one; a typed code is upper-cased.
    response = await post_form(officer, f"{url}/new", BOARD)
    assert response.status_code == 303
    first = int(re.search(r"/board-registry/(\d+)", response.headers["location"]).group(1))
    response = await post_form(officer, f"{url}/new", {**BOARD, "code": "mkt-01", "place_kind": "market", "name_zh": "西关菜市场", "name_en": "", "shows": ["qr", "anti_fraud"]})
    second = int(re.search(r"/board-registry/(\d+)", response.headers["location"]).group(1))
    rows = {r["id"]: r for r in await Board.select().run()}
    assert rows[first]["code"] == "B-0001" and rows[second]["code"] == "MKT-01"
    assert rows[second]["shows"] == "qr,anti_fraud"
    created = await AuditEntry.select().where((AuditEntry.action == "board.created") & (AuditEntry.object_id == str(second))).output(load_json=True).first().run()
    assert created["after"]["code"] == "MKT-01" and created["actor"] == officer_id

    # The same code twice in a community is refused next to the code.
    async with nothing_changes((Board, second)):
        response = await post_form(officer, f"{url}/new", {**BOARD, "code": "MKT-01"})
        assert response.status_code == 422 and field_error(response.text, "code")

    # Edit: a replacement due yesterday makes the board due everywhere it is counted.
    yesterday = (rules.local_today() - dt.timedelta(days=1)).isoformat()
    response = await post_form(officer, f"{url}/{first}", {**BOARD, "code": "B-0001", "replaced_on": "2024-01-05", "replace_due": yesterday})
    assert response.status_code == 303
    changed = await AuditEntry.select().where((AuditEntry.action == "board.updated") & (AuditEntry.object_id == str(first))).output(load_json=True).first().run()
    assert changed["before"] == {"replaced_on": None, "replace_due": None}
    assert changed["after"] == {"replaced_on": "2024-01-05", "replace_due": yesterday}
    page = (await officer.get(url)).text
    assert "2 boards in use" in page and "1 due for replacement" in page
    due_only = (await officer.get(f"{url}?due=1")).text
    assert "B-0001" in due_only and "MKT-01" not in due_only
    markets = (await officer.get(f"{url}?kind=market")).text
    assert "MKT-01" in markets and "B-0001" not in markets
    home = (await officer.get("/")).text
    assert f'href="{url}"' in home and "2 boards in use" in home and "1 due for replacement" in home
    community_boards = (await officer.get(f"/communities/{area.community_id}/boards")).text
    assert f'href="{url}"' in community_boards and "1 due for replacement" in community_boards

    # Replaced today: due again in two years unless a date is given.
    today = rules.local_today()
    response = await post_form(officer, f"{url}/{first}/replaced", {"replaced_on": today.isoformat(), "next_due": ""})
    assert response.status_code == 303
    row = await Board.select().where(Board.id == first).first().run()
    assert row["replaced_on"] == today and row["replace_due"] == today + rules.REPLACE_AFTER
    async with nothing_changes((Board, first)):
        response = await post_form(officer, f"{url}/{first}/replaced", {"replaced_on": today.isoformat(), "next_due": today.isoformat()})
        assert response.status_code == 422 and field_error(response.text, "next_due")

    # Bulk print of the chosen boards: one board a page with the community's QR code and
    # public address and the officer's contact; the code printed small on each.
    sheet = await officer.get(f"{url}/print?ids={first}&ids={second}&size=a5")
    assert sheet.status_code == 200
    assert sheet.text.count('<article class="board">') == 2 and sheet.text.count("<svg") == 2
    assert "http://testserver.local/c/a" in sheet.text and "李警官" in sheet.text and "138 0000 1111" in sheet.text
    assert "96110" in sheet.text  # the market's board carries the anti-fraud notice
    assert "board-a5.css" in sheet.text
    # …and "printed on" is set for them, one audit row each.
    response = await post_form(officer, f"{url}/print", {"ids": [str(first), str(second)], "printed_on": today.isoformat()})
    assert response.status_code == 303 and "printed=2" in response.headers["location"]
    assert {r["printed_on"] for r in await Board.select(Board.printed_on).run()} == {today}
    assert await AuditEntry.count().where(AuditEntry.action == "board.printed").run() == 2
    # Marking with no board chosen is refused, nothing changes.
    async with nothing_changes((Board, first)):
        response = await post_form(officer, f"{url}/print", {"printed_on": today.isoformat()})
        assert response.status_code == 422

    # Retired boards are kept but no longer printed or counted; restoring brings them back.
    assert (await post_form(officer, f"{url}/{second}/retire")).status_code == 303
    assert (await officer.get(f"{url}/print")).text.count('<article class="board">') == 1
    assert "1 board in use" in (await officer.get(url)).text
    assert "MKT-01" in (await officer.get(f"{url}?retired=1")).text
    assert (await post_form(officer, f"{url}/{second}/restore")).status_code == 303
    assert (await Board.select(Board.retired_at).where(Board.id == second).first().run())["retired_at"] is None
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_id == str(second)).where(AuditEntry.object_type == "board").order_by(AuditEntry.id).run()]
    assert actions == ["board.created", "board.printed", "board.retired", "board.restored"]

    # The station head edits too; an officer of another community neither reads nor writes.
    head, _head_id = await client_for("head")
    assert (await head.get(url)).status_code == 200
    assert (await post_form(head, f"{url}/{second}", {**BOARD, "code": "MKT-01", "name_zh": "西关市场"})).status_code == 303
    other, _other_id = await client_for("officer", community_id=area.other_community_id)
    async with nothing_changes((Board, second)):
        assert (await other.get(url)).status_code == 403
        assert (await post_form(other, f"{url}/{second}", {**BOARD, "code": "MKT-01", "name_zh": "改"})).status_code == 403
        assert (await post_form(other, f"{url}/{second}/retire")).status_code == 403
        assert (await post_form(other, f"{url}/print", {"ids": [str(second)], "printed_on": "2030-01-01"})).status_code == 403
    # The district's head reads the registry and prints, and changes nothing.
    overseer, _overseer_id = await client_for("district_head")
    assert (await overseer.get(url)).status_code == 200
    assert (await overseer.get(f"{url}/print")).status_code == 200
    detail = await overseer.get(f"{url}/{second}")
    assert detail.status_code == 200 and f'action="{url}/{second}"' not in detail.text
    async with nothing_changes((Board, second)):
        assert (await overseer.get(f"{url}/new")).status_code == 403
        assert (await post_form(overseer, f"{url}/{second}", {**BOARD, "code": "MKT-01", "name_zh": "改"})).status_code == 403
    # A board of another community is not found through this one's address.
    assert (await head.get(f"/communities/{area.other_community_id}/board-registry/{second}")).status_code == 404


class _no_board:
    """No board and no audit row appear in the block."""

    async def __aenter__(self):
        self.counts = (await Board.count().run(), await AuditEntry.count().run())

    async def __aexit__(self, *exc):
        assert (await Board.count().run(), await AuditEntry.count().run()) == self.counts


async def test_import_rows_are_upserted_by_code_all_or_nothing(area, make_user):
    """``upsert_many``: new codes are created, known ones updated, equal ones left alone
    (a second run writes nothing); a bad row or a community the actor does not reach
    refuses the whole batch."""
    actor = await load_actor(await make_user("officer"))
    rows = [
        rules.BoardData(area.community_id, "s-1", "1号楼楼道", place_kind="stairwell"),
        rules.BoardData(area.community_id, "site-1", "工地东门", place_kind="building_site", latitude=36.6, longitude=101.7),
    ]
    first = await rules.upsert_many(actor, rows)
    assert len(first.created) == 2 and not first.updated
    audit_rows = await AuditEntry.count().run()
    again = await rules.upsert_many(actor, rows)
    assert sorted(again.unchanged) == sorted(first.created) and not again.created and not again.updated
    assert await AuditEntry.count().run() == audit_rows  # a re-import changes nothing
    changed = await rules.upsert_many(actor, [rules.BoardData(area.community_id, "S-1", "1号楼一单元楼道", place_kind="stairwell")])
    assert changed.updated == [first.created[0]]
    assert (await Board.select(Board.name_zh).where(Board.id == first.created[0]).first().run())["name_zh"] == "1号楼一单元楼道"

    async with nothing_changes((Board, Board.community == area.community_id)):
        with pytest.raises(rules.BoardError) as refused:
            await rules.upsert_many(actor, [rules.BoardData(area.community_id, "new-2", "新牌"), rules.BoardData(area.community_id, "bad code!", "坏")])
        assert refused.value.row == 1 and refused.value.field == "code"
        with pytest.raises(rules.BoardError) as elsewhere:
            await rules.upsert_many(actor, [rules.BoardData(area.community_id, "new-3", "新牌"), rules.BoardData(area.other_station_community_id, "x-1", "别处")])
        assert elsewhere.value.row == 1 and elsewhere.value.field == "community"
