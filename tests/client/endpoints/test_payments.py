"""Payments sub-client (contract §3.4, endpoints #17-#37), every test run sync and async."""

from __future__ import annotations

import inspect
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from spaps_client.errors import (
    CryptoPaymentsError,
    MalformedResponseError,
    MissingAccessTokenError,
    PaymentsError,
    SpapsError,
)
from spaps_client.models.payments import (
    BalanceOverview,
    CheckoutSession,
    CheckoutSessionDetails,
    CheckoutSessionList,
    ExpireCheckoutSessionResult,
    GuestCheckoutConversionResult,
    GuestCheckoutSession,
    GuestCheckoutSessionList,
    PaymentHistory,
    PaymentIntent,
    PaymentMethodUpdateResult,
    PaymentRecord,
    Product,
    ProductList,
    SubscriptionCancellation,
    SubscriptionDetail,
    SubscriptionList,
    SubscriptionPlan,
    WalletDeposit,
    WalletTransaction,
)
from spaps_client.resources.crypto import AsyncCryptoPaymentsClient, CryptoPaymentsClient
from spaps_client.resources.payments import AsyncPaymentsClient, PaymentsClient
from spaps_client.storage import InMemoryTokenStorage, StoredTokens

BASE = "http://test"
TOKEN_MESSAGE = "Access token is required for payment operations"


CLIENTS = (PaymentsClient, AsyncPaymentsClient)
Harness = Any  # the shared harness of conftest.py (api / h fixtures)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


