"""Every route × every role: the answer each one gets.

A new route without a row here fails ``test_every_route_has_a_row``. Columns:
anonymous, each role in the area's first community (or station), and an officer
of another community (``officer_other``), for routes scoped by community.
"""

import pytest

from tests.conftest import ensure_csrf, http_client, log_in

COLUMNS = ("anonymous", "volunteer", "host", "officer", "officer_other", "head", "admin")
LOGIN = "login"  # a redirect to the login page


def row(anonymous, volunteer, host, officer, officer_other, head, admin):
    return dict(zip(COLUMNS, (anonymous, volunteer, host, officer, officer_other, head, admin)))


def everyone(status):
    return row(*(status,) * len(COLUMNS))


def members(status, anonymous=LOGIN):
    return row(anonymous, *(status,) * (len(COLUMNS) - 1))


def admin_only(status):
    return row(LOGIN, 403, 403, 403, 403, 403, status)


# (method, path template) -> expected answer per column. Unsafe requests are sent with a
# valid CSRF token and an empty form, so "allowed" often means 422 (the form's errors).
ROUTES = {
    ("GET", "/"): everyone(200),
    ("GET", "/healthz"): everyone(200),
    ("GET", "/login"): members(303, anonymous=200),
    ("POST", "/login"): everyone(422),
    ("POST", "/language"): everyone(303),
    ("GET", "/account/password"): members(200),
    ("POST", "/account/password"): members(422),
    ("GET", "/admin/users"): admin_only(200),
    ("GET", "/admin/users/new"): admin_only(200),
    ("POST", "/admin/users/new"): admin_only(422),
    ("GET", "/admin/users/{user_id:int}"): admin_only(200),
    ("POST", "/admin/users/{user_id:int}/roles"): admin_only(422),
    ("POST", "/admin/users/{user_id:int}/roles/{grant_id:int}/revoke"): admin_only(303),
    ("POST", "/admin/users/{user_id:int}/deactivate"): admin_only(303),
    ("POST", "/admin/users/{user_id:int}/activate"): admin_only(303),
    ("POST", "/admin/users/{user_id:int}/reset-password"): admin_only(200),
    ("GET", "/volunteer/apply"): members(303, anonymous=200),
    ("POST", "/volunteer/apply"): members(303, anonymous=422),
    ("GET", "/volunteer/profile"): row(LOGIN, 200, 403, 403, 403, 403, 200),
    ("POST", "/volunteer/profile"): row(LOGIN, 422, 403, 403, 403, 403, 422),
    ("POST", "/volunteer/profile/delete"): row(LOGIN, 422, 403, 403, 403, 403, 422),
    ("GET", "/officer/applications"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    # The target volunteer's profile is pending in the first community.
    ("GET", "/communities/{community_id:int}/volunteers"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("GET", "/officer/volunteers/{profile_id:int}"): row(LOGIN, 403, 403, 200, 404, 200, 200),
    ("POST", "/officer/volunteers/{profile_id:int}/verify"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    ("POST", "/officer/volunteers/{profile_id:int}/reject"): row(LOGIN, 403, 403, 422, 404, 422, 422),  # no reason
    ("POST", "/officer/volunteers/{profile_id:int}/suspend"): row(LOGIN, 403, 403, 422, 404, 422, 422),  # no reason
    ("POST", "/officer/volunteers/{profile_id:int}/reinstate"): row(LOGIN, 403, 403, 409, 404, 409, 409),  # not suspended
    ("GET", "/inbox"): members(200),
    # The notification is the target's: nobody else reaches it.
    ("POST", "/inbox/{notification_id:int}/read"): members(404),
    ("POST", "/inbox/{notification_id:int}/open"): members(404),
    ("POST", "/inbox/read-all"): members(303),
    # Last: it ends the session the other rows use.
    ("POST", "/logout"): everyone(303),
}


def app_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if route.path.startswith("/static"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in {"HEAD", "OPTIONS"}:
                    found.add((method, route.path))
    return found


def test_every_route_has_a_row(app):
    assert app_routes(app) == set(ROUTES)


@pytest.mark.parametrize("column", COLUMNS)
async def test_route_answers_per_role(app, area, make_user, column):
    target_id = await make_user("volunteer", username="target")
    from portal.accounts.tables import RoleGrant

    grant_id = (await RoleGrant.select(RoleGrant.id).where(RoleGrant.user == target_id).first().run())["id"]
    from portal.notifications.rules import notify
    from portal.notifications.tables import Notification
    from portal.volunteers.rules import ensure_profile
    from portal.volunteers.tables import VolunteerProfile

    await ensure_profile(None, target_id, area.community_id, status="pending")
    profile_id = (await VolunteerProfile.select(VolunteerProfile.id).where(VolunteerProfile.user == target_id).first().run())["id"]
    await notify(target_id, "test", "Log in")
    notification_id = (await Notification.select(Notification.id).where(Notification.user == target_id).first().run())["id"]
    async with http_client(app) as client:
        if column != "anonymous":
            role = "officer" if column == "officer_other" else column
            community = area.other_community_id if column == "officer_other" else None
            await make_user(role, username=f"as-{column}".replace("_", "-"), community_id=community)
            await log_in(client, f"as-{column}".replace("_", "-"))
        token = await ensure_csrf(client)
        failures = []
        for (method, template), expected in ROUTES.items():
            path = template.replace("{user_id:int}", str(target_id)).replace("{grant_id:int}", str(grant_id))
            path = path.replace("{profile_id:int}", str(profile_id)).replace("{notification_id:int}", str(notification_id))
            path = path.replace("{community_id:int}", str(area.community_id))
            if method == "GET":
                response = await client.get(path, follow_redirects=False)
            else:
                response = await client.post(path, data={"_csrf_token": token}, follow_redirects=False)
            wanted = expected[column]
            got = response.status_code
            if wanted == LOGIN:
                ok = got == 303 and response.headers["location"].startswith("/login?next=")
            else:
                ok = got == wanted
            if not ok:
                failures.append(f"{method} {template}: expected {wanted}, got {got}")
        assert failures == []
