"""Usage sub-client (contract §3.6, endpoints #42-#44), sync and async alike."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from spaps_client.errors import MalformedResponseError, MissingAccessTokenError, UsageError
from spaps_client.models.usage import (
    UsageFeaturesResponse,
    UsageHistoryResponse,
    UsageRecordResult,
)
from spaps_client.resources.usage import AsyncUsageClient, UsageClient

BASE = "http://test"


CLIENTS = (UsageClient, AsyncUsageClient)
Harness = Any  # the shared harness of conftest.py (api / h fixtures)


FEATURES = {
    "user_id": "user_123",
    "tier": "premium",
    "period": {"start": "2025-01-01T00:00:00Z", "end": "2025-01-31T23:59:59Z"},
    "features": [
        {
            "name": "api_calls",
            "description": "Total API calls",
            "used": 8500,
            "limit": 10000,
            "percentage": 85,
            "reset_at": "2025-02-01T00:00:00Z",
        }
    ],
    "overage": {"allowed": True, "charges": []},
}
RECORD = {
    "record_id": "usage_abc123",
    "feature": "api_calls",
    "quantity": 5,
    "recorded_at": "2025-01-09T10:30:00Z",
    "current_usage": {"used": 8510, "limit": 10000, "remaining": 1490},
    "warning": None,
}
HISTORY = {
    "period": "daily",
    "start_date": "2025-01-01",
    "end_date": "2025-01-03",
    "history": [
        {
            "date": "2025-01-01",
            "features": {"api_calls": 320, "wallet_verifications": 12},
            "total_cost": 0,
        }
    ],
    "summary": {"total_api_calls": 8501, "total_wallet_verifications": 150, "total_cost": 0},
}


def assert_bearer(request: httpx.Request, token: str = "tok") -> None:
    assert request.headers["X-API-Key"] == "k"
    assert request.headers["Authorization"] == f"Bearer {token}"


# ---- #42 GET /api/usage/features --------------------------------------------------------


async def test_features_request_and_fixture(api: Harness) -> None:
    api.reply(200, {"success": True, "data": FEATURES})
    result = await api.call("get_features")

    request = api.sent
    assert request.method == "GET"
    assert request.url.raw_path == b"/api/usage/features"
    assert_bearer(request)
    assert request.content == b""
    assert "Idempotency-Key" not in request.headers
    assert isinstance(result, UsageFeaturesResponse)
    assert result.user_id == "user_123" and result.tier == "premium"
    assert result.period.start == "2025-01-01T00:00:00Z"
    assert result.period.end == "2025-01-31T23:59:59Z"
    feature = result.features[0]
    assert feature.name == "api_calls" and feature.description == "Total API calls"
    assert (feature.used, feature.limit, feature.percentage) == (8500.0, 10000.0, 85.0)
    assert feature.reset_at == "2025-02-01T00:00:00Z"
    assert result.overage == {"allowed": True, "charges": []}


async def test_features_defaults_for_missing_and_null(api: Harness) -> None:
    api.reply(200, {"data": {"period": None, "features": None}})
    result = await api.call("get_features")
    assert result.features == []
    assert result.period.start is None and result.period.end is None
    api.reply(200, {"user_id": "u"})  # no envelope at all (rule U1 uses the body)
    assert (await api.call("get_features")).user_id == "u"


async def test_features_error_envelope(api: Harness) -> None:
    body = {"success": False, "error": {"code": "USAGE_SERVICE_UNAVAILABLE", "message": "Down"}}
    api.reply(503, body, headers={"X-Request-ID": "req_usage"})
    with pytest.raises(UsageError) as info:
        await api.call("get_features")
    error = info.value
    assert not isinstance(error, MalformedResponseError)
    assert (error.status_code, error.error_code) == (503, "USAGE_SERVICE_UNAVAILABLE")
    assert error.request_id == "req_usage"
    assert str(error) == "Down"


async def test_features_malformed(api: Harness) -> None:
    api.reply(200, {"data": {"features": [{"used": 3}]}})
    with pytest.raises(UsageError) as info:
        await api.call("get_features")
    assert isinstance(info.value, MalformedResponseError)
    api.reply(200, {"data": None})
    with pytest.raises(MalformedResponseError) as again:
        await api.call("get_features")
    assert isinstance(again.value, UsageError)


async def test_missing_token_raises_before_any_request(api: Harness) -> None:
    client = api.make()
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_features", {}),
        ("record_usage", {"feature": "api_calls", "quantity": 1}),
        ("get_history", {}),
    ]
    for name, kwargs in calls:
        with pytest.raises(MissingAccessTokenError) as info:
            await api.call(name, client=client, **kwargs)
        assert isinstance(info.value, ValueError)
        assert str(info.value) == "Access token is required for usage operations"
    assert api.requests == []


async def test_override_wins(api: Harness) -> None:
    api.reply(200, {"data": FEATURES})
    await api.call("get_features", access_token_override="other")
    assert_bearer(api.sent, "other")


# ---- #43 POST /api/usage/record ---------------------------------------------------------


async def test_record_usage_request_and_fixture(api: Harness) -> None:
    api.reply(200, {"success": True, "data": RECORD})
    result = await api.call(
        "record_usage",
        feature="api_calls",
        quantity=5,
        metadata={"endpoint": "/v1/things"},
        timestamp="2025-01-09T10:30:00Z",
        idempotency_key="idem-1",
    )

    request = api.sent
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/usage/record"
    assert_bearer(request)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Idempotency-Key"] == "idem-1"
    assert request.headers["Idempotency-Key"] == "idem-1"
    assert api.sent_json() == {
        "feature": "api_calls",
        "quantity": 5,
        "metadata": {"endpoint": "/v1/things"},
        "timestamp": "2025-01-09T10:30:00Z",
    }
    assert isinstance(result, UsageRecordResult)
    assert result.record_id == "usage_abc123" and result.feature == "api_calls"
    assert result.quantity == 5.0 and result.recorded_at == "2025-01-09T10:30:00Z"
    assert result.current_usage.used == 8510.0
    assert result.current_usage.limit == 10000.0
    assert result.current_usage.remaining == 1490.0
    assert result.warning is None


@pytest.mark.parametrize("key", [None, ""])
async def test_record_usage_without_key_generates_one(api: Harness, key: Any) -> None:
    api.reply(200, {"data": RECORD | {"current_usage": None}})
    result = await api.call("record_usage", feature="api_calls", quantity=0.5, idempotency_key=key)

    request = api.sent
    assert "X-Idempotency-Key" not in request.headers
    generated = request.headers["Idempotency-Key"]
    assert str(uuid.UUID(generated)) == generated
    assert api.sent_json() == {"feature": "api_calls", "quantity": 0.5}
    assert result.current_usage.used is None


async def test_record_usage_new_key_per_call(api: Harness) -> None:
    api.reply(200, {"data": RECORD})
    api.reply(200, {"data": RECORD})
    await api.call("record_usage", feature="f", quantity=1)
    await api.call("record_usage", feature="f", quantity=1)
    first, second = (r.headers["Idempotency-Key"] for r in api.requests)
    assert first != second


async def test_record_usage_error_envelope(api: Harness) -> None:
    body = {"success": False, "error": {"code": "LIMIT_EXCEEDED", "message": "Over limit"}}
    api.reply(429, body, headers={"X-Request-ID": "req_record"})
    with pytest.raises(UsageError) as info:
        await api.call("record_usage", feature="api_calls", quantity=1)
    assert (info.value.status_code, info.value.error_code) == (429, "LIMIT_EXCEEDED")
    assert info.value.request_id == "req_record"


async def test_record_usage_malformed(api: Harness) -> None:
    api.reply(200, {"data": {"feature": "api_calls"}})
    with pytest.raises(UsageError) as info:
        await api.call("record_usage", feature="api_calls", quantity=1)
    assert isinstance(info.value, MalformedResponseError)


# ---- #44 GET /api/usage/history ---------------------------------------------------------


async def test_history_request_and_fixture(api: Harness) -> None:
    api.reply(200, {"success": True, "data": HISTORY})
    result = await api.call(
        "get_history",
        period="daily",
        start_date="2025-01-01",
        end_date="2025-01-03",
        feature="api_calls",
        format="json",
    )

    request = api.sent
    assert request.method == "GET"
    assert request.url.path == "/api/usage/history"
    assert dict(request.url.params) == {
        "period": "daily",
        "start_date": "2025-01-01",
        "end_date": "2025-01-03",
        "feature": "api_calls",
        "format": "json",
    }
    assert_bearer(request)
    assert isinstance(result, UsageHistoryResponse)
    assert (result.period, result.start_date, result.end_date) == (
        "daily",
        "2025-01-01",
        "2025-01-03",
    )
    entry = result.history[0]
    assert entry.date == "2025-01-01"
    assert entry.features == {"api_calls": 320, "wallet_verifications": 12}
    assert entry.total_cost == 0.0
    assert result.summary is not None and result.summary["total_api_calls"] == 8501


async def test_history_sends_only_truthy_params(api: Harness) -> None:
    api.reply(200, {"data": {"history": None}})
    result = await api.call("get_history", period="", feature="api_calls", format=None)
    assert dict(api.sent.url.params) == {"feature": "api_calls"}
    assert result.history == []

    api.reply(200, {"data": {}})
    await api.call("get_history")
    assert api.requests[-1].url.raw_path == b"/api/usage/history"


async def test_history_query_values_are_encoded(api: Harness) -> None:
    api.reply(200, {"data": {}})
    await api.call("get_history", feature="a&b=c")
    assert api.sent.url.params["feature"] == "a&b=c"
    assert b"a%26b%3Dc" in api.sent.url.raw_path


async def test_history_error_and_malformed(api: Harness) -> None:
    api.reply(500, {"error": "history unavailable"}, headers={"X-Request-ID": "req_hist"})
    with pytest.raises(UsageError) as info:
        await api.call("get_history")
    assert info.value.status_code == 500
    assert info.value.request_id == "req_hist"
    assert str(info.value) == "history unavailable"

    api.reply(200, [HISTORY])
    with pytest.raises(UsageError) as bad:
        await api.call("get_history")
    assert isinstance(bad.value, MalformedResponseError)
