"""Generic fixtures for the SDK unit tests: a scripted mock transport and a fake clock."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from spaps_client._engine import AsyncEngine, SyncEngine

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class ScriptedTransport(httpx.MockTransport):
    """Answers each request with the next scripted step (a response, an exception to raise,
    or a callable building the response) and records what was sent.

    Works for both ``httpx.Client`` and ``httpx.AsyncClient``.
    """

    def __init__(self, *steps: Step) -> None:
        self.steps: list[Step] = list(steps)
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []
        super().__init__(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.read())
        if not self.steps:
            raise AssertionError(f"unexpected extra request: {request.method} {request.url}")
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    @property
    def calls(self) -> int:
        return len(self.requests)


class FakeTime:
    """A monotonic clock that only moves when something sleeps on it; records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(autouse=True)
def engine_time(fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """Every SDK client built in a unit test waits on ``fake_time``: retries never sleep for
    real, and ``fake_time.sleeps`` records every backoff the request loop chose."""
    monkeypatch.setattr(SyncEngine, "default_sleep", staticmethod(fake_time.sleep))
    monkeypatch.setattr(AsyncEngine, "default_sleep", staticmethod(fake_time.async_sleep))
    monkeypatch.setattr(SyncEngine, "default_clock", staticmethod(fake_time.clock))
    monkeypatch.setattr(AsyncEngine, "default_clock", staticmethod(fake_time.clock))
    return fake_time


@pytest.fixture
def scripted() -> type[ScriptedTransport]:
    """The :class:`ScriptedTransport` class: ``scripted(httpx.Response(200), ...)``."""
    return ScriptedTransport


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No SPAPS_* variable from the developer's shell leaks into a test."""
    for name in ("SPAPS_API_URL", "SPAPS_API_KEY", "SPAPS_REQUEST_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch
