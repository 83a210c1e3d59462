"""Every route × every role: the answer each one gets.

A new route without a row here fails ``test_every_route_has_a_row``. Columns:
anonymous, each role in the area's first community (or station), an officer of
another community of the same station (``officer_other``), and the head of another
station and a volunteer and a host of that station's community (``head_other``,
``volunteer_other``, ``host_other``: the objects are the first community's). The last
three answer as ``officer_other``, ``volunteer`` and ``host`` unless a row says otherwise.

Heads above the station: the head of the first station's district (``head_district``),
the city's head (``head_city``) and the head of the other district (``head_other_district``).
They read as the station head (``head``, or ``head_other`` for the other district) and
change nothing: a GET answers as that column, an unsafe request 403, unless a row says
otherwise.
"""

import re

import pytest

from tests.conftest import ensure_csrf, http_client, log_in

COLUMNS = (
    "anonymous", "volunteer", "host", "officer", "officer_other", "head", "admin", "head_other", "volunteer_other", "host_other",
    "head_district", "head_city", "head_other_district",
)
OVERSEERS = {"head_district": "head", "head_city": "head", "head_other_district": "head_other"}
LOGIN = "login"  # a redirect to the login page


def row(anonymous, volunteer, host, officer, officer_other, head, admin, *, head_other=None, volunteer_other=None, host_other=None, **overseers):
    answers = dict(zip(COLUMNS, (
        anonymous, volunteer, host, officer, officer_other, head, admin,
        officer_other if head_other is None else head_other,
        volunteer if volunteer_other is None else volunteer_other,
        host if host_other is None else host_other,
    )))
    return answers | overseers


def overseers(status):
    return {column: status for column in OVERSEERS}


def expected_for(method: str, answers: dict, column: str):
    if column in answers:
        return answers[column]
    return answers[OVERSEERS[column]] if method == "GET" else 403


def everyone(status):
    return row(*(status,) * 7, **overseers(status))


def members(status, anonymous=LOGIN):
    return row(anonymous, *(status,) * 6, **overseers(status))


def admin_only(status):
    return row(LOGIN, 403, 403, 403, 403, 403, status)


