"""The review queue as a workbench: a log is filed into a ledger from its queue row (htmx
and a plain form) and in bulk; once filed the row and the log's page show its ledger
item; a duplicate, a bad choice or a log out of reach is refused and changes nothing.
A duplicate is chosen from the likely candidates (same place, category, nearby days)."""

from __future__ import annotations

import datetime as dt
import re

from portal.audit.tables import AuditEntry
from portal.ledger.tables import LedgerItem, LedgerItemLog
from portal.logs import review
from portal.logs.tables import FieldLog
from tests.conftest import htmx_post, post_form
from tests.test_logs_review import make_log
from tests.unchanged import nothing_changes


async def item_of(log_id: int) -> dict | None:
    return await LedgerItemLog.select(LedgerItemLog.item.id, LedgerItemLog.item.number, LedgerItemLog.item.ledger, LedgerItemLog.item.category,
                                      LedgerItemLog.item.source).where(LedgerItemLog.field_log == log_id).first().run()


async def test_filing_logs_into_a_ledger_from_the_queue_row_and_in_bulk(area, client_for):
    officer, _id = await client_for("officer")
    one = await make_log(area.community_id, description="Lamp out at gate 2")
    two = await make_log(area.community_id, description="Broken railing")
    three = await make_log(area.community_id, description="Blocked fire exit")
    copy = await make_log(area.community_id, status="duplicate", duplicate_of=one)
    theirs = await make_log(area.other_community_id)
    version = lambda row: row["updated_at"].isoformat()  # noqa: E731
    rows = {r["id"]: r for r in await FieldLog.select(FieldLog.id, FieldLog.updated_at).run()}

    queue = (await officer.get("/review/")).text
    # Each row not yet filed has a "File" button; the list has one "File into" choice.
    assert f'formaction="/review/{one}/file"' in queue and f'formaction="/review/{copy}/file"' not in queue
    assert 'id="row-ledger"' in queue and 'value="complaint:noise"' in queue and 'value="claim:documents"' in queue

    # From the row, as htmx sends it: the row comes back with its ledger item.
    row = await htmx_post(officer, f"/review/{one}/file", {"version": version(rows[one]), "ledger": "complaint:public_order"}, target=f"log-{one}")
    item = await item_of(one)
    assert row.status_code == 200 and item["item.ledger"] == "complaint" and item["item.category"] == "public_order" and item["item.source"] == "field_log"
    assert f'href="/ledger/{item["item.id"]}"' in row.text and item["item.number"] in row.text and f"/review/{one}/file" not in row.text
    assert await AuditEntry.count().where((AuditEntry.action == "ledger.escalated_log") & (AuditEntry.object_id == str(item["item.id"]))).run() == 1
    # Filing it again keeps the one item.
    assert (await post_form(officer, f"/review/{one}/file", {"version": "", "ledger": "suggestion:other", "next": "/review/"})).status_code == 303
    assert await LedgerItemLog.count().where(LedgerItemLog.field_log == one).run() == 1

    # The log's page shows the item it went into instead of the form.
    page = (await officer.get(f"/logs/{one}")).text
    assert item["item.number"] in page and f'href="/ledger/{item["item.id"]}"' in page and f'action="/ledger/from-log/{one}"' not in page
    assert f'action="/ledger/from-log/{two}"' in (await officer.get(f"/logs/{two}")).text

    # Refused, nothing changed: an unknown ledger or category, a duplicate, another community's log.
    async with nothing_changes((FieldLog, two), (FieldLog, copy), also=(LedgerItem, LedgerItemLog, AuditEntry)):
        bad = await htmx_post(officer, f"/review/{two}/file", {"version": version(rows[two]), "ledger": "suggestion:noise"}, target=f"log-{two}")
        assert bad.status_code == 422 and "Choose the ledger and category to file into." in bad.text
        duplicate = await htmx_post(officer, f"/review/{copy}/file", {"version": version(rows[copy]), "ledger": "complaint:other"}, target=f"log-{copy}")
        assert duplicate.status_code == 422 and f"Log #{copy} is a duplicate: file the log it repeats." in duplicate.text
        assert (await post_form(officer, f"/review/{theirs}/file", {"ledger": "complaint:other"})).status_code == 404

    # In bulk: the ticked logs are filed, each on its own; the duplicate is refused with the reason.
    bulk = await post_form(officer, "/review/bulk", {"action": "file", "ledger": "suggestion:public_security", "next": "/review/",
                                                     "log": [f"{two}:{version(rows[two])}", f"{three}:{version(rows[three])}", f"{copy}:{version(rows[copy])}"]})
    assert bulk.status_code == 200 and "2 logs done." in bulk.text and f"Log #{copy} is a duplicate" in bulk.text
    for log_id in (two, three):
        filed = await item_of(log_id)
        assert filed["item.ledger"] == "suggestion" and filed["item.category"] == "public_security"
        assert f'href="/ledger/{filed["item.id"]}"' in bulk.text
    assert await item_of(copy) is None
    # Filing changes nothing of the review itself: the logs still wait for a decision.
    assert {r["status"] for r in await FieldLog.select(FieldLog.status).where(FieldLog.id.is_in([one, two, three])).run()} == {"submitted"}
    # A bulk filing without a valid choice is refused before anything is written.
    async with nothing_changes(also=(LedgerItem, LedgerItemLog)):
        refused = await post_form(officer, "/review/bulk", {"action": "file", "ledger": "nope", "next": "/review/", "log": [f"{copy}:{version(rows[copy])}"]})
        assert refused.status_code == 422 and "Choose the ledger and category to file into." in refused.text


