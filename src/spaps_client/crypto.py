"""Compatibility import path ``spaps_client.crypto``: the blocking crypto client, its error and
models, and the crypto webhook signature check."""

from __future__ import annotations

from .errors import CryptoPaymentsError
from .models.crypto import CryptoInvoice, CryptoInvoiceStatus, CryptoReconcileJob
from .resources.crypto import CryptoPaymentsClient
from .webhooks import verify_crypto_webhook_signature

__all__ = [
    "CryptoInvoice",
    "CryptoInvoiceStatus",
    "CryptoPaymentsClient",
    "CryptoPaymentsError",
    "CryptoReconcileJob",
    "verify_crypto_webhook_signature",
]
