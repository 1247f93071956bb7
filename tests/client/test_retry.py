"""The retry transports, sync and async (contract §1.5, §1.6 and departure D5).

No test sleeps for real: the clients get a fake ``sleep`` and ``clock`` that record every wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from spaps_client import _retry
from spaps_client.http import LoggingHooks, RetryClient, RetryConfig
from spaps_client.http_async import RetryAsyncClient

if TYPE_CHECKING:
    from .conftest import FakeTime, ScriptedTransport

BASE = "https://api.example.com"
NO_JITTER = {"jitter": False}


class Runner:
    """Sends one request through a RetryClient or a RetryAsyncClient with fake time."""

    def __init__(
        self, flavour: str, fake_time: FakeTime, scripted: type[ScriptedTransport]
    ) -> None:
        self.flavour = flavour
        self.time = fake_time
        self.script = scripted
        self.client: RetryClient | RetryAsyncClient | None = None

    def __call__(
        self,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport,
        method: str = "GET",
        url: str = "/api/thing",
        *,
        retry_config: RetryConfig | dict[str, Any] | None = None,
        hooks: LoggingHooks | dict[str, Any] | None = None,
        **request_kwargs: Any,
    ) -> httpx.Response:
        if self.flavour == "sync":
            client = RetryClient(
                base_url=BASE,
                transport=transport,  # type: ignore[arg-type]
                retry_config=retry_config,
                logging_hooks=hooks,
                sleep=self.time.sleep,
                clock=self.time.clock,
            )
            self.client = client
            with client:
                return client.request(method, url, **request_kwargs)

        async def go() -> httpx.Response:
            client = RetryAsyncClient(
                base_url=BASE,
                transport=transport,  # type: ignore[arg-type]
                retry_config=retry_config,
                logging_hooks=hooks,
                sleep=self.time.async_sleep,
                clock=self.time.clock,
            )
            self.client = client
            async with client:
                return await client.request(method, url, **request_kwargs)

        return asyncio.run(go())


@pytest.fixture(params=["sync", "async"])
def run(
    request: pytest.FixtureRequest, fake_time: FakeTime, scripted: type[ScriptedTransport]
) -> Runner:
    return Runner(request.param, fake_time, scripted)


def status(code: int, **kwargs: Any) -> httpx.Response:
    return httpx.Response(code, **kwargs)


# ---------------------------------------------------------------- default policy and counting


def test_default_policy_retries_get_on_503_then_succeeds(run: Runner) -> None:
    transport = run.script(status(503), status(200, json={"ok": True}))
    response = run(transport)
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert transport.calls == 2
    assert len(run.time.sleeps) == 1
    # Full jitter: somewhere in [0, 0.5] before attempt 2.
    assert 0.0 <= run.time.sleeps[0] <= 0.5


def test_default_policy_gives_up_after_three_attempts_and_returns_last_response(
    run: Runner,
) -> None:
    transport = run.script(
        status(503, text="one"), status(502, text="two"), status(503, text="three")
    )
    response = run(transport)
    assert transport.calls == 3
    assert response.status_code == 503
    assert response.text == "three"
    assert len(run.time.sleeps) == 2


def test_default_config_is_built_when_none_is_given(run: Runner) -> None:
    run(run.script(status(200)))
    assert run.client is not None
    assert run.client.retry_config == RetryConfig()
    assert run.client.retry_config.status_codes == (408, 429, 500, 502, 503, 504)


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(run: Runner, code: int) -> None:
    transport = run.script(status(code), status(200))
    assert run(transport).status_code == 200
    assert transport.calls == 2


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 422, 501])
def test_other_statuses_are_not_retried(run: Runner, code: int) -> None:
    transport = run.script(status(code))
    assert run(transport).status_code == code
    assert transport.calls == 1
    assert run.time.sleeps == []


def test_max_attempts_one_means_a_single_attempt(run: Runner) -> None:
    transport = run.script(status(503))
    assert run(transport, retry_config=RetryConfig(max_attempts=1)).status_code == 503
    assert transport.calls == 1
    assert run.time.sleeps == []


def test_max_attempts_one_reraises_a_connect_error_at_once(run: Runner) -> None:
    error = httpx.ConnectError("connection refused")
    transport = run.script(error)
    with pytest.raises(httpx.ConnectError) as info:
        run(transport, retry_config=RetryConfig(max_attempts=1))
    assert info.value is error
    assert transport.calls == 1


def test_dict_config_is_accepted(run: Runner) -> None:
    transport = run.script(status(503), status(503), status(200))
    response = run(transport, retry_config={"max_attempts": 2, "jitter": False})
    assert response.status_code == 503
    assert transport.calls == 2
    assert run.time.sleeps == [0.5]
    assert run.client is not None
    assert isinstance(run.client.retry_config, RetryConfig)
    assert run.client.retry_config.max_attempts == 2


def test_dict_hooks_are_accepted(run: Runner) -> None:
    seen: list[int] = []
    run(
        run.script(status(200)),
        hooks={"on_response": lambda req, resp, elapsed, attempt: seen.append(attempt)},
    )
    assert seen == [1]


def test_bad_config_types_are_rejected() -> None:
    with pytest.raises(TypeError):
        RetryClient(retry_config=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RetryAsyncClient(logging_hooks=["on_request"])  # type: ignore[arg-type]


def test_config_normalises_methods_and_status_codes() -> None:
    config = RetryConfig(methods=("get", "Put"), status_codes=["503"])  # type: ignore[arg-type]
    assert config.methods == ("GET", "PUT")
    assert config.status_codes == (503,)
    request = httpx.Request("put", BASE)
    assert config.is_retryable(request, httpx.Response(503))
    assert not config.is_retryable(request, httpx.Response(500))


def test_discarded_responses_are_closed(run: Runner) -> None:
    first = status(503)
    transport = run.script(first, status(200))
    run(transport)
    assert first.is_closed


# ---------------------------------------------------------------- backoff


def test_backoff_values_without_jitter(run: Runner) -> None:
    transport = run.script(*(status(503) for _ in range(5)))
    config = RetryConfig(max_attempts=5, jitter=False, total_timeout=None)
    run(transport, retry_config=config)
    assert run.time.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_backoff_is_capped_by_max_backoff(run: Runner) -> None:
    transport = run.script(*(status(500) for _ in range(4)))
    config = RetryConfig(max_attempts=4, jitter=False, max_backoff=0.75)
    run(transport, retry_config=config)
    assert run.time.sleeps == [0.5, 0.75, 0.75]


def test_get_backoff_formula() -> None:
    config = RetryConfig(backoff_factor=0.5, jitter=False)
    assert [config.get_backoff(n) for n in range(0, 7)] == [0.0, 0.0, 0.5, 1.0, 2.0, 4.0, 8.0]
    assert config.get_backoff(30) == 8.0  # max_backoff default
    assert RetryConfig(backoff_factor=0.2, jitter=False).get_backoff(3) == pytest.approx(0.4)


def test_jitter_draws_uniformly_below_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[float, float]] = []

    def fake_uniform(low: float, high: float) -> float:
        calls.append((low, high))
        return high / 4

    monkeypatch.setattr(_retry.random, "uniform", fake_uniform)
    config = RetryConfig(jitter=True)
    assert config.get_backoff(1) == 0.0
    assert config.get_backoff(3) == 0.25
    assert config.get_backoff(20) == 2.0
    assert calls == [(0, 1.0), (0, 8.0)]


# ---------------------------------------------------------------- Retry-After


def test_retry_after_seconds_is_honoured(run: Runner) -> None:
    transport = run.script(status(429, headers={"Retry-After": "7"}), status(200))
    assert run(transport, retry_config=NO_JITTER).status_code == 200
    assert run.time.sleeps == [7.0]


def test_retry_after_seconds_is_capped(run: Runner) -> None:
    transport = run.script(status(503, headers={"Retry-After": "3600"}), status(200))
    assert run(transport, retry_config=RetryConfig(max_retry_after=12.0)).status_code == 200
    assert run.time.sleeps == [12.0]


def test_retry_after_default_cap_is_thirty_seconds(run: Runner) -> None:
    transport = run.script(status(503, headers={"Retry-After": "45"}), status(200))
    run(transport)
    assert run.time.sleeps == [30.0]


def test_retry_after_http_date_in_the_future_is_capped(run: Runner) -> None:
    later = datetime.now(timezone.utc) + timedelta(days=2)
    transport = run.script(
        status(503, headers={"Retry-After": format_datetime(later, usegmt=True)}), status(200)
    )
    run(transport, retry_config=RetryConfig(max_retry_after=9.0))
    assert run.time.sleeps == [9.0]


def test_retry_after_http_date_near_future_is_used(run: Runner) -> None:
    soon = datetime.now(timezone.utc) + timedelta(seconds=6)
    transport = run.script(
        status(503, headers={"Retry-After": format_datetime(soon, usegmt=True)}), status(200)
    )
    run(transport, retry_config=NO_JITTER)
    # The date has one-second resolution; what is left of the 6 s is between 4 and 6.
    assert len(run.time.sleeps) == 1
    assert 4.0 <= run.time.sleeps[0] <= 6.0


def test_retry_after_http_date_in_the_past_means_no_wait(run: Runner) -> None:
    transport = run.script(
        status(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), status(200)
    )
    run(transport, retry_config=NO_JITTER)
    assert run.time.sleeps == [0.0]


def test_retry_after_parsing_is_exact_with_a_fixed_now() -> None:
    config = RetryConfig()
    now = datetime(2015, 10, 21, 7, 27, 50, tzinfo=timezone.utc)
    dated = httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert config.retry_after(dated, now=now) == 10.0
    assert config.retry_after(httpx.Response(503, headers={"Retry-After": " 3 "})) == 3.0
    assert config.retry_after(httpx.Response(503)) is None
    assert config.retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None
    assert config.retry_after(httpx.Response(503, headers={"Retry-After": "-5"})) is None
    ignoring = RetryConfig(respect_retry_after=False)
    assert ignoring.retry_after(httpx.Response(503, headers={"Retry-After": "3"})) is None


def test_retry_after_ignored_when_disabled(run: Runner) -> None:
    transport = run.script(status(503, headers={"Retry-After": "20"}), status(200))
    run(transport, retry_config=RetryConfig(jitter=False, respect_retry_after=False))
    assert run.time.sleeps == [0.5]


def test_junk_retry_after_falls_back_to_backoff(run: Runner) -> None:
    transport = run.script(status(503, headers={"Retry-After": "later, maybe"}), status(200))
    run(transport, retry_config=NO_JITTER)
    assert run.time.sleeps == [0.5]


# ---------------------------------------------------------------- total deadline


def test_total_timeout_stops_retries(run: Runner) -> None:
    transport = run.script(*(status(503) for _ in range(5)))
    config = RetryConfig(max_attempts=5, jitter=False, total_timeout=1.0)
    response = run(transport, retry_config=config)
    # 0.5 s fits in the 1 s budget; the next 1.0 s wait would not.
    assert response.status_code == 503
    assert transport.calls == 2
    assert run.time.sleeps == [0.5]


def test_total_timeout_counts_time_spent_in_attempts(run: Runner) -> None:
    def slow(code: int) -> Callable[[httpx.Request], httpx.Response]:
        def answer(request: httpx.Request) -> httpx.Response:
            run.time.now += 10.0
            return httpx.Response(code)

        return answer

    transport = run.script(slow(503), slow(503), slow(200))
    config = RetryConfig(max_attempts=3, jitter=False, total_timeout=15.0)
    assert run(transport, retry_config=config).status_code == 503
    assert transport.calls == 2
    assert run.time.sleeps == [0.5]


def test_retry_after_beyond_the_deadline_stops(run: Runner) -> None:
    transport = run.script(status(503, headers={"Retry-After": "20"}), status(200))
    config = RetryConfig(total_timeout=10.0)
    assert run(transport, retry_config=config).status_code == 503
    assert transport.calls == 1
    assert run.time.sleeps == []


def test_no_total_timeout_means_no_deadline(run: Runner) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        run.time.now += 1000.0
        return httpx.Response(503)

    transport = run.script(slow, slow, status(200))
    config = RetryConfig(jitter=False, total_timeout=None)
    assert run(transport, retry_config=config).status_code == 200
    assert run.time.sleeps == [0.5, 1.0]


# ---------------------------------------------------------------- POST and idempotency


def test_post_is_not_retried_without_an_idempotency_key(run: Runner) -> None:
    transport = run.script(status(503), status(200))
    response = run(transport, "POST", json={"amount": 1})
    assert response.status_code == 503
    assert transport.calls == 1
    assert run.time.sleeps == []


@pytest.mark.parametrize("header", ["Idempotency-Key", "X-Idempotency-Key", "idempotency-key"])
def test_post_with_an_idempotency_key_is_retried_with_the_same_key(
    run: Runner, header: str
) -> None:
    transport = run.script(status(503), status(500), status(201))
    response = run(
        transport,
        "POST",
        json={"amount": 1},
        headers={header: "key-123"},
        retry_config=NO_JITTER,
    )
    assert response.status_code == 201
    assert transport.calls == 3
    assert [r.headers[header] for r in transport.requests] == ["key-123"] * 3
    assert transport.bodies == [b'{"amount":1}'] * 3


def test_post_with_key_not_retried_when_that_is_disabled(run: Runner) -> None:
    transport = run.script(status(503), status(200))
    config = RetryConfig(retry_post_with_idempotency_key=False)
    response = run(transport, "POST", headers={"Idempotency-Key": "k"}, retry_config=config)
    assert response.status_code == 503
    assert transport.calls == 1


def test_post_is_retried_on_connect_error(run: Runner) -> None:
    transport = run.script(httpx.ConnectError("refused"), status(200))
    response = run(transport, "POST", json={"x": 1}, retry_config=NO_JITTER)
    assert response.status_code == 200
    assert transport.calls == 2
    assert run.time.sleeps == [0.5]


def test_post_is_retried_on_a_connect_timeout(run: Runner) -> None:
    transport = run.script(httpx.ConnectTimeout("slow"), status(200))
    assert run(transport, "POST", json={}).status_code == 200
    assert transport.calls == 2


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_pool_timeout_is_not_retried(run: Runner, method: str) -> None:
    error = httpx.PoolTimeout("every connection busy")
    transport = run.script(error, status(200))
    with pytest.raises(httpx.PoolTimeout):
        run(transport, method, headers={"Idempotency-Key": "k1"})
    assert transport.calls == 1
    assert run.time.sleeps == []


def test_post_is_not_retried_on_read_timeout_without_a_key(run: Runner) -> None:
    error = httpx.ReadTimeout("read timed out")
    transport = run.script(error, status(200))
    with pytest.raises(httpx.ReadTimeout) as info:
        run(transport, "POST", json={"x": 1})
    assert info.value is error
    assert transport.calls == 1
    assert run.time.sleeps == []


def test_post_is_retried_on_read_timeout_with_a_key(run: Runner) -> None:
    transport = run.script(httpx.ReadTimeout("read timed out"), status(200))
    response = run(transport, "POST", json={}, headers={"Idempotency-Key": "abc"})
    assert response.status_code == 200
    assert transport.calls == 2


def test_get_is_retried_on_read_timeout(run: Runner) -> None:
    transport = run.script(httpx.ReadTimeout("read timed out"), status(200))
    assert run(transport).status_code == 200
    assert transport.calls == 2


def test_exception_reraised_after_last_attempt(run: Runner) -> None:
    errors = [httpx.ConnectError(f"refused {n}") for n in range(3)]
    transport = run.script(*errors)
    with pytest.raises(httpx.ConnectError) as info:
        run(transport, retry_config=NO_JITTER)
    assert info.value is errors[2]
    assert transport.calls == 3
    assert run.time.sleeps == [0.5, 1.0]


def test_non_transport_exception_is_not_retried(run: Runner) -> None:
    transport = run.script(RuntimeError("bug in a transport"), status(200))
    with pytest.raises(RuntimeError, match="bug in a transport"):
        run(transport)
    assert transport.calls == 1


def test_is_retryable_rules() -> None:
    config = RetryConfig()
    get = httpx.Request("GET", BASE)
    post = httpx.Request("POST", BASE)
    keyed = httpx.Request("POST", BASE, headers={"X-Idempotency-Key": "k"})
    assert config.is_retryable(get, None, httpx.ReadError("x"))
    assert config.is_retryable(get, None)
    assert not config.is_retryable(get, None, ValueError("x"))
    assert config.is_retryable(post, None, httpx.ConnectError("x"))
    assert not config.is_retryable(post, None, httpx.ReadError("x"))
    assert not config.is_retryable(post, httpx.Response(503))
    assert config.is_retryable(keyed, httpx.Response(503))
    assert not config.is_retryable(keyed, httpx.Response(404))
    assert not config.is_retryable(httpx.Request("PATCH", BASE), httpx.Response(503))


# ---------------------------------------------------------------- streaming bodies


class CountingChunks:
    """An iterable body that records how many times it is iterated."""

    def __init__(self) -> None:
        self.iterations = 0

    def __iter__(self) -> Iterator[bytes]:
        self.iterations += 1
        yield b"part-1;"
        yield b"part-2;"
        yield b"part-3"


class AsyncCountingChunks:
    def __init__(self) -> None:
        self.iterations = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.iterations += 1
        for chunk in (b"part-1;", b"part-2;", b"part-3"):
            yield chunk


def test_streaming_body_is_read_once_and_resent_identically(
    fake_time: FakeTime, scripted: type[ScriptedTransport]
) -> None:
    transport = scripted(status(503), status(503), status(200))
    body = CountingChunks()
    with RetryClient(
        base_url=BASE, transport=transport, sleep=fake_time.sleep, clock=fake_time.clock
    ) as client:
        response = client.put("/api/upload", content=body)
    assert response.status_code == 200
    assert body.iterations == 1
    assert transport.bodies == [b"part-1;part-2;part-3"] * 3


def test_generator_body_survives_retries(
    fake_time: FakeTime, scripted: type[ScriptedTransport]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"only-"
        yield b"once"

    transport = scripted(httpx.ConnectError("refused"), status(200))
    with RetryClient(
        base_url=BASE, transport=transport, sleep=fake_time.sleep, clock=fake_time.clock
    ) as client:
        response = client.post("/api/upload", content=chunks())
    assert response.status_code == 200
    assert transport.bodies == [b"only-once", b"only-once"]


async def test_async_streaming_body_is_read_once_and_resent_identically(
    fake_time: FakeTime, scripted: type[ScriptedTransport]
) -> None:
    transport = scripted(status(502), status(503), status(200))
    body = AsyncCountingChunks()
    async with RetryAsyncClient(
        base_url=BASE, transport=transport, sleep=fake_time.async_sleep, clock=fake_time.clock
    ) as client:
        response = await client.put("/api/upload", content=body)
    assert response.status_code == 200
    assert body.iterations == 1
    assert transport.bodies == [b"part-1;part-2;part-3"] * 3


async def test_async_generator_body_survives_retries(
    fake_time: FakeTime, scripted: type[ScriptedTransport]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"only-"
        yield b"once"

    transport = scripted(status(503), status(200, json={"done": True}))
    async with RetryAsyncClient(
        base_url=BASE, transport=transport, sleep=fake_time.async_sleep, clock=fake_time.clock
    ) as client:
        response = await client.post(
            "/api/upload", content=chunks(), headers={"Idempotency-Key": "u1"}
        )
    assert response.json() == {"done": True}
    assert transport.bodies == [b"only-once", b"only-once"]


# ---------------------------------------------------------------- hooks


class HookRecorder:
    """LoggingHooks that record (name, request, *args) for every call."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def hooks(self) -> LoggingHooks:
        return LoggingHooks(
            on_request=lambda request: self.events.append(("request", request)),
            on_response=lambda request, response, elapsed, attempt: self.events.append(
                ("response", request, response.status_code, elapsed, attempt)
            ),
            on_error=lambda request, exc, attempt: self.events.append(
                ("error", request, exc, attempt)
            ),
            on_retry=lambda request, attempt: self.events.append(("retry", request, attempt)),
        )

    def shape(self) -> list[tuple[Any, ...]]:
        """Events without the request object: name plus attempt (and status for responses)."""
        out: list[tuple[Any, ...]] = []
        for event in self.events:
            name = event[0]
            if name == "request":
                out.append(("request",))
            elif name == "response":
                out.append(("response", event[2], event[4]))
            elif name == "error":
                out.append(("error", type(event[2]).__name__, event[3]))
            else:
                out.append(("retry", event[2]))
        return out

    def requests(self) -> list[httpx.Request]:
        return [event[1] for event in self.events]


