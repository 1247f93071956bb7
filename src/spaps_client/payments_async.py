"""Compatibility import path ``spaps_client.payments_async``: the asyncio payments client."""

from __future__ import annotations

from .errors import PaymentsError
from .resources.payments import AsyncPaymentsClient

__all__ = ["AsyncPaymentsClient", "PaymentsError"]
