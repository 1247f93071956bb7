"""``/api/metrics`` (Prometheus text) and ``/api/metrics/json`` (no API key; §3.9)."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from ..http.deps import Ctx
from ..services.metrics import resident_memory_bytes

router = APIRouter(tags=["metrics"])

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get(
    "/api/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
async def prometheus(ctx: Ctx) -> PlainTextResponse:
    """Request counts and latency histograms by route template and status, process gauges,
    and the domain counters."""
    return PlainTextResponse(ctx.metrics.render_prometheus(), media_type=PROMETHEUS_CONTENT_TYPE)


@router.get("/api/metrics/json", summary="Metrics as JSON")
async def metrics_json(ctx: Ctx) -> JSONResponse:
    """``timestamp``, ``uptime_seconds``, ``system.memory.rss_mb``, request totals and every
    counter."""
    snapshot = ctx.metrics.snapshot()
    requests = snapshot.get("http_requests_total") or {"total": 0, "series": []}
    by_status: dict[str, float] = {}
    by_route: dict[str, float] = {}
    for item in requests["series"]:
        labels = item["labels"]
        by_status[labels["status"]] = by_status.get(labels["status"], 0) + item["value"]
        key = f"{labels['method']} {labels['route']}"
        by_route[key] = by_route.get(key, 0) + item["value"]
    counters: dict[str, Any] = {
        name: {"total": data["total"], "series": data["series"]}
        for name, data in snapshot.items()
        if data["type"] == "counter"
    }
    body = {
        "timestamp": datetime.now(timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "uptime_seconds": round(ctx.metrics.uptime(), 3),
        "system": {
            "memory": {"rss_mb": round(resident_memory_bytes() / (1024 * 1024), 1)},
            "pid": os.getpid(),
            "python": platform.python_version(),
            "platform": platform.system().lower(),
        },
        "database": {"kind": ctx.db.kind.value},
        "requests": {"total": requests["total"], "by_status": by_status, "by_route": by_route},
        "counters": counters,
    }
    return JSONResponse(body)
