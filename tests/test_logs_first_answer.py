"""A log form says everything that is missing in its first answer (a missing place too, not
only on a second try), and the patrol form as it opens can be sent as it is: its start
and end are valid for a volunteer with no shift that day, and for one whose shift has
not begun yet."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest

from portal.logs.tables import FieldLog
from tests.conftest import ensure_csrf, field_error
from tests.page_forms import form_values
from tests.test_logs_routes import saved_id
from tests.test_volunteer_home import a_place, a_shift_at
from tests.unchanged import nothing_changes


async def _send_as_opened(client, kind: str, changes: dict[str, str] | None = None):
    """The form as the page shows it, with ``changes`` typed in, sent as a browser would."""
    page = await client.get(f"/logs/new/{kind}")
    assert page.status_code == 200
    values = [(name, value) for name, value in form_values(page.text, f"/logs/new/{kind}") if name not in (changes or {})]
    values += list((changes or {}).items())
    token = await ensure_csrf(client)
    body = urlencode([*values, ("_csrf_token", token)])
    return await client.post(f"/logs/new/{kind}", content=body, headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)


@pytest.mark.parametrize(
    "kind,expected",
    [
        ("hazard", {"category": "Choose one of the options.", "description": "Describe the hazard.", "address": "Say where"}),
        ("publicity", {"category": "Choose one of the options.", "people_count": "whole number", "address": "Say where the session was."}),
    ],
)
async def test_an_empty_form_names_every_missing_field_at_once_the_place_included(client_for, area, kind, expected):
    client, _ = await client_for("volunteer")
    async with nothing_changes(also=(FieldLog,)):
        response = await _send_as_opened(client, kind)
        assert response.status_code == 422
    for field, message in expected.items():
        error = field_error(response.text, field)
        assert error is not None and message in error, (field, error)


async def test_a_place_given_is_not_reported_missing_while_other_fields_are(client_for, area):
    client, _ = await client_for("volunteer")
    response = await _send_as_opened(client, "hazard", {"latitude": "36.61", "longitude": "101.77"})
    assert response.status_code == 422
    assert field_error(response.text, "address") is None and field_error(response.text, "description")


async def test_half_a_position_is_reported_with_the_other_missing_fields(client_for, area):
    client, _ = await client_for("volunteer")
    response = await _send_as_opened(client, "hazard", {"latitude": "36.61"})
    assert response.status_code == 422
    assert "both latitude and longitude" in (field_error(response.text, "longitude") or "")
    assert field_error(response.text, "description")


async def test_the_patrol_form_as_opened_is_valid_for_a_volunteer_without_a_shift(client_for, area):
    client, _ = await client_for("volunteer")
    response = await _send_as_opened(client, "patrol", {"description": "Quiet round the market"})
    log_id = saved_id(response)
    row = await FieldLog.select(FieldLog.minutes, FieldLog.shift).where(FieldLog.id == log_id).first().run()
    assert row["shift"] is None and row["minutes"] > 0


@pytest.mark.parametrize("starts_in", [dt.timedelta(minutes=40), dt.timedelta(minutes=-3), dt.timedelta(hours=-17)], ids=["not-begun", "just-begun", "long-ago"])
async def test_the_patrol_form_as_opened_is_valid_whenever_the_shift_begins(client_for, area, starts_in):
    client, user_id = await client_for("volunteer")
    shift = await a_shift_at(area.community_id, starts_in, hours=20 if starts_in < dt.timedelta(hours=-16) else 2)
    await a_place(shift, user_id)
    page = await client.get("/logs/new/patrol")
    assert f'<option selected value="{shift}">' in page.text  # the shift is still chosen
    response = await _send_as_opened(client, "patrol", {"description": "Walked the lanes"})
    row = await FieldLog.select(FieldLog.minutes, FieldLog.shift).where(FieldLog.id == saved_id(response)).first().run()
    assert row["shift"] == shift and 0 < row["minutes"] <= 16 * 60