def dig(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value[part]
        else:
            value = value[int(part)] if part.isdigit() else getattr(value, part)
    return value


# --- fixtures of the contract ------------------------------------------------------------------

SUBSCRIPTION = {
    "id": "sub_1234567890",
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
PAYMENT = {
    "id": "pi_123",
    "amount": 4200,
    "currency": "usd",
    "status": "succeeded",
    "description": "Monthly subscription",
    "created": 1700000800,
    "payment_method_type": "card",
    "invoice_id": "in_123",
    "invoice_pdf": "https://stripe.com/invoices/in_123.pdf",
    "metadata": {"app_id": "app_123"},
}
PRICE = {
    "id": "price_monthly",
    "unit_amount": 2000,
    "currency": "usd",
    "type": "recurring",
    "recurring": {"interval": "month", "interval_count": 1},
    "nickname": "Monthly",
    "active": True,
}
PRODUCT = {
    "id": "prod_123",
    "name": "Sweet Potato Pro",
    "description": "Premium tier",
    "active": True,
    "metadata": {"app_id": "app_123"},
    "prices": [PRICE],
    "default_price": {"id": "price_monthly", "unit_amount": 2000, "currency": "usd"},
    "created_at": "2025-01-01T00:00:00Z",
}
GUEST_LINE_ITEMS = [{"price_id": "price_basic", "quantity": 1}]
GUEST_CREATE = {
    "customer_email": "guest@example.com",
    "mode": "payment",
    "line_items": GUEST_LINE_ITEMS,
    "success_url": "https://example.com/success",
    "cancel_url": "https://example.com/cancel",
}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@dataclass
class Case:
    """One endpoint: the call, the request it must make, the fixture reply and what the
    parsed result must hold."""

    id: str
    name: str
    kwargs: dict[str, Any]
    method: str
    path: str
    params: dict[str, str]
    body: Any
    data: dict[str, Any]
    model: type[Any]
    expect: dict[str, Any]
    error: tuple[int, str]
    bearer: bool = True
    idempotent: bool = False
    args: tuple[Any, ...] = field(default_factory=tuple)


CASES = [
    Case(
        "17-create-checkout-session",
        "create_checkout_session",
        {
            "price_id": "price_123",
            "mode": "subscription",
            "success_url": "https://example.com/success",
            "cancel_url": "https://example.com/cancel",
            "metadata": {"plan": "pro"},
        },
        "POST",
        "/api/payments/create-checkout-session",
        {},
        {
            "price_id": "price_123",
            "mode": "subscription",
            "success_url": "https://example.com/success",
            "cancel_url": "https://example.com/cancel",
            "metadata": {"plan": "pro"},
        },
        {
            "session_id": "cs_test_abc123",
            "checkout_url": "https://checkout.stripe.com/pay/cs_test_abc123",
            "expires_at": "2025-01-09T11:30:00Z",
        },
        CheckoutSession,
        {"session_id": "cs_test_abc123", "expires_at": utc(2025, 1, 9, 11, 30)},
        (400, "INVALID_PRICE"),
        idempotent=True,
    ),
    Case(
        "18-get-balance",
        "get_balance",
        {},
        "GET",
        "/api/payments/balance",
        {},
        None,
        {
            "balance": {"available": 250.0, "pending": 100.0, "currency": "USD"},
            "tier": "premium",
            "tier_expires_at": "2025-02-09T00:00:00Z",
            "usage": {
                "current_period_start": "2025-01-01T00:00:00Z",
                "current_period_end": "2025-02-01T00:00:00Z",
                "credits_used": 150,
                "credits_remaining": 850,
            },
        },
        BalanceOverview,
        {
            "balance.available": 250.0,
            "balance.currency": "USD",
            "tier": "premium",
            "tier_expires_at": utc(2025, 2, 9),
            "usage.credits_remaining": 850,
            "usage.current_period_end": utc(2025, 2, 1),
        },
        (401, "UNAUTHORIZED"),
    ),
    Case(
        "19-create-payment-intent",
        "create_payment_intent",
        {"amount": 4200, "currency": "usd", "payment_method_types": ["card"]},
        "POST",
        "/api/payments/create-payment-intent",
        {},
        {"amount": 4200, "currency": "usd", "payment_method_types": ["card"]},
        {
            "payment_intent_id": "pi_12345",
            "client_secret": "pi_12345_secret_67890",
            "status": "requires_confirmation",
        },
        PaymentIntent,
        {"payment_intent_id": "pi_12345", "status": "requires_confirmation"},
        (402, "CARD_DECLINED"),
        idempotent=True,
    ),
    Case(
        "20-update-payment-method",
        "update_payment_method",
        {"payment_method_id": "pm_abc123", "set_default": True},
        "POST",
        "/api/payments/update-payment-method",
        {},
        {"payment_method_id": "pm_abc123", "set_default": True},
        {
            "message": "Default payment method updated",
            "customer_id": "cus_123",
            "payment_method_id": "pm_abc123",
            "is_default": True,
        },
        PaymentMethodUpdateResult,
        {"customer_id": "cus_123", "is_default": True},
        (404, "PAYMENT_METHOD_NOT_FOUND"),
    ),
    Case(
        "21-wallet-deposit",
        "wallet_deposit",
        {
            "wallet_address": "0xabc",
            "chain_type": "ethereum",
            "transaction_id": "0x123abc",
            "amount": 100.0,
            "currency": "USDC",
            "tier": "premium",
        },
        "POST",
        "/api/payments/wallet-deposit",
        {},
        {
            "wallet_address": "0xabc",
            "chain_type": "ethereum",
            "transaction_id": "0x123abc",
            "amount": 100.0,
            "currency": "USDC",
            "tier": "premium",
        },
        {
            "deposit_id": "dep_abc123",
            "status": "pending",
            "amount": 100.0,
            "currency": "USDC",
            "confirmation_required": 12,
            "confirmation_current": 0,
        },
        WalletDeposit,
        {"deposit_id": "dep_abc123", "amount": 100.0, "confirmation_required": 12},
        (422, "INVALID_TRANSACTION"),
        idempotent=True,
    ),
    Case(
        "22-get-wallet-transaction",
        "get_wallet_transaction",
        {"transaction_id": "0x123abc"},
        "GET",
        "/api/payments/wallet-transaction/0x123abc",
        {},
        None,
        {
            "transaction_id": "0x123abc",
            "status": "confirmed",
            "confirmations": 12,
            "chain_type": "ethereum",
            "amount": 100.0,
            "currency": "USDC",
            "balance_added": 100.0,
            "completed_at": "2025-01-09T10:45:00Z",
        },
        WalletTransaction,
        {"confirmations": 12, "balance_added": 100.0, "completed_at": utc(2025, 1, 9, 10, 45)},
        (404, "TRANSACTION_NOT_FOUND"),
    ),
    Case(
        "23-get-subscription",
        "get_subscription",
        {"subscription_id": "sub_1234567890"},
        "GET",
        "/api/stripe/subscription/sub_1234567890",
        {},
        None,
        SUBSCRIPTION,
        SubscriptionDetail,
        {
            "id": "sub_1234567890",
            "subscription_id": "sub_1234567890",
            "current_period_end": 1702592000,
            "canceled_at": None,
            "plan": SubscriptionPlan(
                price_id="price_basic",
                product_id="prod_basic",
                unit_amount=2000,
                currency="usd",
                interval="month",
                interval_count=1,
            ),
        },
        (404, "SUBSCRIPTION_NOT_FOUND"),
    ),
    Case(
        "24-list-subscriptions",
        "list_subscriptions",
        {"status": "active", "limit": 10, "starting_after": "sub_0"},
        "GET",
        "/api/stripe/subscriptions",
        {"status": "active", "limit": "10", "starting_after": "sub_0"},
        None,
        {"subscriptions": [SUBSCRIPTION], "has_more": False},
        SubscriptionList,
        {"subscriptions.0.plan.interval": "month", "has_more": False},
        (500, "SUBSCRIPTION_LIST_ERROR"),
    ),
    Case(
        "25-cancel-subscription",
        "cancel_subscription",
        {"subscription_id": "sub_1234567890", "immediately": True},
        "POST",
        "/api/stripe/subscription/sub_1234567890/cancel",
        {},
        {"immediately": True},
        {
            **SUBSCRIPTION,
            "status": "canceled",
            "cancel_at_period_end": True,
            "canceled_at": 1700500000,
        },
        SubscriptionCancellation,
        {"subscription_id": "sub_1234567890", "status": "canceled", "canceled_at": 1700500000},
        (400, "INVALID_SUBSCRIPTION"),
    ),
    Case(
        "26-update-subscription",
        "update_subscription",
        {"subscription_id": "sub_1234567890", "price_id": "price_plus"},
        "POST",
        "/api/stripe/subscription/sub_1234567890/update",
        {},
        {"price_id": "price_plus"},
        SUBSCRIPTION,
        SubscriptionDetail,
        {"status": "active", "items.0.price.unit_amount": 2000},
        (400, "SUBSCRIPTION_UPDATE_ERROR"),
    ),
    Case(
        "27-get-checkout-session",
        "get_checkout_session",
        {"session_id": "cs_test_123"},
        "GET",
        "/api/stripe/checkout-sessions/cs_test_123",
        {},
        None,
        {
            "id": "cs_test_123",
            "status": "complete",
            "payment_status": "paid",
            "customer_email": "user@example.com",
            "amount_total": 4200,
            "currency": "usd",
            "success_url": "https://example.com/success",
            "cancel_url": "https://example.com/cancel",
            "client_reference_id": "order_123",
            "metadata": {"app_id": "app_123"},
            "payment_intent": "pi_123",
            "subscription": "sub_1234567890",
            "expires_at": 1700100000,
        },
        CheckoutSessionDetails,
        {"payment_status": "paid", "expires_at": 1700100000, "metadata": {"app_id": "app_123"}},
        (404, "CHECKOUT_SESSION_NOT_FOUND"),
    ),
    Case(
        "28-list-checkout-sessions",
        "list_checkout_sessions",
        {"limit": 5, "starting_after": "cs_0"},
        "GET",
        "/api/stripe/checkout-sessions",
        {"limit": "5", "starting_after": "cs_0"},
        None,
        {
            "sessions": [
                {
                    "id": "cs_test_123",
                    "status": "open",
                    "payment_status": "unpaid",
                    "amount_total": 2000,
                    "currency": "usd",
                    "created_at": 1700000500,
                    "expires_at": 1700001000,
                }
            ],
            "has_more": False,
            "next_cursor": None,
        },
        CheckoutSessionList,
        {"sessions.0.created_at": 1700000500, "next_cursor": None},
        (500, "CHECKOUT_SESSION_LIST_ERROR"),
    ),
    Case(
        "29-expire-checkout-session",
        "expire_checkout_session",
        {"session_id": "cs_test_123"},
        "POST",
        "/api/stripe/checkout-sessions/cs_test_123/expire",
        {},
        {},
        {"id": "cs_test_123", "status": "expired", "expired": True},
        ExpireCheckoutSessionResult,
        {"status": "expired", "expired": True},
        (400, "CHECKOUT_SESSION_NOT_OPEN"),
    ),
    Case(
        "30-create-guest-checkout-session",
        "create_guest_checkout_session",
        {**GUEST_CREATE, "client_reference_id": "guest_ref_123", "allow_promotion_codes": False},
        "POST",
        "/api/stripe/guest-checkout-sessions",
        {},
        {**GUEST_CREATE, "client_reference_id": "guest_ref_123", "allow_promotion_codes": False},
        {
            "id": "cs_test_guest",
            "url": "https://checkout.stripe.com/pay/cs_test_guest",
            "expiresAt": 1700001800,
            "customerEmail": "guest@example.com",
            "clientReferenceId": "guest_ref_123",
            "successUrl": "https://example.com/success",
            "cancelUrl": "https://example.com/cancel",
        },
        GuestCheckoutSession,
        {
            "expires_at": 1700001800,
            "customer_email": "guest@example.com",
            "client_reference_id": "guest_ref_123",
            "cancel_url": "https://example.com/cancel",
        },
        (400, "INVALID_LINE_ITEMS"),
        bearer=False,
        idempotent=True,
    ),
    Case(
        "31-get-guest-checkout-session",
        "get_guest_checkout_session",
        {"session_id": "cs_test_guest"},
        "GET",
        "/api/stripe/guest-checkout-sessions/cs_test_guest",
        {},
        None,
        {
            "id": "cs_test_guest",
            "status": "complete",
            "payment_status": "paid",
            "customer_email": "guest@example.com",
            "amount_total": 5000,
            "currency": "usd",
            "client_reference_id": "guest_ref_123",
            "metadata": {"app_id": "app_123", "is_guest": "true"},
            "payment_intent": "pi_guest_123",
            "subscription": None,
            "expires_at": 1700002000,
        },
        CheckoutSessionDetails,
        {"amount_total": 5000, "subscription": None, "metadata.is_guest": "true"},
        (404, "CHECKOUT_SESSION_NOT_FOUND"),
        bearer=False,
    ),
    Case(
        "32-list-guest-checkout-sessions",
        "list_guest_checkout_sessions",
        {"limit": 10, "starting_after": "cs_0", "customer_email": "guest@example.com"},
        "GET",
        "/api/stripe/guest-checkout-sessions",
        {"limit": "10", "starting_after": "cs_0", "customer_email": "guest@example.com"},
        None,
        {
            "sessions": [
                {
                    "session_id": "cs_test_guest",
                    "status": "open",
                    "payment_status": "unpaid",
                    "customer_email": "guest@example.com",
                    "amount_total": 4200,
                    "currency": "usd",
                    "created_at": "2025-01-01T00:00:00Z",
                    "expires_at": "2025-01-01T00:30:00Z",
                }
            ],
            "has_more": False,
        },
        GuestCheckoutSessionList,
        {"sessions.0.session_id": "cs_test_guest", "sessions.0.created_at": "2025-01-01T00:00:00Z"},
        (500, "GUEST_CHECKOUT_LIST_ERROR"),
        bearer=False,
    ),
    Case(
        "33-convert-guest-checkout-session",
        "convert_guest_checkout_session",
        {
            "session_id": "cs_test_guest",
            "email": "guest@example.com",
            "password": "Secret123!",
            "send_magic_link": True,
        },
        "POST",
        "/api/stripe/guest-checkout-sessions/convert",
        {},
        {
            "session_id": "cs_test_guest",
            "email": "guest@example.com",
            "password": "Secret123!",
            "send_magic_link": True,
        },
        {
            "success": True,
            "userId": "user_123",
            "message": "Checkout linked to existing account",
            "magicLinkSent": True,
        },
        GuestCheckoutConversionResult,
        {"success": True, "user_id": "user_123", "magic_link_sent": True, "login_url": None},
        (409, "CHECKOUT_ALREADY_CONVERTED"),
        bearer=False,
    ),
    Case(
        "34-list-payment-history",
        "list_payment_history",
        {"limit": 20, "starting_after": "pi_0", "ending_before": "pi_9", "status": "succeeded"},
        "GET",
        "/api/stripe/history",
        {"limit": "20", "starting_after": "pi_0", "ending_before": "pi_9", "status": "succeeded"},
        None,
        {"payments": [PAYMENT], "has_more": False, "total_count": 1},
        PaymentHistory,
        {"payments.0.amount": 4200, "payments.0.created": 1700000800, "total_count": 1},
        (500, "PAYMENT_HISTORY_ERROR"),
    ),
    Case(
        "35-get-payment-detail",
        "get_payment_detail",
        {"payment_id": "pi_123"},
        "GET",
        "/api/stripe/payment/pi_123",
        {},
        None,
        {"payment": PAYMENT},
        PaymentRecord,
        {"id": "pi_123", "invoice_id": "in_123", "metadata": {"app_id": "app_123"}},
        (404, "PAYMENT_NOT_FOUND"),
    ),
    Case(
        "36-list-products",
        "list_products",
        {
            "category": "subscription",
            "active": True,
            "limit": 10,
            "starting_after": "prod_0",
            "mode": "subscription",
        },
        "GET",
        "/api/stripe/products",
        {
            "category": "subscription",
            "active": "true",
            "limit": "10",
            "starting_after": "prod_0",
            "mode": "subscription",
        },
        None,
        {"products": [PRODUCT], "total": 1, "adminMetadata": {"scope": "all"}},
        ProductList,
        {
            "total": 1,
            "admin_metadata": {"scope": "all"},
            "products.0.prices.0.nickname": "Monthly",
            "products.0.default_price": {
                "id": "price_monthly",
                "unit_amount": 2000,
                "currency": "usd",
            },
        },
        (500, "PRODUCT_LIST_ERROR"),
    ),
    Case(
        "37-get-product",
        "get_product",
        {"product_id": "prod_123"},
        "GET",
        "/api/stripe/products/prod_123",
        {},
        None,
        {**PRODUCT, "images": ["https://cdn.example.com/pro.png"]},
        Product,
        {"name": "Sweet Potato Pro", "images": ["https://cdn.example.com/pro.png"]},
        (404, "NOT_FOUND"),
    ),
]
CASE_IDS = [case.id for case in CASES]
BEARER_CASES = [case for case in CASES if case.bearer]
KEY_CASES = [case for case in CASES if not case.bearer]


def test_every_endpoint_is_covered() -> None:
    assert [int(case.id.split("-")[0]) for case in CASES] == list(range(17, 38))


# --- the request and the parsed reply, endpoint by endpoint -------------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_request_is_as_the_contract_says(h: Harness, case: Case) -> None:
    h.ok(case.data)
    await h.run(case.name, *case.args, **case.kwargs)
    sent = h.sent
    assert sent.method == case.method
    assert sent.url.path == case.path
    assert dict(sent.url.params) == case.params
    if not case.params:
        assert sent.url.query == b""
    assert body_of(sent) == case.body
    if case.body is not None:
        assert sent.headers["content-type"] == "application/json"
    assert sent.headers["x-api-key"] == "k"
    if case.bearer:
        assert sent.headers["authorization"] == "Bearer tok"
    else:
        assert "authorization" not in sent.headers
    if case.idempotent:
        assert str(uuid.UUID(sent.headers["idempotency-key"])) == sent.headers["idempotency-key"]
    else:
        assert "idempotency-key" not in sent.headers


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_fixture_reply_is_parsed(h: Harness, case: Case) -> None:
    h.ok(case.data)
    result = await h.run(case.name, *case.args, **case.kwargs)
    assert type(result) is case.model
    for dotted, expected in case.expect.items():
        assert dig(result, dotted) == expected, dotted


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_error_envelope_raises_payments_error(h: Harness, case: Case) -> None:
    status, code = case.error
    h.reply(
        status,
        {"success": False, "error": {"code": code, "message": f"{case.name} failed"}},
        headers={"X-Request-ID": f"req_{case.name}"},
    )
    with pytest.raises(PaymentsError) as caught:
        await h.run(case.name, *case.args, **case.kwargs)
    exc = caught.value
    assert not isinstance(exc, MalformedResponseError)
    assert (exc.status_code, exc.error_code, exc.request_id) == (status, code, f"req_{case.name}")
    assert str(exc) == f"{case.name} failed"
    assert exc.response is not None and exc.response.status_code == status


@pytest.mark.parametrize(
    "reply",
    [
        {"content": b"<html>bad gateway</html>"},
        {"json": {"success": True, "data": ["not", "an", "object"]}},
        {"json": ["not", "an", "object"]},
    ],
    ids=["html", "data-list", "body-list"],
)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_malformed_success_is_a_payments_error(
    h: Harness, case: Case, reply: dict[str, Any]
) -> None:
    h.reply(200, headers={"X-Request-ID": "req_bad"}, **reply)
    with pytest.raises(MalformedResponseError) as caught:
        await h.run(case.name, *case.args, **case.kwargs)
    assert isinstance(caught.value, PaymentsError)
    assert caught.value.status_code == 200
    assert caught.value.request_id == "req_bad"


# Lists whose every field has a default: an empty object is a valid (empty) page.
ALL_DEFAULTS = (SubscriptionList, CheckoutSessionList, GuestCheckoutSessionList, PaymentHistory)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_reply_missing_required_fields(h: Harness, case: Case) -> None:
    h.ok({"unexpected": True})
    if case.model in ALL_DEFAULTS:
        result = await h.run(case.name, *case.args, **case.kwargs)
        assert type(result) is case.model
        assert result.has_more is False
        return
    with pytest.raises(MalformedResponseError) as caught:
        await h.run(case.name, *case.args, **case.kwargs)
    assert isinstance(caught.value, PaymentsError)
    assert case.model.__name__ in str(caught.value)


# --- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", BEARER_CASES, ids=[case.id for case in BEARER_CASES])
async def test_bearer_call_without_token_fails_before_sending(h: Harness, case: Case) -> None:
    client = h.make()
    with pytest.raises(MissingAccessTokenError) as caught:
        await h.run(case.name, *case.args, client=client, **case.kwargs)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == TOKEN_MESSAGE
    assert h.requests == []


@pytest.mark.parametrize("case", BEARER_CASES, ids=[case.id for case in BEARER_CASES])
async def test_access_token_override_wins(h: Harness, case: Case) -> None:
    h.ok(case.data)
    await h.run(case.name, *case.args, access_token_override="other", **case.kwargs)
    assert h.sent.headers["authorization"] == "Bearer other"


@pytest.mark.parametrize("case", KEY_CASES, ids=[case.id for case in KEY_CASES])
async def test_guest_calls_need_no_token(h: Harness, case: Case) -> None:
    client = h.make()
    h.ok(case.data)
    result = await h.run(case.name, *case.args, client=client, **case.kwargs)
    assert type(result) is case.model
    assert h.sent.headers["x-api-key"] == "k"
    assert "authorization" not in h.sent.headers


@pytest.mark.parametrize("case", KEY_CASES, ids=[case.id for case in KEY_CASES])
async def test_guest_calls_take_no_token_override(h: Harness, case: Case) -> None:
    with pytest.raises(TypeError):
        await h.run(case.name, *case.args, access_token_override="x", **case.kwargs)
    assert h.requests == []


async def test_token_is_read_from_storage_at_call_time(h: Harness) -> None:
    storage = InMemoryTokenStorage()
    client = h.make(token_storage=storage)
    storage.save(StoredTokens("stored-token", None, None))
    h.ok(CASES[1].data)
    await h.run("get_balance", client=client)
    assert h.sent.headers["authorization"] == "Bearer stored-token"


# --- idempotency keys (D5) -------------------------------------------------------------------

IDEMPOTENT = [case for case in CASES if case.idempotent]


def test_the_mutating_calls_are_the_idempotent_ones() -> None:
    assert [case.name for case in IDEMPOTENT] == [
        "create_checkout_session",
        "create_payment_intent",
        "wallet_deposit",
        "create_guest_checkout_session",
    ]


@pytest.mark.parametrize("case", IDEMPOTENT, ids=[case.id for case in IDEMPOTENT])
async def test_idempotency_key_is_new_per_call(h: Harness, case: Case) -> None:
    h.ok(case.data)
    h.ok(case.data)
    await h.run(case.name, **case.kwargs)
    await h.run(case.name, **case.kwargs)
    first, second = (request.headers["idempotency-key"] for request in h.requests)
    assert first != second


@pytest.mark.parametrize("case", IDEMPOTENT, ids=[case.id for case in IDEMPOTENT])
async def test_caller_idempotency_key_is_sent(h: Harness, case: Case) -> None:
    h.ok(case.data)
    await h.run(case.name, idempotency_key="order-42", **case.kwargs)
    assert h.sent.headers["idempotency-key"] == "order-42"


@pytest.mark.parametrize("case", IDEMPOTENT, ids=[case.id for case in IDEMPOTENT])
async def test_retried_attempt_reuses_the_idempotency_key(h: Harness, case: Case) -> None:
    client = h.make(retry=True, access_token="tok")
    h.reply(503, {"success": False, "error": {"code": "UNAVAILABLE", "message": "busy"}})
    h.ok(case.data)
    result = await h.run(case.name, client=client, **case.kwargs)
    assert type(result) is case.model
    assert len(h.requests) == 2
    keys = {request.headers["idempotency-key"] for request in h.requests}
    assert len(keys) == 1
    assert body_of(h.requests[0]) == body_of(h.requests[1]) == case.body


async def test_post_without_idempotency_key_is_not_retried(h: Harness) -> None:
    client = h.make(retry=True, access_token="tok")
    h.reply(503, {"success": False, "error": {"code": "UNAVAILABLE", "message": "busy"}})
    with pytest.raises(PaymentsError) as caught:
        await h.run("update_payment_method", client=client, payment_method_id="pm_1")
    assert caught.value.status_code == 503
    assert len(h.requests) == 1


# --- local validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("update_payment_method", {"payment_method_id": ""}, "payment_method_id is required"),
        (
            "update_subscription",
            {"subscription_id": "sub_1", "price_id": ""},
            "price_id is required",
        ),
        ("get_product", {"product_id": ""}, "product_id is required"),
        (
            "create_guest_checkout_session",
            {**GUEST_CREATE, "customer_email": ""},
            "customer_email is required for guest checkout",
        ),
        (
            "create_guest_checkout_session",
            {**GUEST_CREATE, "line_items": []},
            "at least one line item is required",
        ),
        ("get_wallet_transaction", {"transaction_id": ""}, "transaction_id is required"),
        ("get_subscription", {"subscription_id": ""}, "subscription_id is required"),
        (
            "cancel_subscription",
            {"subscription_id": ""},
            "subscription_id is required",
        ),
        ("get_checkout_session", {"session_id": ""}, "session_id is required"),
        ("expire_checkout_session", {"session_id": ""}, "session_id is required"),
        ("get_guest_checkout_session", {"session_id": ""}, "session_id is required"),
        ("get_payment_detail", {"payment_id": ""}, "payment_id is required"),
    ],
)
async def test_local_validation(
    h: Harness, name: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        await h.run(name, **kwargs)
    assert str(caught.value) == message
    assert not isinstance(caught.value, SpapsError)
    assert h.requests == []


async def test_guest_email_is_checked_before_line_items(h: Harness) -> None:
    with pytest.raises(ValueError, match="customer_email is required for guest checkout"):
        await h.run(
            "create_guest_checkout_session",
            **{**GUEST_CREATE, "customer_email": "", "line_items": []},
        )


# --- path parameters (D11) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "raw_path"),
    [
        (
            "get_wallet_transaction",
            {"transaction_id": "0x1/../balance"},
            b"/api/payments/wallet-transaction/0x1%2F..%2Fbalance",
        ),
        (
            "get_subscription",
            {"subscription_id": "sub 1?x=1"},
            b"/api/stripe/subscription/sub%201%3Fx%3D1",
        ),
        (
            "cancel_subscription",
            {"subscription_id": "a/b"},
            b"/api/stripe/subscription/a%2Fb/cancel",
        ),
        (
            "update_subscription",
            {"subscription_id": "a#b", "price_id": "p"},
            b"/api/stripe/subscription/a%23b/update",
        ),
        ("get_checkout_session", {"session_id": "cs/1"}, b"/api/stripe/checkout-sessions/cs%2F1"),
        (
            "expire_checkout_session",
            {"session_id": "cs@1"},
            b"/api/stripe/checkout-sessions/cs%401/expire",
        ),
        (
            "get_guest_checkout_session",
            {"session_id": "convert/x"},
            b"/api/stripe/guest-checkout-sessions/convert%2Fx",
        ),
        ("get_payment_detail", {"payment_id": "pi+1"}, b"/api/stripe/payment/pi%2B1"),
        ("get_product", {"product_id": "prod:1"}, b"/api/stripe/products/prod%3A1"),
    ],
)
async def test_path_parameters_are_percent_encoded(
    h: Harness, name: str, kwargs: dict[str, Any], raw_path: bytes
) -> None:
    h.reply(500, {"error": {"code": "X", "message": "stop here"}})
    with pytest.raises(PaymentsError):
        await h.run(name, **kwargs)
    assert h.sent.url.raw_path == raw_path


