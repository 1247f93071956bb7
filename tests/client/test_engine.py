"""The request engine, sync and async: headers, credentials, paths, queries, error mapping and
idempotency keys (contract §1.2, §1.3, departures D1, D4, D5, D11)."""

from __future__ import annotations

import asyncio
import platform
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from pydantic import BaseModel

from spaps_client import ErrorCode
from spaps_client._engine import (
    USER_AGENT,
    AsyncEngine,
    Auth,
    Credentials,
    Operation,
    SyncEngine,
    compact,
    path,
    query,
)
from spaps_client._envelope import Reply
from spaps_client._version import __version__
from spaps_client.errors import (
    AuthError,
    MalformedResponseError,
    MissingAccessTokenError,
    PermissionDeniedError,
    SessionError,
    SessionPermissionDeniedError,
    SpapsConnectionError,
    SpapsError,
    SpapsTimeoutError,
)
from spaps_client.http import RetryClient, RetryConfig
from spaps_client.http_async import RetryAsyncClient
from spaps_client.storage import InMemoryTokenStorage, StoredTokens, TokenStorage

if TYPE_CHECKING:
    from .conftest import FakeTime, ScriptedTransport, Step

BASE = "https://api.example.com"
API_KEY = "key_engine_test"


class Thing(BaseModel):
    id: str
    size: int = 0


def parse_thing(reply: Reply) -> Thing:
    return reply.model(Thing, reply.data())


def op(**overrides: Any) -> Operation[Thing]:
    fields: dict[str, Any] = {
        "method": "GET",
        "path": "/api/things",
        "parse": parse_thing,
        "error": SessionError,
    }
    fields.update(overrides)
    return Operation(**fields)


