"""Sessions sub-client, its error and models (import path of the published client)."""

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