def test_hooks_on_first_try_success(run: Runner) -> None:
    recorder = HookRecorder()
    transport = run.script(status(200))
    run(transport, hooks=recorder.hooks())
    assert recorder.shape() == [("request",), ("response", 200, 1)]
    assert all(req is transport.requests[0] for req in recorder.requests())


def test_hooks_on_connect_error_then_success(run: Runner) -> None:
    recorder = HookRecorder()
    error = httpx.ConnectError("refused")
    transport = run.script(error, status(200))
    run(transport, hooks=recorder.hooks(), retry_config=NO_JITTER)
    assert recorder.shape() == [
        ("request",),
        ("error", "ConnectError", 1),
        ("retry", 2),
        ("response", 200, 2),
    ]
    assert recorder.events[1][2] is error
    first = recorder.requests()[0]
    assert all(req is first for req in recorder.requests())
    assert all(req is first for req in transport.requests)


def test_hooks_on_three_429s(run: Runner) -> None:
    recorder = HookRecorder()
    transport = run.script(status(429, text="a"), status(429, text="b"), status(429, text="c"))
    response = run(transport, hooks=recorder.hooks(), retry_config=RetryConfig(max_attempts=3))
    assert recorder.shape() == [
        ("request",),
        ("response", 429, 1),
        ("retry", 2),
        ("response", 429, 2),
        ("retry", 3),
        ("response", 429, 3),
    ]
    assert response.status_code == 429
    assert response.text == "c"
    first = recorder.requests()[0]
    assert all(req is first for req in recorder.requests())


