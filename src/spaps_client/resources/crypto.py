"""``/api/payments/crypto``: crypto invoices and reconciliation (``payments.crypto``).

Reached through ``spaps.payments.crypto``, it shares the payments sub-client's engine and
credentials, so the bearer token is whatever the payments client would send at that moment.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from .._engine import AsyncEngine, Endpoints, SyncEngine, compact, path
from .._envelope import Reply, data_model
from .._resource import AsyncResource, E, Resource, SyncResource, endpoint
from ..errors import CryptoPaymentsError
from ..models.crypto import CryptoInvoice, CryptoInvoiceStatus, CryptoReconcileJob

__all__ = [
    "AsyncCryptoPaymentsClient",
    "CryptoPaymentsClient",
    "CryptoPaymentsError",
    "CryptoPaymentsResource",
]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
CRYPTO_PREFIX = "/api/payments/crypto"
MISSING_TOKEN_MESSAGE = "Access token is required for payment operations"
_CRYPTO = Endpoints(CRYPTO_PREFIX, CryptoPaymentsError, MISSING_TOKEN_MESSAGE)


def _invoice(reply: Reply) -> CryptoInvoice:
    return reply.model(CryptoInvoice, reply.nested(reply.data(), "invoice"))


class CryptoPaymentsResource(Resource[E]):
    """Crypto invoices: create, look up, poll status, and schedule reconciliation."""

    CRYPTO_PREFIX = CRYPTO_PREFIX

    @classmethod
    def _invoice_path(cls, invoice_id: str, include_prefix: bool = False) -> str:
        """``/invoices/<id>`` with the id percent-encoded, optionally under the prefix."""
        if not invoice_id:
            raise ValueError("invoice_id is required")
        route = path("/invoices/{}", invoice_id)
        return cls.CRYPTO_PREFIX + route if include_prefix else route

    @endpoint
    def create_invoice(
        self,
        *,
        asset: str,
        network: str,
        amount: str,
        expires_in_seconds: int | None = None,
        beneficiary: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        access_token_override: str | None = None,
        idempotency_key: str | None = None,
    ) -> CryptoInvoice:
        """Create an invoice for ``amount`` (a decimal string) of ``asset`` on ``network``.

        An ``Idempotency-Key`` is sent (yours, or one generated for this call), so a retried
        request never creates a second invoice.

        Example:
            >>> invoice = spaps.payments.crypto.create_invoice(
            ...     asset="USDC", network="base", amount="42.75", metadata={"order_id": "ord_1"}
            ... )
            >>> invoice.invoice_id, invoice.status
            ('inv_...', 'pending')
        """
        body = compact(
            asset=asset,
            network=network,
            amount=amount,
            expires_in_seconds=expires_in_seconds,
            beneficiary=beneficiary,
            metadata=metadata,
        )
        return self._request(
            _CRYPTO.bearer(
                "POST",
                "/invoices",
                _invoice,
                access_token_override,
                json=body,
                send_idempotency_key=True,
                idempotency_key=idempotency_key,
            )
        )

    @endpoint
    def get_invoice(
        self, invoice_id: str, *, access_token_override: str | None = None
    ) -> CryptoInvoice:
        """Fetch an invoice by id."""
        return self._request(
            _CRYPTO.bearer("GET", self._invoice_path(invoice_id), _invoice, access_token_override)
        )

    @endpoint
    def get_invoice_status(
        self, invoice_id: str, *, access_token_override: str | None = None
    ) -> CryptoInvoiceStatus:
        """The settlement status of an invoice (poll it until ``status`` is final)."""
        return self._request(
            _CRYPTO.bearer(
                "GET",
                self._invoice_path(invoice_id) + "/status",
                data_model(CryptoInvoiceStatus),
                access_token_override,
            )
        )

    @endpoint
    def reconcile(
        self,
        *,
        recon_token: str | None = None,
        cursor: dict[str, Any] | None = None,
        access_token_override: str | None = None,
    ) -> CryptoReconcileJob:
        """Schedule a reconciliation run, from ``cursor`` (a previous job's) if given.

        ``recon_token`` is sent as ``X-Recon-Token`` when set.
        """
        headers = {"X-Recon-Token": recon_token} if recon_token else {}
        return self._request(
            _CRYPTO.bearer(
                "POST",
                "/reconcile",
                data_model(CryptoReconcileJob),
                access_token_override,
                json={"cursor": cursor} if cursor is not None else {},
                headers=headers,
            )
        )


class CryptoPaymentsClient(SyncResource, CryptoPaymentsResource[SyncEngine]):
    """Blocking crypto sub-client (``spaps.payments.crypto``)."""


class AsyncCryptoPaymentsClient(AsyncResource, CryptoPaymentsResource[AsyncEngine]):
    """Asyncio crypto sub-client (``client.payments.crypto``); every endpoint is a coroutine."""
