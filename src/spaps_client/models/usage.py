"""Models of the ``/api/usage`` endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from ._base import SpapsModel, none_as_empty_list

__all__ = [
    "UsageFeature",
    "UsageFeaturesResponse",
    "UsageHistoryEntry",
    "UsageHistoryResponse",
    "UsagePeriod",
    "UsageRecordResult",
    "UsageRecordUsage",
]


class UsagePeriod(SpapsModel):
    """The billing period the usage figures cover (ISO strings as sent)."""

    start: str | None = None
    end: str | None = None


class UsageFeature(SpapsModel):
    """Usage of one metered feature in the current period."""

    name: str
    description: str | None = None
    used: float | None = None
    limit: float | None = None
    percentage: float | None = None
    reset_at: str | None = None


class UsageFeaturesResponse(SpapsModel):
    """The answer to ``get_features``: every metered feature of the signed-in user."""

    user_id: str | None = None
    tier: str | None = None
    period: UsagePeriod = Field(default_factory=UsagePeriod)
    features: list[UsageFeature] = Field(default_factory=list)
    overage: dict[str, Any] | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("features", mode="before")
    @classmethod
    def _features(cls, value: Any) -> Any:
        return none_as_empty_list(value)


class UsageRecordUsage(SpapsModel):
    """Where the feature's usage stands after a recorded event."""

    used: float | None = None
    limit: float | None = None
    remaining: float | None = None


class UsageRecordResult(SpapsModel):
    """The answer to ``record_usage``."""

    record_id: str
    feature: str
    quantity: float | None = None
    recorded_at: str | None = None
    current_usage: UsageRecordUsage = Field(default_factory=UsageRecordUsage)
    warning: str | None = None

    @field_validator("current_usage", mode="before")
    @classmethod
    def _current_usage(cls, value: Any) -> Any:
        return {} if value is None else value


class UsageHistoryEntry(SpapsModel):
    """Usage of one day (or other period step) in ``get_history``."""

    date: str | None = None
    features: dict[str, Any] = Field(default_factory=dict)
    total_cost: float | None = None

    @field_validator("features", mode="before")
    @classmethod
    def _features(cls, value: Any) -> Any:
        return {} if value is None else value


class UsageHistoryResponse(SpapsModel):
    """The answer to ``get_history``: per-period entries and a summary."""

    period: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    history: list[UsageHistoryEntry] = Field(default_factory=list)
    summary: dict[str, Any] | None = None

    @field_validator("history", mode="before")
    @classmethod
    def _history(cls, value: Any) -> Any:
        return none_as_empty_list(value)
