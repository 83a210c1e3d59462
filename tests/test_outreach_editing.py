"""Changing what 进建商 and 联访解 keep: a representative of the register is corrected by the
station's officers and head (audited with before and after, the phone only as whether it
changed), taken off the register and put back; a pairing going on is corrected by its
officer only (the community and unit-or-person stay; a person's name, the phones, contact
person, address and note only as "changed" in the audit) and ended. Bad input is
answered next to the field with the input kept (422) and changes nothing; a stale page
changes nothing; heads above and other officers cannot change either."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.audit.tables import AuditEntry
from portal.councils.tables import CouncilRepresentative
from portal.pairings.tables import Pairing
from tests.conftest import field_error, post_form
from tests.unchanged import nothing_changes

TODAY = dt.date.today()


async def audit(action: str) -> list[dict]:
    return await AuditEntry.select(AuditEntry.object_id, AuditEntry.before, AuditEntry.after).where(AuditEntry.action == action).order_by(AuditEntry.id).output(load_json=True).run()


async def test_a_representative_is_corrected_taken_off_and_put_back(area, client_for):
    officer, _ = await client_for("officer")
    head, _ = await client_for("head")
    district_head, _ = await client_for("district_head")
    other_station, _ = await client_for("officer", community_id=area.other_station_community_id)
    added = await post_form(officer, f"/councils/stations/{area.station_id}/representatives",
                            {"name": "王代表", "kind": "npc_deputy", "affiliation": "区人大代表", "phone": "138 0000 1111", "appointed_on": "2025-01-01", "idempotency_key": str(uuid.uuid4())})
    assert added.status_code == 303
    rep = (await CouncilRepresentative.select(CouncilRepresentative.id).first().run())["id"]
    register = await officer.get(f"/councils/stations/{area.station_id}/representatives")
    assert f'href="/councils/representatives/{rep}/edit"' in register.text

    form = await officer.get(f"/councils/representatives/{rep}/edit")
    assert form.status_code == 200 and 'value="138 0000 1111"' in form.text and 'value="区人大代表"' in form.text
    # Bad input: next to the field, the input back, nothing changed.
    async with nothing_changes((CouncilRepresentative, rep)):
        refused = await post_form(officer, f"/councils/representatives/{rep}/edit", {"name": "", "kind": "npc_deputy", "affiliation": "区政协委员", "phone": "call me", "version": "1"})
        assert refused.status_code == 422 and field_error(refused.text, "name") and 'value="区政协委员"' in refused.text
        refused = await post_form(officer, f"/councils/representatives/{rep}/edit", {"name": "王代表", "kind": "npc_deputy", "phone": "call me", "version": "1"})
        assert refused.status_code == 422 and "phone number" in field_error(refused.text, "phone") and 'value="call me"' in refused.text
        stale = await post_form(officer, f"/councils/representatives/{rep}/edit", {"name": "王代表", "kind": "cppcc_member", "version": "7"})
        assert stale.status_code == 422 and "meanwhile" in field_error(stale.text, "name")
        assert (await district_head.get(f"/councils/representatives/{rep}/edit")).status_code == 403
        assert (await other_station.get(f"/councils/representatives/{rep}/edit")).status_code == 404
        assert (await post_form(other_station, f"/councils/representatives/{rep}/edit", {"name": "X", "kind": "other", "version": "1"})).status_code == 404

    changed = await post_form(head, f"/councils/representatives/{rep}/edit",
                              {"name": "王代表", "kind": "cppcc_member", "affiliation": "区政协委员", "phone": "139 0000 2222", "appointed_on": "2025-01-01", "version": "1"})
    assert changed.status_code == 303
    row = await CouncilRepresentative.select().where(CouncilRepresentative.id == rep).first().run()
    assert (row["kind"], row["affiliation"], row["phone"], row["version"]) == ("cppcc_member", "区政协委员", "139 0000 2222", 2)
    [entry] = await audit("council.representative_changed")
    assert entry["before"] == {"kind": "npc_deputy", "affiliation": "区人大代表", "phone": True, "version": 1}
    assert entry["after"] == {"kind": "cppcc_member", "affiliation": "区政协委员", "phone": True, "phone_changed": True, "version": 2}
    assert "1111" not in str(entry) and "2222" not in str(entry)
    # The same page sent again is stale now.
    async with nothing_changes((CouncilRepresentative, rep)):
        again = await post_form(officer, f"/councils/representatives/{rep}/edit", {"name": "王代表", "kind": "other", "version": "1"})
    assert again.status_code == 422

    # Taken off the register, then put back; each once, audited.
    assert (await post_form(officer, f"/councils/representatives/{rep}/retire", {})).status_code == 303
    page = await officer.get(f"/councils/stations/{area.station_id}/representatives")
    assert f'action="/councils/representatives/{rep}/reinstate"' in page.text
    assert (await post_form(officer, f"/councils/representatives/{rep}/reinstate", {})).status_code == 303
    assert (await post_form(officer, f"/councils/representatives/{rep}/reinstate", {})).status_code == 303
    assert (await CouncilRepresentative.select(CouncilRepresentative.retired_at).where(CouncilRepresentative.id == rep).first().run())["retired_at"] is None
    assert len(await audit("council.representative_reinstated")) == 1
    assert (await post_form(other_station, f"/councils/representatives/{rep}/reinstate", {})).status_code == 404


def pairing_body(community: int, kind: str = "person", **extra) -> dict:
    return {
        "community": str(community), "kind": kind, "unit_kind": "school" if kind == "unit" else "", "name": "独居老人马奶奶", "contact_name": "马奶奶的女儿",
        "phone": "139 0000 3333", "address": "西关街 5 号", "note": "腿脚不便", "started_on": (TODAY - dt.timedelta(days=10)).isoformat(),
        "idempotency_key": str(uuid.uuid4()), **extra,
    }


async def test_a_pairing_is_corrected_by_its_officer_only_and_ended(area, client_for):
    officer, officer_id = await client_for("officer")
    colleague, _ = await client_for("officer")
    head, _ = await client_for("head")
    created = await post_form(officer, "/pairings/new", pairing_body(area.community_id))
    assert created.status_code == 303
    pid = int(created.headers["location"].rsplit("/", 1)[1])
    contacted = await post_form(officer, f"/pairings/{pid}/contacts", {"contacted_on": (TODAY - dt.timedelta(days=5)).isoformat(), "channel": "visit", "idempotency_key": str(uuid.uuid4())})
    assert contacted.status_code == 303
    page = await officer.get(f"/pairings/{pid}")
    assert f'href="/pairings/{pid}/edit"' in page.text
    assert f'href="/pairings/{pid}/edit"' not in (await head.get(f"/pairings/{pid}")).text
    form = await officer.get(f"/pairings/{pid}/edit")
    assert form.status_code == 200 and 'value="139 0000 3333"' in form.text

    body = {"name": "独居老人马奶奶", "contact_name": "马奶奶的儿子", "phone": "139 0000 4444", "address": "西关街 7 号", "note": "腿脚不便",
            "started_on": (TODAY - dt.timedelta(days=10)).isoformat(), "version": "1"}
    async with nothing_changes((Pairing, pid)):
        refused = await post_form(officer, f"/pairings/{pid}/edit", {**body, "name": "", "phone": "no phone"})
        assert refused.status_code == 422 and field_error(refused.text, "name") and 'value="马奶奶的儿子"' in refused.text
        late_start = await post_form(officer, f"/pairings/{pid}/edit", {**body, "started_on": (TODAY - dt.timedelta(days=2)).isoformat()})
        assert late_start.status_code == 422 and "first contact" in field_error(late_start.text, "started_on")
        stale = await post_form(officer, f"/pairings/{pid}/edit", {**body, "version": "9"})
        assert stale.status_code == 422 and "meanwhile" in field_error(stale.text, "name")
        assert (await post_form(colleague, f"/pairings/{pid}/edit", body)).status_code == 404
        assert (await post_form(head, f"/pairings/{pid}/edit", body)).status_code == 403
        assert (await head.get(f"/pairings/{pid}/edit")).status_code == 403

    assert (await post_form(officer, f"/pairings/{pid}/edit", body)).status_code == 303
    row = await Pairing.select().where(Pairing.id == pid).first().run()
    assert (row["contact_name"], row["phone"], row["address"], row["version"], row["kind"], row["community"], row["officer"]) == (
        "马奶奶的儿子", "139 0000 4444", "西关街 7 号", 2, "person", area.community_id, officer_id)
    [entry] = await audit("pairing.changed")
    assert entry["before"] == {"contact_name": "changed", "phone": "changed", "address": "changed", "version": 1}
    assert entry["after"] == {"contact_name": "changed", "phone": "changed", "address": "changed", "version": 2}

    # Ended: no more changes.
    assert (await post_form(officer, f"/pairings/{pid}/end", {"ended_on": TODAY.isoformat(), "end_note": "搬走", "version": "2"})).status_code == 303
    assert f'href="/pairings/{pid}/edit"' not in (await officer.get(f"/pairings/{pid}")).text
    async with nothing_changes((Pairing, pid)):
        assert (await post_form(officer, f"/pairings/{pid}/edit", {**body, "version": "3"})).status_code == 403


async def test_a_unit_s_name_and_kind_are_audited_as_they_are(area, client_for):
    officer, _ = await client_for("officer")
    created = await post_form(officer, "/pairings/new", pairing_body(area.community_id, "unit", name="西关小学", contact_name="", phone="", address="", note=""))
    pid = int(created.headers["location"].rsplit("/", 1)[1])
    body = {"unit_kind": "kindergarten", "name": "西关幼儿园", "started_on": (TODAY - dt.timedelta(days=10)).isoformat(), "version": "1"}
    async with nothing_changes((Pairing, pid)):
        refused = await post_form(officer, f"/pairings/{pid}/edit", {**body, "unit_kind": ""})
        assert refused.status_code == 422 and field_error(refused.text, "unit_kind") and 'value="西关幼儿园"' in refused.text
    assert (await post_form(officer, f"/pairings/{pid}/edit", body)).status_code == 303
    [entry] = await audit("pairing.changed")
    assert entry["before"] == {"unit_kind": "school", "name": "西关小学", "version": 1} and entry["after"] == {"unit_kind": "kindergarten", "name": "西关幼儿园", "version": 2}
