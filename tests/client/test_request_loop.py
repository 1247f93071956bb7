"""The SDK's request loop through the public API: retries hold for any httpx client (a borrowed
one, a standalone sub-client's), sync and async; keyed requests retry on 409
IDEMPOTENCY_KEY_IN_USE; a pool timeout is not retried; Retry-After is honoured; connection
errors name the server; a sub-client's ``api_key`` is the header it sends.

Waiting goes through the ``engine_time`` fixture (tests/client/conftest.py): no real sleep.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from spaps_client import (
    AsyncSessionsClient,
    AsyncSpapsClient,
    ConflictError,
    InternalServerError,
    LoggingHooks,
    PaymentsError,
    RetryConfig,
    SessionsClient,
    SpapsClient,
    SpapsConnectionError,
    SpapsTimeoutError,
)

if TYPE_CHECKING:
    from .conftest import FakeTime, ScriptedTransport

BASE = "http://spaps.test"
SESSION = {
    "success": True,
    "data": {
        "session": {
            "session_id": "s1",
            "user_id": "u1",
            "application_id": "a1",
            "created_at": "2025-01-01T00:00:00Z",
            "expires_at": "2025-01-02T00:00:00Z",
            "last_activity": "2025-01-01T00:00:00Z",
        }
    },
}
CHECKOUT = {"success": True, "data": {"session_id": "cs_1", "checkout_url": "https://pay/cs_1"}}
IN_USE = {
    "success": False,
    "error": {"code": "IDEMPOTENCY_KEY_IN_USE", "message": "A request with this key is running"},
}
NO_JITTER = RetryConfig(max_attempts=5, jitter=False)


def unavailable(**headers: str) -> httpx.Response:
    return httpx.Response(503, json={"success": False, "error": {"code": "X"}}, headers=headers)


def run(value: Any) -> Any:
    """Await ``value`` when an async sub-client returned a coroutine."""
    if inspect.isawaitable(value):

        async def wait() -> Any:
            return await value

        return asyncio.run(wait())
    return value


class Clients:
    """Builds the client under test in one of four shapes over a scripted transport."""

    def __init__(self, shape: str, transport: ScriptedTransport) -> None:
        self.shape = shape
        self.transport = transport

    def sessions(self, retry_config: RetryConfig) -> Any:
        if self.shape == "borrowed-sync":
            http = httpx.Client(base_url=BASE, transport=self.transport)
            spaps = SpapsClient(http_client=http, retry_config=retry_config)
            spaps.set_tokens(access_token="tok")
            return spaps.sessions
        if self.shape == "borrowed-async":
            ahttp = httpx.AsyncClient(base_url=BASE, transport=self.transport)
            client = AsyncSpapsClient(http_client=ahttp, retry_config=retry_config)
            client.set_tokens(access_token="tok")
            return client.sessions
        # A standalone sub-client handed a plain httpx client (the transport is the only way
        # to script answers; the policy is the sub-client's own).
        if self.shape == "standalone-sync":
            http = httpx.Client(base_url=BASE, transport=self.transport)
            return SessionsClient(
                base_url=BASE, api_key="k", access_token="tok", client=http,
                retry_config=retry_config,
            )  # fmt: skip
        ahttp = httpx.AsyncClient(base_url=BASE, transport=self.transport)
        return AsyncSessionsClient(
            base_url=BASE, api_key="k", access_token="tok", client=ahttp,
            retry_config=retry_config,
        )  # fmt: skip


SHAPES = ["borrowed-sync", "borrowed-async", "standalone-sync", "standalone-async"]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_503_is_retried_as_configured(
    shape: str, scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    transport = scripted(
        unavailable(), unavailable(), unavailable(), httpx.Response(200, json=SESSION)
    )
    sessions = Clients(shape, transport).sessions(NO_JITTER)
    assert run(sessions.get_current_session()).session_id == "s1"
    assert transport.calls == 4
    assert engine_time.sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("shape", SHAPES)
def test_max_attempts_bounds_the_loop(
    shape: str, scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    transport = scripted(unavailable(), unavailable())
    sessions = Clients(shape, transport).sessions(RetryConfig(max_attempts=2, jitter=False))
    with pytest.raises(InternalServerError) as info:
        run(sessions.get_current_session())
    assert info.value.status_code == 503
    assert transport.calls == 2


def test_a_standalone_sub_client_retries_by_default(
    scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    transport = scripted(unavailable(), httpx.Response(200, json=SESSION))
    http = httpx.Client(base_url=BASE, transport=transport)
    sessions = SessionsClient(base_url=BASE, access_token="tok", client=http)
    assert sessions.get_current_session().session_id == "s1"
    assert transport.calls == 2


@pytest.mark.parametrize("shape", SHAPES)
def test_retry_after_is_honoured_up_to_the_cap(
    shape: str, scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    transport = scripted(
        unavailable(**{"Retry-After": "7"}),
        unavailable(**{"Retry-After": "120"}),
        httpx.Response(200, json=SESSION),
    )
    sessions = Clients(shape, transport).sessions(RetryConfig(max_retry_after=30.0))
    run(sessions.get_current_session())
    assert engine_time.sleeps == [7.0, 30.0]


def test_the_total_deadline_stops_retrying(
    scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    transport = scripted(unavailable(**{"Retry-After": "20"}), httpx.Response(200, json=SESSION))
    sessions = Clients("borrowed-sync", transport).sessions(RetryConfig(total_timeout=10.0))
    with pytest.raises(InternalServerError):
        sessions.get_current_session()
    assert transport.calls == 1
    assert engine_time.sleeps == []


# ---------------------------------------------------------------- 409 IDEMPOTENCY_KEY_IN_USE


def payments(flavour: str, transport: ScriptedTransport) -> Any:
    if flavour == "sync":
        spaps = SpapsClient(
            http_client=httpx.Client(base_url=BASE, transport=transport),
            retry_config=NO_JITTER,
        )
        spaps.set_tokens(access_token="tok")
        return spaps.payments
    client = AsyncSpapsClient(
        http_client=httpx.AsyncClient(base_url=BASE, transport=transport), retry_config=NO_JITTER
    )
    client.set_tokens(access_token="tok")
    return client.payments


def checkout(client: Any) -> Any:
    return client.create_checkout_session(
        price_id="price_1", mode="payment", success_url="https://ok", cancel_url="https://no"
    )


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_keyed_post_is_retried_while_its_key_is_in_use(
    flavour: str, scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    transport = scripted(
        httpx.Response(409, json=IN_USE), httpx.Response(409, json=IN_USE),
        httpx.Response(200, json=CHECKOUT),
    )  # fmt: skip
    assert run(checkout(payments(flavour, transport))).session_id == "cs_1"
    keys = {request.headers["Idempotency-Key"] for request in transport.requests}
    assert transport.calls == 3
    assert len(keys) == 1  # the key fixed before the loop, sent on every attempt


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_another_409_is_not_retried(
    flavour: str, scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    conflict = {"success": False, "error": {"code": "CONFLICT", "message": "no"}}
    transport = scripted(httpx.Response(409, json=conflict), httpx.Response(200, json=CHECKOUT))
    with pytest.raises(ConflictError) as info:
        run(checkout(payments(flavour, transport)))
    assert isinstance(info.value, PaymentsError)
    assert transport.calls == 1


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_an_unkeyed_post_is_not_retried_on_key_in_use(
    flavour: str, scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    transport = scripted(httpx.Response(409, json=IN_USE), httpx.Response(200, json=SESSION))
    sessions = Clients(f"borrowed-{flavour}", transport).sessions(NO_JITTER)
    with pytest.raises(ConflictError) as info:
        run(sessions.validate_session())  # a POST without an Idempotency-Key
    assert info.value.error_code == "IDEMPOTENCY_KEY_IN_USE"
    assert "idempotency-key" not in transport.requests[0].headers
    assert transport.calls == 1


# ---------------------------------------------------------------- transport errors


@pytest.mark.parametrize("shape", SHAPES)
def test_a_pool_timeout_is_not_retried(
    shape: str, scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    transport = scripted(httpx.PoolTimeout("no free connection"), httpx.Response(200, json=SESSION))
    sessions = Clients(shape, transport).sessions(NO_JITTER)
    with pytest.raises(SpapsTimeoutError):
        run(sessions.get_current_session())
    assert transport.calls == 1
    assert engine_time.sleeps == []


@pytest.mark.parametrize("shape", SHAPES)
def test_a_connect_error_is_retried_then_names_the_server(
    shape: str, scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    errors = [httpx.ConnectError("refused") for _ in range(2)]
    transport = scripted(*errors)
    sessions = Clients(shape, transport).sessions(RetryConfig(max_attempts=2, jitter=False))
    with pytest.raises(SpapsConnectionError) as info:
        run(sessions.get_current_session())
    assert transport.calls == 2
    assert info.value.__cause__ is errors[1]
    assert "at http://spaps.test " in str(info.value)
    assert "GET /api/sessions/current: ConnectError" in str(info.value)


# ---------------------------------------------------------------- api_key


@pytest.mark.parametrize("shape", SHAPES)
def test_setting_api_key_changes_the_header_sent(
    shape: str, scripted: type[ScriptedTransport]
) -> None:
    transport = scripted(httpx.Response(200, json=SESSION), httpx.Response(200, json=SESSION))
    sessions = Clients(shape, transport).sessions(RetryConfig(max_attempts=1))
    run(sessions.get_current_session())
    sessions.api_key = "key_rotated"
    assert sessions.api_key == "key_rotated"
    run(sessions.get_current_session())
    assert transport.requests[1].headers["X-API-Key"] == "key_rotated"
    assert transport.requests[0].headers["X-API-Key"] != "key_rotated"


@pytest.mark.parametrize("shape", SHAPES)
def test_logging_hooks_see_every_attempt(
    shape: str, scripted: type[ScriptedTransport], engine_time: FakeTime
) -> None:
    events: list[str] = []
    hooks = LoggingHooks(
        on_request=lambda request: events.append("request"),
        on_response=lambda request, response, elapsed, attempt: events.append(
            f"response({attempt}, {response.status_code})"
        ),
        on_error=lambda request, exc, attempt: events.append(f"error({attempt})"),
        on_retry=lambda request, attempt: events.append(f"retry({attempt})"),
    )
    transport = scripted(
        httpx.ConnectError("refused"), unavailable(), httpx.Response(200, json=SESSION)
    )
    if shape.startswith("borrowed"):
        sync = shape.endswith("sync")
        http: Any = (httpx.Client if sync else httpx.AsyncClient)(
            base_url=BASE, transport=transport
        )
        owner: Any = (SpapsClient if sync else AsyncSpapsClient)(
            http_client=http, retry_config=NO_JITTER, logging_hooks=hooks
        )
        owner.set_tokens(access_token="tok")
        sessions = owner.sessions
    else:
        sync = shape.endswith("sync")
        http = (httpx.Client if sync else httpx.AsyncClient)(base_url=BASE, transport=transport)
        cls: Any = SessionsClient if sync else AsyncSessionsClient
        sessions = cls(access_token="tok", client=http, retry_config=NO_JITTER, logging_hooks=hooks)
    run(sessions.get_current_session())
    assert events == [
        "request", "error(1)", "retry(2)", "response(2, 503)", "retry(3)", "response(3, 200)",
    ]  # fmt: skip
