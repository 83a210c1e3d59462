"""Ledger rules on a fixed clock: every allowed and refused transition, satisfaction
closes and dissatisfaction reopens, the timed fallback, working-day deadlines across a
holiday, escalation exactly once with two scheduler instances, numbers under
concurrency, stale pages, privacy and figures that match the items."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from portal.accounts.rules import load_actor
from portal.audit.tables import AuditEntry
from portal.jobs.runner import JobScheduler
from portal.ledger import calendar, figures, rules
from portal.ledger.jobs import JOBS
from portal.ledger.rules import LedgerError, NewItem, Policy
from portal.ledger.tables import CLOSED_STAGES, LEDGERS, STAGES, Holiday, LedgerDeadlineRule, LedgerEscalation, LedgerEvent, LedgerItem, LedgerMail
from portal.notifications.tables import Notification
from portal.public import rules as public
from portal.public.tables import Intake
from portal.web import i18n
from tests.unchanged import nothing_changes

UTC = dt.timezone.utc
# Monday 3 June 2030, 02:00 UTC = 10:00 in Asia/Shanghai.
NOW = dt.datetime(2030, 6, 3, 2, 0, tzinfo=UTC)
POLICY = Policy(reminder_days=3, close_days=4)


@pytest.fixture(autouse=True)
def english():
    token = i18n.activate("en")
    yield
    i18n.restore(token)


@pytest.fixture
async def people(area, make_user):
    """The community's officer, a second officer there, an officer elsewhere, the head."""
    officer = await load_actor(await make_user("officer", username="ledger-officer", real_name="Wang Li"))
    colleague = await load_actor(await make_user("officer", username="ledger-colleague", real_name="Li Ming"))
    stranger = await load_actor(await make_user("officer", username="ledger-stranger", community_id=area.other_station_community_id))
    head = await load_actor(await make_user("head", username="ledger-head"))
    return officer, colleague, stranger, head


async def new_item(actor, area, ledger="complaint", category="noise", at=NOW, **kwargs) -> dict:
    data = {"ledger": ledger, "category": category, "community_id": area.community_id, "summary": "Loud music every night at No. 5", "raised_by_name": "Zhang San", "raised_by_phone": "13912345678", **kwargs}
    return await rules.file_item(actor, NewItem(**data), at=at)


async def stage_of(item_id: int) -> dict:
    return await LedgerItem.select().where(LedgerItem.id == item_id).first().run()


async def walk(item_id: int, officer, *, to_feedback: bool = True, at: dt.datetime = NOW) -> dict:
    """registered → assigned → in progress → handled → feedback given."""
    await rules.transition(item_id, "assigned", officer, officer_id=officer.id, at=at)
    await rules.transition(item_id, "in_progress", officer, at=at)
    await rules.transition(item_id, "handled", officer, "Spoke to the neighbour; music stops at 22:00.", at=at)
    await rules.set_public_text(officer, item_id, "Noise at night", "")
    if to_feedback:
        return await rules.transition(item_id, "feedback_given", officer, "We spoke to your neighbour.", at=at)
    return await stage_of(item_id)


# --- Filing --------------------------------------------------------------------------


async def test_numbers_are_per_station_and_year_and_unique_under_concurrency(database, area, people):
    officer = people[0]
    made = await asyncio.gather(*(new_item(officer, area, at=NOW) for _ in range(12)))
    numbers = sorted(m["number"] for m in made)
    assert {n.rsplit("-", 1)[0] for n in numbers} == {rules.station_prefix("城中派出所 EN", area.station_id) + "-2030"}
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, 13))
    assert len({m["tracking_code"] for m in made}) == 12
    next_year = await new_item(officer, area, at=dt.datetime(2031, 1, 2, tzinfo=UTC))
    assert next_year["number"].endswith("-2031-000001")


def test_station_prefix_is_the_pinyin_initials():
    assert rules.station_prefix("Chengzhong Police Station", 1) == "CZ"
    assert rules.station_prefix("Xiguan", 1) == "XG"
    assert rules.station_prefix("", 7) == "S7"


