"""Bodies of ``/health`` and ``/health/ready`` (raw JSON, no envelope; protocol §3.9)."""

from __future__ import annotations

from typing import Literal

from .base import Omittable, WireModel


class HealthOut(WireModel):
    """Liveness: always ``healthy`` while the process serves requests."""

    status: Literal["healthy"] = "healthy"
    service: str
    version: str
    uptime_seconds: float


class DatabaseCheck(WireModel):
    """The database probe: ``latency_ms`` when it answered, ``error`` (a type name) when not."""

    status: Literal["ok", "error"]
    kind: str
    latency_ms: Omittable[float] = None
    error: Omittable[str] = None


class ReadinessChecks(WireModel):
    """Every readiness probe."""

    database: DatabaseCheck


class ReadyOut(WireModel):
    """Readiness: ``ready`` and what each probe found."""

    ready: bool
    checks: ReadinessChecks
