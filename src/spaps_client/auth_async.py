"""Compatibility import path ``spaps_client.auth_async``: re-exports only.

Async auth sub-client;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import AuthError
from .resources.auth import AsyncAuthClient

__all__ = ["AsyncAuthClient", "AuthError"]
