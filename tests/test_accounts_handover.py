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
