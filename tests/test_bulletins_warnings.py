"""Bulletins that cannot mislead: a draft whose week still has logs waiting for review
says so on top (the count and a link to the queue narrowed to them), its generated
headline never calls the week quiet, and publishing it needs a confirmation; the count
at publication stays with the published bulletin."""

from __future__ import annotations

import html
import json

from portal.audit.tables import AuditEntry
from portal.bulletins import rules
from portal.bulletins.tables import Bulletin
from portal.logs.tables import FieldLog
from tests.bulletin_data import DUE, WEEK, age_communities, local, log
from tests.conftest import post_form
from tests.unchanged import nothing_changes

QUIET = "A quiet week: nothing was logged."


async def test_a_week_with_logs_waiting_warns_asks_to_confirm_and_never_says_quiet(client_for, area, client):
    a = area.community_id
    await age_communities(a, area.other_community_id, area.other_station_community_id)
    # Two logs of the week wait for review; one waits for its author's answer and one of
    # the week before waits too: neither of those is counted as waiting for this week.
    waiting = [await log(a, "help", local(17, 14), status="submitted", category="directions", people_count=1),
               await log(a, "patrol", local(21, 19), status="submitted", minutes=60)]
    await log(a, "help", local(18, 9), status="needs_info", category="directions", people_count=1)
    await log(a, "patrol", local(12, 19), status="submitted", minutes=60)  # week 46
    await rules.compile_week(WEEK, now=DUE)
    draft = (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.community_key(a)).first().run())["id"]
    assert await rules.waiting_review(await rules.get(draft)) == 2

    officer, _ = await client_for("officer")
    page = await officer.get(f"/bulletins/{draft}")
    text = html.unescape(page.text)
    assert page.status_code == 200
    assert "2 logs of this week still wait for review." in text
    assert QUIET not in text and "Nothing reviewed yet: 2 logs of this week still wait for review." in text
    # The warning comes before the bulletin itself, and links to the queue narrowed to them.
    assert text.index("still wait for review.") < text.index('id="bulletin-title"')
    link = f"/review/?status=submitted&community={a}&date_from=2026-11-16&order=oldest"
    assert f'href="{link}"' in text
    queue = await officer.get(link)
    assert queue.status_code == 200 and all(f'id="log-{n}"' in queue.text for n in waiting)
    assert 'name="confirm_waiting"' in text

    # Publishing without the confirmation is refused and changes nothing.
    async with nothing_changes((Bulletin, draft), also=(AuditEntry,)):
        refused = await post_form(officer, f"/bulletins/{draft}/publish")
        assert refused.status_code == 409
        assert "2 logs of this week still wait for review. Review them first, or confirm that you publish without them." in html.unescape(refused.text)
    # With it the bulletin is published, and it keeps the count: the public headline
    # says what is missing rather than calling the week quiet.
    assert (await post_form(officer, f"/bulletins/{draft}/publish", {"confirm_waiting": "yes"})).status_code == 303
    published = await rules.get(draft)
    assert published["status"] == "published" and published["figures"]["waiting_review"] == 2
    entry = await AuditEntry.select(AuditEntry.after).where((AuditEntry.action == "bulletin.published") & (AuditEntry.object_id == str(draft))).first().run()
    assert json.loads(entry["after"])["waiting_review"] == 2
    public = html.unescape((await client.get(f"/c/a/bulletins/{WEEK}")).text)
    assert "Nothing reviewed yet: 2 logs of this week still wait for review." in public and QUIET not in public
    assert "Nothing reviewed yet" in (await client.get(f"/c/a/bulletins/{WEEK}/text")).text

    # Once the logs are reviewed the correction has nothing waiting: no warning, no
    # confirmation, and its headline is the week's facts.
    await FieldLog.update({FieldLog.status: "accepted"}).where(FieldLog.id.is_in(waiting)).run()
    correction = int((await post_form(officer, f"/bulletins/{draft}/correct")).headers["location"].rsplit("/", 1)[1])
    page = html.unescape((await officer.get(f"/bulletins/{correction}")).text)
    assert "still wait" not in page and 'name="confirm_waiting"' not in page
    assert "This week: 1 patrol (1 hours); 1 person helped." in page
    assert (await post_form(officer, f"/bulletins/{correction}/publish")).status_code == 303
    assert "waiting_review" not in (await rules.get(correction))["figures"]


async def test_an_empty_week_with_nothing_waiting_is_quiet_and_publishes_at_once(client_for, area):
    await age_communities(area.community_id, area.other_community_id, area.other_station_community_id)
    await log(area.community_id, "patrol", local(12, 19), status="submitted", minutes=60)  # another week
    await rules.compile_week(WEEK, now=DUE)
    draft = (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.community_key(area.community_id)).first().run())["id"]
    officer, _ = await client_for("officer")
    page = html.unescape((await officer.get(f"/bulletins/{draft}")).text)
    assert QUIET in page and "still wait" not in page
    assert (await post_form(officer, f"/bulletins/{draft}/publish")).status_code == 303
    # The station's roll-up counts its communities' waiting logs.
    station = await rules.get((await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.station_key(area.station_id)).first().run())["id"])
    await log(area.other_community_id, "help", local(19, 10), status="submitted", category="directions", people_count=1)
    assert await rules.waiting_review(station) == 1
