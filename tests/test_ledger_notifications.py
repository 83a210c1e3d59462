"""Ledger notifications: every kind has a body in both languages, stages by their
translated names (never their codes), and a repeated message about the same thing is one
row with a count in the inbox."""

from __future__ import annotations

import datetime as dt
import re

from portal.accounts.rules import load_actor
from portal.ledger import rules
from portal.ledger.rules import NewItem, Policy
from portal.notifications.rules import notify
from portal.notifications.tables import Notification
from portal.web.i18n import N_

NOW = dt.datetime(2030, 6, 3, 2, 0, tzinfo=dt.timezone.utc)
CODES = re.compile(r"\b(registered|assigned|in_progress|handled|feedback_given|closed_unconfirmed|closed_duplicate|closed_out_of_remit|timed_out)\b")


async def test_every_ledger_notification_has_a_translated_body_in_both_languages(area, make_user):
    for language in ("zh_CN", "en"):
        await Notification.delete(force=True).run()
        owner = await load_actor(await make_user("officer", preferred_language=language))
        colleague = await load_actor(await make_user("officer", preferred_language=language))
        head_id = await make_user("head", preferred_language=language)
        made = []
        for n in range(3):
            item = await rules.file_item(colleague, NewItem(ledger="complaint", category="noise", community_id=area.community_id, summary=f"Noise {n}"), at=NOW)
            await rules.transition(item["id"], "assigned", colleague, officer_id=owner.id, at=NOW)  # "... is yours"
            made.append(item)
        await rules.escalate_overdue(NOW + dt.timedelta(days=30))  # "Overdue" to the head, with the stage
        for item in made:
            await rules.transition(item["id"], "in_progress", owner, at=NOW)
            await rules.transition(item["id"], "handled", owner, "Done", at=NOW)
            await rules.set_public_text(owner, item["id"], "Noise at night", "")
            await rules.transition(item["id"], "feedback_given", owner, "Answered", at=NOW)
        await rules.record_callback(colleague, made[0]["id"], "phone", "Fine now", True, at=NOW)  # "Callback on ..."
        await rules.answer_from_tracking(made[1]["tracking_code"], False, "Still loud", None, at=NOW)  # "Not satisfied"
        await rules.feedback_fallback(NOW + dt.timedelta(days=4), Policy())  # "Ask about ..."
        await rules.feedback_fallback(NOW + dt.timedelta(days=9), Policy())  # closed without confirmation, no reason typed
        rows = await Notification.select(Notification.user, Notification.subject, Notification.body).where(Notification.kind == "ledger").run()
        subjects = {r["subject"] for r in rows}
        assert len(rows) >= 8, rows
        for row in rows:
            assert row["body"].strip() and not row["body"].rstrip().endswith(":"), row
            assert not CODES.search(row["subject"] + " " + row["body"]), row
        overdue = [r for r in rows if r["user"] == head_id]
        assert overdue, subjects
        stage = "已指派" if language == "zh_CN" else "Assigned"
        assert any(stage in r["body"] for r in overdue), overdue
        if language == "zh_CN":
            assert all(re.search(r"[\u4e00-\u9fff]", r["body"]) for r in rows), rows


async def test_a_repeated_message_about_the_same_thing_is_one_row_with_a_count(client_for):
    client, user_id = await client_for("officer")
    for _ in range(3):
        await notify(user_id, "ledger", N_("Callback on %(number)s"), N_("A colleague called the person back: satisfied."), "/ledger/1", number="CZ-2030-000001")
    await notify(user_id, "ledger", N_("Callback on %(number)s"), N_("A colleague called the person back: satisfied."), "/ledger/2", number="CZ-2030-000002")
    rows = await Notification.select(Notification.link, Notification.repeats).where(Notification.user == user_id).order_by(Notification.link).run()
    assert rows == [{"link": "/ledger/1", "repeats": 3}, {"link": "/ledger/2", "repeats": 1}]
    page = (await client.get("/inbox")).text
    assert page.count("Callback on CZ-2030-000001") == 1 and "3 times" in page
    # Once read, the next one is a new row again.
    await Notification.update({Notification.read_at: NOW}).where(Notification.user == user_id).run()
    await notify(user_id, "ledger", N_("Callback on %(number)s"), N_("A colleague called the person back: satisfied."), "/ledger/1", number="CZ-2030-000001")
    assert await Notification.count().where(Notification.user == user_id).run() == 3
