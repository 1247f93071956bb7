"""Envelopes, error paths, request ids and API-key enforcement, in-process and over HTTP."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field

from spaps_server.domain import errors as domain
from spaps_server.http.deps import Ctx, CurrentApplication
from spaps_server.http.envelopes import EnvelopeJSONResponse, ok

from .conftest import DEFAULT_KEY, DbTarget, live_server, serve_in_process

REQUEST_ID = re.compile(r"^req_[0-9a-f]{32}$")


class Note(BaseModel):
    to: str = Field(min_length=3)
    count: int = Field(ge=1)
    secret: str | None = None


probe = APIRouter()


@probe.post("/api/probe/notes", status_code=201)
async def create_note(note: Note, app: CurrentApplication, ctx: Ctx) -> EnvelopeJSONResponse:
    message = await ctx.mailbox.send(
        to=note.to, subject="probe", text="hi", kind="probe", application_id=app.id
    )
    return ok({"id": message.id, "application_id": app.id}, status_code=201)


@probe.get("/api/probe/notes")
async def list_notes(app: CurrentApplication, ctx: Ctx) -> EnvelopeJSONResponse:
    messages = await ctx.mailbox.list(application_id=app.id)
    return ok({"application": app.name, "ids": [m.id for m in messages]})


@probe.get("/api/probe/raise/{kind}")
async def raise_kind(kind: str, app: CurrentApplication) -> EnvelopeJSONResponse:
    if kind == "crash":
        raise RuntimeError("internal detail that must not leak")
    classes = {
        "invalid": domain.InvalidError,
        "unauthorized": domain.UnauthorizedError,
        "payment": domain.PaymentRequiredError,
        "forbidden": domain.ForbiddenError,
        "not_found": domain.NotFoundError,
        "conflict": domain.ConflictError,
        "unprocessable": domain.UnprocessableError,
        "unavailable": domain.UnavailableError,
        "internal": domain.InternalError,
    }
    if kind == "rate":
        raise domain.RateLimitedError("slow down", code="TOO_MANY", retry_after_seconds=7)
    raise classes[kind]("it failed", code=f"{kind.upper()}_CODE", details={"field": "x"})


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert body["metadata"]["request_id"] == response.headers["x-request-id"]
    return body


@pytest.fixture
async def probe_client(sqlite_target: DbTarget):
    async with serve_in_process(sqlite_target.config(), extra_routers=[probe]) as (_, http):
        yield http


async def test_success_envelope_and_request_id(probe_client: httpx.AsyncClient):
    response = await probe_client.post(
        "/api/probe/notes",
        json={"to": "a@example.com", "count": 1},
        headers={"X-API-Key": DEFAULT_KEY},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True and body["data"]["id"].startswith("msg_")
    assert REQUEST_ID.match(response.headers["x-request-id"])


async def test_a_well_formed_incoming_request_id_is_kept(probe_client: httpx.AsyncClient):
    response = await probe_client.get("/health", headers={"X-Request-ID": "req_login-error.1"})
    assert response.headers["x-request-id"] == "req_login-error.1"
    for bad in ("has space", "x" * 200, "<script>", "é"):
        response = await probe_client.get("/nope", headers={"X-Request-ID": bad.encode()})
        assert REQUEST_ID.match(response.headers["x-request-id"])
        assert response.json()["metadata"]["request_id"] == response.headers["x-request-id"]


async def test_missing_and_unknown_api_keys_are_401(probe_client: httpx.AsyncClient):
    body = assert_error(await probe_client.get("/api/probe/notes"), 401, "INVALID_API_KEY")
    assert "X-API-Key" in body["error"]["message"]
    body = assert_error(
        await probe_client.get("/api/probe/notes", headers={"X-API-Key": "wrong_key_123"}),
        401,
        "INVALID_API_KEY",
    )
    assert "wrong_key_123" not in str(body)
    # The key is checked before the body, so an unauthenticated bad body is still 401.
    assert_error(await probe_client.post("/api/probe/notes", json={}), 401, "INVALID_API_KEY")


async def test_metrics_and_health_need_no_api_key(probe_client: httpx.AsyncClient):
    for path in ("/health", "/health/ready", "/api/metrics", "/api/metrics/json"):
        assert (await probe_client.get(path)).status_code == 200, path


async def test_validation_failures(probe_client: httpx.AsyncClient):
    headers = {"X-API-Key": DEFAULT_KEY}
    body = assert_error(
        await probe_client.post(
            "/api/probe/notes",
            json={"to": "a", "count": 0, "secret": "hunter2-secret"},
            headers=headers,
        ),
        400,
        "VALIDATION_ERROR",
    )
    locs = {tuple(e["loc"]) for e in body["error"]["details"]["errors"]}
    assert ("body", "to") in locs and ("body", "count") in locs
    assert "hunter2-secret" not in str(body)  # inputs are never echoed
    assert_error(
        await probe_client.get("/_dev/mailbox/messages", params={"limit": "many"}),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(
        await probe_client.post("/api/probe/notes", json=[1, 2], headers=headers),
        400,
        "VALIDATION_ERROR",
    )


async def test_malformed_json_is_400_invalid_json(probe_client: httpx.AsyncClient):
    response = await probe_client.post(
        "/api/probe/notes",
        content=b'{"to": "a@example.com", "count":',
        headers={"X-API-Key": DEFAULT_KEY, "Content-Type": "application/json"},
    )
    assert_error(response, 400, "INVALID_JSON")


async def test_oversized_bodies_are_413(probe_client: httpx.AsyncClient):
    headers = {"X-API-Key": DEFAULT_KEY, "Content-Type": "application/json"}
    big = b'{"to": "' + b"a" * (1024 * 1024) + b'", "count": 1}'
    assert_error(
        await probe_client.post("/api/probe/notes", content=big, headers=headers),
        413,
        "PAYLOAD_TOO_LARGE",
    )

    async def chunks():  # no Content-Length: the limit applies while streaming
        for _ in range(20):
            yield b"x" * 65536

    assert_error(
        await probe_client.post("/api/probe/notes", content=chunks(), headers=headers),
        413,
        "PAYLOAD_TOO_LARGE",
    )


async def test_unknown_routes_and_wrong_methods(probe_client: httpx.AsyncClient):
    assert_error(await probe_client.get("/api/does-not-exist"), 404, "NOT_FOUND")
    assert_error(await probe_client.get("/nothing-here"), 404, "NOT_FOUND")
    response = await probe_client.delete("/health")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["allow"]
    assert_error(await probe_client.put("/api/metrics"), 405, "METHOD_NOT_ALLOWED")


async def test_trailing_slashes_are_not_redirected(probe_client: httpx.AsyncClient):
    for path in ("/health/", "/api/probe/notes/"):
        response = await probe_client.get(path, headers={"X-API-Key": DEFAULT_KEY})
        assert response.status_code == 404, path
        assert "location" not in response.headers
    for page_path in ("/docs/", "/_dev"):  # pages users type are served, not redirected
        response = await probe_client.get(page_path)
        assert response.status_code == 200, page_path
        assert "location" not in response.headers


async def test_domain_errors_map_to_their_status(probe_client: httpx.AsyncClient):
    headers = {"X-API-Key": DEFAULT_KEY}
    expected = {
        "invalid": 400,
        "unauthorized": 401,
        "payment": 402,
        "forbidden": 403,
        "not_found": 404,
        "conflict": 409,
        "unprocessable": 422,
        "internal": 500,
        "unavailable": 503,
    }
    for kind, status in expected.items():
        response = await probe_client.get(f"/api/probe/raise/{kind}", headers=headers)
        body = assert_error(response, status, f"{kind.upper()}_CODE")
        assert body["error"]["details"] == {"field": "x"}
        assert body["error"]["message"] == "it failed"
    response = await probe_client.get("/api/probe/raise/rate", headers=headers)
    assert_error(response, 429, "TOO_MANY")
    assert response.headers["retry-after"] == "7"


async def test_unexpected_exceptions_are_500_without_details(
    probe_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
):
    response = await probe_client.get("/api/probe/raise/crash", headers={"X-API-Key": DEFAULT_KEY})
    body = assert_error(response, 500, "INTERNAL_ERROR")
    assert "internal detail" not in response.text and "Traceback" not in response.text
    assert "details" not in body["error"]
    assert any("unhandled error" in r.getMessage() for r in caplog.records)  # logged server-side


async def test_data_is_scoped_by_application(db_target: DbTarget):
    async with serve_in_process(db_target.config(), extra_routers=[probe]) as (app, http):
        _, other_key = await app.state.context.applications.create("second")
        default_headers = {"X-API-Key": DEFAULT_KEY}
        other_headers = {"X-API-Key": other_key}
        mine = await http.post(
            "/api/probe/notes", json={"to": "a@example.com", "count": 1}, headers=default_headers
        )
        theirs = await http.post(
            "/api/probe/notes", json={"to": "a@example.com", "count": 1}, headers=other_headers
        )
        assert mine.json()["data"]["application_id"] != theirs.json()["data"]["application_id"]
        seen_by_default = (await http.get("/api/probe/notes", headers=default_headers)).json()
        seen_by_other = (await http.get("/api/probe/notes", headers=other_headers)).json()
        assert seen_by_default["data"] == {
            "application": "default",
            "ids": [mine.json()["data"]["id"]],
        }
        assert seen_by_other["data"] == {
            "application": "second",
            "ids": [theirs.json()["data"]["id"]],
        }
        await app.state.context.applications.revoke("second")
        assert_error(
            await http.get("/api/probe/notes", headers=other_headers), 401, "INVALID_API_KEY"
        )


def test_error_paths_over_real_http(sqlite_target: DbTarget):
    with (
        live_server(sqlite_target.config(), extra_routers=[probe]) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        assert_error(http.get("/api/probe/notes"), 401, "INVALID_API_KEY")
        assert_error(http.get("/nope"), 404, "NOT_FOUND")
        assert_error(http.post("/health"), 405, "METHOD_NOT_ALLOWED")
        assert_error(
            http.post(
                "/api/probe/notes",
                content=b"{nope",
                headers={"X-API-Key": DEFAULT_KEY, "Content-Type": "application/json"},
            ),
            400,
            "INVALID_JSON",
        )
        assert_error(
            http.post("/api/probe/notes", content=b"x" * (2 * 1024 * 1024)),
            413,
            "PAYLOAD_TOO_LARGE",
        )
        response = http.get("/api/probe/raise/crash", headers={"X-API-Key": DEFAULT_KEY})
        assert_error(response, 500, "INTERNAL_ERROR")
        ok_response = http.post(
            "/api/probe/notes",
            json={"to": "z@example.com", "count": 2},
            headers={"X-API-Key": DEFAULT_KEY},
        )
        assert ok_response.status_code == 201 and ok_response.json()["success"] is True


async def test_api_key_routes_are_documented_with_the_security_scheme(
    probe_client: httpx.AsyncClient,
):
    spec = (await probe_client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": spec["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    assert spec["paths"]["/api/probe/notes"]["get"]["security"] == [{"ApiKey": []}]
    assert "security" not in spec["paths"]["/health"]["get"]
    docs = (await probe_client.get("/docs/reference")).text
    assert "X-API-Key</span>" in docs