# (method, path template) -> expected answer per column. Unsafe requests are sent with a
# valid CSRF token and an empty form, so "allowed" often means 422 (the form's errors).
ROUTES = {
    ("GET", "/"): everyone(200),
    ("GET", "/healthz"): everyone(200),
    ("GET", "/favicon.ico"): everyone(200),
    ("GET", "/manifest.webmanifest"): everyone(200),
    ("GET", "/sw.js"): everyone(200),
    ("GET", "/outbox"): members(200),
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
    ("GET", "/admin/users/{user_id:int}/roles/{grant_id:int}/revoke"): admin_only(200),
    ("POST", "/admin/users/{user_id:int}/roles/{grant_id:int}/revoke"): admin_only(303),
    ("GET", "/admin/users/{user_id:int}/deactivate"): admin_only(200),
    ("GET", "/admin/users/{user_id:int}/reset-password"): admin_only(200),
    ("POST", "/admin/users/{user_id:int}/deactivate"): admin_only(303),
    ("POST", "/admin/users/{user_id:int}/activate"): admin_only(303),
    ("POST", "/admin/users/{user_id:int}/reset-password"): admin_only(200),
    ("GET", "/admin/org"): admin_only(200),
    ("GET", "/admin/org/new"): admin_only(200),
    ("POST", "/admin/org/new"): admin_only(422),
    ("GET", "/admin/org/{level:str}/{code:str}"): admin_only(200),
    ("POST", "/admin/org/{level:str}/{code:str}/rename"): admin_only(422),
    ("POST", "/admin/org/{level:str}/{code:str}/move"): admin_only(422),
    ("POST", "/admin/org/{level:str}/{code:str}/retire"): admin_only(422),
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
    # Watch points: the point belongs to the first community and its host is the target
    # (so the host column is someone else's point); the public pages need no account.
    ("GET", "/watchpoints"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/watchpoints/mine"): row(LOGIN, 200, 200, 403, 403, 403, 200),
    ("GET", "/watchpoints/new"): row(LOGIN, 200, 200, 403, 403, 403, 200),
    ("POST", "/watchpoints/new"): row(LOGIN, 422, 422, 403, 403, 403, 422),
    ("GET", "/watchpoints/{point_id:int}"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("GET", "/watchpoints/{point_id:int}/edit"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/watchpoints/{point_id:int}/edit"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("GET", "/watchpoints/{point_id:int}/hours"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/watchpoints/{point_id:int}/hours"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("POST", "/watchpoints/{point_id:int}/closed-today"): row(LOGIN, 403, 403, 303, 403, 303, 303),
    ("POST", "/watchpoints/{point_id:int}/visits"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("POST", "/watchpoints/{point_id:int}/suspend"): row(LOGIN, 403, 403, 303, 403, 303, 303),
    ("POST", "/watchpoints/{point_id:int}/reinstate"): row(LOGIN, 403, 403, 303, 403, 303, 303),
    ("GET", "/watchpoints/{point_id:int}/photo"): row(LOGIN, 403, 403, 404, 403, 404, 404),  # no photo
    ("GET", "/watchpoints/{point_id:int}/board"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("GET", "/communities/{community_id:int}/boards"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    # The contact boards registry of the first community (the board id is unknown: 404).
    ("GET", "/communities/{community_id:int}/board-registry"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("GET", "/communities/{community_id:int}/board-registry/new"): row(LOGIN, 403, 403, 200, 403, 200, 200, head_district=403, head_city=403),
    ("POST", "/communities/{community_id:int}/board-registry/new"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("GET", "/communities/{community_id:int}/board-registry/{board_id:int}"): row(LOGIN, 403, 403, 404, 403, 404, 404),
    ("POST", "/communities/{community_id:int}/board-registry/{board_id:int}"): row(LOGIN, 403, 403, 404, 403, 404, 404),
    ("POST", "/communities/{community_id:int}/board-registry/{board_id:int}/replaced"): row(LOGIN, 403, 403, 404, 403, 404, 404),
    ("POST", "/communities/{community_id:int}/board-registry/{board_id:int}/retire"): row(LOGIN, 403, 403, 404, 403, 404, 404),
    ("POST", "/communities/{community_id:int}/board-registry/{board_id:int}/restore"): row(LOGIN, 403, 403, 404, 403, 404, 404),
    ("GET", "/communities/{community_id:int}/board-registry/print"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/communities/{community_id:int}/board-registry/print"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("GET", "/p/{slug:str}"): everyone(200),
    ("GET", "/p/{slug:str}/photo"): everyone(404),  # no photo
    ("GET", "/c/{code:str}"): everyone(200),
    ("GET", "/c/{code:str}/officers/{user_id:int}/photo"): everyone(404),  # no photo
    ("GET", "/c/{code:str}/ask/{kind:str}"): everyone(200),
    ("POST", "/c/{code:str}/ask/{kind:str}"): everyone(422),
    ("GET", "/track"): everyone(200),
    ("GET", "/track/{code:str}"): everyone(404),  # an unknown code
    # Watch points: the duty roster of the first community (the slot id is unknown: 404).
    ("GET", "/communities/{community_id:int}/duty"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/communities/{community_id:int}/duty"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("POST", "/communities/{community_id:int}/duty/{slot_id:int}/remove"): row(LOGIN, 403, 403, 404, 403, 404, 404),
    # Officers' photos: the target is a volunteer, not an officer, so nobody has one to see or change.
    ("GET", "/officers/{user_id:int}/photo"): members(404),
    ("GET", "/officers/{user_id:int}/photo/edit"): members(404),
    ("POST", "/officers/{user_id:int}/photo/edit"): members(404),
    ("POST", "/officers/{user_id:int}/photo/remove"): members(404),
    ("GET", "/intake"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/intake/{intake_id:int}"): row(LOGIN, 403, 403, 200, 404, 200, 200),
    ("POST", "/intake/{intake_id:int}/answer"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    # Shifts. The volunteer, host and admin columns have no verified profile: sign-up
    # answers 409 with the reason (another community's volunteer or host: 404). The
    # objects are in the first community.
    ("GET", "/shifts"): row(LOGIN, 200, 200, 403, 403, 403, 200),
    ("GET", "/shifts/mine"): row(LOGIN, 200, 200, 403, 403, 403, 200),
    ("GET", "/shifts/calendar"): row(LOGIN, 200, 200, 403, 403, 403, 200),
    ("POST", "/shifts/calendar/reset"): row(LOGIN, 200, 200, 403, 403, 403, 200),
    ("POST", "/shifts/{shift_id:int}/signup"): row(LOGIN, 409, 409, 403, 403, 403, 409, volunteer_other=404, host_other=404),
    ("POST", "/shifts/{shift_id:int}/withdraw"): row(LOGIN, 409, 409, 403, 403, 403, 409, volunteer_other=404, host_other=404),
    ("POST", "/shifts/{shift_id:int}/check-in"): row(LOGIN, 409, 409, 403, 403, 403, 409, volunteer_other=404, host_other=404),
    ("POST", "/shifts/{shift_id:int}/check-out"): row(LOGIN, 409, 409, 403, 403, 403, 409, volunteer_other=404, host_other=404),
    ("GET", "/calendar/{token:str}/shifts.ics"): everyone(404),  # an unknown token
    ("GET", "/shifts/manage/{community_id:int}"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("GET", "/shifts/manage/{community_id:int}/setup"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("GET", "/shifts/manage/{community_id:int}/kinds/new"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/shifts/manage/{community_id:int}/kinds/new"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("GET", "/shifts/manage/{community_id:int}/kinds/{kind_id:int}"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/shifts/manage/{community_id:int}/kinds/{kind_id:int}"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("GET", "/shifts/manage/{community_id:int}/rosters/new"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/shifts/manage/{community_id:int}/rosters/new"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("GET", "/shifts/manage/{community_id:int}/rosters/{template_id:int}"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/shifts/manage/{community_id:int}/rosters/{template_id:int}"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("GET", "/shifts/manage/{community_id:int}/shifts/new"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/shifts/manage/{community_id:int}/shifts/new"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("GET", "/shifts/manage/{community_id:int}/shifts/{shift_id:int}"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/shifts/manage/{community_id:int}/shifts/{shift_id:int}/cancel"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("POST", "/shifts/manage/{community_id:int}/signups/{signup_id:int}/no-show"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("POST", "/shifts/manage/{community_id:int}/signups/{signup_id:int}/hours"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("POST", "/shifts/manage/{community_id:int}/people/{user_id:int}/unblock"): row(LOGIN, 403, 403, 404, 403, 404, 404),  # not blocked
    ("GET", "/shifts/manage/{community_id:int}/hours"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("GET", "/shifts/manage/{community_id:int}/hours.csv"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("GET", "/shifts/manage/{community_id:int}/hours.xlsx"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    # Shifts: deciding on shifts a roster edit kept (the test shift is not a kept one).
    ("POST", "/shifts/manage/{community_id:int}/rosters/{template_id:int}/kept/{shift_id:int}/move"): row(LOGIN, 403, 403, 404, 403, 404, 404),
    ("POST", "/shifts/manage/{community_id:int}/rosters/{template_id:int}/kept/{shift_id:int}/keep"): row(LOGIN, 403, 403, 404, 403, 404, 404),
    ("POST", "/shifts/manage/{community_id:int}/rosters/{template_id:int}/kept/{shift_id:int}/cancel"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("POST", "/shifts/manage/{community_id:int}/people/{user_id:int}/experienced"): row(LOGIN, 403, 403, 303, 403, 303, 303),
    # Field logs: the log is the target volunteer's hazard (with a photo) in the first
    # community; the watch point is the target's. Empty forms answer 422.
    ("GET", "/logs/new"): members(200),
    ("GET", "/logs/new/{log_kind:str}"): members(200),
    ("POST", "/logs/new/{log_kind:str}"): row(LOGIN, *(422,) * 6, **overseers(403)),  # heads above a station log nothing
    ("POST", "/logs/nothing-to-report"): row(LOGIN, *(303,) * 6, **overseers(403)),
    ("GET", "/logs/mine"): members(200),
    ("GET", "/logs/{log_id:int}"): row(LOGIN, 404, 404, 200, 404, 200, 200),
    ("GET", "/logs/{log_id:int}/photos/{photo_id:int}"): row(LOGIN, 404, 404, 200, 404, 200, 200),
    ("GET", "/logs/{log_id:int}/photos/{photo_id:int}/thumb"): row(LOGIN, 404, 404, 200, 404, 200, 200),
    ("POST", "/logs/{log_id:int}/answer"): row(LOGIN, 404, 404, 422, 404, 422, 422, **overseers(404)),
    ("POST", "/logs/{log_id:int}/hazard"): row(LOGIN, 404, 404, 422, 404, 422, 422, **overseers(404)),
    ("GET", "/logs/at/{point_id:int}"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("GET", "/logs/landmarks/{community_id:int}"): row(LOGIN, 403, 403, 200, 403, 200, 200),
    ("POST", "/logs/landmarks/{community_id:int}"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("POST", "/logs/landmarks/{community_id:int}/{landmark_id:int}/retire"): row(LOGIN, 403, 403, 303, 403, 303, 303),
    ("POST", "/logs/landmarks/{community_id:int}/{landmark_id:int}/restore"): row(LOGIN, 403, 403, 303, 403, 303, 303),
    # Review of field logs (the log is the target volunteer's hazard in the first community).
    ("GET", "/review"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/review/export.csv"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/review/export.xlsx"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/review/stats"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("POST", "/review/bulk"): row(LOGIN, 403, 403, 422, 422, 422, 422),
    ("POST", "/review/{log_id:int}/accept"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("POST", "/review/{log_id:int}/ask"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("POST", "/review/{log_id:int}/comment"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("POST", "/review/{log_id:int}/duplicate"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("POST", "/review/{log_id:int}/file"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    # The three ledgers (the head of another station sees that station's dashboard):
    # the item is a complaint of the first community; empty forms
    # answer 422 (or 303 where an empty form is a valid "clear"); the public ledger and
    # the tracking answer need no account ("a" is an unknown tracking code: 404).
    ("GET", "/ledger"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/ledger/new"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("POST", "/ledger/new"): row(LOGIN, 403, 403, 422, 422, 422, 422),
    ("GET", "/ledger/{item_id:int}"): row(LOGIN, 403, 403, 200, 404, 200, 200),
    # The desk of a reception room: officers of its community, the station head, admins; a
    # volunteer only on a reception shift of that room (none here). Heads above read it.
    ("GET", "/reception/rooms/{room_id:int}/desk"): row(LOGIN, 404, 404, 200, 404, 200, 200),
    ("POST", "/reception/rooms/{room_id:int}/desk"): row(LOGIN, 403, 403, 422, 403, 422, 422),
    ("GET", "/reception/visits/{visit_id:int}"): row(LOGIN, 404, 404, 200, 404, 200, 200),
    ("POST", "/reception/visits/{visit_id:int}"): row(LOGIN, 404, 404, 422, 404, 422, 422),
    ("POST", "/reception/visits/{visit_id:int}/ledger"): row(LOGIN, 404, 404, 422, 404, 422, 422),
    ("POST", "/reception/visits/{visit_id:int}/mediation"): row(LOGIN, 404, 404, 303, 404, 303, 303),
    ("GET", "/reception/visits/{visit_id:int}/receipt"): row(LOGIN, 404, 404, 404, 404, 404, 404),  # not filed: no slip
    ("POST", "/ledger/{item_id:int}/move"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("POST", "/ledger/{item_id:int}/private"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    ("POST", "/ledger/{item_id:int}/public-text"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    ("POST", "/ledger/{item_id:int}/callback"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("POST", "/ledger/{item_id:int}/referrals"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("POST", "/ledger/{item_id:int}/referral-answer"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    # Answer templates: each officer and head keeps those of their own stations.
    ("GET", "/ledger/templates"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("POST", "/ledger/templates"): row(LOGIN, 403, 403, 422, 422, 422, 422),
    ("POST", "/ledger/templates/remove"): row(LOGIN, 403, 403, 404, 404, 404, 404),
    # The answer template is the first station's: its officers and head edit it in place.
    ("POST", "/ledger/templates/{answer_template_id:int}/edit"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    # Saved views: each user's own ("view_id" is another officer's view: 404 for everyone).
    ("POST", "/ledger/views"): row(LOGIN, 403, 403, 422, 422, 422, 422),
    ("POST", "/ledger/views/{view_id:int}/remove"): row(LOGIN, 403, 403, 404, 404, 404, 404),
    ("GET", "/ledger/overdue"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/ledger/export"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("POST", "/ledger/bulk-reassign"): row(LOGIN, 403, 403, 422, 422, 422, 422),
    ("POST", "/ledger/from-intake/{intake_id:int}"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    ("POST", "/ledger/from-log/{log_id:int}"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    ("GET", "/ledger/dashboard"): row(LOGIN, 403, 403, 403, 403, 200, 200, head_other=200),
    ("GET", "/ledger/dashboard/export.xlsx"): row(LOGIN, 403, 403, 403, 403, 200, 200, head_other=200),
    # The reception rooms' figures: officers read their communities', heads their area's.
    ("GET", "/reception/figures"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=200),
    ("GET", "/reception/figures.xlsx"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=200),
    ("GET", "/overview"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=200),
    ("GET", "/overview/export.xlsx"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=200),
    ("GET", "/stations/{station_id:int}/reception"): everyone(200),
    ("GET", "/ledger/calendar"): admin_only(200),
    ("POST", "/ledger/calendar/holidays"): admin_only(422),
    ("POST", "/ledger/calendar/holidays/{day:str}/remove"): admin_only(404),  # no such holiday
    ("POST", "/ledger/calendar/rules"): admin_only(422),
    # Ledger number letters per station (admin).
    ("POST", "/ledger/calendar/prefix"): admin_only(422),
    ("GET", "/c/{code:str}/ledger"): everyone(200),
    ("GET", "/s/{station_id:int}/ledger"): everyone(200),
    ("POST", "/track/{code:str}/answer"): everyone(404),
    # The answer e-mail's signed link: "not-a-token" is no signed token of any item.
    ("GET", "/satisfaction/{token:str}"): everyone(404),
    ("POST", "/satisfaction/{token:str}"): everyone(404),
    # Open311 (open311): the API reads only public items and ignores the session, so it
    # answers every role the same; a POST without an api_key is refused with the spec's
    # 403. The service file is a known service, the request and token files unknown ones.
    ("GET", "/open311/v2/discovery.xml"): everyone(200),
    ("GET", "/open311/v2/discovery.json"): everyone(200),
    ("GET", "/open311/v2/services.xml"): everyone(200),
    ("GET", "/open311/v2/services.json"): everyone(200),
    ("GET", "/open311/v2/services/{service_file:str}"): everyone(200),
    ("GET", "/open311/v2/requests.xml"): everyone(200),
    ("GET", "/open311/v2/requests.json"): everyone(200),
    ("POST", "/open311/v2/requests.xml"): everyone(403),
    ("POST", "/open311/v2/requests.json"): everyone(403),
    ("GET", "/open311/v2/requests/{request_file:str}"): everyone(404),
    ("GET", "/open311/v2/tokens/{token_file:str}"): everyone(404),
    ("GET", "/open311/v2/servicerequestupdates.xml"): everyone(200),
    ("GET", "/open311/v2/servicerequestupdates.json"): everyone(200),
    ("POST", "/open311/v2/servicerequestupdates.xml"): everyone(403),
    ("POST", "/open311/v2/servicerequestupdates.json"): everyone(403),
    ("GET", "/schema"): everyone(200),
    ("GET", "/schema/openapi.json"): everyone(200),
    ("GET", "/schema/{path:str}"): everyone(200),
    ("GET", "/admin/open311-keys"): admin_only(200),
    ("POST", "/admin/open311-keys"): admin_only(422),
    ("POST", "/admin/open311-keys/{key_id:int}/revoke"): admin_only(404),  # no such key
    # Bulletins: the first community's draft of 2026-W47 (no published week: public pages
    # of a week answer 404) and a tip; the public pages and feeds need no account.
    ("GET", "/c/{code:str}/bulletins/{week:str}"): everyone(404),  # before the rows that publish it
    ("GET", "/c/{code:str}/bulletins/{week:str}/text"): everyone(404),
    ("GET", "/stations/{station_id:int}/bulletins/{week:str}"): everyone(404),
    ("GET", "/bulletins"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/bulletins/{bulletin_id:int}"): row(LOGIN, 403, 403, 200, 404, 200, 200),
    # Heads above a station pass the guard (they publish their own roll-ups) and find no
    # community bulletin to change.
    ("POST", "/bulletins/{bulletin_id:int}/edit"): row(LOGIN, 403, 403, 303, 404, 303, 303, **overseers(404)),  # an empty headline and note are valid
    ("POST", "/bulletins/{bulletin_id:int}/publish"): row(LOGIN, 403, 403, 303, 404, 303, 303, **overseers(404)),
    ("POST", "/bulletins/{bulletin_id:int}/correct"): row(LOGIN, 403, 403, 303, 404, 303, 303, **overseers(404)),  # published just above
    ("GET", "/bulletins/tips"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("POST", "/bulletins/tips"): row(LOGIN, 403, 403, 422, 422, 422, 422),
    ("GET", "/bulletins/tips/{tip_id:int}"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("POST", "/bulletins/tips/{tip_id:int}"): row(LOGIN, 403, 403, 422, 422, 422, 422),
    ("GET", "/c/{code:str}/bulletins"): everyone(200),
    ("GET", "/c/{code:str}/bulletins.atom"): everyone(200),
    ("GET", "/c/{code:str}/subscribe"): everyone(200),
    ("POST", "/c/{code:str}/subscribe"): everyone(422),
    ("GET", "/stations/{station_id:int}/bulletins"): everyone(200),
    ("GET", "/stations/{station_id:int}/bulletins.atom"): everyone(200),
    # The first district's and the city's roll-ups: none is published.
    ("GET", "/districts/{district_code:str}/bulletins"): everyone(200),
    ("GET", "/districts/{district_code:str}/bulletins.atom"): everyone(200),
    ("GET", "/districts/{district_code:str}/bulletins/{week:str}"): everyone(404),
    ("GET", "/cities/{city_code:str}/bulletins"): everyone(200),
    ("GET", "/cities/{city_code:str}/bulletins.atom"): everyone(200),
    ("GET", "/cities/{city_code:str}/bulletins/{week:str}"): everyone(404),
    ("GET", "/bulletins/confirm/{token:str}"): everyone(404),  # an unknown token
    ("POST", "/bulletins/confirm/{token:str}"): everyone(404),
    ("GET", "/bulletins/unsubscribe/{token:str}"): everyone(404),
    ("POST", "/bulletins/unsubscribe/{token:str}"): everyone(404),
    # Imports (officers, heads, admins; district and city heads only read, so never import). The
    # token is unknown: 404 to whoever may import.
    ("GET", "/imports"): row(LOGIN, 403, 403, 200, 200, 200, 200, **overseers(403)),
    ("POST", "/imports"): row(LOGIN, 403, 403, 422, 422, 422, 422, **overseers(403)),
    ("GET", "/imports/files/{import_kind:str}/{file_name:str}"): row(LOGIN, 403, 403, 200, 200, 200, 200, **overseers(403)),
    ("GET", "/imports/batch/{token:str}"): row(LOGIN, 403, 403, 404, 404, 404, 404, **overseers(403)),
    ("GET", "/imports/batch/{token:str}/progress"): row(LOGIN, 403, 403, 404, 404, 404, 404, **overseers(403)),
    ("POST", "/imports/batch/{token:str}/confirm"): row(LOGIN, 403, 403, 404, 404, 404, 404, **overseers(403)),
    ("GET", "/imports/batch/{token:str}/passwords"): row(LOGIN, 403, 403, 404, 404, 404, 404, **overseers(403)),
    ("GET", "/imports/batch/{token:str}/passwords.xlsx"): row(LOGIN, 403, 403, 404, 404, 404, 404, **overseers(403)),
    ("POST", "/imports/batch/{token:str}/passwords/erase"): row(LOGIN, 403, 403, 404, 404, 404, 404, **overseers(403)),
    # Reception rooms: officers of the room's community and the station head keep the
    # registry; heads above read it. The phrasebook: the station's officers and head.
    ("GET", "/reception/rooms"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/reception/rooms/new"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("POST", "/reception/rooms/new"): row(LOGIN, 403, 403, 422, 422, 422, 422),
    ("GET", "/reception/rooms/{room_id:int}"): row(LOGIN, 403, 403, 200, 404, 200, 200),
    ("GET", "/reception/rooms/{room_id:int}/edit"): row(LOGIN, 403, 403, 200, 404, 200, 200),
    ("POST", "/reception/rooms/{room_id:int}/edit"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("GET", "/reception/rooms/{room_id:int}/hours"): row(LOGIN, 403, 403, 200, 404, 200, 200),
    ("POST", "/reception/rooms/{room_id:int}/hours"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("POST", "/reception/rooms/{room_id:int}/verify"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    ("POST", "/reception/rooms/{room_id:int}/suspend"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    ("POST", "/reception/rooms/{room_id:int}/reinstate"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    ("GET", "/rr/{room_slug:str}"): everyone(200),
    ("GET", "/reception/phrasebook"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/reception/phrasebook/{station_id:int}"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=404),
    ("GET", "/reception/phrasebook/{station_id:int}/new"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=404),
    ("POST", "/reception/phrasebook/{station_id:int}/new"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    ("GET", "/reception/phrases/{phrase_id:int}/edit"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=404),
    ("POST", "/reception/phrases/{phrase_id:int}/edit"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    # After every other row of the room and the phrase: these end them.
    ("POST", "/reception/phrases/{phrase_id:int}/remove"): row(LOGIN, 403, 403, 303, 303, 303, 303, head_other=404),
    ("POST", "/reception/rooms/{room_id:int}/retire"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    # 进建商: kept by the officers and head of the first station (the session is recorded
    # under its first community); heads above read, never the new-session form.
    ("GET", "/councils"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/councils/overdue"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/councils/stations/{station_id:int}/representatives"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=404),
    ("POST", "/councils/stations/{station_id:int}/representatives"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    ("GET", "/councils/stations/{station_id:int}/new"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=404, head_district=403, head_city=403, head_other_district=404),
    ("POST", "/councils/stations/{station_id:int}/new"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    ("GET", "/councils/{session_id:int}"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=404),
    ("GET", "/councils/{session_id:int}/edit"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=404, head_district=403, head_city=403, head_other_district=404),
    ("POST", "/councils/{session_id:int}/edit"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    ("POST", "/councils/{session_id:int}/resolutions"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    ("POST", "/councils/resolutions/{resolution_id:int}/ledger"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    ("POST", "/councils/resolutions/{resolution_id:int}/done"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    ("POST", "/councils/resolutions/{resolution_id:int}/change"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    ("GET", "/councils/representatives/{representative_id:int}/edit"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=404, head_district=403, head_city=403, head_other_district=404),
    ("POST", "/councils/representatives/{representative_id:int}/edit"): row(LOGIN, 403, 403, 422, 422, 422, 422, head_other=404),
    ("POST", "/councils/representatives/{representative_id:int}/reinstate"): row(LOGIN, 403, 403, 303, 303, 303, 303, head_other=404),
    ("POST", "/councils/representatives/{representative_id:int}/retire"): row(LOGIN, 403, 403, 303, 303, 303, 303, head_other=404),
    # 联访解: the pairing is another officer's of the first community: its station head and
    # heads above read it; only that officer writes (an administrator keeps no pairings).
    ("GET", "/pairings"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/pairings/new"): row(LOGIN, 403, 403, 200, 200, 200, 403, head_other=200, **overseers(403)),
    ("POST", "/pairings/new"): row(LOGIN, 403, 403, 422, 422, 422, 403, head_other=422),
    ("GET", "/pairings/officers"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=200),
    ("GET", "/pairings/{pairing_id:int}"): row(LOGIN, 403, 403, 404, 404, 200, 200, head_other=404),
    ("POST", "/pairings/{pairing_id:int}/contacts"): row(LOGIN, 403, 403, 404, 404, 403, 403, head_other=404),
    ("POST", "/pairings/contacts/{contact_id:int}/opinions"): row(LOGIN, 403, 403, 404, 404, 403, 403, head_other=404),
    ("GET", "/pairings/{pairing_id:int}/edit"): row(LOGIN, 403, 403, 404, 404, 403, 403, head_other=404),
    ("POST", "/pairings/{pairing_id:int}/edit"): row(LOGIN, 403, 403, 404, 404, 403, 403, head_other=404),
    ("POST", "/pairings/{pairing_id:int}/end"): row(LOGIN, 403, 403, 404, 404, 403, 403, head_other=404),
    # Urgent notices: sent by the officers and head of the first community's station, read
    # by its volunteers and hosts; the notice is the first community's, without a photo.
    ("GET", "/notices"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/notices/new"): row(LOGIN, 403, 403, 200, 200, 200, 200, **overseers(403)),
    ("POST", "/notices/new"): row(LOGIN, 403, 403, 422, 422, 422, 422),
    ("GET", "/notices/{notice_id:int}"): row(LOGIN, 200, 200, 200, 404, 200, 200, head_other=404, volunteer_other=404, host_other=404),
    ("GET", "/notices/{notice_id:int}/text"): row(LOGIN, 200, 200, 200, 404, 200, 200, head_other=404, volunteer_other=404, host_other=404),
    ("GET", "/notices/{notice_id:int}/photo"): members(404),
    ("POST", "/notices/{notice_id:int}/end"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    # Follow-ups: the target volunteer's mediation in the first community, due today (its
    # author is none of the columns); a hazard whose rectification is requested (no notice
    # yet); a notice of another hazard, reported fixed by the party with a photo.
    ("GET", "/followups"): members(200),
    ("GET", "/followups/{mediation_id:int}/record"): row(LOGIN, 404, 404, 200, 404, 200, 200),
    ("POST", "/followups/{mediation_id:int}/record"): row(LOGIN, 404, 404, 422, 404, 422, 422),
    ("GET", "/rectification"): row(LOGIN, 403, 403, 200, 200, 200, 200),
    ("GET", "/rectification/new/{hazard_id:int}"): row(LOGIN, 403, 403, 200, 404, 200, 200, **overseers(404)),
    ("POST", "/rectification/new/{hazard_id:int}"): row(LOGIN, 403, 403, 422, 404, 422, 422),
    ("GET", "/rectification/{rectification_id:int}"): row(LOGIN, 403, 403, 200, 404, 200, 200),
    ("GET", "/rectification/{rectification_id:int}/reports/{report_id:int}/photo"): row(LOGIN, 403, 403, 200, 404, 200, 200),
    ("GET", "/rectification/wording/{station_id:int}"): row(LOGIN, 403, 403, 200, 200, 200, 200, head_other=404),
    ("POST", "/rectification/wording/{station_id:int}"): row(LOGIN, 403, 403, 403, 403, 422, 422, head_other=404),
    ("GET", "/rectify/{rectify_token:str}"): everyone(200),
    ("POST", "/rectify/{rectify_token:str}"): everyone(409),
    ("POST", "/rectification/{rectification_id:int}/withdraw"): row(LOGIN, 403, 403, 303, 404, 303, 303),
    # Home visits: the first community's care register, kept by its officers and station head;
    # heads above the station pass the guard and are refused the people (403 / 404). Nobody
    # in the columns is asked to visit the person: volunteers find nobody (404).
    ("GET", "/communities/{community_id:int}/care"): row(LOGIN, 403, 403, 200, 403, 200, 200, head_other=403, **overseers(403)),
    ("GET", "/communities/{community_id:int}/care/new"): row(LOGIN, 403, 403, 200, 403, 200, 200, head_other=403, **overseers(403)),
    ("POST", "/communities/{community_id:int}/care/new"): row(LOGIN, 403, 403, 422, 403, 422, 422, head_other=403),
    ("GET", "/care/{care_person_id:int}"): row(LOGIN, 403, 403, 200, 404, 200, 200, head_other=404, **overseers(404)),
    ("GET", "/care/{care_person_id:int}/edit"): row(LOGIN, 403, 403, 200, 404, 200, 200, head_other=404, **overseers(404)),
    ("POST", "/care/{care_person_id:int}/edit"): row(LOGIN, 403, 403, 422, 404, 422, 422, head_other=404),
    ("POST", "/care/{care_person_id:int}/visits"): row(LOGIN, 403, 403, 422, 404, 422, 422, head_other=404),
    ("POST", "/care/{care_person_id:int}/assign"): row(LOGIN, 403, 403, 422, 404, 422, 422, head_other=404),
    ("POST", "/care/{care_person_id:int}/unassign"): row(LOGIN, 403, 403, 422, 404, 422, 422, head_other=404),
    ("POST", "/care/{care_person_id:int}/end"): row(LOGIN, 403, 403, 422, 404, 422, 422, head_other=404),
    ("POST", "/care/{care_person_id:int}/resume"): row(LOGIN, 403, 403, 409, 404, 409, 409, head_other=404),  # not ended
    ("POST", "/care/visits/{care_visit_id:int}/ledger"): row(LOGIN, 403, 403, 422, 404, 422, 422, head_other=404),
    ("GET", "/care/assigned"): row(LOGIN, 200, 403, 403, 403, 403, 200, **overseers(403)),
    ("GET", "/care/assigned/{care_person_id:int}"): row(LOGIN, 404, 403, 403, 403, 403, 404, **overseers(403)),
    ("POST", "/care/assigned/{care_person_id:int}"): row(LOGIN, 404, 403, 403, 403, 403, 404),
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


async def _shift_objects(community_id: int, user_id: int) -> dict:
    """A kind, a weekly roster, a shift tomorrow and the target's sign-up on it."""
    import datetime as dt

    from portal.shifts import rules
    from portal.shifts.tables import Signup

    now = rules.utcnow()
    kind = await rules.create_kind(None, community_id, {"kind": "patrol", "name": "Patrol", "place": "", "required_skills": "", "min_people": 1, "max_people": 3, "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False})
    template = await rules.create_template(None, community_id, kind, {"weekdays": [0], "start_time": "08:00", "end_time": "09:00", "min_people": 1, "max_people": 3, "weeks_ahead": 1, "starts_on": now.date()})
    shift = await rules.add_shift(None, community_id, kind, now.date() + dt.timedelta(days=2), "20:00", "21:00", 1, 3)
    signup = await Signup.insert(Signup(shift=shift, user=user_id, status="active", queued_at=now, updated_at=now)).returning(Signup.id).run()
    return {"kind": kind, "template": template, "shift": shift, "signup": signup[0]["id"]}


async def _public_objects(community_id: int, host_id: int) -> dict:
    """A pending watch point of the first community hosted by ``host_id``, and an intake."""
    import uuid

    from portal.accounts.rules import load_actor
    from portal.public.rules import create_intake
    from portal.watchpoints import rules
    from portal.watchpoints.tables import WatchPoint

    data = rules.PointData(community_id=community_id, name_zh="守望点", kind="shop", address="路 1 号")
    point = await rules.apply(await load_actor(host_id), data, None, str(uuid.uuid4()))
    slug = (await WatchPoint.select(WatchPoint.slug).where(WatchPoint.id == point).first().run())["slug"]
    await create_intake(kind="help", community_id=community_id, point_id=point, text="?", contact_name="", contact_phone="", language="en", idempotency_key=str(uuid.uuid4()))
    from portal.public.tables import Intake

    intake = (await Intake.select(Intake.id).first().run())["id"]
    return {"point": point, "slug": slug, "intake": intake}


async def _log_objects(app, community_id: int, author_id: int) -> dict:
    """A hazard with one photo, logged by ``author_id`` in the first community, and a landmark."""
    import datetime as dt
    import io

    from PIL import Image

    from portal.accounts.rules import load_actor
    from portal.logs import rules
    from portal.logs.tables import Landmark, LogPhoto
    from portal.uploads import process_image, storage_for

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="JPEG")
    data = rules.LogData(kind="hazard", community_id=community_id, occurred_at=rules.now() - dt.timedelta(hours=1), category="gas", severity="high", description="Smell of gas", address="Block 2")
    created = await rules.create(await load_actor(author_id), data, "route-guard-log", [process_image(out.getvalue())], storage_for(app.state.settings))
    photo = (await LogPhoto.select(LogPhoto.id).where(LogPhoto.log == created.log_id).first().run())["id"]
    landmark = (await Landmark.insert(Landmark(community=community_id, name_zh="菜市场", created_at=rules.now())).returning(Landmark.id).run())[0]["id"]
    return {"log": created.log_id, "photo": photo, "landmark": landmark}


async def _ledger_objects(community_id: int) -> int:
    """A complaint filed in the first community (by the system)."""
    from portal.ledger.rules import NewItem, file_item

    made = await file_item(None, NewItem(ledger="complaint", category="noise", community_id=community_id, summary="Noise"))
    return made["id"]


async def _answer_template_objects(station_id: int) -> int:
    """An answer template of the first station."""
    from portal.accounts.rules import now
    from portal.ledger.tables import LedgerAnswerTemplate

    made = LedgerAnswerTemplate(station=station_id, category="noise", language="en", title="Noise", body="We spoke to them.", updated_at=now())
    return (await LedgerAnswerTemplate.insert(made).returning(LedgerAnswerTemplate.id).run())[0]["id"]


async def _notice_objects(community_id: int) -> int:
    """A running urgent notice of the first community, without a photo."""
    import datetime as dt
    import uuid

    from portal.notices.tables import Notice

    now = dt.datetime.now(dt.timezone.utc)
    made = Notice(community=community_id, kind="case_alert", title="Bike thefts", body="", expires_at=now + dt.timedelta(days=1), created_at=now, idempotency_key=str(uuid.uuid4()))
    return (await Notice.insert(made).returning(Notice.id).run())[0]["id"]


async def _council_objects(station_id: int, community_id: int) -> dict:
    """A representative of the first station, a session of its first community with them
    invited, and an open resolution of that session."""
    import datetime as dt
    import uuid

    from portal.councils.tables import CouncilAttendance, CouncilRepresentative, CouncilResolution, CouncilSession

    now = dt.datetime.now(dt.timezone.utc)
    representative = (await CouncilRepresentative.insert(CouncilRepresentative(station=station_id, name="王代表", kind="npc_deputy", created_at=now, idempotency_key=str(uuid.uuid4()))).returning(CouncilRepresentative.id).run())[0]["id"]
    session = (await CouncilSession.insert(CouncilSession(station=station_id, community=community_id, held_on=now.date(), topic="Traffic", created_at=now, updated_at=now, idempotency_key=str(uuid.uuid4()))).returning(CouncilSession.id).run())[0]["id"]
    await CouncilAttendance.insert(CouncilAttendance(session=session, representative=representative, attended=True)).run()
    resolution = (await CouncilResolution.insert(CouncilResolution(session=session, seq=1, matter="Crossing", due_on=now.date(), created_at=now, updated_at=now, idempotency_key=str(uuid.uuid4()))).returning(CouncilResolution.id).run())[0]["id"]
    return {"session_id": session, "representative_id": representative, "resolution_id": resolution}


async def _pairing_objects(community_id: int, owner_id: int) -> dict:
    """A pairing of ``owner_id`` (an officer) with a school of the first community, and a visit."""
    import datetime as dt
    import uuid

    from portal.pairings.tables import Pairing, PairingContact

    now = dt.datetime.now(dt.timezone.utc)
    pairing = (await Pairing.insert(Pairing(officer=owner_id, community=community_id, kind="unit", unit_kind="school", name="西关小学", phone="0971 1234", started_on=now.date(), created_at=now, updated_at=now, idempotency_key=str(uuid.uuid4()))).returning(Pairing.id).run())[0]["id"]
    contact = (await PairingContact.insert(PairingContact(pairing=pairing, community=community_id, officer=owner_id, contacted_on=now.date(), channel="visit", created_at=now, idempotency_key=str(uuid.uuid4()))).returning(PairingContact.id).run())[0]["id"]
    return {"pairing_id": pairing, "contact_id": contact}


async def _saved_view_objects(make_user) -> int:
    """A saved view of an officer nobody in the table logs in as."""
    from portal.accounts.rules import load_actor
    from portal.ledger.saved_views import save_view

    owner = await load_actor(await make_user("officer", username="view-owner"))
    return await save_view(owner, "Noise", {"stage": "open", "category": "noise"})


async def _reception_objects(community_id: int) -> dict:
    """A verified reception room of the first community and a consultation at its desk."""
    import datetime as dt
    import uuid

    from portal.reception.tables import Room, Visit

    now = dt.datetime.now(dt.timezone.utc)
    room = (await Room.insert(Room(community=community_id, slug="guard-room", name_zh="会客厅", status="verified", idempotency_key=str(uuid.uuid4()), created_at=now, updated_at=now)).returning(Room.id).run())[0]["id"]
    visit = (await Visit.insert(Visit(room=room, community=community_id, category="consultation", visited_at=now, local_day=now.date(), idempotency_key=str(uuid.uuid4()), created_at=now, updated_at=now)).returning(Visit.id).run())[0]["id"]
    return {"room": room, "visit": visit}


async def _room_objects(community_id: int, station_id: int) -> dict:
    """The first community's reception room (made here unless another helper made one) and
    an entry of its station's phrasebook."""
    import datetime as dt
    import uuid

    from portal.reception.tables import Phrase, Room

    now = dt.datetime.now(dt.timezone.utc)
    room = await Room.select(Room.id, Room.slug).where(Room.community == community_id).first().run()
    if not room:
        room = (await Room.insert(Room(community=community_id, slug="guard-room", name_zh="会客厅", status="verified", idempotency_key=str(uuid.uuid4()), created_at=now, updated_at=now)).returning(Room.id, Room.slug).run())[0]
    phrase = (await Phrase.insert(Phrase(station=station_id, situation="taxi", text_zh="我帮您叫出租车。", text_en="I will call a taxi for you.", created_at=now, updated_at=now)).returning(Phrase.id).run())[0]["id"]
    return {"room_id": room["id"], "room_slug": room["slug"], "phrase_id": phrase}


async def _bulletin_objects(area) -> dict:
    """The draft bulletin of 2026-W47 of the first community, and a tip."""
    from portal.bulletins import rules
    from portal.bulletins.demo import seed_tips
    from portal.bulletins.tables import Bulletin, Tip
    from tests.bulletin_data import DUE, WEEK, age_communities

    await age_communities(area.community_id, area.other_community_id)
    await rules.compile_week(WEEK, [area.community_id, area.other_community_id], now=DUE)
    await seed_tips()
    bulletin = (await Bulletin.select(Bulletin.id).where(Bulletin.scope_key == rules.community_key(area.community_id)).first().run())["id"]
    return {"bulletin": bulletin, "tip": (await Tip.select(Tip.id).first().run())["id"]}


async def _followup_objects(app, community_id: int, author_id: int, make_user) -> dict:
    """The target's mediation due today; a hazard of the first community whose rectification
    is requested; another with its notice, issued by an officer nobody logs in as and
    reported fixed by the party with a photo."""
    import datetime as dt
    import io
    import uuid

    from PIL import Image

    from portal.accounts.rules import load_actor
    from portal.followups import notices
    from portal.followups.tables import RectificationNotice, RectificationReport
    from portal.logs import rules
    from portal.logs.tables import FieldLog
    from portal.uploads import process_image, storage_for

    author = await load_actor(author_id)
    day = rules.now().date() + dt.timedelta(days=1)
    mediation = rules.LogData(kind="mediation", community_id=community_id, occurred_at=rules.now() - dt.timedelta(hours=2), outcome="resolved", follow_up_on=day)
    hazards = []
    for key in ("guard-hazard-1", "guard-hazard-2"):
        data = rules.LogData(kind="hazard", community_id=community_id, occurred_at=rules.now() - dt.timedelta(hours=1), category="fire_exit", severity="high", address="Block 3")
        hazards.append((await rules.create(author, data, key)).log_id)
    await FieldLog.update({FieldLog.hazard_stage: "rectification_requested", FieldLog.rectification_by: "Property company", FieldLog.rectification_due: day}).where(FieldLog.id.is_in(hazards)).run()
    issuer = await load_actor(await make_user("officer", username="notice-issuer"))
    notice = (await notices.issue(issuer, hazards[1], "Xiguan Property Ltd", "", str(uuid.uuid4()))).notice_id
    token = (await RectificationNotice.select(RectificationNotice.token).where(RectificationNotice.id == notice).first().run())["token"]
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, format="JPEG")
    await notices.report_fixed(token, "Done", process_image(out.getvalue()), storage_for(app.state.settings), str(uuid.uuid4()))
    report = (await RectificationReport.select(RectificationReport.id).first().run())["id"]
    return {"mediation_id": (await rules.create(author, mediation, "guard-mediation")).log_id, "hazard_id": hazards[0], "rectification_id": notice, "report_id": report, "rectify_token": token}


async def _care_objects(community_id: int) -> dict:
    """A person on the first community's care register (nobody asked to visit) and a visit."""
    import datetime as dt
    import uuid

    from portal.care.tables import CarePerson, CareVisit

    now = dt.datetime.now(dt.timezone.utc)
    person = CarePerson(community=community_id, name="Granny Li", address="Block 7", needs="Lives alone", consent_on=now.date(), next_due_on=now.date(), next_due_at=now, created_at=now, updated_at=now)
    person_id = (await CarePerson.insert(person).returning(CarePerson.id).run())[0]["id"]
    visit = CareVisit(person=person_id, community=community_id, visited_on=now.date(), outcome="needs_help", note="Broken light", idempotency_key=str(uuid.uuid4()), created_at=now)
    return {"care_person_id": person_id, "care_visit_id": (await CareVisit.insert(visit).returning(CareVisit.id).run())[0]["id"]}


def fill(template: str, ids: dict) -> str:
    """The path with each ``{name:type}`` replaced by ``ids[name]``."""
    return re.sub(r"\{(\w+):\w+\}", lambda found: str(ids[found.group(1)]), template)


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
    public_ids = await _public_objects(area.community_id, target_id)
    shift_ids = await _shift_objects(area.community_id, target_id)
    log_ids = await _log_objects(app, area.community_id, target_id)
    ledger_item = await _ledger_objects(area.community_id)
    answer_template = await _answer_template_objects(area.station_id)
    saved_view = await _saved_view_objects(make_user)
    council_ids = await _council_objects(area.station_id, area.community_id)
    pairing_ids = await _pairing_objects(area.community_id, await make_user("officer", username="pairing-owner"))
    notice = await _notice_objects(area.community_id)
    bulletin_ids = await _bulletin_objects(area)
    reception_ids = await _reception_objects(area.community_id)
    room_ids = await _room_objects(area.community_id, area.station_id)
    care_ids = await _care_objects(area.community_id)
    followup_ids = await _followup_objects(app, area.community_id, target_id, make_user)
    async with http_client(app) as client:
        if column != "anonymous":
            role = {"head_district": "district_head", "head_city": "city_head", "head_other_district": "district_head"}.get(column, column.removesuffix("_other"))
            community = {"officer_other": area.other_community_id, "volunteer_other": area.other_station_community_id, "host_other": area.other_station_community_id}.get(column)
            station = area.other_station_id if column == "head_other" else None
            district = area.other_district_id if column == "head_other_district" else None
            await make_user(role, username=f"as-{column}".replace("_", "-"), community_id=community, station_id=station, district_id=district)
            await log_in(client, f"as-{column}".replace("_", "-"))
        token = await ensure_csrf(client)
        failures = []
        for (method, template), expected in ROUTES.items():
            path = fill(template, {
                "user_id": target_id, "grant_id": grant_id, "profile_id": profile_id, "notification_id": notification_id,
                "community_id": area.community_id, "shift_id": shift_ids["shift"], "kind_id": shift_ids["kind"],
                "template_id": shift_ids["template"], "signup_id": shift_ids["signup"], "token": "not-a-token", "room_slug": room_ids["room_slug"], "phrase_id": room_ids["phrase_id"],
                "point_id": public_ids["point"], "slug": public_ids["slug"], "intake_id": public_ids["intake"],
                "code": "a", "kind": "suggestion", "slot_id": 999999, "log_id": log_ids["log"], "photo_id": log_ids["photo"],
                "log_kind": "hazard", "landmark_id": log_ids["landmark"], "item_id": ledger_item, "station_id": area.station_id,
                "day": "2030-10-01", "service_file": "complaint-noise.xml", "request_file": "XX-2026-000000.json",
                "token_file": "none.xml", "path": "openapi.json", "key_id": 999999, "bulletin_id": bulletin_ids["bulletin"],
                "tip_id": bulletin_ids["tip"], "week": "2026-W47", "level": "community", **followup_ids,
                "district_code": "district-1", "city_code": "test-city", "board_id": 999999, "import_kind": "volunteers", "file_name": "example-zh.xlsx",
                "room_id": reception_ids["room"], "visit_id": reception_ids["visit"], "answer_template_id": answer_template, "view_id": saved_view,
                **care_ids,
                **council_ids,
                **pairing_ids,
                "notice_id": notice,
            })
            if method == "GET":
                response = await client.get(path, follow_redirects=False)
            else:
                response = await client.post(path, data={"_csrf_token": token}, follow_redirects=False)
            wanted = expected_for(method, expected, column)
            got = response.status_code
            if wanted == LOGIN:
                ok = got == 303 and response.headers["location"].startswith("/login?next=")
            else:
                ok = got == wanted
            if not ok:
                failures.append(f"{method} {template}: expected {wanted}, got {got}")
        assert failures == [], "\n".join(failures)
