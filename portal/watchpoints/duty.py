"""The duty roster of a community's officers and who is on duty at a moment.

A slot names one officer of the community, a weekday (every week) or one date, and a
time range in the community's time zone; with ``overnight`` it ends the next morning.
Slots on a date replace that date's weekday slots (a holiday, a swap). The public
pages show the officers on duty now and fall back to every officer of the community
when nobody is. Officers and station heads reaching the community edit the roster;
every change is audited under ("duty", community id).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import Statement, write_transaction
from portal.watchpoints import hours as H
from portal.watchpoints.rules import officers_of
from portal.watchpoints.tables import DutySlot
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext

MAX_SLOTS = 200  # per community: a roster, not a calendar
MAX_DAYS_AHEAD = 366


class DutyError(ValueError):
    """A rule refused the slot; ``field`` names the form field it belongs to."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Slot:
    officer_id: int
    starts: dt.time
    ends: dt.time
    weekday: int | None = None
    on_date: dt.date | None = None
    overnight: bool = False


async def community_officer_ids(community_id: int) -> set[int]:
    """Active users holding the officer role in the community (not station heads)."""
    return {officer["id"] for officer in await officers_of(community_id)}


def check(slot: Slot, officer_ids: set[int], today: dt.date) -> None:
    if slot.officer_id not in officer_ids:
        raise DutyError("officer", _("Choose an officer of this community."))
    if (slot.weekday is None) == (slot.on_date is None):
        raise DutyError("day", _("Choose a weekday or a date."))
    if slot.weekday is not None and not 0 <= slot.weekday <= 6:
        raise DutyError("day", _("Choose a weekday or a date."))
    if slot.on_date is not None:
        if slot.on_date < today:
            raise DutyError("on_date", _("The date has passed."))
        if slot.on_date > today + dt.timedelta(days=MAX_DAYS_AHEAD):
            raise DutyError("on_date", _("Plan at most a year ahead."))
    issue = H.problem(H.Day(H.OPEN, slot.starts, slot.ends, slot.overnight))
    if issue == "closes_before_opening":
        raise DutyError("ends", _("The end must be after the start, unless you tick \"ends after midnight\"."))
    if issue == "overnight_but_closes_later":
        raise DutyError("ends", _("With \"ends after midnight\", the end is on the next morning and must be at or before the start."))


async def add_slot(actor: Actor, community_id: int, slot: Slot, timezone: str) -> int:
    if not actor.reaches(community_id, "officer"):
        raise PermissionError(community_id)
    check(slot, await community_officer_ids(community_id), H.local_now(now(), timezone).date())
    after = {
        "officer": slot.officer_id, "weekday": slot.weekday, "on_date": slot.on_date,
        "starts": slot.starts.strftime("%H:%M"), "ends": slot.ends.strftime("%H:%M"), "overnight": slot.overnight,
    }
    async with write_transaction():
        if await DutySlot.count().where(DutySlot.community == community_id).run() >= MAX_SLOTS:
            raise DutyError("day", ngettext("A roster holds at most %(count)d entry: remove old ones first.", "A roster holds at most %(count)d entries: remove old ones first.", MAX_SLOTS, count=MAX_SLOTS))
        created = await DutySlot.insert(
            DutySlot(community=community_id, officer=slot.officer_id, weekday=slot.weekday, on_date=slot.on_date, starts=after["starts"], ends=after["ends"], overnight=slot.overnight, created_at=now())
        ).returning(DutySlot.id).run()
        slot_id = created[0]["id"]
        await record("duty.added", "duty", community_id, actor=actor, after={"slot": slot_id, **after})
    return slot_id