async def test_an_officer_files_only_in_own_communities_and_bad_input_is_refused(database, area, people):
    officer, _, stranger, _ = people
    with pytest.raises(LedgerError) as refused:
        await new_item(stranger, area)
    assert refused.value.field == "community"
    for bad, field in ((dict(ledger="nonsense"), "ledger"), (dict(category="theft_of_time"), "category"), (dict(summary="  "), "summary"), (dict(summary="x" * 2001), "summary")):
        with pytest.raises(LedgerError) as refused:
            await new_item(officer, area, **bad)
        assert refused.value.field == field
    assert await LedgerItem.count().run() == 0


async def test_public_suggestion_claim_and_complaint_go_into_their_ledger_and_help_stays(database, area):
    codes = {}
    for kind in ("help", "suggestion", "claim", "complaint"):
        codes[kind] = await public.create_intake(kind=kind, community_id=area.community_id, point_id=None, text=f"About {kind}", contact_name="Li Si", contact_phone="13800000001", language="en", idempotency_key=f"00000000-0000-0000-0000-00000000000{len(codes)}")
    items = await LedgerItem.select(LedgerItem.ledger, LedgerItem.tracking_code, LedgerItem.source, LedgerItem.raised_by_name).order_by(LedgerItem.ledger).run()
    assert [(i["ledger"], i["tracking_code"]) for i in items] == sorted((k, codes[k]) for k in ("suggestion", "claim", "complaint"))
    assert {i["source"] for i in items} == {"public"} and {i["raised_by_name"] for i in items} == {"Li Si"}
    statuses = {r["kind"]: r["status"] for r in await Intake.select(Intake.kind, Intake.status).run()}
    assert statuses == {"help": "new", "suggestion": "filed", "claim": "filed", "complaint": "filed"}


async def test_an_officer_files_a_help_request_into_a_ledger_once(database, area, people):
    code = await public.create_intake(kind="help", community_id=area.community_id, point_id=None, text="Lost my ID card", contact_name="", contact_phone="", language="zh_CN", idempotency_key="00000000-0000-0000-0000-000000000009")
    intake_id = (await Intake.select(Intake.id).first().run())["id"]
    first = await rules.file_from_intake(intake_id, "claim", "documents", actor=people[0])
    again = await rules.file_from_intake(intake_id, "claim", "documents", actor=people[0])
    assert first == again and first["tracking_code"] == code
    item = await stage_of(first["id"])
    assert item["anonymous"] and item["category"] == "documents"
    async with nothing_changes((Intake, intake_id), (LedgerItem, first["id"])):
        with pytest.raises(LedgerError):
            await rules.file_from_intake(intake_id, "claim", "documents", actor=people[2])


# --- The lifecycle -------------------------------------------------------------------


def test_the_lifecycle_table_covers_every_stage_of_every_ledger():
    for ledger in LEDGERS:
        assert set(rules.TRANSITIONS[ledger]) == set(STAGES)
        for stage in CLOSED_STAGES:
            assert rules.allowed(ledger, stage) == ()
        for targets in rules.TRANSITIONS[ledger].values():
            assert set(targets) <= set(STAGES)
    assert {rules.status_of(s) for s in CLOSED_STAGES} == {"closed"}
    assert rules.status_of("feedback_given") == "open"


def _extra(to: str, officer) -> dict:
    return {
        "assigned": {"officer_id": officer.id},
        "handled": {"note": "done"},
        "feedback_given": {"note": "answered"},
        "closed": {"via": "phone"},
        "in_progress": {"note": "more to do", "via": "phone"},
        "closed_out_of_remit": {"referred_to": "Street office"},
        "closed_unconfirmed": {"note": "no answer"},
    }.get(to, {})


async def _to_stage(item_id: int, stage: str, officer, colleague, area) -> None:
    path = {
        "registered": [],
        "assigned": ["assigned"],
        "in_progress": ["assigned", "in_progress"],
        "handled": ["assigned", "in_progress", "handled"],
        "feedback_given": ["assigned", "in_progress", "handled", "feedback_given"],
    }[stage]
    for to in path:
        extra = _extra(to, officer)
        await rules.transition(item_id, to, officer, extra.pop("note", ""), at=NOW, **extra)