# --- optional arguments: "omitted if None" versus "omitted if falsy" ------------------------


async def test_checkout_session_omits_empty_metadata(h: Harness) -> None:
    kwargs = {**CASES[0].kwargs, "metadata": {}}
    h.ok(CASES[0].data)
    await h.run("create_checkout_session", **kwargs)
    assert "metadata" not in body_of(h.sent)


async def test_payment_intent_optional_fields(h: Harness) -> None:
    h.ok(CASES[2].data)
    h.ok(CASES[2].data)
    await h.run("create_payment_intent", amount=100, currency="usd")
    await h.run(
        "create_payment_intent", amount=100, currency="usd", payment_method_types=[], metadata={}
    )
    assert body_of(h.requests[0]) == {"amount": 100, "currency": "usd"}
    # An empty list is still sent (omitted only if None); empty metadata is not.
    assert body_of(h.requests[1]) == {"amount": 100, "currency": "usd", "payment_method_types": []}


async def test_update_payment_method_sends_set_default_false(h: Harness) -> None:
    h.ok(CASES[3].data)
    h.ok(CASES[3].data)
    await h.run("update_payment_method", payment_method_id="pm_1")
    await h.run("update_payment_method", payment_method_id="pm_1", set_default=False)
    assert body_of(h.requests[0]) == {"payment_method_id": "pm_1"}
    assert body_of(h.requests[1]) == {"payment_method_id": "pm_1", "set_default": False}


