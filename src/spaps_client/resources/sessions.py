"""``/api/sessions``: the signed-in user's sessions (all calls need a bearer token)."""

from __future__ import annotations

from typing import TypeVar

from .._engine import AsyncEngine, Endpoints, SyncEngine, path, query
from .._envelope import Reply
from .._resource import AsyncResource, E, Resource, SyncResource, endpoint
from ..errors import SessionError
from ..models.sessions import (
    SessionListResult,
    SessionRevokeResult,
    SessionSummary,
    SessionTouchResult,
    SessionValidationResult,
)

__all__ = ["AsyncSessionsClient", "SessionsClient", "SessionsResource"]

T = TypeVar("T")
SESSIONS_PREFIX = "/api/sessions"
MISSING_TOKEN = "Access token is required for session operations"
_SESSIONS = Endpoints(SESSIONS_PREFIX, SessionError, MISSING_TOKEN)


def _current(reply: Reply) -> SessionSummary:
    return reply.model(SessionSummary, reply.nested(reply.data(), "session"))


def _validation(reply: Reply) -> SessionValidationResult:
    data = reply.data()
    inner = data.get("session")
    if isinstance(inner, dict) and "valid" in inner:
        # The 0.1.x shape: the verdict itself sits under ``data.session``.
        return reply.model(SessionValidationResult, inner)
    fields = dict(data)
    if isinstance(inner, dict):
        # The later shape: ``{valid, reason, session: <summary>}``; lift what the summary
        # knows into the fields the verdict leaves out.
        if fields.get("session_id") is None:
            fields["session_id"] = inner.get("session_id") or inner.get("id")
        if fields.get("expires_at") is None:
            fields["expires_at"] = inner.get("expires_at")
    return reply.model(SessionValidationResult, fields)


def _listing(reply: Reply) -> SessionListResult:
    data = reply.data()
    sessions = data.get("sessions")
    if sessions is None:
        sessions = []
    total = data.get("total")
    if total is None and isinstance(sessions, list):
        total = len(sessions)
    return reply.model(SessionListResult, {"sessions": sessions, "total": total})


class SessionsResource(Resource[E]):
    """Sessions of the signed-in user: inspect, validate, list, keep alive and revoke.

    Every call needs an access token: the one given as ``access_token_override``, else the
    sub-client's ``access_token``, else the one in the token storage.
    """

    SESSIONS_PREFIX = SESSIONS_PREFIX

    @endpoint
    def get_current_session(self, *, access_token_override: str | None = None) -> SessionSummary:
        """The session behind the current access token.

        Example:
            >>> current = spaps.sessions.get_current_session()
            >>> print(current.session_id, current.expires_at)
        """
        return self._request(_SESSIONS.bearer("GET", "/current", _current, access_token_override))

    @endpoint
    def validate_session(
        self, *, access_token_override: str | None = None
    ) -> SessionValidationResult:
        """Ask the server whether the current session is still valid (it may renew it)."""
        return self._request(
            _SESSIONS.bearer("POST", "/validate", _validation, access_token_override, json={})
        )

    @endpoint
    def list_sessions(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        access_token_override: str | None = None,
    ) -> SessionListResult:
        """The user's sessions, newest first; page with ``starting_after=<last session id>``.

        Example:
            >>> page = spaps.sessions.list_sessions(limit=10)
            >>> for session in page.sessions:
            ...     print(session.session_id, session.user_agent, session.is_current)
        """
        params = query(limit=limit, starting_after=starting_after or None)
        return self._request(
            _SESSIONS.bearer("GET", "", _listing, access_token_override, params=params)
        )

    @endpoint
    def touch_session(self, *, access_token_override: str | None = None) -> SessionTouchResult:
        """Record activity on the current session so it does not go idle."""
        return self._request(
            _SESSIONS.bearer(
                "POST",
                "/touch",
                lambda reply: reply.model(SessionTouchResult, reply.data()),
                access_token_override,
                json={},
            )
        )

    @endpoint
    def revoke_session(
        self, session_id: str, *, access_token_override: str | None = None
    ) -> SessionRevokeResult:
        """Sign out one session (for example another device) by its id.

        Example:
            >>> spaps.sessions.revoke_session("sess_456")
        """
        if not session_id:
            raise ValueError("session_id is required")

        def parse(reply: Reply) -> SessionRevokeResult:
            if reply.is_empty:
                # 204 No Content (contract D2): the revocation itself is the answer.
                return SessionRevokeResult(message="Session revoked", session_id=session_id)
            # Servers that leave out the id still revoked the one we asked for.
            return reply.model(SessionRevokeResult, {"session_id": session_id, **reply.data()})

        return self._request(
            _SESSIONS.bearer("DELETE", path("/{}", session_id), parse, access_token_override)
        )


class SessionsClient(SyncResource, SessionsResource[SyncEngine]):
    """Blocking sessions sub-client (``spaps.sessions``)."""


class AsyncSessionsClient(AsyncResource, SessionsResource[AsyncEngine]):
    """Asyncio sessions sub-client (``client.sessions``); every endpoint is a coroutine."""
