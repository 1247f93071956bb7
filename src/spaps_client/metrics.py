"""Compatibility import path ``spaps_client.metrics``: re-exports only.

Metrics and health sub-client;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import MetricsError
from .resources.metrics import MetricsClient

__all__ = ["MetricsClient", "MetricsError"]
