"""Nobody left holding nothing: what an officer or head holds, and handing it to a
successor in the same step as deactivating them or removing one of their roles.

What someone holds (``holdings(user_id, grant_id=None)``; with a grant, only what that
role gives and no other role of theirs keeps):

- ``ledger_item``: open ledger items they are accountable for (``ledger_item.officer``);
- ``duty_slot``: their duty roster entries that still lie ahead (weekly ones, and dated
  ones from today);
- ``watch_point`` and ``application``: watch points waiting for verification and volunteer
  applications waiting for review in a community where they are the only active community
  officer. Nobody is assigned to those by name, so the community would be left with
  nobody to decide them; the successor is recorded as taking them over (audited) and told;
- ``pairing``: their 联访解 pairings not ended (``pairing.officer``): the successor keeps
  them from then on, with their contact log (each contact keeps who made it);
- ``council_resolution``: the 进建商 resolutions they own that are still open
  (``council_resolution.owner``).

Who may take an item: for ledger items, watch points, applications and pairings whoever
the ledger may make accountable in that community (``portal.ledger.rules.officers_of``: its
active officers and its station's heads); for a resolution whoever may own one of the
station (``portal.councils.rules.owners_of``: the active officers of its communities and its
heads); for a duty entry an active officer of the community
(the duty roster's own rule). ``hand_over`` moves everything and deactivates the user or
removes the role in ONE write transaction, with one audit row per moved item (before and
after) and the user's own row; it raises ``HandoverError`` and changes nothing when an
item has no valid successor.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo
from dataclasses import dataclass, field

from portal.accounts import rules as accounts
from portal.accounts.tables import RoleGrant, User
from portal.audit.rules import record
from portal.councils.rules import owners_of
from portal.councils.tables import CouncilResolution
from portal.db import write_transaction
from portal.ledger.rules import officers_of as accountable_in
from portal.ledger.tables import OPEN_STAGES, LedgerEvent, LedgerItem
from portal.notifications.rules import notify
from portal.pairings.tables import Pairing
from portal.stations.tables import Community
from portal.volunteers.tables import VolunteerProfile
from portal.watchpoints.duty import community_officer_ids
from portal.watchpoints.tables import DutySlot, WatchPoint
from portal.web.i18n import N_
from portal.web.i18n import gettext as _

LIMIT = 500  # items of one kind listed and moved in one step
KINDS = ("ledger_item", "duty_slot", "watch_point", "application", "pairing", "council_resolution")


@dataclass(frozen=True)
class Holding:
    kind: str
    id: int
    community_id: int
    community: dict  # name_zh, name_en
    label: str
    link: str

    @property
    def key(self) -> str:
        """The name of this item's successor field on the confirmation page."""
        return f"successor-{self.kind}-{self.id}"


