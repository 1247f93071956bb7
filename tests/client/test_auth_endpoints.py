"""Auth endpoints (#1-#11), sync and async, through SpapsClient / AsyncSpapsClient."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from spaps_client import AsyncSpapsClient, SpapsClient
from spaps_client.errors import AuthError, MalformedResponseError, MissingAccessTokenError
from spaps_client.storage import InMemoryTokenStorage, StoredTokens

BASE = "http://spaps.test"

TOKEN_PAIR = {
    "access_token": "access-token",
    "refresh_token": "refresh-token",
    "expires_in": 900,
    "token_type": "Bearer",
    "user": {
        "id": "user_123",
        "email": "user@example.com",
        "username": "tester",
        "wallets": ["0xabc"],
        "tier": "pro",
    },
}

Handler = Callable[[httpx.Request], httpx.Response]


class Harness:
    """Builds a client of one flavour over a mock transport and records requests."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.requests: list[httpx.Request] = []
        self.storage = InMemoryTokenStorage()

    def client(self, handler: Handler) -> Any:
        def record(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        transport = httpx.MockTransport(record)
        if self.flavour == "sync":
            return SpapsClient(
                base_url=BASE,
                api_key="key_123",
                token_storage=self.storage,
                http_client=httpx.Client(base_url=BASE, transport=transport),
            )
        return AsyncSpapsClient(
            base_url=BASE,
            api_key="key_123",
            token_storage=self.storage,
            http_client=httpx.AsyncClient(base_url=BASE, transport=transport),
        )

    @staticmethod
    def run(value: Any) -> Any:
        if inspect.isawaitable(value):

            async def wait() -> Any:
                return await value

            return asyncio.run(wait())
        return value

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def sign_in(self) -> None:
        self.storage.save(StoredTokens("stored-access", "stored-refresh", None, "Bearer"))


@pytest.fixture(params=["sync", "async"])
def h(request: pytest.FixtureRequest) -> Harness:
    return Harness(request.param)


def reply(status: int = 200, body: Any = None, **headers: str) -> Handler:
    return lambda request: httpx.Response(status, json=body, headers=headers)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


def test_request_nonce_sends_chain_and_parses(h: Harness) -> None:
    data = {
        "nonce": "Sign this message to authenticate with Sweet Potato: abc123",
        "message": "Sign this message to authenticate with Sweet Potato: abc123",
        "wallet_address": "0xabc",
        "expires_at": "2025-01-09T10:35:00Z",
    }
    client = h.client(reply(200, {"success": True, "data": data}))
    result = h.run(client.auth.request_nonce(wallet_address="0xabc", chain="ethereum"))
    assert h.last.method == "POST"
    assert h.last.url.path == "/api/auth/nonce"
    assert body_of(h.last) == {"wallet_address": "0xabc", "chain": "ethereum"}
    assert h.last.headers["x-api-key"] == "key_123"
    assert "authorization" not in h.last.headers
    assert result.message.endswith("abc123")
    assert result.expires_at == datetime(2025, 1, 9, 10, 35, tzinfo=timezone.utc)
    h.run(client.auth.request_nonce(wallet_address="0xabc", chain=""))
    assert body_of(h.last) == {"wallet_address": "0xabc"}


def test_verify_wallet_stores_tokens_and_sends_chain_type(h: Harness) -> None:
    pair = dict(TOKEN_PAIR, user={"id": "user_123", "wallet_address": "0xabc", "chain": "ethereum"})
    client = h.client(reply(200, {"success": True, "data": pair}))
    tokens = h.run(
        client.auth.verify_wallet(
            wallet_address="0xabc", signature="0xsig", message="msg", chain="ethereum"
        )
    )
    assert h.last.url.path == "/api/auth/wallet-sign-in"
    assert body_of(h.last) == {
        "wallet_address": "0xabc",
        "signature": "0xsig",
        "message": "msg",
        "chain_type": "ethereum",
    }
    assert tokens.user.wallet_address == "0xabc"
    stored = h.storage.load()
    assert stored is not None and stored.access_token == "access-token"
    assert stored.refresh_token == "refresh-token"
    assert stored.expires_at is not None


def test_sign_in_with_password_stores_tokens(h: Harness) -> None:
    client = h.client(reply(200, {"success": True, "data": TOKEN_PAIR}))
    tokens = h.run(client.auth.sign_in_with_password(email="user@example.com", password="pw"))
    assert h.last.url.path == "/api/auth/login"
    assert body_of(h.last) == {"email": "user@example.com", "password": "pw"}
    assert tokens.user.user_id == "user_123"
    assert tokens.user.wallets == ["0xabc"]
    assert client.get_tokens().access_token == "access-token"
    assert "access-token" not in repr(tokens)


def test_login_error_envelope(h: Harness) -> None:
    body = {
        "success": False,
        "error": {"code": "INVALID_CREDENTIALS", "message": "Invalid email or password"},
    }
    client = h.client(reply(401, body, **{"X-Request-ID": "req_login_error"}))
    with pytest.raises(AuthError) as info:
        h.run(client.auth.sign_in_with_password(email="user@example.com", password="bad"))
    assert info.value.status_code == 401
    assert info.value.error_code == "INVALID_CREDENTIALS"
    assert info.value.request_id == "req_login_error"
    assert str(info.value) == "Invalid email or password"
    assert h.storage.load() is None


def test_refresh_uses_given_or_stored_refresh_token(h: Harness) -> None:
    client = h.client(reply(200, {"success": True, "data": TOKEN_PAIR}))
    h.run(client.auth.refresh_tokens(refresh_token="explicit"))
    assert h.last.url.path == "/api/auth/refresh"
    assert body_of(h.last) == {"refresh_token": "explicit"}
    h.sign_in()
    h.storage.save(StoredTokens("a", "from-storage"))
    h.run(client.auth.refresh_tokens())
    assert body_of(h.last) == {"refresh_token": "from-storage"}


def test_refresh_without_any_refresh_token_fails_locally(h: Harness) -> None:
    client = h.client(reply(200, {}))
    with pytest.raises(MissingAccessTokenError):
        h.run(client.auth.refresh_tokens())
    assert h.requests == []


def test_register_with_confirmation_required_stores_nothing(h: Harness) -> None:
    body = {
        "success": True,
        "message": "Registration successful. Please check your email to confirm your account.",
        "data": {"user": {"id": "u1", "email": "new@example.com", "email_confirmed": False}},
    }
    client = h.client(reply(201, body))
    result = h.run(client.auth.register(email="new@example.com", password="Secret123!"))
    assert body_of(h.last) == {"email": "new@example.com", "password": "Secret123!"}
    assert result.tokens is None
    assert result.user.email_confirmed is False
    assert h.storage.load() is None


def test_register_with_auto_login_stores_tokens(h: Harness) -> None:
    body = {
        "success": True,
        "message": "Registration and login successful",
        "tokens": {"access_token": "at", "refresh_token": "rt", "expires_in": 900},
        "user": {"id": "u1", "email": "n@example.com", "phone_number": "123", "wallets": []},
    }
    client = h.client(reply(201, body))
    result = h.run(
        client.auth.register(
            email="n@example.com", password="Secret123!", username="n", phone_number="123"
        )
    )
    assert body_of(h.last)["username"] == "n"
    assert result.message == "Registration and login successful"
    stored = h.storage.load()
    assert stored is not None and stored.access_token == "at" and stored.token_type == "Bearer"


def test_register_without_user_is_malformed_auth_error(h: Harness) -> None:
    client = h.client(reply(201, {"success": True, "message": "ok"}))
    with pytest.raises(AuthError) as info:
        h.run(client.auth.register(email="n@example.com", password="Secret123!"))
    assert isinstance(info.value, MalformedResponseError)
    assert str(info.value) == "Registration response missing user payload"


def test_send_magic_link(h: Harness) -> None:
    body = {
        "success": True,
        "message": "Magic link sent successfully. Please check your email.",
        "data": {"email": "user@example.com", "sent_at": "2025-01-09T10:30:00Z"},
    }
    client = h.client(reply(200, body))
    result = h.run(client.auth.send_magic_link(email="user@example.com"))
    assert h.last.url.path == "/api/auth/magic-link"
    assert body_of(h.last) == {"email": "user@example.com"}
    assert result.email == "user@example.com"
    assert result.sent_at is not None


def test_send_magic_link_without_message_is_an_error(h: Harness) -> None:
    client = h.client(reply(200, {"success": True, "data": {}}))
    with pytest.raises(AuthError, match="Magic link response missing message"):
        h.run(client.auth.send_magic_link(email="user@example.com"))


def test_verify_magic_link_stores_tokens(h: Harness) -> None:
    body = {
        "success": True,
        "message": "Magic link authentication successful",
        "tokens": {"access_token": "at", "refresh_token": "rt", "expires_in": 900},
        "user": {"id": "u1", "email": "user@example.com", "tier": "basic", "wallets": []},
    }
    client = h.client(reply(200, body))
    result = h.run(client.auth.verify_magic_link(token="ml_token"))
    assert body_of(h.last) == {"token": "ml_token", "type": "magiclink"}
    assert result.user.email == "user@example.com"
    assert h.storage.load() is not None


def test_get_current_user_requires_a_token(h: Harness) -> None:
    client = h.client(reply(200, {}))
    with pytest.raises(ValueError, match="Access token is required to fetch the current user"):
        h.run(client.auth.get_current_user())
    assert h.requests == []


def test_get_current_user_parses_profile_with_wallet_objects(h: Harness) -> None:
    user = {
        "id": "user_123",
        "username": "tester",
        "email": "user@example.com",
        "phone_number": "123-456",
        "wallets": [
            {"wallet_address": "0xabc", "chain_type": "ethereum", "verified": True},
            {"wallet_address": "Hv3yF8...9kRt4", "chain_type": "solana", "verified": False},
        ],
        "tier": "pro",
        "metadata": {"plan": "pro", "mfa_enabled": True},
    }
    client = h.client(reply(200, {"success": True, "data": {"user": user}}))
    h.sign_in()
    profile = h.run(client.auth.get_current_user())
    assert h.last.method == "GET" and h.last.url.path == "/api/auth/user"
    assert h.last.headers["authorization"] == "Bearer stored-access"
    assert [w.chain_type for w in profile.wallets] == ["ethereum", "solana"]
    h.run(client.auth.get_current_user(access_token="explicit"))
    assert h.last.headers["authorization"] == "Bearer explicit"


def test_get_current_user_missing_payload(h: Harness) -> None:
    client = h.client(reply(200, {"success": True, "data": {}}))
    h.sign_in()
    with pytest.raises(AuthError, match="User profile response missing user payload"):
        h.run(client.auth.get_current_user())


def test_logout_clears_storage_after_success_and_sends_no_body(h: Harness) -> None:
    client = h.client(reply(200, {"success": True, "data": {"message": "Successfully logged out"}}))
    h.sign_in()
    result = h.run(client.auth.logout())
    assert h.last.url.path == "/api/auth/logout"
    assert h.last.content == b""
    assert h.last.headers["content-length"] == "0"
    assert result.message == "Successfully logged out"
    assert h.storage.load() is None


def test_logout_failure_keeps_tokens(h: Harness) -> None:
    body = {"success": False, "error": {"code": "SERVER_ERROR", "message": "boom"}}
    client = h.client(reply(500, body, **{"X-Request-ID": "req_logout"}))
    h.sign_in()
    with pytest.raises(AuthError) as info:
        h.run(client.auth.logout())
    assert info.value.request_id == "req_logout"
    assert h.storage.load() is not None


def test_logout_without_token(h: Harness) -> None:
    client = h.client(reply(200, {}))
    with pytest.raises(ValueError, match="Access token is required for logout"):
        h.run(client.auth.logout())


def test_password_reset_flow(h: Harness) -> None:
    body = {
        "success": True,
        "message": "If an account with this email exists, a password reset link has been sent.",
        "data": {"email": "user@example.com", "sent_at": "2025-01-09T10:30:00Z"},
    }
    client = h.client(reply(200, body))
    result = h.run(client.auth.request_password_reset(email="user@example.com"))
    assert body_of(h.last) == {"email": "user@example.com"}
    assert result.message.startswith("If an account")
    h.run(client.auth.request_password_reset(email="user@example.com", redirect_url="https://x/r"))
    assert body_of(h.last)["redirect_url"] == "https://x/r"


def test_confirm_password_reset(h: Harness) -> None:
    body = {"success": True, "message": "Password reset successfully."}
    client = h.client(reply(200, body))
    result = h.run(client.auth.confirm_password_reset(token="pr_tok", new_password="Sup3rStrong!"))
    assert h.last.url.path == "/api/auth/reset-password-confirm"
    assert body_of(h.last) == {"token": "pr_tok", "new_password": "Sup3rStrong!"}
    assert result.message == "Password reset successfully."


def test_confirm_password_reset_error(h: Harness) -> None:
    body = {"success": False, "error": {"code": "INVALID_TOKEN", "message": "Invalid token"}}
    client = h.client(reply(401, body))
    with pytest.raises(AuthError) as info:
        h.run(client.auth.confirm_password_reset(token="x", new_password="Sup3rStrong!"))
    assert info.value.error_code == "INVALID_TOKEN"


def test_async_and_sync_methods_have_the_same_signatures() -> None:
    sync = SpapsClient(base_url=BASE)
    async_client = AsyncSpapsClient(base_url=BASE)
    names = [n for n in dir(sync.auth) if not n.startswith("_")]
    for name in set(names) - {"close"}:
        sync_member = getattr(sync.auth, name)
        async_member = getattr(async_client.auth, name)
        if callable(sync_member):
            assert inspect.signature(sync_member) == inspect.signature(async_member), name
    assert inspect.iscoroutinefunction(async_client.auth.sign_in_with_password)
    assert not inspect.iscoroutinefunction(sync.auth.sign_in_with_password)
    sync.close()
    asyncio.run(async_client.aclose())