# The lifecycle as the portal must have it, written out here rather than read from
# rules.TRANSITIONS (the table under test). The same for the three ledgers. An item is
# closed as "closed" only from feedback_given, when the person is satisfied, and
# "closed_unconfirmed" only after feedback went unanswered; duplicates and matters
# outside police remit close before the work is handled. Closed stages are final.
LIFECYCLE = {
    "registered": {"assigned", "closed_duplicate", "closed_out_of_remit"},
    "assigned": {"assigned", "in_progress", "closed_duplicate", "closed_out_of_remit"},
    "in_progress": {"assigned", "handled", "closed_duplicate", "closed_out_of_remit"},
    "handled": {"in_progress", "feedback_given"},
    "feedback_given": {"closed", "in_progress", "closed_unconfirmed"},
    "closed": set(),
    "closed_unconfirmed": set(),
    "closed_duplicate": set(),
    "closed_out_of_remit": set(),
}
EXPECTED_TRANSITIONS = {ledger: LIFECYCLE for ledger in ("suggestion", "claim", "complaint")}


@pytest.mark.parametrize("ledger", sorted(EXPECTED_TRANSITIONS))
async def test_every_allowed_transition_is_taken_and_every_other_refused(database, area, people, ledger):
    expected = EXPECTED_TRANSITIONS[ledger]
    assert set(EXPECTED_TRANSITIONS) == set(LEDGERS) and set(expected) == set(STAGES)
    for stage, targets in expected.items():
        assert sorted(rules.allowed(ledger, stage)) == sorted(targets), (ledger, stage)
    officer, colleague, _, _ = people
    original = await new_item(officer, area, ledger=ledger, category="other")
    late = NOW + dt.timedelta(days=30)
    for stage in ("registered", "assigned", "in_progress", "handled", "feedback_given"):
        for to in expected:
            made = await new_item(officer, area, ledger=ledger, category="other")
            await rules.set_public_text(officer, made["id"], "A matter of the neighbourhood", "")
            await _to_stage(made["id"], stage, officer, colleague, area)
            extra = _extra(to, officer)
            note = extra.pop("note", "")
            if to == "assigned" and stage == "assigned":
                extra = {"officer_id": colleague.id}
            if to == "closed_duplicate":
                extra = {"duplicate_of": original["number"]}
            if to == "closed_unconfirmed" and stage == "feedback_given":
                await LedgerItem.update({LedgerItem.reminder_sent_at: NOW}).where(LedgerItem.id == made["id"]).run()
            if to == "closed" and stage == "feedback_given":
                await rules.record_callback(colleague, made["id"], "phone", "Satisfied with the answer", True, at=late)
            before = await stage_of(made["id"])
            if to in expected[stage]:
                after = await rules.transition(made["id"], to, officer, note, before["version"], at=late, policy=POLICY, **extra)
                assert after["stage"] == to and after["version"] == before["version"] + 1, (stage, to)
                assert (after["closed_at"] is not None) == (to in CLOSED_STAGES)
            else:
                async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent, LedgerMail)):
                    with pytest.raises(LedgerError, match="not allowed"):
                        await rules.transition(made["id"], to, officer, note, before["version"], at=late, policy=POLICY, **extra)


async def test_closed_items_refuse_every_transition(database, area, people):
    officer, colleague = people[0], people[1]
    made = await new_item(officer, area)
    await walk(made["id"], officer)
    await rules.record_callback(colleague, made["id"], "in_person", "Satisfied", True, at=NOW)
    await rules.transition(made["id"], "closed", officer, at=NOW)
    for to in STAGES:
        async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent, LedgerMail)):
            with pytest.raises(LedgerError):
                await rules.transition(made["id"], to, officer, "x", via="phone", officer_id=officer.id, referred_to="x", at=NOW)


