"""Models of the ``/api/payments/crypto`` endpoints.

Amounts are decimal **strings** (``"42.75"``), never floats, so no precision is lost; dates are
ISO strings as the service sends them.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from ._base import SpapsModel

__all__ = ["CryptoInvoice", "CryptoInvoiceStatus", "CryptoReconcileJob"]


class CryptoInvoice(SpapsModel):
    """A crypto payment request: pay ``amount`` of ``asset`` on ``network`` before
    ``expires_at``. The id is read from ``invoice_id`` or ``id``."""

    invoice_id: str = Field(validation_alias=AliasChoices("invoice_id", "id"))
    asset: str
    network: str
    amount: str
    status: str
    expires_at: str | None = None
    beneficiary: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        """Alias of ``invoice_id``."""
        return self.invoice_id


class CryptoInvoiceStatus(SpapsModel):
    """Settlement state of an invoice; ``normalized_amount`` is a decimal string."""

    invoice_id: str
    status: str
    finalized_at: str | None = None
    normalized_amount: str | None = None
    settlement_ids: list[str] | None = None
    underpaid: bool | None = None
    overpaid: bool | None = None


class CryptoReconcileJob(SpapsModel):
    """A scheduled reconciliation run; pass ``cursor`` to the next ``reconcile`` call."""

    job_id: str
    scheduled_at: str
    cursor: dict[str, Any] | None = None
