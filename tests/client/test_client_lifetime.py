"""D3 and D4 on the aggregates: context managers, idempotent close, borrowed HTTP clients,
sub-clients that read the token at call time."""

from __future__ import annotations

import httpx
import pytest

from spaps_client import (
    AsyncSpapsClient,
    MissingAccessTokenError,
    RetryAsyncClient,
    RetryClient,
    SpapsClient,
)

BASE = "http://spaps.test"
PROFILE = {"success": True, "data": {"user": {"id": "u1"}}}
SESSION_REVOKED = {"success": True, "data": {"message": "ok", "session_id": "s1"}}


def test_sync_client_is_a_context_manager_and_closes_its_own_http_client() -> None:
    with SpapsClient(base_url=BASE) as spaps:
        http = spaps.http_client
        # A plain httpx client: retries belong to the SDK's request loop, not the transport.
        assert type(http) is httpx.Client
        assert not isinstance(http, RetryClient)
        assert not spaps.closed
    assert spaps.closed and http.is_closed
    spaps.close()  # idempotent
    assert http.is_closed


async def test_async_client_is_a_context_manager_and_closes_its_own_http_client() -> None:
    async with AsyncSpapsClient(base_url=BASE) as client:
        http = client.http_client
        assert type(http) is httpx.AsyncClient
        assert not isinstance(http, RetryAsyncClient)
    assert client.closed and http.is_closed
    await client.aclose()


def test_a_borrowed_http_client_is_never_closed() -> None:
    borrowed = httpx.Client(base_url=BASE)
    with SpapsClient(http_client=borrowed) as spaps:
        assert spaps.http_client is borrowed
    assert not borrowed.is_closed
    borrowed.close()


async def test_a_borrowed_async_http_client_is_never_closed() -> None:
    borrowed = httpx.AsyncClient(base_url=BASE)
    async with AsyncSpapsClient(http_client=borrowed):
        pass
    assert not borrowed.is_closed
    await borrowed.aclose()


def test_a_borrowed_client_without_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="base_url"):
        SpapsClient(http_client=httpx.Client())


def test_trailing_slash_and_settings() -> None:
    with SpapsClient(base_url=BASE + "/", api_key="key_SECRET_123", request_timeout=3.0) as spaps:
        assert spaps.settings.base_url == BASE + "/"
        assert str(spaps.http_client.base_url) == BASE
        assert spaps.http_client.timeout.read == 3.0
        assert "key_SECRET_123" not in repr(spaps)
        assert "key_SECRET_123" not in repr(spaps.settings)


def test_sub_clients_need_no_token_and_read_it_at_call_time() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=SESSION_REVOKED)

    http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler))
    with SpapsClient(http_client=http) as spaps:
        sessions = spaps.sessions  # created before anyone signed in
        assert spaps.sessions is sessions
        with pytest.raises(MissingAccessTokenError, match="session operations"):
            sessions.revoke_session("s1")
        assert seen == []
        spaps.set_tokens(access_token="first")
        sessions.revoke_session("s1")
        spaps.set_tokens(access_token="second")
        sessions.revoke_session("s1")
        spaps.clear_tokens()
        assert spaps.get_tokens() is None
    assert seen == ["Bearer first", "Bearer second"]


def test_api_key_only_calls_work_without_tokens() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert "authorization" not in request.headers
        if request.url.path == "/health":
            assert "x-api-key" not in request.headers
            return httpx.Response(200, json={"status": "healthy"})
        message = {"message": "Email a@example.com is not whitelisted"}
        return httpx.Response(200, json={"success": True, "data": message})

    http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler))
    with SpapsClient(http_client=http) as spaps:
        assert spaps.whitelist.check(email="a@example.com").entry is None
        assert spaps.metrics.health() == {"status": "healthy"}


def test_set_tokens_computes_expiry_and_rejects_empty_tokens() -> None:
    with SpapsClient(base_url=BASE) as spaps:
        stored = spaps.set_tokens(access_token="a", refresh_token="r", expires_in=60)
        assert stored.expires_at is not None
        assert spaps.get_tokens() is stored
        with pytest.raises(ValueError):
            spaps.set_tokens(access_token="")
