"""Usage metering records (no HTTP, no SQL): a feature's limit for one tier, a billing period,
and a recorded quantity."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any


class OveragePolicy(str, enum.Enum):
    """What happens to a record that would take a feature past its limit."""

    REJECT = "reject"  # 402 USAGE_LIMIT_EXCEEDED, nothing recorded
    ALLOW = "allow"  # recorded; the part past the limit is overage, charged at a unit price


@dataclasses.dataclass(frozen=True)
class FeatureLimit:
    """How much of ``feature`` users of ``tier`` may use per billing period (``limit``
    ``None``: unlimited) and what happens past it."""

    application_id: str
    feature: str
    tier: str
    description: str | None
    limit: float | None
    overage: OveragePolicy
    overage_unit_price: float
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The configuration as shown by the CLI and the developer page."""
        return {
            "feature": self.feature,
            "tier": self.tier,
            "description": self.description,
            "limit": self.limit,
            "overage": self.overage.value,
            "overage_unit_price": self.overage_unit_price,
        }


@dataclasses.dataclass(frozen=True)
class BillingPeriod:
    """``[start, end)``: the window a usage counter covers."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside the period."""
        return self.start <= moment < self.end


@dataclasses.dataclass(frozen=True)
class UsageRecord:
    """One accepted record. ``overage_quantity`` is the part beyond the limit (allow policy);
    ``used_after`` is the period's counter right after this record."""

    id: str
    application_id: str
    user_id: str
    feature: str
    quantity: float
    overage_quantity: float
    cost: float
    recorded_at: datetime
    period: BillingPeriod
    metadata: dict[str, Any]
    created_at: datetime
    used_after: float
    limit: float | None


def iso(value: datetime) -> str:
    """ISO-8601 with a ``Z``."""
    return value.isoformat().replace("+00:00", "Z")
