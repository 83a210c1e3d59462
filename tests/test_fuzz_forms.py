"""Bad input everywhere: every POST form and every query parameter of every route, with
generated values (text, any unicode, control characters, huge, empty, numbers and dates
out of range, markup), sent as a logged-in user of a role the route serves. No answer
is a 500, and an answer that refuses the input (4xx) leaves every table's row count as it
was.

The routes come from the app's route table, the roles from ``tests/test_route_guards``'s
table, a POST's field names from the form class its handler reads. Examples per route:
``PORTAL_FUZZ_EXAMPLES`` (default 4); e.g. 200 for a deeper run."""

from __future__ import annotations

import asyncio
import inspect
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from portal.web.forms import Form
from tests.conftest import ensure_csrf, http_client, log_in
from tests.test_route_guards import _care_objects
from tests.test_route_guards import _pairing_objects
from tests.test_route_guards import _council_objects, _followup_objects
from tests.test_route_guards import LOGIN, ROUTES, _answer_template_objects, _bulletin_objects, _saved_view_objects, _ledger_objects, _log_objects, _notice_objects, _public_objects, _room_objects, _shift_objects, app_routes, fill

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "4"))
# Routes that end the session under test, or whose success would (by design) make the
# following examples meaningless; they are covered by their own tests.
SKIPPED = {("POST", "/logout")}
# Tables that record an attempt whether or not it is accepted (login throttling, the
# public forms' rate limit, sessions).
ATTEMPT_TABLES = {"login_failure", "public_rate_hit", "user_session", "audit_entry"}
ODD = [
    "0", "-1", "1e308", "nan", "inf", "99999999999999999999999", "2026-13-45", "2026-02-30", "0000-01-01T00:00", "9999-12-31T23:59",
    "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\x00", "\u202e", "𠜎𠜱", "null", "[]", "{}", "../../etc/passwd", " ",
]
QUERY_VALUES = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
    st.sampled_from(ODD),
    st.integers().map(str),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "守", "9"]), st.integers(min_value=100, max_value=1_500)),
)
# Form bodies may be huge (up to the body limit): every text field has a length limit.
FORM_VALUES = st.one_of(QUERY_VALUES, st.builds(lambda c, n: c * n, st.sampled_from(["x", "守", "\x00", "9"]), st.integers(min_value=1_000, max_value=120_000)))


def _role_for(expected: dict) -> str | None:
    """The first column the route serves (not refused, not sent to log in)."""
    for column in ("volunteer", "host", "officer", "head", "admin", "anonymous"):
        if expected[column] not in (403, 404, LOGIN):
            return column
    return None


def _handler_of(app, method: str, path: str):
    for route in app.routes:
        if route.path == path:
            for handler in getattr(route, "route_handlers", []):
                if method in handler.http_methods:
                    return handler
    raise LookupError((method, path))


def _form_fields(handler) -> list[str]:
    """The field names of the form classes the handler's code builds from the request
    (a generic few when it reads the request's form itself)."""
    source = inspect.getsource(handler.fn)
    module = inspect.getmodule(handler.fn)
    classes = [getattr(module, name, None) for name in re.findall(r"\b(\w+Form)\.from_request\b", source)]
    if "FORMS[" in source:
        classes += list(getattr(module, "FORMS", {}).values())
    names = {name for form_class in classes if isinstance(form_class, type) and issubclass(form_class, Form) for name in _declared(form_class)}
    if "party_name_" in inspect.getsource(module) and "FORMS[" in source:
        names |= {"party_name_0", "party_contact_0"}
    return sorted(names - {"_csrf_token"}) or ["text", "name", "note", "reason"]


def _declared(form_class) -> list[str]:
    from wtforms.fields.core import UnboundField

    return [name for klass in form_class.__mro__ for name, value in vars(klass).items() if isinstance(value, UnboundField)]


def _query_params(handler, template: str) -> list[str]:
    path_names = set(re.findall(r"\{(\w+):", template))
    skip = {"self", "request", "data", "state", "scope", "headers", "cookies"} | path_names
    return [name for name in inspect.signature(handler.fn).parameters if name not in skip]


