"""Async usage sub-client (import path of the published client)."""

from .errors import UsageError
from .resources.usage import AsyncUsageClient

__all__ = ["AsyncUsageClient", "UsageError"]