async def test_required_notes_and_choices_are_refused_with_the_field_and_nothing_changes(database, area, people):
    officer, colleague, stranger, _ = people
    made = await new_item(officer, area)
    target = (LedgerItem, made["id"])
    for to, given, field in (
        ("assigned", {"officer_id": stranger.id}, "officer"),
        ("closed_out_of_remit", {"referred_to": "  "}, "referred_to"),
        ("closed_duplicate", {"duplicate_of": "XX-2030-000999"}, "duplicate_of"),
        ("assigned", {"note": "y" * 2001, "officer_id": officer.id}, "note"),
    ):
        async with nothing_changes(target, also=(LedgerEvent, LedgerMail)):
            with pytest.raises(LedgerError) as refused:
                await rules.transition(made["id"], to, officer, given.pop("note", ""), **given)
        assert refused.value.field == field, to
    await rules.transition(made["id"], "assigned", officer, officer_id=officer.id)
    await rules.transition(made["id"], "in_progress", officer)
    for to, field in (("handled", "note"),):
        async with nothing_changes(target, also=(LedgerEvent, LedgerMail)):
            with pytest.raises(LedgerError) as refused:
                await rules.transition(made["id"], to, officer)
        assert refused.value.field == field
    assert (await stage_of(made["id"]))["stage"] == "in_progress"


async def test_only_the_accountable_officer_or_the_head_moves_an_assigned_item(database, area, people):
    officer, colleague, stranger, head = people
    made = await new_item(officer, area)
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        with pytest.raises(LedgerError):
            await rules.transition(made["id"], "assigned", stranger, officer_id=stranger.id)
    await rules.transition(made["id"], "assigned", colleague, officer_id=officer.id)
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        with pytest.raises(LedgerError, match="accountable"):
            await rules.transition(made["id"], "in_progress", colleague)
    await rules.transition(made["id"], "in_progress", head)
    # Reassignment is open to the community's officers and recorded.
    await rules.transition(made["id"], "assigned", colleague, "Wang Li is on leave", officer_id=colleague.id)
    events = await LedgerEvent.select(LedgerEvent.kind, LedgerEvent.public, LedgerEvent.note).where(LedgerEvent.item == made["id"]).order_by(LedgerEvent.id).run()
    assert [e["kind"] for e in events] == ["stage", "assigned", "stage", "reassigned", "note"]
    assert events[-1] == {"kind": "note", "public": False, "note": "Wang Li is on leave"}
    assert events[-2]["note"] == "Li Ming" and events[-2]["public"]
    # Told when someone else made them accountable; not when they took it themselves.
    assert await Notification.count().where((Notification.user == officer.id) & Notification.subject.like("%is yours")).run() == 1
    assert await Notification.count().where(Notification.user == colleague.id).run() == 0


async def test_a_stale_page_is_refused_and_changes_nothing(database, area, people):
    officer, colleague, _, _ = people
    made = await new_item(officer, area)
    page_version = (await stage_of(made["id"]))["version"]
    await rules.transition(made["id"], "assigned", colleague, officer_id=colleague.id, expected_version=page_version)
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        with pytest.raises(LedgerError, match="Someone else changed") as refused:
            await rules.transition(made["id"], "assigned", officer, officer_id=officer.id, expected_version=page_version)
        assert refused.value.params.get("stale")
        with pytest.raises(LedgerError, match="Someone else changed"):
            await rules.set_private(officer, made["id"], True, "names a person", expected_version=page_version)
        with pytest.raises(LedgerError, match="Someone else changed"):
            await rules.set_public_text(officer, made["id"], "Noise", "Xiguan Street", expected_version=page_version)


async def test_two_officers_at_once_from_the_same_page_one_wins(database, area, people):
    officer, colleague, _, _ = people
    made = await new_item(officer, area)
    version = (await stage_of(made["id"]))["version"]
    results = await asyncio.gather(
        rules.transition(made["id"], "assigned", officer, officer_id=officer.id, expected_version=version),
        rules.transition(made["id"], "assigned", colleague, officer_id=colleague.id, expected_version=version),
        return_exceptions=True,
    )
    assert sum(isinstance(r, LedgerError) for r in results) == 1
    assert (await stage_of(made["id"]))["version"] == version + 1


# --- Satisfaction ----------------------------------------------------------------------


