"""The admin's user pages: create, roles, deactivate, reset password; all audited."""

import datetime

from portal.accounts.tables import RoleGrant, User
from portal.audit.tables import AuditEntry
from tests.conftest import field_error, htmx_post, log_in, post_form
from tests.unchanged import nothing_changes


def new_user_form(area, **overrides):
    data = {
        "username": "li.ming",
        "real_name": "李明",
        "phone": "138 0000 1234",
        "email": "",
        "preferred_language": "zh_CN",
        "role": "officer",
        "community": str(area.community_id),
        "station": "0",
        "password": "first-password-1",
        "must_change_password": "y",
    }
    return {**data, **overrides}


async def test_admin_creates_an_officer_who_must_change_the_first_password(client_for, area, client):
    admin, admin_id = await client_for("admin")
    response = await post_form(admin, "/admin/users/new", new_user_form(area))
    assert response.status_code == 303
    user = await User.select().where(User.username == "li.ming").first().run()
    assert user["real_name"] == "李明" and user["must_change_password"]
    grants = await RoleGrant.select().where(RoleGrant.user == user["id"]).run()
    assert [(g["role"], g["community"], g["station"]) for g in grants] == [("officer", area.community_id, area.station_id)]
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.object_id == str(user["id"])).order_by(AuditEntry.id).run()
    assert [(a["action"], a["actor"]) for a in audit] == [("user.created", admin_id), ("role.granted", admin_id)]
    await log_in(client, "li.ming", "first-password-1")
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/account/password"


async def test_bad_input_comes_back_next_to_the_fields_with_what_was_typed(client_for, area):
    admin, _ = await client_for("admin")
    form = new_user_form(area, username="bad name!", real_name="", email="not-an-email", password="short", community="999999")
    async with nothing_changes(also=(User, RoleGrant)):
        response = await post_form(admin, "/admin/users/new", form)
        assert response.status_code == 422
    assert field_error(response.text, "username") == "Use only letters, digits, dots, dashes and underscores."
    assert field_error(response.text, "real_name") == "Enter the person&#39;s real name."
    assert field_error(response.text, "email") == "Enter a valid e-mail address."
    assert field_error(response.text, "password") == "Use at least 10 characters."
    assert field_error(response.text, "community") == "Choose a community from the list."
    assert 'value="bad name!"' in response.text and 'value="not-an-email"' in response.text
    assert 'value="short"' not in response.text  # passwords are not echoed
    assert await User.count().run() == 1  # only the admin


async def test_a_role_without_its_scope_and_a_taken_username_are_refused(client_for, area):
    admin, _ = await client_for("admin")
    async with nothing_changes(also=(User, RoleGrant)):
        no_community = await post_form(admin, "/admin/users/new", new_user_form(area, community="0"))
        assert no_community.status_code == 422 and field_error(no_community.text, "community") == "This role needs a community."
    assert (await post_form(admin, "/admin/users/new", new_user_form(area))).status_code == 303
    async with nothing_changes((User, User.username == "li.ming"), also=(RoleGrant,)):
        again = await post_form(admin, "/admin/users/new", new_user_form(area, real_name="Someone else"))
        assert again.status_code == 422 and field_error(again.text, "username") == "This username is already taken."
    assert await User.count().where(User.username == "li.ming").run() == 1


async def test_double_submit_creates_one_user(client_for, area):
    admin, _ = await client_for("admin")
    first = await post_form(admin, "/admin/users/new", new_user_form(area))
    second = await post_form(admin, "/admin/users/new", new_user_form(area))
    assert first.status_code == 303 and second.status_code == 422
    assert await User.count().where(User.username == "li.ming").run() == 1


async def test_roles_are_granted_and_revoked_with_audit(client_for, make_user, area):
    admin, _ = await client_for("admin")
    user_id = await make_user("volunteer")
    response = await post_form(admin, f"/admin/users/{user_id}/roles", {"role": "head", "station": str(area.other_station_id), "community": "0"})
    assert response.status_code == 303
    head_grant = await RoleGrant.select().where((RoleGrant.user == user_id) & (RoleGrant.role == "head")).first().run()
    assert head_grant["station"] == area.other_station_id
    async with nothing_changes((RoleGrant, RoleGrant.user == user_id)):
        duplicate = await post_form(admin, f"/admin/users/{user_id}/roles", {"role": "head", "station": str(area.other_station_id), "community": "0"})
        assert duplicate.status_code == 422 and "The user already has this role." in duplicate.text
    await post_form(admin, f"/admin/users/{user_id}/roles/{head_grant['id']}/revoke")
    assert not await RoleGrant.exists().where(RoleGrant.id == head_grant["id"]).run()
    actions = [a["action"] for a in await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_id == str(user_id)).order_by(AuditEntry.id).run()]
    assert actions[-2:] == ["role.granted", "role.revoked"]


