"""``/api/payments`` and ``/api/stripe``: checkout, balances, subscriptions, guest checkout,
payment history and the product catalogue.

Every call needs a bearer token except the guest-checkout ones, which send only the API key
(never a token, even when one is stored). Calls that create something payable send an
``Idempotency-Key`` generated once per call, so a retried request is not charged twice.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import BaseModel

from .._engine import AsyncEngine, Endpoints, SyncEngine, path, query
from .._envelope import data_model
from .._resource import AsyncResource, E, Resource, SyncResource, endpoint
from .._retry import LoggingHooks, RetryConfig
from ..config import DEFAULT_API_KEY, DEFAULT_BASE_URL, DEFAULT_TIMEOUT
from ..errors import PaymentsError
from ..models.payments import (
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
    WalletDeposit,
    WalletTransaction,
)
from ..storage import TokenStorage
from .crypto import AsyncCryptoPaymentsClient, CryptoPaymentsClient, CryptoPaymentsResource

__all__ = ["AsyncPaymentsClient", "PaymentsClient", "PaymentsError", "PaymentsResource"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
PAYMENTS_PREFIX = "/api/payments"
STRIPE_PREFIX = "/api/stripe"
MISSING_TOKEN_MESSAGE = "Access token is required for payment operations"
# Routes carry their own prefix: payments spans /api/payments and /api/stripe.
_PAYMENTS = Endpoints("", PaymentsError, MISSING_TOKEN_MESSAGE)


def _required(value: str, name: str) -> str:
    if not value:
        raise ValueError(f"{name} is required")
    return value


class PaymentsResource(Resource[E]):
    """Payments: Stripe checkout and subscriptions, guest checkout, balances, history and
    products; crypto invoices under :attr:`crypto`."""

    PAYMENTS_PREFIX = PAYMENTS_PREFIX
    STRIPE_PREFIX = STRIPE_PREFIX

    # The crypto sub-client class matching this flavour (set by the concrete classes).
    _crypto_class: ClassVar[type[CryptoPaymentsResource[Any]]]
    crypto: CryptoPaymentsResource[E]

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = DEFAULT_API_KEY,
        access_token: str | None = None,
        client: httpx.Client | httpx.AsyncClient | None = None,
        request_timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        token_storage: TokenStorage | None = None,
        retry_config: RetryConfig | dict[str, Any] | None = None,
        logging_hooks: LoggingHooks | dict[str, Any] | None = None,
        engine: E | None = None,
    ) -> None:
        # Named explicitly (not super()): mypy cannot match the value-restricted ``E`` of this
        # class to the base's through super(); the next class in every MRO is Resource anyway.
        Resource.__init__(
            self,
            base_url=base_url,
            api_key=api_key,
            access_token=access_token,
            client=client,
            request_timeout=request_timeout,
            token_storage=token_storage,
            retry_config=retry_config,
            logging_hooks=logging_hooks,
            engine=engine,
        )
        crypto = self._crypto_class(base_url=self.base_url, engine=self._engine)
        # Share the credentials object itself: a token set on (or stored for) the payments
        # client later is what crypto calls send, as the published client read it live.
        crypto._credentials = self._credentials
        self.crypto = crypto

    def _stripe(self, template: str, *values: str) -> str:
        return STRIPE_PREFIX + path(template, *values)

    # --- legacy /api/payments ---------------------------------------------------------------

    @endpoint
    def create_checkout_session(
        self,
        *,
        price_id: str,
        mode: str,
        success_url: str,
        cancel_url: str,
        metadata: dict[str, Any] | None = None,
        access_token_override: str | None = None,
        idempotency_key: str | None = None,
    ) -> CheckoutSession:
        """Create a Stripe Checkout session and return the URL to send the user to.

        ``mode`` is ``"payment"`` or ``"subscription"``. An ``Idempotency-Key`` is sent (yours,
        or one generated for this call).

        Example:
            >>> checkout = spaps.payments.create_checkout_session(
            ...     price_id="price_123",
            ...     mode="subscription",
            ...     success_url="https://example.com/success",
            ...     cancel_url="https://example.com/cancel",
            ... )
            >>> checkout.checkout_url
            'https://checkout.stripe.com/pay/cs_test_...'
        """
        body: dict[str, Any] = {
            "price_id": price_id,
            "mode": mode,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if metadata:
            body["metadata"] = metadata
        return self._request(
            _PAYMENTS.bearer(
                "POST",
                PAYMENTS_PREFIX + "/create-checkout-session",
                data_model(CheckoutSession),
                access_token_override,
                json=body,
                send_idempotency_key=True,
                idempotency_key=idempotency_key,
            )
        )

    @endpoint
    def get_balance(self, *, access_token_override: str | None = None) -> BalanceOverview:
        """The user's balance, tier and credit usage."""
        return self._request(
            _PAYMENTS.bearer(
                "GET",
                PAYMENTS_PREFIX + "/balance",
                data_model(BalanceOverview),
                access_token_override,
            )
        )

    @endpoint
    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        payment_method_types: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        access_token_override: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentIntent:
        """Create a PaymentIntent for ``amount`` (smallest currency unit, e.g. cents).

        An ``Idempotency-Key`` is sent (yours, or one generated for this call).
        """
        body: dict[str, Any] = {"amount": amount, "currency": currency}
        if payment_method_types is not None:
            body["payment_method_types"] = payment_method_types
        if metadata:
            body["metadata"] = metadata
        return self._request(
            _PAYMENTS.bearer(
                "POST",
                PAYMENTS_PREFIX + "/create-payment-intent",
                data_model(PaymentIntent),
                access_token_override,
                json=body,
                send_idempotency_key=True,
                idempotency_key=idempotency_key,
            )
        )

    @endpoint
    def update_payment_method(
        self,
        *,
        payment_method_id: str,
        set_default: bool | None = None,
        access_token_override: str | None = None,
    ) -> PaymentMethodUpdateResult:
        """Attach a payment method to the customer, optionally as the default."""
        _required(payment_method_id, "payment_method_id")
        body: dict[str, Any] = {"payment_method_id": payment_method_id}
        if set_default is not None:
            body["set_default"] = set_default
        return self._request(
            _PAYMENTS.bearer(
                "POST",
                PAYMENTS_PREFIX + "/update-payment-method",
                data_model(PaymentMethodUpdateResult),
                access_token_override,
                json=body,
            )
        )

    @endpoint
    def wallet_deposit(
        self,
        *,
        wallet_address: str,
        chain_type: str,
        transaction_id: str,
        amount: float,
        currency: str,
        tier: str | None = None,
        access_token_override: str | None = None,
        idempotency_key: str | None = None,
    ) -> WalletDeposit:
        """Report an on-chain deposit so it is credited once confirmed.

        An ``Idempotency-Key`` is sent (yours, or one generated for this call).
        """
        body: dict[str, Any] = {
            "wallet_address": wallet_address,
            "chain_type": chain_type,
            "transaction_id": transaction_id,
            "amount": amount,
            "currency": currency,
        }
        if tier:
            body["tier"] = tier
        return self._request(
            _PAYMENTS.bearer(
                "POST",
                PAYMENTS_PREFIX + "/wallet-deposit",
                data_model(WalletDeposit),
                access_token_override,
                json=body,
                send_idempotency_key=True,
                idempotency_key=idempotency_key,
            )
        )

    @endpoint
    def get_wallet_transaction(
        self, *, transaction_id: str, access_token_override: str | None = None
    ) -> WalletTransaction:
        """The confirmation state of a deposit transaction."""
        route = PAYMENTS_PREFIX + path(
            "/wallet-transaction/{}", _required(transaction_id, "transaction_id")
        )
        return self._request(
            _PAYMENTS.bearer("GET", route, data_model(WalletTransaction), access_token_override)
        )

    # --- subscriptions ----------------------------------------------------------------------

    @endpoint
    def get_subscription(
        self, *, subscription_id: str, access_token_override: str | None = None
    ) -> SubscriptionDetail:
        """One subscription; ``.plan`` gives its price, product and billing interval.

        Example:
            >>> sub = spaps.payments.get_subscription(subscription_id="sub_123")
            >>> sub.status, sub.plan.interval
            ('active', 'month')
        """
        route = self._stripe("/subscription/{}", _required(subscription_id, "subscription_id"))
        return self._request(
            _PAYMENTS.bearer("GET", route, data_model(SubscriptionDetail), access_token_override)
        )

    @endpoint
    def list_subscriptions(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        access_token_override: str | None = None,
    ) -> SubscriptionList:
        """The user's subscriptions, optionally filtered by ``status``; page with
        ``starting_after`` (the last id of the previous page)."""
        params = query(status=status or None, limit=limit, starting_after=starting_after or None)
        return self._request(
            _PAYMENTS.bearer(
                "GET",
                STRIPE_PREFIX + "/subscriptions",
                data_model(SubscriptionList),
                access_token_override,
                params=params,
            )
        )

    @endpoint
    def cancel_subscription(
        self,
        *,
        subscription_id: str,
        immediately: bool | None = None,
        access_token_override: str | None = None,
    ) -> SubscriptionCancellation:
        """Cancel a subscription, at period end unless ``immediately=True``."""
        route = self._stripe(
            "/subscription/{}/cancel", _required(subscription_id, "subscription_id")
        )
        body = {"immediately": immediately} if immediately is not None else {}
        return self._request(
            _PAYMENTS.bearer(
                "POST",
                route,
                data_model(SubscriptionCancellation),
                access_token_override,
                json=body,
            )
        )

    @endpoint
    def update_subscription(
        self, *, subscription_id: str, price_id: str, access_token_override: str | None = None
    ) -> SubscriptionDetail:
        """Move a subscription to another price."""
        route = self._stripe(
            "/subscription/{}/update", _required(subscription_id, "subscription_id")
        )
        _required(price_id, "price_id")
        return self._request(
            _PAYMENTS.bearer(
                "POST",
                route,
                data_model(SubscriptionDetail),
                access_token_override,
                json={"price_id": price_id},
            )
        )

    # --- checkout sessions ------------------------------------------------------------------

    @endpoint
    def get_checkout_session(
        self, *, session_id: str, access_token_override: str | None = None
    ) -> CheckoutSessionDetails:
        """A checkout session the user created."""
        route = self._stripe("/checkout-sessions/{}", _required(session_id, "session_id"))
        return self._request(
            _PAYMENTS.bearer(
                "GET", route, data_model(CheckoutSessionDetails), access_token_override
            )
        )

    @endpoint
    def list_checkout_sessions(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        access_token_override: str | None = None,
    ) -> CheckoutSessionList:
        """The user's checkout sessions; page with ``starting_after``."""
        return self._request(
            _PAYMENTS.bearer(
                "GET",
                STRIPE_PREFIX + "/checkout-sessions",
                data_model(CheckoutSessionList),
                access_token_override,
                params=query(limit=limit, starting_after=starting_after or None),
            )
        )

    @endpoint
    def expire_checkout_session(
        self, *, session_id: str, access_token_override: str | None = None
    ) -> ExpireCheckoutSessionResult:
        """Expire an open checkout session so it can no longer be paid."""
        route = self._stripe("/checkout-sessions/{}/expire", _required(session_id, "session_id"))
        return self._request(
            _PAYMENTS.bearer(
                "POST",
                route,
                data_model(ExpireCheckoutSessionResult),
                access_token_override,
                json={},
            )
        )

    # --- guest checkout (API key only) ------------------------------------------------------

    @endpoint
    def create_guest_checkout_session(
        self,
        *,
        customer_email: str,
        mode: str,
        line_items: list[dict[str, Any]],
        success_url: str,
        cancel_url: str,
        metadata: dict[str, Any] | None = None,
        client_reference_id: str | None = None,
        payment_intent_data: dict[str, Any] | None = None,
        subscription_data: dict[str, Any] | None = None,
        allow_promotion_codes: bool | None = None,
        locale: str | None = None,
        idempotency_key: str | None = None,
    ) -> GuestCheckoutSession:
        """Create a checkout session for a visitor without an account (API key only).

        An ``Idempotency-Key`` is sent (yours, or one generated for this call).

        Example:
            >>> guest = spaps.payments.create_guest_checkout_session(
            ...     customer_email="guest@example.com",
            ...     mode="payment",
            ...     line_items=[{"price_id": "price_basic", "quantity": 1}],
            ...     success_url="https://example.com/success",
            ...     cancel_url="https://example.com/cancel",
            ... )
            >>> guest.url
            'https://checkout.stripe.com/pay/cs_test_...'
        """
        if not customer_email:
            raise ValueError("customer_email is required for guest checkout")
        if not line_items:
            raise ValueError("at least one line item is required")
        body: dict[str, Any] = {
            "customer_email": customer_email,
            "mode": mode,
            "line_items": line_items,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        optional = {
            "metadata": metadata,
            "client_reference_id": client_reference_id,
            "payment_intent_data": payment_intent_data,
            "subscription_data": subscription_data,
            "locale": locale,
        }
        body.update({key: value for key, value in optional.items() if value})
        if allow_promotion_codes is not None:
            body["allow_promotion_codes"] = allow_promotion_codes
        return self._request(
            _PAYMENTS.key(
                "POST",
                STRIPE_PREFIX + "/guest-checkout-sessions",
                data_model(GuestCheckoutSession),
                json=body,
                send_idempotency_key=True,
                idempotency_key=idempotency_key,
            )
        )

    @endpoint
    def get_guest_checkout_session(self, *, session_id: str) -> CheckoutSessionDetails:
        """A guest checkout session (API key only)."""
        route = self._stripe("/guest-checkout-sessions/{}", _required(session_id, "session_id"))
        return self._request(_PAYMENTS.key("GET", route, data_model(CheckoutSessionDetails)))

    @endpoint
    def list_guest_checkout_sessions(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        customer_email: str | None = None,
    ) -> GuestCheckoutSessionList:
        """Guest checkout sessions, optionally for one e-mail (API key only)."""
        params = query(
            limit=limit,
            starting_after=starting_after or None,
            customer_email=customer_email or None,
        )
        return self._request(
            _PAYMENTS.key(
                "GET",
                STRIPE_PREFIX + "/guest-checkout-sessions",
                data_model(GuestCheckoutSessionList),
                params=params,
            )
        )

    @endpoint
    def convert_guest_checkout_session(
        self,
        *,
        session_id: str,
        email: str,
        password: str | None = None,
        send_magic_link: bool | None = None,
    ) -> GuestCheckoutConversionResult:
        """Link a paid guest checkout to an account (created with ``password`` if new), or
        e-mail a magic link to sign in (API key only)."""
        body: dict[str, Any] = {"session_id": session_id, "email": email}
        if password:
            body["password"] = password
        if send_magic_link is not None:
            body["send_magic_link"] = send_magic_link
        return self._request(
            _PAYMENTS.key(
                "POST",
                STRIPE_PREFIX + "/guest-checkout-sessions/convert",
                data_model(GuestCheckoutConversionResult),
                json=body,
            )
        )

    # --- payment history --------------------------------------------------------------------

    @endpoint
    def list_payment_history(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        status: str | None = None,
        access_token_override: str | None = None,
    ) -> PaymentHistory:
        """The user's charges, newest first; page with ``starting_after``/``ending_before``."""
        params = query(
            limit=limit,
            starting_after=starting_after or None,
            ending_before=ending_before or None,
            status=status or None,
        )
        return self._request(
            _PAYMENTS.bearer(
                "GET",
                STRIPE_PREFIX + "/history",
                data_model(PaymentHistory),
                access_token_override,
                params=params,
            )
        )

    @endpoint
    def get_payment_detail(
        self, *, payment_id: str, access_token_override: str | None = None
    ) -> PaymentRecord:
        """One charge, with its invoice and metadata."""
        route = self._stripe("/payment/{}", _required(payment_id, "payment_id"))
        return self._request(
            _PAYMENTS.bearer(
                "GET",
                route,
                lambda reply: reply.model(PaymentRecord, reply.nested(reply.data(), "payment")),
                access_token_override,
            )
        )

    # --- product catalogue ------------------------------------------------------------------

    @endpoint
    def list_products(
        self,
        *,
        category: str | None = None,
        active: bool | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        mode: str | None = None,
        access_token_override: str | None = None,
    ) -> ProductList:
        """The product catalogue with prices.

        Example:
            >>> catalog = spaps.payments.list_products(active=True, limit=10)
            >>> [product.name for product in catalog.products]
            ['Sweet Potato Pro']
        """
        params = query(
            category=category or None,
            active=active,
            limit=limit,
            starting_after=starting_after or None,
            mode=mode or None,
        )
        return self._request(
            _PAYMENTS.bearer(
                "GET",
                STRIPE_PREFIX + "/products",
                data_model(ProductList),
                access_token_override,
                params=params,
            )
        )

    @endpoint
    def get_product(
        self,
        product_id: str,
        *,
        include_prices: bool = True,
        access_token_override: str | None = None,
    ) -> Product:
        """One product; its prices are included unless ``include_prices=False``."""
        route = self._stripe("/products/{}", _required(product_id, "product_id"))
        params = {"include_prices": "false"} if not include_prices else None
        return self._request(
            _PAYMENTS.bearer(
                "GET", route, data_model(Product), access_token_override, params=params
            )
        )


class PaymentsClient(SyncResource, PaymentsResource[SyncEngine]):
    """Blocking payments sub-client (``spaps.payments``); crypto invoices are under
    ``spaps.payments.crypto``."""

    _crypto_class = CryptoPaymentsClient
    crypto: CryptoPaymentsClient


class AsyncPaymentsClient(AsyncResource, PaymentsResource[AsyncEngine]):
    """Asyncio payments sub-client (``client.payments``); every endpoint is a coroutine."""

    _crypto_class = AsyncCryptoPaymentsClient
    crypto: AsyncCryptoPaymentsClient
