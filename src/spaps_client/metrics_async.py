"""Async metrics and health sub-client (import path of the published client)."""

from .errors import MetricsError
from .resources.metrics import AsyncMetricsClient

__all__ = ["AsyncMetricsClient", "MetricsError"]
