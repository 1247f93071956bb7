"""The URL of every request, which the engine builds once per route and base URL: it is exactly
the URL httpx itself builds from the relative path, follows a change of the client's base URL,
and the remembered routes stay bounded. Also the asyncio endpoint wrapper, built once per
sub-client."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import httpx
import pytest

from spaps_client import AsyncSpapsClient
from spaps_client._engine import (
    URL_CACHE_SIZE,
    AsyncEngine,
    Operation,
    SyncEngine,
    path,
    query,
)
from spaps_client._envelope import Reply
from spaps_client.errors import SessionError

BASES = [
    "https://api.example.com",
    "https://api.example.com/",
    "http://127.0.0.1:3300/prefix",
    "http://127.0.0.1:3300/prefix/",
    "http://spaps.test:8080/a%20b/c/",
    "http://spaps.test/?tenant=x",
]
ROUTES = [
    "/api/sessions/current",
    "/health",
    path("/api/v1/whitelist/{}", "a/b?c@d e"),
    path("/api/sessions/{}", "sess_ü"),
    "",
]


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": {}})


def operation(route: str, params: dict[str, str] | None = None) -> Operation[Reply]:
    return Operation("GET", route, lambda reply: reply, SessionError, params=params)


def send_sync(http: httpx.Client, *operations: Operation[Any]) -> list[httpx.URL]:
    engine = SyncEngine(http, api_key="k")
    return [engine.run(op).response.request.url for op in operations]


def send_async(http: httpx.AsyncClient, *operations: Operation[Any]) -> list[httpx.URL]:
    async def go() -> list[httpx.URL]:
        engine = AsyncEngine(http, api_key="k")
        return [(await engine.run(op)).response.request.url for op in operations]

    return asyncio.run(go())


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("route", ROUTES)
def test_the_url_is_the_one_httpx_builds_from_the_relative_path(base: str, route: str) -> None:
    params = query(email="user@example.com", limit=5)
    with httpx.Client(base_url=base, transport=httpx.MockTransport(ok)) as http:
        expected = [
            http.build_request("GET", route).url,
            http.build_request("GET", route, params=params).url,
        ]
        twice = [operation(route), operation(route, params), operation(route)]
        assert send_sync(http, *twice) == [*expected, expected[0]]
    aclient = httpx.AsyncClient(base_url=base, transport=httpx.MockTransport(ok))
    assert send_async(aclient, *twice) == [*expected, expected[0]]


def test_client_default_params_are_still_merged() -> None:
    with httpx.Client(
        base_url=BASES[0], params={"tenant": "t1"}, transport=httpx.MockTransport(ok)
    ) as http:
        urls = send_sync(http, operation("/api/x", {"limit": "2"}), operation("/api/x"))
    assert [str(url) for url in urls] == [
        "https://api.example.com/api/x?tenant=t1&limit=2",
        "https://api.example.com/api/x?tenant=t1",
    ]


def test_a_new_base_url_takes_effect_on_the_next_call() -> None:
    with httpx.Client(base_url="http://one.test/v1", transport=httpx.MockTransport(ok)) as http:
        engine = SyncEngine(http, api_key="k")
        first = engine.run(operation("/api/x")).response.request.url
        http.base_url = httpx.URL("http://two.test/v2")
        second = engine.run(operation("/api/x")).response.request.url
    assert str(first) == "http://one.test/v1/api/x"
    assert str(second) == "http://two.test/v2/api/x"


def test_remembered_routes_stay_bounded() -> None:
    with httpx.Client(base_url=BASES[0], transport=httpx.MockTransport(ok)) as http:
        engine = SyncEngine(http, api_key="k")
        routes = [path("/api/sessions/{}", f"sess_{n}") for n in range(URL_CACHE_SIZE * 2 + 7)]
        for route in routes:
            url = engine.run(operation(route)).response.request.url
            assert url == http.build_request("GET", route).url
            assert len(engine._urls[1]) <= URL_CACHE_SIZE


def test_an_absolute_route_is_used_as_it_is() -> None:
    with httpx.Client(base_url=BASES[2], transport=httpx.MockTransport(ok)) as http:
        urls = send_sync(http, operation("http://elsewhere.test/p"), operation("/api/x"))
    assert [str(url) for url in urls] == [
        "http://elsewhere.test/p",
        "http://127.0.0.1:3300/prefix/api/x",
    ]


async def test_the_async_endpoint_is_built_once_per_sub_client() -> None:
    async with (
        AsyncSpapsClient(base_url="http://spaps.test", api_key="k") as one,
        AsyncSpapsClient(base_url="http://spaps.test", api_key="k") as two,
    ):
        method = one.sessions.get_current_session
        assert one.sessions.get_current_session is method
        assert two.sessions.get_current_session is not method
        assert inspect.iscoroutinefunction(method)
        assert method.__name__ == "get_current_session"
        assert method.__doc__ == type(one.sessions).get_current_session.__doc__
        assert list(inspect.signature(method).parameters) == ["access_token_override"]
        # Each sub-client's wrapper runs on its own engine.
        assert method.__wrapped__.__self__ is one.sessions
        assert two.sessions.get_current_session.__wrapped__.__self__ is two.sessions
