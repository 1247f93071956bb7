"""Sessions sub-client (contract §3.3, endpoints #12-#16), sync and async alike."""

from __future__ import annotations

import inspect
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from spaps_client.errors import (
    MalformedResponseError,
    MissingAccessTokenError,
    SessionError,
    SpapsError,
)
from spaps_client.models.sessions import (
    SessionListResult,
    SessionRevokeResult,
    SessionSummary,
    SessionTouchResult,
    SessionValidationResult,
)
from spaps_client.resources.sessions import AsyncSessionsClient, SessionsClient

BASE = "http://test"


CLIENTS = (SessionsClient, AsyncSessionsClient)
Harness = Any  # the shared harness of conftest.py (api / h fixtures)


SUMMARY = {
    "id": "sess_123",
    "user_id": "user_456",
    "application_id": "app_789",
    "tier": "basic",
    "created_at": "2025-01-09T10:00:00Z",
    "expires_at": "2025-01-10T10:00:00Z",
    "last_activity": "2025-01-09T10:25:00Z",
    "wallets_count": 2,
    "duration_minutes": 600,
    "idle_minutes": 5,
}
RECORD = {
    "id": "sess_123",
    "user_id": "user_456",
    "application_id": "app_789",
    "created_at": "2025-01-09T10:00:00Z",
    "last_used": "2025-01-09T10:25:00Z",
    "expires_at": "2025-01-10T10:00:00Z",
    "user_agent": "Mozilla/5.0",
    "ip_address": "127.0.0.1",
    "is_current": True,
}
ERROR = {"success": False, "error": {"code": "INVALID_SESSION", "message": "Session expired"}}


def assert_bearer(request: httpx.Request, token: str = "tok") -> None:
    assert request.headers["X-API-Key"] == "k"
    assert request.headers["Authorization"] == f"Bearer {token}"


# ---- #12 GET /api/sessions/current ------------------------------------------------------


async def test_current_session_request_and_fixture(api: Harness) -> None:
    api.reply(200, {"success": True, "data": {"session": SUMMARY}})
    result = await api.call("get_current_session")

    request = api.sent
    assert request.method == "GET"
    assert request.url.raw_path == b"/api/sessions/current"
    assert_bearer(request)
    assert request.content == b""
    assert isinstance(result, SessionSummary)
    assert result.session_id == result.id == "sess_123"
    assert result.user_id == "user_456" and result.application_id == "app_789"
    assert result.tier == "basic"
    assert result.last_activity == datetime(2025, 1, 9, 10, 25, tzinfo=timezone.utc)
    assert (result.wallets_count, result.duration_minutes, result.idle_minutes) == (2, 600, 5)


async def test_current_session_unnested_data_and_session_id_key(api: Harness) -> None:
    summary = {k: v for k, v in SUMMARY.items() if k != "id"} | {"session_id": "sess_9"}
    api.reply(200, {"data": summary})
    result = await api.call("get_current_session")
    assert result.session_id == "sess_9"


async def test_current_session_whole_minutes_only(api: Harness) -> None:
    # The contract types the minute counters as int: 600.0 is a whole number, 5.5 is not.
    api.reply(200, {"data": {"session": SUMMARY | {"duration_minutes": 600.0}}})
    assert (await api.call("get_current_session")).duration_minutes == 600
    api.reply(200, {"data": {"session": SUMMARY | {"idle_minutes": 5.5}}})
    with pytest.raises(SessionError) as info:
        await api.call("get_current_session")
    assert isinstance(info.value, MalformedResponseError)
    assert "idle_minutes" in str(info.value)


async def test_current_session_error_envelope(api: Harness) -> None:
    api.reply(401, ERROR, headers={"X-Request-ID": "req_current"})
    with pytest.raises(SessionError) as info:
        await api.call("get_current_session")
    error = info.value
    assert not isinstance(error, MalformedResponseError)
    assert error.status_code == 401
    assert error.error_code == "INVALID_SESSION"
    assert error.request_id == "req_current"
    assert str(error) == "Session expired"


async def test_current_session_malformed(api: Harness) -> None:
    api.reply(200, {"data": {"session": {"id": "sess_1"}}})
    with pytest.raises(SessionError) as info:
        await api.call("get_current_session")
    assert isinstance(info.value, MalformedResponseError)
    assert info.value.status_code == 200


async def test_current_session_not_json(api: Harness) -> None:
    api.reply(200, content=b"<html>oops</html>")
    with pytest.raises(MalformedResponseError) as info:
        await api.call("get_current_session")
    assert isinstance(info.value, SessionError)


async def test_missing_token_raises_before_any_request(api: Harness) -> None:
    client = api.make()
    with pytest.raises(MissingAccessTokenError) as info:
        await api.call("get_current_session", client=client)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, SpapsError)
    assert str(info.value) == "Access token is required for session operations"
    assert api.requests == []


async def test_override_wins_and_attribute_is_mutable(api: Harness) -> None:
    api.reply(200, {"data": SUMMARY})
    await api.call("get_current_session", access_token_override="other")
    assert_bearer(api.requests[-1], "other")
    api.client.access_token = "changed"
    api.reply(200, {"data": SUMMARY})
    await api.call("get_current_session")
    assert_bearer(api.requests[-1], "changed")


