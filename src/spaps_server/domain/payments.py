"""Payment records of the offline payments simulator (no HTTP, no SQL).

Money is always an integer amount of the currency's minor unit (cents for ``usd``) plus a
lower-case ISO currency code. Ids follow Stripe's prefixes (``prod_``, ``price_``,
``cs_test_``, ``sub_``, ``si_``, ``pi_``, ``in_``, ``cus_``) so programs written against the
hosted service see familiar values.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any


class PriceType(str, enum.Enum):
    """Whether a price is charged once or on a recurring schedule."""

    ONE_TIME = "one_time"
    RECURRING = "recurring"


class CheckoutMode(str, enum.Enum):
    """What paying a checkout session does: one charge, or start a subscription."""

    PAYMENT = "payment"
    SUBSCRIPTION = "subscription"


class CheckoutStatus(str, enum.Enum):
    """A checkout session's life: ``open`` until paid (``complete``) or ``expired``."""

    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"


class SubscriptionStatus(str, enum.Enum):
    """The subscription states this simulator produces."""

    ACTIVE = "active"
    CANCELED = "canceled"


# Statuses whose product tier the subscriber holds.
TIER_GRANTING_STATUSES = frozenset({SubscriptionStatus.ACTIVE.value})


@dataclasses.dataclass(frozen=True)
class Price:
    """A price of a product: ``unit_amount`` minor units of ``currency``, charged once or
    every ``interval_count`` ``interval`` s (``day``, ``week``, ``month``, ``year``)."""

    id: str
    application_id: str
    product_id: str
    unit_amount: int
    currency: str
    type: PriceType
    interval: str | None
    interval_count: int
    nickname: str | None
    active: bool
    created_at: datetime

    @property
    def recurring(self) -> dict[str, Any] | None:
        """Stripe's ``recurring`` object, or ``None`` for a one-time price."""
        if self.type is not PriceType.RECURRING:
            return None
        return {"interval": self.interval, "interval_count": self.interval_count}


@dataclasses.dataclass(frozen=True)
class Product:
    """A product of the catalogue. ``metadata["tier"]``, if set, is the user tier an active
    subscription to one of its prices grants."""

    id: str
    application_id: str
    name: str
    description: str | None
    category: str | None
    active: bool
    images: list[str]
    metadata: dict[str, Any]
    default_price_id: str | None
    created_at: datetime
    updated_at: datetime
    prices: tuple[Price, ...] = ()

    @property
    def tier(self) -> str | None:
        """The tier a subscription to this product grants, if any."""
        value = self.metadata.get("tier")
        return value if isinstance(value, str) and value else None

    @property
    def default_price(self) -> Price | None:
        """The default price (or the first active one) among :attr:`prices`."""
        for price in self.prices:
            if price.id == self.default_price_id:
                return price
        return next((p for p in self.prices if p.active), None)


@dataclasses.dataclass(frozen=True)
class LineItem:
    """One line of a checkout session, with the price as it was when the session was made."""

    price_id: str
    product_id: str
    quantity: int
    unit_amount: int
    currency: str
    description: str
    interval: str | None = None
    interval_count: int = 1

    @property
    def amount(self) -> int:
        """``unit_amount * quantity``."""
        return self.unit_amount * self.quantity

    def to_storage(self) -> dict[str, Any]:
        """The JSON stored in the session row."""
        return dataclasses.asdict(self)

    @classmethod
    def from_storage(cls, raw: dict[str, Any]) -> LineItem:
        """Inverse of :meth:`to_storage`."""
        return cls(
            price_id=str(raw["price_id"]),
            product_id=str(raw["product_id"]),
            quantity=int(raw["quantity"]),
            unit_amount=int(raw["unit_amount"]),
            currency=str(raw["currency"]),
            description=str(raw["description"]),
            interval=raw.get("interval"),
            interval_count=int(raw.get("interval_count") or 1),
        )


@dataclasses.dataclass(frozen=True)
class CheckoutSession:
    """A checkout session: what is being bought, by whom, and where the browser goes next.

    ``user_id`` is ``None`` for a guest session until it is converted to an account.
    ``pending_authentication`` is set while a 3-D Secure challenge waits for an answer.
    """

    id: str
    application_id: str
    user_id: str | None
    is_guest: bool
    customer_email: str | None
    mode: CheckoutMode
    status: CheckoutStatus
    payment_status: str
    currency: str
    amount_total: int
    line_items: tuple[LineItem, ...]
    success_url: str
    cancel_url: str
    client_reference_id: str | None
    metadata: dict[str, Any]
    payment_intent_id: str | None
    subscription_id: str | None
    pending_authentication: bool
    created_at: datetime
    expires_at: datetime
    completed_at: datetime | None = None

    def is_open_at(self, now: datetime) -> bool:
        """Whether the session can still be paid at ``now``."""
        return self.status is CheckoutStatus.OPEN and now < self.expires_at


@dataclasses.dataclass(frozen=True)
class Subscription:
    """A subscription to one price. ``current_period_*`` bound the paid period; with
    ``cancel_at_period_end`` it ends (``canceled``) when the period does. A guest's
    subscription has no ``user_id`` until the checkout is converted to an account."""

    id: str
    application_id: str
    user_id: str | None
    customer_email: str | None
    customer_id: str | None
    item_id: str
    price_id: str
    product_id: str
    quantity: int
    status: SubscriptionStatus
    current_period_start: datetime
    current_period_end: datetime
    cancel_at_period_end: bool
    canceled_at: datetime | None
    ended_at: datetime | None
    checkout_session_id: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class Payment:
    """A charge attempt: ``succeeded`` charges carry an invoice; ``failed`` ones the
    decline code. ``metadata`` is always an object."""

    id: str
    application_id: str
    user_id: str | None
    customer_email: str | None
    amount: int
    currency: str
    status: str
    description: str
    payment_method_type: str
    card_brand: str | None
    card_last4: str | None
    failure_code: str | None
    invoice_id: str | None
    checkout_session_id: str | None
    subscription_id: str | None
    metadata: dict[str, Any]
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class Customer:
    """The billing identity of a user: their ``cus_`` id and the tier they had before any
    subscription changed it (restored when no tier-granting subscription is left)."""

    id: str
    application_id: str
    user_id: str
    base_tier: str
    created_at: datetime
