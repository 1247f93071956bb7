"""``/api/stripe`` (protocol §3.4, endpoints #23-#37): subscriptions, checkout sessions,
guest checkout (API key only), payment history and the product catalogue.

Everything a user sees is their own: another user's subscription, session or charge is 404.
Mutating routes honour ``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from ..context import AppContext
from ..domain.clock import iso_or_none, unix_or_none
from ..domain.payments import CheckoutSession, Subscription
from ..http.deps import Ctx, CurrentApplication, CurrentPrincipal
from ..http.envelopes import Envelope, EnvelopeJSONResponse, ok
from ..services.auth_common import ClientInfo
from .payments import (
    PaymentOut,
    ProductOut,
    SubscriptionOut,
    payment_out,
    product_out,
    run_idempotent,
    subscription_out,
)

router = APIRouter(prefix="/api/stripe", tags=["stripe"])

Limit = Annotated[int | None, Query(ge=1, le=100, description="Page size (default 10)")]
Cursor = Annotated[str | None, Query(max_length=64, description="The last id of the previous page")]


# --- wire shapes -------------------------------------------------------------------------


class SubscriptionListOut(BaseModel):
    subscriptions: list[SubscriptionOut]
    has_more: bool


class CancelIn(BaseModel):
    """``{}`` cancels at period end; ``{"immediately": true}`` at once."""

    immediately: bool | None = None


class UpdateIn(BaseModel):
    price_id: str


class CheckoutDetailsOut(BaseModel):
    """``CheckoutSessionDetails`` (dates in unix seconds)."""

    id: str
    object: str = "checkout.session"
    mode: str
    status: str
    payment_status: str
    customer_email: str | None = None
    amount_total: int
    currency: str
    success_url: str
    cancel_url: str
    url: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, Any]
    payment_intent: str | None = None
    subscription: str | None = None
    created_at: int
    expires_at: int


class CheckoutSummaryOut(BaseModel):
    id: str
    status: str
    payment_status: str
    currency: str
    amount_total: int
    created_at: int
    expires_at: int


class CheckoutListOut(BaseModel):
    sessions: list[CheckoutSummaryOut]
    has_more: bool
    next_cursor: str | None = None


class ExpireOut(BaseModel):
    id: str
    status: str
    expired: bool


class LineItemIn(BaseModel):
    price_id: str | None = None
    price: str | None = None
    quantity: int = 1


class GuestCheckoutIn(BaseModel):
    customer_email: str
    mode: str
    line_items: list[LineItemIn]
    success_url: str
    cancel_url: str
    metadata: dict[str, Any] | None = None
    client_reference_id: str | None = None
    payment_intent_data: dict[str, Any] | None = None
    subscription_data: dict[str, Any] | None = None
    allow_promotion_codes: bool | None = None
    locale: str | None = None


class GuestCheckoutOut(BaseModel):
    """``GuestCheckoutSession``: camelCase, as the hosted service answers."""

    id: str
    url: str
    expiresAt: int
    customerEmail: str | None = None
    clientReferenceId: str | None = None
    successUrl: str
    cancelUrl: str


class GuestSummaryOut(BaseModel):
    """A guest session in a list: dates are ISO strings."""

    session_id: str
    status: str
    payment_status: str
    customer_email: str | None = None
    currency: str
    amount_total: int
    created_at: str
    expires_at: str


class GuestListOut(BaseModel):
    sessions: list[GuestSummaryOut]
    has_more: bool


class ConvertIn(BaseModel):
    session_id: str
    email: str
    password: str | None = Field(default=None, repr=False)
    send_magic_link: bool | None = None
    redirect_url: str | None = Field(default=None, max_length=2048)


class ConvertOut(BaseModel):
    success: bool
    userId: str
    message: str
    magicLinkSent: bool
    accountCreated: bool


class HistoryOut(BaseModel):
    payments: list[PaymentOut]
    has_more: bool
    total_count: int


class PaymentDetailOut(BaseModel):
    payment: PaymentOut


class ProductListOut(BaseModel):
    products: list[ProductOut]
    total: int
    has_more: bool


# --- presentation ------------------------------------------------------------------------


def _details(ctx: AppContext, s: CheckoutSession) -> dict[str, Any]:
    return {
        "id": s.id,
        "object": "checkout.session",
        "mode": s.mode.value,
        "status": s.status.value,
        "payment_status": s.payment_status,
        "customer_email": s.customer_email,
        "amount_total": s.amount_total,
        "currency": s.currency,
        "success_url": s.success_url,
        "cancel_url": s.cancel_url,
        "url": ctx.payments.checkout.checkout_url(s.id) if s.status.value == "open" else None,
        "client_reference_id": s.client_reference_id,
        "metadata": s.metadata,
        "payment_intent": s.payment_intent_id,
        "subscription": s.subscription_id,
        "created_at": unix_or_none(s.created_at),
        "expires_at": unix_or_none(s.expires_at),
    }


def _summary(s: CheckoutSession) -> dict[str, Any]:
    return {
        "id": s.id,
        "status": s.status.value,
        "payment_status": s.payment_status,
        "currency": s.currency,
        "amount_total": s.amount_total,
        "created_at": unix_or_none(s.created_at),
        "expires_at": unix_or_none(s.expires_at),
    }


async def _subscription(
    ctx: AppContext, sub: Subscription, *, conn: AsyncConnection | None = None
) -> dict[str, Any]:
    # Inside an idempotent operation ``conn`` is its transaction: joined, never a second
    # pooled connection while the idempotency row is locked.
    price = await ctx.payments.catalog.repository.get_price(
        sub.application_id, sub.price_id, conn=conn
    )
    return subscription_out(sub, price)


# --- subscriptions -----------------------------------------------------------------------


@router.get(
    "/subscription/{subscription_id}",
    summary="One subscription",
    response_model=Envelope[SubscriptionOut],
)
async def get_subscription(
    subscription_id: str, principal: CurrentPrincipal, ctx: Ctx
) -> EnvelopeJSONResponse:
    """The user's subscription with its item and price; 404 ``SUBSCRIPTION_NOT_FOUND``."""
    sub = await ctx.payments.billing.get_subscription(
        principal.application_id, principal.user_id, subscription_id
    )
    return ok(await _subscription(ctx, sub))


