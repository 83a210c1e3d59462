"""Referrals of a ledger item to other bodies (street office, judicial office, property
management, another department): sent, then answered; each step audited on the item's
timeline. Split from the lifecycle's rules, whose checks it shares."""

from __future__ import annotations

import datetime as dt

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import write_transaction
from portal.ledger.rules import NOTE_MAX, PLACE_MAX, LedgerError, _check_length, _clean, _for_change
from portal.ledger.tables import REFERRAL_BODIES, LedgerEvent, LedgerItem, LedgerReferral
from portal.web.i18n import N_



async def referrals_of(item_id: int) -> list[dict]:
    return await LedgerReferral.select(*LedgerReferral.all_columns(), LedgerReferral.by_user.real_name).where(LedgerReferral.item == item_id).order_by(LedgerReferral.id).limit(100).run()


async def add_referral(actor: Actor, item_id: int, body_kind: str, body_name: str, sent_on: dt.date | None, note: str = "", expected_version: int | None = None, at: dt.datetime | None = None) -> int:
    """Record that the item was sent to another body (when, by whom, to whom); audited."""
    body_name, note = _clean(body_name), _clean(note)
    if body_kind not in REFERRAL_BODIES:
        raise LedgerError(N_("Choose the kind of body from the list."), "body_kind")
    if not body_name:
        raise LedgerError(N_("Name the body it was sent to."), "body_name")
    _check_length(body_name, PLACE_MAX, "body_name")
    _check_length(note, NOTE_MAX, "note")
    at = at or now()
    if sent_on is None or sent_on > at.date() + dt.timedelta(days=1):
        raise LedgerError(N_("Enter the date it was sent (not in the future)."), "sent_on")
    async with write_transaction():
        item = await _for_change(actor, item_id, expected_version)
        if actor.read_only:
            raise LedgerError(N_("You may not change this item."))
        rows = await LedgerReferral.insert(LedgerReferral(item=item_id, body_kind=body_kind, body_name=body_name, sent_on=sent_on, by_user=actor.id, note=note, created_at=at)).returning(LedgerReferral.id).run()
        await LedgerItem.update({LedgerItem.updated_at: at, LedgerItem.version: item["version"] + 1}).where(LedgerItem.id == item_id).run()
        await LedgerEvent.insert(LedgerEvent(item=item_id, actor=actor.id, kind="referred", from_stage=item["stage"], to_stage=item["stage"], note=body_name, public=False, created_at=at)).run()
        await record("ledger.referral", "ledger_item", item_id, actor=actor, before={"version": item["version"]}, after={"referral": rows[0]["id"], "body_kind": body_kind, "body_name": body_name, "sent_on": sent_on.isoformat(), "version": item["version"] + 1})
    return rows[0]["id"]


async def answer_referral(actor: Actor, item_id: int, referral_id: int, answer: str, answered_on: dt.date | None, expected_version: int | None = None, at: dt.datetime | None = None) -> None:
    """Record the other body's answer to a referral of the item; audited."""
    answer = _clean(answer)
    if not answer:
        raise LedgerError(N_("Write what they answered."), "answer")
    _check_length(answer, NOTE_MAX, "answer")
    at = at or now()
    if answered_on is None or answered_on > at.date() + dt.timedelta(days=1):
        raise LedgerError(N_("Enter the date of the answer (not in the future)."), "answered_on")
    async with write_transaction():
        item = await _for_change(actor, item_id, expected_version)
        if actor.read_only:
            raise LedgerError(N_("You may not change this item."))
        before = await LedgerReferral.select(LedgerReferral.answer, LedgerReferral.answered_on, LedgerReferral.sent_on).where((LedgerReferral.id == referral_id) & (LedgerReferral.item == item_id)).first().run()
        if not before:
            raise LedgerError(N_("Choose a referral of this item."), "referral")
        if answered_on < before["sent_on"]:
            raise LedgerError(N_("The answer cannot come before the referral was sent."), "answered_on")
        await LedgerReferral.update({LedgerReferral.answer: answer, LedgerReferral.answered_on: answered_on}).where(LedgerReferral.id == referral_id).run()
        await LedgerItem.update({LedgerItem.updated_at: at, LedgerItem.version: item["version"] + 1}).where(LedgerItem.id == item_id).run()
        await LedgerEvent.insert(LedgerEvent(item=item_id, actor=actor.id, kind="referral_answer", from_stage=item["stage"], to_stage=item["stage"], note=answer, public=False, created_at=at)).run()
        await record(
            "ledger.referral_answer", "ledger_item", item_id, actor=actor,
            before={"referral": referral_id, "answer": before["answer"], "answered_on": before["answered_on"].isoformat() if before["answered_on"] else None},
            after={"referral": referral_id, "answer": answer, "answered_on": answered_on.isoformat()},
        )
