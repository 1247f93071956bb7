"""Models of the ``/api/payments`` and ``/api/stripe`` endpoints.

Mind the date types, which follow the wire: Stripe checkout-session dates and subscription
periods are unix seconds (``int``), guest-checkout list dates are ISO strings (``str``), and
the legacy ``/api/payments`` dates are parsed as ``datetime``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AliasChoices,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ._base import SpapsModel, none_as_empty_list

__all__ = [
    "BalanceAmounts",
    "BalanceOverview",
    "CheckoutSession",
    "CheckoutSessionDetails",
    "CheckoutSessionList",
    "CheckoutSessionSummary",
    "ExpireCheckoutSessionResult",
    "GuestCheckoutConversionResult",
    "GuestCheckoutSession",
    "GuestCheckoutSessionList",
    "GuestCheckoutSessionSummary",
    "PaymentHistory",
    "PaymentIntent",
    "PaymentMethodUpdateResult",
    "PaymentRecord",
    "Product",
    "ProductList",
    "ProductPrice",
    "SubscriptionCancellation",
    "SubscriptionDetail",
    "SubscriptionItem",
    "SubscriptionItemPrice",
    "SubscriptionItemPriceRecurring",
    "SubscriptionList",
    "SubscriptionPlan",
    "UsageSummary",
    "WalletDeposit",
    "WalletTransaction",
]


_T = TypeVar("_T")

# A list the server sometimes sends as ``null``: read as ``[]`` (contract D2).
_NullableList = Annotated[list[_T], BeforeValidator(none_as_empty_list)]


def _either(camel: str, snake: str) -> AliasChoices:
    """The service sends ``camel``; ``snake`` is accepted too (contract D2)."""
    return AliasChoices(camel, snake)


# --- legacy /api/payments -------------------------------------------------------------------


class CheckoutSession(SpapsModel):
    """A Stripe Checkout session to redirect the user to (``checkout_url``)."""

    # Later servers answer with ``id``/``url``; reading them too keeps both working.
    session_id: str = Field(validation_alias=AliasChoices("session_id", "id"))
    checkout_url: str = Field(validation_alias=AliasChoices("checkout_url", "url"))
    expires_at: datetime | None = None


class PaymentIntent(SpapsModel):
    """A Stripe PaymentIntent; confirm it in the browser with ``client_secret``."""

    payment_intent_id: str
    client_secret: str | None = None
    status: str | None = None


class WalletDeposit(SpapsModel):
    """An on-chain deposit being credited to the user's balance."""

    deposit_id: str
    status: str | None = None
    amount: float | None = None
    currency: str | None = None
    confirmation_required: int | None = None
    confirmation_current: int | None = None


class WalletTransaction(SpapsModel):
    """The state of an on-chain deposit transaction."""

    transaction_id: str
    status: str | None = None
    confirmations: int | None = None
    chain_type: str | None = None
    amount: float | None = None
    currency: str | None = None
    balance_added: float | None = None
    completed_at: datetime | None = None


class BalanceAmounts(SpapsModel):
    available: float
    pending: float
    currency: str


class UsageSummary(SpapsModel):
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    credits_used: int | None = None
    credits_remaining: int | None = None


class BalanceOverview(SpapsModel):
    """The user's balance, tier and credit usage (``usage`` may be an empty object)."""

    balance: BalanceAmounts
    tier: str | None = None
    tier_expires_at: datetime | None = None
    usage: UsageSummary


class PaymentMethodUpdateResult(SpapsModel):
    message: str | None = None
    customer_id: str | None = None
    payment_method_id: str
    is_default: bool = False


# --- subscriptions --------------------------------------------------------------------------


class SubscriptionItemPriceRecurring(SpapsModel):
    interval: str | None = None
    interval_count: int | None = None


class SubscriptionItemPrice(SpapsModel):
    id: str
    product: str | None = None
    unit_amount: int | None = None
    currency: str | None = None
    recurring: SubscriptionItemPriceRecurring | None = None


class SubscriptionItem(SpapsModel):
    id: str
    price: SubscriptionItemPrice


class SubscriptionPlan(SpapsModel):
    """The price a subscription is on, flattened from its first item."""

    price_id: str
    product_id: str | None = None
    unit_amount: int | None = None
    currency: str | None = None
    interval: str | None = None
    interval_count: int | None = None


def _plan_of(items: list[SubscriptionItem]) -> SubscriptionPlan | None:
    if not items:
        return None
    price = items[0].price
    recurring = price.recurring
    return SubscriptionPlan(
        price_id=price.id,
        product_id=price.product,
        unit_amount=price.unit_amount,
        currency=price.currency,
        interval=recurring.interval if recurring is not None else None,
        interval_count=recurring.interval_count if recurring is not None else None,
    )


class SubscriptionDetail(SpapsModel):
    """A Stripe subscription. Periods and ``canceled_at`` are unix seconds.

    ``id`` and ``subscription_id`` always hold the same value: whichever the server sent fills
    the other.
    """

    id: str
    subscription_id: str | None = None
    status: str | None = None
    current_period_start: int | None = None
    current_period_end: int | None = None
    canceled_at: int | None = None
    cancel_at_period_end: bool | None = None
    items: _NullableList[SubscriptionItem] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _id_from_subscription_id(cls, value: Any) -> Any:
        if isinstance(value, dict) and not value.get("id") and value.get("subscription_id"):
            return {**value, "id": value["subscription_id"]}
        return value

    @model_validator(mode="after")
    def _subscription_id_from_id(self) -> SubscriptionDetail:
        if not self.subscription_id:
            self.subscription_id = self.id
        return self

    @property
    def plan(self) -> SubscriptionPlan | None:
        """The price of the first item, or ``None`` when the subscription has no items."""
        return _plan_of(self.items)