async def test_deactivate_by_htmx_swaps_the_row_and_reactivate_restores(client_for, make_user):
    admin, _ = await client_for("admin")
    user_id = await make_user("volunteer", real_name="刘芳")
    row = await htmx_post(admin, f"/admin/users/{user_id}/deactivate", target=f"user-{user_id}")
    assert row.status_code == 200
    assert row.text.lstrip().startswith(f'<tr id="user-{user_id}">') and "Deactivated" in row.text
    assert not (await User.select(User.active).where(User.id == user_id).first().run())["active"]
    await post_form(admin, f"/admin/users/{user_id}/activate")
    assert (await User.select(User.active).where(User.id == user_id).first().run())["active"]
    actions = [a["action"] for a in await AuditEntry.select(AuditEntry.action).where(AuditEntry.object_id == str(user_id)).order_by(AuditEntry.id).run()]
    assert actions[-2:] == ["user.deactivated", "user.activated"]


async def test_admin_cannot_deactivate_themselves(client_for):
    admin, admin_id = await client_for("admin")
    async with nothing_changes((User, admin_id), (RoleGrant, RoleGrant.user == admin_id)):
        response = await post_form(admin, f"/admin/users/{admin_id}/deactivate")
        assert "You cannot deactivate your own account." in response.text
    assert (await User.select(User.active).where(User.id == admin_id).first().run())["active"]


async def test_password_reset_shows_a_one_time_password_once(client_for, make_user, client):
    admin, _ = await client_for("admin")
    user_id = await make_user("volunteer", username="forgot")
    page = await post_form(admin, f"/admin/users/{user_id}/reset-password")
    import re

    temporary = re.search(r'<p class="secret"><code>([0-9a-f-]+)</code></p>', page.text).group(1)
    assert temporary not in (await admin.get(f"/admin/users/{user_id}")).text
    await log_in(client, "forgot", temporary)
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/account/password"
    assert await AuditEntry.exists().where((AuditEntry.action == "password.reset") & (AuditEntry.object_id == str(user_id))).run()


async def test_user_list_pages_by_key_and_searches(client_for, make_user):
    admin, _ = await client_for("admin")
    for n in range(55):
        await User.insert(User(username=f"bulk{n:02d}", password_hash="x", real_name=f"批量{n}", created_at=datetime.datetime.now(datetime.timezone.utc))).run()
    first = await admin.get("/admin/users/")
    assert first.text.count('<tr id="user-') == 50
    next_link = __import__("re").search(r'href="(/admin/users/\?after=[\w-]+)"', first.text).group(1)
    second = await admin.get(next_link)
    assert second.text.count('<tr id="user-') == 6  # 55 + the admin - 50
    found = await admin.get("/admin/users/?q=bulk07")
    assert found.text.count('<tr id="user-') == 1


