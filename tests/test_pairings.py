"""联访解: an officer pairs with units and people of their communities, logs each contact
and the opinions collected, each solved on the spot or filed into the ledger through the
ledger's rule (source "officer_visit", the officer accountable); the station head reads
the station's pairings, heads above read without the person's name and the phones, other
officers and stations see nothing. Counts per officer for a period; bad input next to the
field; double submits record once; every change audited."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from portal.audit.tables import AuditEntry
from portal.ledger.tables import LedgerItem
from portal.pairings.tables import Pairing, PairingContact, PairingOpinion
from tests.conftest import field_error, post_form
from tests.unchanged import nothing_changes

TODAY = dt.date.today()


def pairing_form(community: int, **extra) -> dict:
    return {
        "community": str(community), "kind": "unit", "unit_kind": "school", "name": "西关小学", "contact_name": "赵校长", "phone": "0971 1234 567",
        "address": "西关大街 8 号", "started_on": TODAY.isoformat(), "note": "", "idempotency_key": str(uuid.uuid4()), **extra,
    }


def person_form(community: int, **extra) -> dict:
    return pairing_form(community, kind="person", unit_kind="", name="马奶奶", contact_name="", phone="139 0971 0000", address="西关街 12 号 3 单元", **extra)


def contact_form(day: dt.date = TODAY, channel: str = "visit", **extra) -> dict:
    return {"contacted_on": day.isoformat(), "channel": channel, "note": "", "idempotency_key": str(uuid.uuid4()), **extra}


def opinion_form(contact_id: int, outcome: str = "solved", **extra) -> dict:
    values = {"text": "放学时校门口车辆乱停", "outcome": outcome, "solution": "当场联系交警挪车" if outcome == "solved" else "", "ledger": "", "category": "other", "idempotency_key": str(uuid.uuid4()), **extra}
    return {f"o{contact_id}-{k}": v for k, v in values.items()}


async def pair(client, form: dict) -> int:
    response = await post_form(client, "/pairings/new", form)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def contact(client, pairing_id: int, **extra) -> int:
    response = await post_form(client, f"/pairings/{pairing_id}/contacts", contact_form(**extra))
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("-", 1)[1])


async def opinion(client, contact_id: int, outcome: str = "solved", **extra) -> None:
    response = await post_form(client, f"/pairings/contacts/{contact_id}/opinions", opinion_form(contact_id, outcome, **extra))
    assert response.status_code == 303, response.text


async def test_an_officer_pairs_logs_contacts_and_collects_opinions(area, client_for):
    officer, officer_id = await client_for("officer", real_name="李警官")
    school = await pair(officer, pairing_form(area.community_id))
    grandmother = await pair(officer, person_form(area.community_id))
    visit = await contact(officer, school)
    await opinion(officer, visit)
    await opinion(officer, visit, "filed", text="学校东侧路灯坏了", ledger="suggestion", category="public_security")
    call = await contact(officer, grandmother, channel="call")
    await opinion(officer, call, "filed", text="楼道堆放杂物，担心消防", ledger="complaint", category="public_order")

    opinions = await PairingOpinion.select().order_by(PairingOpinion.id).run()
    assert [o["outcome"] for o in opinions] == ["solved", "filed", "filed"] and opinions[0]["ledger_item"] is None
    items = {i["id"]: i for i in await LedgerItem.select().run()}
    school_item, person_item = items[opinions[1]["ledger_item"]], items[opinions[2]["ledger_item"]]
    assert school_item["source"] == "officer_visit" and school_item["ledger"] == "suggestion" and school_item["community"] == area.community_id
    # The unit's contact person raised it; for a person, the person themselves; the officer is accountable.
    assert school_item["raised_by_name"] == "赵校长" and school_item["raised_by_phone"] == "0971 1234 567"
    assert person_item["raised_by_name"] == "马奶奶" and person_item["raised_by_phone"] == "139 0971 0000"
    assert school_item["stage"] == person_item["stage"] == "assigned" and school_item["officer"] == officer_id

    page = await officer.get(f"/pairings/{school}")
    assert page.status_code == 200 and "西关小学" in page.text and "0971 1234 567" in page.text and school_item["number"] in page.text
    listing = await officer.get("/pairings")
    assert "马奶奶" in listing.text and "西关小学" in listing.text
    # Counts: the school 1 contact, 2 opinions, 1 solved; once its item closes, 2 solved.
    row = re.search(rf'href="/pairings/{school}">.*?</tr>', listing.text, re.S).group(0)
    assert re.findall(r"<td[^>]*>(\d+)</td>", row) == ["1", "2", "1"]
    await LedgerItem.update({LedgerItem.stage: "closed", LedgerItem.closed_at: dt.datetime.now(dt.timezone.utc)}).where(LedgerItem.id == school_item["id"]).run()
    row = re.search(rf'href="/pairings/{school}">.*?</tr>', (await officer.get("/pairings")).text, re.S).group(0)
    assert re.findall(r"<td[^>]*>(\d+)</td>", row) == ["1", "2", "2"]

    # The pairing ends; no contact after that.
    end = {"ended_on": TODAY.isoformat(), "end_note": "校长调走", "version": "1"}
    assert (await post_form(officer, f"/pairings/{grandmother}/end", end)).status_code == 303
    async with nothing_changes((Pairing, grandmother), also=(PairingContact,)):
        late = await post_form(officer, f"/pairings/{grandmother}/contacts", contact_form())
    assert late.status_code == 422 and "already ended" in field_error(late.text, "contacted_on")
    assert "马奶奶" not in (await officer.get("/pairings")).text and "马奶奶" in (await officer.get("/pairings?ended=1")).text

    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_type.like("pairing%")).order_by(AuditEntry.id).run()]
    assert actions == ["pairing.created", "pairing.created", "pairing.contact", "pairing.opinion", "pairing.opinion", "pairing.contact", "pairing.opinion", "pairing.ended"]
    audit = str(await AuditEntry.select(AuditEntry.after).where(AuditEntry.object_type.like("pairing%")).run())
    assert "马奶奶" not in audit and "139 0971" not in audit and "0971 1234" not in audit and "赵校长" not in audit


async def test_who_reads_and_who_keeps_a_pairing(area, client_for):
    officer, _ = await client_for("officer")
    school = await pair(officer, pairing_form(area.community_id))
    grandmother = await pair(officer, person_form(area.community_id))
    visit = await contact(officer, grandmother)

    # The station head reads all of the station's pairings with the personal data, keeps none of them.
    head, _ = await client_for("head")
    page = await head.get(f"/pairings/{grandmother}")
    assert page.status_code == 200 and "马奶奶" in page.text and "139 0971 0000" in page.text and "/contacts" not in page.text
    assert "马奶奶" in (await head.get("/pairings")).text
    # A colleague of the same community does not read another officer's pairings.
    colleague, _ = await client_for("officer")
    assert (await colleague.get(f"/pairings/{grandmother}")).status_code == 404
    assert "马奶奶" not in (await colleague.get("/pairings")).text and "西关小学" not in (await colleague.get("/pairings")).text
    # Heads above read without the person's name, the contact person and the phones.
    for role in ("district_head", "city_head"):
        reader, _ = await client_for(role)
        page = await reader.get(f"/pairings/{grandmother}")
        assert page.status_code == 200 and "马奶奶" not in page.text and "139 0971" not in page.text and "西关街 12 号" not in page.text
        listing = await reader.get("/pairings")
        assert "西关小学" in listing.text and "赵校长" not in listing.text and "马奶奶" not in listing.text
        unit = await reader.get(f"/pairings/{school}")
        assert "西关小学" in unit.text and "0971 1234 567" not in unit.text and "赵校长" not in unit.text
        assert (await reader.get("/pairings/new")).status_code == 403
    # Others: nothing to read; nobody but the officer writes.
    other_district, _ = await client_for("district_head", district_id=area.other_district_id)
    other_head, _ = await client_for("head", station_id=area.other_station_id)
    other_officer, _ = await client_for("officer", community_id=area.other_community_id)
    for stranger in (other_district, other_head, other_officer, colleague):
        assert (await stranger.get(f"/pairings/{grandmother}")).status_code == 404
        assert "西关小学" not in (await stranger.get("/pairings")).text
    refused = [(head, 403), (colleague, 404), (other_head, 404), (other_officer, 404), ((await client_for("district_head"))[0], 403)]
    for writer, status in refused:
        async with nothing_changes((Pairing, grandmother), also=(PairingContact, PairingOpinion, LedgerItem)):
            assert (await post_form(writer, f"/pairings/{grandmother}/contacts", contact_form())).status_code == status
            assert (await post_form(writer, f"/pairings/contacts/{visit}/opinions", opinion_form(visit))).status_code == status
            assert (await post_form(writer, f"/pairings/{grandmother}/end", {"ended_on": TODAY.isoformat(), "version": "1"})).status_code == status
    # An officer pairs only in their own communities.
    elsewhere = await post_form(officer, "/pairings/new", pairing_form(area.other_community_id))
    assert elsewhere.status_code == 422 and field_error(elsewhere.text, "community")
    volunteer, _ = await client_for("volunteer")
    assert (await volunteer.get("/pairings")).status_code == 403


async def test_bad_input_is_answered_next_to_the_field_and_kept(area, client_for):
    officer, _ = await client_for("officer")
    cases = {
        "name": pairing_form(area.community_id, name=""),
        "kind": pairing_form(area.community_id, kind="alien"),
        "unit_kind": pairing_form(area.community_id, unit_kind=""),
        "phone": pairing_form(area.community_id, phone="ring ring"),
        "started_on": pairing_form(area.community_id, started_on=(TODAY + dt.timedelta(days=2)).isoformat()),
        "community": {**pairing_form(area.community_id), "community": "abc"},
        "address": pairing_form(area.community_id, address="街" * 201),
    }
    for field_name, form in cases.items():
        response = await post_form(officer, "/pairings/new", form)
        assert response.status_code == 422, field_name
        assert field_error(response.text, field_name), field_name
        if field_name != "name":
            assert "西关小学" in response.text, field_name
    assert await Pairing.count().run() == 0

    school = await pair(officer, pairing_form(area.community_id, started_on=(TODAY - dt.timedelta(days=10)).isoformat()))
    for field_name, form in {
        "contacted_on": contact_form(TODAY - dt.timedelta(days=11)),
        "channel": contact_form(channel="telepathy"),
    }.items():
        response = await post_form(officer, f"/pairings/{school}/contacts", form)
        assert response.status_code == 422 and field_error(response.text, field_name), field_name
    assert await PairingContact.count().run() == 0
    visit = await contact(officer, school)
    for field_name, form in {
        "text": opinion_form(visit, text=""),
        "solution": opinion_form(visit, solution=""),
        "outcome": opinion_form(visit, outcome="maybe"),
        "ledger": opinion_form(visit, "filed"),
        "category": opinion_form(visit, "filed", ledger="claim", category="noise"),
    }.items():
        response = await post_form(officer, f"/pairings/contacts/{visit}/opinions", form)
        assert response.status_code == 422, field_name
        assert field_error(response.text, f"o{visit}-{field_name}"), field_name
        if field_name != "text":
            assert "放学时校门口车辆乱停" in response.text, field_name
    assert await PairingOpinion.count().run() == 0 and await LedgerItem.count().run() == 0
    bad_end = await post_form(officer, f"/pairings/{school}/end", {"ended_on": (TODAY - dt.timedelta(days=20)).isoformat(), "version": "1"})
    assert bad_end.status_code == 422 and field_error(bad_end.text, "ended_on")


async def test_double_submits_record_once(area, client_for):
    officer, _ = await client_for("officer")
    form = pairing_form(area.community_id)
    first, again = await pair(officer, form), await pair(officer, form)
    assert first == again and await Pairing.count().run() == 1
    once = contact_form()
    for _ in range(2):
        assert (await post_form(officer, f"/pairings/{first}/contacts", once)).status_code == 303
    assert await PairingContact.count().run() == 1
    visit = (await PairingContact.select(PairingContact.id).first().run())["id"]
    filed = opinion_form(visit, "filed", ledger="claim", category="help")
    for _ in range(2):
        assert (await post_form(officer, f"/pairings/contacts/{visit}/opinions", filed)).status_code == 303
    assert await PairingOpinion.count().run() == 1 and await LedgerItem.count().run() == 1
    end = {"ended_on": TODAY.isoformat(), "version": "1"}
    assert (await post_form(officer, f"/pairings/{first}/end", end)).status_code == 303
    async with nothing_changes((Pairing, first)):
        twice = await post_form(officer, f"/pairings/{first}/end", end)
    assert twice.status_code == 422 and field_error(twice.text, "end_note")


async def test_counts_per_officer_for_a_period(area, client_for):
    """Two officers of the first station and one of the other, counted by hand."""
    li, li_id = await client_for("officer", real_name="李警官")
    wang, _ = await client_for("officer", community_id=area.other_community_id, real_name="王警官")
    zhao, _ = await client_for("officer", community_id=area.other_station_community_id, real_name="赵警官")
    month = TODAY.replace(day=1)
    last_month = (month - dt.timedelta(days=1)).replace(day=1)
    # 李: two pairings (one since last month), 3 contacts this month and 1 last month, 3
    # opinions this month (1 solved on the spot, 2 filed of which one closed), 1 last month.
    old = await pair(li, pairing_form(area.community_id, started_on=last_month.isoformat()))
    new = await pair(li, person_form(area.community_id, started_on=month.isoformat()))
    before = await contact(li, old, day=last_month)
    await opinion(li, before)
    c1 = await contact(li, old, day=month)
    c2 = await contact(li, new, day=month)
    await contact(li, new, day=month)
    await opinion(li, c1)
    await opinion(li, c1, "filed", text="路灯", ledger="suggestion", category="public_security")
    await opinion(li, c2, "filed", text="杂物", ledger="complaint", category="public_order")
    closed = (await PairingOpinion.select(PairingOpinion.ledger_item).where(PairingOpinion.text == "路灯").first().run())["ledger_item"]
    await LedgerItem.update({LedgerItem.stage: "closed", LedgerItem.closed_at: dt.datetime.now(dt.timezone.utc)}).where(LedgerItem.id == closed).run()
    # 王: one pairing, one contact this month, no opinion. 赵 (other station): one pairing, one contact with one solved opinion.
    await contact(wang, await pair(wang, pairing_form(area.other_community_id, name="东门市场", unit_kind="market", started_on=month.isoformat())), day=month)
    z = await contact(zhao, await pair(zhao, pairing_form(area.other_station_community_id, name="城东诊所", unit_kind="clinic", started_on=month.isoformat())), day=month)
    await opinion(zhao, z)

    def table(html: str) -> dict:
        rows = re.findall(r'<th scope="row">(?:<a[^>]*>)?([^<]*)(?:</a>)?</th>(.*?)</tr>', html, re.S)
        return {name: [int(n) for n in re.findall(r"<td[^>]*>(\d+)</td>", cells)] for name, cells in rows}

    this_month = f"/pairings/officers?preset=month&at={month.isoformat()}"
    # Columns: pairings now, made in the period, contacts, opinions collected, solved.
    li_row, wang_row, zhao_row = [2, 1, 3, 3, 2], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]
    head, _ = await client_for("head")
    assert table((await head.get(this_month)).text) == {"李警官": li_row, "王警官": wang_row, "Total": [a + b for a, b in zip(li_row, wang_row)]}
    district, _ = await client_for("district_head")
    assert table((await district.get(this_month)).text) == {"李警官": li_row, "王警官": wang_row, "Total": [a + b for a, b in zip(li_row, wang_row)]}
    city, _ = await client_for("city_head")
    assert table((await city.get(this_month)).text) == {"李警官": li_row, "王警官": wang_row, "赵警官": zhao_row, "Total": [a + b + c for a, b, c in zip(li_row, wang_row, zhao_row)]}
    # An officer sees their own row only; last month: 李 paired once, one contact, one solved opinion.
    assert table((await li.get(this_month)).text) == {"李警官": li_row, "Total": li_row}
    previous = f"/pairings/officers?preset=month&at={last_month.isoformat()}"
    assert table((await li.get(previous)).text) == {"李警官": [2, 1, 1, 1, 1], "Total": [2, 1, 1, 1, 1]}
    bad = await head.get("/pairings/officers?from=2026-13-01&to=2026-01-01")
    assert bad.status_code == 422 and 'id="period-from-error"' in bad.text and 'value="2026-13-01"' in bad.text


async def test_the_homes_of_officers_and_heads_lead_to_the_pairings(area, client_for):
    for role in ("officer", "head", "district_head", "city_head"):
        client, _ = await client_for(role)
        home = (await client.get("/")).text
        assert 'href="/pairings"' in home and 'href="/pairings/officers"' in home, role
