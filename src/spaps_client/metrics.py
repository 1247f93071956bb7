"""Metrics and health sub-client (import path of the published client)."""

from .errors import MetricsError
from .resources.metrics import MetricsClient

__all__ = ["MetricsClient", "MetricsError"]
