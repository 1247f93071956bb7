"""The harness every endpoint test module shares.

A test module names its two sub-client classes in ``CLIENTS = (SyncClient, AsyncClient)``;
the ``api`` fixture (alias ``h``) then runs each test once per flavour, over a mock transport
that answers with queued responses and records every request.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from spaps_client import RetryConfig

BASE = "http://test"


class Harness:
    def __init__(self, flavour: str, clients: tuple[type[Any], type[Any]]) -> None:
        self.flavour = flavour
        self.sync_class, self.async_class = clients
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []
        self._http: list[httpx.Client | httpx.AsyncClient] = []
        self.client = self.make(access_token="tok")

    def _handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        assert self.responses, f"unexpected request {request.method} {request.url}"
        return self.responses.pop(0)

    def make(self, *, retry: bool = False, **kwargs: Any) -> Any:
        """A sub-client of this flavour over the mock transport; ``retry=True`` keeps the
        default retry policy (waiting on the fake clock), otherwise one attempt per call."""
        transport = httpx.MockTransport(self._handle)
        if not retry:
            kwargs.setdefault("retry_config", RetryConfig(max_attempts=1))
        if self.flavour == "sync":
            http = httpx.Client(base_url=BASE, transport=transport)
            self._http.append(http)
            return self.sync_class(base_url=BASE, api_key="k", client=http, **kwargs)
        ahttp = httpx.AsyncClient(base_url=BASE, transport=transport)
        self._http.append(ahttp)
        return self.async_class(base_url=BASE, api_key="k", client=ahttp, **kwargs)

    def reply(self, status: int = 200, body: Any = None, **kwargs: Any) -> None:
        if body is not None:
            kwargs["json"] = body
        self.responses.append(httpx.Response(status, **kwargs))

    def ok(self, data: Any) -> None:
        self.reply(200, {"success": True, "data": data})

    async def call(
        self, target: str | Callable[..., Any], *args: Any, client: Any = None, **kwargs: Any
    ) -> Any:
        """Call a method (by name on ``client``/the default client, or a bound method) and
        await it when it is a coroutine."""
        method = getattr(client or self.client, target) if isinstance(target, str) else target
        result = method(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    async def run(self, name: str, *args: Any, client: Any = None, **kwargs: Any) -> Any:
        return await self.call(name, *args, client=client, **kwargs)

    @property
    def sent(self) -> httpx.Request:
        assert len(self.requests) == 1
        return self.requests[0]

    def sent_json(self) -> Any:
        return json.loads(self.sent.content)

    async def close(self) -> None:
        for http in self._http:
            if isinstance(http, httpx.AsyncClient):
                await http.aclose()
            else:
                http.close()


@pytest.fixture(params=["sync", "async"])
async def api(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    harness = Harness(request.param, request.module.CLIENTS)
    yield harness
    await harness.close()


@pytest.fixture
def h(api: Harness) -> Harness:
    return api