@router.get(
    "/subscriptions",
    summary="The user's subscriptions",
    response_model=Envelope[SubscriptionListOut],
)
async def list_subscriptions(
    principal: CurrentPrincipal,
    ctx: Ctx,
    status: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = None,
    starting_after: Cursor = None,
) -> EnvelopeJSONResponse:
    """Newest first, optionally of one ``status`` (``active``, ``canceled``)."""
    subs, more = await ctx.payments.billing.list_subscriptions(
        principal.application_id,
        principal.user_id,
        status=status,
        limit=limit,
        starting_after=starting_after,
    )
    return ok({"subscriptions": [await _subscription(ctx, s) for s in subs], "has_more": more})


@router.post(
    "/subscription/{subscription_id}/cancel",
    summary="Cancel a subscription",
    response_model=Envelope[SubscriptionOut],
)
async def cancel_subscription(
    subscription_id: str,
    body: CancelIn,
    request: Request,
    principal: CurrentPrincipal,
    ctx: Ctx,
) -> Response:
    """At period end by default (``cancel_at_period_end`` true, still active), or at once
    with ``immediately``; the user's tier follows. 400 ``INVALID_SUBSCRIPTION`` if it is
    already canceled."""

    async def op(conn: AsyncConnection) -> Response:
        sub = await ctx.payments.billing.cancel(
            principal.application_id,
            principal.user_id,
            subscription_id,
            immediately=bool(body.immediately),
            conn=conn,
        )
        return ok(await _subscription(ctx, sub, conn=conn))

    return await run_idempotent(
        request, ctx, application_id=principal.application_id, caller=principal.user_id, op=op
    )


@router.post(
    "/subscription/{subscription_id}/update",
    summary="Move a subscription to another price",
    response_model=Envelope[SubscriptionOut],
)
async def update_subscription(
    subscription_id: str,
    body: UpdateIn,
    request: Request,
    principal: CurrentPrincipal,
    ctx: Ctx,
) -> Response:
    """The new recurring price applies at once (no proration); the tier follows its
    product. 400 ``INVALID_PRICE`` or ``SUBSCRIPTION_UPDATE_ERROR``."""

    async def op(conn: AsyncConnection) -> Response:
        sub = await ctx.payments.billing.update_price(
            principal.application_id, principal.user_id, subscription_id, body.price_id, conn=conn
        )
        return ok(await _subscription(ctx, sub, conn=conn))

    return await run_idempotent(
        request, ctx, application_id=principal.application_id, caller=principal.user_id, op=op
    )


# --- checkout sessions -------------------------------------------------------------------


