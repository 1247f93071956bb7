"""Repositories of the payments simulator (SQLAlchemy Core, parameterised, SQLite and
PostgreSQL). Every query is scoped by application; every method accepts ``conn=`` to join a
caller's transaction, so that a state change and everything it implies commit together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.payments import (
    CheckoutMode,
    CheckoutSession,
    CheckoutStatus,
    Customer,
    LineItem,
    Payment,
    Price,
    PriceType,
    Product,
    Subscription,
    SubscriptionStatus,
)
from .database import Database
from .tables import checkout_sessions, payment_customers, payments, prices, products, subscriptions

Row = sa.Row[tuple[object, ...]]


def _price(row: Row) -> Price:
    m = row._mapping
    return Price(
        id=m["id"],
        application_id=m["application_id"],
        product_id=m["product_id"],
        unit_amount=int(m["unit_amount"]),
        currency=m["currency"],
        type=PriceType(m["type"]),
        interval=m["interval"],
        interval_count=int(m["interval_count"]),
        nickname=m["nickname"],
        active=bool(m["active"]),
        created_at=m["created_at"],
    )


def _product(row: Row, product_prices: Sequence[Price] = ()) -> Product:
    m = row._mapping
    return Product(
        id=m["id"],
        application_id=m["application_id"],
        name=m["name"],
        description=m["description"],
        category=m["category"],
        active=bool(m["active"]),
        images=list(m["images"] or []),
        metadata=dict(m["metadata"] or {}),
        default_price_id=m["default_price_id"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        prices=tuple(product_prices),
    )


def _session(row: Row) -> CheckoutSession:
    m = row._mapping
    return CheckoutSession(
        id=m["id"],
        application_id=m["application_id"],
        user_id=m["user_id"],
        is_guest=bool(m["is_guest"]),
        customer_email=m["customer_email"],
        mode=CheckoutMode(m["mode"]),
        status=CheckoutStatus(m["status"]),
        payment_status=m["payment_status"],
        currency=m["currency"],
        amount_total=int(m["amount_total"]),
        line_items=tuple(LineItem.from_storage(item) for item in m["line_items"] or []),
        success_url=m["success_url"],
        cancel_url=m["cancel_url"],
        client_reference_id=m["client_reference_id"],
        metadata=dict(m["metadata"] or {}),
        payment_intent_id=m["payment_intent_id"],
        subscription_id=m["subscription_id"],
        pending_authentication=bool(m["pending_authentication"]),
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        completed_at=m["completed_at"],
    )


def _subscription(row: Row) -> Subscription:
    m = row._mapping
    return Subscription(
        id=m["id"],
        application_id=m["application_id"],
        user_id=m["user_id"],
        customer_email=m["customer_email"],
        customer_id=m["customer_id"],
        item_id=m["item_id"],
        price_id=m["price_id"],
        product_id=m["product_id"],
        quantity=int(m["quantity"]),
        status=SubscriptionStatus(m["status"]),
        current_period_start=m["current_period_start"],
        current_period_end=m["current_period_end"],
        cancel_at_period_end=bool(m["cancel_at_period_end"]),
        canceled_at=m["canceled_at"],
        ended_at=m["ended_at"],
        checkout_session_id=m["checkout_session_id"],
        metadata=dict(m["metadata"] or {}),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _payment(row: Row) -> Payment:
    m = row._mapping
    return Payment(
        id=m["id"],
        application_id=m["application_id"],
        user_id=m["user_id"],
        customer_email=m["customer_email"],
        amount=int(m["amount"]),
        currency=m["currency"],
        status=m["status"],
        description=m["description"],
        payment_method_type=m["payment_method_type"],
        card_brand=m["card_brand"],
        card_last4=m["card_last4"],
        failure_code=m["failure_code"],
        invoice_id=m["invoice_id"],
        checkout_session_id=m["checkout_session_id"],
        subscription_id=m["subscription_id"],
        metadata=dict(m["metadata"] or {}),
        created_at=m["created_at"],
    )


def _cursor_after(
    table: sa.Table, application_id: str, cursor_id: str, *, newest_first: bool = True
) -> sa.ColumnElement[bool]:
    """Rows strictly after the row ``cursor_id`` in (created_at, id) order, newest first
    unless told otherwise. A cursor id that does not exist matches nothing."""
    anchor = (
        sa.select(table.c.created_at, table.c.id)
        .where(table.c.application_id == application_id, table.c.id == cursor_id)
        .subquery()
    )
    stamp = sa.select(anchor.c.created_at).scalar_subquery()
    ident = sa.select(anchor.c.id).scalar_subquery()
    if newest_first:
        return sa.or_(
            table.c.created_at < stamp, sa.and_(table.c.created_at == stamp, table.c.id < ident)
        )
    return sa.or_(
        table.c.created_at > stamp, sa.and_(table.c.created_at == stamp, table.c.id > ident)
    )


class CatalogRepository:
    """The ``products`` and ``prices`` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert_product(
        self, product: Product, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store a product and its prices."""
        async with self._db.use(conn) as c:
            await c.execute(
                products.insert().values(
                    id=product.id,
                    application_id=product.application_id,
                    name=product.name,
                    description=product.description,
                    category=product.category,
                    active=product.active,
                    images=list(product.images),
                    metadata=dict(product.metadata),
                    default_price_id=product.default_price_id,
                    created_at=product.created_at,
                    updated_at=product.updated_at,
                )
            )
            for price in product.prices:
                await self.insert_price(price, conn=c)

    async def insert_price(self, price: Price, *, conn: AsyncConnection | None = None) -> None:
        """Store a price of an existing product."""
        async with self._db.use(conn) as c:
            await c.execute(
                prices.insert().values(
                    id=price.id,
                    application_id=price.application_id,
                    product_id=price.product_id,
                    unit_amount=price.unit_amount,
                    currency=price.currency,
                    type=price.type.value,
                    interval=price.interval,
                    interval_count=price.interval_count,
                    nickname=price.nickname,
                    active=price.active,
                    created_at=price.created_at,
                )
            )

    async def _prices_of(
        self, c: AsyncConnection, application_id: str, product_ids: Sequence[str]
    ) -> dict[str, list[Price]]:
        grouped: dict[str, list[Price]] = {pid: [] for pid in product_ids}
        if not product_ids:
            return grouped
        rows = await c.execute(
            sa.select(prices)
            .where(prices.c.application_id == application_id, prices.c.product_id.in_(product_ids))
            .order_by(prices.c.created_at, prices.c.id)
        )
        for row in rows:
            price = _price(row)
            grouped[price.product_id].append(price)
        return grouped

    async def get_product(
        self, application_id: str, product_id: str, *, conn: AsyncConnection | None = None
    ) -> Product | None:
        """A product with its prices."""
        async with self._db.use(conn, write=False) as c:
            row = (
                await c.execute(
                    sa.select(products).where(
                        products.c.application_id == application_id, products.c.id == product_id
                    )
                )
            ).first()
            if row is None:
                return None
            grouped = await self._prices_of(c, application_id, [product_id])
        return _product(row, grouped[product_id])

    async def list_products(
        self,
        application_id: str,
        *,
        category: str | None = None,
        active: bool | None = None,
        price_type: PriceType | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> tuple[list[Product], int]:
        """Products (oldest first, each with its prices) matching the filters, and how many
        match in all. ``price_type`` keeps products having an active price of that type."""
        where: list[sa.ColumnElement[bool]] = [products.c.application_id == application_id]
        if category is not None:
            where.append(products.c.category == category)
        if active is not None:
            where.append(products.c.active == active)
        if price_type is not None:
            where.append(
                sa.exists().where(
                    prices.c.product_id == products.c.id,
                    prices.c.type == price_type.value,
                    prices.c.active.is_(True),
                )
            )
        count = sa.select(sa.func.count()).select_from(products).where(*where)
        page = sa.select(products).where(*where)
        if starting_after:
            page = page.where(
                _cursor_after(products, application_id, starting_after, newest_first=False)
            )
        page = page.order_by(products.c.created_at, products.c.id)
        if limit is not None:
            page = page.limit(limit)
        async with self._db.use(conn, write=False) as c:
            total = int((await c.execute(count)).scalar_one())
            rows = list(await c.execute(page))
            grouped = await self._prices_of(c, application_id, [r._mapping["id"] for r in rows])
        return [_product(r, grouped[r._mapping["id"]]) for r in rows], total

    async def get_price(
        self, application_id: str, price_id: str, *, conn: AsyncConnection | None = None
    ) -> Price | None:
        """One price."""
        async with self._db.use(conn, write=False) as c:
            row = (
                await c.execute(
                    sa.select(prices).where(
                        prices.c.application_id == application_id, prices.c.id == price_id
                    )
                )
            ).first()
        return _price(row) if row else None

    async def set_product_active(
        self,
        application_id: str,
        product_id: str,
        active: bool,
        at: datetime,
        *,
        conn: AsyncConnection | None = None,
    ) -> bool:
        """Archive (``active=False``) or restore a product and its prices; whether it exists."""
        async with self._db.use(conn) as c:
            result = await c.execute(
                products.update()
                .where(products.c.application_id == application_id, products.c.id == product_id)
                .values(active=active, updated_at=at)
            )
            await c.execute(
                prices.update()
                .where(prices.c.application_id == application_id, prices.c.product_id == product_id)
                .values(active=active)
            )
        return bool(result.rowcount)

    async def any_product(
        self, application_id: str, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Whether the application has a product at all."""
        async with self._db.use(conn, write=False) as c:
            row = (
                await c.execute(
                    sa.select(products.c.id).where(products.c.application_id == application_id)
                )
            ).first()
        return row is not None


class CheckoutRepository:
    """The ``checkout_sessions`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(
        self, session: CheckoutSession, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store a new session."""
        async with self._db.use(conn) as c:
            await c.execute(
                checkout_sessions.insert().values(
                    id=session.id,
                    application_id=session.application_id,
                    user_id=session.user_id,
                    is_guest=session.is_guest,
                    customer_email=session.customer_email,
                    mode=session.mode.value,
                    status=session.status.value,
                    payment_status=session.payment_status,
                    currency=session.currency,
                    amount_total=session.amount_total,
                    line_items=[item.to_storage() for item in session.line_items],
                    success_url=session.success_url,
                    cancel_url=session.cancel_url,
                    client_reference_id=session.client_reference_id,
                    metadata=dict(session.metadata),
                    payment_intent_id=session.payment_intent_id,
                    subscription_id=session.subscription_id,
                    pending_authentication=session.pending_authentication,
                    created_at=session.created_at,
                    expires_at=session.expires_at,
                    completed_at=session.completed_at,
                )
            )

    async def get(
        self,
        session_id: str,
        *,
        application_id: str | None = None,
        for_update: bool = False,
        conn: AsyncConnection | None = None,
    ) -> CheckoutSession | None:
        """A session by id (within ``application_id`` when given; the hosted page looks
        sessions up by id alone, as Stripe's URLs do). ``for_update`` locks the row on
        PostgreSQL (SQLite's write transactions are serialised anyway)."""
        query = sa.select(checkout_sessions).where(checkout_sessions.c.id == session_id)
        if application_id is not None:
            query = query.where(checkout_sessions.c.application_id == application_id)
        if for_update:
            query = query.with_for_update()
        async with self._db.use(conn, write=for_update) as c:
            row = (await c.execute(query)).first()
        return _session(row) if row else None

    async def update(
        self, session_id: str, values: Mapping[str, Any], *, conn: AsyncConnection | None = None
    ) -> None:
        """Set columns of one session."""
        async with self._db.use(conn) as c:
            await c.execute(
                checkout_sessions.update()
                .where(checkout_sessions.c.id == session_id)
                .values(**dict(values))
            )

    async def page(
        self,
        application_id: str,
        *,
        user_id: str | None = None,
        guests: bool = False,
        customer_email: str | None = None,
        limit: int = 10,
        starting_after: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> tuple[list[CheckoutSession], bool]:
        """A page of sessions, newest first, and whether more follow. ``user_id`` selects a
        user's sessions; ``guests`` the guest ones (optionally of one e-mail)."""
        where: list[sa.ColumnElement[bool]] = [checkout_sessions.c.application_id == application_id]
        if guests:
            where.append(checkout_sessions.c.is_guest.is_(True))
        if user_id is not None:
            where.append(checkout_sessions.c.user_id == user_id)
        if customer_email is not None:
            where.append(checkout_sessions.c.customer_email == customer_email)
        if starting_after:
            where.append(_cursor_after(checkout_sessions, application_id, starting_after))
        query = (
            sa.select(checkout_sessions)
            .where(*where)
            .order_by(checkout_sessions.c.created_at.desc(), checkout_sessions.c.id.desc())
            .limit(limit + 1)
        )
        async with self._db.use(conn, write=False) as c:
            rows = [_session(r) for r in await c.execute(query)]
        return rows[:limit], len(rows) > limit

    async def due_for_expiry(
        self, application_id: str | None, now: datetime, *, conn: AsyncConnection | None = None
    ) -> list[str]:
        """Ids of open sessions whose expiry time has passed."""
        query = sa.select(checkout_sessions.c.id).where(
            checkout_sessions.c.status == CheckoutStatus.OPEN.value,
            checkout_sessions.c.expires_at <= now,
        )
        if application_id is not None:
            query = query.where(checkout_sessions.c.application_id == application_id)
        async with self._db.use(conn, write=False) as c:
            return [str(v) for v in (await c.execute(query)).scalars()]

    async def all(
        self, *, limit: int = 200, conn: AsyncConnection | None = None
    ) -> list[CheckoutSession]:
        """The newest sessions of every application (the developer page)."""
        query = (
            sa.select(checkout_sessions)
            .order_by(checkout_sessions.c.created_at.desc(), checkout_sessions.c.id.desc())
            .limit(limit)
        )
        async with self._db.use(conn, write=False) as c:
            return [_session(r) for r in await c.execute(query)]


class SubscriptionsRepository:
    """The ``subscriptions`` and ``payment_customers`` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, sub: Subscription, *, conn: AsyncConnection | None = None) -> None:
        """Store a new subscription."""
        async with self._db.use(conn) as c:
            await c.execute(
                subscriptions.insert().values(
                    id=sub.id,
                    application_id=sub.application_id,
                    user_id=sub.user_id,
                    customer_email=sub.customer_email,
                    customer_id=sub.customer_id,
                    item_id=sub.item_id,
                    price_id=sub.price_id,
                    product_id=sub.product_id,
                    quantity=sub.quantity,
                    status=sub.status.value,
                    current_period_start=sub.current_period_start,
                    current_period_end=sub.current_period_end,
                    cancel_at_period_end=sub.cancel_at_period_end,
                    canceled_at=sub.canceled_at,
                    ended_at=sub.ended_at,
                    checkout_session_id=sub.checkout_session_id,
                    metadata=dict(sub.metadata),
                    created_at=sub.created_at,
                    updated_at=sub.updated_at,
                )
            )

    async def get(
        self,
        application_id: str,
        subscription_id: str,
        *,
        for_update: bool = False,
        conn: AsyncConnection | None = None,
    ) -> Subscription | None:
        """One subscription of the application."""
        query = sa.select(subscriptions).where(
            subscriptions.c.application_id == application_id,
            subscriptions.c.id == subscription_id,
        )
        if for_update:
            query = query.with_for_update()
        async with self._db.use(conn, write=for_update) as c:
            row = (await c.execute(query)).first()
        return _subscription(row) if row else None

    async def update(
        self,
        subscription_id: str,
        values: Mapping[str, Any],
        *,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Set columns of one subscription."""
        async with self._db.use(conn) as c:
            await c.execute(
                subscriptions.update()
                .where(subscriptions.c.id == subscription_id)
                .values(**dict(values))
            )

    async def page(
        self,
        application_id: str,
        *,
        user_id: str | None = None,
        status: str | None = None,
        limit: int | None = 10,
        starting_after: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> tuple[list[Subscription], bool]:
        """A page of subscriptions, newest first, and whether more follow."""
        where: list[sa.ColumnElement[bool]] = [subscriptions.c.application_id == application_id]
        if user_id is not None:
            where.append(subscriptions.c.user_id == user_id)
        if status is not None:
            where.append(subscriptions.c.status == status)
        if starting_after:
            where.append(_cursor_after(subscriptions, application_id, starting_after))
        query = (
            sa.select(subscriptions)
            .where(*where)
            .order_by(subscriptions.c.created_at.desc(), subscriptions.c.id.desc())
        )
        if limit is not None:
            query = query.limit(limit + 1)
        async with self._db.use(conn, write=False) as c:
            rows = [_subscription(r) for r in await c.execute(query)]
        if limit is None:
            return rows, False
        return rows[:limit], len(rows) > limit

    async def due_for_renewal(
        self,
        application_id: str,
        user_id: str,
        now: datetime,
        *,
        conn: AsyncConnection | None = None,
    ) -> list[str]:
        """Ids of the user's active subscriptions whose current period has ended."""
        query = sa.select(subscriptions.c.id).where(
            subscriptions.c.application_id == application_id,
            subscriptions.c.user_id == user_id,
            subscriptions.c.status == SubscriptionStatus.ACTIVE.value,
            subscriptions.c.current_period_end <= now,
        )
        async with self._db.use(conn, write=False) as c:
            return [str(v) for v in (await c.execute(query)).scalars()]

    async def get_customer(
        self, application_id: str, user_id: str, *, conn: AsyncConnection | None = None
    ) -> Customer | None:
        """The user's billing record."""
        query = sa.select(payment_customers).where(
            payment_customers.c.application_id == application_id,
            payment_customers.c.user_id == user_id,
        )
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        return Customer(
            id=m["id"],
            application_id=m["application_id"],
            user_id=m["user_id"],
            base_tier=m["base_tier"],
            created_at=m["created_at"],
        )

    async def insert_customer(
        self, customer: Customer, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store a user's billing record."""
        async with self._db.use(conn) as c:
            await c.execute(
                payment_customers.insert().values(
                    id=customer.id,
                    application_id=customer.application_id,
                    user_id=customer.user_id,
                    base_tier=customer.base_tier,
                    created_at=customer.created_at,
                )
            )


class PaymentsRepository:
    """The ``payments`` table (charges and their invoices)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, payment: Payment, *, conn: AsyncConnection | None = None) -> None:
        """Store a charge attempt."""
        async with self._db.use(conn) as c:
            await c.execute(
                payments.insert().values(
                    id=payment.id,
                    application_id=payment.application_id,
                    user_id=payment.user_id,
                    customer_email=payment.customer_email,
                    amount=payment.amount,
                    currency=payment.currency,
                    status=payment.status,
                    description=payment.description,
                    payment_method_type=payment.payment_method_type,
                    card_brand=payment.card_brand,
                    card_last4=payment.card_last4,
                    failure_code=payment.failure_code,
                    invoice_id=payment.invoice_id,
                    checkout_session_id=payment.checkout_session_id,
                    subscription_id=payment.subscription_id,
                    metadata=dict(payment.metadata),
                    created_at=payment.created_at,
                )
            )

    async def get(
        self, application_id: str, payment_id: str, *, conn: AsyncConnection | None = None
    ) -> Payment | None:
        """One charge of the application."""
        query = sa.select(payments).where(
            payments.c.application_id == application_id, payments.c.id == payment_id
        )
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _payment(row) if row else None

    async def by_invoice(
        self, invoice_id: str, *, conn: AsyncConnection | None = None
    ) -> Payment | None:
        """The charge an invoice belongs to (the invoice page looks it up by id alone)."""
        async with self._db.use(conn, write=False) as c:
            row = (
                await c.execute(sa.select(payments).where(payments.c.invoice_id == invoice_id))
            ).first()
        return _payment(row) if row else None

    async def set_user(
        self,
        application_id: str,
        checkout_session_id: str,
        user_id: str,
        *,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Attach a guest session's charges to the account it was converted to."""
        async with self._db.use(conn) as c:
            await c.execute(
                payments.update()
                .where(
                    payments.c.application_id == application_id,
                    payments.c.checkout_session_id == checkout_session_id,
                )
                .values(user_id=user_id)
            )

    async def page(
        self,
        application_id: str,
        *,
        user_id: str | None,
        status: str | None = None,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> tuple[list[Payment], bool, int]:
        """A page of charges newest first, whether more follow (in the paging direction),
        and how many match the filters in all. ``ending_before`` pages backwards."""
        where: list[sa.ColumnElement[bool]] = [payments.c.application_id == application_id]
        if user_id is not None:
            where.append(payments.c.user_id == user_id)
        if status is not None:
            where.append(payments.c.status == status)
        count = sa.select(sa.func.count()).select_from(payments).where(*where)
        query = sa.select(payments).where(*where)
        backwards = bool(ending_before) and not starting_after
        if starting_after:
            query = query.where(_cursor_after(payments, application_id, starting_after))
        elif ending_before:
            query = query.where(
                _cursor_after(payments, application_id, ending_before, newest_first=False)
            )
        if backwards:
            query = query.order_by(payments.c.created_at, payments.c.id)
        else:
            query = query.order_by(payments.c.created_at.desc(), payments.c.id.desc())
        query = query.limit(limit + 1)
        async with self._db.use(conn, write=False) as c:
            total = int((await c.execute(count)).scalar_one())
            rows = [_payment(r) for r in await c.execute(query)]
        more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
        return rows, more, total

    async def all(self, *, limit: int = 200, conn: AsyncConnection | None = None) -> list[Payment]:
        """The newest charges of every application (the developer page)."""
        query = (
            sa.select(payments)
            .order_by(payments.c.created_at.desc(), payments.c.id.desc())
            .limit(limit)
        )
        async with self._db.use(conn, write=False) as c:
            return [_payment(r) for r in await c.execute(query)]

    async def all_subscriptions(
        self, *, limit: int = 200, conn: AsyncConnection | None = None
    ) -> list[Subscription]:
        """The newest subscriptions of every application (the developer page)."""
        query = (
            sa.select(subscriptions)
            .order_by(subscriptions.c.created_at.desc(), subscriptions.c.id.desc())
            .limit(limit)
        )
        async with self._db.use(conn, write=False) as c:
            return [_subscription(r) for r in await c.execute(query)]

    async def all_products(
        self, *, limit: int = 200, conn: AsyncConnection | None = None
    ) -> list[Product]:
        """Every application's products with their prices (the developer page)."""
        async with self._db.use(conn, write=False) as c:
            rows = list(
                await c.execute(
                    sa.select(products).order_by(products.c.created_at, products.c.id).limit(limit)
                )
            )
            price_rows = [
                _price(r)
                for r in await c.execute(
                    sa.select(prices)
                    .where(prices.c.product_id.in_([r._mapping["id"] for r in rows]))
                    .order_by(prices.c.created_at, prices.c.id)
                )
            ]
        return [
            _product(r, [p for p in price_rows if p.product_id == r._mapping["id"]]) for r in rows
        ]
