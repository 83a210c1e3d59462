"""Nobody left holding nothing: deactivating an officer or removing their role lists what
they hold (open ledger items, duty entries ahead, and the pending watch points and
applications of a community they alone look after) and hands it to a successor in the
same audited step; without a valid successor nothing changes; with nothing held the
plain confirmation stays."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.accounts.rules import load_actor
from portal.accounts.tables import RoleGrant, User
from portal.audit.tables import AuditEntry
from portal.ledger.rules import NewItem, file_item, transition
from portal.ledger.tables import LedgerEvent, LedgerItem
from portal.notifications.tables import Notification
from portal.volunteers.rules import ensure_profile
from portal.volunteers.tables import VolunteerProfile
from portal.watchpoints import duty
from portal.watchpoints import rules as points
from portal.watchpoints.tables import DutySlot, WatchPoint
from tests.conftest import field_error, post_form
from tests.unchanged import nothing_changes


async def an_item(community_id: int, officer_id: int, assigner_id: int, summary: str = "Noise at night") -> int:
    item = await file_item(None, NewItem(ledger="complaint", category="noise", community_id=community_id, summary=summary))
    await transition(item["id"], "assigned", await load_actor(assigner_id), officer_id=officer_id)
    return item["id"]


async def a_slot(community_id: int, officer_id: int, **when) -> int:
    slot = duty.Slot(officer_id, dt.time(8), dt.time(17), **(when or {"weekday": 0}))
    return await duty.add_slot(await load_actor(officer_id), community_id, slot, "Asia/Shanghai")


async def audit(action: str) -> list[dict]:
    return await AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id).output(load_json=True).run()


async def test_deactivating_the_only_officer_hands_everything_to_one_successor(area, client_for, make_user):
    admin, _admin_id = await client_for("admin")
    officer = await make_user("officer", real_name="Officer Wang")
    head = await make_user("head", real_name="Head Li")
    elsewhere = await make_user("officer", community_id=area.other_community_id, real_name="Officer Zhao")
    item = await an_item(area.community_id, officer, head)
    closed = await an_item(area.community_id, officer, head, "Already settled")
    await LedgerItem.update({LedgerItem.stage: "closed"}).where(LedgerItem.id == closed).run()
    host = await make_user("host")
    point = await points.apply(await load_actor(host), points.PointData(community_id=area.community_id, name_zh="平安药店", kind="pharmacy", address="路 1 号"), None, str(uuid.uuid4()))
    applicant = await make_user("volunteer", real_name="Applicant Chen")
    await ensure_profile(None, applicant, area.community_id, status="pending")
    profile = (await VolunteerProfile.select(VolunteerProfile.id).where(VolunteerProfile.user == applicant).first().run())["id"]

    # The confirmation lists what the officer holds, with links; not the closed item.
    page = await admin.get(f"/admin/users/{officer}/deactivate")
    assert page.status_code == 200
    for link in (f"/ledger/{item}", f"/watchpoints/{point}", f"/officer/volunteers/{profile}"):
        assert f'href="{link}"' in page.text
    assert f'href="/ledger/{closed}"' not in page.text
    assert 'name="successor"' in page.text and f'name="successor-ledger_item-{item}"' in page.text
    assert "Head Li" in page.text and "Officer Zhao" not in page.text  # only who may take them is offered

    # Without a successor, or with one who may not take the items, nothing changes.
    targets = ((User, officer), (LedgerItem, item), (WatchPoint, point), (VolunteerProfile, profile))
    async with nothing_changes(*targets, also=(LedgerEvent, RoleGrant, DutySlot)):
        refused = await post_form(admin, f"/admin/users/{officer}/deactivate")
        assert refused.status_code == 422 and field_error(refused.text, "successor")
        refused = await post_form(admin, f"/admin/users/{officer}/deactivate", {"successor": str(elsewhere)})
        assert refused.status_code == 422
        assert "Officer Zhao is not an officer of" in field_error(refused.text, f"successor-ledger_item-{item}")
        assert field_error(refused.text, f"successor-watch_point-{point}") and field_error(refused.text, f"successor-application-{profile}")
        refused = await post_form(admin, f"/admin/users/{officer}/deactivate", {"successor": "not a number"})
        assert refused.status_code == 422

    # One successor for everything: moved and deactivated in one step, each move audited.
    version = (await LedgerItem.select(LedgerItem.version).where(LedgerItem.id == item).first().run())["version"]
    done = await post_form(admin, f"/admin/users/{officer}/deactivate", {"successor": str(head)})
    assert done.status_code == 303
    assert (await User.select(User.active).where(User.id == officer).first().run())["active"] is False
    moved = await LedgerItem.select(LedgerItem.officer, LedgerItem.version, LedgerItem.stage).where(LedgerItem.id == item).first().run()
    assert moved == {"officer": head, "version": version + 1, "stage": "assigned"}
    assert (await LedgerItem.select(LedgerItem.officer).where(LedgerItem.id == closed).first().run())["officer"] == officer
    assert (await LedgerEvent.select(LedgerEvent.kind, LedgerEvent.note).order_by(LedgerEvent.id, ascending=False).first().run()) == {"kind": "reassigned", "note": "Head Li"}
    [ledger] = await audit("ledger.handed_over")
    assert ledger["object_id"] == str(item) and ledger["before"]["officer"] == officer and ledger["after"]["officer"] == head
    assert [(a["object_id"], a["after"]) for a in await audit("watch_point.handed_over")] == [(str(point), {"held_by": head})]
    assert [(a["object_id"], a["after"]) for a in await audit("volunteer_profile.handed_over")] == [(str(profile), {"held_by": head})]
    assert len(await audit("user.deactivated")) == 1
    assert await Notification.count().where((Notification.user == head) & (Notification.kind == "handover")).run() == 1


async def test_removing_a_role_hands_over_what_that_role_held_per_item(area, client_for, make_user):
    admin, _admin_id = await client_for("admin")
    officer = await make_user("officer", real_name="Officer Wang")
    await post_form(admin, f"/admin/users/{officer}/roles", {"role": "officer", "community": str(area.other_community_id), "station": "0"})
    grant_a = (await RoleGrant.select(RoleGrant.id).where((RoleGrant.user == officer) & (RoleGrant.community == area.community_id)).first().run())["id"]
    colleague = await make_user("officer", real_name="Officer Sun")  # also of the first community
    head = await make_user("head", real_name="Head Li")
    item_a = await an_item(area.community_id, officer, head)
    item_b = await an_item(area.other_community_id, officer, head)
    slot = await a_slot(area.community_id, officer)
    past = await a_slot(area.community_id, officer, on_date=dt.date.today() + dt.timedelta(days=3))
    await DutySlot.update({DutySlot.on_date: dt.date(2020, 1, 6)}).where(DutySlot.id == past).run()  # a date gone by

    # The role's page lists what that role holds: the first community's item and duty ahead.
    page = await admin.get(f"/admin/users/{officer}/roles/{grant_a}/revoke")
    assert page.status_code == 200
    assert f'href="/ledger/{item_a}"' in page.text and f'name="successor-duty_slot-{slot}"' in page.text
    assert f'href="/ledger/{item_b}"' not in page.text and f"successor-duty_slot-{past}" not in page.text
    assert "successor-watch_point" not in page.text  # the community keeps an officer

    # A head cannot stand on the duty roster: chosen for everything, that entry is refused.
    async with nothing_changes((RoleGrant, grant_a), (LedgerItem, item_a), (DutySlot, slot), also=(LedgerEvent,)):
        refused = await post_form(admin, f"/admin/users/{officer}/roles/{grant_a}/revoke", {"successor": str(head)})
        assert refused.status_code == 422
        assert "Head Li is not an officer of" in field_error(refused.text, f"successor-duty_slot-{slot}")
        assert field_error(refused.text, "successor") and not field_error(refused.text, f"successor-ledger_item-{item_a}")
        assert f'<option value="{head}" selected>' in refused.text  # the choice comes back

    # Per item: the head takes the ledger item, the colleague the duty entry.
    done = await post_form(admin, f"/admin/users/{officer}/roles/{grant_a}/revoke", {"successor": str(head), f"successor-duty_slot-{slot}": str(colleague)})
    assert done.status_code == 303
    assert not await RoleGrant.exists().where(RoleGrant.id == grant_a).run()
    assert (await LedgerItem.select(LedgerItem.officer).where(LedgerItem.id == item_a).first().run())["officer"] == head
    assert (await LedgerItem.select(LedgerItem.officer).where(LedgerItem.id == item_b).first().run())["officer"] == officer  # kept by the other role
    assert (await DutySlot.select(DutySlot.officer).where(DutySlot.id == slot).first().run())["officer"] == colleague
    [moved_duty] = await audit("duty.handed_over")
    assert moved_duty["before"] == {"slot": slot, "officer": officer} and moved_duty["after"] == {"slot": slot, "officer": colleague}
    assert len(await audit("role.revoked")) == 1 and len(await audit("ledger.handed_over")) == 1
    assert (await User.select(User.active).where(User.id == officer).first().run())["active"] is True


async def test_with_nothing_held_the_plain_confirmation_stays(area, client_for, make_user):
    admin, _admin_id = await client_for("admin")
    officer = await make_user("officer")
    await make_user("officer")  # the community keeps an officer
    grant = (await RoleGrant.select(RoleGrant.id).where(RoleGrant.user == officer).first().run())["id"]
    page = await admin.get(f"/admin/users/{officer}/deactivate")
    assert page.status_code == 200 and 'name="successor"' not in page.text
    assert 'name="successor"' not in (await admin.get(f"/admin/users/{officer}/roles/{grant}/revoke")).text
    assert (await admin.get(f"/admin/users/{officer}/roles/999999/revoke")).status_code == 404
    assert (await post_form(admin, f"/admin/users/{officer}/deactivate")).status_code == 303
    assert (await User.select(User.active).where(User.id == officer).first().run())["active"] is False
    assert await AuditEntry.count().where(AuditEntry.action.like("%.handed_over")).run() == 0


async def test_pairings_and_resolutions_go_to_a_successor_never_orphaned(area, client_for, make_user):
    """联访解 pairings not ended and 进建商 resolutions still open go with the rest: to the
    community's other officer or the station head (a resolution to an officer or head of
    the station), audited; ended pairings and done resolutions stay as they were."""
    from portal.councils import rules as councils
    from portal.councils.tables import CouncilResolution
    from portal.pairings import rules as pairings
    from portal.pairings.tables import Pairing

    admin, _admin_id = await client_for("admin")
    officer = await make_user("officer", real_name="Officer Wang")
    colleague = await make_user("officer", real_name="Officer Sun")  # the community's other officer
    await make_user("head", real_name="Head Li")
    far = await make_user("officer", community_id=area.other_station_community_id, real_name="Officer Zhao")
    actor = await load_actor(officer)
    today = dt.date.today()
    unit = await pairings.create_pairing(actor, pairings.PairingData(area.community_id, "unit", "城中小学", unit_kind="school", started_on=today), str(uuid.uuid4()))
    ended = await pairings.create_pairing(actor, pairings.PairingData(area.community_id, "person", "独居老人张奶奶", started_on=today), str(uuid.uuid4()))
    await pairings.end_pairing(actor, ended, today, "搬走了")
    session = await councils.create_session(actor, area.station_id, councils.SessionData(area.community_id, today, "校园周边交通安全"), str(uuid.uuid4()))
    open_one = await councils.add_resolution(actor, session, councils.ResolutionData("放学拥堵", "", officer, today + dt.timedelta(days=7)), str(uuid.uuid4()))
    done_one = await councils.add_resolution(actor, session, councils.ResolutionData("路灯", "", officer, today + dt.timedelta(days=7)), str(uuid.uuid4()))
    await councils.mark_done(actor, done_one, today, "已修")

    page = await admin.get(f"/admin/users/{officer}/deactivate")
    assert f'href="/pairings/{unit}"' in page.text and f'href="/councils/{session}#resolution-{open_one}"' in page.text
    assert f'href="/pairings/{ended}"' not in page.text and f"successor-council_resolution-{done_one}" not in page.text
    assert "Officer Zhao" not in page.text  # another station's officer may take neither

    async with nothing_changes((User, officer), (Pairing, unit), (CouncilResolution, open_one)):
        refused = await post_form(admin, f"/admin/users/{officer}/deactivate", {"successor": str(far)})
    assert refused.status_code == 422
    assert "Officer Zhao is not an officer of" in field_error(refused.text, f"successor-pairing-{unit}")
    assert "Officer Zhao is not an officer or head of the station" in field_error(refused.text, f"successor-council_resolution-{open_one}")

    done = await post_form(admin, f"/admin/users/{officer}/deactivate", {"successor": str(colleague)})
    assert done.status_code == 303
    assert (await Pairing.select(Pairing.officer).where(Pairing.id == unit).first().run())["officer"] == colleague
    assert (await Pairing.select(Pairing.officer).where(Pairing.id == ended).first().run())["officer"] == officer
    owners = {r["id"]: r["owner"] for r in await CouncilResolution.select(CouncilResolution.id, CouncilResolution.owner).run()}
    assert owners == {open_one: colleague, done_one: officer}
    [moved_pairing] = await audit("pairing.handed_over")
    assert moved_pairing["object_id"] == str(unit) and moved_pairing["before"]["officer"] == officer and moved_pairing["after"]["officer"] == colleague
    [moved_resolution] = await audit("council.resolution_handed_over")
    assert moved_resolution["object_id"] == str(open_one) and moved_resolution["after"]["owner"] == colleague
    # The successor keeps the pairing from now on (its contact log and forms).
    assert (await pairings.readable_pairing(await load_actor(colleague), unit))["kept"] is True


async def test_removing_a_role_hands_over_the_pairings_of_that_community_only(area, client_for, make_user):
    admin, _admin_id = await client_for("admin")
    officer = await make_user("officer", real_name="Officer Wang")
    await post_form(admin, f"/admin/users/{officer}/roles", {"role": "officer", "community": str(area.other_community_id), "station": "0"})
    grant_a = (await RoleGrant.select(RoleGrant.id).where((RoleGrant.user == officer) & (RoleGrant.community == area.community_id)).first().run())["id"]
    head = await make_user("head", real_name="Head Li")
    from portal.councils import rules as councils
    from portal.pairings import rules as pairings
    from portal.pairings.tables import Pairing

    actor = await load_actor(officer)
    today = dt.date.today()
    in_a = await pairings.create_pairing(actor, pairings.PairingData(area.community_id, "unit", "农贸市场", unit_kind="market", started_on=today), str(uuid.uuid4()))
    in_b = await pairings.create_pairing(actor, pairings.PairingData(area.other_community_id, "unit", "社区诊所", unit_kind="clinic", started_on=today), str(uuid.uuid4()))
    session = await councils.create_session(actor, area.station_id, councils.SessionData(area.community_id, today, "治安"), str(uuid.uuid4()))
    kept = await councils.add_resolution(actor, session, councils.ResolutionData("巡逻", "", officer, today), str(uuid.uuid4()))

    page = await admin.get(f"/admin/users/{officer}/roles/{grant_a}/revoke")
    # Still an officer of the station through community b: the resolution stays theirs.
    assert f'href="/pairings/{in_a}"' in page.text and f'href="/pairings/{in_b}"' not in page.text and f"resolution-{kept}" not in page.text
    assert (await post_form(admin, f"/admin/users/{officer}/roles/{grant_a}/revoke", {"successor": str(head)})).status_code == 303
    officers = {r["id"]: r["officer"] for r in await Pairing.select(Pairing.id, Pairing.officer).run()}
    assert officers == {in_a: head, in_b: officer}


async def test_a_handed_over_pairing_s_past_contacts_stay_counted_for_who_made_them(area, client_for, make_user):
    """After the handover the successor keeps the pairing (counted among their pairings
    now), while the contacts and opinions made before stay counted for the officer who made
    them in the counts per officer."""
    from portal.pairings import rules as pairings

    admin, _admin_id = await client_for("admin")
    officer = await make_user("officer", real_name="Officer Wang")
    colleague = await make_user("officer", real_name="Officer Sun")
    head = await make_user("head", real_name="Head Li")
    actor = await load_actor(officer)
    today = dt.date.today()
    unit = await pairings.create_pairing(actor, pairings.PairingData(area.community_id, "unit", "城中小学", unit_kind="school", started_on=today), str(uuid.uuid4()))
    contact = await pairings.add_contact(actor, unit, pairings.ContactData(today, "visit"), str(uuid.uuid4()))
    await pairings.add_opinion(actor, contact, pairings.OpinionData("路灯坏了", "solved", "已报修"), str(uuid.uuid4()))
    assert (await post_form(admin, f"/admin/users/{officer}/deactivate", {"successor": str(colleague)})).status_code == 303
    await pairings.add_contact(await load_actor(colleague), unit, pairings.ContactData(today, "call"), str(uuid.uuid4()))
    rows, total = await pairings.officer_figures(await load_actor(head), today, today, "Asia/Shanghai")
    counted = {r["real_name"]: (r["now"], r["made"], r["contacts"], r["opinions"], r["solved"]) for r in rows}
    assert counted == {"Officer Sun": (1, 1, 1, 0, 0), "Officer Wang": (0, 0, 1, 1, 1)}
    assert (total["contacts"], total["opinions"]) == (2, 1)
