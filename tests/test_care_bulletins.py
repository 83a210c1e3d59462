"""Home visits in the weekly bulletins: counts only (visits made in the week, people on the
register during it), a count under 3 hidden as the bulletins hide small counts; a station's
roll-up sums the full counts and hides again; the people are never read, so no name
reaches a bulletin."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.bulletins import render
from portal.bulletins import rules as bulletins
from portal.bulletins.tables import Bulletin
from portal.care.tables import CarePerson, CareVisit
from portal.web import i18n
from tests.bulletin_data import DUE, MONDAY, WEEK, age_communities, local

NAME = "Granny Bulletin"


async def person(community: int, created: dt.datetime, ended: dt.date | None = None) -> int:
    row = CarePerson(community=community, name=NAME, address="Block 1", needs="Lives alone", consent_on=created.date(), next_due_on=MONDAY,
                     next_due_at=created, ended_on=ended, created_at=created, updated_at=created)
    return (await CarePerson.insert(row).returning(CarePerson.id).run())[0]["id"]


async def visit(person_id: int, community: int, day: dt.date, outcome: str = "all_well") -> None:
    await CareVisit.insert(CareVisit(person=person_id, community=community, visited_on=day, outcome=outcome, note=NAME, idempotency_key=str(uuid.uuid4()), created_at=DUE)).run()


async def figures(key: str) -> dict:
    row = await Bulletin.select(Bulletin.figures).where((Bulletin.scope_key == key) & (Bulletin.week == WEEK)).first().run()
    return bulletins.figures_of(row)


async def test_bulletins_count_home_visits_and_hide_small_counts(area, client):
    """a: three people on the register during the week (one of them ended in it; one ended
    before it and one registered after it are not counted) and four visits (one on the next
    Monday is not counted); b: one person, two visits (both hidden); c: nothing."""
    a, b = area.community_id, area.other_community_id
    await age_communities(a, b, area.other_station_community_id)
    before = local(1, 10)
    people_a = [await person(a, before), await person(a, before), await person(a, before, ended=MONDAY + dt.timedelta(days=2))]
    await person(a, before, ended=MONDAY - dt.timedelta(days=1))  # ended before the week
    await person(a, local(23, 12))  # registered after it
    for n, day in enumerate((0, 1, 3, 6)):
        await visit(people_a[n % 3], a, MONDAY + dt.timedelta(days=day), "needs_help" if n == 1 else "all_well")
    await visit(people_a[0], a, MONDAY + dt.timedelta(days=7))  # the next week
    one_b = await person(b, before)
    await visit(one_b, b, MONDAY)
    await visit(one_b, b, MONDAY + dt.timedelta(days=4))
    await bulletins.compile_due(DUE, 1)

    assert (await figures(bulletins.community_key(a)))["care"] == {"visits": 4, "people": 3}
    assert (await figures(bulletins.community_key(b)))["care"] == {"visits": None, "people": None}  # 2 and 1: under 3
    assert (await figures(bulletins.community_key(area.other_station_community_id)))["care"] == {}
    station = await figures(bulletins.station_key(area.station_id))
    assert station["care"] == {"visits": 6, "people": 4}
    for key in (bulletins.unit_key("district", area.district_id), bulletins.unit_key("city", area.city_id)):
        assert (await figures(key))["care"]["visits"] == 6
    token = i18n.activate("en")
    try:
        view = render.sections({"id": 1, "version": 1, "figures": station})
    finally:
        i18n.restore(token)
    assert view["care"] == [{"label": "Home visits made", "this": "6"}, {"label": "People visited regularly", "this": "4"}]
    assert render.sections({"id": 1, "version": 1, "figures": {}})["care"] is None
    for key in (bulletins.station_key(area.station_id), bulletins.community_key(a)):
        found = (await Bulletin.select(Bulletin.id).where((Bulletin.scope_key == key) & (Bulletin.week == WEEK)).first().run())["id"]
        await bulletins.publish(None, found)
    for path in (f"/stations/{area.station_id}/bulletins/{WEEK}", f"/c/a/bulletins/{WEEK}", f"/c/a/bulletins/{WEEK}/text", "/c/a/bulletins.atom"):
        page = await client.get(path, headers={"Accept-Language": "en"})
        assert page.status_code == 200 and NAME not in page.text, path
    assert 'id="s-care"' in (await client.get(f"/c/a/bulletins/{WEEK}", headers={"Accept-Language": "en"})).text
    assert NAME not in str(await Bulletin.select(Bulletin.figures).run())
