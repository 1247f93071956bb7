"""Compatibility import path ``spaps_client.sessions_async``: re-exports only.

Async sessions sub-client;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import SessionError
from .resources.sessions import AsyncSessionsClient

__all__ = ["AsyncSessionsClient", "SessionError"]
