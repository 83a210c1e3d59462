"""The overview's section for 进建商 and 联访解: its figures of the period split by the
units one level below (a station head's communities, a district head's stations, a city
head's districts), counted by hand in tests/test_overview.py's October (``outreach``)."""

from __future__ import annotations

import re

import pytest

from tests.test_overview import OCTOBER, OUTREACH, october  # noqa: F401 - the fixture

COLUMNS = ("Sessions with citizens held (进建商)", "Representatives who came", "Resolutions decided", "Resolutions done", "Pairings made (联访解)",
           "Contacts with paired units and people", "Opinions collected", "Opinions solved")


def outreach_table(page: str) -> dict[str, list[int]]:
    section = re.search(r'<section[^>]*aria-labelledby="section-outreach">.*?<table class="table figures compare">(.*?)</table>', page, re.S).group(1)
    headers = re.findall(r'<th scope="col">([^<]*)</th>', section)
    assert headers == ["Unit", *COLUMNS]
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', section, re.S)
    return {name: [int(v) for v in re.findall(r"<td[^>]*>(\d+)</td>", cells)] for name, cells in rows}


def counted(*communities: str) -> list[int]:
    return [sum(OUTREACH[c].get(column, 0) for c in communities) for column in COLUMNS]


@pytest.mark.parametrize("role, district, expected", [
    ("head", None, {"Community A": ("a",), "Community B": ("b",), "Total": ("a", "b")}),
    ("district_head", None, {"城中派出所 EN": ("a", "b"), "Total": ("a", "b")}),
    ("district_head", "other", {"城东派出所 EN": ("c",), "Total": ("c",)}),
    ("city_head", None, {"District 1": ("a", "b"), "District 2": ("c",), "Total": ("a", "b", "c")}),
])
async def test_the_units_below_are_counted_by_hand(area, october, client_for, role, district, expected):  # noqa: F811
    client, _ = await client_for(role, district_id=area.other_district_id if district else None)
    page = await client.get(f"/overview?{OCTOBER}")
    assert page.status_code == 200
    assert outreach_table(page.text) == {name: counted(*communities) for name, communities in expected.items()}
    assert 'href="/pairings/officers"' in page.text and 'href="/councils"' in page.text


async def test_an_officer_sees_their_community(area, october, client_for):  # noqa: F811
    client, _ = await client_for("officer")
    assert outreach_table((await client.get(f"/overview?{OCTOBER}")).text) == {"Community A": counted("a"), "Total": counted("a")}


async def test_the_demo_has_a_session_with_resolutions_and_pairings(app, database):
    """One 进建商 session of 城中派出所 with its register, attendance and resolutions (one
    done, one in the ledger, one open) and a few 联访解 pairings with contacts and opinions,
    written through the rules; their pages open for the officer and the head."""
    from portal.councils.tables import CouncilAttendance, CouncilRepresentative, CouncilResolution, CouncilSession
    from portal.demo import seed_demo
    from portal.ledger.tables import LedgerItem
    from portal.pairings.tables import Pairing, PairingContact, PairingOpinion
    from tests.conftest import http_client, log_in

    await seed_demo()
    assert await CouncilSession.count().run() == 1 and await CouncilRepresentative.count().run() == 5
    assert [r["attended"] for r in await CouncilAttendance.select(CouncilAttendance.attended).order_by(CouncilAttendance.representative).run()] == [True, True, True, False]
    resolutions = await CouncilResolution.select(CouncilResolution.status, CouncilResolution.ledger_item.source).order_by(CouncilResolution.seq).run()
    assert [(r["status"], r["ledger_item.source"]) for r in resolutions] == [("done", None), ("open", "council"), ("open", None), ("open", None)]
    assert await Pairing.count().run() == 5 and await PairingContact.count().run() == 7
    opinions = await PairingOpinion.select(PairingOpinion.outcome, PairingOpinion.ledger_item).run()
    assert len(opinions) == 6 and sum(o["outcome"] == "filed" for o in opinions) == 2 and all(o["ledger_item"] for o in opinions if o["outcome"] == "filed")
    assert await LedgerItem.count().where(LedgerItem.source == "officer_visit").run() >= 2
    session = (await CouncilSession.select(CouncilSession.id).first().run())["id"]
    pairing = (await Pairing.select(Pairing.id).where(Pairing.name == "马奶奶（独居老人）").first().run())["id"]
    for username in ("officer", "head", "district_head"):
        async with http_client(app) as client:
            await log_in(client, username, "shouwang-demo")
            for path in ("/councils", f"/councils/{session}", "/pairings", f"/pairings/{pairing}", "/pairings/officers", "/overview"):
                response = await client.get(path)
                assert response.status_code == 200, (username, path)
            # The fourth resolution is three days late: on the overdue list, counted on the home.
            overdue = await client.get("/councils/overdue")
            assert overdue.status_code == 200 and "逾期 3 天" in overdue.text and "冒充客服" in overdue.text
            assert "1 项议定事项逾期" in (await client.get("/")).text
            if username == "district_head":
                assert "139 0971 2233" not in (await client.get(f"/pairings/{pairing}")).text
