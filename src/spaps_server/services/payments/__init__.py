"""The offline payments simulator: catalogue, checkout, subscriptions and charges.

:class:`PaymentsServices` bundles the services (``ctx.payments``); :func:`build_payments`
wires them. Their seed data is :mod:`.seed`, run by ``spaps_server.seeding``.
"""

from __future__ import annotations

import dataclasses

from ...domain.clock import Clock
from ...storage.database import Database
from ..events import EventEmitter
from ..metrics import Counter, MetricsRegistry
from ..one_time_links import OneTimeLinkService
from ..users import UserAccounts
from .billing import BillingService
from .catalog import CatalogService
from .checkout import CheckoutService
from .events import PaymentEvents

__all__ = [
    "BillingService",
    "CatalogService",
    "CheckoutService",
    "PaymentsServices",
    "build_payments",
]


@dataclasses.dataclass(frozen=True)
class PaymentsServices:
    """The payments services of one server."""

    catalog: CatalogService
    billing: BillingService
    checkout: CheckoutService
    replays: Counter
    """Mutating payment requests answered from a stored idempotent response, by route."""


def build_payments(
    db: Database,
    clock: Clock,
    metrics: MetricsRegistry,
    accounts: UserAccounts,
    links: OneTimeLinkService,
    *,
    base_url: str,
    events: EventEmitter | None = None,
) -> PaymentsServices:
    """Build the catalogue, billing and checkout services; state changes are emitted as
    webhook events through ``events`` when given."""
    catalog = CatalogService(db, clock)
    billing = BillingService(db, clock, metrics, catalog, PaymentEvents(events))
    checkout = CheckoutService(
        db, clock, metrics, catalog, billing, accounts, links, base_url=base_url
    )
    replays = metrics.counter(
        "spaps_payments_idempotent_replays_total",
        "Payment requests answered by replaying the response stored for their Idempotency-Key",
        ("route",),
    )
    return PaymentsServices(catalog=catalog, billing=billing, checkout=checkout, replays=replays)
