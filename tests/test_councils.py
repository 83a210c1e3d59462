"""进建商: a station's officers and head keep its register of representatives and its
sessions (who was invited, who came, the minutes), and decide one matter at a time, each
with an owner, a due date and, where the matter is one, a ledger item filed through the
ledger's rule or linked by number; done by the owner or the head once the item is closed.
Heads above read without the phones; other stations see nothing; bad input is answered
next to the field with the input kept; a double submit records once; every change is
audited."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from portal.audit.tables import AuditEntry
from portal.councils.tables import CouncilAttendance, CouncilRepresentative, CouncilResolution, CouncilSession
from portal.ledger.rules import NewItem, file_item
from portal.ledger.tables import LedgerItem
from tests.conftest import field_error, post_form
from tests.unchanged import nothing_changes

TODAY = dt.date.today()


def representative(name: str = "王代表", kind: str = "npc_deputy", phone: str = "138 0000 1111") -> dict:
    return {"name": name, "kind": kind, "affiliation": "城中区人大代表", "phone": phone, "appointed_on": "2025-01-01", "idempotency_key": str(uuid.uuid4())}


def session_form(community: int, invited=(), attended=(), **extra) -> dict:
    return {
        "community": str(community), "held_on": TODAY.isoformat(), "topic": "校园周边交通安全", "place": "城中派出所会议室",
        "invited": [str(i) for i in invited], "attended": [str(i) for i in attended], "other_attendees": "3",
        "minutes": "代表们建议在放学时段增派警力。", "idempotency_key": str(uuid.uuid4()), **extra,
    }


def resolution_form(owner: int, **extra) -> dict:
    return {
        "matter": "放学时段学校门口拥堵", "decision": "每天16:30派两名民警疏导", "owner": str(owner), "due_on": (TODAY + dt.timedelta(days=14)).isoformat(),
        "ledger_choice": "none", "ledger": "", "category": "other", "item_number": "", "idempotency_key": str(uuid.uuid4()), **extra,
    }


async def add_representatives(client, station_id: int, *names: str) -> list[int]:
    ids = []
    for name in names:
        response = await post_form(client, f"/councils/stations/{station_id}/representatives", representative(name))
        assert response.status_code == 303, response.text
        ids.append((await CouncilRepresentative.select(CouncilRepresentative.id).where(CouncilRepresentative.name == name).first().run())["id"])
    return ids


async def new_session(client, station_id: int, community: int, invited=(), attended=(), **extra) -> int:
    response = await post_form(client, f"/councils/stations/{station_id}/new", session_form(community, invited, attended, **extra))
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def test_a_session_from_register_to_resolutions_done(area, client_for):
    officer, officer_id = await client_for("officer", real_name="李警官")
    head, head_id = await client_for("head", real_name="张所长")
    # The register: a deputy and a think-tank member; the phone only for the station.
    deputy, member, absent = await add_representatives(officer, area.station_id, "王代表", "刘智库", "陈委员")
    register = await officer.get(f"/councils/stations/{area.station_id}/representatives")
    assert register.status_code == 200 and "138 0000 1111" in register.text and "王代表" in register.text

    session_id = await new_session(officer, area.station_id, area.community_id, invited=(deputy, member, absent), attended=(deputy, member))
    session = await CouncilSession.select().where(CouncilSession.id == session_id).first().run()
    assert session["station"] == area.station_id and session["community"] == area.community_id and session["other_attendees"] == 3
    attendance = {r["representative"]: r["attended"] for r in await CouncilAttendance.select().run()}
    assert attendance == {deputy: True, member: True, absent: False}
    page = await officer.get(f"/councils/{session_id}")
    assert page.status_code == 200 and "校园周边交通安全" in page.text and "代表们建议在放学时段增派警力。" in page.text

    # One matter, one resolution: owned by the officer, not a ledger matter.
    assert (await post_form(officer, f"/councils/{session_id}/resolutions", resolution_form(officer_id))).status_code == 303
    # A second one filed into the ledger through the ledger's rule, the owner accountable.
    filed = resolution_form(officer_id, matter="小区门口路灯不亮，夜间不安全", ledger_choice="file", ledger="suggestion", category="public_security")
    assert (await post_form(officer, f"/councils/{session_id}/resolutions", filed)).status_code == 303
    rows = await CouncilResolution.select().order_by(CouncilResolution.seq).run()
    assert [r["seq"] for r in rows] == [1, 2] and rows[0]["ledger_item"] is None
    item = await LedgerItem.select().where(LedgerItem.id == rows[1]["ledger_item"]).first().run()
    assert item["source"] == "council" and item["ledger"] == "suggestion" and item["community"] == area.community_id
    assert item["summary"] == "小区门口路灯不亮，夜间不安全" and item["stage"] == "assigned" and item["officer"] == officer_id

    # The first is done by its owner; the second waits for its ledger item to close.
    done = {"d%s-done_on" % rows[0]["id"]: TODAY.isoformat(), "d%s-note" % rows[0]["id"]: "已安排民警每天疏导", "d%s-version" % rows[0]["id"]: "1"}
    assert (await post_form(officer, f"/councils/resolutions/{rows[0]['id']}/done", done)).status_code == 303
    early = {"d%s-done_on" % rows[1]["id"]: TODAY.isoformat(), "d%s-note" % rows[1]["id"]: "路灯已修", "d%s-version" % rows[1]["id"]: "1"}
    async with nothing_changes((CouncilResolution, rows[1]["id"])):
        refused = await post_form(head, f"/councils/resolutions/{rows[1]['id']}/done", early)
    assert refused.status_code == 422 and "still open" in field_error(refused.text, f"d{rows[1]['id']}-note")
    await LedgerItem.update({LedgerItem.stage: "closed", LedgerItem.closed_at: dt.datetime.now(dt.timezone.utc)}).where(LedgerItem.id == item["id"]).run()
    assert (await post_form(head, f"/councils/resolutions/{rows[1]['id']}/done", early)).status_code == 303
    assert [r["status"] for r in await CouncilResolution.select(CouncilResolution.status).order_by(CouncilResolution.seq).run()] == ["done", "done"]

    listing = await head.get("/councils")
    assert listing.status_code == 200 and f'href="/councils/{session_id}"' in listing.text and "2 of 3 invited" in listing.text
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_type.like("council_%")).order_by(AuditEntry.id).run()]
    assert actions == ["council.representative_added"] * 3 + ["council.session_created", "council.resolution_added", "council.resolution_added", "council.resolution_done", "council.resolution_done"]
    # The audit keeps whether there was a phone, never the number.
    assert "1111" not in str(await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "council.representative_added").run())


async def test_who_reads_and_who_keeps(area, client_for):
    officer, officer_id = await client_for("officer")
    [deputy] = await add_representatives(officer, area.station_id, "王代表")
    session_id = await new_session(officer, area.station_id, area.community_id, invited=(deputy,), attended=(deputy,))
    assert (await post_form(officer, f"/councils/{session_id}/resolutions", resolution_form(officer_id))).status_code == 303
    resolution_id = (await CouncilResolution.select(CouncilResolution.id).first().run())["id"]
    register = f"/councils/stations/{area.station_id}/representatives"

    # An officer of the station's other community keeps the station's sessions too, but
    # records a new one only under a community of their own.
    colleague, _ = await client_for("officer", community_id=area.other_community_id)
    assert (await colleague.get(f"/councils/{session_id}")).status_code == 200
    assert "138 0000 1111" in (await colleague.get(register)).text
    own = await post_form(colleague, f"/councils/stations/{area.station_id}/new", session_form(area.community_id))
    assert own.status_code == 422 and field_error(own.text, "community")
    # ... and is not the owner: the head or the owner records it as done.
    done = {f"d{resolution_id}-done_on": TODAY.isoformat(), f"d{resolution_id}-note": "done", f"d{resolution_id}-version": "1"}
    async with nothing_changes((CouncilResolution, resolution_id)):
        assert (await post_form(colleague, f"/councils/resolutions/{resolution_id}/done", done)).status_code == 422

    # Heads above read the sessions and the register without the phones, and change nothing.
    for role in ("district_head", "city_head"):
        reader, _ = await client_for(role)
        assert (await reader.get("/councils")).status_code == 200
        page = await reader.get(f"/councils/{session_id}")
        assert page.status_code == 200 and "校园周边交通安全" in page.text and f"/councils/{session_id}/resolutions" not in page.text
        listed = await reader.get(register)
        assert listed.status_code == 200 and "王代表" in listed.text and "138 0000 1111" not in listed.text and "1111" not in listed.text
        assert (await reader.get(f"/councils/stations/{area.station_id}/new")).status_code == 403
        async with nothing_changes((CouncilSession, session_id), (CouncilRepresentative, deputy), also=(CouncilResolution, LedgerItem)):
            assert (await post_form(reader, f"/councils/{session_id}/resolutions", resolution_form(officer_id))).status_code == 403
            assert (await post_form(reader, f"/councils/representatives/{deputy}/retire")).status_code == 403
            assert (await post_form(reader, f"/councils/{session_id}/edit", session_form(area.community_id))).status_code == 403
    # The other district's head, the other station's head and officers: nothing of it.
    other_district, _ = await client_for("district_head", district_id=area.other_district_id)
    other_head, _ = await client_for("head", station_id=area.other_station_id)
    other_officer, _ = await client_for("officer", community_id=area.other_station_community_id)
    for stranger in (other_district, other_head, other_officer):
        assert (await stranger.get(f"/councils/{session_id}")).status_code == 404
        assert (await stranger.get(register)).status_code == 404
        assert "校园周边交通安全" not in (await stranger.get("/councils")).text
    for stranger in (other_head, other_officer):
        async with nothing_changes((CouncilSession, session_id), (CouncilRepresentative, deputy), also=(CouncilResolution, CouncilAttendance)):
            assert (await post_form(stranger, f"/councils/{session_id}/resolutions", resolution_form(officer_id))).status_code == 404
            assert (await post_form(stranger, f"/councils/representatives/{deputy}/retire")).status_code == 404
            assert (await post_form(stranger, f"/councils/resolutions/{resolution_id}/done", done)).status_code == 404
            assert (await post_form(stranger, f"/councils/stations/{area.station_id}/representatives", representative("外人"))).status_code == 404
    # Volunteers and hosts have no sessions.
    volunteer, _ = await client_for("volunteer")
    assert (await volunteer.get("/councils")).status_code == 403
    assert (await volunteer.get(f"/councils/{session_id}")).status_code == 403


async def test_bad_input_is_answered_next_to_the_field_and_kept(area, client_for):
    officer, officer_id = await client_for("officer")
    register = f"/councils/stations/{area.station_id}/representatives"
    bad = await post_form(officer, register, {**representative("", kind="emperor", phone="call me")})
    assert bad.status_code == 422 and field_error(bad.text, "name") and field_error(bad.text, "kind")
    too_long = await post_form(officer, register, representative("王" * 101))
    assert too_long.status_code == 422 and field_error(too_long.text, "name")
    phone = await post_form(officer, register, representative("赵代表", phone="call me"))
    assert phone.status_code == 422 and field_error(phone.text, "phone") and 'value="赵代表"' in phone.text
    assert await CouncilRepresentative.count().run() == 0
    [deputy] = await add_representatives(officer, area.station_id, "王代表")

    new = f"/councils/stations/{area.station_id}/new"
    cases = {
        "topic": session_form(area.community_id, topic=""),
        "held_on": session_form(area.community_id, held_on="31/12/2026"),
        "other_attendees": session_form(area.community_id, other_attendees="-1"),
        "community": session_form(area.other_station_community_id),
        "invited": session_form(area.community_id, invited=(deputy + 100,)),
        "attended": session_form(area.community_id, held_on=(TODAY + dt.timedelta(days=30)).isoformat(), attended=(deputy,)),
    }
    for field_name, form in cases.items():
        response = await post_form(officer, new, form)
        assert response.status_code == 422, field_name
        assert field_error(response.text, field_name), (field_name, response.text[-2000:])
        if field_name != "topic":
            assert "校园周边交通安全" in response.text, field_name  # the input is kept
    huge = await post_form(officer, new, session_form(area.community_id, other_attendees=str(2**40)))
    assert huge.status_code == 422 and field_error(huge.text, "other_attendees")
    assert await CouncilSession.count().run() == 0

    session_id = await new_session(officer, area.station_id, area.community_id)
    resolutions = f"/councils/{session_id}/resolutions"
    volunteer_id = (await client_for("volunteer"))[1]
    cases = {
        "matter": resolution_form(officer_id, matter=" "),
        "owner": resolution_form(volunteer_id),
        "due_on": resolution_form(officer_id, due_on=(TODAY - dt.timedelta(days=1)).isoformat()),
        "ledger": resolution_form(officer_id, ledger_choice="file", ledger=""),
        "category": resolution_form(officer_id, ledger_choice="file", ledger="claim", category="noise"),
        "item_number": resolution_form(officer_id, ledger_choice="link", item_number="XX-2026-999999"),
        "ledger_choice": resolution_form(officer_id, ledger_choice="maybe"),
    }
    for field_name, form in cases.items():
        response = await post_form(officer, resolutions, form)
        assert response.status_code == 422, field_name
        assert field_error(response.text, field_name), field_name
        if field_name != "matter":
            assert "放学时段学校门口拥堵" in response.text, field_name
    assert await CouncilResolution.count().run() == 0 and await LedgerItem.count().run() == 0


async def test_double_submits_record_once_and_a_stale_page_changes_nothing(area, client_for):
    officer, officer_id = await client_for("officer")
    once = representative("王代表")
    for _ in range(2):
        assert (await post_form(officer, f"/councils/stations/{area.station_id}/representatives", once)).status_code == 303
    assert await CouncilRepresentative.count().run() == 1
    deputy = (await CouncilRepresentative.select(CouncilRepresentative.id).first().run())["id"]
    form = session_form(area.community_id, invited=(deputy,))
    first = await post_form(officer, f"/councils/stations/{area.station_id}/new", form)
    again = await post_form(officer, f"/councils/stations/{area.station_id}/new", form)
    assert first.headers["location"] == again.headers["location"] and await CouncilSession.count().run() == 1
    session_id = int(first.headers["location"].rsplit("/", 1)[1])
    filed = resolution_form(officer_id, ledger_choice="file", ledger="complaint", category="noise")
    for _ in range(2):
        assert (await post_form(officer, f"/councils/{session_id}/resolutions", filed)).status_code == 303
    assert await CouncilResolution.count().run() == 1 and await LedgerItem.count().run() == 1

    # Two people change the session from the same page: the second is refused.
    edit = await officer.get(f"/councils/{session_id}/edit")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit.text).group(1)
    changed = session_form(area.community_id, invited=(deputy,), attended=(deputy,), minutes="改过的纪要", version=version)
    assert (await post_form(officer, f"/councils/{session_id}/edit", changed)).status_code == 303
    async with nothing_changes((CouncilSession, session_id), also=(CouncilAttendance,)):
        stale = await post_form(officer, f"/councils/{session_id}/edit", {**changed, "minutes": "另一份纪要"})
    assert stale.status_code == 422 and "changed this session meanwhile" in stale.text
    row = await CouncilSession.select().where(CouncilSession.id == session_id).first().run()
    assert row["minutes"] == "改过的纪要" and row["version"] == 2
    assert (await CouncilAttendance.select(CouncilAttendance.attended).first().run())["attended"] is True
    change = await AuditEntry.select().where(AuditEntry.action == "council.session_changed").output(load_json=True).first().run()
    assert change["before"]["attended"] == [] and change["after"]["attended"] == [deputy] and change["actor"] == officer_id


async def test_a_resolution_links_an_item_of_its_station_only(area, client_for):
    officer, officer_id = await client_for("officer")
    session_id = await new_session(officer, area.station_id, area.community_id)
    ours = await file_item(None, NewItem(ledger="claim", category="documents", community_id=area.other_community_id, summary="身份证补办"))
    theirs = await file_item(None, NewItem(ledger="claim", category="documents", community_id=area.other_station_community_id, summary="别的所"))
    refused = await post_form(officer, f"/councils/{session_id}/resolutions", resolution_form(officer_id, ledger_choice="link", item_number=theirs["number"]))
    assert refused.status_code == 422 and field_error(refused.text, "item_number")
    # Any item of the station the officer reaches, typed in lower case.
    head, _ = await client_for("head")
    assert (await post_form(head, f"/councils/{session_id}/resolutions", resolution_form(officer_id))).status_code == 303
    resolution_id = (await CouncilResolution.select(CouncilResolution.id).first().run())["id"]
    step = {f"r{resolution_id}-ledger_choice": "link", f"r{resolution_id}-item_number": ours["number"].lower()}
    assert (await post_form(head, f"/councils/resolutions/{resolution_id}/ledger", step)).status_code == 303
    assert (await CouncilResolution.select(CouncilResolution.ledger_item).first().run())["ledger_item"] == ours["id"]
    again = await post_form(head, f"/councils/resolutions/{resolution_id}/ledger", step)
    assert again.status_code == 422 and "already has its ledger item" in again.text
    page = await officer.get(f"/councils/{session_id}")
    assert ours["number"] in page.text and f'href="/ledger/{ours["id"]}"' in page.text


async def test_the_homes_of_officers_and_heads_lead_to_the_sessions(area, client_for):
    for role in ("officer", "head", "district_head", "city_head"):
        client, _ = await client_for(role)
        assert 'href="/councils"' in (await client.get("/")).text, role
