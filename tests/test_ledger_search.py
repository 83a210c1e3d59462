"""The ledger workbench: search by each field from the engine's own index (SQLite FTS5
trigram, PostgreSQL pg_trgm), scope kept in SQL, filters, sort by deadline, saved views,
bulk reassignment and the export of the filtered items."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re

from openpyxl import load_workbook
from piccolo.engine.postgres import PostgresEngine

from portal import db
from portal.accounts.rules import load_actor, now
from portal.audit.tables import AuditEntry
from portal.ledger import rules, search
from portal.ledger.rules import ListFilter, NewItem
from portal.ledger.tables import LedgerEvent, LedgerItem
from portal.public.rules import CODE_ALPHABET
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


async def bulk_file(area, specs: list[dict]) -> list[dict]:
    """Items written straight into the table, as the benchmark does (the search index
    follows by itself); each spec names its community and text, the rest is made up."""
    rng = random.Random(8)
    at = now().replace(microsecond=0)
    stations = {area.community_id: area.station_id, area.other_community_id: area.station_id, area.other_station_community_id: area.other_station_id}
    items = []
    for seq, spec in enumerate(specs, start=1):
        community = spec.get("community", area.community_id)
        created = at - dt.timedelta(hours=len(specs) - seq)
        items.append(LedgerItem(
            ledger="complaint", category="other", station=stations[community], community=community, summary=spec["summary"], details=spec.get("details", ""),
            raised_by_name=spec.get("name", ""), raised_by_phone=spec.get("phone", ""), year=2026, seq=seq, number=f"TS-2026-{seq:06d}",
            tracking_code="".join(rng.choice(CODE_ALPHABET) for _ in range(12)), stage=spec.get("stage", "registered"), stage_entered_at=created,
            stage_due_at=spec.get("due", created + dt.timedelta(days=rng.randint(1, 3))), created_at=created, updated_at=created, filed_month=created.strftime("%Y-%m"),
        ))
    await LedgerItem.insert(*items).run()
    return await LedgerItem.select(*LedgerItem.all_columns()).order_by(LedgerItem.id).run()


def expected(items: list[dict], reach: set[int], chosen: ListFilter) -> list[str]:
    """What the list must show, worked out in Python from the items themselves."""
    terms = [term.lower() for term in search.terms_of(chosen.q)]
    shown = []
    for item in items:
        text = " ".join([item["number"], item["tracking_code"], item["raised_by_name"], item["raised_by_phone"], item["summary"], item["details"]]).lower()
        if item["community"] not in reach or not all(term in text for term in terms):
            continue
        if chosen.stage == "open" and item["stage"] == "closed":
            continue
        if chosen.sort == "due" and item["stage_due_at"] is None:
            continue
        shown.append(item)
    if chosen.sort == "due":
        shown.sort(key=lambda item: (item["stage_due_at"], item["id"]))
    else:
        shown.sort(key=lambda item: -item["id"])
    return [item["number"] for item in shown]


async def test_every_way_of_answering_a_search_gives_the_same_pages(make_user, area, monkeypatch):
    """Each field, short and long words, both orders, small pages followed by their keys:
    on SQLite a page comes from the first items or index matches in the page's order (a
    window) or from the whole index when those hold too few; on PostgreSQL the words are written as literals.
    Every page must be what the items say, whichever way it was found, and the window
    must find what there is in it (else every page would come the slow way)."""
    head = await load_actor(await make_user("head"))
    due = now().replace(microsecond=0) + dt.timedelta(days=2)
    specs = []
    for n in range(36):
        specs.append({
            # Three communities: the head reaches the first two only.
            "community": (area.community_id, area.other_community_id, area.other_station_community_id)[n % 3],
            "summary": ("楼上噪音扰民 karaoke" if n % 2 else "Parking on the pavement") + (" 噪音" if n % 5 == 0 else ""),
            "details": "bicycles blocked" if n % 4 == 0 else "",
            "name": ("王小明", "Li Hua", "张伟", "李娜")[n % 4], "phone": f"1391234{n:04d}",
            "stage": "closed" if n % 7 == 3 else "assigned",
            # Many share one deadline (pages must break the ties by id); some have none.
            "due": None if n % 9 == 8 else (due if n % 3 else due + dt.timedelta(hours=n)),
        })
    items = await bulk_file(area, specs)
    reach = {area.community_id, area.other_community_id}
    probe = next(item for item in items if item["community"] == area.community_id and item["stage"] != "closed")
    pretty = "-".join(probe["tracking_code"][i:i + 4] for i in range(0, 12, 4)).lower()
    searches = [
        probe["number"], probe["tracking_code"], pretty, probe["raised_by_phone"][-8:], "王小明", "li hua", "karaoke", "TS-2026", "pavement BICYCLES",
        # Words of one or two characters, which the trigram index cannot hold: in the
        # number, the name, the phone and the text.
        "TS", "张伟", "LI", "39", "噪音", "噪", "karaoke 噪音", "扰民 噪音", "no-such-word",
    ]
    answers = []  # how many queries each page took
    window_pages = []  # (window size, window, order, after a cursor?) of the pages a window answered
    real_run = search._run_page  # the page's statements (portal.db.Statement) run through it

    async def counted_run(*args, **kwargs):
        answers[-1] += 1
        return await real_run(*args, **kwargs)

    monkeypatch.setattr(search, "_run_page", counted_run)
    for window in (1000, 4):
        monkeypatch.setattr(search, "WINDOW", window)
        monkeypatch.setattr(search, "NEWEST", window if window > 4 else 6)  # ids: 2 in 3 reached
        for q in searches:
            for sort in ("new", "due"):
                for stage in (None, "open"):
                    chosen = ListFilter(stage=stage, q=q, sort=sort)
                    shown, after = [], None
                    while True:
                        answers.append(0)
                        page = await search.item_page(head, chosen, rules.LIST_COLUMNS, after, size=2)
                        assert len(page.rows) <= 2
                        if answers[-1] == 1 and search._window_first(chosen):
                            window_pages.append((window, search._window_first(chosen), sort, after is not None))
                        elif window == 1000 and page.next_after is not None:
                            # A window of every item holds the page and one more.
                            assert not search._window_first(chosen), chosen
                        shown += [row["number"] for row in page.rows]
                        after = page.next_after
                        if after is None:
                            break
                    assert shown == expected(items, reach, chosen), (window, chosen)
    assert expected(items, reach, ListFilter(q=probe["number"])) == [probe["number"]]
    assert len(expected(items, reach, ListFilter(q="噪音", sort="due"))) > 6  # pages enough to follow
    if isinstance(db.engine(), PostgresEngine):
        assert set(answers) == {1} and not window_pages
    else:  # both ways were taken, and a small window follows the pages' keys too
        assert 2 in answers and {(4, "newest", "new", True), (4, "rows", "new", True), (4, "rows", "due", True)} <= set(window_pages)


async def test_quotes_backslashes_braces_and_nul_in_a_search_are_plain_characters(client_for, area):
    client, head_id = await client_for("head")
    head = await load_actor(head_id)
    items = await bulk_file(area, [
        {"summary": "O'Brien's {flat} is 100%_sure", "details": r"C:\temp\x"},
        {"summary": "Obrien flat 1000 sure", "details": "C:temp"},
    ])
    quoted, plain = items[0]["number"], items[1]["number"]

    async def found(q: str) -> list[str]:
        page = await search.item_page(head, ListFilter(q=q), rules.LIST_COLUMNS, None)
        return [row["number"] for row in page.rows]

    assert await found("O'Brien's") == [quoted]
    assert await found("'") == [quoted]
    assert await found("{flat}") == [quoted] and await found("}") == [quoted]
    assert await found("100%_sure") == [quoted] and await found("%_") == [quoted]
    assert await found("C:\\temp") == [quoted] and await found("\\") == [quoted]
    assert await found("' OR ''='") == [] and await found("\\' OR 1=1 --") == []
    assert await found("flat") == [plain, quoted] and await found("Obrien") == [plain]
    assert await found("fl\x00at") == [] and await found("\x00") == []
    response = await client.get("/ledger", params={"q": "O'Brien's {flat}"})
    assert response.status_code == 200 and numbers(response.text) == {quoted}
