"""Volunteer pages over HTTP: applying from the phone, the officer's pages (own
communities only), one's profile and deleting one's account."""

import datetime as dt
import re

from portal.accounts.tables import User
from portal.volunteers.rules import ensure_profile
from portal.volunteers.tables import VolunteerProfile, VolunteerSkill
from tests.conftest import PASSWORD, field_error, http_client, log_in, post_form
from tests.unchanged import nothing_changes

FUTURE = (dt.date.today() + dt.timedelta(days=200)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=1)).isoformat()


async def apply_form(client, area, **overrides):
    page = await client.get("/volunteer/apply")
    key = re.search(r'name="application_key" type="hidden" value="([^"]+)"', page.text) or re.search(r'id="application_key" name="application_key" type="hidden" value="([^"]+)"', page.text)
    data = {
        "real_name": "孙小梅",
        "phone": "139 0000 0000",
        "email": "",
        "community": str(area.community_id),
        "skills": ["first_aid", "english"],
        "expires_first_aid": FUTURE,
        "availability": "weekday evenings",
        "consent": "y",
        "may_be_named": "y",
        "username": "xiaomei",
        "password": "a long enough password",
        "application_key": key.group(1) if key else "",
    }
    return {**data, **overrides}


async def test_a_person_applies_without_an_account_and_lands_logged_in_on_a_pending_home(client, area):
    page = await client.get("/volunteer/apply")
    assert page.status_code == 200 and "Become a volunteer" in page.text and "First aid" in page.text
    assert "Only the officers of your community" in page.text  # what is stored and who sees it
    response = await post_form(client, "/volunteer/apply", await apply_form(client, area))
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = await client.get("/")
    assert "Your application is waiting for the community officer." in home.text
    profile = await VolunteerProfile.select().first().run()
    assert profile["status"] == "pending" and profile["may_be_named"] and profile["consent_at"]
    skills = {r["skill"]: r["expires_on"] for r in await VolunteerSkill.select().run()}
    assert skills == {"first_aid": dt.date.fromisoformat(FUTURE), "english": None}


async def test_a_double_submit_gives_one_account_and_the_second_answer_logs_in(app, area):
    async with http_client(app) as first, http_client(app) as second:
        form = await apply_form(first, area)
        assert (await post_form(first, "/volunteer/apply", form)).status_code == 303
        again = await post_form(second, "/volunteer/apply", form)  # the same form, e.g. resent by the phone
        assert again.status_code == 303 and again.headers["location"] == "/"
        assert "Your application is waiting" in (await second.get("/")).text
        wrong = await post_form(second.__class__(transport=second._transport, base_url=second.base_url), "/volunteer/apply", {**form, "password": "another long password"})
        assert wrong.status_code == 303 and wrong.headers["location"] == "/login"
    assert await User.count().run() == 1


async def test_bad_applications_show_translated_messages_next_to_the_fields_and_keep_the_input(client, area, make_user):
    await make_user("volunteer", username="taken")
    form = await apply_form(
        client,
        area,
        real_name="x" * 101,
        phone="call me",
        skills=["first_aid", "juggling"],
        expires_first_aid=PAST,
        consent="",
        username="taken",
        password="short",
        availability="y" * 1001,
    )
    async with nothing_changes(also=(User, VolunteerProfile, VolunteerSkill)):
        response = await post_form(client, "/volunteer/apply", form, headers={"Accept-Language": "zh-CN"})
        assert response.status_code == 422
    assert field_error(response.text, "real_name") == "最多 100 个字符。"
    assert field_error(response.text, "consent") == "申请前请同意我们使用您的资料。"
    assert field_error(response.text, "skills") == "请从列表中选择技能。"
    assert field_error(response.text, "expires_first_aid") == "该日期已过：请留空或填写将来的日期。"
    assert field_error(response.text, "availability") == "最多 1000 个字符。"
    assert field_error(response.text, "password")
    assert field_error(response.text, "phone")
    assert 'value="call me"' in response.text and "x" * 101 in response.text
    assert 'value="short"' not in response.text
    # Only the username is wrong now: the rule's answer comes back next to it.
    fixed = await apply_form(client, area, username="taken")
    async with nothing_changes((User, User.username == "taken"), also=(VolunteerProfile, VolunteerSkill)):
        taken = await post_form(client, "/volunteer/apply", fixed)
        assert taken.status_code == 422 and field_error(taken.text, "username") == "This username is already taken."
    assert await VolunteerProfile.count().run() == 0