def ok(**data: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": {"id": "t1", **data}})


class EngineRunner:
    """Runs one operation on a SyncEngine or an AsyncEngine over a scripted transport."""

    def __init__(
        self, flavour: str, scripted: type[ScriptedTransport], fake_time: FakeTime
    ) -> None:
        self.flavour = flavour
        self.scripted = scripted
        self.time = fake_time
        self.transport: ScriptedTransport = scripted()

    def __call__(
        self,
        operation: Operation[Any],
        *steps: Step,
        credentials: Credentials | None = None,
        storage: TokenStorage | None = None,
        retry_config: RetryConfig | dict[str, Any] | None = None,
        repeat: int = 1,
    ) -> Any:
        self.transport = self.scripted(*steps)
        config = retry_config if retry_config is not None else RetryConfig(max_attempts=1)
        config = RetryConfig.coerce(config)
        if self.flavour == "sync":
            with httpx.Client(base_url=BASE, transport=self.transport) as http:
                engine = SyncEngine(http, api_key=API_KEY, storage=storage, retry_config=config)
                results = [engine.run(operation, credentials) for _ in range(repeat)]
                return results[0] if repeat == 1 else results

        async def go() -> Any:
            async with httpx.AsyncClient(base_url=BASE, transport=self.transport) as http:
                engine = AsyncEngine(http, api_key=API_KEY, storage=storage, retry_config=config)
                results = [await engine.run(operation, credentials) for _ in range(repeat)]
                return results[0] if repeat == 1 else results

        return asyncio.run(go())

    @property
    def sent(self) -> httpx.Request:
        assert len(self.transport.requests) == 1
        return self.transport.requests[0]


@pytest.fixture(params=["sync", "async"])
def run(
    request: pytest.FixtureRequest, scripted: type[ScriptedTransport], fake_time: FakeTime
) -> EngineRunner:
    return EngineRunner(request.param, scripted, fake_time)


def stored(token: str = "stored-token") -> Credentials:
    storage = InMemoryTokenStorage()
    storage.save(StoredTokens(access_token=token))
    return Credentials(storage)


# ---------------------------------------------------------------- parsing and headers


def test_parses_the_model(run: EngineRunner) -> None:
    assert run(op(), ok(size=3)) == Thing(id="t1", size=3)
    assert run.sent.method == "GET"
    assert str(run.sent.url) == f"{BASE}/api/things"


@pytest.mark.parametrize("auth", [Auth.KEY, Auth.BEARER, Auth.OPTIONAL_BEARER])
def test_api_key_sent_unless_auth_none(run: EngineRunner, auth: Auth) -> None:
    run(op(auth=auth), ok(), credentials=stored())
    assert run.sent.headers["X-API-Key"] == API_KEY


def test_auth_none_sends_no_credentials(run: EngineRunner) -> None:
    run(op(auth=Auth.NONE), ok(), credentials=stored())
    assert "x-api-key" not in run.sent.headers
    assert "authorization" not in run.sent.headers


def test_key_only_never_sends_a_bearer(run: EngineRunner) -> None:
    run(op(auth=Auth.KEY, access_token="explicit"), ok(), credentials=stored())
    assert "authorization" not in run.sent.headers


def test_bearer_from_storage(run: EngineRunner) -> None:
    run(op(auth=Auth.BEARER), ok(), credentials=stored("tok-123"))
    assert run.sent.headers["Authorization"] == "Bearer tok-123"


def test_bearer_ignores_stored_token_type(run: EngineRunner) -> None:
    storage = InMemoryTokenStorage()
    storage.save(StoredTokens(access_token="tok", token_type="mac"))
    run(op(auth=Auth.BEARER), ok(), credentials=Credentials(storage))
    assert run.sent.headers["Authorization"] == "Bearer tok"


def test_optional_bearer_with_and_without_token(run: EngineRunner) -> None:
    run(op(auth=Auth.OPTIONAL_BEARER), ok(), credentials=stored("tok-9"))
    assert run.sent.headers["Authorization"] == "Bearer tok-9"
    run(op(auth=Auth.OPTIONAL_BEARER), ok(), credentials=Credentials(InMemoryTokenStorage()))
    assert "authorization" not in run.sent.headers
    assert run.sent.headers["X-API-Key"] == API_KEY
    run(op(auth=Auth.OPTIONAL_BEARER), ok())
    assert "authorization" not in run.sent.headers


@pytest.mark.parametrize(
    "credentials",
    [
        None,
        Credentials(),
        Credentials(InMemoryTokenStorage()),
        Credentials(InMemoryTokenStorage(), access_token=""),
    ],
)
def test_bearer_without_token_raises_before_any_request(
    run: EngineRunner, credentials: Credentials | None
) -> None:
    with pytest.raises(MissingAccessTokenError) as info:
        run(op(auth=Auth.BEARER), ok(), credentials=credentials)
    error = info.value
    assert isinstance(error, AuthError)
    assert isinstance(error, SpapsError)
    assert isinstance(error, ValueError)
    assert "Access token not found" in str(error)
    assert run.transport.calls == 0


def test_missing_token_message_is_the_operations(run: EngineRunner) -> None:
    with pytest.raises(ValueError, match=r"^Session token required$"):
        run(op(auth=Auth.BEARER, missing_token_message="Session token required"), ok())
    assert run.transport.calls == 0


def test_stored_tokens_with_empty_access_token_count_as_none(run: EngineRunner) -> None:
    storage = InMemoryTokenStorage()
    storage.save(StoredTokens(access_token=""))
    with pytest.raises(MissingAccessTokenError):
        run(op(auth=Auth.BEARER), ok(), credentials=Credentials(storage))


def test_access_token_precedence(run: EngineRunner) -> None:
    storage = InMemoryTokenStorage()
    storage.save(StoredTokens(access_token="from-storage"))
    both = Credentials(storage, access_token="from-client")
    run(op(auth=Auth.BEARER, access_token="from-call"), ok(), credentials=both)
    assert run.sent.headers["Authorization"] == "Bearer from-call"
    run(op(auth=Auth.BEARER), ok(), credentials=both)
    assert run.sent.headers["Authorization"] == "Bearer from-client"
    run(op(auth=Auth.BEARER), ok(), credentials=Credentials(storage))
    assert run.sent.headers["Authorization"] == "Bearer from-storage"
    run(op(auth=Auth.BEARER, access_token="from-call"), ok())
    assert run.sent.headers["Authorization"] == "Bearer from-call"


def test_token_is_read_from_storage_at_request_time(run: EngineRunner) -> None:
    storage = InMemoryTokenStorage()
    credentials = Credentials(storage)
    storage.save(StoredTokens(access_token="first"))
    run(op(auth=Auth.BEARER), ok(), credentials=credentials)
    assert run.sent.headers["Authorization"] == "Bearer first"
    storage.save(StoredTokens(access_token="second"))
    run(op(auth=Auth.BEARER), ok(), credentials=credentials)
    assert run.sent.headers["Authorization"] == "Bearer second"


def test_credentials_current_and_repr() -> None:
    storage = InMemoryTokenStorage()
    credentials = Credentials(storage)
    assert credentials.current() is None
    assert repr(credentials) == "Credentials(has_token=False)"
    storage.save(StoredTokens(access_token="abc"))
    assert credentials.current() == "abc"
    credentials.access_token = "override"
    assert credentials.current() == "override"
    assert "override" not in repr(credentials)


def test_user_agent(run: EngineRunner) -> None:
    run(op(), ok())
    agent = run.sent.headers["User-Agent"]
    assert agent == USER_AGENT
    assert agent == (
        f"spaps-python/{__version__} (Python {platform.python_version()}; "
        f"httpx {httpx.__version__})"
    )
    assert re.fullmatch(r"spaps-python/\d+\.\d+\.\d+\S* \(Python [\d.]+\S*; httpx [\d.]+\)", agent)


def test_accept_and_extra_headers(run: EngineRunner) -> None:
    run(op(accept="text/plain", headers={"X-Recon-Token": "recon", "X-Extra": "1"}), ok())
    assert run.sent.headers["Accept"] == "text/plain"
    assert run.sent.headers["X-Recon-Token"] == "recon"
    assert run.sent.headers["X-Extra"] == "1"
    run(op(), ok())
    assert run.sent.headers["Accept"] == "*/*"


def test_json_body_only_when_operation_has_one(run: EngineRunner) -> None:
    run(op(method="POST", json={"name": "n", "tags": []}), ok())
    assert run.sent.headers["Content-Type"] == "application/json"
    assert run.transport.bodies == [b'{"name":"n","tags":[]}']
    run(op(method="POST"), ok())
    assert run.transport.bodies == [b""]
    assert run.sent.headers["Content-Length"] == "0"
    assert "content-type" not in run.sent.headers


def test_empty_object_body(run: EngineRunner) -> None:
    run(op(method="POST", json={}), ok())
    assert run.transport.bodies == [b"{}"]


def test_success_callbacks(run: EngineRunner) -> None:
    seen: list[Any] = []
    operation = op(
        on_success=lambda result: seen.append(("result", result)),
        on_success_reply=lambda reply: seen.append(("reply", reply.response.status_code)),
    )
    run(operation, ok())
    assert seen == [("reply", 200), ("result", Thing(id="t1"))]


def test_success_callbacks_not_called_on_error(run: EngineRunner) -> None:
    seen: list[Any] = []
    with pytest.raises(SessionError):
        run(op(on_success=seen.append), httpx.Response(400, json={"error": "bad"}))
    assert seen == []


# ---------------------------------------------------------------- paths and queries


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("a/b", "a%2Fb"),
        ("what?x=1", "what%3Fx%3D1"),
        ("user@example.com", "user%40example.com"),
        ("two words", "two%20words"),
        ("#frag", "%23frag"),
        ("plain-id_1.2~", "plain-id_1.2~"),
        ("../admin", "..%2Fadmin"),
    ],
)
def test_path_percent_encodes(value: str, encoded: str) -> None:
    assert path("/api/v1/whitelist/{}", value) == f"/api/v1/whitelist/{encoded}"