def test_hooks_on_final_failure(run: Runner) -> None:
    recorder = HookRecorder()
    transport = run.script(httpx.ReadError("reset"), httpx.ReadError("reset again"))
    with pytest.raises(httpx.ReadError, match="reset again"):
        run(transport, hooks=recorder.hooks(), retry_config={"max_attempts": 2})
    assert recorder.shape() == [
        ("request",),
        ("error", "ReadError", 1),
        ("retry", 2),
        ("error", "ReadError", 2),
    ]


def test_on_retry_runs_after_the_sleep(run: Runner) -> None:
    order: list[str] = []
    real_sleep = run.time.sleep

    def sleep(seconds: float) -> None:
        order.append(f"sleep {seconds}")
        real_sleep(seconds)

    run.time.sleep = sleep  # type: ignore[method-assign]
    hooks = LoggingHooks(on_retry=lambda request, attempt: order.append(f"retry {attempt}"))
    run(run.script(status(503), status(200)), hooks=hooks, retry_config=NO_JITTER)
    assert order == ["sleep 0.5", "retry 2"]


def test_elapsed_is_measured_per_attempt(run: Runner) -> None:
    def slow(seconds: float, code: int) -> Callable[[httpx.Request], httpx.Response]:
        def answer(request: httpx.Request) -> httpx.Response:
            run.time.now += seconds
            return httpx.Response(code)

        return answer

    recorder = HookRecorder()
    transport = run.script(slow(0.25, 503), slow(1.5, 200))
    run(transport, hooks=recorder.hooks(), retry_config=NO_JITTER)
    elapsed = [event[3] for event in recorder.events if event[0] == "response"]
    # The 0.5 s backoff sleep is not part of either attempt.
    assert elapsed == [0.25, 1.5]


@pytest.mark.parametrize("hook_name", ["on_request", "on_response", "on_retry"])
def test_exception_in_a_hook_propagates(run: Runner, hook_name: str) -> None:
    class HookFailure(Exception):
        pass

    def explode(*args: Any) -> None:
        raise HookFailure(hook_name)

    transport = run.script(status(503), status(200))
    with pytest.raises(HookFailure, match=hook_name):
        run(transport, hooks=LoggingHooks(**{hook_name: explode}))
    expected_calls = {"on_request": 0, "on_response": 1, "on_retry": 1}[hook_name]
    assert transport.calls == expected_calls


def test_exception_in_on_error_propagates(run: Runner) -> None:
    def explode(request: httpx.Request, exc: Exception, attempt: int) -> None:
        raise LookupError(f"hook saw {type(exc).__name__}")

    transport = run.script(httpx.ConnectError("refused"), status(200))
    with pytest.raises(LookupError, match="hook saw ConnectError"):
        run(transport, hooks=LoggingHooks(on_error=explode))
    assert transport.calls == 1
