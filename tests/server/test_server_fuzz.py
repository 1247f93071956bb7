"""Schemathesis against the live server's own OpenAPI schema, every operation, with a valid
API key and an admin's bearer token, on SQLite and PostgreSQL: no 5xx, every JSON body under
``/api`` in the envelope (U1-U4), and every documented response matching its schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from .conftest import DEFAULT_KEY, DbTarget, LiveServer, live_server, pg_schema

MAX_EXAMPLES = 5


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    if request.param == "sqlite":
        with live_server(DbTarget("sqlite", None, None, data_dir).config()) as server:
            yield server
        return
    with (
        pg_schema() as (url, schema),
        live_server(DbTarget("postgresql", url, schema, data_dir).config()) as server,
    ):
        yield server


def cases_of(operation: Any) -> st.SearchStrategy[Any]:
    """Valid requests and, where the operation takes any input, invalid ones."""
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    if not operation.path_parameters and not operation.query and not operation.body:
        return positive
    return st.one_of(positive, operation.as_strategy(GenerationMode.NEGATIVE))


def _admin_token(server: LiveServer) -> str:
    response = httpx.post(
        server.url + "/api/auth/login",
        headers={"X-API-Key": DEFAULT_KEY},
        json={"email": "admin@example.com", "password": "Secret123!"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["access_token"])


def test_every_operation_keeps_its_contract(fuzz_server: LiveServer) -> None:
    api = schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")
    failures: dict[str, str] = {}
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        # A fresh sign-in per operation: a fuzzed logout or revoke must not starve the other
        # operations (one per example would exceed the login rate limit of one address).
        headers = {
            "X-API-Key": DEFAULT_KEY,
            "Authorization": f"Bearer {_admin_token(fuzz_server)}",
        }
        try:
            fuzz_operation(operation, fuzz_server.url, headers)
        except Exception as exc:  # every operation is tried; all failures reported together
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:2000]
    assert operations > 40
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())


def fuzz_operation(operation: Any, base_url: str, headers: dict[str, str]) -> None:
    """Run one operation's examples; raises on the first contract violation."""

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases_of(operation))
    def exercise(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers)
        case.validate_response(
            response,
            checks=[checks.not_a_server_error, checks.response_schema_conformance],
            headers=headers,
        )
        assert_in_envelope(case.path, response)

    exercise()


def assert_in_envelope(path: str, response: Any) -> None:
    """A JSON body under ``/api`` is ``{"success": true, "data": ...}`` or
    ``{"success": false, "error": {"code": str, "message": str}}``."""
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    # The metrics routes answer raw bodies by contract (#52, #53), outside the envelope.
    if (
        not path.startswith("/api/")
        or path.startswith("/api/metrics")
        or "json" not in content_type
    ):
        return
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("success"), bool), body
    if body["success"]:
        assert "data" in body and "error" not in body, body
        assert 200 <= response.status_code < 300, (response.status_code, body)
    else:
        error = body.get("error")
        assert isinstance(error, dict), body
        assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), body
        assert response.status_code >= 400, (response.status_code, body)
