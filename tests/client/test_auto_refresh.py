"""Automatic token refresh (D4): before expiry, after a 401, single-flight, and failures."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from spaps_client import AsyncSpapsClient, SpapsClient
from spaps_client.errors import AuthError
from spaps_client.storage import InMemoryTokenStorage, StoredTokens

BASE = "http://spaps.test"
PROFILE = {"success": True, "data": {"user": {"id": "u1", "email": "user@example.com"}}}


def pair(access: str, refresh: str) -> dict[str, object]:
    return {
        "success": True,
        "data": {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 900,
            "token_type": "Bearer",
            "user": {"id": "u1"},
        },
    }


class FakeServer:
    """Accepts only its current access token and rotates tokens on refresh."""

    def __init__(self, *, delay: float = 0.0, refresh_status: int = 200) -> None:
        self.valid_access = "fresh-access"
        self.valid_refresh = "old-refresh"
        self.refresh_calls = 0
        self.user_calls = 0
        self.seen_tokens: list[str] = []
        self.delay = delay
        self.refresh_status = refresh_status
        self.reject_everything = False
        self.lock = threading.Lock()

    def respond(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/auth/refresh":
            with self.lock:
                self.refresh_calls += 1
            if self.delay:
                time.sleep(self.delay)
            given = json.loads(request.content)["refresh_token"]
            if self.refresh_status != 200 or given != self.valid_refresh:
                error = {"code": "INVALID_REFRESH", "message": "Invalid refresh token"}
                return httpx.Response(401, json={"success": False, "error": error})
            with self.lock:
                self.valid_refresh = "new-refresh"
            return httpx.Response(200, json=pair(self.valid_access, "new-refresh"))
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            self.user_calls += 1
            self.seen_tokens.append(token)
        if token != self.valid_access or self.reject_everything:
            error = {"code": "TOKEN_EXPIRED", "message": "Access token expired"}
            return httpx.Response(401, json={"success": False, "error": error})
        return httpx.Response(200, json=PROFILE)

    async def respond_async(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/auth/refresh" and self.delay:
            await asyncio.sleep(self.delay)
            delay, self.delay = self.delay, 0.0
            try:
                return self.respond(request)
            finally:
                self.delay = delay
        return self.respond(request)


def expired(storage: InMemoryTokenStorage) -> StoredTokens:
    tokens = StoredTokens(
        "stale-access", "old-refresh", datetime.now(timezone.utc) - timedelta(seconds=5), "Bearer"
    )
    storage.save(tokens)
    return tokens


def valid_but_revoked(storage: InMemoryTokenStorage) -> None:
    future = datetime.now(timezone.utc) + timedelta(minutes=10)
    storage.save(StoredTokens("stale-access", "old-refresh", future, "Bearer"))


def sync_client(server: FakeServer, storage: InMemoryTokenStorage, **kw: object) -> SpapsClient:
    transport = httpx.MockTransport(server.respond)
    return SpapsClient(
        base_url=BASE,
        token_storage=storage,
        http_client=httpx.Client(base_url=BASE, transport=transport),
        **kw,  # type: ignore[arg-type]
    )


def async_client(
    server: FakeServer, storage: InMemoryTokenStorage, **kw: object
) -> AsyncSpapsClient:
    transport = httpx.MockTransport(server.respond_async)
    return AsyncSpapsClient(
        base_url=BASE,
        token_storage=storage,
        http_client=httpx.AsyncClient(base_url=BASE, transport=transport),
        **kw,  # type: ignore[arg-type]
    )


def test_expired_token_is_refreshed_before_the_call() -> None:
    server, storage = FakeServer(), InMemoryTokenStorage()
    expired(storage)
    profile = sync_client(server, storage).auth.get_current_user()
    assert profile.id == "u1"
    assert server.refresh_calls == 1
    assert server.seen_tokens == ["fresh-access"]
    stored = storage.load()
    assert stored is not None and stored.refresh_token == "new-refresh"


async def test_expired_token_is_refreshed_before_the_call_async() -> None:
    server, storage = FakeServer(), InMemoryTokenStorage()
    expired(storage)
    profile = await async_client(server, storage).auth.get_current_user()
    assert profile.id == "u1"
    assert server.refresh_calls == 1
    assert server.seen_tokens == ["fresh-access"]


def test_401_triggers_one_refresh_and_one_retry() -> None:
    server, storage = FakeServer(), InMemoryTokenStorage()
    valid_but_revoked(storage)
    sync_client(server, storage).auth.get_current_user()
    assert server.refresh_calls == 1
    assert server.seen_tokens == ["stale-access", "fresh-access"]


async def test_401_triggers_one_refresh_and_one_retry_async() -> None:
    server, storage = FakeServer(), InMemoryTokenStorage()
    valid_but_revoked(storage)
    await async_client(server, storage).auth.get_current_user()
    assert server.refresh_calls == 1
    assert server.seen_tokens == ["stale-access", "fresh-access"]


def test_second_401_after_refresh_is_raised_not_looped() -> None:
    server, storage = FakeServer(), InMemoryTokenStorage()
    valid_but_revoked(storage)
    server.reject_everything = True
    with pytest.raises(AuthError) as info:
        sync_client(server, storage).auth.get_current_user()
    assert info.value.status_code == 401
    assert server.refresh_calls == 1
    assert server.user_calls == 2


def test_failed_refresh_raises_auth_error_and_keeps_tokens() -> None:
    server, storage = FakeServer(refresh_status=401), InMemoryTokenStorage()
    original = expired(storage)
    with pytest.raises(AuthError) as info:
        sync_client(server, storage).auth.get_current_user()
    assert info.value.error_code == "INVALID_REFRESH"
    assert storage.load() is original
    assert server.user_calls == 0


async def test_failed_refresh_raises_auth_error_and_keeps_tokens_async() -> None:
    server, storage = FakeServer(refresh_status=401), InMemoryTokenStorage()
    original = expired(storage)
    with pytest.raises(AuthError):
        await async_client(server, storage).auth.get_current_user()
    assert storage.load() is original


def test_auto_refresh_off_surfaces_the_401() -> None:
    server, storage = FakeServer(), InMemoryTokenStorage()
    valid_but_revoked(storage)
    with pytest.raises(AuthError) as info:
        sync_client(server, storage, auto_refresh=False).auth.get_current_user()
    assert info.value.status_code == 401
    assert server.refresh_calls == 0


def test_explicit_token_override_is_never_refreshed() -> None:
    server, storage = FakeServer(), InMemoryTokenStorage()
    expired(storage)
    with pytest.raises(AuthError):
        sync_client(server, storage).auth.get_current_user(access_token="someone-elses")
    assert server.refresh_calls == 0


@pytest.mark.parametrize("setup", [expired, valid_but_revoked], ids=["expired", "rejected"])
def test_fifty_threads_share_one_refresh(setup: object) -> None:
    server, storage = FakeServer(delay=0.05), InMemoryTokenStorage()
    setup(storage)  # type: ignore[operator]
    client = sync_client(server, storage)
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            client.auth.get_current_user()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert server.refresh_calls == 1


@pytest.mark.parametrize("setup", [expired, valid_but_revoked], ids=["expired", "rejected"])
async def test_fifty_tasks_share_one_refresh(setup: object) -> None:
    server, storage = FakeServer(delay=0.05), InMemoryTokenStorage()
    setup(storage)  # type: ignore[operator]
    client = async_client(server, storage)
    results = await asyncio.gather(*(client.auth.get_current_user() for _ in range(50)))
    assert len(results) == 50
    assert server.refresh_calls == 1
