"""The ledger workbench: search by each field from the engine's own index (SQLite FTS5
trigram, PostgreSQL pg_trgm), scope kept in SQL, filters, sort by deadline, saved views,
bulk reassignment and the export of the filtered items."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import load_workbook

from portal.accounts.rules import load_actor, now
from portal.audit.tables import AuditEntry
from portal.ledger import rules
from portal.ledger.rules import ListFilter, NewItem
from portal.ledger.tables import LedgerEvent, LedgerItem
from tests.conftest import post_form
from tests.unchanged import nothing_changes


async def file(officer_id: int, community_id: int, **kwargs) -> dict:
    data = {"ledger": "complaint", "category": "noise", "community_id": community_id, "summary": "Dogs barking at night", **kwargs}
    return await rules.file_item(await load_actor(officer_id), NewItem(**data))


def numbers(html: str) -> set[str]:
    return set(re.findall(r"<strong>([A-Z]+-\d{4}-\d+)</strong>", html))


async def test_each_field_is_found_and_another_stations_item_never(client_for, make_user, area):
    client, officer_id = await client_for("head")
    karaoke = await file(officer_id, area.community_id, summary="楼上卡拉OK噪音扰民到凌晨两点", raised_by_name="王小明", raised_by_phone="13912345678")
    parking = await file(officer_id, area.other_community_id, ledger="suggestion", category="traffic", summary="Parking on the pavement near the school gate", details="Bicycles blocked every morning", raised_by_name="Li Hua", raised_by_phone="13800001111")
    other_officer = await make_user("officer", community_id=area.other_station_community_id)
    secret = await file(other_officer, area.other_station_community_id, summary="隔壁卡拉OK噪音 secret karaoke", raised_by_name="王小明")

    async def found(q: str) -> set[str]:
        response = await client.get("/ledger", params={"q": q, "stage": "open"})
        assert response.status_code == 200
        return numbers(response.text)

    assert await found(karaoke["number"]) == {karaoke["number"]}
    assert await found(parking["tracking_code"]) == {parking["number"]}
    pretty = "-".join(parking["tracking_code"][i:i + 4] for i in range(0, 12, 4)).lower()
    assert await found(pretty) == {parking["number"]}  # typed as printed on the slip, any case
    assert await found("王小明") == {karaoke["number"]}  # the other station's 王小明 stays out
    assert await found("Li Hua") == {parking["number"]}
    assert await found("12345678") == {karaoke["number"]}  # part of the phone
    assert await found("噪音") == {karaoke["number"]}  # a two-character Chinese word inside the text
    assert await found("卡拉OK噪音") == {karaoke["number"]}
    assert await found("pavement") == {parking["number"]}
    assert await found("BICYCLES") == {parking["number"]}  # in the details, any case
    assert await found("secret") == set()  # another station's words are never found
    assert await found("parking school") == {parking["number"]}  # every word must occur
    assert await found("parking 噪音") == set()
    assert await found('"%_') == set()  # quotes and wildcards are plain characters
    # The index follows an edit of the text and a reassignment does not lose it.
    await LedgerItem.update({LedgerItem.summary: "Scooters on the pavement"}).where(LedgerItem.id == parking["id"]).run()
    assert await found("scooters") == {parking["number"]} and await found("school") == set()
    assert await found(secret["tracking_code"]) == set()


async def test_filters_sort_by_deadline_and_saved_views(client_for, make_user, area):
    client, head_id = await client_for("head")
    officer_id = await make_user("officer", real_name="Officer Wu", community_id=area.other_community_id)
    actor = await load_actor(head_id)
    at = now()
    a = await file(head_id, area.community_id, ledger="claim", category="documents", source="reception", summary="Lost ID card")
    b = await file(head_id, area.other_community_id, summary="Noise from a bar")
    c = await file(head_id, area.community_id, ledger="suggestion", category="traffic", source="officer_visit", summary="Traffic light too short")
    await rules.transition(b["id"], "assigned", actor, officer_id=officer_id)
    # Deadlines set by hand: a overdue, c due in 5 days, b due in 20 days.
    for item, days in ((a, -2), (c, 5), (b, 20)):
        await LedgerItem.update({LedgerItem.stage_due_at: at + dt.timedelta(days=days)}).where(LedgerItem.id == item["id"]).run()

    async def listed(**params) -> list[str]:
        response = await client.get("/ledger", params={"stage": "open", **params})
        assert response.status_code == 200, response.text
        return re.findall(r"<strong>([A-Z]+-\d{4}-\d+)</strong>", response.text)

    assert set(await listed()) == {a["number"], b["number"], c["number"]}
    assert await listed(ledger="claim") == [a["number"]]
    assert await listed(category="traffic") == [c["number"]]
    assert await listed(source="reception") == [b["number"], a["number"]]  # filed at the desk
    assert await listed(source="officer_visit") == [c["number"]]
    assert await listed(community=str(area.other_community_id)) == [b["number"]]
    assert await listed(owner=str(officer_id)) == [b["number"]]
    assert set(await listed(owner="none")) == {a["number"], c["number"]}
    assert await listed(stage="overdue") == [a["number"]]
    assert set(await listed(due_within="7")) == {a["number"], c["number"]}
    assert await listed(sort="due") == [a["number"], c["number"], b["number"]]  # soonest deadline first
    assert await listed(sort="due", due_within="7") == [a["number"], c["number"]]
    assert (await client.get("/ledger", params={"category": "nonsense"})).status_code == 400
    assert (await client.get("/ledger", params={"due_within": "0"})).status_code == 400
    # Keyset pages by deadline: one item a page, nothing repeated or lost.
    from portal.ledger import search
    from portal.web.pagination import keyset_time_page

    cursor = None
    seen = []
    while True:
        query = search.item_query(actor, ListFilter(stage="open", sort="due"), rules.LIST_COLUMNS)
        one = await keyset_time_page(query, LedgerItem.stage_due_at, LedgerItem.id, cursor, size=1)
        seen += [r["number"] for r in one.rows]
        cursor = one.next_after
        if not cursor:
            break
    assert seen == [a["number"], c["number"], b["number"]]
    # Saved views are links on the page, and each shows what it says.
    page = await client.get("/ledger")
    for name in ("My overdue", "Due this week", "Unassigned"):
        assert name in page.text
    assert await listed(**search.VIEWS["unassigned"]) == [c["number"], a["number"]]
    assert set(await listed(**search.VIEWS["due_week"])) == {a["number"], c["number"]}
    officer_client, _ = await client_for("officer", real_name="Officer Zhou")
    await rules.transition(a["id"], "assigned", actor, officer_id=_)
    await LedgerItem.update({LedgerItem.stage_due_at: at - dt.timedelta(hours=1)}).where(LedgerItem.id == a["id"]).run()
    response = await officer_client.get("/ledger", params=search.VIEWS["my_overdue"])
    assert numbers(response.text) == {a["number"]}


async def test_bulk_reassign_moves_each_item_and_reports_the_refused(client_for, make_user, area):
    client, head_id = await client_for("head")
    wu = await make_user("officer", real_name="Officer Wu")
    mine = [await file(head_id, area.community_id, summary=f"Item {n}") for n in range(2)]
    elsewhere = await file(head_id, area.other_community_id, summary="Not Wu's community")
    other_officer = await make_user("officer", community_id=area.other_station_community_id)
    foreign = await file(other_officer, area.other_station_community_id, summary="Another station")
    page = await client.get("/ledger")
    assert 'name="item"' in page.text and "Officer Wu" in page.text
    response = await post_form(client, "/ledger/bulk-reassign", {"item": [str(mine[0]["id"]), str(mine[1]["id"]), str(elsewhere["id"]), str(foreign["id"])], "officer": str(wu)})
    assert response.status_code == 200
    assert "Reassigned: 2" in response.text and "Refused: 2" in response.text
    rows = {r["id"]: r for r in await LedgerItem.select(LedgerItem.id, LedgerItem.officer, LedgerItem.stage).run()}
    assert all(rows[m["id"]]["officer"] == wu and rows[m["id"]]["stage"] == "assigned" for m in mine)
    assert rows[elsewhere["id"]]["officer"] is None and rows[foreign["id"]]["officer"] is None
    assert await AuditEntry.count().where(AuditEntry.action == "ledger.transition").run() == 2
    # Nothing ticked, or no officer: nothing changes and the page says why.
    async with nothing_changes(also=(LedgerItem, LedgerEvent)):
        response = await post_form(client, "/ledger/bulk-reassign", {"officer": str(wu)})
        assert response.status_code == 422 and "Tick the items to reassign." in response.text
        response = await post_form(client, "/ledger/bulk-reassign", {"item": str(elsewhere["id"])})
        assert response.status_code == 422 and "Choose an officer." in response.text
        # Another station's item, and the same officer again: refused, nothing moves.
        response = await post_form(client, "/ledger/bulk-reassign", {"item": [str(foreign["id"]), str(mine[0]["id"])], "officer": str(wu)})
        assert "Refused: 2" in response.text


async def test_export_holds_the_filtered_items_of_the_scope_without_contacts(client_for, make_user, area):
    client, head_id = await client_for("head")
    a = await file(head_id, area.community_id, summary="=HYPERLINK(\"x\") 卡拉OK", raised_by_name="王小明", raised_by_phone="13912345678")
    b = await file(head_id, area.community_id, ledger="claim", category="documents", summary="Lost passport")
    other_officer = await make_user("officer", community_id=area.other_station_community_id)
    await file(other_officer, area.other_station_community_id, summary="Another station's karaoke")
    response = await client.get("/ledger/export", params={"format": "csv", "stage": "open"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][0] == "Number" and {line[0] for line in lines[1:]} == {a["number"], b["number"]}
    assert "13912345678" not in response.text and "王小明" not in response.text
    assert any(line[-1].startswith("'=HYPERLINK") for line in lines[1:])  # never a formula
    response = await client.get("/ledger/export", params={"format": "xlsx", "q": "卡拉OK"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert [row[0] for row in values[1:]] == [a["number"]]  # the search applies; the other station's stays out
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref and isinstance(values[1][7], dt.datetime)
    assert (await client.get("/ledger/export", params={"format": "pdf"})).status_code == 400
