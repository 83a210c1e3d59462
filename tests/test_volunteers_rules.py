"""Volunteer rules: applying (one account per form, all or nothing), the officer's
decisions within their communities, one's own profile, and deleting an account."""

import asyncio
import datetime as dt
import json
import uuid

import pytest

from portal.accounts.rules import AccountError, DatabaseSessions, load_actor
from portal.accounts.tables import RoleGrant, User, UserSession
from portal.audit.tables import AuditEntry
from portal.notifications.tables import Notification
from portal.volunteers import rules
from portal.volunteers.facts import volunteer_facts
from portal.volunteers.tables import STATUSES, VolunteerProfile, VolunteerSkill
from portal.web import i18n
from tests.unchanged import nothing_changes

TODAY = dt.date(2026, 11, 23)


def js(value):
    """A JSON column: text on SQLite, decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def application(area, **overrides):
    data = dict(
        real_name="孙小梅",
        phone="139 0000 0000",
        community_id=area.community_id,
        username="xiaomei",
        password="a long enough password",
        consent=True,
        application_key=str(uuid.uuid4()),
        email="xm@example.org",
        availability="weekday evenings",
        may_be_named=True,
        skills={"first_aid": TODAY + dt.timedelta(days=300), "english": None},
    )
    return rules.Application(**{**data, **overrides})


async def test_applying_creates_a_pending_volunteer_with_skills_in_one_audited_step(area):
    applied = await rules.apply(application(area), today=TODAY)
    assert applied.created
    facts = await volunteer_facts(applied.user_id, on=TODAY)
    assert (facts.status, facts.community_id, facts.verified) == ("pending", area.community_id, False)
    assert facts.skills == {"first_aid", "english"}
    grant = await RoleGrant.select(RoleGrant.role, RoleGrant.community).where(RoleGrant.user == applied.user_id).first().run()
    assert grant == {"role": "volunteer", "community": area.community_id}
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id).run()]
    assert actions == ["user.created", "role.granted", "volunteer.applied"]


async def test_the_same_form_twice_even_at_once_gives_one_account(area):
    form = application(area)
    results = await asyncio.gather(*(rules.apply(form, today=TODAY) for _ in range(5)))
    assert sum(r.created for r in results) == 1
    assert len({r.user_id for r in results}) == 1
    assert await User.count().run() == 1 and await VolunteerProfile.count().run() == 1


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"consent": False}, "consent"),
        ({"skills": {"juggling": None}}, "skills"),
        ({"skills": {"first_aid": TODAY - dt.timedelta(days=1)}}, "expires_first_aid"),
        ({"community_id": 999999}, "community"),
    ],
)
async def test_bad_applications_change_nothing(area, overrides, field):
    async with nothing_changes(also=(User, RoleGrant, VolunteerProfile, VolunteerSkill)):
        with pytest.raises(AccountError) as error:
            await rules.apply(application(area, **overrides), today=TODAY)
    assert error.value.field == field
    assert await User.count().run() == 0 and await VolunteerSkill.count().run() == 0


async def test_a_taken_username_is_refused_for_a_different_form(area):
    first = await rules.apply(application(area), today=TODAY)
    async with nothing_changes((User, first.user_id), (VolunteerProfile, VolunteerProfile.user == first.user_id), also=(RoleGrant, VolunteerSkill)):
        with pytest.raises(AccountError) as error:
            await rules.apply(application(area, real_name="Someone else"), today=TODAY)
    assert error.value.field == "username"
    assert await VolunteerProfile.count().run() == 1


async def test_existing_volunteers_without_a_profile_have_status_none(make_user):
    user_id = await make_user("volunteer")
    facts = await volunteer_facts(user_id)
    assert facts.status == "none" and not facts.verified


async def _pending(area, **overrides):
    applied = await rules.apply(application(area, **overrides), today=TODAY)
    return applied.user_id, (await VolunteerProfile.select(VolunteerProfile.id).where(VolunteerProfile.user == applied.user_id).first().run())["id"]


async def test_an_officer_verifies_and_the_volunteer_is_told_in_their_language(area, make_user):
    user_id, profile_id = await _pending(area)
    await User.update({User.preferred_language: "zh_CN"}).where(User.id == user_id).run()
    officer = await load_actor(await make_user("officer"))
    assert await rules.decide(officer, profile_id, "verify") == "verified"
    assert (await volunteer_facts(user_id)).verified
    note = await Notification.select().where(Notification.user == user_id).first().run()
    assert note["subject"] == "您的义警申请已通过" and note["link"] == "/volunteer/profile"
    audit = await AuditEntry.select().where(AuditEntry.action == "volunteer.verify").first().run()
    assert audit["actor"] == officer.id and js(audit["before"]) == {"status": "pending"}


async def test_the_full_cycle_reject_suspend_reinstate_and_stale_decisions(area, make_user):
    officer = await load_actor(await make_user("officer"))
    _, rejected = await _pending(area, username="rej")
    async with nothing_changes((VolunteerProfile, rejected)):
        with pytest.raises(AccountError) as missing:
            await rules.decide(officer, rejected, "reject", "  ")
    assert missing.value.field == "reason"
    assert await rules.decide(officer, rejected, "reject", "No phone answer") == "rejected"
    async with nothing_changes((VolunteerProfile, rejected)):
        with pytest.raises(AccountError) as stale:
            await rules.decide(officer, rejected, "verify")
    assert stale.value.field == "status"
    _, profile_id = await _pending(area, username="cycle")
    await rules.decide(officer, profile_id, "verify")
    assert await rules.decide(officer, profile_id, "suspend", "Missed three patrols") == "suspended"
    assert await rules.decide(officer, profile_id, "reinstate") == "verified"


# The officer's decisions, written out here rather than read from rules.TRANSITIONS (the
# table under test): the statuses each starts from and where it leads. A rejected
# application and a deleted account take no decision.
DECISIONS = {
    "verify": ({"pending"}, "verified"),
    "reject": ({"pending"}, "rejected"),
    "suspend": ({"verified"}, "suspended"),
    "reinstate": ({"suspended"}, "verified"),
}


async def test_every_decision_from_every_status_follows_the_table(area, make_user, make_volunteer):
    assert set(STATUSES) == {"pending", "verified", "rejected", "suspended", "deleted"}
    assert {action: (set(starts), leads_to) for action, (starts, leads_to, _) in rules.TRANSITIONS.items()} == DECISIONS
    officer = await load_actor(await make_user("officer"))
    profile_of = {}
    for status in STATUSES:
        user_id = await make_volunteer(status=status)
        profile_of[status] = (await VolunteerProfile.select(VolunteerProfile.id).where(VolunteerProfile.user == user_id).first().run())["id"]
    for status in STATUSES:
        for action, (starts, leads_to) in DECISIONS.items():
            if status in starts:
                user_id = await make_volunteer(status=status)
                profile_id = (await VolunteerProfile.select(VolunteerProfile.id).where(VolunteerProfile.user == user_id).first().run())["id"]
                assert await rules.decide(officer, profile_id, action, "A reason") == leads_to
                assert (await VolunteerProfile.select(VolunteerProfile.status).where(VolunteerProfile.id == profile_id).first().run())["status"] == leads_to
                continue
            async with nothing_changes((VolunteerProfile, profile_of[status])):
                if status == "deleted":
                    assert await rules.decide(officer, profile_of[status], action, "A reason") is None
                    continue
                with pytest.raises(AccountError) as refused:
                    await rules.decide(officer, profile_of[status], action, "A reason")
                assert refused.value.field == "status", (status, action)


async def test_two_officers_deciding_at_once_decide_once(area, make_user):
    officers = [await load_actor(await make_user("officer")) for _ in range(2)]
    user_id, profile_id = await _pending(area)
    results = await asyncio.gather(*(rules.decide(o, profile_id, "verify") for o in officers), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["AccountError", "str"]
    assert await Notification.count().where(Notification.user == user_id).run() == 1


async def test_officers_of_other_communities_reach_nothing(area, make_user):
    _, profile_id = await _pending(area)
    other = await load_actor(await make_user("officer", community_id=area.other_community_id))
    async with nothing_changes((VolunteerProfile, profile_id)):
        assert await rules.decide(other, profile_id, "verify") is None
        assert await rules.decide(other, profile_id, "reject", "not yours") is None
    assert await rules.profile_for_officer(other, profile_id) is None
    assert (await rules.pending_page(other, None)).rows == []
    assert (await rules.volunteers_page(other, area.community_id, None, None)).rows == []
    assert (await volunteer_facts((await VolunteerProfile.select(VolunteerProfile.user).first().run())["user"])).status == "pending"


async def test_pending_applications_come_oldest_first_a_page_at_a_time(area, make_user):
    for n in range(3):
        await _pending(area, username=f"p{n}")
    officer = await load_actor(await make_user("officer"))
    first = await rules.pending_page(officer, None)
    assert [r["user.real_name"] for r in first.rows] == ["孙小梅"] * 3
    ids = [r["id"] for r in first.rows]
    assert ids == sorted(ids) and first.next_after is None


async def test_profile_edit_replaces_skills_and_audits_field_names_only(area, make_user):
    user_id, _ = await _pending(area)
    actor = await load_actor(user_id)
    await rules.update_profile(actor, phone="138 1111 2222", email="", availability="Sundays", may_be_named=False, skills={"driving": None}, today=TODAY)
    facts = await volunteer_facts(user_id)
    assert facts.skills == {"driving"}
    audit = await AuditEntry.select().where(AuditEntry.action == "volunteer.profile_updated").first().run()
    assert set(js(audit["after"])["changed"]) == {"phone", "email", "availability", "may_be_named", "skills"}
    assert "138 1111 2222" not in str(audit)
    async with nothing_changes((User, user_id), (VolunteerProfile, VolunteerProfile.user == user_id), (VolunteerSkill, VolunteerSkill.user == user_id)):
        with pytest.raises(AccountError):
            await rules.update_profile(actor, phone="1", email="", availability="", may_be_named=False, skills={"driving": TODAY - dt.timedelta(days=1)}, today=TODAY)


async def test_deleting_an_account_anonymises_it_and_keeps_the_rows(area):
    user_id, profile_id = await _pending(area)
    actor = await load_actor(user_id)
    sessions = DatabaseSessions(dt.timedelta(hours=1))
    await sessions.create(user_id, "127.0.0.1", "test")
    async with nothing_changes((User, user_id), (VolunteerProfile, profile_id), (UserSession, UserSession.user == user_id), also=(VolunteerSkill,)):
        with pytest.raises(AccountError):
            await rules.delete_account(actor, "wrong password", sessions)
    await rules.delete_account(actor, "a long enough password", sessions)
    user = await User.select().where(User.id == user_id).first().run()
    assert user["real_name"] == f"Deleted volunteer #{user_id}"
    token = i18n.activate("zh_CN")
    try:
        assert rules.display_name(user["real_name"]) == f"已删除的义警 #{user_id}"
    finally:
        i18n.restore(token)
    assert (user["phone"], user["email"], user["active"]) == ("", "", False)
    assert user["username"] != "xiaomei" and user["username"].startswith("!")
    assert await UserSession.count().where(UserSession.user == user_id).run() == 0
    assert await VolunteerSkill.count().run() == 0
    profile = await VolunteerProfile.select().where(VolunteerProfile.id == profile_id).first().run()
    assert profile["status"] == "deleted" and profile["availability"] == ""
    audit = await AuditEntry.select().where(AuditEntry.action == "volunteer.account_deleted").first().run()
    assert "real_name" in js(audit["before"])["cleared"] and "孙小梅" not in str(audit) and "xm@example.org" not in str(audit)
    assert await load_actor(user_id) is None