async def test_satisfied_on_the_tracking_page_closes_and_is_recorded(database, area, people):
    officer = people[0]
    made = await new_item(officer, area)
    item = await walk(made["id"], officer)
    closed = await rules.answer_from_tracking(made["tracking_code"], True, "", item["version"], at=NOW)
    assert (closed["stage"], closed["satisfaction"], closed["satisfaction_via"]) == ("closed", "satisfied", "tracking")
    assert await Notification.count().where((Notification.user == officer.id) & Notification.subject.like("%closed%")).run() == 1
    assert await AuditEntry.count().where((AuditEntry.action == "ledger.transition") & (AuditEntry.object_id == str(made["id"]))).run() == 5


async def test_not_satisfied_reopens_with_the_reason_and_a_second_feedback_can_close(database, area, people):
    officer = people[0]
    made = await new_item(officer, area)
    item = await walk(made["id"], officer)
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        with pytest.raises(LedgerError) as refused:
            await rules.answer_from_tracking(made["tracking_code"], False, "", item["version"])
    assert refused.value.field == "note"
    reopened = await rules.answer_from_tracking(made["tracking_code"], False, "It is still loud after 23:00", item["version"], at=NOW)
    assert (reopened["stage"], reopened["satisfaction"], reopened["reopened_count"]) == ("in_progress", "not_satisfied", 1)
    view = await rules.tracked(made["tracking_code"])
    assert view["events"][-1]["note"] == "It is still loud after 23:00" and view["status"] == "open"
    # The person cannot close it again from the tracking page until new feedback.
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        with pytest.raises(LedgerError):
            await rules.answer_from_tracking(made["tracking_code"], True, "", None)
    await rules.transition(made["id"], "handled", officer, "Second visit", at=NOW)
    await rules.transition(made["id"], "feedback_given", officer, "The music now stops at 22:00.", at=NOW)
    # Without a callback by someone else the officer cannot close it.
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent,)):
        with pytest.raises(LedgerError, match="callback"):
            await rules.transition(made["id"], "closed", officer, "Confirmed on the phone", at=NOW)
    await rules.record_callback(people[1], made["id"], "phone", "Fine now", True, at=NOW)
    done = await rules.transition(made["id"], "closed", officer, "Confirmed on the phone", at=NOW)
    assert (done["stage"], done["satisfaction_via"]) == ("closed", "callback")


async def test_closing_as_satisfied_needs_the_persons_answer_or_a_callback_by_someone_else(database, area, people):
    """The rule: "closed" (satisfied) by an officer needs a satisfied callback, recorded
    since the feedback by someone other than the accountable officer; the accountable
    officer cannot record a callback on their own item; without it nothing changes."""
    from portal.ledger.tables import LedgerCallback

    officer, colleague, stranger, head = people
    made = await new_item(officer, area)
    await walk(made["id"], officer)
    target = (LedgerItem, made["id"])
    # Closing on the officer's own word ("by phone") is refused.
    async with nothing_changes(target, also=(LedgerEvent, LedgerCallback)):
        with pytest.raises(LedgerError, match="callback recorded by someone other"):
            await rules.transition(made["id"], "closed", officer, "They said fine", via="phone", at=NOW)
    # The owner cannot record their own callback; an officer elsewhere cannot either;
    # a callback needs what the person said and a known channel.
    for who, args, message in (
        (officer, ("phone", "Fine", True), "must be made by someone else"),
        (stranger, ("phone", "Fine", True), "No such item"),
        (colleague, ("phone", "  ", True), "what the person said"),
        (colleague, ("fax", "Fine", True), "how the person was reached"),
    ):
        async with nothing_changes(target, also=(LedgerEvent, LedgerCallback)):
            with pytest.raises(LedgerError, match=message):
                await rules.record_callback(who, made["id"], *args, at=NOW)
    # A "not satisfied" callback is recorded but is no evidence.
    await rules.record_callback(colleague, made["id"], "phone", "Still loud at night", False, at=NOW)
    async with nothing_changes(target, also=(LedgerEvent,)):
        with pytest.raises(LedgerError, match="callback"):
            await rules.transition(made["id"], "closed", officer, at=NOW)
    # A satisfied callback by the colleague is: the owner closes, "by callback".
    item = await rules.record_callback(colleague, made["id"], "in_person", "Quiet since Monday, thank you", True, at=NOW)
    callbacks = await rules.callbacks_of(made["id"])
    assert [(c["by_user"], c["channel"], c["said"], c["satisfied"]) for c in callbacks] == [
        (colleague.id, "phone", "Still loud at night", False), (colleague.id, "in_person", "Quiet since Monday, thank you", True),
    ]
    done = await rules.transition(made["id"], "closed", officer, "Closed after the callback", item["version"], at=NOW)
    assert (done["stage"], done["satisfaction"], done["satisfaction_via"]) == ("closed", "satisfied", "callback")
    # A callback on a closed item is refused.
    async with nothing_changes(target, also=(LedgerEvent, LedgerCallback)):
        with pytest.raises(LedgerError, match="after the answer"):
            await rules.record_callback(head, made["id"], "phone", "Fine", True, at=NOW)
    figures_now = await figures.satisfaction_rate([area.community_id])
    assert (figures_now["by_callback"], figures_now["by_person"], figures_now["unconfirmed"], figures_now["rate"]) == (1, 0, 0, 100.0)