async def _objects(app, area, make_user) -> dict:
    from portal.accounts.tables import RoleGrant
    from portal.notifications.rules import notify
    from portal.notifications.tables import Notification
    from portal.volunteers.rules import ensure_profile
    from portal.volunteers.tables import VolunteerProfile

    target_id = await make_user("volunteer", username="target")
    grant_id = (await RoleGrant.select(RoleGrant.id).where(RoleGrant.user == target_id).first().run())["id"]
    await ensure_profile(None, target_id, area.community_id, status="pending")
    profile_id = (await VolunteerProfile.select(VolunteerProfile.id).where(VolunteerProfile.user == target_id).first().run())["id"]
    await notify(target_id, "test", "Log in")
    notification_id = (await Notification.select(Notification.id).where(Notification.user == target_id).first().run())["id"]
    public_ids = await _public_objects(area.community_id, target_id)
    shift_ids = await _shift_objects(area.community_id, target_id)
    log_ids = await _log_objects(app, area.community_id, target_id)
    bulletin_ids = await _bulletin_objects(area)
    followup_ids = await _followup_objects(app, area.community_id, target_id, make_user)
    return {
        "user_id": target_id, "grant_id": grant_id, "profile_id": profile_id, "notification_id": notification_id,
        "community_id": area.community_id, "shift_id": shift_ids["shift"], "kind_id": shift_ids["kind"],
        "template_id": shift_ids["template"], "signup_id": shift_ids["signup"], "token": "not-a-token",
        "point_id": public_ids["point"], "slug": public_ids["slug"], "intake_id": public_ids["intake"],
        "code": "a", "kind": "suggestion", "slot_id": 999999, "log_id": log_ids["log"], "photo_id": log_ids["photo"],
        "log_kind": "mediation", "landmark_id": log_ids["landmark"], "item_id": await _ledger_objects(area.community_id),
        "station_id": area.station_id, "day": "2030-10-01", "service_file": "complaint-noise.xml", **followup_ids,
        "request_file": "XX-2026-000000.json", "token_file": "none.xml", "path": "openapi.json", "key_id": 999999,
        "bulletin_id": bulletin_ids["bulletin"], "tip_id": bulletin_ids["tip"], "week": "2026-W47", "level": "community", "import_kind": "volunteers", "file_name": "example-zh.xlsx", "district_code": "district-1", "city_code": "test-city", "visit_id": 999999, **(await _room_objects(area.community_id, area.station_id)),
        "board_id": await a_board(area.community_id), "answer_template_id": await _answer_template_objects(area.station_id),
        **(await _care_objects(area.community_id)),
        **(await _council_objects(area.station_id, area.community_id)),
        **(await _pairing_objects(area.community_id, await make_user("officer", username="pairing-owner"))),
        "view_id": await _saved_view_objects(make_user), "notice_id": await _notice_objects(area.community_id),
    }


async def a_board(community_id: int) -> int:
    """A board of the community's registry, whose form the fuzzing fills."""
    from portal.boards.tables import Board
    from portal.accounts.rules import now

    return (await Board.insert(Board(community=community_id, code="B-0001", name_zh="楼道", created_at=now(), updated_at=now())).returning(Board.id).run())[0]["id"]


async def _row_counts() -> dict[str, int]:
    from portal import db

    names = sorted(t._meta.tablename for t in db.all_tables() if t._meta.tablename not in ATTEMPT_TABLES)
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {name}) AS {name}" for name in names)
    return dict((await db.engine().run_ddl(sql))[0])


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "host", "officer", "head", "admin"])
async def test_no_input_gives_a_500_and_refused_input_changes_nothing(app, area, make_user, role):
    assert app_routes(app) == set(ROUTES)  # every route is in the table fuzzed here
    routes = [(method, template) for (method, template), expected in ROUTES.items() if _role_for(expected) == role and (method, template) not in SKIPPED]
    ids = await _objects(app, area, make_user)
    loop = asyncio.get_running_loop()
    failures: list[str] = []
    async with http_client(app) as client:
        if role != "anonymous":
            await make_user(role, username=f"fuzz-{role}")
            await log_in(client, f"fuzz-{role}")
        token = await ensure_csrf(client)

        async def send(method: str, path: str, values: dict[str, str]):
            before = await _row_counts()
            if method == "GET":
                response = await client.get(path, params=values, follow_redirects=False)
            else:
                response = await client.post(path, data={**values, "_csrf_token": token}, follow_redirects=False)
            after = await _row_counts() if 400 <= response.status_code < 500 else before
            return response.status_code, response.text[:300], {k: (before[k], after[k]) for k in before if before[k] != after[k]}

        for method, template in routes:
            handler = _handler_of(app, method, template)
            names = _form_fields(handler) if method == "POST" else _query_params(handler, template)
            if not names:
                continue
            path = fill(template, ids)

            @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(st.dictionaries(st.sampled_from(names), FORM_VALUES if method == "POST" else QUERY_VALUES, max_size=len(names)))
            def fuzz(values):
                status, text, changed = asyncio.run_coroutine_threadsafe(send(method, path, values), loop).result(timeout=120)
                assert status < 500, f"{status}: {text}"
                assert not changed, f"refused with {status}, yet rows changed: {changed}"

            try:
                await asyncio.to_thread(fuzz)
            except Exception as error:  # noqa: BLE001 - every route is tried; all failures reported
                failures.append(f"{method} {template}: {type(error).__name__}: {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("path", ["/logs/99999999999999999999999", "/logs/9223372036854775808", "/logs/2147483648", "/logs/mine?after=99999999999999999999999", "/bulletins?after=99999999999999999999999"])
async def test_ids_and_cursors_beyond_the_databases_integers_are_not_found(client_for, path):
    client, _ = await client_for("officer")
    assert (await client.get(path, follow_redirects=False)).status_code == 404


async def test_a_huge_whole_number_is_a_field_error_and_nul_characters_are_dropped(client_for, area):
    from portal.logs.tables import FieldLog, MediationParty
    from tests.conftest import post_form
    from tests.test_logs_routes import valid

    client, _ = await client_for("officer")
    response = await post_form(client, f"/shifts/manage/{area.community_id}/kinds/new", {"min_people": "99999999999999999999999", "name": "Patrol"})
    assert response.status_code == 422 and "Not a valid integer value." in response.text
    data = {**valid("mediation", area.community_id), "description": "Noise\x00 at night", "party_name_0": "Wang\x00"}
    assert (await post_form(client, "/logs/new/mediation", data)).status_code == 303
    assert (await FieldLog.select(FieldLog.description).first().run())["description"] == "Noise at night"
    assert "Wang" in {row["name"] for row in await MediationParty.select(MediationParty.name).run()}
