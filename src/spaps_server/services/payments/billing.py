"""Subscriptions, charges and the tier they grant.

Every state change is one method taking the caller's database connection: a charge
(succeeded or failed), a subscription created, renewed, moved to another price or canceled,
and the user's tier following their active subscriptions (``users.tier`` is written in the
same transaction, so profiles, sessions and new access tokens see it together with the
subscription). Time comes only from the injected :class:`Clock`.

Periods are settled lazily: whenever a user's subscriptions are read or changed, ended
periods are renewed (a new charge and invoice per period) or, with ``cancel_at_period_end``,
the subscription ends.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ...domain.clock import Clock
from ...domain.error_codes import ErrorCode
from ...domain.errors import InvalidError, NotFoundError
from ...domain.ids import new_id
from ...domain.payments import (
    TIER_GRANTING_STATUSES,
    Customer,
    LineItem,
    Payment,
    PriceType,
    Subscription,
    SubscriptionStatus,
)
from ...domain.webhooks import EventType
from ...storage.database import Database
from ...storage.payments import PaymentsRepository, SubscriptionsRepository
from ...storage.users import UsersRepository
from ..metrics import MetricsRegistry
from .catalog import MAX_PAGE_SIZE, CatalogService
from .events import PaymentEvents

# Renewals settled in one go at most (a clock moved years ahead must not loop for ever).
_MAX_RENEWALS = 120


def add_interval(start: datetime, interval: str, count: int) -> datetime:
    """``start`` plus ``count`` intervals; months and years keep the day of month, clamped
    to the month's last day (Jan 31 + 1 month = Feb 28/29), as Stripe bills."""
    if interval == "day":
        return start + timedelta(days=count)
    if interval == "week":
        return start + timedelta(weeks=count)
    months = count * (12 if interval == "year" else 1)
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


@dataclasses.dataclass(frozen=True)
class CardUsed:
    """The card a charge was made with."""

    brand: str
    last4: str


