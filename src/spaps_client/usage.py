"""Usage sub-client, its error and models (import path of the published client)."""

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