def test_path_with_several_values_and_non_strings() -> None:
    assert path("/api/a/{}/b/{}", "x/y", 42) == "/api/a/x%2Fy/b/42"


def test_encoded_path_reaches_the_wire_intact(run: EngineRunner) -> None:
    run(op(path=path("/api/v1/whitelist/{}", "a/b?c@d e")), ok())
    assert run.sent.url.raw_path == b"/api/v1/whitelist/a%2Fb%3Fc%40d%20e"
    assert run.sent.url.query == b""


def test_query_helper() -> None:
    assert query(active=True, archived=False, limit=10, cursor=None, q="a b") == {
        "active": "true",
        "archived": "false",
        "limit": "10",
        "q": "a b",
    }
    assert query(a=None) == {}
    assert query(zero=0, empty="") == {"zero": "0", "empty": ""}


def test_compact_helper() -> None:
    assert compact(a=1, b=None, c=False, d="", e={}) == {"a": 1, "c": False, "d": "", "e": {}}


def test_query_on_the_wire(run: EngineRunner) -> None:
    run(op(params=query(active=True, limit=10, cursor=None)), ok())
    assert run.sent.url.query == b"active=true&limit=10"
    run(op(params={}), ok())
    assert run.sent.url.query == b""
    assert str(run.sent.url) == f"{BASE}/api/things"


