"""The Open311 API fuzzed against its own OpenAPI description (``/schema/openapi.json``)
with schemathesis, on a real ``portal serve``: for every operation, generated requests
get no 5xx, and every answer matches the description (status code, content type, headers,
body schema). A schema-valid request answered 400 is not counted: rules across parameters
(end_date after start_date, at most 90 days apart) are beyond what OpenAPI can describe. Examples per operation: ``PORTAL_FUZZ_EXAMPLES`` (default 25)."""

from __future__ import annotations

import asyncio
import os

import schemathesis
from schemathesis.checks import positive_data_acceptance
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from tests.test_durability_crash import Server
from tests.test_open311 import file

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "25"))


async def test_open311_answers_match_its_openapi_description(settings, area, make_user, tmp_path):
    await file(area)
    await file(area, ledger_name="suggestion", category="other", public_summary="更多路灯 ✓")
    from portal.accounts.rules import load_actor
    from portal.open311.rules import issue_key

    _key_id, key = await issue_key(await load_actor(await make_user("admin")), "Fuzzing app", None)
    server = Server(settings, tmp_path / "uploads", tmp_path / "server.log")
    try:
        await server.healthy()
        schema = await asyncio.to_thread(schemathesis.openapi.from_url, f"{server.url}/schema/openapi.json")
        failures = []
        for result in schema.get_all_operations():
            operation = result.ok()

            @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(operation.as_strategy(), st.booleans())
            def check(case, with_key):
                if with_key and isinstance(case.body, dict):  # past the key check, into the form's
                    case.body["api_key"] = key
                response = case.call(base_url=server.url, timeout=20)
                assert response.status_code < 500, (case.method, case.formatted_path, case.query, response.status_code, response.text[:300])
                # Rules across parameters (end_date after start_date, at most 90 days) cannot be
                # said in OpenAPI: a schema-valid request may still be a documented 400.
                case.validate_response(response, excluded_checks=[positive_data_acceptance])

            try:
                await asyncio.to_thread(check)
            except Exception as error:  # noqa: BLE001 - every operation is tried; all failures reported
                failures.append(f"{operation.method.upper()} {operation.path}: {type(error).__name__}: {str(error)[:2000]}")
        assert not failures, "\n\n".join(failures)
    finally:
        server.stop()