async def _application(area, username="applicant"):
    from portal.volunteers.rules import Application, apply

    applied = await apply(Application(real_name="申请人", phone="13900000000", community_id=area.community_id, username=username, password=PASSWORD, consent=True, application_key=f"00000000-0000-4000-8000-{abs(hash(username)) % 10**12:012d}", email="app@example.org"))
    return applied.user_id, (await VolunteerProfile.select(VolunteerProfile.id).where(VolunteerProfile.user == applied.user_id).first().run())["id"]


async def test_the_officer_lists_views_and_verifies_and_the_volunteer_reads_it_in_the_inbox(client_for, area, app):
    user_id, profile_id = await _application(area)
    officer, _ = await client_for("officer")
    listing = await officer.get("/officer/applications")
    assert f"/officer/volunteers/{profile_id}" in listing.text and "申请人" in listing.text
    detail = await officer.get(f"/officer/volunteers/{profile_id}")
    assert "13900000000" in detail.text and "app@example.org" in detail.text
    verified = await post_form(officer, f"/officer/volunteers/{profile_id}/verify", {"reason": ""})
    assert verified.status_code == 303
    assert "No applications are waiting." in (await officer.get("/officer/applications")).text
    volunteers = await officer.get(f"/communities/{area.community_id}/volunteers?status=verified")
    assert "申请人" in volunteers.text
    async with http_client(app) as volunteer:
        await log_in(volunteer, "applicant")
        home = await volunteer.get("/")
        assert 'id="unread-badge" class="unread-count">1<' in home.text
        inbox = await volunteer.get("/inbox")
        assert "您的义警申请已通过" in inbox.text  # in the applicant's language


async def test_reject_without_a_reason_and_a_stale_decision_are_explained(client_for, area):
    _, profile_id = await _application(area)
    officer, _ = await client_for("officer")
    async with nothing_changes((VolunteerProfile, profile_id)):
        missing = await post_form(officer, f"/officer/volunteers/{profile_id}/reject", {"reason": ""})
        assert missing.status_code == 422 and field_error(missing.text, "reason") == "Give a reason: the volunteer will read it."
        too_long = await post_form(officer, f"/officer/volunteers/{profile_id}/reject", {"reason": "r" * 501})
        assert too_long.status_code == 422 and field_error(too_long.text, "reason") == "Use at most 500 characters."
    assert (await post_form(officer, f"/officer/volunteers/{profile_id}/reject", {"reason": "Could not reach you"})).status_code == 303
    async with nothing_changes((VolunteerProfile, profile_id)):
        stale = await post_form(officer, f"/officer/volunteers/{profile_id}/verify", {})
        assert stale.status_code == 409 and "status has changed meanwhile" in stale.text


async def test_officers_of_another_community_see_no_application_and_change_nothing(client_for, area):
    _, profile_id = await _application(area)
    other, _ = await client_for("officer", community_id=area.other_community_id)
    assert "申请人" not in (await other.get("/officer/applications")).text
    assert (await other.get(f"/officer/volunteers/{profile_id}")).status_code == 404
    assert (await other.get(f"/communities/{area.community_id}/volunteers")).status_code == 403
    async with nothing_changes((VolunteerProfile, profile_id)):
        for action in ("verify", "reject", "suspend", "reinstate"):
            assert (await post_form(other, f"/officer/volunteers/{profile_id}/{action}", {"reason": "x"})).status_code == 404
    assert (await VolunteerProfile.select(VolunteerProfile.status).first().run())["status"] == "pending"


async def test_the_volunteer_edits_the_profile_with_errors_kept_next_to_fields(client_for, area):
    volunteer, user_id = await client_for("volunteer")
    await ensure_profile(None, user_id, area.community_id)
    page = await volunteer.get("/volunteer/profile")
    assert page.status_code == 200 and "Delete my account" in page.text
    async with nothing_changes((User, user_id), (VolunteerProfile, VolunteerProfile.user == user_id), also=(VolunteerSkill,)):
        bad = await post_form(volunteer, "/volunteer/profile", {"phone": "138 0000 1111", "skills": ["driving", "hacking"], "expires_driving": PAST, "email": "nope"})
        assert bad.status_code == 422
    assert field_error(bad.text, "skills") == "Choose skills from the list."
    assert field_error(bad.text, "email") == "Enter a valid e-mail address."
    assert 'value="138 0000 1111"' in bad.text
    good = await post_form(volunteer, "/volunteer/profile", {"phone": "138 0000 1111", "skills": ["driving"], "expires_driving": FUTURE, "availability": "Sat", "may_be_named": "y"})
    assert good.status_code == 303
    assert (await User.select(User.phone).where(User.id == user_id).first().run())["phone"] == "138 0000 1111"
    assert [r["skill"] for r in await VolunteerSkill.select().run()] == ["driving"]


