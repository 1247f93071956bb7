"""``/api/usage`` (protocol §3.6, endpoints #42-#44): the signed-in user's metered features.

Every route needs the API key and a bearer token; usage belongs to the token's user in the
API key's application. ``POST /record`` answers 402 ``USAGE_LIMIT_EXCEEDED`` (recording
nothing) when a ``reject`` feature would pass its limit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from ..http.deps import Ctx, CurrentApplication, CurrentPrincipal
from ..http.envelopes import Envelope, EnvelopeJSONResponse, ok
from ..http.idempotency import REPLAYED_HEADER, idempotent
from ..services.usage import UsageService

router = APIRouter(prefix="/api/usage", tags=["usage"])


class PeriodOut(BaseModel):
    """The billing period: ``start`` and its last second ``end`` (UTC)."""

    start: str
    end: str


class FeatureOut(BaseModel):
    """One feature's figures in the current period."""

    name: str
    description: str | None = None
    used: float
    limit: float | None = None
    remaining: float | None = None
    percentage: float | None = None
    reset_at: str
    overage_policy: str
    overage_unit_price: float
    overage_used: float


class OverageCharge(BaseModel):
    """Overage booked in the current period for one feature."""

    feature: str
    quantity: float
    unit_price: float
    amount: float


class OverageOut(BaseModel):
    """Whether any feature allows overage, and the charges so far."""

    allowed: bool
    charges: list[OverageCharge]


class FeaturesOut(BaseModel):
    """``UsageFeaturesResponse``; ``limits_tier`` is the tier whose limits apply."""

    user_id: str
    tier: str
    limits_tier: str
    period: PeriodOut
    features: list[FeatureOut]
    overage: OverageOut


class RecordIn(BaseModel):
    """``POST /record`` body."""

    feature: str
    quantity: float
    metadata: dict[str, Any] | None = None
    timestamp: str | None = None


class CurrentUsageOut(BaseModel):
    """The period's counter right after the record."""

    used: float
    limit: float | None = None
    remaining: float | None = None


class RecordPeriodOut(BaseModel):
    """The billing period the record counts towards, ``[start, end)``."""

    start: str
    end: str


class RecordOut(BaseModel):
    """``UsageRecordResult``; ``warning`` names a crossed threshold (80 %, 100 %, overage)."""

    record_id: str
    feature: str
    quantity: float
    recorded_at: str
    current_usage: CurrentUsageOut
    overage_quantity: float
    cost: float
    period: RecordPeriodOut
    warning: str | None = None


class HistoryEntryOut(BaseModel):
    """One bucket: quantities per feature and the overage cost."""

    date: str
    features: dict[str, float]
    total_cost: float


class HistoryOut(BaseModel):
    """``UsageHistoryResponse``; ``summary`` has ``total_<feature>``, ``total_cost`` and
    ``billing_periods``."""

    period: str
    start_date: str
    end_date: str
    history: list[HistoryEntryOut]
    summary: dict[str, Any]


@router.get(
    "/features", summary="Usage and limits this period", response_model=Envelope[FeaturesOut]
)
async def get_features(
    app: CurrentApplication, principal: CurrentPrincipal, ctx: Ctx
) -> EnvelopeJSONResponse:
    """Per feature: used, limit, percentage, reset time and overage policy."""
    return ok(
        await ctx.usage.features(
            app.id, principal.user_id, tier=principal.tier, email=principal.email
        )
    )


@router.post("/record", summary="Record usage", response_model=Envelope[RecordOut])
async def record_usage(
    body: RecordIn,
    request: Request,
    app: CurrentApplication,
    principal: CurrentPrincipal,
    ctx: Ctx,
) -> Response:
    """Adds ``quantity`` to the feature's counter; 402 ``USAGE_LIMIT_EXCEEDED`` past a
    ``reject`` limit (nothing recorded). With ``Idempotency-Key`` or ``X-Idempotency-Key`` a
    repeated request records nothing and answers the first result (``Idempotent-Replayed``)."""

    async def operation(conn: AsyncConnection) -> Response:
        record = await ctx.usage.record(
            app.id,
            principal.user_id,
            tier=principal.tier,
            email=principal.email,
            feature=body.feature,
            quantity=body.quantity,
            timestamp=body.timestamp,
            metadata=body.metadata,
            conn=conn,
        )
        return ok(UsageService.record_json(record))

    response = await idempotent(
        request, ctx, application_id=app.id, caller=principal.user_id, operation=operation
    )
    if response.headers.get(REPLAYED_HEADER) == "true":
        ctx.usage.count_replay(body.feature)
    return response


@router.get("/history", summary="Usage over time", response_model=Envelope[HistoryOut])
async def get_history(
    app: CurrentApplication,
    principal: CurrentPrincipal,
    ctx: Ctx,
    period: Annotated[str | None, Query(description="daily, weekly or monthly")] = None,
    start_date: Annotated[str | None, Query(description="YYYY-MM-DD (UTC)")] = None,
    end_date: Annotated[str | None, Query(description="YYYY-MM-DD (UTC), inclusive")] = None,
    feature: Annotated[str | None, Query(description="only this feature")] = None,
    format: Annotated[str | None, Query(description="json (the only format)")] = None,
) -> EnvelopeJSONResponse:
    """Quantities per day, week or month; the current billing period by default."""
    return ok(
        await ctx.usage.history(
            app.id,
            principal.user_id,
            period=period,
            start_date=start_date,
            end_date=end_date,
            feature=feature,
            format=format,
        )
    )
