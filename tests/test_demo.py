"""The demo data holds a year of work in every community, as the rules would have left it:
items and logs in the months of every station, the ledgers' stages, callbacks, referrals,
overdue items, stored month keys, deadlines and escalations, searchable names and phones;
checked on whichever engine the tests run on (SQLite, or PostgreSQL by
PORTAL_TEST_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from portal.db import fetch
from portal.ledger.tables import CLOSED_STAGES, OPEN_STAGES, STAGES

ZONE = ZoneInfo("Asia/Shanghai")


def _aware(value):
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _date(value):
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _month(value) -> str:
    return _aware(value).astimezone(ZONE).strftime("%Y-%m")


async def test_the_demo_holds_a_year_of_work_in_every_station_as_the_rules_leave_it(database):
    from portal.accounts.rules import now
    from portal.demo import seed_demo
    from portal.ledger import rules as ledger
    from portal.ledger.rules import Policy, days_between

    await seed_demo()
    moment = now()

    # Items and accepted logs in at least 6 months of every station and every community.
    units = {r["id"]: r for r in await fetch("SELECT c.id, c.code, s.code AS station FROM community c JOIN station s ON s.id = c.station")}
    items = await fetch(
        "SELECT id, community, stage, officer, created_at, closed_at, filed_month, closed_month, close_days, stage_due_at, public_summary, private, "
        "reopened_count, feedback_at, reminder_sent_at FROM ledger_item"
    )
    logs = await fetch("SELECT community, kind, occurred_at FROM field_log WHERE status = 'accepted'")
    item_months, log_months = defaultdict(set), defaultdict(set)
    for item in items:
        for unit in (units[item["community"]]["code"], units[item["community"]]["station"]):
            item_months[unit].add(item["filed_month"])
    for log in logs:
        for unit in (units[log["community"]]["code"], units[log["community"]]["station"]):
            log_months[unit].add(_month(log["occurred_at"]))
    for unit in {u["code"] for u in units.values()} | {u["station"] for u in units.values()}:
        assert len(item_months[unit]) >= 6 and len(log_months[unit]) >= 6, (unit, sorted(item_months[unit]), sorted(log_months[unit]))
    assert {log["kind"] for log in logs} == {"patrol", "hazard", "mediation", "help", "publicity"}

    # Every stage of the ledgers, and the stored month keys and days to close as
    # ``transition`` writes them.
    assert {item["stage"] for item in items} == set(STAGES)
    for item in items:
        created, closed = _aware(item["created_at"]), _aware(item["closed_at"])
        assert item["filed_month"] == _month(created)
        if item["stage"] in CLOSED_STAGES:
            assert closed and item["closed_month"] == _month(closed) and abs(item["close_days"] - days_between(created, closed)) < 1e-3, item
            assert item["stage_due_at"] is None
        else:
            assert closed is None and item["closed_month"] is None and item["close_days"] is None, item
        if item["stage"] in ledger.NEEDS_PUBLIC_TEXT:  # one matter, made public
            assert item["public_summary"].strip() or item["private"], item

    # Callbacks by someone other than the accountable officer; referrals, answered or waiting.
    callbacks = await fetch("SELECT cb.by_user, cb.satisfied, li.officer FROM ledger_callback cb JOIN ledger_item li ON li.id = cb.item")
    assert len(callbacks) >= 50 and {c["satisfied"] in (True, 1) for c in callbacks} == {True, False}
    assert all(c["by_user"] != c["officer"] for c in callbacks)
    closed_by_callback = await fetch("SELECT COUNT(*) AS n FROM ledger_item WHERE stage = 'closed' AND satisfaction_via = 'callback'")
    assert closed_by_callback[0]["n"] >= 50
    referrals = await fetch("SELECT sent_on, answered_on, answer FROM ledger_referral")
    answered = [r for r in referrals if r["answered_on"] is not None]
    assert len(answered) >= 20 and len(referrals) > len(answered)
    assert all(_date(r["answered_on"]) >= _date(r["sent_on"]) and r["answer"] for r in answered)

    # Overdue items, held by several owners; those of the year (not filed through the
    # rules, so not audited) escalated when they fell due, as the job would have; and
    # nothing left for the jobs to do a few minutes before now.
    overdue = [i for i in items if i["stage"] in OPEN_STAGES and i["stage_due_at"] and _aware(i["stage_due_at"]) <= moment - dt.timedelta(minutes=10)]
    assert len({i["officer"] for i in overdue}) >= 3
    filed_through_rules = {int(r["object_id"]) for r in await fetch("SELECT object_id FROM audit_entry WHERE action = 'ledger.filed'")}
    escalated = defaultdict(list)
    for row in await fetch("SELECT e.item, e.stage, e.round, e.created_at FROM ledger_escalation e"):
        escalated[(row["item"], row["stage"], row["round"])].append(_aware(row["created_at"]))
    late = [i for i in overdue if i["id"] not in filed_through_rules]
    assert len(late) >= 10
    for item in late:
        times = escalated[(item["id"], item["stage"], item["reopened_count"])]
        assert times and min(times) <= _aware(item["stage_due_at"]) + dt.timedelta(minutes=6), item
    stage_now = {i["id"]: i["stage"] for i in items}
    assert len([key for key in escalated if key[0] not in filed_through_rules and key[1] != stage_now[key[0]]]) >= 20  # stages left late
    assert await ledger.escalate_overdue(moment - dt.timedelta(minutes=6)) == 0
    assert await ledger.feedback_fallback(moment - dt.timedelta(minutes=6), Policy()) == 0

    # The counters go on from the numbers given: the next item filed gets the next number.
    counters = {(r["station"], r["year"]): r["last"] for r in await fetch("SELECT station, year, last FROM ledger_counter")}
    highest = {(r["station"], r["year"]): r["seq"] for r in await fetch("SELECT station, year, MAX(seq) AS seq FROM ledger_item GROUP BY station, year")}
    assert counters == highest

    # Found by the workbench's search (FTS5 trigram / pg_trgm) by a raiser's name and phone.
    from portal.ledger.search import search_condition
    from portal.ledger.tables import LedgerItem

    raiser = (await fetch("SELECT id, raised_by_name, raised_by_phone FROM ledger_item WHERE raised_by_name <> '' AND length(raised_by_name) = 3 ORDER BY id LIMIT 1"))[0]
    for words in (raiser["raised_by_name"], raiser["raised_by_phone"]):
        found = [r["id"] for r in await LedgerItem.select(LedgerItem.id).where(search_condition(words)).run()]
        assert raiser["id"] in found, words

    # Hazards fixed and re-inspected by someone other than the reporter; hours from
    # check-in and check-out; reception counted every day of the year.
    hazards = await fetch("SELECT author, hazard_stage, fixed_at, verified_at, verified_by FROM field_log WHERE kind = 'hazard' AND status = 'accepted'")
    verified = [h for h in hazards if h["hazard_stage"] == "verified"]
    assert len(verified) >= 50 and {h["hazard_stage"] for h in hazards} & {"confirmed", "rectification_requested", "reopened"}  # some still open
    assert all(h["verified_by"] != h["author"] and _aware(h["fixed_at"]) <= _aware(h["verified_at"]) for h in verified)
    signups = await fetch("SELECT checked_in_at, checked_out_at, hours_override FROM shift_signup su JOIN shift s ON s.id = su.shift WHERE s.starts_at < {}", moment)
    worked = [s for s in signups if s["checked_out_at"] is not None]
    assert len(worked) >= 500 and all(_aware(s["checked_out_at"]) > _aware(s["checked_in_at"]) for s in worked)
    assert any(s["hours_override"] is not None for s in signups)
    days = await fetch("SELECT COUNT(DISTINCT day) AS n FROM reception_daily")
    assert days[0]["n"] >= 300
