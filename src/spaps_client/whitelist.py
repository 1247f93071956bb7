"""Compatibility import path ``spaps_client.whitelist``: re-exports only.

Whitelist sub-client, its error and models;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

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
