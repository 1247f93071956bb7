"""``/api/usage``: metered feature usage of the signed-in user (all calls need a bearer
token)."""

from __future__ import annotations

from typing import Any, TypeVar

from .._engine import AsyncEngine, Endpoints, SyncEngine, compact, query
from .._resource import AsyncResource, E, Resource, SyncResource, endpoint
from ..errors import UsageError
from ..models.usage import UsageFeaturesResponse, UsageHistoryResponse, UsageRecordResult

__all__ = ["AsyncUsageClient", "UsageClient", "UsageResource"]

T = TypeVar("T")
USAGE_PREFIX = "/api/usage"
MISSING_TOKEN = "Access token is required for usage operations"
_USAGE = Endpoints(USAGE_PREFIX, UsageError, MISSING_TOKEN)


class UsageResource(Resource[E]):
    """Feature usage: the current period's figures, recording events, and history."""

    USAGE_PREFIX = USAGE_PREFIX

    @endpoint
    def get_features(self, *, access_token_override: str | None = None) -> UsageFeaturesResponse:
        """Usage and limits of every metered feature in the current period.

        Example:
            >>> snapshot = spaps.usage.get_features()
            >>> for feature in snapshot.features:
            ...     print(feature.name, feature.used, feature.limit)
        """
        return self._request(
            _USAGE.bearer(
                "GET",
                "/features",
                lambda reply: reply.model(UsageFeaturesResponse, reply.data()),
                access_token_override,
            )
        )

    @endpoint
    def record_usage(
        self,
        *,
        feature: str,
        quantity: float,
        metadata: dict[str, Any] | None = None,
        timestamp: str | None = None,
        idempotency_key: str | None = None,
        access_token_override: str | None = None,
    ) -> UsageRecordResult:
        """Record ``quantity`` units of ``feature``.

        Every call carries an ``Idempotency-Key`` (``idempotency_key`` when given, else one
        generated per call and reused on retries), so a retried request is counted once. A
        given key is also sent as ``X-Idempotency-Key``, the header older servers read.

        Example:
            >>> result = spaps.usage.record_usage(
            ...     feature="api_calls", quantity=5, idempotency_key="order-42-call-1"
            ... )
            >>> print(result.current_usage.remaining)
        """
        key = idempotency_key or None
        return self._request(
            _USAGE.bearer(
                "POST",
                "/record",
                lambda reply: reply.model(UsageRecordResult, reply.data()),
                access_token_override,
                json=compact(
                    feature=feature, quantity=quantity, metadata=metadata, timestamp=timestamp
                ),
                headers={"X-Idempotency-Key": key} if key is not None else {},
                idempotency_key=key,
                send_idempotency_key=True,
            )
        )

    @endpoint
    def get_history(
        self,
        *,
        period: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        feature: str | None = None,
        format: str | None = None,
        access_token_override: str | None = None,
    ) -> UsageHistoryResponse:
        """Aggregated usage over time (``period`` such as ``"daily"``; dates as
        ``YYYY-MM-DD``).

        Example:
            >>> history = spaps.usage.get_history(period="daily", start_date="2025-01-01")
            >>> print(history.summary)
        """
        params = query(
            period=period or None,
            start_date=start_date or None,
            end_date=end_date or None,
            feature=feature or None,
            format=format or None,
        )
        return self._request(
            _USAGE.bearer(
                "GET",
                "/history",
                lambda reply: reply.model(UsageHistoryResponse, reply.data()),
                access_token_override,
                params=params,
            )
        )


class UsageClient(SyncResource, UsageResource[SyncEngine]):
    """Blocking usage sub-client (``spaps.usage``)."""


class AsyncUsageClient(AsyncResource, UsageResource[AsyncEngine]):
    """Asyncio usage sub-client (``client.usage``); every endpoint is a coroutine."""
