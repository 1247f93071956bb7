"""Metrics and health (contract §3.9, endpoints #52-#55, departure D1), sync and async
alike: no credentials sent, raw bodies, MetricsError for every failure."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spaps_client.errors import (
    MalformedResponseError,
    MetricsError,
    SpapsConnectionError,
    SpapsError,
)
from spaps_client.resources.metrics import AsyncMetricsClient, MetricsClient

BASE = "http://test"


CLIENTS = (MetricsClient, AsyncMetricsClient)
Harness = Any  # the shared harness of conftest.py (api / h fixtures)


PROMETHEUS = "# HELP http_requests_total Total HTTP requests received\nhttp_requests_total 123"
METRICS_JSON = {
    "timestamp": "2025-01-09T10:30:00Z",
    "uptime_seconds": 864000,
    "system": {"memory": {"rss_mb": 93.6}},
}
DICT_ENDPOINTS = [
    ("get_metrics_json", "/api/metrics/json", "application/json", METRICS_JSON),
    ("health", "/health", None, {"status": "healthy"}),
    ("readiness", "/health/ready", None, {"ready": True}),
]


def assert_no_credentials(request: httpx.Request) -> None:
    # The sub-client has an API key and a token; metrics must send neither.
    assert "X-API-Key" not in request.headers
    assert "Authorization" not in request.headers


# ---- #52 GET /api/metrics ---------------------------------------------------------------


async def test_prometheus_request_and_fixture(api: Harness) -> None:
    api.reply(200, content=PROMETHEUS.encode(), headers={"Content-Type": "text/plain"})
    result = await api.call("get_prometheus_metrics")

    request = api.sent
    assert request.method == "GET"
    assert request.url.raw_path == b"/api/metrics"
    assert request.headers["Accept"] == "text/plain"
    assert_no_credentials(request)
    assert request.content == b""
    assert result == PROMETHEUS


async def test_prometheus_error(api: Harness) -> None:
    api.reply(503, content=b"unavailable", headers={"X-Request-ID": "req_metrics"})
    with pytest.raises(MetricsError) as info:
        await api.call("get_prometheus_metrics")
    error = info.value
    assert isinstance(error, SpapsError)
    assert not isinstance(error, MalformedResponseError)
    assert error.status_code == 503
    assert error.request_id == "req_metrics"
    assert str(error) == "Metrics request failed (HTTP 503)"


# ---- #53-#55 JSON objects ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "route", "accept", "payload"), DICT_ENDPOINTS)
async def test_json_endpoint_request_and_fixture(
    api: Harness, name: str, route: str, accept: str | None, payload: dict[str, Any]
) -> None:
    api.reply(200, payload)
    result = await api.call(name)

    request = api.sent
    assert request.method == "GET"
    assert request.url.raw_path == route.encode()
    if accept is None:
        assert request.headers["Accept"] == "*/*"
    else:
        assert request.headers["Accept"] == accept
    assert_no_credentials(request)
    assert result == payload
    assert isinstance(result, dict)


async def test_health_ok_variant_and_envelope_kept_raw(api: Harness) -> None:
    api.reply(200, {"status": "ok"})
    assert await api.call("health") == {"status": "ok"}
    api.reply(200, {"success": True, "data": {"ready": True}})
    assert await api.call("readiness") == {"success": True, "data": {"ready": True}}


@pytest.mark.parametrize(("name", "route", "accept", "payload"), DICT_ENDPOINTS)
async def test_json_endpoint_error_envelope(
    api: Harness, name: str, route: str, accept: str | None, payload: dict[str, Any]
) -> None:
    body = {"success": False, "error": {"code": "NOT_READY", "message": "Database down"}}
    api.reply(503, body, headers={"X-Request-ID": "req_health"})
    with pytest.raises(MetricsError) as info:
        await api.call(name)
    error = info.value
    assert (error.status_code, error.error_code, error.request_id) == (
        503,
        "NOT_READY",
        "req_health",
    )
    assert str(error) == "Database down"


@pytest.mark.parametrize(("name", "route", "accept", "payload"), DICT_ENDPOINTS)
@pytest.mark.parametrize(
    "reply",
    [{"json": [1, 2]}, {"json": "healthy"}, {"content": b"OK"}, {"content": b""}],
)
async def test_json_endpoint_malformed(
    api: Harness,
    name: str,
    route: str,
    accept: str | None,
    payload: dict[str, Any],
    reply: dict[str, Any],
) -> None:
    api.responses.append(httpx.Response(200, **reply))
    with pytest.raises(MetricsError) as info:
        await api.call(name)
    assert isinstance(info.value, MalformedResponseError)
    assert info.value.status_code == 200


async def test_transport_failure_is_a_spaps_error(api: Harness) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    if api.flavour == "sync":
        with (
            MetricsClient(
                base_url=BASE,
                client=httpx.Client(base_url=BASE, transport=httpx.MockTransport(refuse)),
            ) as client,
            pytest.raises(SpapsConnectionError) as info,
        ):
            client.health()
    else:
        async with AsyncMetricsClient(
            base_url=BASE,
            client=httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(refuse)),
        ) as aclient:
            with pytest.raises(SpapsConnectionError) as info:
                await aclient.health()
    assert isinstance(info.value, SpapsError)
    assert info.value.status_code is None


async def test_published_constructor_signature(api: Harness) -> None:
    cls = MetricsClient if api.flavour == "sync" else AsyncMetricsClient
    client = cls(base_url="http://example.test/prefix/", request_timeout=3.0)
    assert client.base_url == "http://example.test/prefix"
    if isinstance(client, AsyncMetricsClient):
        await client.aclose()
    else:
        client.close()
