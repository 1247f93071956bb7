"""Whitelist sub-client, its error and models (import path of the published client)."""

from .errors import WhitelistError
from .models.whitelist import (
    WhitelistCheckResult,
    WhitelistEntry,
    WhitelistListResult,
    WhitelistMessage,
)
from .resources.whitelist import WhitelistClient

__all__ = [
    "WhitelistCheckResult",
    "WhitelistClient",
    "WhitelistEntry",
    "WhitelistError",
    "WhitelistListResult",
    "WhitelistMessage",
]