async def test_wallet_deposit_omits_empty_tier(h: Harness) -> None:
    kwargs = {**CASES[4].kwargs, "tier": ""}
    h.ok(CASES[4].data)
    await h.run("wallet_deposit", **kwargs)
    assert "tier" not in body_of(h.sent)


async def test_cancel_subscription_sends_empty_object_without_immediately(h: Harness) -> None:
    h.ok(CASES[8].data)
    h.ok(CASES[8].data)
    await h.run("cancel_subscription", subscription_id="sub_1")
    await h.run("cancel_subscription", subscription_id="sub_1", immediately=False)
    assert h.requests[0].content == b"{}"
    assert body_of(h.requests[1]) == {"immediately": False}


async def test_list_subscriptions_params(h: Harness) -> None:
    h.ok({"subscriptions": []})
    h.ok({"subscriptions": []})
    await h.run("list_subscriptions")
    await h.run("list_subscriptions", status="", limit=0, starting_after="")
    assert h.requests[0].url.query == b""
    assert dict(h.requests[1].url.params) == {"limit": "0"}


async def test_list_products_sends_active_false(h: Harness) -> None:
    h.ok({"products": [], "total": 0})
    h.ok({"products": [], "total": 0})
    await h.run("list_products")
    await h.run("list_products", active=False)
    assert h.requests[0].url.query == b""
    assert dict(h.requests[1].url.params) == {"active": "false"}


