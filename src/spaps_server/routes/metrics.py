"""``/api/metrics`` (Prometheus text) and ``/api/metrics/json`` (no API key, raw bodies
without the envelope; protocol §3.9, endpoints #52-#53). Both read the same collectors of the
app's ``MetricsRegistry``."""

from __future__ import annotations

import os
import platform

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from ..http.deps import Ctx
from ..services.metrics import resident_memory_bytes

router = APIRouter(tags=["metrics"])


@router.get(
    "/api/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def prometheus(ctx: Ctx, request: Request) -> Response:
    """Request counts and latency histograms by route template and status, process gauges,
    and the domain counters, in the Prometheus text format (OpenMetrics when the ``Accept``
    header asks for it)."""
    body, content_type = ctx.metrics.exposition(request.headers.get("accept"))
    return Response(body, media_type=content_type)


class MemoryOut(BaseModel):
    """The server process's memory."""

    rss_mb: float


class SystemOut(BaseModel):
    """The process answering the request."""

    memory: MemoryOut
    pid: int
    python: str
    platform: str


class DatabaseOut(BaseModel):
    """Which database the server runs on (``sqlite`` or ``postgresql``)."""

    kind: str


class RequestsOut(BaseModel):
    """``http_requests_total`` summed by status code and by ``METHOD route-template``."""

    total: int | float
    by_status: dict[str, int | float]
    by_route: dict[str, int | float]


class SeriesOut(BaseModel):
    """One label set of a counter."""

    labels: dict[str, str]
    value: int | float


class CounterOut(BaseModel):
    """A counter's sum over its label sets, and each label set."""

    total: int | float
    series: list[SeriesOut]


class MetricsJsonOut(BaseModel):
    """The JSON view of the metrics."""

    timestamp: str
    uptime_seconds: float
    system: SystemOut
    database: DatabaseOut
    requests: RequestsOut
    counters: dict[str, CounterOut]


@router.get("/api/metrics/json", summary="Metrics as JSON", response_model=MetricsJsonOut)
async def metrics_json(ctx: Ctx) -> MetricsJsonOut:
    """``timestamp``, ``uptime_seconds``, ``system.memory.rss_mb``, request totals and every
    counter."""
    snapshot = ctx.metrics.snapshot()
    counters = {
        name: CounterOut.model_validate(data)
        for name, data in snapshot.items()
        if data["type"] == "counter"
    }
    requests = counters.get("http_requests_total") or CounterOut(total=0, series=[])
    by_status: dict[str, int | float] = {}
    by_route: dict[str, int | float] = {}
    for item in requests.series:
        status, route = item.labels["status"], f"{item.labels['method']} {item.labels['route']}"
        by_status[status] = by_status.get(status, 0) + item.value
        by_route[route] = by_route.get(route, 0) + item.value
    now = ctx.clock.now()
    return MetricsJsonOut(
        timestamp=now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        uptime_seconds=round(ctx.metrics.uptime(), 3),
        system=SystemOut(
            memory=MemoryOut(rss_mb=round(resident_memory_bytes() / (1024 * 1024), 1)),
            pid=os.getpid(),
            python=platform.python_version(),
            platform=platform.system().lower(),
        ),
        database=DatabaseOut(kind=ctx.db.kind.value),
        requests=RequestsOut(total=requests.total, by_status=by_status, by_route=by_route),
        counters=counters,
    )