class BillingService:
    """Charges, subscriptions and subscription tiers of each application."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: MetricsRegistry,
        catalog: CatalogService,
        events: PaymentEvents | None = None,
    ) -> None:
        self._db = db
        self.events = events or PaymentEvents(None)
        self._clock = clock
        self._catalog = catalog
        self.subscriptions = SubscriptionsRepository(db)
        self.payments = PaymentsRepository(db)
        self._users = UsersRepository(db)
        self._changes = metrics.counter(
            "spaps_subscription_changes_total",
            "Subscriptions created, renewed, updated, set to cancel, canceled",
            ("action",),
        )
        self._charges = metrics.counter(
            "spaps_payment_charges_total", "Card charges by outcome", ("outcome",)
        )

    # --- charges ----------------------------------------------------------------------

    async def record_charge(
        self,
        conn: AsyncConnection,
        *,
        application_id: str,
        user_id: str | None,
        customer_email: str | None,
        amount: int,
        currency: str,
        description: str,
        card: CardUsed | None,
        failure_code: str | None = None,
        checkout_session_id: str | None = None,
        subscription_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        payment_id: str | None = None,
        invoice_id: str | None = None,
        at: datetime | None = None,
    ) -> Payment:
        """Record a charge: ``succeeded`` with an invoice, or ``failed`` with
        ``failure_code`` (Stripe's decline code)."""
        succeeded = failure_code is None
        payment = Payment(
            id=payment_id or new_id("pi"),
            application_id=application_id,
            user_id=user_id,
            customer_email=customer_email,
            amount=amount,
            currency=currency,
            status="succeeded" if succeeded else "failed",
            description=description,
            payment_method_type="card",
            card_brand=card.brand if card else None,
            card_last4=card.last4 if card else None,
            failure_code=failure_code,
            invoice_id=(invoice_id or new_id("in")) if succeeded else None,
            checkout_session_id=checkout_session_id,
            subscription_id=subscription_id,
            metadata=dict(metadata or {}),
            created_at=at or self._clock.now(),
        )
        await self.payments.insert(payment, conn=conn)
        await self.events.charge(conn, payment)
        self._charges.inc(outcome=payment.status)
        return payment

    async def list_payments(
        self,
        application_id: str,
        user_id: str,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        status: str | None = None,
    ) -> tuple[list[Payment], bool, int]:
        """The user's charges newest first, whether more follow, and the matching total."""
        size = _page_size(limit)
        await self.settle(application_id, user_id)
        return await self.payments.page(
            application_id,
            user_id=user_id,
            status=status or None,
            limit=size,
            starting_after=starting_after or None,
            ending_before=ending_before or None,
        )

    async def get_payment(self, application_id: str, user_id: str, payment_id: str) -> Payment:
        """One of the user's charges, or 404 ``PAYMENT_NOT_FOUND``."""
        payment = await self.payments.get(application_id, payment_id)
        if payment is None or payment.user_id != user_id:
            raise NotFoundError(f"Payment {payment_id} not found", code=ErrorCode.PAYMENT_NOT_FOUND)
        return payment

    # --- customers and tiers ----------------------------------------------------------

    async def ensure_customer(
        self, conn: AsyncConnection, application_id: str, user_id: str
    ) -> Customer:
        """The user's billing record, created (remembering their current tier) if absent."""
        customer = await self.subscriptions.get_customer(application_id, user_id, conn=conn)
        if customer is not None:
            return customer
        user = await self._users.get(application_id, user_id, conn=conn)
        if user is None:
            raise NotFoundError("User not found", code=ErrorCode.NOT_FOUND)
        customer = Customer(
            id=new_id("cus"),
            application_id=application_id,
            user_id=user_id,
            base_tier=user.tier,
            created_at=self._clock.now(),
        )
        await self.subscriptions.insert_customer(customer, conn=conn)
        return customer

    async def sync_tier(self, conn: AsyncConnection, application_id: str, user_id: str) -> str:
        """Set ``users.tier`` to the tier of the user's newest tier-granting active
        subscription, or back to the tier they had before subscribing; returns it."""
        customer = await self.ensure_customer(conn, application_id, user_id)
        subs, _ = await self.subscriptions.page(
            application_id, user_id=user_id, limit=None, conn=conn
        )
        tier = customer.base_tier
        for sub in subs:
            if sub.status.value not in TIER_GRANTING_STATUSES:
                continue
            product = await self._catalog.repository.get_product(
                application_id, sub.product_id, conn=conn
            )
            if product is not None and product.tier:
                tier = product.tier
                break
        user = await self._users.get(application_id, user_id, conn=conn)
        if user is not None and user.tier != tier:
            await self._users.update(
                application_id, user_id, {"tier": tier, "updated_at": self._clock.now()}, conn=conn
            )
            await self.events.tier_changed(
                conn,
                application_id=application_id,
                user_id=user_id,
                old_tier=user.tier,
                new_tier=tier,
                base_tier=customer.base_tier,
            )
        return tier

    # --- subscriptions ----------------------------------------------------------------

    async def start_subscription(
        self,
        conn: AsyncConnection,
        *,
        application_id: str,
        user_id: str | None,
        customer_email: str | None,
        item: LineItem,
        checkout_session_id: str | None,
        metadata: Mapping[str, Any] | None = None,
        subscription_id: str | None = None,
    ) -> Subscription:
        """Create an active subscription to ``item``'s price starting now (the first
        invoice is the caller's charge) and let the user's tier follow it."""
        if item.interval is None:
            raise InvalidError(
                "A subscription needs a recurring price", code=ErrorCode.INVALID_PRICE
            )
        now = self._clock.now()
        customer = await self.ensure_customer(conn, application_id, user_id) if user_id else None
        sub = Subscription(
            id=subscription_id or new_id("sub"),
            application_id=application_id,
            user_id=user_id,
            customer_email=customer_email,
            customer_id=customer.id if customer else None,
            item_id=new_id("si"),
            price_id=item.price_id,
            product_id=item.product_id,
            quantity=item.quantity,
            status=SubscriptionStatus.ACTIVE,
            current_period_start=now,
            current_period_end=add_interval(now, item.interval, item.interval_count),
            cancel_at_period_end=False,
            canceled_at=None,
            ended_at=None,
            checkout_session_id=checkout_session_id,
            metadata=dict(metadata or {}),
            created_at=now,
            updated_at=now,
        )
        await self.subscriptions.insert(sub, conn=conn)
        await self.events.subscription(conn, EventType.CUSTOMER_SUBSCRIPTION_CREATED, sub)
        if user_id:
            await self.sync_tier(conn, application_id, user_id)
        self._changes.inc(action="created")
        return sub

    async def attach_user(
        self, conn: AsyncConnection, application_id: str, subscription_id: str, user_id: str
    ) -> None:
        """Give a guest's subscription to the account its checkout was converted to."""
        customer = await self.ensure_customer(conn, application_id, user_id)
        await self.subscriptions.update(
            subscription_id, {"user_id": user_id, "customer_id": customer.id}, conn=conn
        )
        await self.sync_tier(conn, application_id, user_id)

    async def settle(
        self, application_id: str, user_id: str, *, conn: AsyncConnection | None = None
    ) -> None:
        """Renew or end the user's subscriptions whose period is over (nothing is written
        when none is due)."""
        now = self._clock.now()
        if not await self.subscriptions.due_for_renewal(application_id, user_id, now, conn=conn):
            return
        async with self._db.use(conn) as c:
            for sub_id in await self.subscriptions.due_for_renewal(
                application_id, user_id, now, conn=c
            ):
                await self._settle_one(c, application_id, sub_id, now)
            await self.sync_tier(c, application_id, user_id)

    async def _settle_one(
        self, conn: AsyncConnection, application_id: str, subscription_id: str, now: datetime
    ) -> None:
        sub = await self.subscriptions.get(
            application_id, subscription_id, for_update=True, conn=conn
        )
        if sub is None or sub.status is not SubscriptionStatus.ACTIVE:
            return
        price = await self._catalog.repository.get_price(application_id, sub.price_id, conn=conn)
        start, end = sub.current_period_start, sub.current_period_end
        for _ in range(_MAX_RENEWALS):
            if end > now:
                break
            if sub.cancel_at_period_end or price is None or price.type is not PriceType.RECURRING:
                ended = dataclasses.replace(
                    sub,
                    status=SubscriptionStatus.CANCELED,
                    ended_at=end,
                    canceled_at=sub.canceled_at or end,
                    updated_at=now,
                )
                await self.subscriptions.update(
                    sub.id,
                    {
                        "status": ended.status.value,
                        "ended_at": ended.ended_at,
                        "canceled_at": ended.canceled_at,
                        "updated_at": now,
                    },
                    conn=conn,
                )
                await self.events.subscription(conn, EventType.CUSTOMER_SUBSCRIPTION_DELETED, ended)
                self._changes.inc(action="canceled")
                return
            start, end = end, add_interval(end, price.interval or "month", price.interval_count)
            await self.record_charge(
                conn,
                application_id=application_id,
                user_id=sub.user_id,
                customer_email=sub.customer_email,
                amount=price.unit_amount * sub.quantity,
                currency=price.currency,
                description=f"Subscription renewal ({price.nickname or price.id})",
                card=None,
                subscription_id=sub.id,
                at=start,
            )
            self._changes.inc(action="renewed")
        await self.subscriptions.update(
            sub.id,
            {"current_period_start": start, "current_period_end": end, "updated_at": now},
            conn=conn,
        )
        renewed = dataclasses.replace(
            sub, current_period_start=start, current_period_end=end, updated_at=now
        )
        await self.events.subscription(conn, EventType.CUSTOMER_SUBSCRIPTION_UPDATED, renewed)

    async def list_subscriptions(
        self,
        application_id: str,
        user_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
    ) -> tuple[list[Subscription], bool]:
        """The user's subscriptions, newest first, optionally of one status."""
        size = _page_size(limit)
        await self.settle(application_id, user_id)
        return await self.subscriptions.page(
            application_id,
            user_id=user_id,
            status=status or None,
            limit=size,
            starting_after=starting_after or None,
        )

    async def get_subscription(
        self, application_id: str, user_id: str, subscription_id: str
    ) -> Subscription:
        """One of the user's subscriptions, or 404 ``SUBSCRIPTION_NOT_FOUND``."""
        await self.settle(application_id, user_id)
        return await self._own(application_id, user_id, subscription_id)

    async def _own(
        self,
        application_id: str,
        user_id: str,
        subscription_id: str,
        *,
        conn: AsyncConnection | None = None,
    ) -> Subscription:
        sub = await self.subscriptions.get(
            application_id, subscription_id, for_update=conn is not None, conn=conn
        )
        if sub is None or sub.user_id != user_id:
            raise NotFoundError(
                f"Subscription {subscription_id} not found", code=ErrorCode.SUBSCRIPTION_NOT_FOUND
            )
        return sub

    async def update_price(
        self,
        application_id: str,
        user_id: str,
        subscription_id: str,
        price_id: str,
        *,
        conn: AsyncConnection | None = None,
    ) -> Subscription:
        """Move an active subscription to another recurring price at once (no proration;
        the current period is kept). 400 ``SUBSCRIPTION_UPDATE_ERROR`` for a canceled
        subscription, ``INVALID_PRICE`` for an unknown or one-time price."""
        async with self._db.use(conn) as c:
            await self.settle(application_id, user_id, conn=c)
            sub = await self._own(application_id, user_id, subscription_id, conn=c)
            if sub.status is not SubscriptionStatus.ACTIVE:
                raise InvalidError(
                    "A canceled subscription cannot be updated",
                    code=ErrorCode.SUBSCRIPTION_UPDATE_ERROR,
                )
            price, product = await self._catalog.get_price(application_id, price_id, conn=c)
            if price.type is not PriceType.RECURRING:
                raise InvalidError(
                    f"The price {price_id} is not recurring", code=ErrorCode.INVALID_PRICE
                )
            await self.subscriptions.update(
                sub.id,
                {"price_id": price.id, "product_id": product.id, "updated_at": self._clock.now()},
                conn=c,
            )
            await self.sync_tier(c, application_id, user_id)
            updated = await self._own(application_id, user_id, subscription_id, conn=c)
            await self.events.subscription(c, EventType.CUSTOMER_SUBSCRIPTION_UPDATED, updated)
        self._changes.inc(action="updated")
        return updated

    async def cancel(
        self,
        application_id: str,
        user_id: str,
        subscription_id: str,
        *,
        immediately: bool,
        conn: AsyncConnection | None = None,
    ) -> Subscription:
        """Cancel now (status ``canceled``, the tier follows at once) or at period end
        (``cancel_at_period_end``; it stays active until then). 400
        ``INVALID_SUBSCRIPTION`` when it is already canceled."""
        now = self._clock.now()
        async with self._db.use(conn) as c:
            await self.settle(application_id, user_id, conn=c)
            sub = await self._own(application_id, user_id, subscription_id, conn=c)
            if sub.status is SubscriptionStatus.CANCELED:
                raise InvalidError(
                    f"Subscription {subscription_id} is already canceled",
                    code=ErrorCode.INVALID_SUBSCRIPTION,
                )
            if immediately:
                values: dict[str, Any] = {
                    "status": SubscriptionStatus.CANCELED.value,
                    "canceled_at": now,
                    "ended_at": now,
                    "updated_at": now,
                }
            else:
                values = {"cancel_at_period_end": True, "canceled_at": now, "updated_at": now}
            await self.subscriptions.update(sub.id, values, conn=c)
            await self.sync_tier(c, application_id, user_id)
            updated = await self._own(application_id, user_id, subscription_id, conn=c)
            await self.events.subscription(
                c,
                EventType.CUSTOMER_SUBSCRIPTION_DELETED
                if immediately
                else EventType.CUSTOMER_SUBSCRIPTION_UPDATED,
                updated,
            )
        self._changes.inc(action="canceled" if immediately else "cancel_at_period_end")
        return updated


def _page_size(limit: int | None) -> int:
    if limit is None:
        return 10
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidError(
            f"limit must be between 1 and {MAX_PAGE_SIZE}", code=ErrorCode.VALIDATION_ERROR
        )
    return limit