@router.get(
    "/checkout-sessions/{session_id}",
    summary="One checkout session",
    response_model=Envelope[CheckoutDetailsOut],
)
async def get_checkout_session(
    session_id: str, principal: CurrentPrincipal, ctx: Ctx
) -> EnvelopeJSONResponse:
    """The user's session; 404 ``CHECKOUT_SESSION_NOT_FOUND``."""
    session = await ctx.payments.checkout.get(
        principal.application_id, session_id, user_id=principal.user_id, guest=False
    )
    return ok(_details(ctx, session))


@router.get(
    "/checkout-sessions",
    summary="The user's checkout sessions",
    response_model=Envelope[CheckoutListOut],
)
async def list_checkout_sessions(
    principal: CurrentPrincipal, ctx: Ctx, limit: Limit = None, starting_after: Cursor = None
) -> EnvelopeJSONResponse:
    """Newest first; ``next_cursor`` is the ``starting_after`` of the next page."""
    sessions, more = await ctx.payments.checkout.list_sessions(
        principal.application_id,
        user_id=principal.user_id,
        guest=False,
        limit=limit,
        starting_after=starting_after,
    )
    return ok(
        {
            "sessions": [_summary(s) for s in sessions],
            "has_more": more,
            "next_cursor": sessions[-1].id if more and sessions else None,
        }
    )


@router.post(
    "/checkout-sessions/{session_id}/expire",
    summary="Expire an open checkout session",
    response_model=Envelope[ExpireOut],
)
async def expire_checkout_session(
    session_id: str, request: Request, principal: CurrentPrincipal, ctx: Ctx
) -> Response:
    """The session can no longer be paid. 400 ``CHECKOUT_SESSION_COMPLETE`` once paid."""

    async def op(conn: AsyncConnection) -> Response:
        session = await ctx.payments.checkout.expire(
            principal.application_id, session_id, user_id=principal.user_id, conn=conn
        )
        return ok({"id": session.id, "status": session.status.value, "expired": True})

    return await run_idempotent(
        request, ctx, application_id=principal.application_id, caller=principal.user_id, op=op
    )


# --- guest checkout (API key only) -------------------------------------------------------


@router.post(
    "/guest-checkout-sessions",
    summary="Create a guest checkout session",
    response_model=Envelope[GuestCheckoutOut],
)
async def create_guest_checkout_session(
    body: GuestCheckoutIn, request: Request, app: CurrentApplication, ctx: Ctx
) -> Response:
    """API key only; answers camelCase. Honours ``Idempotency-Key`` (scoped to the
    application's guests)."""

    async def op(conn: AsyncConnection) -> Response:
        session = await ctx.payments.checkout.create(
            app.id,
            user_id=None,
            customer_email=body.customer_email,
            mode=body.mode,
            line_items=[item.model_dump(exclude_none=True) for item in body.line_items],
            success_url=body.success_url,
            cancel_url=body.cancel_url,
            metadata={**(body.metadata or {}), "is_guest": "true"},
            client_reference_id=body.client_reference_id,
            conn=conn,
        )
        return ok(
            {
                "id": session.id,
                "url": ctx.payments.checkout.checkout_url(session.id),
                "expiresAt": unix_or_none(session.expires_at),
                "customerEmail": session.customer_email,
                "clientReferenceId": session.client_reference_id,
                "successUrl": session.success_url,
                "cancelUrl": session.cancel_url,
            }
        )

    return await run_idempotent(request, ctx, application_id=app.id, caller="guest", op=op)


@router.post(
    "/guest-checkout-sessions/convert",
    summary="Link a paid guest checkout to an account",
    response_model=Envelope[ConvertOut],
)
async def convert_guest_checkout_session(
    body: ConvertIn, request: Request, app: CurrentApplication, ctx: Ctx
) -> Response:
    """API key only. The account of ``email`` (the checkout's) gets the charge and any
    subscription; a new account is created with ``password``, or for a magic link with
    ``send_magic_link`` (to ``redirect_url`` when given: one of the application's redirect
    origins, else 400 ``INVALID_REDIRECT_URL`` before anything changes). 400
    ``CHECKOUT_NOT_PAID`` before payment."""
    result = await ctx.payments.checkout.convert_guest(
        app.id,
        session_id=body.session_id,
        email=body.email,
        password=body.password,
        send_magic_link=body.send_magic_link,
        redirect_url=body.redirect_url,
        client=ClientInfo(
            ip_address=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        ),
    )
    return ok(
        {
            "success": True,
            "userId": result.user_id,
            "message": result.message,
            "magicLinkSent": result.magic_link_sent,
            "accountCreated": result.created,
        }
    )


