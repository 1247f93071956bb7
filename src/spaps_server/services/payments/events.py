"""The payments simulator's webhook events, written in the transaction of the change.

Each ``data`` carries the changed object under ``object`` in a Stripe-like shape (``object``
names its kind; times are unix seconds), so a receiver written for Stripe's events reads the
familiar fields. Entitlement events carry the tier a user holds under ``entitlement``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ...domain.clock import unix_or_none
from ...domain.payments import CheckoutSession, Payment, Subscription
from ...domain.webhooks import EventType
from ..events import EventEmitter


def checkout_object(session: CheckoutSession) -> dict[str, Any]:
    """A checkout session as an event object."""
    return {
        "id": session.id,
        "object": "checkout.session",
        "mode": session.mode.value,
        "status": session.status.value,
        "payment_status": session.payment_status,
        "amount_total": session.amount_total,
        "currency": session.currency,
        "customer_email": session.customer_email,
        "client_reference_id": session.client_reference_id,
        "user_id": session.user_id,
        "payment_intent": session.payment_intent_id,
        "subscription": session.subscription_id,
        "line_items": [
            {"price_id": item.price_id, "product_id": item.product_id, "quantity": item.quantity}
            for item in session.line_items
        ],
        "metadata": dict(session.metadata),
        "created": unix_or_none(session.created_at),
        "expires_at": unix_or_none(session.expires_at),
    }


def subscription_object(sub: Subscription) -> dict[str, Any]:
    """A subscription as an event object."""
    return {
        "id": sub.id,
        "object": "subscription",
        "status": sub.status.value,
        "customer": sub.customer_id,
        "user_id": sub.user_id,
        "price_id": sub.price_id,
        "product_id": sub.product_id,
        "quantity": sub.quantity,
        "current_period_start": unix_or_none(sub.current_period_start),
        "current_period_end": unix_or_none(sub.current_period_end),
        "cancel_at_period_end": sub.cancel_at_period_end,
        "canceled_at": unix_or_none(sub.canceled_at),
        "ended_at": unix_or_none(sub.ended_at),
        "metadata": dict(sub.metadata),
    }


def payment_object(payment: Payment) -> dict[str, Any]:
    """A charge as a payment-intent event object."""
    error = {"code": "card_declined", "decline_code": payment.failure_code}
    return {
        "id": payment.id,
        "object": "payment_intent",
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "description": payment.description,
        "user_id": payment.user_id,
        "customer_email": payment.customer_email,
        "invoice": payment.invoice_id,
        "checkout_session": payment.checkout_session_id,
        "subscription": payment.subscription_id,
        "last_payment_error": error if payment.failure_code else None,
        "metadata": dict(payment.metadata),
        "created": unix_or_none(payment.created_at),
    }


def invoice_object(payment: Payment) -> dict[str, Any]:
    """The paid invoice of a successful charge."""
    return {
        "id": payment.invoice_id,
        "object": "invoice",
        "status": "paid",
        "amount_paid": payment.amount,
        "currency": payment.currency,
        "payment_intent": payment.id,
        "subscription": payment.subscription_id,
        "user_id": payment.user_id,
        "customer_email": payment.customer_email,
        "created": unix_or_none(payment.created_at),
    }


class PaymentEvents:
    """Emits the payments events through an :class:`EventEmitter` (nothing without one)."""

    def __init__(self, emitter: EventEmitter | None) -> None:
        self._emitter = emitter

    async def _emit(
        self, conn: AsyncConnection, application_id: str, type: EventType, data: dict[str, Any]
    ) -> None:
        if self._emitter is not None:
            await self._emitter.emit(conn=conn, application_id=application_id, type=type, data=data)

    async def checkout(
        self, conn: AsyncConnection, type: EventType, session: CheckoutSession
    ) -> None:
        """``checkout.session.completed`` or ``checkout.session.expired``."""
        await self._emit(conn, session.application_id, type, {"object": checkout_object(session)})

    async def subscription(self, conn: AsyncConnection, type: EventType, sub: Subscription) -> None:
        """``customer.subscription.created``, ``.updated`` or ``.deleted``."""
        await self._emit(conn, sub.application_id, type, {"object": subscription_object(sub)})

    async def charge(self, conn: AsyncConnection, payment: Payment) -> None:
        """``payment_intent.succeeded`` plus ``invoice.paid``, or
        ``payment_intent.payment_failed``."""
        data = {"object": payment_object(payment)}
        if payment.status != "succeeded":
            await self._emit(
                conn, payment.application_id, EventType.PAYMENT_INTENT_PAYMENT_FAILED, data
            )
            return
        await self._emit(conn, payment.application_id, EventType.PAYMENT_INTENT_SUCCEEDED, data)
        if payment.invoice_id:
            await self._emit(
                conn,
                payment.application_id,
                EventType.INVOICE_PAID,
                {"object": invoice_object(payment)},
            )

    async def tier_changed(
        self,
        conn: AsyncConnection,
        *,
        application_id: str,
        user_id: str,
        old_tier: str | None,
        new_tier: str,
        base_tier: str,
    ) -> None:
        """``entitlement.granted`` when a subscription lifts the user to ``new_tier``,
        ``entitlement.updated`` when it moves them between paid tiers, ``entitlement.revoked``
        when they fall back to the tier they had before subscribing."""
        if new_tier == base_tier:
            type, key = EventType.ENTITLEMENT_REVOKED, old_tier
        elif old_tier in (None, base_tier):
            type, key = EventType.ENTITLEMENT_GRANTED, new_tier
        else:
            type, key = EventType.ENTITLEMENT_UPDATED, new_tier
        entitlement = {
            "id": f"ent_{application_id}_{user_id}",
            "user_id": user_id,
            "application_id": application_id,
            "entitlement_key": f"tier:{key}",
            "tier": new_tier,
            "previous_tier": old_tier,
            "status": "revoked" if type is EventType.ENTITLEMENT_REVOKED else "active",
        }
        await self._emit(conn, application_id, type, {"entitlement": entitlement})
