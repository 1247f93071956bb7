"""Compatibility import path ``spaps_client.crypto_async``: the asyncio crypto client."""

from __future__ import annotations

from .errors import CryptoPaymentsError
from .resources.crypto import AsyncCryptoPaymentsClient

__all__ = ["AsyncCryptoPaymentsClient", "CryptoPaymentsError"]