# --- Timed fallback ------------------------------------------------------------------


async def test_no_answer_gives_one_reminder_then_closes_without_confirmation(database, area, people):
    officer = people[0]
    made = await new_item(officer, area)
    await walk(made["id"], officer, at=NOW)
    assert await rules.feedback_fallback(NOW + dt.timedelta(days=2), POLICY) == 0
    reminded_at = NOW + dt.timedelta(days=3, minutes=1)
    assert await rules.feedback_fallback(reminded_at, POLICY) == 1
    assert await rules.feedback_fallback(reminded_at + dt.timedelta(hours=1), POLICY) == 0
    assert await Notification.count().where((Notification.user == officer.id) & Notification.subject.like("Ask about%")).run() == 1
    # The officer may not close it unconfirmed before the second period ends.
    async with nothing_changes((LedgerItem, made["id"]), also=(LedgerEvent, LedgerMail)):
        with pytest.raises(LedgerError, match="may answer until"):
            await rules.transition(made["id"], "closed_unconfirmed", officer, "no answer", policy=POLICY, at=reminded_at + dt.timedelta(days=1))
    assert await rules.feedback_fallback(reminded_at + dt.timedelta(days=4), POLICY) == 1
    item = await stage_of(made["id"])
    assert item["stage"] == "closed_unconfirmed" and item["satisfaction"] == ""
    view = await rules.tracked(made["tracking_code"])
    assert [e["kind"] for e in view["events"]][-2:] == ["reminder", "timed_out"]


async def test_an_answer_after_the_reminder_stops_the_fallback(database, area, people):
    officer = people[0]
    made = await new_item(officer, area)
    item = await walk(made["id"], officer, at=NOW)
    await rules.feedback_fallback(NOW + dt.timedelta(days=3, minutes=1), POLICY)
    await rules.answer_from_tracking(made["tracking_code"], True, "", None, at=NOW + dt.timedelta(days=4))
    assert await rules.feedback_fallback(NOW + dt.timedelta(days=30), POLICY) == 0
    assert (await stage_of(made["id"]))["stage"] == "closed"


# --- Deadlines and escalation --------------------------------------------------------


def test_working_days_skip_weekends_and_holidays_and_count_adjusted_weekends():
    friday = dt.date(2030, 9, 27)
    assert calendar.add_working_days(friday, 1, {}) == dt.date(2030, 9, 30)
    national_day = {dt.date(2030, 10, d): False for d in range(1, 8)} | {dt.date(2030, 10, 12): True}
    assert calendar.add_working_days(dt.date(2030, 9, 30), 1, national_day) == dt.date(2030, 10, 8)
    assert calendar.add_working_days(dt.date(2030, 10, 10), 2, national_day) == dt.date(2030, 10, 12)
    assert calendar.add_working_days(friday, 0, {}) == friday


