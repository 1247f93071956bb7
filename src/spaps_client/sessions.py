"""Compatibility import path ``spaps_client.sessions``: re-exports only.

Sessions sub-client, its error and models;
the code lives in ``spaps_client.resources`` and ``spaps_client.models``.
"""

from .errors import SessionError
from .models.sessions import (
    SessionListResult,
    SessionRecord,
    SessionRevokeResult,
    SessionSummary,
    SessionTouchResult,
    SessionValidationResult,
)
from .resources.sessions import SessionsClient

__all__ = [
    "SessionError",
    "SessionListResult",
    "SessionRecord",
    "SessionRevokeResult",
    "SessionSummary",
    "SessionTouchResult",
    "SessionValidationResult",
    "SessionsClient",
]