# ---------------------------------------------------------------- errors


def test_http_error_maps_to_the_domain_class(run: EngineRunner) -> None:
    response = httpx.Response(
        403,
        json={"success": False, "error": {"code": "SESSION_REVOKED", "message": "Revoked"}},
        headers={"X-Request-ID": "req_session_validate"},
    )
    with pytest.raises(SessionError) as info:
        run(op(), response)
    error = info.value
    # Both the domain and the status class: ``except PermissionDeniedError`` catches it too.
    assert type(error) is SessionPermissionDeniedError
    assert isinstance(error, PermissionDeniedError)
    assert error.error_code == ErrorCode.SESSION_REVOKED
    assert (error.status_code, error.error_code, str(error)) == (403, "SESSION_REVOKED", "Revoked")
    assert error.request_id == "req_session_validate"


def test_malformed_success_maps_to_malformed_domain_error(run: EngineRunner) -> None:
    with pytest.raises(SessionError) as info:
        run(op(), httpx.Response(200, json={"data": {"size": 1}}))
    assert isinstance(info.value, MalformedResponseError)
    assert info.value.status_code == 200


def test_redirect_is_not_followed(run: EngineRunner) -> None:
    with pytest.raises(MalformedResponseError):
        run(op(), httpx.Response(302, headers={"Location": "/elsewhere"}))
    assert run.transport.calls == 1


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused"), SpapsConnectionError),
        (httpx.ReadError("reset by peer"), SpapsConnectionError),
        (httpx.RemoteProtocolError("bad framing"), SpapsConnectionError),
        (httpx.ConnectTimeout("slow connect"), SpapsTimeoutError),
        (httpx.ReadTimeout("slow read"), SpapsTimeoutError),
        (httpx.WriteTimeout("slow write"), SpapsTimeoutError),
        (httpx.PoolTimeout("pool"), SpapsTimeoutError),
    ],
)
def test_transport_errors_map_to_spaps_errors(
    run: EngineRunner, exc: Exception, expected: type[SpapsError]
) -> None:
    with pytest.raises(SpapsConnectionError) as info:
        run(op(params={"q": "x"}), exc)
    error = info.value
    assert type(error) is expected
    assert error.status_code is None
    assert error.response is None
    assert error.__cause__ is exc
    assert f"GET /api/things: {type(exc).__name__}" in str(error)
    assert "https://api.example.com" in str(error)  # the server it tried
    assert "q=x" not in str(error)


def test_transport_error_after_retries_is_mapped(run: EngineRunner) -> None:
    errors = [httpx.ConnectError("refused") for _ in range(3)]
    with pytest.raises(SpapsConnectionError) as info:
        run(op(), *errors, retry_config={"jitter": False})
    assert info.value.__cause__ is errors[2]
    assert run.transport.calls == 3
    assert run.time.sleeps == [0.5, 1.0]


# ---------------------------------------------------------------- idempotency keys


def keyed(**overrides: Any) -> Operation[Thing]:
    return op(method="POST", json={"amount": 5}, **overrides)


