"""Compatibility import path ``spaps_client.usage_async``: re-exports only.

Async usage sub-client;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import UsageError
from .resources.usage import AsyncUsageClient

__all__ = ["AsyncUsageClient", "UsageError"]