class HandoverError(ValueError):
    """Items without a valid successor: ``errors`` maps a form field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Choice:
    """The successor for all (``everyone``) and per item (``per_item``: key -> user id)."""

    everyone: int | None = None
    per_item: dict[str, int] = field(default_factory=dict)

    def for_item(self, holding: Holding) -> int | None:
        return self.per_item.get(holding.key) or self.everyone


async def _grants(user_id: int) -> list[dict]:
    return await RoleGrant.select(RoleGrant.id, RoleGrant.role, RoleGrant.station, RoleGrant.community).where(RoleGrant.user == user_id).run()


def _reaches(grants: list[dict], community_id: int, station_id: int) -> bool:
    return any((g["role"] == "officer" and g["community"] == community_id) or (g["role"] == "head" and g["station"] == station_id) for g in grants)


def _owns_in(grants: list[dict], station_id: int, station_of: dict[int, int]) -> bool:
    return any((g["role"] == "officer" and station_of.get(g["community"]) == station_id) or (g["role"] == "head" and g["station"] == station_id) for g in grants)


def _is_officer_of(grants: list[dict], community_id: int) -> bool:
    return any(g["role"] == "officer" and g["community"] == community_id for g in grants)


def _community(row: dict, prefix: str = "community.") -> dict:
    return {"name_zh": row[f"{prefix}name_zh"], "name_en": row[f"{prefix}name_en"]}


async def holdings(user_id: int, grant_id: int | None = None, at: dt.datetime | None = None) -> list[Holding]:
    """What the user holds (see the module docstring); with ``grant_id``, what that one
    role gives them and no other role of theirs keeps."""
    at = at or accounts.now()
    grants = await _grants(user_id)
    if grant_id is None:
        losing, keeping = grants, []
    else:
        losing = [g for g in grants if g["id"] == grant_id]
        keeping = [g for g in grants if g["id"] != grant_id]
        if not losing or losing[0]["role"] not in ("officer", "head"):
            return []
    held: list[Holding] = []

    items = await LedgerItem.select(
        LedgerItem.id, LedgerItem.number, LedgerItem.summary, LedgerItem.community, LedgerItem.station, LedgerItem.community.name_zh, LedgerItem.community.name_en
    ).where((LedgerItem.officer == user_id) & LedgerItem.stage.is_in(list(OPEN_STAGES))).order_by(LedgerItem.id).limit(LIMIT).run()
    for item in items:
        if grant_id is None or (_reaches(losing, item["community"], item["station"]) and not _reaches(keeping, item["community"], item["station"])):
            held.append(Holding("ledger_item", item["id"], item["community"], _community(item), f"{item['number']} · {item['summary'][:60]}", f"/ledger/{item['id']}"))

    slots = await DutySlot.select(
        DutySlot.id, DutySlot.community, DutySlot.weekday, DutySlot.on_date, DutySlot.starts, DutySlot.ends,
        DutySlot.community.name_zh, DutySlot.community.name_en, DutySlot.community.timezone,
    ).where((DutySlot.officer == user_id) & (DutySlot.weekday.is_not_null() | (DutySlot.on_date >= at.date() - dt.timedelta(days=1)))).order_by(DutySlot.id).limit(LIMIT).run()
    for slot in slots:
        if slot["on_date"] and slot["on_date"] < at.astimezone(ZoneInfo(slot["community.timezone"])).date():
            continue  # a date that has passed in the community's zone
        if grant_id is None or (_is_officer_of(losing, slot["community"]) and not _is_officer_of(keeping, slot["community"])):
            when = slot["on_date"].isoformat() if slot["on_date"] else _weekday(slot["weekday"])
            held.append(Holding("duty_slot", slot["id"], slot["community"], _community(slot), f"{when} {slot['starts']}–{slot['ends']}", f"/communities/{slot['community']}/duty"))

    pairings = await Pairing.select(
        Pairing.id, Pairing.name, Pairing.kind, Pairing.community, Pairing.community.station, Pairing.community.name_zh, Pairing.community.name_en
    ).where((Pairing.officer == user_id) & Pairing.ended_on.is_null()).order_by(Pairing.id).limit(LIMIT).run()
    for pairing in pairings:
        if grant_id is None or (_reaches(losing, pairing["community"], pairing["community.station"]) and not _reaches(keeping, pairing["community"], pairing["community.station"])):
            held.append(Holding("pairing", pairing["id"], pairing["community"], _community(pairing), pairing["name"], f"/pairings/{pairing['id']}"))

    resolutions = await CouncilResolution.select(
        CouncilResolution.id, CouncilResolution.seq, CouncilResolution.matter, CouncilResolution.session, CouncilResolution.session.station,
        CouncilResolution.session.community, CouncilResolution.session.community.name_zh, CouncilResolution.session.community.name_en,
    ).where((CouncilResolution.owner == user_id) & (CouncilResolution.status == "open")).order_by(CouncilResolution.id).limit(LIMIT).run()
    if resolutions:
        station_of = {c["id"]: c["station"] for c in await Community.select(Community.id, Community.station).run()}
    for resolution in resolutions:
        station = resolution["session.station"]
        # An owner is an officer of any community of the station or its head.
        if grant_id is None or (_owns_in(losing, station, station_of) and not _owns_in(keeping, station, station_of)):
            held.append(Holding(
                "council_resolution", resolution["id"], resolution["session.community"], _community(resolution, "session.community."),
                f"#{resolution['seq']} · {resolution['matter'][:60]}", f"/councils/{resolution['session']}#resolution-{resolution['id']}",
            ))

    # Communities the user leaves without any active community officer.
    leaving = sorted({g["community"] for g in losing if g["role"] == "officer" and g["community"] and not _is_officer_of(keeping, g["community"])})
    if leaving:
        others = await RoleGrant.select(RoleGrant.community).where(
            (RoleGrant.role == "officer") & RoleGrant.community.is_in(leaving) & (RoleGrant.user != user_id) & (RoleGrant.user.active == True)  # noqa: E712
        ).run()
        alone = [c for c in leaving if c not in {o["community"] for o in others}]
        if alone:
            points = await WatchPoint.select(WatchPoint.id, WatchPoint.name_zh, WatchPoint.name_en, WatchPoint.community, WatchPoint.community.name_zh, WatchPoint.community.name_en).where(
                WatchPoint.community.is_in(alone) & (WatchPoint.status == "pending")
            ).order_by(WatchPoint.id).limit(LIMIT).run()
            for point in points:
                held.append(Holding("watch_point", point["id"], point["community"], _community(point), point["name_zh"], f"/watchpoints/{point['id']}"))
            profiles = await VolunteerProfile.select(
                VolunteerProfile.id, VolunteerProfile.community, VolunteerProfile.user.real_name, VolunteerProfile.community.name_zh, VolunteerProfile.community.name_en
            ).where(VolunteerProfile.community.is_in(alone) & (VolunteerProfile.status == "pending")).order_by(VolunteerProfile.id).limit(LIMIT).run()
            for profile in profiles:
                held.append(Holding("application", profile["id"], profile["community"], _community(profile), profile["user.real_name"], f"/officer/volunteers/{profile['id']}"))
    return held


def _weekday(number: int) -> str:
    from portal.watchpoints.forms import WEEKDAYS

    return str(WEEKDAYS[number]) if number is not None and 0 <= number < 7 else "?"


async def eligible(held: list[Holding], user_id: int) -> dict[str, list[dict]]:
    """Who may take each item (``Holding.key`` -> [{id, real_name}]), never the user."""
    by_community: dict[tuple[str, int], list[dict]] = {}
    result: dict[str, list[dict]] = {}
    for holding in held:
        rule = {"duty_slot": "duty", "council_resolution": "council"}.get(holding.kind, "ledger")
        cache_key = (rule, holding.community_id)
        if cache_key not in by_community:
            if rule == "council":
                station = await Community.select(Community.station).where(Community.id == holding.community_id).first().run()
                people = await owners_of(station["station"])
            else:
                people = await accountable_in(holding.community_id)
            if rule == "duty":
                officers = await community_officer_ids(holding.community_id)
                people = [p for p in people if p["id"] in officers]
            by_community[cache_key] = [p for p in people if p["id"] != user_id]
        result[holding.key] = by_community[cache_key]
    return result


def successor_choices(allowed: dict[str, list[dict]]) -> list[dict]:
    """Everyone who may take at least one item, by name: the one-for-all choice."""
    seen: dict[int, dict] = {}
    for people in allowed.values():
        for person in people:
            seen.setdefault(person["id"], person)
    return sorted(seen.values(), key=lambda p: (p["real_name"], p["id"]))


def check(held: list[Holding], allowed: dict[str, list[dict]], choice: Choice, names: dict[int, str]) -> dict[str, str]:
    """Field errors of a choice: every item needs a successor who may take it."""
    errors: dict[str, str] = {}
    missing = False
    for holding in held:
        chosen = choice.for_item(holding)
        if chosen is None:
            missing = True
            continue
        if chosen not in {p["id"] for p in allowed[holding.key]}:
            community = holding.community["name_zh"]
            if holding.kind == "duty_slot":
                errors[holding.key] = _("%(name)s is not an officer of %(community)s: choose someone else for this entry.", name=names.get(chosen, "?"), community=community)
            elif holding.kind == "council_resolution":
                errors[holding.key] = _("%(name)s is not an officer or head of the station of %(community)s: choose someone else for this resolution.", name=names.get(chosen, "?"), community=community)
            else:
                errors[holding.key] = _("%(name)s is not an officer of %(community)s or head of its station: choose someone else for this item.", name=names.get(chosen, "?"), community=community)
    if missing:
        errors["successor"] = _("Choose who takes over what this person holds: one person for everything, or one per item.")
    elif errors and choice.everyone is not None:
        errors["successor"] = _("The person chosen for everything cannot take every item: choose another one for the items marked below.")
    return errors


async def names_of(ids) -> dict[int, str]:
    ids = sorted({i for i in ids if i})
    if not ids:
        return {}
    rows = await User.select(User.id, User.real_name).where(User.id.is_in(ids)).run()
    return {row["id"]: row["real_name"] for row in rows}


async def hand_over(actor, user_id: int, choice: Choice, sessions, grant_id: int | None = None) -> int:
    """Move what the user holds to the chosen successors and deactivate the user (or,
    with ``grant_id``, remove that role), all in one transaction. Returns how many items
    moved; raises ``HandoverError`` (nothing changed) when an item has no valid successor
    and ``LookupError`` when the user or the role does not exist."""
    moved_to: dict[int, int] = {}
    async with write_transaction():
        if not await User.exists().where(User.id == user_id).run():
            raise LookupError(user_id)
        if grant_id is not None and not await RoleGrant.exists().where((RoleGrant.id == grant_id) & (RoleGrant.user == user_id)).run():
            raise LookupError(grant_id)
        held = await holdings(user_id, grant_id)
        allowed = await eligible(held, user_id)
        names = await names_of([choice.everyone, *choice.per_item.values()])
        errors = check(held, allowed, choice, names)
        if errors:
            raise HandoverError(errors)
        at = accounts.now()
        for holding in held:
            successor = choice.for_item(holding)
            await _move(actor, holding, user_id, successor, names[successor], at)
            moved_to[successor] = moved_to.get(successor, 0) + 1
        for successor, count in moved_to.items():
            await notify(successor, "handover", N_("You took over from %(name)s"),
                         N_("What %(name)s held was handed to you: open ledger items, duty entries, watch points and applications waiting for review, pairings or resolutions of sessions with citizens (%(count)s in all)."),
                         "/", name=await _name(user_id), count=count)
        if grant_id is None:
            await accounts.set_active(actor, user_id, False, sessions)
        else:
            await accounts.revoke_role(actor, user_id, grant_id)
    return sum(moved_to.values())


async def _name(user_id: int) -> str:
    row = await User.select(User.real_name).where(User.id == user_id).first().run()
    return row["real_name"] if row else "?"


async def _move(actor, holding: Holding, user_id: int, successor: int, successor_name: str, at: dt.datetime) -> None:
    if holding.kind == "ledger_item":
        item = await LedgerItem.select(LedgerItem.stage, LedgerItem.version).where(LedgerItem.id == holding.id).first().run()
        await LedgerItem.update({LedgerItem.officer: successor, LedgerItem.version: item["version"] + 1, LedgerItem.updated_at: at}).where(LedgerItem.id == holding.id).run()
        await LedgerEvent.insert(LedgerEvent(item=holding.id, actor=actor.id, kind="reassigned", from_stage=item["stage"], to_stage=item["stage"], note=successor_name, public=True, created_at=at)).run()
        await record("ledger.handed_over", "ledger_item", holding.id, actor=actor, before={"officer": user_id, "version": item["version"]}, after={"officer": successor, "version": item["version"] + 1})
    elif holding.kind == "duty_slot":
        await DutySlot.update({DutySlot.officer: successor}).where(DutySlot.id == holding.id).run()
        await record("duty.handed_over", "duty", holding.community_id, actor=actor, before={"slot": holding.id, "officer": user_id}, after={"slot": holding.id, "officer": successor})
    elif holding.kind == "pairing":
        row = await Pairing.select(Pairing.version).where(Pairing.id == holding.id).first().run()
        await Pairing.update({Pairing.officer: successor, Pairing.version: row["version"] + 1, Pairing.updated_at: at}).where(Pairing.id == holding.id).run()
        await record("pairing.handed_over", "pairing", holding.id, actor=actor, before={"officer": user_id, "version": row["version"]}, after={"officer": successor, "version": row["version"] + 1})
    elif holding.kind == "council_resolution":
        row = await CouncilResolution.select(CouncilResolution.version).where(CouncilResolution.id == holding.id).first().run()
        await CouncilResolution.update({CouncilResolution.owner: successor, CouncilResolution.version: row["version"] + 1, CouncilResolution.updated_at: at}).where(CouncilResolution.id == holding.id).run()
        await record("council.resolution_handed_over", "council_resolution", holding.id, actor=actor, before={"owner": user_id, "version": row["version"]}, after={"owner": successor, "version": row["version"] + 1})
    else:
        # Nobody is assigned to these by name: the audit row records who takes them over.
        object_type = "watch_point" if holding.kind == "watch_point" else "volunteer_profile"
        await record(f"{object_type}.handed_over", object_type, holding.id, actor=actor, before={"held_by": user_id}, after={"held_by": successor})