async def test_get_product_include_prices_false_only(h: Harness) -> None:
    for _ in range(2):
        h.ok(PRODUCT)
    await h.run("get_product", product_id="prod_123", include_prices=True)
    await h.run("get_product", product_id="prod_123", include_prices=False)
    assert h.requests[0].url.query == b""
    assert dict(h.requests[1].url.params) == {"include_prices": "false"}


async def test_guest_checkout_optional_fields(h: Harness) -> None:
    h.ok(CASES[13].data)
    h.ok(CASES[13].data)
    await h.run(
        "create_guest_checkout_session",
        **GUEST_CREATE,
        metadata={},
        client_reference_id="",
        payment_intent_data={},
        subscription_data={},
        locale="",
    )
    await h.run(
        "create_guest_checkout_session",
        **GUEST_CREATE,
        metadata={"a": "1"},
        payment_intent_data={"setup_future_usage": "off_session"},
        subscription_data={"trial_period_days": 7},
        locale="fr",
        allow_promotion_codes=True,
    )
    assert body_of(h.requests[0]) == GUEST_CREATE
    assert body_of(h.requests[1]) == {
        **GUEST_CREATE,
        "metadata": {"a": "1"},
        "payment_intent_data": {"setup_future_usage": "off_session"},
        "subscription_data": {"trial_period_days": 7},
        "locale": "fr",
        "allow_promotion_codes": True,
    }


