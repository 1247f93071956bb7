"""Every Python block of README.md runs, in order, against a fake SPAPS speaking the contract.

The fake answers with the contract's fixture payloads over ``httpx`` transports, so the docs
cannot drift from the code: a renamed method, argument or field breaks this test.
"""

from __future__ import annotations

import ast
import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"

TOKENS = {
    "access_token": "access-token",
    "refresh_token": "refresh-token",
    "expires_in": 900,
    "token_type": "Bearer",
    "user": {
        "id": "user_123",
        "email": "user@example.com",
        "username": "tester",
        "wallet_address": "0xabc",
        "wallets": ["0xabc"],
        "tier": "pro",
    },
}
SESSION = {
    "id": "sess_123",
    "user_id": "user_456",
    "application_id": "app_789",
    "tier": "basic",
    "created_at": "2025-01-09T10:00:00Z",
    "expires_at": "2025-01-10T10:00:00Z",
    "last_activity": "2025-01-09T10:25:00Z",
    "wallets_count": 2,
    "duration_minutes": 600,
    "idle_minutes": 5,
}
SUBSCRIPTION = {
    "id": "sub_123",
    "status": "active",
    "current_period_start": 1700000000,
    "current_period_end": 1702592000,
    "cancel_at_period_end": False,
    "canceled_at": None,
    "items": [
        {
            "id": "si_123",
            "price": {
                "id": "price_basic",
                "product": "prod_basic",
                "unit_amount": 2000,
                "currency": "usd",
                "recurring": {"interval": "month", "interval_count": 1},
            },
        }
    ],
}
PRODUCT = {
    "id": "prod_123",
    "name": "Sweet Potato Pro",
    "description": "Premium tier",
    "active": True,
    "metadata": {"app_id": "app_123"},
    "prices": [
        {
            "id": "price_monthly",
            "unit_amount": 2000,
            "currency": "usd",
            "type": "recurring",
            "recurring": {"interval": "month", "interval_count": 1},
            "nickname": "Monthly",
            "active": True,
        }
    ],
    "default_price": {"id": "price_monthly", "unit_amount": 2000, "currency": "usd"},
    "created_at": "2025-01-01T00:00:00Z",
}
PAYMENT = {
    "id": "pi_123",
    "amount": 4200,
    "currency": "usd",
    "status": "succeeded",
    "description": "Monthly subscription",
    "created": 1700000800,
    "metadata": {"app_id": "app_123"},
}
CHECKOUT = {
    "id": "cs_test_123",
    "status": "complete",
    "payment_status": "paid",
    "amount_total": 4200,
    "currency": "usd",
    "expires_at": 1700100000,
}
INVOICE = {
    "invoice_id": "inv_01",
    "asset": "USDC",
    "network": "base",
    "amount": "42.75",
    "status": "pending",
}
ENTRY = {"email": "vip@example.com", "application_id": "app_1", "tier": "premium"}
MESSAGE = {
    "id": "msg-1",
    "patient_id": "patient-123",
    "practitioner_id": "practitioner-456",
    "content": "Encrypted payload",
    "created_at": "2025-01-15T18:59:00.000Z",
}


def ok(data: Any, status: int = 200, **top: Any) -> httpx.Response:
    return httpx.Response(status, json={"success": True, "data": data, **top})


def login(request: httpx.Request) -> httpx.Response:
    if json.loads(request.content)["password"] == "wrong-password":
        error = {"code": "INVALID_CREDENTIALS", "message": "Invalid email or password"}
        return httpx.Response(
            401, json={"success": False, "error": error}, headers={"X-Request-ID": "req_1"}
        )
    return ok(TOKENS)


