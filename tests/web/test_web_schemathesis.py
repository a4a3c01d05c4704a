"""Schemathesis against the OpenAPI document: generated requests never cause a server error.

The schema is loaded from the app inside the test (the app needs the session's demo store), and each
operation's Hypothesis strategy is run directly.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from safer_communities.web import accounts

ERROR_KEYS = {"error", "what", "found", "hint"}


def test_no_server_errors_on_any_operation(app) -> None:
    token = accounts.create_token(app.state.engine, "viewer", "schemathesis")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    seen: dict[str, set[int]] = {}

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            case.validate_response(response, checks=[not_a_server_error])
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            if response.status_code >= 400:
                assert set(response.json()) == ERROR_KEYS, response.text

        check()
    assert all(codes for codes in seen.values())
    assert 200 in seen["GET /api/v1/areas"]