# ---- #13 POST /api/sessions/validate ----------------------------------------------------

VERDICT = {
    "valid": True,
    "session_id": "sess_123",
    "expires_at": "2025-01-10T10:00:00Z",
    "renewed": False,
}


async def test_validate_nested_fixture(api: Harness) -> None:
    api.reply(200, {"success": True, "data": {"session": VERDICT}})
    result = await api.call("validate_session")

    request = api.sent
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/sessions/validate"
    assert_bearer(request)
    assert request.headers["Content-Type"] == "application/json"
    assert api.sent_json() == {}
    assert isinstance(result, SessionValidationResult)
    assert result.valid is True and result.renewed is False
    assert result.session_id == "sess_123"
    assert result.expires_at == datetime(2025, 1, 10, 10, tzinfo=timezone.utc)


async def test_validate_unnested_later_shape(api: Harness) -> None:
    # Later servers answer {valid, reason, session: <summary>}; the verdict is unnested.
    api.reply(200, {"data": {"valid": False, "reason": "revoked", "session": SUMMARY}})
    result = await api.call("validate_session")
    assert result.valid is False
    assert result.reason == "revoked"
    assert result.session_id == "sess_123"
    assert result.expires_at == datetime(2025, 1, 10, 10, tzinfo=timezone.utc)


async def test_validate_flat(api: Harness) -> None:
    api.reply(200, {"data": VERDICT})
    result = await api.call("validate_session")
    assert result.valid is True and result.session_id == "sess_123"


async def test_validate_error_envelope(api: Harness) -> None:
    body = {"success": False, "error": {"code": "SESSION_REVOKED", "message": "Revoked"}}
    api.reply(403, body, headers={"X-Request-ID": "req_session_validate"})
    with pytest.raises(SessionError) as info:
        await api.call("validate_session")
    assert info.value.status_code == 403
    assert info.value.error_code == "SESSION_REVOKED"
    assert info.value.request_id == "req_session_validate"


async def test_validate_malformed_without_verdict(api: Harness) -> None:
    api.reply(200, {"data": {"session": SUMMARY}})
    with pytest.raises(SessionError) as info:
        await api.call("validate_session")
    assert isinstance(info.value, MalformedResponseError)


# ---- #14 GET /api/sessions --------------------------------------------------------------


async def test_list_sessions_request_and_fixture(api: Harness) -> None:
    second = RECORD | {"id": "sess_456", "is_current": False}
    api.reply(200, {"success": True, "data": {"sessions": [RECORD, second], "total": 2}})
    result = await api.call("list_sessions", limit=5, starting_after="sess_100")

    request = api.sent
    assert request.method == "GET"
    assert request.url.raw_path.startswith(b"/api/sessions?")
    assert request.url.path == "/api/sessions"
    assert dict(request.url.params) == {"limit": "5", "starting_after": "sess_100"}
    assert_bearer(request)
    assert isinstance(result, SessionListResult)
    assert result.total == 2
    assert [s.session_id for s in result.sessions] == ["sess_123", "sess_456"]
    first = result.sessions[0]
    assert first.user_agent == "Mozilla/5.0" and first.ip_address == "127.0.0.1"
    assert first.is_current is True
    assert first.last_used == datetime(2025, 1, 9, 10, 25, tzinfo=timezone.utc)


async def test_list_sessions_no_query_when_no_params(api: Harness) -> None:
    api.reply(200, {"data": {"sessions": [], "total": 0}})
    result = await api.call("list_sessions", starting_after="")
    assert api.sent.url.raw_path == b"/api/sessions"
    assert result.sessions == [] and result.total == 0


async def test_list_sessions_limit_zero_is_sent(api: Harness) -> None:
    api.reply(200, {"data": {"sessions": []}})
    await api.call("list_sessions", limit=0)
    assert dict(api.sent.url.params) == {"limit": "0"}


@pytest.mark.parametrize(
    ("data", "count", "total"),
    [
        ({"sessions": None}, 0, 0),
        ({}, 0, 0),
        ({"sessions": [RECORD]}, 1, 1),
        ({"sessions": [RECORD], "total": 40}, 1, 40),
    ],
)
async def test_list_sessions_defaults(
    api: Harness, data: dict[str, Any], count: int, total: int
) -> None:
    api.reply(200, {"data": data})
    result = await api.call("list_sessions")
    assert len(result.sessions) == count
    assert result.total == total


async def test_list_sessions_error_and_malformed(api: Harness) -> None:
    api.reply(500, {"error": {"code": "SESSION_LIST_FAILED", "message": "boom"}})
    with pytest.raises(SessionError) as info:
        await api.call("list_sessions")
    assert (info.value.status_code, info.value.error_code) == (500, "SESSION_LIST_FAILED")

    api.reply(200, {"data": {"sessions": "nope"}})
    with pytest.raises(SessionError) as bad:
        await api.call("list_sessions")
    assert isinstance(bad.value, MalformedResponseError)


