"""Async sessions sub-client (import path of the published client)."""

from .errors import SessionError
from .resources.sessions import AsyncSessionsClient

__all__ = ["AsyncSessionsClient", "SessionError"]
