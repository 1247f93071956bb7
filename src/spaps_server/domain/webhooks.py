"""Webhook events, endpoints, deliveries and attempts as plain records, and the catalogue of
event types the server emits.

An event's envelope (the exact bytes every delivery of it sends) is
``{"id", "type", "schema_version", "application_id", "created_at", "created", "livemode",
"data"}``: ``created_at`` is ISO-8601 UTC and ``created`` the same instant in unix seconds (what
``spaps_client.webhooks.WebhookEvent`` reads).
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any

EVENT_SCHEMA_VERSION = 1
"""The envelope's ``schema_version``; bumped only for an incompatible envelope change."""

SIGNATURE_HEADER = "X-SPAPS-Signature"
EVENT_ID_HEADER = "X-SPAPS-Event-Id"
EVENT_TYPE_HEADER = "X-SPAPS-Event-Type"

DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (
    5,
    30,
    120,
    600,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    24 * 3600,
)
"""Seconds to wait after each failed attempt (so at most ``len + 1`` attempts, about two days
in all), in the spirit of Stripe's and Svix's schedules."""


class EventType(str, enum.Enum):
    """Every event type the server emits."""

    CHECKOUT_SESSION_COMPLETED = "checkout.session.completed"
    CHECKOUT_SESSION_EXPIRED = "checkout.session.expired"
    CUSTOMER_SUBSCRIPTION_CREATED = "customer.subscription.created"
    CUSTOMER_SUBSCRIPTION_UPDATED = "customer.subscription.updated"
    CUSTOMER_SUBSCRIPTION_DELETED = "customer.subscription.deleted"
    INVOICE_PAID = "invoice.paid"
    PAYMENT_INTENT_SUCCEEDED = "payment_intent.succeeded"
    PAYMENT_INTENT_PAYMENT_FAILED = "payment_intent.payment_failed"
    CRYPTO_INVOICE_UPDATED = "crypto.invoice.updated"
    ENTITLEMENT_GRANTED = "entitlement.granted"
    ENTITLEMENT_RENEWED = "entitlement.renewed"
    ENTITLEMENT_UPDATED = "entitlement.updated"
    ENTITLEMENT_EXPIRED = "entitlement.expired"
    ENTITLEMENT_REVOKED = "entitlement.revoked"
    ENTITLEMENT_CLAIMED = "entitlement.claimed"
    SPAPS_TEST = "spaps.test"

    def __str__(self) -> str:
        return self.value


class DeliveryStatus(str, enum.Enum):
    """Where a delivery (one event to one endpoint) stands."""

    PENDING = "pending"  # waiting for its next attempt (or being attempted right now)
    SUCCEEDED = "succeeded"  # an attempt got a 2xx answer
    FAILED = "failed"  # the retry schedule ran out

    def __str__(self) -> str:
        return self.value


def iso_utc(stamp: datetime) -> str:
    """``2025-01-01T12:00:00.123456Z``: ISO-8601 in UTC with a ``Z``."""
    return stamp.isoformat().replace("+00:00", "Z")


@dataclasses.dataclass(frozen=True)
class WebhookEndpoint:
    """A URL an application receives its events at."""

    id: str
    application_id: str
    url: str
    description: str | None
    created_at: datetime
    removed_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether new events are delivered to it."""
        return self.removed_at is None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the dev pages and the CLI."""
        return {
            "id": self.id,
            "application_id": self.application_id,
            "url": self.url,
            "description": self.description,
            "active": self.active,
            "created_at": iso_utc(self.created_at),
            "removed_at": iso_utc(self.removed_at) if self.removed_at else None,
        }


@dataclasses.dataclass(frozen=True)
class WebhookEvent:
    """An emitted event; ``payload`` is the exact JSON every delivery sends."""

    id: str
    application_id: str
    type: str
    schema_version: int
    data: dict[str, Any]
    created_at: datetime
    payload: str = dataclasses.field(repr=False)

    def envelope(self) -> dict[str, Any]:
        """The envelope as a dict (the decoded ``payload``)."""
        return {
            "id": self.id,
            "type": self.type,
            "schema_version": self.schema_version,
            "application_id": self.application_id,
            "created_at": iso_utc(self.created_at),
            "created": int(self.created_at.timestamp()),
            "livemode": False,
            "data": self.data,
        }

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the dev pages and the CLI (the envelope)."""
        return self.envelope()


@dataclasses.dataclass(frozen=True)
class WebhookAttempt:
    """One HTTP POST of a delivery and what came back."""

    id: str
    delivery_id: str
    attempt_number: int
    started_at: datetime
    succeeded: bool
    status_code: int | None
    latency_ms: int
    response_snippet: str | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the dev pages and the CLI."""
        return {
            "id": self.id,
            "attempt": self.attempt_number,
            "started_at": iso_utc(self.started_at),
            "succeeded": self.succeeded,
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
            "response_snippet": self.response_snippet,
            "error": self.error,
        }


@dataclasses.dataclass(frozen=True)
class WebhookDelivery:
    """One event on its way to one endpoint, with its attempts so far."""

    id: str
    event_id: str
    endpoint_id: str
    application_id: str
    url: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    completed_at: datetime | None
    attempts: tuple[WebhookAttempt, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the dev pages and the CLI."""
        return {
            "id": self.id,
            "event_id": self.event_id,
            "endpoint_id": self.endpoint_id,
            "url": self.url,
            "status": self.status.value,
            "attempt_count": self.attempt_count,
            "next_attempt_at": iso_utc(self.next_attempt_at) if self.next_attempt_at else None,
            "created_at": iso_utc(self.created_at),
            "completed_at": iso_utc(self.completed_at) if self.completed_at else None,
            "attempts": [a.to_json() for a in self.attempts],
        }


@dataclasses.dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker holds the lease of: everything one attempt needs."""

    id: str
    claim_token: str
    event_id: str
    event_type: str
    application_id: str
    url: str
    payload: str = dataclasses.field(repr=False)
    attempt_count: int = 0
