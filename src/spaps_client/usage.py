"""Compatibility import path ``spaps_client.usage``: re-exports only.

Usage sub-client, its error and models;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import UsageError
from .models.usage import (
    UsageFeature,
    UsageFeaturesResponse,
    UsageHistoryEntry,
    UsageHistoryResponse,
    UsagePeriod,
    UsageRecordResult,
    UsageRecordUsage,
)
from .resources.usage import UsageClient

__all__ = [
    "UsageClient",
    "UsageError",
    "UsageFeature",
    "UsageFeaturesResponse",
    "UsageHistoryEntry",
    "UsageHistoryResponse",
    "UsagePeriod",
    "UsageRecordResult",
    "UsageRecordUsage",
]