async def test_duplicates_are_chosen_from_likely_candidates(area, client_for):
    """Same community, kind and category within 3 days, never a duplicate itself; the
    same place first, then the nearest in time; none: the number is asked for."""
    from portal.logs.tables import Landmark
    from tests.test_logs_review import NOW

    officer, _id = await client_for("officer")
    gate = (await Landmark.insert(Landmark(community=area.community_id, name_zh="东门", name_en="East gate", created_at=NOW)).returning(Landmark.id).run())[0]["id"]
    day = dt.timedelta(days=1)
    log_id = await make_log(area.community_id, landmark=gate, occurred_at=NOW, created_at=NOW)
    near_elsewhere = await make_log(area.community_id, occurred_at=NOW - dt.timedelta(hours=2), created_at=NOW)
    same_place = await make_log(area.community_id, landmark=gate, occurred_at=NOW - 2 * day, created_at=NOW, description="Gate lamp flickers")
    later_elsewhere = await make_log(area.community_id, occurred_at=NOW + day, created_at=NOW)
    too_old = await make_log(area.community_id, landmark=gate, occurred_at=NOW - 4 * day, created_at=NOW)
    other_category = await make_log(area.community_id, landmark=gate, category="stairwell", occurred_at=NOW, created_at=NOW)
    other_community = await make_log(area.other_community_id, occurred_at=NOW, created_at=NOW)
    already_duplicate = await make_log(area.community_id, landmark=gate, occurred_at=NOW, created_at=NOW, status="duplicate", duplicate_of=same_place)

    assert [c["id"] for c in await review.duplicate_candidates(log_id)] == [same_place, near_elsewhere, later_elsewhere]
    page = (await officer.get(f"/logs/{log_id}")).text
    offered = [int(n) for n in re.findall(r'<input type="radio" name="original" value="(\d+)"', page)]
    assert offered == [same_place, near_elsewhere, later_elsewhere]
    for excluded in (too_old, other_category, other_community, already_duplicate, log_id):
        assert excluded not in offered
    assert "Gate lamp flickers" in page and "same place" in page

    # Choosing one marks the log a duplicate of it (the decision's own rules unchanged).
    version = (await FieldLog.select(FieldLog.updated_at).where(FieldLog.id == log_id).first().run())["updated_at"].isoformat()
    answer = await htmx_post(officer, f"/review/{log_id}/duplicate", {"version": version, "original": str(same_place)}, target="review-actions")
    assert answer.status_code == 200
    assert (await FieldLog.select(FieldLog.status, FieldLog.duplicate_of).where(FieldLog.id == log_id).first().run()) == {"status": "duplicate", "duplicate_of": same_place}

    # A log with no likely duplicate asks for the number, and says why.
    lonely = await make_log(area.community_id, kind="help", category="lost_child", severity=None, hazard_stage=None, people_count=1)
    page = (await officer.get(f"/logs/{lonely}")).text
    assert 'type="radio" name="original"' not in page and 'name="original" inputmode="numeric"' in page
    assert "No log of the same kind and category within 3 days" in page
