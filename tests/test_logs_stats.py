"""Statistics of the field logs against hand-made data: only accepted logs of the period
count (duplicates and logs under review do not; the latter are shown as waiting), days
are the community's, a station sums its communities, and mediation parties never show."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.logs import stats
from portal.logs.tables import MediationParty
from portal.web import i18n
from tests.test_logs_review import SECRET_NAME, SECRET_PHONE, insert_logs, log_row

def shown(page: str) -> dict[str, str]:
    """The figures of the whole choice (the first list on the page)."""
    total = page[page.index('id="stats-total"'):page.index('id="stats-kinds"')]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", total))


SHANGHAI = dt.timezone(dt.timedelta(hours=8))
IN_NOVEMBER = dt.datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english():
    token = i18n.activate("en")
    yield
    i18n.restore(token)


def accepted(community: int, kind: str, **values) -> object:
    values.setdefault("occurred_at", IN_NOVEMBER)
    values.setdefault("status", "accepted")
    if kind != "hazard":
        values.setdefault("severity", None)
        values.setdefault("hazard_stage", None)
    values.setdefault("category", "")
    return log_row(community, kind=kind, **values)


@pytest.fixture
async def figures_data(area):
    a, b, c = area.community_id, area.other_community_id, area.other_station_community_id
    rows = [
        accepted(a, "patrol", minutes=90),
        accepted(a, "patrol", minutes=30, nothing_to_report=True),
        accepted(a, "hazard", category="lighting", hazard_stage="reported"),
        accepted(a, "hazard", category="fire_exit", hazard_stage="fixed"),
        accepted(a, "hazard", category="fire_exit", hazard_stage="verified"),
        accepted(a, "hazard", category="gas", hazard_stage="reopened"),
        accepted(a, "help", category="lost_child", people_count=2),
        accepted(a, "help", category="directions", people_count=3),
        accepted(a, "mediation", category="neighbours", outcome="resolved", people_count=2),
        accepted(a, "mediation", category="family", outcome="referred_court", people_count=3),
        accepted(a, "publicity", category="anti_fraud", people_count=40),
        # Not counted: a duplicate, logs under review (shown as waiting), outside the period.
        accepted(a, "help", category="lost_child", people_count=5, status="duplicate"),
        accepted(a, "help", category="lost_child", people_count=7, status="submitted"),
        accepted(a, "hazard", category="gas", status="needs_info"),
        accepted(a, "help", category="drunk", people_count=11, occurred_at=dt.datetime(2026, 10, 31, 23, 59, tzinfo=SHANGHAI)),
        accepted(a, "help", category="drunk", people_count=13, occurred_at=dt.datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)),
        # The first minute of November in Shanghai is still October in UTC: it counts.
        accepted(a, "help", category="injury", people_count=1, occurred_at=dt.datetime(2026, 11, 1, 0, 1, tzinfo=SHANGHAI)),
        # The station's other community, and another station.
        accepted(b, "publicity", category="fire_safety", people_count=10),
        accepted(b, "patrol", minutes=60),
        accepted(c, "help", category="lost_elderly", people_count=100),
    ]
    ids = await insert_logs(rows)
    await MediationParty.insert(MediationParty(log=ids[8], name=SECRET_NAME, contact=SECRET_PHONE, ordinal=0)).run()
    return area


async def test_community_figures(figures_data):
    area = figures_data
    result = await stats.statistics([area.community_id], dt.date(2026, 11, 1), dt.date(2026, 11, 30), "Asia/Shanghai")
    f = result.total
    assert (f.patrols, f.patrol_minutes, f.patrol_hours) == (2, 120, 2.0)
    assert f.people_helped == 6
    assert (f.disputes, f.disputes_resolved, f.mediation_parties) == (2, 1, 5)
    assert dict(f.dispute_outcomes) == {"resolved": 1, "referred_court": 1}
    assert (f.hazards_open, f.hazards_fixed, f.hazards_verified) == (2, 1, 1)
    assert (f.publicity_sessions, f.publicity_audience) == (1, 40)
    assert dict(f.by_kind) == {"patrol": 2, "hazard": 4, "help": 3, "mediation": 2, "publicity": 1}
    assert f.by_category[("hazard", "fire_exit")] == 2 and f.by_category[("help", "injury")] == 1
    assert ("help", "drunk") not in f.by_category
    assert f.total == 12 and f.waiting == 2


async def test_station_figures_sum_its_communities(figures_data):
    area = figures_data
    result = await stats.statistics([area.community_id, area.other_community_id], dt.date(2026, 11, 1), dt.date(2026, 11, 30), "Asia/Shanghai")
    assert (result.total.patrols, result.total.patrol_hours) == (3, 3.0)
    assert (result.total.publicity_sessions, result.total.publicity_audience) == (2, 50)
    assert result.total.people_helped == 6  # the other station's 100 are not here
    assert result.per_community[area.other_community_id].total == 2
    assert result.per_community[area.community_id].total == 12


async def test_statistics_page_per_role(figures_data, client_for):
    area = figures_data
    head, _id = await client_for("head")
    page = (await head.get(f"/review/stats?place=s{area.station_id}&date_from=2026-11-01&date_to=2026-11-30")).text
    assert "(whole station)" in page and "Per community" in page
    figures = shown(page)
    assert figures["Publicity audience"] == "50" and figures["People helped"] == "6" and figures["Disputes resolved"] == "1"
    assert figures["Patrols"].startswith("3 ") and "3 hours" in figures["Patrols"]
    assert SECRET_NAME not in page and SECRET_PHONE not in page

    officer, _id = await client_for("officer")
    page = (await officer.get(f"/review/stats?place=c{area.community_id}&date_from=2026-11-01&date_to=2026-11-30")).text
    assert shown(page)["Publicity audience"] == "40"
    # Not the whole station (they do not reach all of it), nor another station's community.
    assert "(whole station)" not in page
    for place in (f"s{area.station_id}", f"c{area.other_station_community_id}"):
        refused = await officer.get(f"/review/stats?place={place}&date_from=2026-11-01&date_to=2026-11-30")
        assert refused.status_code == 200 and 'id="place-error"' in refused.text
        assert "100" not in shown(refused.text)["People helped"]
    bad = await officer.get("/review/stats?date_from=2026-11-30&date_to=2026-11-01")
    assert bad.status_code == 200 and "The end is before the start." in bad.text
    volunteer, _id = await client_for("volunteer")
    assert (await volunteer.get("/review/stats", follow_redirects=False)).status_code == 403