async def test_list_sessions_data_list_is_malformed(api: Harness) -> None:
    api.reply(200, {"data": [RECORD]})
    with pytest.raises(SessionError) as info:
        await api.call("list_sessions")
    assert isinstance(info.value, MalformedResponseError)


# ---- #15 POST /api/sessions/touch -------------------------------------------------------


async def test_touch_session_request_and_fixture(api: Harness) -> None:
    data = {
        "message": "Session activity updated",
        "session_id": "sess_123",
        "last_activity": "2025-01-09T10:30:00Z",
    }
    api.reply(200, {"success": True, "data": data})
    result = await api.call("touch_session", access_token_override="o")

    request = api.sent
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/sessions/touch"
    assert_bearer(request, "o")
    assert api.sent_json() == {}
    assert isinstance(result, SessionTouchResult)
    assert result.message == "Session activity updated"
    assert result.session_id == "sess_123"
    assert result.last_activity == datetime(2025, 1, 9, 10, 30, tzinfo=timezone.utc)


async def test_touch_session_error_and_malformed(api: Harness) -> None:
    api.reply(401, ERROR, headers={"x-request-id": "req_touch"})
    with pytest.raises(SessionError) as info:
        await api.call("touch_session")
    assert info.value.request_id == "req_touch"
    assert info.value.error_code == "INVALID_SESSION"

    api.reply(200, {"data": {"session_id": "sess_123"}})
    with pytest.raises(SessionError) as bad:
        await api.call("touch_session")
    assert isinstance(bad.value, MalformedResponseError)


# ---- #16 DELETE /api/sessions/{session_id} ----------------------------------------------


async def test_revoke_session_request_and_fixture(api: Harness) -> None:
    data = {"message": "Session revoked successfully", "session_id": "sess_456"}
    api.reply(200, {"success": True, "data": data})
    result = await api.call("revoke_session", "sess_456")

    request = api.sent
    assert request.method == "DELETE"
    assert request.url.raw_path == b"/api/sessions/sess_456"
    assert_bearer(request)
    assert request.content == b""
    assert result == SessionRevokeResult(
        message="Session revoked successfully", session_id="sess_456"
    )


@pytest.mark.parametrize("status", [200, 204])
async def test_revoke_session_empty_body(api: Harness, status: int) -> None:
    api.reply(status)
    result = await api.call("revoke_session", "sess_456")
    assert result == SessionRevokeResult(message="Session revoked", session_id="sess_456")


async def test_revoke_session_fills_missing_id(api: Harness) -> None:
    api.reply(200, {"data": {"message": "Revoked"}})
    result = await api.call("revoke_session", "sess_456")
    assert result.session_id == "sess_456"


async def test_revoke_session_encodes_path(api: Harness) -> None:
    api.reply(200, {"data": {"message": "ok", "session_id": "a/b?c"}})
    await api.call("revoke_session", "a/b?c d")
    assert api.sent.url.raw_path == b"/api/sessions/a%2Fb%3Fc%20d"
    assert api.sent.url.query == b""


@pytest.mark.parametrize("session_id", ["", None])
async def test_revoke_session_requires_id(api: Harness, session_id: Any) -> None:
    with pytest.raises(ValueError, match=r"^session_id is required$"):
        await api.call("revoke_session", session_id)
    assert api.requests == []


async def test_revoke_session_is_positional(api: Harness) -> None:
    params = inspect.signature(api.client.revoke_session).parameters
    assert params["session_id"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert params["access_token_override"].kind is inspect.Parameter.KEYWORD_ONLY


async def test_revoke_session_error_envelope(api: Harness) -> None:
    body = {"error": {"code": "SESSION_NOT_FOUND", "message": "No such session"}}
    api.reply(404, body, headers={"X-Request-ID": "req_revoke"})
    with pytest.raises(SessionError) as info:
        await api.call("revoke_session", "sess_x")
    assert (info.value.status_code, info.value.error_code) == (404, "SESSION_NOT_FOUND")
    assert info.value.request_id == "req_revoke"


async def test_revoke_session_malformed(api: Harness) -> None:
    api.reply(200, {"data": {"session_id": "sess_456"}})
    with pytest.raises(SessionError) as info:
        await api.call("revoke_session", "sess_456")
    assert isinstance(info.value, MalformedResponseError)


async def test_every_endpoint_needs_a_token(api: Harness) -> None:
    client = api.make()
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("get_current_session", ()),
        ("validate_session", ()),
        ("list_sessions", ()),
        ("touch_session", ()),
        ("revoke_session", ("sess_1",)),
    ]
    for name, args in calls:
        with pytest.raises(MissingAccessTokenError, match="session operations"):
            await api.call(name, *args, client=client)
    assert api.requests == []


async def test_flavours_return_the_right_kind() -> None:
    async with AsyncSessionsClient(base_url=BASE, access_token="t") as aclient:
        assert inspect.iscoroutinefunction(aclient.get_current_session)
    with SessionsClient(base_url=BASE, access_token="t") as client:
        assert not inspect.iscoroutinefunction(client.get_current_session)
