"""Async whitelist sub-client (import path of the published client)."""

from .errors import WhitelistError
from .resources.whitelist import AsyncWhitelistClient

__all__ = ["AsyncWhitelistClient", "WhitelistError"]
