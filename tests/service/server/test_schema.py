"""The OpenAPI document, checked by schemathesis against the live server.

Property-based requests for every operation: no 500, every response as the
document says (status, content type, body schema), auth enforced where it
is declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from tests.service.server.conftest import LiveServer  # noqa: E402

_checks = schemathesis.checks
CHECKS = [
    _checks.not_a_server_error,
    _checks.status_code_conformance,
    _checks.content_type_conformance,
    _checks.response_schema_conformance,
    _checks.response_headers_conformance,
]
"""No 500, and every response as documented. Not ``positive_data_acceptance``: a program
that the schema allows may still not parse, and the server rightly says so with 422."""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # No workers: the generated jobs are stored and read, not run.
    server = LiveServer(
        tmp_path_factory.mktemp("schema"),
        workers=0,
        env={"DUCKFIX_SERVER__RATE_PER_MINUTE": "600000", "DUCKFIX_SERVER__RATE_BURST": "100000",
             "DUCKFIX_SERVER__MAX_UPLOAD_MB": "1"},
    ).start()  # fmt: skip
    yield server
    server.stop()


@pytest.fixture(scope="module")
def token(live: LiveServer) -> str:
    return live.token("fuzzer", "admin")


def test_the_api_keeps_to_its_document(live: LiveServer, token: str) -> None:
    from hypothesis import given

    api = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    checked = []
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)  # fmt: skip
        def check(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, timeout=30, checks=CHECKS
            )

        check()
        checked.append(operation.label)
    assert len(checked) == 9, checked


def test_the_document_is_served_without_a_token(live: LiveServer) -> None:
    with live.client(None) as client:
        doc = client.get("/openapi.json").json()
    assert {"/v1/reviews", "/v1/debug", "/v1/bench", "/v1/jobs", "/v1/jobs/{job_id}",
            "/v1/jobs/{job_id}/events", "/healthz", "/readyz"} <= set(doc["paths"])  # fmt: skip
