"""``/health`` and ``/health/ready`` (raw JSON, no API key; protocol §3.9)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .. import server_version
from ..domain.error_codes import ErrorCode
from ..http.deps import Ctx
from ..http.envelopes import error_content, request_id_of

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness")
async def health(ctx: Ctx) -> JSONResponse:
    """Always ``{"status": "healthy", ...}`` while the process serves requests."""
    return JSONResponse(
        {
            "status": "healthy",
            "service": "spaps-local",
            "version": server_version(),
            "uptime_seconds": round(ctx.metrics.uptime(), 3),
        }
    )


@router.get(
    "/health/ready",
    summary="Readiness (checks the database)",
    responses={503: {"description": "The database cannot be reached"}},
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
        body.update(
            ready=False,
            checks={
                "database": {
                    "status": "error",
                    "kind": ctx.db.kind.value,
                    "error": type(exc).__name__,
                }
            },
        )
        return JSONResponse(body, status_code=503)
    latency_ms = (time.perf_counter() - started) * 1000
    return JSONResponse(
        {
            "ready": True,
            "checks": {
                "database": {
                    "status": "ok",
                    "kind": ctx.db.kind.value,
                    "latency_ms": round(latency_ms, 3),
                }
            },
        }
    )