async def remove_slot(actor: Actor, community_id: int, slot_id: int) -> bool:
    """Remove a slot of the community; False when there is no such slot there."""
    if not actor.reaches(community_id, "officer"):
        raise PermissionError(community_id)
    async with write_transaction():
        row = await DutySlot.select().where((DutySlot.id == slot_id) & (DutySlot.community == community_id)).first().run()
        if not row:
            return False
        await DutySlot.delete().where(DutySlot.id == slot_id).run()
        before = {k: row[k] for k in ("officer", "weekday", "on_date", "starts", "ends", "overnight")}
        await record("duty.removed", "duty", community_id, actor=actor, before={"slot": slot_id, **before})
    return True


async def roster(community_id: int) -> list[dict]:
    """The community's slots: weekly ones by weekday and start, then dated ones by date."""
    rows = await DutySlot.select(
        DutySlot.id, DutySlot.officer, DutySlot.weekday, DutySlot.on_date, DutySlot.starts, DutySlot.ends, DutySlot.overnight, DutySlot.officer.real_name
    ).where(DutySlot.community == community_id).limit(MAX_SLOTS).run()
    return sorted(rows, key=lambda r: (r["on_date"] is not None, r["on_date"] or dt.date.min, r["weekday"] or 0, r["starts"], r["id"]))


def _covers(row: dict, minute: dt.time, tail: bool) -> bool:
    """Whether ``row`` covers the local time ``minute`` of its own day (``tail`` False) or
    of the next morning (``tail`` True, only overnight slots reach there)."""
    starts, ends = dt.time.fromisoformat(row["starts"]), dt.time.fromisoformat(row["ends"])
    if tail:
        return bool(row["overnight"]) and minute < ends
    if row["overnight"]:
        return minute >= starts
    return starts <= minute < ends


def _slots_of_day(rows: list[dict], day: dt.date) -> list[dict]:
    dated = [r for r in rows if r["on_date"] == day]
    return dated or [r for r in rows if r["on_date"] is None and r["weekday"] == day.weekday()]


# The slots of two weekdays and two dates that may cover a moment (portal.db.Statement:
# every public page of a point or community asks).
_SLOTS_NEAR = Statement(lambda p: DutySlot.select(DutySlot.id, DutySlot.officer, DutySlot.weekday, DutySlot.on_date, DutySlot.starts, DutySlot.ends, DutySlot.overnight).where(
    (DutySlot.community == p.community) & (DutySlot.weekday.is_in(p.weekdays) | DutySlot.on_date.is_in(p.dates))
).order_by(DutySlot.starts).order_by(DutySlot.id).limit(MAX_SLOTS))


async def _on_duty_in_roster(community_id: int, at: dt.datetime, timezone: str) -> list[int]:
    """Officer ids the roster puts on duty at ``at`` (in roster order), whoever they are now."""
    local = H.local_now(at, timezone)
    today, yesterday = local.date(), local.date() - dt.timedelta(days=1)
    rows = await _SLOTS_NEAR.run(community=community_id, weekdays=[today.weekday(), yesterday.weekday()], dates=[today, yesterday])
    minute = local.time().replace(second=0, microsecond=0)
    found = [r["officer"] for r in _slots_of_day(rows, today) if _covers(r, minute, tail=False)]
    found += [r["officer"] for r in _slots_of_day(rows, yesterday) if _covers(r, minute, tail=True)]
    return list(dict.fromkeys(found))


async def on_duty_ids(community_id: int, at: dt.datetime, timezone: str) -> list[int]:
    """Ids of the community's officers on duty at ``at`` (in roster order), counting only
    people who are still active officers of the community."""
    officers, on_duty = await who_to_call(community_id, at, timezone)
    return [officer["id"] for officer in officers] if on_duty else []


async def who_to_call(community_id: int, at: dt.datetime, timezone: str) -> tuple[list[dict], bool]:
    """The officers a visitor should call at ``at`` and whether they are the ones on duty
    (True) or, with nobody on duty, every officer of the community (False)."""
    found = await _on_duty_in_roster(community_id, at, timezone)
    officers = await officers_of(community_id)
    by_id = {officer["id"]: officer for officer in officers}
    on_duty = [by_id[i] for i in found if i in by_id]
    return (on_duty, True) if on_duty else (officers, False)