def test_idempotency_key_generated_once_and_reused_across_retries(run: EngineRunner) -> None:
    result = run(
        keyed(send_idempotency_key=True),
        httpx.Response(503),
        httpx.ConnectError("refused"),
        httpx.Response(201, json={"data": {"id": "p1"}}),
        retry_config={"jitter": False},
    )
    assert result == Thing(id="p1")
    keys = [request.headers["Idempotency-Key"] for request in run.transport.requests]
    assert len(keys) == 3
    assert len(set(keys)) == 1
    assert uuid.UUID(keys[0]).version == 4
    assert run.transport.bodies == [b'{"amount":5}'] * 3


def test_each_logical_call_gets_a_new_key(run: EngineRunner) -> None:
    run(keyed(send_idempotency_key=True), ok(), ok(), repeat=2)
    keys = [request.headers["Idempotency-Key"] for request in run.transport.requests]
    assert len(keys) == 2
    assert keys[0] != keys[1]


def test_caller_supplied_idempotency_key(run: EngineRunner) -> None:
    run(
        keyed(send_idempotency_key=True, idempotency_key="order-42"),
        httpx.Response(502),
        ok(),
        retry_config={"jitter": False},
    )
    assert [r.headers["Idempotency-Key"] for r in run.transport.requests] == ["order-42"] * 2


def test_post_without_key_is_not_retried_by_the_engine(run: EngineRunner) -> None:
    with pytest.raises(SessionError) as info:
        run(keyed(), httpx.Response(503), ok(), retry_config={"jitter": False})
    assert info.value.status_code == 503
    assert run.transport.calls == 1
    assert "idempotency-key" not in run.transport.requests[0].headers


# ---------------------------------------------------------------- lifetime and repr


def test_sync_engine_close_respects_ownership() -> None:
    owned = RetryClient(base_url=BASE)
    engine = SyncEngine(owned, api_key=API_KEY, owns_http=True)
    engine.close()
    engine.close()
    assert owned.is_closed
    borrowed = RetryClient(base_url=BASE)
    SyncEngine(borrowed, api_key=API_KEY).close()
    assert not borrowed.is_closed
    borrowed.close()


async def test_async_engine_close_respects_ownership() -> None:
    owned = RetryAsyncClient(base_url=BASE)
    engine = AsyncEngine(owned, api_key=API_KEY, owns_http=True)
    await engine.aclose()
    await engine.aclose()
    assert owned.is_closed
    borrowed = RetryAsyncClient(base_url=BASE)
    await AsyncEngine(borrowed, api_key=API_KEY).aclose()
    assert not borrowed.is_closed
    await borrowed.aclose()


def test_engine_repr_hides_the_key() -> None:
    with RetryClient(base_url=BASE) as http:
        text = repr(SyncEngine(http, api_key="very-secret-key"))
    assert "very-secret-key" not in text
    assert text.startswith("SyncEngine(base_url='https://api.example.com")


# ---------------------------------------------------------------- refresh planning


def test_refresh_plan() -> None:
    pytest.importorskip("spaps_client.resources.auth")
    storage = InMemoryTokenStorage()
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    stale = StoredTokens(access_token="old", refresh_token="rt-old", expires_at=later)
    with RetryClient(base_url=BASE) as http:
        engine = SyncEngine(http, api_key=API_KEY, storage=storage)
        storage.save(stale)
        plan = engine._refresh_plan(stale)
        assert isinstance(plan, Operation)
        assert plan.method == "POST"
        assert plan.path.endswith("/api/auth/refresh")
        assert plan.json == {"refresh_token": "rt-old"}
        # Another caller already refreshed: reuse its tokens, no second refresh.
        fresh = StoredTokens(access_token="new", refresh_token="rt-new", expires_at=later)
        storage.save(fresh)
        assert engine._refresh_plan(stale) is fresh
        storage.save(StoredTokens(access_token="old"))
        with pytest.raises(AuthError) as info:
            engine._refresh_plan(StoredTokens(access_token="old"))
        assert info.value.status_code == 401