async def test_convert_guest_checkout_optional_fields(h: Harness) -> None:
    h.ok({"success": False, "message": "no such session"})
    h.ok({"success": True})
    first = await h.run("convert_guest_checkout_session", session_id="cs_1", email="a@b.c")
    await h.run(
        "convert_guest_checkout_session",
        session_id="cs_1",
        email="a@b.c",
        password="",
        send_magic_link=False,
    )
    assert first.success is False
    assert body_of(h.requests[0]) == {"session_id": "cs_1", "email": "a@b.c"}
    assert body_of(h.requests[1]) == {
        "session_id": "cs_1",
        "email": "a@b.c",
        "send_magic_link": False,
    }


async def test_list_queries_drop_empty_strings(h: Harness) -> None:
    h.ok({"sessions": []})
    h.ok({"sessions": []})
    h.ok({"payments": []})
    await h.run("list_checkout_sessions", starting_after="")
    await h.run("list_guest_checkout_sessions", customer_email="", starting_after="")
    await h.run("list_payment_history", status="", ending_before="")
    assert all(request.url.query == b"" for request in h.requests)


# --- reply shapes and model traps ---------------------------------------------------------------


async def test_payment_detail_reads_data_itself_without_payment_key(h: Harness) -> None:
    h.ok(PAYMENT)
    result = await h.run("get_payment_detail", payment_id="pi_123")
    assert result.id == "pi_123"