@router.get(
    "/guest-checkout-sessions/{session_id}",
    summary="One guest checkout session",
    response_model=Envelope[CheckoutDetailsOut],
)
async def get_guest_checkout_session(
    session_id: str, app: CurrentApplication, ctx: Ctx
) -> EnvelopeJSONResponse:
    """API key only; 404 ``CHECKOUT_SESSION_NOT_FOUND`` (also for a signed-in user's)."""
    session = await ctx.payments.checkout.get(app.id, session_id, user_id=None, guest=True)
    return ok(_details(ctx, session))


@router.get(
    "/guest-checkout-sessions",
    summary="Guest checkout sessions",
    response_model=Envelope[GuestListOut],
)
async def list_guest_checkout_sessions(
    app: CurrentApplication,
    ctx: Ctx,
    limit: Limit = None,
    starting_after: Cursor = None,
    customer_email: Annotated[str | None, Query(max_length=320)] = None,
) -> EnvelopeJSONResponse:
    """API key only; newest first, optionally of one e-mail. Dates are ISO strings."""
    sessions, more = await ctx.payments.checkout.list_sessions(
        app.id,
        user_id=None,
        guest=True,
        customer_email=customer_email,
        limit=limit,
        starting_after=starting_after,
    )
    return ok(
        {
            "sessions": [
                {
                    "session_id": s.id,
                    "status": s.status.value,
                    "payment_status": s.payment_status,
                    "customer_email": s.customer_email,
                    "currency": s.currency,
                    "amount_total": s.amount_total,
                    "created_at": iso_or_none(s.created_at),
                    "expires_at": iso_or_none(s.expires_at),
                }
                for s in sessions
            ],
            "has_more": more,
        }
    )


# --- payment history ---------------------------------------------------------------------


@router.get("/history", summary="The user's charges", response_model=Envelope[HistoryOut])
async def payment_history(
    principal: CurrentPrincipal,
    ctx: Ctx,
    limit: Limit = None,
    starting_after: Cursor = None,
    ending_before: Cursor = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
) -> EnvelopeJSONResponse:
    """Newest first; ``status`` ``succeeded`` or ``failed``; ``total_count`` counts every
    charge matching the filter."""
    charges, more, total = await ctx.payments.billing.list_payments(
        principal.application_id,
        principal.user_id,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        status=status,
    )
    return ok(
        {
            "payments": [payment_out(ctx, p) for p in charges],
            "has_more": more,
            "total_count": total,
        }
    )


@router.get(
    "/payment/{payment_id}", summary="One charge", response_model=Envelope[PaymentDetailOut]
)
async def payment_detail(
    payment_id: str, principal: CurrentPrincipal, ctx: Ctx
) -> EnvelopeJSONResponse:
    """``data.payment``; 404 ``PAYMENT_NOT_FOUND``."""
    payment = await ctx.payments.billing.get_payment(
        principal.application_id, principal.user_id, payment_id
    )
    return ok({"payment": payment_out(ctx, payment)})


# --- products ----------------------------------------------------------------------------


@router.get("/products", summary="The product catalogue", response_model=Envelope[ProductListOut])
async def list_products(
    principal: CurrentPrincipal,
    ctx: Ctx,
    category: Annotated[str | None, Query(max_length=64)] = None,
    active: bool | None = None,
    limit: Limit = None,
    starting_after: Cursor = None,
    mode: Annotated[str | None, Query(max_length=16)] = None,
) -> EnvelopeJSONResponse:
    """Products with their prices, oldest first. ``mode`` ``payment`` keeps products with a
    one-time price, ``subscription`` those with a recurring one; ``total`` counts every
    match."""
    products, total = await ctx.payments.catalog.list_products(
        principal.application_id,
        category=category,
        active=active,
        limit=limit,
        starting_after=starting_after,
        mode=mode,
    )
    has_more = bool(limit) and len(products) == limit and total > len(products)
    return ok(
        {"products": [product_out(p) for p in products], "total": total, "has_more": has_more}
    )


@router.get("/products/{product_id}", summary="One product", response_model=Envelope[ProductOut])
async def get_product(
    product_id: str, principal: CurrentPrincipal, ctx: Ctx, include_prices: bool = True
) -> EnvelopeJSONResponse:
    """404 ``NOT_FOUND`` for an unknown product."""
    product = await ctx.payments.catalog.get_product(principal.application_id, product_id)
    return ok(product_out(product, include_prices=include_prices))