ROUTES: list[tuple[str, str, Callable[[httpx.Request], httpx.Response]]] = [
    ("POST", r"/api/auth/login", login),
    ("POST", r"/api/auth/nonce", lambda r: ok({
        "nonce": "n1", "message": "Sign this message to authenticate with Sweet Potato: n1",
        "wallet_address": "0xabc", "expires_at": "2030-01-01T00:00:00Z"})),
    ("POST", r"/api/auth/wallet-sign-in", lambda r: ok(TOKENS)),
    ("POST", r"/api/auth/magic-link", lambda r: ok(
        {"email": "user@example.com", "sent_at": "2025-01-09T10:30:00Z"}, message="Sent")),
    ("POST", r"/api/auth/verify-magic-link", lambda r: httpx.Response(200, json={
        "success": True, "message": "ok",
        "tokens": {k: TOKENS[k] for k in ("access_token", "refresh_token", "expires_in")},
        "user": TOKENS["user"]})),
    ("GET", r"/api/auth/user", lambda r: ok({"user": {
        "id": "user_123", "email": "user@example.com", "username": "tester", "tier": "pro",
        "wallets": [{"wallet_address": "0xabc", "chain_type": "ethereum", "verified": True}]}})),
    ("POST", r"/api/auth/password-reset", lambda r: ok({"email": "user@example.com"},
                                                       message="If an account exists...")),
    ("POST", r"/api/auth/reset-password-confirm",
     lambda r: httpx.Response(200, json={"success": True, "message": "Password reset"})),
    ("GET", r"/api/sessions/current", lambda r: ok({"session": SESSION})),
    ("POST", r"/api/sessions/validate", lambda r: ok(
        {"valid": True, "session_id": "sess_123", "renewed": False})),
    ("GET", r"/api/sessions", lambda r: ok({"sessions": [dict(SESSION, is_current=True)],
                                            "total": 1})),
    ("POST", r"/api/sessions/touch", lambda r: ok(
        {"message": "Session activity updated", "session_id": "sess_123"})),
    ("DELETE", r"/api/sessions/[^/]+", lambda r: ok(
        {"message": "Session revoked successfully", "session_id": "sess_456"})),
    ("POST", r"/api/payments/create-checkout-session", lambda r: ok(
        {"session_id": "cs_1", "checkout_url": "https://checkout.example/cs_1"})),
    ("POST", r"/api/payments/wallet-deposit", lambda r: ok(
        {"deposit_id": "dep_1", "status": "pending"})),
    ("GET", r"/api/stripe/products", lambda r: ok({"products": [PRODUCT], "total": 1})),
    ("GET", r"/api/stripe/products/[^/]+", lambda r: ok(PRODUCT)),
    ("GET", r"/api/stripe/subscriptions", lambda r: ok(
        {"subscriptions": [SUBSCRIPTION], "has_more": False})),
    ("GET", r"/api/stripe/subscription/[^/]+", lambda r: ok(SUBSCRIPTION)),
    ("POST", r"/api/stripe/subscription/[^/]+/update", lambda r: ok(SUBSCRIPTION)),
    ("POST", r"/api/stripe/subscription/[^/]+/cancel", lambda r: ok(
        dict(SUBSCRIPTION, status="canceled", canceled_at=1700500000))),
    ("GET", r"/api/stripe/checkout-sessions", lambda r: ok(
        {"sessions": [CHECKOUT], "has_more": False})),
    ("GET", r"/api/stripe/checkout-sessions/[^/]+", lambda r: ok(CHECKOUT)),
    ("POST", r"/api/stripe/checkout-sessions/[^/]+/expire", lambda r: ok(
        {"id": "cs_test_123", "status": "expired", "expired": True})),
    ("POST", r"/api/stripe/guest-checkout-sessions", lambda r: ok(
        {"id": "cs_guest", "url": "https://checkout.example/cs_guest", "expiresAt": 1700001800,
         "customerEmail": "guest@example.com"})),
    ("POST", r"/api/stripe/guest-checkout-sessions/convert", lambda r: ok(
        {"success": True, "userId": "user_123", "magicLinkSent": True})),
    ("GET", r"/api/stripe/guest-checkout-sessions", lambda r: ok(
        {"sessions": [{"session_id": "cs_guest", "status": "open",
                       "created_at": "2025-01-01T00:00:00Z"}], "has_more": False})),
    ("GET", r"/api/stripe/guest-checkout-sessions/[^/]+", lambda r: ok(
        dict(CHECKOUT, id="cs_guest"))),
    ("GET", r"/api/stripe/history", lambda r: ok(
        {"payments": [PAYMENT], "has_more": False, "total_count": 1})),
    ("GET", r"/api/stripe/payment/[^/]+", lambda r: ok({"payment": PAYMENT})),
    ("POST", r"/api/payments/crypto/invoices", lambda r: ok({"invoice": INVOICE})),
    ("GET", r"/api/payments/crypto/invoices/[^/]+/status", lambda r: ok(
        {"invoice_id": "inv_01", "status": "confirmed", "normalized_amount": "42.75"})),
    ("GET", r"/api/usage/features", lambda r: ok(
        {"user_id": "user_123", "features": [{"name": "api_calls", "used": 10, "limit": 100}]})),
    ("POST", r"/api/usage/record", lambda r: ok(
        {"record_id": "usage_1", "feature": "api_calls", "quantity": 5,
         "current_usage": {"used": 15, "limit": 100, "remaining": 85}})),
    ("GET", r"/api/usage/history", lambda r: ok(
        {"period": "daily", "history": [], "summary": {"total_api_calls": 15}})),
    ("GET", r"/api/v1/whitelist/check", lambda r: ok(
        {"entry": ENTRY, "message": "Email is whitelisted"})),
    ("GET", r"/api/v1/whitelist", lambda r: ok({"entries": [ENTRY], "total": 1})),
    ("POST", r"/api/v1/whitelist", lambda r: ok({"entry": ENTRY}, 201)),
    ("PUT", r"/api/v1/whitelist/[^/]+", lambda r: ok({"entry": ENTRY})),
    ("DELETE", r"/api/v1/whitelist/[^/]+", lambda r: ok({"message": "removed"})),
    ("POST", r"/api/secure-messages", lambda r: ok(MESSAGE, 201)),
    ("GET", r"/api/secure-messages", lambda r: ok({"messages": [MESSAGE]})),
    ("GET", r"/health", lambda r: httpx.Response(200, json={"status": "healthy"})),
    ("GET", r"/health/ready", lambda r: httpx.Response(200, json={"ready": True})),
    ("GET", r"/api/metrics/json", lambda r: httpx.Response(
        200, json={"timestamp": "2025-01-09T10:30:00Z", "uptime_seconds": 12})),
    ("GET", r"/api/metrics", lambda r: httpx.Response(
        200, text="# HELP http_requests_total Total HTTP requests received\n")),
]  # fmt: skip


