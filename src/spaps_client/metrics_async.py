"""Compatibility import path ``spaps_client.metrics_async``: re-exports only.

Async metrics and health sub-client;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import MetricsError
from .resources.metrics import AsyncMetricsClient

__all__ = ["AsyncMetricsClient", "MetricsError"]
