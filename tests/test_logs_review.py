"""The officer's review of field logs: decisions (accept, ask, duplicate, comment) and their
audit rows and messages, stale decisions, bulk decisions, who may review what, keyset
pages over thousands of rows in both orders with filters, the CSV and XLSX exports, and
that mediation parties never show in the queue or its exports."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import random
import re
import uuid
from html.parser import HTMLParser

import pytest

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.logs import export, review
from portal.logs.labels import label
from portal.logs.tables import STATUSES, FieldLog, LogNote, MediationParty
from portal.notifications.tables import Notification
from portal.web import i18n
from tests.conftest import ensure_csrf, htmx_post, post_form
from tests.unchanged import nothing_changes, snapshot

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)
SECRET_NAME = "机密当事人王五"
SECRET_PHONE = "13912345678"


@pytest.fixture(autouse=True)
def english():
    """Messages of the rules are checked in English (they translate them)."""
    token = i18n.activate("en")
    yield
    i18n.restore(token)


def log_row(community_id: int, author: int | None = None, **values) -> FieldLog:
    moment = values.pop("created_at", NOW)
    defaults = dict(
        kind="hazard", category="lighting", severity="medium", hazard_stage="reported", status="submitted",
        occurred_at=values.pop("occurred_at", moment), created_at=moment, updated_at=moment, description="Lamp out at gate 2",
    )
    defaults.update(values)
    if defaults["kind"] != "hazard":
        defaults.setdefault("severity", None)
    return FieldLog(community=community_id, author=author, idempotency_key=str(uuid.uuid4()), **defaults)


async def insert_logs(rows: list[FieldLog]) -> list[int]:
    """Bulk insert in chunks (SQLite caps the parameters of one statement)."""
    ids: list[int] = []
    for start in range(0, len(rows), 200):
        inserted = await FieldLog.insert(*rows[start:start + 200]).returning(FieldLog.id).run()
        ids += [r["id"] for r in inserted]
    return ids


async def make_log(community_id: int, author: int | None = None, **values) -> int:
    return (await insert_logs([log_row(community_id, author, **values)]))[0]


async def mediation_with_parties(community_id: int, author: int | None) -> int:
    log_id = await make_log(
        community_id, author, kind="mediation", category="neighbours", severity=None, hazard_stage=None,
        people_count=2, outcome="resolved", description="Noise between flats 3 and 4", agreement="Quiet after 22:00",
    )
    await MediationParty.insert(
        MediationParty(log=log_id, name=SECRET_NAME, contact=SECRET_PHONE, ordinal=0),
        MediationParty(log=log_id, name="机密当事人赵六", contact="13800000000", ordinal=1),
    ).run()
    return log_id


async def status_of(log_id: int) -> dict:
    return await FieldLog.select(FieldLog.status, FieldLog.duplicate_of, FieldLog.reviewed_by, FieldLog.updated_at).where(FieldLog.id == log_id).first().run()


async def audit_actions(log_id: int) -> list[str]:
    rows = await AuditEntry.select(AuditEntry.action).where((AuditEntry.object_type == "field_log") & (AuditEntry.object_id == str(log_id))).order_by(AuditEntry.id).run()
    return [r["action"] for r in rows]


def version(row: dict) -> str:
    return review.version_of(row)


# --- decisions as rules ------------------------------------------------------------------


async def test_accept_sets_status_reviewer_and_writes_the_audit_row(area, make_user):
    officer = await load_actor(await make_user("officer"))
    author = await make_user("volunteer")
    log_id = await make_log(area.community_id, author)
    before = await status_of(log_id)
    await review.accept(officer, log_id, version(before), "Seen, thanks")
    after = await status_of(log_id)
    assert after["status"] == "accepted" and after["reviewed_by"] == officer.id and after["updated_at"] > before["updated_at"]
    assert await audit_actions(log_id) == ["log.accepted"]
    entry = await AuditEntry.select().where((AuditEntry.object_type == "field_log") & (AuditEntry.object_id == str(log_id))).first().run()
    assert json.loads(entry["before"]) == {"status": "submitted"} and json.loads(entry["after"])["status"] == "accepted" and entry["actor"] == officer.id
    notes = await LogNote.select(LogNote.kind, LogNote.text).where(LogNote.log == log_id).run()
    assert notes == [{"kind": "decision", "text": "Seen, thanks"}]


async def test_asking_for_information_notes_the_question_and_tells_the_author(area, make_user):
    officer = await load_actor(await make_user("officer"))
    author = await make_user("volunteer")
    log_id = await make_log(area.community_id, author)
    await review.ask_for_information(officer, log_id, version(await status_of(log_id)), "Which gate exactly?")
    assert (await status_of(log_id))["status"] == "needs_info"
    assert await LogNote.select(LogNote.kind, LogNote.text).where(LogNote.log == log_id).run() == [{"kind": "question", "text": "Which gate exactly?"}]
    message = await Notification.select(Notification.subject, Notification.body, Notification.link).where(Notification.user == author).first().run()
    assert f"#{log_id}" in message["subject"] and "Which gate exactly?" in message["body"] and message["link"] == f"/logs/{log_id}"
    assert await audit_actions(log_id) == ["log.question"]
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        with pytest.raises(review.ReviewError):
            await review.ask_for_information(officer, log_id, None, "   ")


async def test_duplicate_needs_the_same_community_not_itself_and_no_chain(area, make_user):
    officer = await load_actor(await make_user("officer"))
    head = await load_actor(await make_user("head"))
    original = await make_log(area.community_id)
    copy = await make_log(area.community_id)
    third = await make_log(area.community_id)
    elsewhere = await make_log(area.other_community_id)

    async with nothing_changes((FieldLog, copy), (FieldLog, elsewhere), also=(LogNote,)):
        with pytest.raises(review.ReviewError, match="itself"):
            await review.mark_duplicate(officer, copy, None, copy)
        with pytest.raises(review.ReviewError, match="same community"):
            await review.mark_duplicate(head, copy, None, elsewhere)
        with pytest.raises(review.ReviewError, match="same community"):
            await review.mark_duplicate(officer, copy, None, 999999)

    await review.mark_duplicate(officer, copy, None, original, "Same lamp")
    assert await status_of(copy) == {**await status_of(copy), "status": "duplicate", "duplicate_of": original}
    # No chains: a duplicate cannot be the original of another, nor can an original become a duplicate.
    async with nothing_changes((FieldLog, FieldLog.id.is_in([original, copy, third])), also=(LogNote,)):
        with pytest.raises(review.ReviewError, match="itself a duplicate"):
            await review.mark_duplicate(officer, third, None, copy)
        with pytest.raises(review.ReviewError, match="stays the original"):
            await review.mark_duplicate(officer, original, None, third)
    assert await audit_actions(copy) == ["log.duplicate"]
    assert (await status_of(third))["status"] == "submitted" and (await status_of(original))["status"] == "submitted"


# Which review statuses each decision may start from and where it leads, written out
# here rather than read from review.ALLOWED_FROM (the table under test): an accepted log
# may still be questioned or found a duplicate but not accepted again; a duplicate is final.
DECISIONS_FROM = {
    "accept": {"submitted", "needs_info"},
    "ask": {"submitted", "needs_info", "accepted"},
    "duplicate": {"submitted", "needs_info", "accepted"},
}
LEADS_TO = {"accept": "accepted", "ask": "needs_info", "duplicate": "duplicate"}


async def test_every_decision_from_every_status_follows_the_table(area, make_user):
    assert set(STATUSES) == {"submitted", "needs_info", "accepted", "duplicate"}
    assert {decision: set(starts) for decision, starts in review.ALLOWED_FROM.items()} == DECISIONS_FROM
    officer = await load_actor(await make_user("officer"))
    author = await make_user("volunteer")
    original = await make_log(area.community_id, author)
    for status in STATUSES:
        for decision, starts in DECISIONS_FROM.items():
            log_id = await make_log(area.community_id, author, status=status, duplicate_of=original if status == "duplicate" else None)
            seen = version(await status_of(log_id))
            if status in starts:
                await review.decide(officer, decision, log_id, seen, "Why?", original)
                assert (await status_of(log_id))["status"] == LEADS_TO[decision], (status, decision)
                continue
            async with nothing_changes((FieldLog, log_id), (FieldLog, original), also=(LogNote,)):
                with pytest.raises(review.ReviewError, match="is already"):
                    await review.decide(officer, decision, log_id, seen, "Why?", original)


async def test_a_decision_on_a_changed_log_is_refused_as_stale(area, make_user):
    first = await load_actor(await make_user("officer"))
    second = await load_actor(await make_user("officer"))
    log_id = await make_log(area.community_id, await make_user("volunteer"))
    seen = version(await status_of(log_id))
    await review.ask_for_information(first, log_id, seen, "Photo please")
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        with pytest.raises(review.ReviewError, match="changed since you opened it"):
            await review.accept(second, log_id, seen)
        with pytest.raises(review.ReviewError, match="changed since you opened it"):
            await review.accept(second, log_id, "not a version")
    assert (await status_of(log_id))["status"] == "needs_info"
    assert await audit_actions(log_id) == ["log.question"]


async def test_a_comment_keeps_the_state_so_pending_decisions_stay_valid(area, make_user):
    officer = await load_actor(await make_user("officer"))
    author = await make_user("volunteer")
    log_id = await make_log(area.community_id, author)
    seen = version(await status_of(log_id))
    await review.comment(officer, log_id, "Good catch")
    assert version(await status_of(log_id)) == seen
    await review.accept(officer, log_id, seen)
    assert await audit_actions(log_id) == ["log.comment", "log.accepted"]
    assert await Notification.count().where(Notification.user == author).run() == 1


async def test_concurrent_decisions_on_one_log_take_effect_once(area, make_user, engine_name):
    import asyncio

    officers = [await load_actor(await make_user("officer")) for _ in range(4)]
    log_id = await make_log(area.community_id, await make_user("volunteer"))
    seen = version(await status_of(log_id))

    async def attempt(officer):
        try:
            await review.accept(officer, log_id, seen)
            return True
        except review.ReviewError:
            return False

    results = await asyncio.gather(*(attempt(o) for o in officers))
    assert results.count(True) == 1
    assert await audit_actions(log_id) == ["log.accepted"]


# --- HTTP: actions, htmx, bulk ---------------------------------------------------------


class Controls(HTMLParser):
    """A page's forms with the hidden fields a browser submits with them (a field belongs
    to the form around it or the one its ``form`` attribute names), and its buttons."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: dict[str, list[tuple[str, str]]] = {}
        self.buttons: list[dict] = []
        self._open: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._open = a.get("id") or f"form-{len(self.forms)}"
            self.forms[self._open] = []
        elif tag == "input" and a.get("type") == "hidden" and (a.get("form") or self._open):
            self.forms.setdefault(a.get("form") or self._open, []).append((a["name"], a.get("value", "")))
        elif tag == "button":
            self.buttons.append({**a, "in_form": self._open})

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None

    def accept_button(self, log_id: int) -> dict:
        return next(b for b in self.buttons if b.get("formaction") == f"/review/{log_id}/accept")

    def submission(self, button: dict) -> dict[str, str]:
        """What a browser posts when ``button`` is pressed: its form's fields and its value."""
        return {**dict(self.forms[button.get("form") or button["in_form"]]), button["name"]: button["value"]}