class FakeSpaps:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        for method, pattern, handler in ROUTES:
            if request.method == method and re.fullmatch(pattern, request.url.path):
                return handler(request)
        return httpx.Response(404, json={"success": False, "error": {"code": "NOT_FOUND"}})


def python_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_readme_has_the_seed_sections() -> None:
    text = README.read_text(encoding="utf-8")
    for heading in [
        "Quickstart",
        "Magic Link & Wallet Authentication",
        "Current User Profile",
        "Password Reset",
        "Product Catalog",
        "Subscription & Billing Helpers",
        "Checkout Session Management",
        "Payment History",
        "Async Quickstart",
        "Permission Utilities",
    ]:
        assert f"## {heading}" in text, heading
    assert len(python_blocks()) >= 20


def test_every_readme_block_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = FakeSpaps()

    def sync_handle(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        request.read()
        return fake(request)

    async def async_handle(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        await request.aread()
        return fake(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", sync_handle)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", async_handle)
    monkeypatch.chdir(tmp_path)

    async def sign_message_async(message: str) -> str:
        return "0xsignature"

    namespace: dict[str, Any] = {
        "__name__": "readme",
        "sign_message_with_wallet": lambda message: "0xsignature",
        "sign_message_async": sign_message_async,
    }
    loop = asyncio.new_event_loop()
    try:
        for index, block in enumerate(python_blocks()):
            if "asyncio.run(" in block:
                # The block starts its own event loop; run it outside ours.
                code = compile(block, f"README block {index}", "exec")
                exec(code, namespace)  # noqa: S102 - the README is our own file
                continue
            if "await " in block:
                namespace.setdefault("client", _async_client(namespace))
                code = compile(
                    block, f"README block {index}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
                )
                result = eval(code, namespace)  # noqa: S307 - the README is our own file
                if asyncio.iscoroutine(result):
                    loop.run_until_complete(result)
                continue
            exec(compile(block, f"README block {index}", "exec"), namespace)  # noqa: S102
    finally:
        client = namespace.get("client")
        if client is not None and hasattr(client, "aclose"):
            loop.run_until_complete(client.aclose())
        loop.close()
    paths = {path for _, path in fake.seen}
    assert "/api/auth/login" in paths
    assert "/api/stripe/guest-checkout-sessions" in paths
    assert "/api/metrics" in paths


def _async_client(namespace: dict[str, Any]) -> Any:
    from spaps_client import AsyncSpapsClient

    return AsyncSpapsClient(base_url="http://localhost:3300", api_key="test_key_local_dev_only")
