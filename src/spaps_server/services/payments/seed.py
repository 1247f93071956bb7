"""Seed data of the payments simulator.

The default seed (unless ``--no-seed``) gives the default application the catalogue the seed
README's examples use, and ``user@example.com`` the objects they look up:

* ``prod_123`` "Sweet Potato Basic" (category ``subscription``, tier ``basic``) with the
  monthly price ``price_123`` (9.00 USD, nickname "Basic monthly") and the yearly
  ``price_123_yearly`` (90.00 USD, "Basic yearly");
* ``prod_plus`` "Sweet Potato Plus" (category ``subscription``, tier ``premium``) with the
  monthly ``price_plus`` (20.00 USD, "Plus monthly"), the price to switch to;
* ``prod_basic`` "Sweet Potato Starter Pack" (category ``one_time``) with the one-time
  ``price_basic`` (5.00 USD, "Starter pack");
* for ``user@example.com``: the active subscription ``sub_123`` to ``price_123``, its paid
  first invoice ``in_123`` (payment ``pi_123``, with metadata) and an open checkout session
  ``cs_test_123`` for ``price_plus``.

Each object is created only if missing, so a restart keeps what a program changed.

``spaps_server.seeding`` runs :func:`seed_default_payments` at start-up and hands a seed
file's ``products`` section to the catalogue. That section is a list of product objects
(``spaps products create``'s fields: ``id``, ``name``, ``description``, ``category``,
``tier``, ``images``, ``metadata``, ``active``, ``prices: [{id, unit_amount, currency,
interval, interval_count, nickname}]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...domain.payments import LineItem
from ...storage.database import Database
from ...storage.users import UsersRepository
from .events import PaymentEvents

if TYPE_CHECKING:
    from . import PaymentsServices

SEED_USER = "user@example.com"

DEFAULT_PRODUCTS: tuple[dict[str, Any], ...] = (
    {
        "id": "prod_123",
        "name": "Sweet Potato Basic",
        "description": "The basic plan, billed monthly or yearly",
        "category": "subscription",
        "tier": "basic",
        "prices": [
            {
                "id": "price_123",
                "unit_amount": 900,
                "currency": "usd",
                "interval": "month",
                "nickname": "Basic monthly",
            },
            {
                "id": "price_123_yearly",
                "unit_amount": 9000,
                "currency": "usd",
                "interval": "year",
                "nickname": "Basic yearly",
            },
        ],
    },
    {
        "id": "prod_plus",
        "name": "Sweet Potato Plus",
        "description": "Everything in Basic, plus premium features",
        "category": "subscription",
        "tier": "premium",
        "prices": [
            {
                "id": "price_plus",
                "unit_amount": 2000,
                "currency": "usd",
                "interval": "month",
                "nickname": "Plus monthly",
            }
        ],
    },
    {
        "id": "prod_basic",
        "name": "Sweet Potato Starter Pack",
        "description": "A one-time purchase",
        "category": "one_time",
        "prices": [
            {"id": "price_basic", "unit_amount": 500, "currency": "usd", "nickname": "Starter pack"}
        ],
    },
)


async def seed_default_payments(
    db: Database, payments: PaymentsServices, users: UsersRepository, app_id: str
) -> None:
    """The default catalogue and ``user@example.com``'s billing objects in ``app_id`` (see
    the module documentation)."""
    await payments.catalog.ensure_products(app_id, DEFAULT_PRODUCTS)
    user = await users.get_by_email(app_id, SEED_USER)
    if user is None:
        return
    billing = payments.billing
    # The seeded objects are the starting state, not changes: they emit no webhook events.
    emitting, billing.events = billing.events, PaymentEvents(None)
    try:
        await _seed_billing(db, payments, app_id, user)
    finally:
        billing.events = emitting


async def _seed_billing(db: Database, payments: PaymentsServices, app_id: str, user: Any) -> None:
    billing, checkout = payments.billing, payments.checkout
    async with db.begin() as conn:
        if await billing.subscriptions.get(app_id, "sub_123", conn=conn) is None:
            price, product = await payments.catalog.get_price(app_id, "price_123", conn=conn)
            item = LineItem(
                price_id=price.id,
                product_id=product.id,
                quantity=1,
                unit_amount=price.unit_amount,
                currency=price.currency,
                description=f"{product.name} ({price.nickname})",
                interval=price.interval,
                interval_count=price.interval_count,
            )
            metadata = {"app_id": app_id, "source": "seed"}
            await billing.start_subscription(
                conn,
                application_id=app_id,
                user_id=user.id,
                customer_email=user.email,
                item=item,
                checkout_session_id=None,
                metadata=metadata,
                subscription_id="sub_123",
            )
            if await billing.payments.get(app_id, "pi_123", conn=conn) is None:
                await billing.record_charge(
                    conn,
                    application_id=app_id,
                    user_id=user.id,
                    customer_email=user.email,
                    amount=price.unit_amount,
                    currency=price.currency,
                    description="Monthly subscription",
                    card=None,
                    subscription_id="sub_123",
                    metadata=metadata,
                    payment_id="pi_123",
                    invoice_id="in_123",
                )
        if await checkout.repository.get("cs_test_123", conn=conn) is None:
            await checkout.create(
                app_id,
                user_id=user.id,
                customer_email=user.email,
                mode="subscription",
                line_items=[{"price_id": "price_plus", "quantity": 1}],
                success_url="https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
                cancel_url="https://example.com/cancel",
                metadata={"app_id": app_id, "source": "seed"},
                client_reference_id="order_123",
                session_id="cs_test_123",
                conn=conn,
            )
