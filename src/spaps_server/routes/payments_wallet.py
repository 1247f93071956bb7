"""The legacy ``/api/payments`` balance, payment-intent, payment-method and wallet-deposit
routes (protocol §3.4, endpoints #18-#22). Every mutating route runs through the
idempotency helper (D5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from ..http.deps import Ctx, CurrentPrincipal
from ..http.envelopes import Envelope, EnvelopeJSONResponse, ok
from ..http.idempotency import idempotent

router = APIRouter(prefix="/api/payments", tags=["payments"])


class BalanceAmountsOut(BaseModel):
    """Dollars; the ``*_amount`` strings are the exact values."""

    available: float
    pending: float
    currency: str
    available_amount: str
    pending_amount: str


class UsageSummaryOut(BaseModel):
    current_period_start: str | None = None
    current_period_end: str | None = None
    credits_used: int | None = None
    credits_remaining: int | None = None


class BalanceOut(BaseModel):
    """The contract's ``BalanceOverview``."""

    balance: BalanceAmountsOut
    tier: str | None = None
    usage: UsageSummaryOut


class PaymentIntentIn(BaseModel):
    """``amount`` in the currency's smallest unit (cents for usd)."""

    amount: int
    currency: str = Field(max_length=8)
    payment_method_types: list[str] | None = None
    metadata: dict[str, Any] | None = None


class PaymentErrorOut(BaseModel):
    code: str
    decline_code: str | None = None
    message: str | None = None


class PaymentIntentOut(BaseModel):
    """The contract's ``PaymentIntent`` plus Stripe's usual fields."""

    payment_intent_id: str
    id: str
    client_secret: str
    status: str
    amount: int
    currency: str
    payment_method_types: list[str]
    payment_method: str | None = None
    metadata: dict[str, Any]
    last_payment_error: PaymentErrorOut | None = None
    created_at: str


class PaymentMethodIn(BaseModel):
    payment_method_id: str = Field(min_length=1, max_length=64)
    set_default: bool | None = None


class PaymentMethodOut(BaseModel):
    """The contract's ``PaymentMethodUpdateResult``."""

    message: str
    customer_id: str
    payment_method_id: str
    is_default: bool
    brand: str
    last4: str


class WalletDepositIn(BaseModel):
    wallet_address: str = Field(max_length=128)
    chain_type: str = Field(max_length=32)
    transaction_id: str = Field(max_length=128)
    amount: float
    currency: str = Field(max_length=16)
    tier: str | None = Field(default=None, max_length=64)


class WalletDepositOut(BaseModel):
    """The contract's ``WalletDeposit`` and ``WalletTransaction`` fields together."""

    deposit_id: str
    transaction_id: str
    status: str
    wallet_address: str
    chain_type: str
    amount: float
    currency: str
    tier: str | None = None
    confirmation_required: int
    confirmation_current: int
    confirmations: int
    balance_added: float | None = None
    created_at: str
    completed_at: str | None = None


@router.get("/balance", summary="The user's balance", response_model=Envelope[BalanceOut])
async def get_balance(principal: CurrentPrincipal, ctx: Ctx) -> EnvelopeJSONResponse:
    """Credited dollars (confirmed deposits, succeeded usd payment intents) and dollars
    pending on unconfirmed deposits, with the tier and the current usage period."""
    balance, usage = await ctx.wallet_payments.balance(principal.application_id, principal.user_id)
    return ok({"balance": balance.to_json(), "tier": principal.tier, "usage": usage})


@router.post(
    "/create-payment-intent",
    summary="Create a payment intent",
    response_model=Envelope[PaymentIntentOut],
)
async def create_payment_intent(
    body: PaymentIntentIn, request: Request, principal: CurrentPrincipal, ctx: Ctx
) -> Response:
    """A ``requires_confirmation`` intent; confirm it with a test card on
    ``POST /_dev/payment-intents/{id}/confirm``. 400 ``INVALID_AMOUNT``,
    ``UNSUPPORTED_CURRENCY``, ``UNSUPPORTED_PAYMENT_METHOD_TYPE``."""

    async def operation(conn: AsyncConnection) -> Response:
        intent = await ctx.wallet_payments.create_intent(
            application_id=principal.application_id,
            user_id=principal.user_id,
            amount=body.amount,
            currency=body.currency,
            payment_method_types=body.payment_method_types,
            metadata=body.metadata,
            conn=conn,
        )
        return ok(intent.to_json())

    return await idempotent(
        request,
        ctx,
        application_id=principal.application_id,
        caller=principal.user_id,
        operation=operation,
    )


@router.post(
    "/update-payment-method",
    summary="Set the default payment method",
    response_model=Envelope[PaymentMethodOut],
)
async def update_payment_method(
    body: PaymentMethodIn, request: Request, principal: CurrentPrincipal, ctx: Ctx
) -> Response:
    """Known ids: cards of the user's succeeded intents and ``pm_card_visa``,
    ``pm_card_visa_debit``, ``pm_card_mastercard``, ``pm_card_amex``; 404
    ``PAYMENT_METHOD_NOT_FOUND`` for any other."""

    async def operation(conn: AsyncConnection) -> Response:
        result = await ctx.wallet_payments.update_payment_method(
            application_id=principal.application_id,
            user_id=principal.user_id,
            payment_method_id=body.payment_method_id,
            set_default=body.set_default,
            conn=conn,
        )
        return ok(result)

    return await idempotent(
        request,
        ctx,
        application_id=principal.application_id,
        caller=principal.user_id,
        operation=operation,
    )


@router.post(
    "/wallet-deposit", summary="Record a wallet deposit", response_model=Envelope[WalletDepositOut]
)
async def wallet_deposit(
    body: WalletDepositIn, request: Request, principal: CurrentPrincipal, ctx: Ctx
) -> Response:
    """A ``pending`` deposit that gains one confirmation per block time (ethereum 12 s,
    base and polygon 2 s, solana 0.4 s) until ``confirmation_required`` (12, 12, 128, 32),
    when the balance is credited. 422 ``INVALID_TRANSACTION``; 409
    ``TRANSACTION_ALREADY_RECORDED``."""

    async def operation(conn: AsyncConnection) -> Response:
        deposit = await ctx.wallet_payments.create_deposit(
            application_id=principal.application_id,
            user_id=principal.user_id,
            wallet_address=body.wallet_address,
            chain_type=body.chain_type,
            transaction_id=body.transaction_id,
            amount=body.amount,
            currency=body.currency,
            tier=body.tier,
            conn=conn,
        )
        return ok(deposit.to_json(ctx.clock.now()))

    return await idempotent(
        request,
        ctx,
        application_id=principal.application_id,
        caller=principal.user_id,
        operation=operation,
    )


@router.get(
    "/wallet-transaction/{transaction_id}",
    summary="A wallet deposit's progress",
    response_model=Envelope[WalletDepositOut],
)
async def get_wallet_transaction(
    transaction_id: str, principal: CurrentPrincipal, ctx: Ctx
) -> EnvelopeJSONResponse:
    """By chain transaction id (or ``dep_...`` id); 404 ``TRANSACTION_NOT_FOUND``."""
    deposit = await ctx.wallet_payments.get_transaction(
        principal.application_id, principal.user_id, transaction_id
    )
    return ok(deposit.to_json(ctx.clock.now()))
