"""The demo's care register, written through the rules into the demo's 西关社区 with its
officer and volunteers: five people on a weekly or fortnightly schedule, volunteers asked
to visit, a few weeks of visits, one visit overdue, one escalated and filed into a ledger,
one person whose visits ended; the audit without their names."""

from __future__ import annotations

import json

from portal.accounts.rules import now
from portal.audit.tables import AuditEntry
from portal.care.demo import PEOPLE, seed_care
from portal.care.tables import CareAssignment, CarePerson, CareVisit
from portal.ledger.tables import LedgerItem
from portal.stations.tables import Community


async def test_the_demo_register_has_a_schedule_visits_and_an_overdue_visit(area, make_user, make_volunteer):
    await Community.update({Community.code: "xiguan"}).where(Community.id == area.community_id).run()
    await make_user("officer", username="officer")
    await make_volunteer(username="volunteer")
    await make_volunteer(username="volunteer2")
    moment = now()
    await seed_care(moment)

    people = await CarePerson.select().order_by(CarePerson.id).run()
    assert [p["name"] for p in people] == [p[0] for p in PEOPLE] and {p["community"] for p in people} == {area.community_id}
    assert {p["every_days"] for p in people} == {7, 14}
    assert len([p for p in people if p["ended_on"] is not None]) == 1
    assert len([p for p in people if p["ended_on"] is None and p["next_due_at"] <= moment]) >= 1  # overdue now
    assert await CareAssignment.count().run() == 3
    assert await CareVisit.count().run() == sum(len(p[-1]) for p in PEOPLE)
    filed = await CareVisit.select(CareVisit.outcome, CareVisit.ledger_item).where(CareVisit.ledger_item.is_not_null()).run()
    assert len(filed) == 1 and filed[0]["outcome"] == "escalated_ledger"
    assert (await LedgerItem.select(LedgerItem.source).where(LedgerItem.id == filed[0]["ledger_item"]).first().run())["source"] == "officer_visit"
    trail = json.dumps(await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action.like("care.%")).run(), default=str, ensure_ascii=False)
    assert not any(p[0] in trail or p[1] in trail for p in PEOPLE)
