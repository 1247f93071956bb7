"""Models of the ``/api/sessions`` endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, Field, field_validator

from ._base import SpapsModel, none_as_empty_list

__all__ = [
    "SessionListResult",
    "SessionRecord",
    "SessionRevokeResult",
    "SessionSummary",
    "SessionTouchResult",
    "SessionValidationResult",
]

_SESSION_ID = AliasChoices("id", "session_id")


class SessionSummary(SpapsModel):
    """The session behind the current access token (``get_current_session``).

    The minute counters are whole numbers as the contract states: ``600.0`` is read as 600,
    while a fractional value such as ``5.5`` fails validation (a malformed-response error).
    """

    session_id: str = Field(validation_alias=_SESSION_ID)
    user_id: str
    application_id: str
    tier: str | None = None
    created_at: datetime
    expires_at: datetime
    last_activity: datetime
    wallets_count: int | None = None
    duration_minutes: int | None = None
    idle_minutes: int | None = None

    @property
    def id(self) -> str:
        """Alias of ``session_id`` (the JSON key is ``id``)."""
        return self.session_id


class SessionValidationResult(SpapsModel):
    """Whether the current session is valid (``validate_session``)."""

    valid: bool
    session_id: str | None = None
    expires_at: datetime | None = None
    renewed: bool | None = None
    reason: str | None = None


class SessionRecord(SpapsModel):
    """One of the user's sessions in ``list_sessions``."""

    session_id: str = Field(validation_alias=_SESSION_ID)
    user_id: str
    application_id: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used: datetime | None = None
    user_agent: str | None = None
    ip_address: str | None = None
    is_current: bool | None = None

    @property
    def id(self) -> str:
        """Alias of ``session_id`` (the JSON key is ``id``)."""
        return self.session_id


class SessionListResult(SpapsModel):
    """A page of sessions; ``total`` defaults to the number of sessions returned."""

    sessions: list[SessionRecord] = Field(default_factory=list)
    total: int = 0

    @field_validator("sessions", mode="before")
    @classmethod
    def _sessions(cls, value: Any) -> Any:
        return none_as_empty_list(value)


class SessionTouchResult(SpapsModel):
    """The answer to ``touch_session`` (activity recorded)."""

    message: str
    session_id: str
    last_activity: datetime | None = None


class SessionRevokeResult(SpapsModel):
    """The answer to ``revoke_session``."""

    message: str
    session_id: str
