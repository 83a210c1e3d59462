"""Ledger figures summed by the database (month keys, medians on both engines, the
backfill of older items, open items by age), the e-mails to the people who raised items
(feedback and reminder, in their language, once, nothing of other items) and the
stations' number letters set by an admin."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import statistics

import pytest

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.ledger import figures, rules
from portal.ledger.mail import answer_token, deliver_pending
from portal.ledger.rules import LedgerError, NewItem, Policy
from portal.ledger.tables import LedgerCounter, LedgerEscalation, LedgerEvent, LedgerItem, LedgerMail, LedgerStation
from portal.settings import load_settings
from portal.web import i18n
from tests.conftest import field_error, post_form
from tests.unchanged import nothing_changes
from tests.test_notifications_routes import smtp_server  # noqa: F401  (the fixture)

UTC = dt.timezone.utc
NOW = dt.datetime(2030, 6, 3, 2, 0, tzinfo=UTC)
POLICY = Policy(reminder_days=3, close_days=4)


@pytest.fixture(autouse=True)
def english():
    token = i18n.activate("en")
    yield
    i18n.restore(token)


@pytest.fixture
async def officer(area, make_user):
    return await load_actor(await make_user("officer", username="sql-officer", real_name="Wang Li"))


async def filed(officer, area, at=NOW, ledger="complaint", category="noise", **kwargs) -> dict:
    data = {"ledger": ledger, "category": category, "community_id": area.community_id, "summary": "Loud music at No. 5", **kwargs}
    return await rules.file_item(officer, NewItem(**data), at=at)


async def to_feedback(item_id: int, officer, at: dt.datetime, answer: str = "We spoke to the neighbours.") -> None:
    await rules.transition(item_id, "assigned", officer, officer_id=officer.id, at=at)
    await rules.transition(item_id, "in_progress", officer, at=at)
    await rules.transition(item_id, "handled", officer, "Visited", at=at)
    await rules.set_public_text(officer, item_id, "Noise at night", "")
    await rules.transition(item_id, "feedback_given", officer, answer, at=at)


async def close_after(officer, area, filed_at: dt.datetime, days: float, **kwargs) -> dict:
    made = await filed(officer, area, at=filed_at, **kwargs)
    await to_feedback(made["id"], officer, filed_at)
    # Closing as satisfied needs a callback by someone other than the accountable officer.
    colleague = await _colleague(area)
    await rules.record_callback(colleague, made["id"], "phone", "Satisfied", True, at=filed_at + dt.timedelta(days=days))
    await rules.transition(made["id"], "closed", officer, at=filed_at + dt.timedelta(days=days))
    return made


async def _colleague(area):
    """A second officer of the community, made once per test."""
    from portal.accounts import rules as accounts
    from portal.accounts.tables import User

    row = await User.select(User.id).where(User.username == "sql-colleague").first().run()
    user_id = row["id"] if row else await accounts.create_user(
        None, username="sql-colleague", password="correct horse battery", real_name="Li Ming", preferred_language="en", role="officer", community_id=area.community_id,
    )
    return await load_actor(user_id)


async def test_medians_and_month_keys_are_computed_in_sql(database, area, officer):
    june = dt.datetime(2030, 6, 2, 2, 0, tzinfo=UTC)
    durations = [1, 2, 7, 10]  # even count: the median is the mean of the middle two
    for days in durations:
        await close_after(officer, area, june, days)
    for days in (3, 5, 20):  # odd count, another ledger
        await close_after(officer, area, june, days, ledger="suggestion", category="traffic")
    # 30 June 17:00 UTC is already 1 July in Shanghai: filed in the local month of July.
    await filed(officer, area, at=dt.datetime(2030, 6, 30, 17, 0, tzinfo=UTC), ledger="claim", category="documents")
    rows = await figures.monthly([area.community_id], dt.date(2030, 1, 1), dt.date(2030, 12, 31), "Asia/Shanghai")
    table = {(r["month"], r["ledger"]): r for r in rows}
    assert table[("2030-06", "complaint")]["median_days"] == statistics.median(durations) == 4.5
    assert table[("2030-06", "complaint")]["closed_satisfied"] == 4
    assert table[("2030-06", "suggestion")]["median_days"] == 5.0
    assert table[("2030-07", "claim")]["filed"] == 1 and ("2030-06", "claim") not in table
    # The station's public figures give the same numbers.
    station_rows = await figures.monthly(None, dt.date(2030, 1, 1), dt.date(2030, 12, 31), "Asia/Shanghai", station_id=area.station_id)
    assert station_rows == rows


async def test_older_items_get_their_month_keys_from_the_migration(database, area, officer):
    made = await close_after(officer, area, dt.datetime(2030, 6, 30, 17, 0, tzinfo=UTC), 1.5)
    expected = await LedgerItem.select(LedgerItem.filed_month, LedgerItem.closed_month, LedgerItem.close_days).where(LedgerItem.id == made["id"]).first().run()
    assert expected == {"filed_month": "2030-07", "closed_month": "2030-07", "close_days": 1.5}
    await LedgerItem.update({LedgerItem.filed_month: "", LedgerItem.closed_month: None, LedgerItem.close_days: None}).where(LedgerItem.id == made["id"]).run()
    migration = importlib.import_module("portal.ledger.migrations.ledger_2026_11_23t18_13_00_000000")
    await migration.backfill()
    again = await LedgerItem.select(LedgerItem.filed_month, LedgerItem.closed_month, LedgerItem.close_days).where(LedgerItem.id == made["id"]).first().run()
    assert again == expected


async def test_open_items_by_age_are_counted_in_sql(database, area, officer):
    for days in (0, 2, 3, 7, 8, 30, 31, 400):
        await filed(officer, area, at=NOW - dt.timedelta(days=days, hours=1))
    table = await figures.open_by_age([area.community_id], NOW)
    assert table["registered"] == {"0–2": 2, "3–7": 2, "8–30": 2, "30+": 2}
    assert sum(table["assigned"].values()) == 0
    assert await figures.open_by_age([area.other_station_community_id], NOW) == {stage: {label: 0 for _, label in figures.AGE_BUCKETS} for stage in table}


async def test_escalated_stages_never_hide_newer_overdue_ones(database, area, officer, make_user):
    await make_user("head", username="sql-head")
    first = await filed(officer, area, at=NOW - dt.timedelta(days=30))
    second = await filed(officer, area, at=NOW - dt.timedelta(days=20))
    assert await rules.escalate_overdue(NOW, limit=1) == 1  # the oldest
    assert await rules.escalate_overdue(NOW, limit=1) == 1  # the next, though the batch is one
    assert await rules.escalate_overdue(NOW, limit=1) == 0
    escalated = await LedgerEscalation.select(LedgerEscalation.item).order_by(LedgerEscalation.id).run()
    assert [r["item"] for r in escalated] == [first["id"], second["id"]]


# --- E-mail to the person --------------------------------------------------------------


async def test_the_feedback_and_the_reminder_are_mailed_once_in_the_persons_language(database, area, officer, smtp_server):  # noqa: F811
    port, received = smtp_server
    settings = load_settings({}, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="Shouwang <noreply@example.org>", public_url="https://portal.example.org")
    mine = await filed(officer, area, raised_by_name="Zhang San", raised_by_email="zhang@example.org", language="en")
    other = await filed(officer, area, raised_by_name="Li Si", raised_by_email="lisi@example.org", language="zh_CN", summary="Other matter")
    silent = await filed(officer, area, raised_by_phone="13912345678")  # no address: no mail
    await to_feedback(mine["id"], officer, NOW, answer="The karaoke closes at 22:00 from now on.")
    await to_feedback(other["id"], officer, NOW, answer="另一件事的答复")
    await to_feedback(silent["id"], officer, NOW)
    assert await LedgerMail.count().run() == 2
    sent = await asyncio.gather(deliver_pending(settings, NOW), deliver_pending(settings, NOW))
    assert sum(sent) == 2 and len(received) == 2
    by_address = {e.rcpt_tos[0]: e.content.decode() for e in received}
    english = by_address["zhang@example.org"]
    assert "Answer to your matter" in english and mine["number"] in english and "22:00" in english
    # The link is the item's signed answer page; the tracking code is in the text.
    assert f"https://portal.example.org/satisfaction/{answer_token(settings.secret_key, mine['id'])}" in english and mine["tracking_code"] in english
    for leak in ("另一件事", other["number"], other["tracking_code"], "Li Si", "lisi@"):
        assert leak not in english
    assert "zhang@" not in by_address["lisi@example.org"]
    assert await deliver_pending(settings, NOW) == 0  # nothing twice
    assert await LedgerMail.count().where((LedgerMail.recipient != "") | (LedgerMail.body != "")).run() == 0  # not kept once sent
    mailed = await LedgerEvent.select(LedgerEvent.item, LedgerEvent.public).where(LedgerEvent.kind == "mailed_feedback").run()
    assert sorted(r["item"] for r in mailed) == sorted([mine["id"], other["id"]]) and not any(r["public"] for r in mailed)
    # The reminder of the timed fallback goes the same way, once.
    later = NOW + dt.timedelta(days=POLICY.reminder_days, minutes=1)
    await rules.feedback_fallback(later, POLICY)
    await rules.feedback_fallback(later, POLICY)
    assert await deliver_pending(settings, later) == 2
    reminder = {e.rcpt_tos[0]: e.content.decode() for e in received[2:]}
    assert "Are you satisfied" in reminder["zhang@example.org"] and mine["tracking_code"] in reminder["zhang@example.org"]
    assert f"/satisfaction/{answer_token(settings.secret_key, mine['id'])}" in reminder["zhang@example.org"]
    assert set(reminder) == {"zhang@example.org", "lisi@example.org"}


async def test_an_officer_records_the_persons_language_for_their_mail(client_for, area):
    client, officer_id = await client_for("officer", preferred_language="zh_CN")
    form = {"idempotency_key": "4f9c1f40-0000-4000-8000-000000000001", "ledger": "claim", "category": "documents", "community": str(area.community_id), "source": "reception", "summary": "Lost passport", "raised_by_email": "visitor@example.org"}
    async with nothing_changes(also=(LedgerItem, LedgerEvent, LedgerMail)):
        response = await post_form(client, "/ledger/new", {**form, "language": "fr"})
        assert response.status_code == 422 and field_error(response.text, "language")
    assert await LedgerItem.count().run() == 0
    response = await post_form(client, "/ledger/new", {**form, "language": "en"})
    assert response.status_code == 303
    item = await LedgerItem.select(LedgerItem.id, LedgerItem.language).first().run()
    assert item["language"] == "en"
    await to_feedback(item["id"], await load_actor(officer_id), NOW, answer="Come on Monday.")
    mail = await LedgerMail.select(LedgerMail.subject, LedgerMail.body, LedgerMail.recipient).first().run()
    assert mail["recipient"] == "visitor@example.org" and mail["subject"].startswith("Answer to your matter") and "Come on Monday." in mail["body"]


async def test_a_refused_feedback_queues_no_mail_and_no_smtp_sends_nothing(database, area, officer):
    made = await filed(officer, area, raised_by_email="zhang@example.org")
    await rules.transition(made["id"], "assigned", officer, officer_id=officer.id, at=NOW)
    await rules.transition(made["id"], "in_progress", officer, at=NOW)
    await rules.transition(made["id"], "handled", officer, "Visited", at=NOW)
    await rules.set_public_text(officer, made["id"], "Noise at night", "")
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent, LedgerMail)):
        with pytest.raises(LedgerError):
            await rules.transition(made["id"], "feedback_given", officer, "x" * (rules.NOTE_MAX + 1), at=NOW)
        with pytest.raises(LedgerError):
            await rules.transition(made["id"], "feedback_given", officer, "Stale answer", expected_version=1, at=NOW)
    assert await LedgerMail.count().run() == 0
    await rules.transition(made["id"], "feedback_given", officer, "Answer", at=NOW)
    assert await deliver_pending(load_settings({}), NOW) == 0
    assert await LedgerMail.count().where(LedgerMail.sent_at.is_null()).run() == 1
    # Never sent within its time: dropped with the address, not mailed late.
    assert await deliver_pending(load_settings({}, smtp_url="smtp://127.0.0.1:9"), NOW + dt.timedelta(days=8)) == 0
    assert await LedgerMail.count().run() == 0


# --- Number letters --------------------------------------------------------------------


async def test_an_admin_sets_the_stations_letters_and_old_numbers_stay(database, area, officer, make_user):
    admin = await load_actor(await make_user("admin", username="sql-admin"))
    before = await filed(officer, area)
    assert await rules.set_prefix(admin, area.station_id, " cz ") == "CZ"
    after = await filed(officer, area)
    assert after["number"].startswith("CZ-") and after["number"].endswith("-000002")
    assert (await LedgerItem.select(LedgerItem.number).where(LedgerItem.id == before["id"]).first().run())["number"] == before["number"]
    audit = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == "ledger.prefix").run()
    assert len(audit) == 1 and "CZ" in str(audit[0]["after"])
    async with nothing_changes((LedgerStation, LedgerStation.station == area.station_id), (LedgerCounter, LedgerCounter.station == area.station_id)):
        for bad in ("", "1AB", "C-Z", "TOOLONGXX", "城中"):
            with pytest.raises(LedgerError) as refused:
                await rules.set_prefix(admin, area.other_station_id, bad)
            assert refused.value.field == "prefix"
        with pytest.raises(LedgerError) as taken:
            await rules.set_prefix(admin, area.other_station_id, "cz")
        assert taken.value.field == "prefix"
        with pytest.raises(LedgerError):
            await rules.set_prefix(officer, area.station_id, "XY")
    assert await rules.prefix_of(area.station_id) == "CZ"
    assert await LedgerCounter.count().where(LedgerCounter.prefix == "CZ").run() == 1


async def test_the_letters_form_shows_errors_and_saves(client_for, area):
    client, _ = await client_for("admin")
    page = await client.get("/ledger/calendar")
    assert page.status_code == 200 and "Letters of the ledger numbers" in page.text
    async with nothing_changes(also=(LedgerStation, LedgerCounter)):
        response = await post_form(client, "/ledger/calendar/prefix", {"station": str(area.station_id), "prefix": "c-z"})
        assert response.status_code == 422 and field_error(response.text, "prefix") and 'value="C-Z"' in response.text
    response = await post_form(client, "/ledger/calendar/prefix", {"station": str(area.station_id), "prefix": "CZ"})
    assert response.status_code == 303
    assert await rules.prefix_of(area.station_id) == "CZ"
    async with nothing_changes((LedgerStation, LedgerStation.station == area.station_id)):
        response = await post_form(client, "/ledger/calendar/prefix", {"station": str(area.other_station_id), "prefix": "cz"})
        assert response.status_code == 422 and "Another station" in field_error(response.text, "prefix")


async def test_the_public_ledger_sums_its_figures_for_the_page_not_for_the_rows_swap(client, area, officer):
    made = await filed(officer, area)
    await rules.set_public_text(officer, made["id"], "Noise at night", "Xiguan Street")
    page = await client.get("/c/a/ledger")
    assert page.status_code == 200 and made["number"] in page.text and "<h1" in page.text
    rows = await client.get("/c/a/ledger", headers={"HX-Request": "true", "HX-Target": "public-rows"})
    assert rows.status_code == 200 and made["number"] in rows.text and "<h1" not in rows.text