async def test_reply_without_envelope_is_read_as_data(h: Harness) -> None:
    h.reply(200, {"payment_intent_id": "pi_9"})
    result = await h.run("create_payment_intent", amount=1, currency="usd")
    assert result.payment_intent_id == "pi_9"


async def test_payment_metadata_null_reads_as_empty(h: Harness) -> None:
    h.ok({"payments": [{**PAYMENT, "metadata": None}, {"id": "pi_2"}], "has_more": True})
    result = await h.run("list_payment_history")
    assert [payment.metadata for payment in result.payments] == [{}, {}]
    assert result.has_more is True
    assert result.total_count is None


async def test_product_list_total_is_required(h: Harness) -> None:
    h.ok({"products": [PRODUCT]})
    with pytest.raises(MalformedResponseError, match="ProductList"):
        await h.run("list_products")


async def test_product_list_admin_metadata_only_from_camel_case(h: Harness) -> None:
    h.ok({"products": [], "total": 0, "admin_metadata": {"x": 1}})
    result = await h.run("list_products")
    assert result.admin_metadata is None


async def test_guest_list_rejects_unix_dates(h: Harness) -> None:
    h.ok({"sessions": [{"session_id": "cs_1", "created_at": 1700000000}]})
    with pytest.raises(MalformedResponseError):
        await h.run("list_guest_checkout_sessions")