async def test_stage_deadlines_use_the_rules_and_the_holiday_calendar(database, area, people, make_user):
    officer = people[0]
    admin = await load_actor(await make_user("admin", username="ledger-admin"))
    # Friday 27 September 2030, 10:00 in Shanghai.
    friday = dt.datetime(2030, 9, 27, 2, 0, tzinfo=UTC)
    made = await new_item(officer, area, at=friday)
    # Default: one working day to assign → the end of Monday 30 September (local).
    assert (await stage_of(made["id"]))["stage_due_at"] == dt.datetime(2030, 9, 30, 16, 0, tzinfo=UTC)
    for day in range(1, 8):
        await rules.add_holiday(admin, dt.date(2030, 10, day), "National Day", False)
    await rules.set_deadline_rule(admin, "complaint", "noise", "in_progress", 3)
    await rules.set_deadline_rule(admin, "complaint", "", "in_progress", 9)
    monday = dt.datetime(2030, 9, 30, 2, 0, tzinfo=UTC)
    await rules.transition(made["id"], "assigned", officer, officer_id=officer.id, at=monday)
    item = await rules.transition(made["id"], "in_progress", officer, at=monday)
    # Three working days after Monday 30 September, skipping 1-7 October: 8, 9, 10 October.
    assert item["stage_due_at"] == dt.datetime(2030, 10, 10, 16, 0, tzinfo=UTC)
    other = await new_item(officer, area, category="fraud", at=monday)
    assert await rules.working_days_for("complaint", "fraud", "in_progress") == 9
    assert await rules.working_days_for("claim", "other", "feedback_given") is None
    assert (await stage_of(other["id"]))["stage_due_at"] == dt.datetime(2030, 10, 8, 16, 0, tzinfo=UTC)
    async with nothing_changes((LedgerDeadlineRule, LedgerDeadlineRule.ledger == "complaint")):
        with pytest.raises(LedgerError):
            await rules.set_deadline_rule(admin, "complaint", "noise", "in_progress", -1)
    assert await Holiday.count().run() == 7


async def test_overdue_items_are_escalated_once_with_two_scheduler_instances(database, area, people, settings):
    officer, _, _, head = people
    made = await new_item(officer, area)
    fresh = await new_item(officer, area, at=NOW + dt.timedelta(days=5))
    late = NOW + dt.timedelta(days=3)
    jobs = [job for job in JOBS if job.name == "ledger.overdue"]
    first, second = JobScheduler(settings, jobs), JobScheduler(settings, jobs)
    ran = await asyncio.gather(first.run_due(late), second.run_due(late))
    assert sorted(len(r) for r in ran) == [0, 1]
    # The next periods run again, in both processes, and find nothing new to escalate.
    await asyncio.gather(first.run_due(late + dt.timedelta(minutes=15)), second.run_due(late + dt.timedelta(minutes=30)))
    await asyncio.gather(rules.escalate_overdue(late), rules.escalate_overdue(late))
    assert await LedgerEscalation.count().run() == 1
    assert await Notification.count().where((Notification.user == head.id) & Notification.subject.like("Overdue%")).run() == 1
    # The next stage overdue is escalated once more.
    await rules.transition(made["id"], "assigned", officer, officer_id=officer.id, at=late)
    await asyncio.gather(rules.escalate_overdue(late + dt.timedelta(days=5)), rules.escalate_overdue(late + dt.timedelta(days=5)))
    rows = await LedgerEscalation.select(LedgerEscalation.item, LedgerEscalation.stage).order_by(LedgerEscalation.id).run()
    assert [(r["item"], r["stage"]) for r in rows][:2] == [(made["id"], "registered"), (made["id"], "assigned")]
    assert fresh["id"] in {r["item"] for r in rows}


async def test_overdue_lists_per_officer(database, area, people):
    officer, colleague, _, head = people
    for who in (officer, colleague, colleague):
        made = await new_item(officer, area)
        await rules.transition(made["id"], "assigned", officer, officer_id=who.id, at=NOW)
    await new_item(officer, area)  # registered: nobody's yet
    rows = await figures.overdue_by_officer(head, NOW + dt.timedelta(days=10))
    assert {(r["officer"], r["count"]) for r in rows} == {("Wang Li", 1), ("Li Ming", 2), ("", 1)}
    assert await figures.overdue_by_officer(head, NOW) == []