class SubscriptionCancellation(SpapsModel):
    """The subscription as it stands after a cancel request."""

    id: str
    status: str | None = None
    cancel_at_period_end: bool | None = None
    canceled_at: int | None = None
    items: _NullableList[SubscriptionItem] = Field(default_factory=list)

    @property
    def subscription_id(self) -> str:
        """Alias of ``id``."""
        return self.id


class SubscriptionList(SpapsModel):
    subscriptions: _NullableList[SubscriptionDetail] = Field(default_factory=list)
    has_more: bool = False


# --- checkout sessions ----------------------------------------------------------------------


class CheckoutSessionDetails(SpapsModel):
    """One Stripe Checkout session (signed-in or guest). ``expires_at`` is unix seconds."""

    id: str
    status: str | None = None
    payment_status: str | None = None
    customer_email: str | None = None
    amount_total: int | None = None
    currency: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, Any] | None = None
    payment_intent: str | None = None
    subscription: str | None = None
    expires_at: int | None = None


class CheckoutSessionSummary(SpapsModel):
    """A checkout session in a list; dates are unix seconds."""

    id: str
    status: str | None = None
    payment_status: str | None = None
    amount_total: int | None = None
    currency: str | None = None
    created_at: int | None = None
    expires_at: int | None = None


class CheckoutSessionList(SpapsModel):
    sessions: _NullableList[CheckoutSessionSummary] = Field(default_factory=list)
    has_more: bool = False
    next_cursor: str | None = None


class ExpireCheckoutSessionResult(SpapsModel):
    id: str
    status: str | None = None
    expired: bool = False


# --- guest checkout -------------------------------------------------------------------------


class GuestCheckoutSession(SpapsModel):
    """A guest Checkout session; the service answers in camelCase (snake_case also read)."""

    id: str
    url: str | None = None
    expires_at: int | None = Field(
        default=None, validation_alias=_either("expiresAt", "expires_at")
    )
    customer_email: str | None = Field(
        default=None, validation_alias=_either("customerEmail", "customer_email")
    )
    client_reference_id: str | None = Field(
        default=None, validation_alias=_either("clientReferenceId", "client_reference_id")
    )
    success_url: str | None = Field(
        default=None, validation_alias=_either("successUrl", "success_url")
    )
    cancel_url: str | None = Field(
        default=None, validation_alias=_either("cancelUrl", "cancel_url")
    )


class GuestCheckoutSessionSummary(SpapsModel):
    """A guest session in a list. Unlike the signed-in list, dates are ISO strings."""

    session_id: str
    status: str | None = None
    payment_status: str | None = None
    customer_email: str | None = None
    amount_total: int | None = None
    currency: str | None = None
    created_at: str | None = None
    expires_at: str | None = None


class GuestCheckoutSessionList(SpapsModel):
    sessions: _NullableList[GuestCheckoutSessionSummary] = Field(default_factory=list)
    has_more: bool = False


class GuestCheckoutConversionResult(SpapsModel):
    """The outcome of linking a guest checkout to an account (camelCase on the wire)."""

    success: bool
    user_id: str | None = Field(default=None, validation_alias=_either("userId", "user_id"))
    message: str | None = None
    login_url: str | None = Field(default=None, validation_alias=_either("loginUrl", "login_url"))
    magic_link_sent: bool | None = Field(
        default=None, validation_alias=_either("magicLinkSent", "magic_link_sent")
    )


# --- payment history ------------------------------------------------------------------------


class PaymentRecord(SpapsModel):
    """One charge. ``created`` is unix seconds; ``metadata`` is never ``None``."""

    id: str
    amount: int | None = None
    currency: str | None = None
    status: str | None = None
    description: str | None = None
    created: int | None = None
    payment_method_type: str | None = None
    invoice_id: str | None = None
    invoice_pdf: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_null(cls, value: Any) -> Any:
        return {} if value is None else value


class PaymentHistory(SpapsModel):
    payments: _NullableList[PaymentRecord] = Field(default_factory=list)
    has_more: bool = False
    total_count: int | None = None


# --- product catalogue ----------------------------------------------------------------------


class ProductPrice(SpapsModel):
    id: str
    unit_amount: int | None = None
    currency: str | None = None
    type: str | None = None
    recurring: dict[str, Any] | None = None
    nickname: str | None = None
    active: bool | None = None


class Product(SpapsModel):
    """A catalogue product with its prices."""

    id: str
    name: str
    description: str | None = None
    images: list[str] | None = None
    active: bool | None = None
    metadata: dict[str, Any] | None = None
    prices: _NullableList[ProductPrice] = Field(default_factory=list)
    default_price: dict[str, Any] | None = None
    created_at: str | None = None


class ProductList(SpapsModel):
    """The catalogue page. ``admin_metadata`` is read only from the JSON key
    ``adminMetadata`` (construct it in Python with ``adminMetadata=...``)."""

    # Not populated by field name: a stray snake_case ``admin_metadata`` key must not count.
    model_config = ConfigDict(populate_by_name=False)

    products: _NullableList[Product] = Field(default_factory=list)
    total: int
    admin_metadata: dict[str, Any] | None = Field(default=None, validation_alias="adminMetadata")
