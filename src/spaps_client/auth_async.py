"""Async auth sub-client (import path of the published client)."""

from .errors import AuthError
from .resources.auth import AsyncAuthClient

__all__ = ["AsyncAuthClient", "AuthError"]
