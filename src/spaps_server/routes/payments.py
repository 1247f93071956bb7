"""``/api/payments/create-checkout-session`` (protocol §3.4, endpoint #17) and the wire shapes
of the payments domain shared with ``routes/stripe.py``.

Dates follow the contract's type traps: checkout-session dates and subscription periods are
unix seconds, guest-session list dates ISO strings, ``create-checkout-session``'s
``expires_at`` an ISO string; ``PaymentRecord.metadata`` is always an object.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from ..context import AppContext
from ..domain.clock import iso_or_none, unix_or_none
from ..domain.payments import CheckoutSession, Payment, Price, Product, Subscription
from ..http.deps import Ctx, CurrentPrincipal
from ..http.envelopes import Envelope, ok
from ..http.idempotency import REPLAYED_HEADER, RouteOperation, idempotent

router = APIRouter(prefix="/api/payments", tags=["payments"])


async def run_idempotent(
    request: Request, ctx: AppContext, *, application_id: str, caller: str, op: RouteOperation
) -> Response:
    """:func:`~spaps_server.http.idempotency.idempotent`, counting replays per route."""
    response = await idempotent(
        request, ctx, application_id=application_id, caller=caller, operation=op
    )
    if response.headers.get(REPLAYED_HEADER) == "true":
        ctx.payments.replays.inc(route=request.url.path.rsplit("/", 1)[-1])
    return response


# --- wire shapes -------------------------------------------------------------------------


class CheckoutSessionOut(BaseModel):
    """``CheckoutSession``: where to send the payer. ``id``/``url`` repeat ``session_id``/
    ``checkout_url`` under the names later clients read."""

    session_id: str
    checkout_url: str
    expires_at: str
    id: str
    url: str


class PriceOut(BaseModel):
    """``ProductPrice`` (also a subscription item's ``price``)."""

    id: str
    product: str
    unit_amount: int
    currency: str
    type: str
    recurring: dict[str, Any] | None = None
    nickname: str | None = None
    active: bool


class ProductOut(BaseModel):
    """``Product`` with its prices (empty when ``include_prices=false``)."""

    id: str
    name: str
    description: str | None = None
    category: str | None = None
    images: list[str]
    active: bool
    metadata: dict[str, Any]
    prices: list[PriceOut]
    default_price: dict[str, Any] | None = None
    created_at: str


class SubscriptionItemOut(BaseModel):
    """One item of a subscription."""

    id: str
    price: PriceOut
    quantity: int


class SubscriptionOut(BaseModel):
    """``SubscriptionDetail`` / ``SubscriptionCancellation`` (periods in unix seconds)."""

    id: str
    subscription_id: str
    status: str
    customer: str | None = None
    current_period_start: int
    current_period_end: int
    cancel_at_period_end: bool
    canceled_at: int | None = None
    ended_at: int | None = None
    created: int
    items: list[SubscriptionItemOut]
    metadata: dict[str, Any]


class PaymentOut(BaseModel):
    """``PaymentRecord``; ``invoice_pdf`` is the local invoice page."""

    id: str
    amount: int
    currency: str
    status: str
    description: str
    created: int
    payment_method_type: str
    card_brand: str | None = None
    card_last4: str | None = None
    failure_code: str | None = None
    invoice_id: str | None = None
    invoice_pdf: str | None = None
    checkout_session: str | None = None
    subscription: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class CheckoutSessionIn(BaseModel):
    """``create-checkout-session`` body."""

    price_id: str
    mode: str
    success_url: str
    cancel_url: str
    metadata: dict[str, Any] | None = None


def price_out(price: Price) -> dict[str, Any]:
    """The wire form of a price."""
    return {
        "id": price.id,
        "product": price.product_id,
        "unit_amount": price.unit_amount,
        "currency": price.currency,
        "type": price.type.value,
        "recurring": price.recurring,
        "nickname": price.nickname,
        "active": price.active,
    }


def product_out(product: Product, *, include_prices: bool = True) -> dict[str, Any]:
    """The wire form of a product."""
    default = product.default_price
    return {
        "id": product.id,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "images": product.images,
        "active": product.active,
        "metadata": product.metadata,
        "prices": [price_out(p) for p in product.prices] if include_prices else [],
        "default_price": (
            {"id": default.id, "unit_amount": default.unit_amount, "currency": default.currency}
            if default
            else None
        ),
        "created_at": iso_or_none(product.created_at),
    }


def subscription_out(sub: Subscription, price: Price | None) -> dict[str, Any]:
    """The wire form of a subscription (``price`` is the item's current price)."""
    item_price = (
        price_out(price)
        if price is not None
        else {
            "id": sub.price_id,
            "product": sub.product_id,
            "unit_amount": 0,
            "currency": "usd",
            "type": "recurring",
            "recurring": None,
            "nickname": None,
            "active": False,
        }
    )
    return {
        "id": sub.id,
        "subscription_id": sub.id,
        "status": sub.status.value,
        "customer": sub.customer_id,
        "current_period_start": unix_or_none(sub.current_period_start),
        "current_period_end": unix_or_none(sub.current_period_end),
        "cancel_at_period_end": sub.cancel_at_period_end,
        "canceled_at": unix_or_none(sub.canceled_at),
        "ended_at": unix_or_none(sub.ended_at),
        "created": unix_or_none(sub.created_at),
        "items": [{"id": sub.item_id, "price": item_price, "quantity": sub.quantity}],
        "metadata": sub.metadata,
    }


def invoice_url(ctx: AppContext, invoice_id: str) -> str:
    """The local invoice page."""
    return f"{ctx.config.base_url}/invoices/{invoice_id}"


def payment_out(ctx: AppContext, payment: Payment) -> dict[str, Any]:
    """The wire form of a charge."""
    return {
        "id": payment.id,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "description": payment.description,
        "created": unix_or_none(payment.created_at),
        "payment_method_type": payment.payment_method_type,
        "card_brand": payment.card_brand,
        "card_last4": payment.card_last4,
        "failure_code": payment.failure_code,
        "invoice_id": payment.invoice_id,
        "invoice_pdf": invoice_url(ctx, payment.invoice_id) if payment.invoice_id else None,
        "checkout_session": payment.checkout_session_id,
        "subscription": payment.subscription_id,
        "metadata": dict(payment.metadata or {}),
    }


def checkout_created_out(ctx: AppContext, session: CheckoutSession) -> dict[str, Any]:
    """``CheckoutSession`` for a freshly created session."""
    url = ctx.payments.checkout.checkout_url(session.id)
    return {
        "session_id": session.id,
        "checkout_url": url,
        "expires_at": iso_or_none(session.expires_at),
        "id": session.id,
        "url": url,
    }


@router.post(
    "/create-checkout-session",
    summary="Create a checkout session for one price",
    response_model=Envelope[CheckoutSessionOut],
)
async def create_checkout_session(
    body: CheckoutSessionIn, request: Request, principal: CurrentPrincipal, ctx: Ctx
) -> Response:
    """Signed-in users. ``mode`` ``payment`` needs a one-time price, ``subscription`` a
    recurring one (400 ``INVALID_PRICE`` otherwise, or for an unknown/archived price). The
    session is payable at ``checkout_url`` for 24 hours. Honours ``Idempotency-Key``."""

    async def op(conn: AsyncConnection) -> Response:
        session = await ctx.payments.checkout.create_for_user(
            principal.application_id,
            principal.user_id,
            price_id=body.price_id,
            mode=body.mode,
            success_url=body.success_url,
            cancel_url=body.cancel_url,
            metadata=body.metadata,
            conn=conn,
        )
        return ok(checkout_created_out(ctx, session))

    return await run_idempotent(
        request, ctx, application_id=principal.application_id, caller=principal.user_id, op=op
    )
