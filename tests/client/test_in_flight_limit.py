"""The async engine's in-flight limit: calls beyond the limit wait in the engine's FIFO queue
(never inside the HTTP pool), never more than the limit are on the wire at once, and every call
completes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from spaps_client import AsyncSessionsClient, AsyncSpapsClient
from spaps_client._engine import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_IN_FLIGHT,
    AsyncEngine,
    default_limits,
)


def test_the_sdk_pool_keeps_as_many_connections_as_it_may_open() -> None:
    limits = default_limits()
    assert limits.max_connections == limits.max_keepalive_connections == DEFAULT_MAX_CONNECTIONS
    assert limits.keepalive_expiry is not None and limits.keepalive_expiry < 5


def test_an_own_client_limits_calls_in_flight_below_its_pool() -> None:
    client = AsyncSpapsClient(base_url="http://127.0.0.1:1", api_key="k")
    engine = client._engine
    assert isinstance(engine, AsyncEngine)
    assert engine.max_in_flight == DEFAULT_MAX_IN_FLIGHT <= DEFAULT_MAX_CONNECTIONS


def test_a_standalone_sub_client_has_the_same_limit_and_a_borrowed_pool_none() -> None:
    standalone = AsyncSessionsClient(base_url="http://127.0.0.1:1", api_key="k")
    assert standalone._engine.max_in_flight == DEFAULT_MAX_IN_FLIGHT
    borrowed = AsyncSpapsClient(
        base_url="http://127.0.0.1:1", http_client=httpx.AsyncClient(base_url="http://x.test")
    )
    assert borrowed._engine.max_in_flight is None


async def test_calls_beyond_the_limit_queue_and_all_complete() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json={"success": True, "data": {"status": "healthy"}})

    http = httpx.AsyncClient(base_url="http://spaps.test", transport=httpx.MockTransport(handler))
    engine = AsyncEngine(http, api_key="k", owns_http=True, max_in_flight=7)
    requests = [http.build_request("GET", "/health") for _ in range(200)]
    outcomes = await asyncio.gather(*(engine._send(request) for request in requests))
    await engine.aclose()
    assert all(isinstance(o, httpx.Response) and o.status_code == 200 for o in outcomes)
    assert peak == 7


def test_the_limit_must_be_positive() -> None:
    http = httpx.AsyncClient(base_url="http://spaps.test")
    with pytest.raises(ValueError, match="max_in_flight"):
        AsyncEngine(http, api_key="k", max_in_flight=0)