async def test_checkout_list_rejects_iso_dates(h: Harness) -> None:
    h.ok({"sessions": [{"id": "cs_1", "created_at": "2025-01-01T00:00:00Z"}]})
    with pytest.raises(MalformedResponseError):
        await h.run("list_checkout_sessions")


async def test_guest_session_accepts_snake_case(h: Harness) -> None:
    h.ok({"id": "cs_g", "expires_at": 1700001800, "customer_email": "g@example.com"})
    result = await h.run("create_guest_checkout_session", **GUEST_CREATE)
    assert (result.expires_at, result.customer_email) == (1700001800, "g@example.com")


async def test_conversion_requires_success(h: Harness) -> None:
    h.ok({"userId": "user_1"})
    with pytest.raises(MalformedResponseError):
        await h.run("convert_guest_checkout_session", session_id="cs_1", email="a@b.c")


async def test_subscription_id_fills_id(h: Harness) -> None:
    h.ok({"subscription_id": "sub_9", "items": None})
    result = await h.run("get_subscription", subscription_id="sub_9")
    assert (result.id, result.subscription_id, result.items, result.plan) == (
        "sub_9",
        "sub_9",
        [],
        None,
    )


async def test_plan_without_recurring(h: Harness) -> None:
    h.ok({"id": "sub_1", "items": [{"id": "si_1", "price": {"id": "price_once"}}]})
    result = await h.run("get_subscription", subscription_id="sub_1")
    assert result.plan == SubscriptionPlan(price_id="price_once")


async def test_checkout_session_accepts_id_and_url(h: Harness) -> None:
    h.ok({"id": "cs_1", "url": "https://checkout.example/cs_1"})
    result = await h.run(
        "create_checkout_session",
        price_id="p",
        mode="payment",
        success_url="https://a",
        cancel_url="https://b",
    )
    assert (result.session_id, result.checkout_url, result.expires_at) == (
        "cs_1",
        "https://checkout.example/cs_1",
        None,
    )


async def test_balance_accepts_empty_usage_but_needs_it(h: Harness) -> None:
    balance = {"available": 1, "pending": 0, "currency": "USD"}
    h.ok({"balance": balance, "usage": {}})
    h.ok({"balance": balance})
    result = await h.run("get_balance")
    assert result.usage.credits_used is None
    with pytest.raises(MalformedResponseError, match="BalanceOverview"):
        await h.run("get_balance")


# --- construction --------------------------------------------------------------------------


async def test_crypto_sub_client_shares_engine_and_credentials(h: Harness) -> None:
    client = h.client
    expected = CryptoPaymentsClient if h.flavour == "sync" else AsyncCryptoPaymentsClient
    assert type(client.crypto) is expected
    assert client.crypto._engine is client._engine
    client.access_token = "later"
    assert client.crypto.access_token == "later"
    h.ok({"job_id": "job_1", "scheduled_at": "2025-01-09T11:05:00Z"})
    await h.call(client.crypto.reconcile)
    assert h.sent.headers["authorization"] == "Bearer later"


async def test_crypto_errors_are_crypto_errors(h: Harness) -> None:
    h.reply(404, {"error": {"code": "NOT_FOUND", "message": "nope"}})
    with pytest.raises(CryptoPaymentsError):
        await h.call(h.client.crypto.get_invoice, "inv_1")


def test_prefixes_and_repr_hide_the_key() -> None:
    client = PaymentsClient(
        base_url="http://test/", api_key="secret-key", access_token="secret-token"
    )
    try:
        assert PaymentsClient.PAYMENTS_PREFIX == "/api/payments"
        assert AsyncPaymentsClient.STRIPE_PREFIX == "/api/stripe"
        assert client.base_url == "http://test"
        assert "secret-key" not in repr(client)
        for shown in (repr(client), repr(client.crypto), repr(client.crypto._credentials)):
            assert "secret-key" not in shown
            assert "secret-token" not in shown
    finally:
        client.close()


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_sync_and_async_signatures_match(name: str) -> None:
    sync_client = PaymentsClient(base_url=BASE)
    async_client = AsyncPaymentsClient(base_url=BASE)
    sync_method = getattr(sync_client, name)
    async_method = getattr(async_client, name)
    assert inspect.signature(sync_method) == inspect.signature(async_method)
    assert inspect.iscoroutinefunction(async_method)
    assert not inspect.iscoroutinefunction(sync_method)
    params = list(inspect.signature(sync_method).parameters.values())
    # The seed README calls get_product("prod_123"): its id may be positional.
    if name == "get_product":
        assert params[0].name == "product_id"
        params = params[1:]
    assert all(param.kind is inspect.Parameter.KEYWORD_ONLY for param in params)
    assert sync_method.__doc__
    sync_client.close()
