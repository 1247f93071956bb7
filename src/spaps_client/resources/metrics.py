"""Metrics and health: ``/api/metrics``, ``/api/metrics/json``, ``/health``, ``/health/ready``.

These calls send no credentials (no API key, no bearer token) and read raw bodies with no
envelope. An HTTP error status or an unreadable body raises :class:`MetricsError`.
"""

from __future__ import annotations

from typing import Any

from .._engine import AsyncEngine, Auth, Operation, SyncEngine
from .._envelope import Reply
from .._resource import AsyncResource, E, Resource, SyncResource, endpoint
from ..errors import MetricsError

__all__ = ["AsyncMetricsClient", "MetricsClient", "MetricsResource"]

METRICS_PATH = "/api/metrics"
METRICS_JSON_PATH = "/api/metrics/json"
HEALTH_PATH = "/health"
READINESS_PATH = "/health/ready"


def _json_object(path: str, accept: str | None = None) -> Operation[dict[str, Any]]:
    return Operation(
        "GET", path, lambda reply: reply.body(), MetricsError, auth=Auth.NONE, accept=accept
    )


def _text(reply: Reply) -> str:
    return reply.text()


class MetricsResource(Resource[E]):
    """Server metrics and health probes. No token is needed; none is sent."""

    METRICS_PATH = METRICS_PATH
    METRICS_JSON_PATH = METRICS_JSON_PATH
    HEALTH_PATH = HEALTH_PATH
    READINESS_PATH = READINESS_PATH

    @endpoint
    def get_prometheus_metrics(self) -> str:
        """The metrics in the Prometheus text format.

        Example:
            >>> text = spaps.metrics.get_prometheus_metrics()
            >>> "http_requests_total" in text
            True
        """
        return self._request(
            Operation("GET", METRICS_PATH, _text, MetricsError, auth=Auth.NONE, accept="text/plain")
        )

    @endpoint
    def get_metrics_json(self) -> dict[str, Any]:
        """The metrics as a JSON object (uptime, memory, request counters)."""
        return self._request(_json_object(METRICS_JSON_PATH, "application/json"))

    @endpoint
    def health(self) -> dict[str, Any]:
        """Liveness: ``{"status": "healthy"}`` (or ``"ok"``) while the server runs.

        Example:
            >>> spaps.metrics.health()["status"]
            'healthy'
        """
        return self._request(_json_object(HEALTH_PATH))

    @endpoint
    def readiness(self) -> dict[str, Any]:
        """Readiness: ``{"ready": true}`` once the server can take traffic. A server that is
        not ready answers 503, raised as :class:`MetricsError`."""
        return self._request(_json_object(READINESS_PATH))


class MetricsClient(SyncResource, MetricsResource[SyncEngine]):
    """Blocking metrics sub-client (``spaps.metrics``)."""


class AsyncMetricsClient(AsyncResource, MetricsResource[AsyncEngine]):
    """Asyncio metrics sub-client (``client.metrics``); every endpoint is a coroutine."""