async def test_accept_from_the_list_without_javascript(area, client_for):
    """A row's Accept button submits the list's one decision form (CSRF, ``next``) with
    the row's version as its value: a plain browser post accepts the log and goes back to
    the queue as it was filtered. The rows carry no forms of their own."""
    client, _officer = await client_for("officer")
    ids = [await make_log(area.community_id, created_at=NOW + dt.timedelta(minutes=i)) for i in range(3)]
    page = (await client.get("/review/?kind=hazard")).text
    controls = Controls(page)
    button = controls.accept_button(ids[1])
    assert button["form"] == "review-decide" and button["in_form"] is None and button["hx-post"] == f"/review/{ids[1]}/accept"
    assert button["value"] == version(await status_of(ids[1]))
    data = controls.submission(button)
    assert data["next"] == "/review/?kind=hazard" and data["_csrf_token"]
    # One form carries the CSRF token for every row (beside the bulk bar's, the logout's
    # and the language switch's), however many rows there are; the other forms are the
    # filters and the phone's Sort by (GET).
    assert page.count('name="_csrf_token"') == 4 and page.count("<form") == 6
    response = await client.post(button["formaction"], data=data, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/review/?kind=hazard"
    assert [(await status_of(i))["status"] for i in ids] == ["submitted", "accepted", "submitted"]
    assert await audit_actions(ids[1]) == ["log.accepted"]
    # The same button again (the page was not reloaded): refused as stale, the queue shown
    # as it was filtered with the reason on top.
    async with nothing_changes((FieldLog, FieldLog.id.is_in(ids)), also=(LogNote,)):
        again = await client.post(button["formaction"], data=data, follow_redirects=False)
        assert again.status_code == 422 and "changed since you opened it" in again.text and "<h1>Review queue</h1>" in again.text
    assert f'id="log-{ids[0]}"' in again.text
    assert await audit_actions(ids[1]) == ["log.accepted"]


async def test_accept_from_the_list_with_htmx_swaps_the_row(area, client_for):
    """htmx posts what the browser would (the related form's fields and the button's
    value) with the CSRF header, targeting the row (``hx-target="closest tr"`` on the
    table's body); the answer is the row in its new state, without Accept."""
    client, _officer = await client_for("officer")
    log_id = await make_log(area.community_id)
    page = (await client.get("/review/")).text
    assert '<tbody class="review-rows" hx-target="closest tr" hx-swap="outerHTML">' in page
    controls = Controls(page)
    button = controls.accept_button(log_id)
    data = {k: v for k, v in controls.submission(button).items() if k != "_csrf_token"}
    response = await htmx_post(client, button["hx-post"], data, target=f"log-{log_id}")
    assert response.status_code == 200
    row = response.text.strip()
    assert row.startswith(f'<tr id="log-{log_id}"') and row.endswith("</tr>") and row.count("<tr") == 1
    assert '<span class="tag status">Accepted</span>' in row and "/accept" not in row
    assert f'href="/logs/{log_id}#review-actions"' in row
    # The same button again: stale, said in the row (422 is swapped by the htmx config).
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        again = await htmx_post(client, button["hx-post"], data, target=f"log-{log_id}")
        assert again.status_code == 422 and "changed since you opened it" in again.text and again.text.lstrip().startswith(f'<tr id="log-{log_id}"')
    assert await audit_actions(log_id) == ["log.accepted"]


async def test_a_row_shows_the_log_and_leads_to_the_other_decisions(area, client_for, make_user):
    client, _officer = await client_for("officer")
    author = await make_user("volunteer", real_name="巡逻员乙")
    original = await make_log(area.community_id, author, created_at=NOW - dt.timedelta(hours=1))
    copy = await make_log(area.community_id, author, status="duplicate", duplicate_of=original, photo_count=2, minutes=25)
    mediation = await make_log(area.community_id, None, kind="mediation", category="neighbours", severity=None, hazard_stage=None, people_count=3, outcome="resolved")
    page = (await client.get("/review/")).text
    row = page[page.index(f'<tr id="log-{copy}"'):]
    row = row[: row.index("</tr>")]
    for text in (f"#{copy} Hazard", "Broken lighting", "Medium", "Duplicate", "Community A", "巡逻员乙", "25 min", "2 photos", f"duplicate of #{original}", "Lamp out at gate 2", "Reported"):
        assert text in row, text
    assert 'datetime="2026-11-20T02:00:00+00:00"' in row and "/accept" not in row  # a duplicate is not accepted from here
    assert f'href="/logs/{copy}#review-actions"' in row and f'aria-labelledby="select-log log-{copy}-name"' in row
    assert '<span id="select-log" hidden>Select log</span>' in page
    other = page[page.index(f'<tr id="log-{mediation}"'):]
    other = other[: other.index("</tr>")]
    for text in ("Mediation", "people: 3", "Resolved", "unknown author"):
        assert text in other, text
    # The other decisions are on the log's page.
    assert 'id="review-actions"' in (await client.get(f"/logs/{copy}")).text


async def test_a_page_of_fifty_rows_stays_small(area, client_for, make_user):
    """Every page under 30 KB gzipped: 50 rows with long descriptions and every detail."""
    client, _officer = await client_for("officer")
    author = await make_user("volunteer", real_name="巡逻员丙")
    rng = random.Random(3)
    words = "路灯 楼道 纸箱 消防通道 井盖 噪音 纠纷 护送 宣传 迷路 松动 漏水".split()
    await insert_logs([
        log_row(area.community_id, author, created_at=NOW + dt.timedelta(minutes=i), photo_count=i % 3, minutes=30, people_count=i,
                description="".join(rng.choice(words) for _ in range(120)))
        for i in range(60)
    ])
    page = (await client.get("/review/")).content
    assert page.count(b'<tr id="log-') == 50
    # (Raw 90 KB → 95 KB for the rows' "File into the ledger" buttons: 4.5 KB raw, 0.2 KB gzipped;
    # → 105 KB for the table's cells with their phone labels and the received time: 90.3 → 103.4 KB raw, 10.8 → 11.5 KB gzipped.)
    assert len(gzip.compress(page)) < 30_000 and len(page) < 105_000, (len(page), len(gzip.compress(page)))


async def test_plain_post_goes_back_to_the_filtered_queue(area, client_for, make_user):
    client, _officer = await client_for("officer")
    log_id = await make_log(area.community_id, await make_user("volunteer"))
    response = await post_form(client, f"/review/{log_id}/ask", {"version": version(await status_of(log_id)), "note": "When?", "next": "/review/?kind=hazard"})
    assert response.status_code == 303 and response.headers["location"] == "/review/?kind=hazard"
    assert (await status_of(log_id))["status"] == "needs_info"
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        missing = await post_form(client, f"/review/{log_id}/comment", {"version": "", "note": ""})
        assert missing.status_code == 422 and "Write a note." in missing.text


async def test_bulk_accept_reports_the_stale_ones_and_does_the_rest(area, client_for, make_user):
    client, officer_id = await client_for("officer")
    other = await load_actor(await make_user("officer"))
    author = await make_user("volunteer")
    ids = [await make_log(area.community_id, author, created_at=NOW + dt.timedelta(minutes=i)) for i in range(4)]
    versions = {i: version(await status_of(i)) for i in ids}
    await review.ask_for_information(other, ids[1], None, "Meanwhile")  # ids[1] changes under the officer
    elsewhere = await make_log(area.other_station_community_id)
    refused = await snapshot((FieldLog, FieldLog.id.is_in([ids[1], elsewhere])))
    data = {"action": "accept", "log": [f"{i}:{versions[i]}" for i in ids] + [f"{elsewhere}:x"], "next": "/review/?status=submitted"}
    response = await htmx_post(client, "/review/bulk", data, target="review-list")
    assert response.status_code == 200 and response.text.lstrip().startswith('<div id="review-list">')
    assert "3 logs done." in response.text
    assert f"Log #{ids[1]} changed since you opened it" in response.text and f"Log #{elsewhere} is not in your communities." in response.text
    assert [(await status_of(i))["status"] for i in ids] == ["accepted", "needs_info", "accepted", "accepted"]
    assert (await status_of(elsewhere))["status"] == "submitted"
    # The two refused rows are as they were (the bulk's other rows were written).
    assert (await snapshot((FieldLog, FieldLog.id.is_in([ids[1], elsewhere]))))["rows"] == refused["rows"]
    # Plain POST without JavaScript: the queue page with the outcome; a question needs a note.
    async with nothing_changes((FieldLog, ids[0]), also=(LogNote,)):
        plain = await post_form(client, "/review/bulk", {"action": "ask", "log": [f"{ids[0]}:{versions[ids[0]]}"], "note": ""})
        assert plain.status_code == 422 and "Write a note." in plain.text and "<h1>Review queue</h1>" in plain.text


async def test_bulk_duplicate_and_comment(area, client_for):
    client, _officer = await client_for("officer")
    original = await make_log(area.community_id)
    copies = [await make_log(area.community_id) for _ in range(2)]
    data = {"action": "duplicate", "original": str(original), "log": [f"{i}:{version(await status_of(i))}" for i in copies]}
    response = await post_form(client, "/review/bulk", data)
    assert response.status_code == 200 and "2 logs done." in response.text
    assert [(await status_of(i))["duplicate_of"] for i in copies] == [original, original]
    response = await post_form(client, "/review/bulk", {"action": "comment", "note": "Thanks all", "log": [f"{original}:{version(await status_of(original))}"]})
    assert "1 log done." in response.text
    assert await audit_actions(original) == ["log.comment"]


# --- scope ---------------------------------------------------------------------------------


async def test_who_may_review(area, client_for, client, make_user):
    log_id = await make_log(area.community_id)
    data = {"version": version(await status_of(log_id))}
    for role in ("volunteer", "host"):
        outsider, _id = await client_for(role)
        assert (await outsider.get("/review/", follow_redirects=False)).status_code == 403
        async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
            assert (await post_form(outsider, f"/review/{log_id}/accept", data)).status_code == 403
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        anonymous = await post_form(client, f"/review/{log_id}/accept", data)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert (await client.get("/review/export.csv", follow_redirects=False)).status_code == 303
    other_officer, _id = await client_for("officer", community_id=area.other_community_id)
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        assert (await post_form(other_officer, f"/review/{log_id}/accept", data)).status_code == 404
        assert (await post_form(other_officer, f"/review/{log_id}/ask", {**data, "note": "Mine?"})).status_code == 404
        assert (await post_form(other_officer, f"/review/{log_id}/comment", {"note": "Mine?"})).status_code == 404
    assert f'id="log-{log_id}"' not in (await other_officer.get("/review/")).text
    assert (await status_of(log_id))["status"] == "submitted"


async def test_the_queue_shows_the_officers_communities_and_the_heads_station(area, client_for, make_user):
    mine = await make_log(area.community_id)
    sibling = await make_log(area.other_community_id)
    other_station = await make_log(area.other_station_community_id)
    officer, _id = await client_for("officer")
    page = (await officer.get("/review/")).text
    assert f'id="log-{mine}"' in page and f'id="log-{sibling}"' not in page and f'id="log-{other_station}"' not in page
    head, _id = await client_for("head")
    page = (await head.get("/review/")).text
    assert f'id="log-{mine}"' in page and f'id="log-{sibling}"' in page and f'id="log-{other_station}"' not in page
    # Filtering on a community out of reach shows nothing of it.
    page = (await head.get(f"/review/?community={area.other_station_community_id}")).text
    assert f'id="log-{other_station}"' not in page
    admin, _id = await client_for("admin")
    assert f'id="log-{other_station}"' in (await admin.get("/review/")).text


async def test_filters_counts_and_the_htmx_swap(area, client_for, make_user):
    author = await make_user("volunteer", real_name="巡逻员甲")
    officer, _id = await client_for("officer")
    high = await make_log(area.community_id, author, severity="high", created_at=NOW - dt.timedelta(days=3))
    low = await make_log(area.community_id, severity="low", status="accepted")
    help_log = await make_log(area.community_id, kind="help", category="lost_child", severity=None, hazard_stage=None, people_count=1)
    page = (await officer.get("/review/?kind=hazard&severity=high")).text
    assert f'id="log-{high}"' in page and f'id="log-{low}"' not in page and f'id="log-{help_log}"' not in page
    page = (await officer.get(f"/review/?volunteer={author}")).text
    assert f'id="log-{high}"' in page and f'id="log-{low}"' not in page
    day = (NOW - dt.timedelta(days=3)).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    page = (await officer.get(f"/review/?date_from={day}&date_to={day}")).text
    assert f'id="log-{high}"' in page and f'id="log-{low}"' not in page
    # Counts per status follow the other active filters (not the status itself).
    actor = await load_actor(_id)
    assert await review.status_counts(actor, review.QueueFilters()) == {"submitted": 2, "needs_info": 0, "accepted": 1, "duplicate": 0}
    assert await review.status_counts(actor, review.QueueFilters(kind="help", status="accepted")) == {"submitted": 1, "needs_info": 0, "accepted": 0, "duplicate": 0}
    assert await review.status_counts(actor, review.QueueFilters(severity="low")) == {"submitted": 0, "needs_info": 0, "accepted": 1, "duplicate": 0}
    tabs = (await officer.get("/review/?kind=hazard&severity=high")).text
    assert re.search(r'status=submitted">[^<]*<strong>1</strong>', tabs) and re.search(r'status=accepted">[^<]*<strong>0</strong>', tabs)
    # A bad value is said next to its field and filters nothing; never a 500.
    bad = await officer.get("/review/?date_from=yesterday&community=abc&kind=nope")
    assert bad.status_code == 200 and f'id="log-{low}"' in bad.text and 'id="date_from-error"' in bad.text
    backwards = await officer.get(f"/review/?date_from={day}&date_to={day - dt.timedelta(days=1)}")
    assert "The end is before the start." in backwards.text
    fragment = await officer.get("/review/?status=accepted", headers={"HX-Request": "true", "HX-Target": "review-list"})
    assert fragment.text.lstrip().startswith('<div id="review-list">') and "<html" not in fragment.text
    assert f'id="log-{low}"' in fragment.text and f'id="log-{high}"' not in fragment.text


async def test_the_people_filter_lists_one_community_at_a_time(area, client_for, make_user):
    """"Logged by" offers the people of one community (the one chosen, or an officer's
    only one), never every volunteer the reviewer reaches; a person already filtered on
    stays offered, a person out of reach is refused next to the field."""
    await make_user("volunteer", real_name="本社区志愿者")
    sibling = await make_user("volunteer", real_name="邻社区志愿者", community_id=area.other_community_id)
    far = await make_user("volunteer", real_name="外站志愿者", community_id=area.other_station_community_id)
    theirs = await make_log(area.other_community_id, sibling)
    officer, _id = await client_for("officer")
    def offered(page: str) -> list[str]:
        select = page[re.search(r'<select[^>]* id="volunteer"', page).start():]
        return re.findall(r">([^<]+)</option>", select[: select.index("</select>")])

    assert offered((await officer.get("/review/")).text) == ["Anyone", "本社区志愿者"]
    head, head_id = await client_for("head")
    page = (await head.get("/review/")).text
    assert offered(page) == ["Anyone"] and "Choose a community to list its people." in page
    assert (await review.filter_choices(await load_actor(head_id)))["people"] == []
    page = (await head.get(f"/review/?community={area.other_community_id}")).text
    assert offered(page) == ["Anyone", "邻社区志愿者"] and f'id="log-{theirs}"' in page
    page = (await head.get(f"/review/?volunteer={sibling}")).text
    assert offered(page) == ["Anyone", "邻社区志愿者"] and f'id="log-{theirs}"' in page and 'id="volunteer-error"' not in page
    refused = await head.get(f"/review/?volunteer={far}")
    assert refused.status_code == 200 and 'id="volunteer-error"' in refused.text and offered(refused.text) == ["Anyone"]
    assert f'id="log-{theirs}"' in refused.text  # the refused filter filters nothing


async def test_mediation_parties_never_show_in_the_queue(area, client_for, make_user):
    log_id = await mediation_with_parties(area.community_id, await make_user("volunteer"))
    for role in ("officer", "head", "admin"):
        reviewer, _id = await client_for(role)
        page = (await reviewer.get("/review/")).text
        assert f'id="log-{log_id}"' in page
        assert SECRET_NAME not in page and SECRET_PHONE not in page


# --- pagination ---------------------------------------------------------------------------


async def test_keyset_pages_walk_thousands_of_rows_without_gaps_or_repeats(area, make_user):
    """3,000 logs over three communities, many sharing a created_at (ties broken by id)."""
    officer = await load_actor(await make_user("head"))
    rng = random.Random(7)
    kinds = ("patrol", "hazard", "help")
    rows = []
    for n in range(3000):
        community = (area.community_id, area.other_community_id, area.other_station_community_id)[n % 3]
        kind = kinds[rng.randrange(3)]
        rows.append(log_row(
            community, kind=kind, category="" if kind == "patrol" else ("lighting" if kind == "hazard" else "directions"),
            severity=rng.choice(("low", "high")) if kind == "hazard" else None, hazard_stage="reported" if kind == "hazard" else None,
            status=rng.choice(("submitted", "accepted")), created_at=NOW - dt.timedelta(minutes=rng.randrange(600)),
        ))
    await insert_logs(rows)
    everything = await FieldLog.select(FieldLog.id, FieldLog.created_at, FieldLog.community, FieldLog.kind, FieldLog.status, FieldLog.severity).run()

    async def walk(filters: review.QueueFilters, size: int) -> list[int]:
        seen, after, pages = [], None, 0
        while True:
            page = await review.queue_page(officer, filters, after, size=size)
            seen += [r["id"] for r in page.rows]
            pages += 1
            assert pages < 1000
            if not page.next_after:
                return seen
            after = page.next_after

    station = {area.community_id, area.other_community_id}
    cases = [
        (review.QueueFilters(), lambda r: r["community"] in station),
        (review.QueueFilters(kind="hazard", status="submitted"), lambda r: r["community"] in station and r["kind"] == "hazard" and r["status"] == "submitted"),
        (review.QueueFilters(community=area.other_community_id, severity="high"), lambda r: r["community"] == area.other_community_id and r["severity"] == "high"),
    ]
    for filters, wanted in cases:
        for oldest_first in (False, True):
            expected = sorted((r for r in everything if wanted(r)), key=lambda r: (r["created_at"], r["id"]), reverse=not oldest_first)
            got = await walk(review.QueueFilters(**{**filters.__dict__, "oldest_first": oldest_first}), size=97)
            assert len(got) == len(set(got))
            assert got == [r["id"] for r in expected]
    assert len(await walk(review.QueueFilters(), size=50)) == 2000


async def test_the_rows_read_by_id_are_the_queue_columns(area, make_user):
    """The page's rows are read by id in plain SQL: the same keys, values and types as
    Piccolo's select of QUEUE_COLUMNS, in the order asked."""
    author = await make_user("volunteer", real_name="巡逻员丁")
    ids = [
        await make_log(area.community_id, author, photo_count=2, minutes=5, duplicate_of=None),
        await make_log(area.other_community_id, None, kind="patrol", category="", severity=None, hazard_stage=None, nothing_to_report=True, description=""),
        await make_log(area.community_id, author, kind="mediation", category="neighbours", severity=None, hazard_stage=None, people_count=2, outcome="resolved"),
    ]
    wanted = [ids[2], ids[0], 999999, ids[1]]
    plain = await review.rows_by_id(wanted)
    through_piccolo = await review.rows_by_id(wanted, columns=tuple(list(review.QUEUE_COLUMNS)))
    assert [r["id"] for r in plain] == [ids[2], ids[0], ids[1]]
    assert plain == through_piccolo
    for a, b in zip(plain, through_piccolo):
        assert list(a) == list(b) and {k: type(v) for k, v in a.items()} == {k: type(v) for k, v in b.items()}
    assert plain[2]["nothing_to_report"] is True and plain[1]["author_name"] == "巡逻员丁" and plain[0]["community_name_en"] == "Community A"


async def test_pages_follow_over_http_with_the_filters_kept(area, client_for):
    officer, _id = await client_for("officer")
    ids = await insert_logs([log_row(area.community_id, created_at=NOW + dt.timedelta(seconds=i // 2)) for i in range(120)])
    seen: list[int] = []
    url = "/review/?kind=hazard&order=oldest"
    import re

    while url:
        page = (await officer.get(url)).text
        seen += [int(i) for i in re.findall(r'<tr id="log-(\d+)"', page)]
        found = re.search(r'<a class="button" href="(/review/\?[^"]*after=[^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
        if url:
            assert "kind=hazard" in url and "sort=received" in url  # order=oldest: a link made before the sortable columns
    assert seen == ids
    assert "First page" in (await officer.get(f"/review/?after={review.encode_cursor({'id': ids[10], 'created_at': NOW})}")).text
    assert (await officer.get("/review/?after=garbage")).status_code == 200


# --- exports -------------------------------------------------------------------------------


async def test_csv_export_follows_the_filters_and_leaves_out_the_parties(area, client_for, make_user):
    officer, _id = await client_for("officer")
    author = await make_user("volunteer", real_name="=cmd|' /C calc'!A0")
    mediation = await mediation_with_parties(area.community_id, author)
    hazard = await make_log(area.community_id, author)
    await make_log(area.other_community_id)
    response = await officer.get("/review/export.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    assert SECRET_NAME not in text and SECRET_PHONE not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Log number", "Kind", "Review status"]
    assert [int(r[0]) for r in rows[1:]] == sorted([mediation, hazard], reverse=True)
    assert rows[1][rows[0].index("Logged by")].startswith("'=")  # never a formula
    only = list(csv.reader(io.StringIO((await officer.get("/review/export.csv?kind=mediation")).content.decode("utf-8-sig"))))
    assert [int(r[0]) for r in only[1:]] == [mediation] and only[1][1] == "Mediation"


async def test_xlsx_export_has_typed_cells_and_chinese_headers(area, client_for, make_user):
    from openpyxl import load_workbook

    officer, _id = await client_for("officer", preferred_language="zh_CN")
    author = await make_user("volunteer")
    await mediation_with_parties(area.community_id, author)
    await make_log(area.community_id, author, kind="help", category="lost_child", severity=None, hazard_stage=None, people_count=3, created_at=NOW + dt.timedelta(hours=1))
    await officer.post("/language", data={"language": "zh_CN", "_csrf_token": await ensure_csrf(officer)})
    response = await officer.get("/review/export.xlsx")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    english = export.headers()
    token = i18n.activate("zh_CN")
    try:
        chinese, help_label = export.headers(), label("kind", "help")
    finally:
        i18n.restore(token)
    assert list(rows[0]) == chinese and chinese[0] == "日志编号" and all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in chinese)
    first = dict(zip(english, rows[1]))
    assert isinstance(first["Log number"], int) and first["People"] == 3 and isinstance(first["People"], int)
    assert first["Happened at"] == dt.datetime(2026, 11, 20, 11, 0)  # 03:00 UTC, shown in Shanghai time
    assert first["Kind"] == help_label != "Help given"
    assert isinstance(dict(zip(english, rows[2]))["Received at"], dt.datetime)
    everything = " ".join(str(v) for row in rows for v in row if v is not None)
    assert SECRET_NAME not in everything and SECRET_PHONE not in everything


async def test_the_log_page_carries_the_review_actions_for_reviewers_only(area, client_for, make_user):
    author_client, author = await client_for("volunteer")
    log_id = await make_log(area.community_id, author)
    officer, _id = await client_for("officer")
    page = (await officer.get(f"/logs/{log_id}")).text
    assert 'id="review-actions"' in page and f'action="/review/{log_id}/accept"' in page
    assert 'id="review-actions"' not in (await author_client.get(f"/logs/{log_id}")).text
    seen = version(await status_of(log_id))
    swapped = await htmx_post(officer, f"/review/{log_id}/ask", {"version": seen, "note": "Which floor?"}, target="review-actions")
    assert swapped.status_code == 200 and swapped.text.lstrip().startswith('<section id="review-actions"')
    assert f'action="/review/{log_id}/accept"' in swapped.text  # a log with a question may still be accepted
    # The author answers (the logs' own form); the log is back in the queue.
    answered = await post_form(author_client, f"/logs/{log_id}/answer", {"text": "The second"})
    assert answered.status_code in (200, 303)
    assert (await status_of(log_id))["status"] == "submitted"
    history = (await officer.get(f"/logs/{log_id}")).text
    assert "The officer asked for more information" in history


async def test_bad_input_is_said_and_never_a_500(area, client_for, make_user):
    client, _officer = await client_for("officer")
    log_id = await make_log(area.community_id, await make_user("volunteer"))
    seen = version(await status_of(log_id))
    async with nothing_changes((FieldLog, log_id), also=(LogNote,)):
        too_long = await post_form(client, f"/review/{log_id}/comment", {"version": seen, "note": "x" * 2001})
        assert too_long.status_code == 422 and "At most 2000 characters." in too_long.text
        not_a_number = await post_form(client, f"/review/{log_id}/duplicate", {"version": seen, "original": "abc"})
        assert not_a_number.status_code == 422
        for data in ({"action": "explode", "log": [f"{log_id}:{seen}"]}, {"action": "accept", "log": ["x:y", ":"]}, {"action": "duplicate", "original": "-3", "log": [f"{log_id}:{seen}"]}):
            response = await post_form(client, "/review/bulk", data)
            assert response.status_code == 422, data
        many = await post_form(client, "/review/bulk", {"action": "accept", "log": [f"{i}:x" for i in range(1, 102)] + [f"{log_id}:{seen}"]})
        assert many.status_code == 422 and "At most 100 logs at once." in many.text
    assert (await status_of(log_id))["status"] == "submitted"
    for url in ("/review/export.csv?date_from=nope&volunteer=x", "/review/export.xlsx?kind=%00", "/review/stats?place=zz&date_from=2026-13-01"):
        assert (await client.get(url)).status_code == 200, url


@pytest.mark.parametrize("role", ["officer", "head", "admin"])
async def test_reviewers_home_pages_lead_to_the_queue(client_for, role):
    reviewer, _id = await client_for(role)
    home = (await reviewer.get("/")).text
    assert 'href="/review/?status=submitted"' in home and 'href="/review/stats"' in home


async def test_status_counts_stop_at_the_cap(area, make_user):
    """A status tab reads at most COUNT_CAP + 1 index entries and says "1,000+" above it."""
    author = await make_user("volunteer", community_id=area.community_id)
    for _ in range(0, review.COUNT_CAP + 5, 200):  # PostgreSQL takes at most 32,767 parameters a statement
        await FieldLog.insert(*[log_row(area.community_id, author, status="accepted") for _ in range(200)]).run()
    counts = await review.status_counts(await load_actor(await make_user("officer", community_id=area.community_id)), review.QueueFilters())
    assert counts["accepted"] == review.COUNT_CAP + 1 and counts["submitted"] == 0
