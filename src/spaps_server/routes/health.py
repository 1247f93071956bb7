"""``/health`` and ``/health/ready`` (raw JSON, no API key; protocol §3.9)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .. import server_version
from ..domain.error_codes import ErrorCode
from ..http.deps import Ctx, context_of
from ..http.envelopes import (
    ERROR_RESPONSES,
    EnvelopeJSONResponse,
    ErrorEnvelope,
    error_content,
    request_id_of,
)
from ..schemas.base import wire_json
from ..schemas.health import DatabaseCheck, HealthOut, ReadinessChecks, ReadyOut


class NotReadyOut(ErrorEnvelope):
    """The 503 answer: the error envelope plus ``ready: false`` and the failed checks."""

    ready: bool
    checks: ReadinessChecks


router = APIRouter(tags=["health"], responses=ERROR_RESPONSES)


@router.get("/health", summary="Liveness", response_model=HealthOut)
async def health(request: Request) -> EnvelopeJSONResponse:
    """Always ``{"status": "healthy", ...}`` while the process serves requests."""
    # Dependency-free (the context is read from the app's state): liveness probes are the
    # most frequent request, and FastAPI resolves even an async dependency per request.
    ctx = context_of(request)
    alive = HealthOut(
        service="spaps-local",
        version=server_version(),
        uptime_seconds=round(ctx.metrics.uptime(), 3),
    )
    return EnvelopeJSONResponse(wire_json(alive))


@router.get(
    "/health/ready",
    summary="Readiness (checks the database)",
    response_model=ReadyOut,
    responses={503: {"model": NotReadyOut, "description": "The database cannot be reached"}},
)
async def ready(ctx: Ctx, request: Request) -> JSONResponse:
    """``{"ready": true, "checks": {...}}``, or 503 with ``ready: false`` and an error
    envelope when the database does not answer."""
    started = time.perf_counter()
    try:
        await ctx.db.ping()
    except Exception as exc:  # any driver failure means "not ready"
        body = error_content(
            code=ErrorCode.NOT_READY,
            message="The database is not reachable",
            request_id=request_id_of(request),
        )
        failed = DatabaseCheck(status="error", kind=ctx.db.kind.value, error=type(exc).__name__)
        body.update(ready=False, checks=wire_json(ReadinessChecks(database=failed)))
        return JSONResponse(body, status_code=503)
    latency_ms = (time.perf_counter() - started) * 1000
    answered = DatabaseCheck(status="ok", kind=ctx.db.kind.value, latency_ms=round(latency_ms, 3))
    return JSONResponse(wire_json(ReadyOut(ready=True, checks=ReadinessChecks(database=answered))))