# --- Privacy and figures -------------------------------------------------------------


async def test_public_page_hides_private_items_and_personal_data(database, area, people):
    officer = people[0]
    shown = await new_item(officer, area, landmark="Zhang San's door, No. 5 Building")
    hidden = await new_item(officer, area)
    await rules.set_public_text(officer, shown["id"], "Noise at night", "Xiguan Street")
    async with nothing_changes((LedgerItem, hidden["id"]), also=(LedgerEvent,)):
        with pytest.raises(LedgerError) as refused:
            await rules.set_private(officer, hidden["id"], True, "  ")
    assert refused.value.field == "reason"
    await rules.set_private(officer, hidden["id"], True, "Names a neighbour")
    page = await figures.public_page(community_ids=[area.community_id], after=None)
    assert [r["number"] for r in page.rows] == [shown["number"]]
    text = repr(page.rows)
    for secret in ("Zhang San", "13912345678", "Loud music", "No. 5 Building"):
        assert secret not in text
    assert await AuditEntry.count().where(AuditEntry.action == "ledger.private").run() == 1
    view = await rules.tracked(shown["tracking_code"])
    assert "Zhang San" not in repr(view) and "13912345678" not in repr(view)


async def test_figures_match_the_items(database, area, people):
    officer = people[0]
    june = dt.datetime(2030, 6, 3, 2, 0, tzinfo=UTC)
    july = dt.datetime(2030, 7, 2, 2, 0, tzinfo=UTC)
    a = await new_item(officer, area, at=june)
    await walk(a["id"], officer, at=june)
    await rules.record_callback(people[1], a["id"], "phone", "Satisfied", True, at=june + dt.timedelta(days=2))
    await rules.transition(a["id"], "closed", officer, at=june + dt.timedelta(days=2))
    b = await new_item(officer, area, at=june)
    await walk(b["id"], officer, at=june)
    await LedgerItem.update({LedgerItem.reminder_sent_at: june}).where(LedgerItem.id == b["id"]).run()
    await rules.transition(b["id"], "closed_unconfirmed", officer, "no answer", policy=POLICY, at=july)
    c = await new_item(officer, area, ledger="suggestion", category="traffic", at=july)
    await rules.set_public_text(officer, c["id"], "A suggestion on traffic", "")
    await rules.transition(c["id"], "closed_out_of_remit", officer, referred_to="Traffic police", at=july + dt.timedelta(days=4))
    await new_item(officer, area, ledger="claim", category="documents", at=july)
    rows = await figures.monthly(community_ids=[area.community_id], since=dt.date(2030, 1, 1), until=dt.date(2030, 12, 31), timezone="Asia/Shanghai")
    table = {(r["month"], r["ledger"]): r for r in rows}
    june_c, july_c = table[("2030-06", "complaint")], table[("2030-07", "complaint")]
    assert (june_c["filed"], june_c["closed"], june_c["closed_satisfied"], june_c["closed_unconfirmed"], june_c["median_days"]) == (2, 1, 1, 0, 2.0)
    assert (july_c["filed"], july_c["closed"], july_c["closed_satisfied"], july_c["closed_unconfirmed"], july_c["median_days"]) == (0, 1, 0, 1, 29.0)
    july_s = table[("2030-07", "suggestion")]
    assert (july_s["filed"], july_s["closed"], july_s["closed_other"], july_s["median_days"]) == (1, 1, 1, 4.0)
    assert table[("2030-07", "claim")]["filed"] == 1
    totals = await figures.totals(community_ids=[area.community_id])
    assert totals["filed"] == 4 and totals["closed"] == 3 and totals["closed_satisfied"] == 1 and totals["closed_unconfirmed"] == 1
    assert await figures.monthly(community_ids=[area.other_station_community_id], since=dt.date(2030, 1, 1), until=dt.date(2030, 12, 31), timezone="Asia/Shanghai") == []