async def test_user_list_shows_roles_and_units_and_filters_by_them_and_by_status(client_for, make_user, area):
    import re

    admin, _ = await client_for("admin")
    officer_a = await make_user("officer", username="officer-a", community_id=area.community_id)
    await make_user("officer", username="officer-c", community_id=area.other_station_community_id)
    volunteer_b = await make_user("volunteer", username="volunteer-b", community_id=area.other_community_id)
    head = await make_user("head", username="head-1", station_id=area.station_id)
    await make_user("head", username="head-2", station_id=area.other_station_id)
    await User.update({User.active: False}).where(User.id == volunteer_b).run()

    def listed(page) -> set[str]:
        return set(re.findall(r'<tr id="user-\d+">\s*<td><a href="/admin/users/\d+">([^<]+)</a>', page.text))

    everyone = await admin.get("/admin/users/")
    assert {"officer-a", "officer-c", "volunteer-b", "head-1", "head-2"} <= listed(everyone)
    row = re.search(r'<tr id="user-%d">.*?</tr>' % officer_a, everyone.text, re.S).group(0)
    assert "Community officer · Community A" in row
    assert "Station head · 城中派出所 EN" in re.search(r'<tr id="user-%d">.*?</tr>' % head, everyone.text, re.S).group(0)
    assert listed(await admin.get("/admin/users/?role=head")) == {"head-1", "head-2"}
    # A station: its heads and everyone with a role in one of its communities.
    assert listed(await admin.get(f"/admin/users/?station={area.station_id}")) == {"officer-a", "volunteer-b", "head-1"}
    assert listed(await admin.get(f"/admin/users/?community={area.other_station_community_id}")) == {"officer-c"}
    assert listed(await admin.get(f"/admin/users/?station={area.station_id}&role=officer")) == {"officer-a"}
    assert listed(await admin.get("/admin/users/?status=deactivated")) == {"volunteer-b"}
    assert "volunteer-b" not in listed(await admin.get("/admin/users/?status=active"))
    # The filters stay on the page, and bad values never give a 500.
    page = await admin.get(f"/admin/users/?role=officer&station={area.station_id}")
    assert '<option value="officer" selected>' in page.text and f'<option value="{area.station_id}" selected>' in page.text
    for query in ("role=nobody", "station=-1", "community=abc", "status=gone", "station=99999999999"):
        assert (await admin.get(f"/admin/users/?{query}")).status_code in (200, 400), query


async def test_user_list_pages_keep_the_filters(client_for, area):
    import re

    admin, _ = await client_for("admin")
    for n in range(52):
        await User.insert(User(username=f"vol{n:02d}", password_hash="x", real_name=f"义警{n}", created_at=datetime.datetime.now(datetime.timezone.utc))).run()
    ids = [row["id"] for row in await User.select(User.id).where(User.username.like("vol%")).run()]
    await RoleGrant.insert(*[RoleGrant(user=user_id, role="volunteer", community=area.community_id, created_at=datetime.datetime.now(datetime.timezone.utc)) for user_id in ids]).run()
    first = await admin.get("/admin/users/?role=volunteer")
    link = re.search(r'href="(/admin/users/\?after=[\w-]+&amp;role=volunteer)"', first.text).group(1).replace("&amp;", "&")
    assert (await admin.get(link)).text.count('<tr id="user-') == 2


async def test_unknown_user_is_a_404_and_bad_ids_never_500(client_for):
    admin, _ = await client_for("admin")
    assert (await admin.get("/admin/users/999999")).status_code == 404
    assert (await admin.get("/admin/users/abc")).status_code == 404
    assert (await admin.get("/admin/users/?after=minus")).status_code == 200  # a mangled cursor: the first page
    assert (await admin.get("/admin/users/?after=" + "x" * 600)).status_code == 400
    async with nothing_changes(also=(User,)):
        assert (await post_form(admin, "/admin/users/999999/reset-password")).status_code == 404


async def test_deactivating_and_resetting_a_password_ask_for_confirmation_first(client_for, make_user):
    """The buttons lead to a page that says what will happen; only its form changes anything."""
    admin, _ = await client_for("admin")
    user_id = await make_user("volunteer", username="careful", real_name="小心")
    listing = await admin.get("/admin/users/")
    assert f'href="/admin/users/{user_id}/deactivate"' in listing.text
    assert f'action="/admin/users/{user_id}/deactivate"' not in listing.text  # no one-click form
    detail = await admin.get(f"/admin/users/{user_id}")
    assert f'href="/admin/users/{user_id}/reset-password"' in detail.text and f'action="/admin/users/{user_id}/reset-password"' not in detail.text
    async with nothing_changes((User, user_id)):
        ask = await admin.get(f"/admin/users/{user_id}/deactivate")
        assert ask.status_code == 200 and "logged out at once" in ask.text
        assert f'<form method="post" action="/admin/users/{user_id}/deactivate">' in ask.text
        ask_reset = await admin.get(f"/admin/users/{user_id}/reset-password")
        assert "current password stops working" in ask_reset.text
    assert (await post_form(admin, f"/admin/users/{user_id}/deactivate")).status_code == 303
    assert (await User.select(User.active).where(User.id == user_id).first().run())["active"] is False
    assert (await admin.get("/admin/users/999999/deactivate")).status_code == 404
