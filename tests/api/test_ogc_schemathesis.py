"""Schemathesis against the OGC API Features/Tiles/Records routes of a small store (bounded examples): no 5xx,
every response as the OpenAPI document says."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import Api, with_dltb_reader

MAX_EXAMPLES = 8
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance, schemathesis.checks.response_schema_conformance]


@pytest.fixture
def served_api(api: Api) -> Api:
    return with_dltb_reader(api, 4)


def test_ogc_routes_match_the_document(served_api: Api) -> None:
    app = served_api.client.app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
        path_regex=r"^/ogc/(conformance|collections(/\{name\}(/items(/\{key\})?|/queryables)?)?)$", method="GET")
    auth = {"Authorization": served_api.client.headers["Authorization"]}
    failures: list[str] = []
    def checker(operation):
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy())
        def check(case) -> None:
            if case.path_parameters and "name" in case.path_parameters:
                case.path_parameters["name"] = "DLTB"
            response = case.call(headers=auth)
            if response.status_code >= 500:
                failures.append(f"{operation.label}: {response.status_code} {response.text[:200]}")
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # noqa: BLE001 - collected and reported together
                failures.append(f"{operation.label}: {str(exc)[:300]}")
        return check

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        checker(operation)()
    assert failures == []