async def test_a_volunteer_without_a_profile_sees_a_notice_not_an_error(client_for):
    volunteer, _ = await client_for("volunteer")
    page = await volunteer.get("/volunteer/profile")
    assert page.status_code == 200 and "no volunteer profile yet" in page.text
    assert (await volunteer.get("/")).status_code == 200


async def test_deleting_the_account_asks_for_the_password_then_logs_out_for_good(client_for, area, client):
    volunteer, user_id = await client_for("volunteer", username="leaver")
    await ensure_profile(None, user_id, area.community_id)
    async with nothing_changes((User, user_id), (VolunteerProfile, VolunteerProfile.user == user_id)):
        wrong = await post_form(volunteer, "/volunteer/profile/delete", {"password": "not it at all"})
        assert wrong.status_code == 422 and field_error(wrong.text, "password") == "The password is not correct."
    done = await post_form(volunteer, "/volunteer/profile/delete", {"password": PASSWORD})
    assert done.status_code == 303
    assert (await volunteer.get("/volunteer/profile", follow_redirects=False)).status_code == 303  # to the login page
    refused = await post_form(client, "/login", {"username": "leaver", "password": PASSWORD})
    assert refused.status_code == 422
    assert (await VolunteerProfile.select(VolunteerProfile.status).first().run())["status"] == "deleted"


async def test_a_volunteer_created_on_the_admin_page_gets_a_verified_profile(client_for, area):
    from portal.volunteers.facts import volunteer_facts

    admin, _ = await client_for("admin")
    form = {"username": "new.vol", "real_name": "新义警", "phone": "", "email": "", "preferred_language": "zh_CN", "role": "volunteer", "community": str(area.community_id), "station": "0", "password": "first-password-1"}
    assert (await post_form(admin, "/admin/users/new", form)).status_code == 303
    user_id = (await User.select(User.id).where(User.username == "new.vol").first().run())["id"]
    facts = await volunteer_facts(user_id)
    assert (facts.status, facts.community_id) == ("verified", area.community_id)


async def test_applications_are_limited_per_address_with_a_clear_message_and_a_resend_is_not_counted(app, area, monkeypatch):
    """The intake forms' database-backed limit: the sixth new application from one address
    within the window is refused with a translated message and the input kept."""
    from portal.public.tables import RateHit
    from portal.volunteers import rules

    limit = rules.APPLY_PER_ADDRESS[0]
    sent = []
    for i in range(limit):
        async with http_client(app) as client:
            form = await apply_form(client, area, username=f"applicant{i}")
            assert (await post_form(client, "/volunteer/apply", form)).status_code == 303
            sent.append(form)
    async with http_client(app) as client:
        # The same form again (a resend on a bad connection) is answered, not limited.
        assert (await post_form(client, "/volunteer/apply", sent[0])).headers["location"] == "/"
    async with http_client(app) as client, nothing_changes(also=(User, VolunteerProfile, VolunteerSkill)):
        limited = await post_form(client, "/volunteer/apply", await apply_form(client, area, username="one-too-many", real_name="赵六"))
        assert limited.status_code == 429
        assert "Too many applications were sent from here" in limited.text and "赵六" in limited.text and "one-too-many" in limited.text
    assert await User.count().run() == limit and await VolunteerProfile.count().run() == limit
    buckets = {r["bucket"] for r in await RateHit.select(RateHit.bucket).run()}
    assert len(buckets) == 1 and all(b.startswith("apply:ip:") and "127.0.0.1" not in b for b in buckets)
    async with http_client(app) as client:
        zh = await post_form(client, "/volunteer/apply", await apply_form(client, area, username="another"), headers={"Accept-Language": "zh-CN"})
        assert zh.status_code == 429 and "提交的申请太多" in zh.text


async def test_the_application_honeypot_creates_no_account(client, area):
    async with nothing_changes(also=(User, VolunteerProfile, VolunteerSkill)):
        response = await post_form(client, "/volunteer/apply", await apply_form(client, area, website="http://spam.example"))
        assert response.status_code == 303 and response.headers["location"] == "/volunteer/apply"
    assert await User.count().run() == 0
