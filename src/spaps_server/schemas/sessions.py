"""Bodies of ``/api/sessions`` (protocol §3.1 and §3.3)."""

from __future__ import annotations

from .base import WireModel


class SessionSummary(WireModel):
    """The caller's current session, with activity figures."""

    id: str
    session_id: str
    user_id: str
    application_id: str
    tier: str
    auth_method: str
    created_at: str
    expires_at: str
    last_activity: str
    wallets_count: int
    duration_minutes: int
    idle_minutes: int


class CurrentSessionOut(WireModel):
    """``data = {session}`` of ``GET /api/sessions/current``."""

    session: SessionSummary


class SessionValidation(WireModel):
    """``POST /api/sessions/validate``: unnested (no ``session`` key); never renews."""

    valid: bool
    session_id: str
    expires_at: str
    renewed: bool


class SessionListItem(WireModel):
    """One live session of the caller."""

    id: str
    user_id: str
    application_id: str
    created_at: str
    last_used: str
    expires_at: str
    user_agent: str | None
    ip_address: str | None
    auth_method: str
    is_current: bool


class SessionList(WireModel):
    """``GET /api/sessions``: a page, newest first; ``total`` counts every live session."""

    sessions: list[SessionListItem]
    total: int


class SessionTouched(WireModel):
    """``POST /api/sessions/touch``."""

    message: str
    session_id: str
    last_activity: str


class SessionRevoked(WireModel):
    """``DELETE /api/sessions/{id}``."""

    message: str
    session_id: str
