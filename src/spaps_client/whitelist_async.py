"""Compatibility import path ``spaps_client.whitelist_async``: re-exports only.

Async whitelist sub-client;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import WhitelistError
from .resources.whitelist import AsyncWhitelistClient

__all__ = ["AsyncWhitelistClient", "WhitelistError"]
