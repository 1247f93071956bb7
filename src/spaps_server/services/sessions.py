"""Sessions: bearer authentication (token and session row), and the session routes' logic
(current, validate, list, touch, revoke). No HTTP here: callers pass plain values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.clock import Clock, iso
from ..domain.error_codes import ErrorCode
from ..domain.errors import NotFoundError, UnauthorizedError
from ..domain.models import Principal, SessionRecord
from ..schemas.sessions import (
    SessionList,
    SessionListItem,
    SessionRevoked,
    SessionSummary,
    SessionTouched,
    SessionValidation,
)
from ..security.errors import ExpiredTokenError, TokenError
from ..security.tokens import TokenSigner
from ..storage.database import Database
from ..storage.sessions import SessionsRepository
from ..storage.users import UsersRepository
from .metrics import MetricsRegistry

# Activity is written at most this often per session, so that a busy client does not turn
# every authenticated read into a write.
_TOUCH_INTERVAL_SECONDS = 60


def _whole_minutes(elapsed: timedelta) -> int:
    return max(0, math.floor(elapsed.total_seconds() / 60))


@dataclass(frozen=True)
class SessionPolicy:
    """Lifetimes of sessions and access tokens."""

    access_token_ttl: int
    session_ttl: int


class SessionService:
    """Authenticates bearer tokens against the session table and manages sessions."""

    def __init__(
        self,
        db: Database,
        signer: TokenSigner,
        clock: Clock,
        metrics: MetricsRegistry,
        policy: SessionPolicy,
    ) -> None:
        self._db = db
        self._repo = SessionsRepository(db)
        self._users = UsersRepository(db)
        self._signer = signer
        self._clock = clock
        self.policy = policy
        self._rejections = metrics.counter(
            "spaps_bearer_rejections_total",
            "Bearer tokens refused, by reason",
            ("reason",),
        )

    def _reject(self, reason: str, message: str, code: ErrorCode) -> UnauthorizedError:
        self._rejections.inc(reason=reason)
        return UnauthorizedError(message, code=code)

    async def authenticate(
        self, token: str | None, application_id: str, *, with_wallets_count: bool = False
    ) -> Principal:
        """The principal of a bearer token issued for ``application_id`` whose session is
        live. Raises 401 ``UNAUTHORIZED`` (missing), ``TOKEN_EXPIRED``, ``INVALID_TOKEN``
        (bad signature or claims, another application's token), ``SESSION_REVOKED`` or
        ``INVALID_SESSION`` (unknown or expired session).

        The session row is read from the database on every call (never cached), so a
        revocation committed by any process is refused by the next request. The row is
        returned on ``Principal.session``; with ``with_wallets_count`` the same single
        query also counts the user's wallets (``Principal.wallets_count``)."""
        if not token:
            raise self._reject(
                "missing",
                "Missing access token: send it as 'Authorization: Bearer <token>'",
                ErrorCode.UNAUTHORIZED,
            )
        try:
            claims = self._signer.verify_access_token(token, application_id=application_id)
        except ExpiredTokenError as exc:
            raise self._reject("expired", "The access token has expired", exc.code) from None
        except TokenError as exc:
            raise self._reject("invalid", "The access token is invalid", exc.code) from None
        wallets_count: int | None = None
        if with_wallets_count:
            found = await self._repo.get_with_wallet_count(application_id, claims.session_id)
            session, wallets_count = found if found is not None else (None, None)
        else:
            session = await self._repo.get(application_id, claims.session_id)
        if session is None or session.user_id != claims.user_id:
            raise self._reject(
                "unknown_session", "The session does not exist", ErrorCode.INVALID_SESSION
            )
        if session.revoked_at is not None:
            raise self._reject("revoked", "The session has been revoked", ErrorCode.SESSION_REVOKED)
        if not session.is_live(self._clock.now()):
            raise self._reject(
                "session_expired", "The session has expired", ErrorCode.INVALID_SESSION
            )
        email = claims.extra.get("email")
        return Principal(
            user_id=claims.user_id,
            session_id=claims.session_id,
            application_id=claims.application_id,
            email=email if isinstance(email, str) else None,
            tier=claims.tier,
            role=claims.role,
            session=session,
            wallets_count=wallets_count,
        )

    async def _live_session(self, principal: Principal) -> SessionRecord:
        # The row read while authenticating this very request is as fresh as a second read.
        session = principal.session
        if session is None:
            session = await self._repo.get(principal.application_id, principal.session_id)
        if session is None or not session.is_live(self._clock.now()):
            raise UnauthorizedError(
                "The session is no longer valid", code=ErrorCode.INVALID_SESSION
            )
        return session

    async def _note_activity(self, session: SessionRecord) -> datetime:
        now = self._clock.now()
        if (now - session.last_activity_at).total_seconds() >= _TOUCH_INTERVAL_SECONDS:
            await self._repo.touch(session.application_id, session.id, now)
            return now
        return session.last_activity_at

    async def current(self, principal: Principal) -> SessionSummary:
        """The SessionSummary of the caller's session (protocol §3.1). Uses the row and
        wallet count loaded while authenticating when the principal carries them."""
        found: tuple[SessionRecord, int] | None
        if principal.session is not None and principal.wallets_count is not None:
            found = (principal.session, principal.wallets_count)
        else:
            found = await self._repo.get_with_wallet_count(
                principal.application_id, principal.session_id
            )
        if found is None or not found[0].is_live(self._clock.now()):
            raise UnauthorizedError(
                "The session is no longer valid", code=ErrorCode.INVALID_SESSION
            )
        session, wallets_count = found
        last_activity = await self._note_activity(session)
        now = self._clock.now()
        return SessionSummary(
            id=session.id,
            session_id=session.id,
            user_id=session.user_id,
            application_id=session.application_id,
            tier=principal.tier,
            auth_method=session.auth_method,
            created_at=iso(session.created_at),
            expires_at=iso(session.expires_at),
            last_activity=iso(last_activity),
            wallets_count=wallets_count,
            duration_minutes=_whole_minutes(now - session.created_at),
            idle_minutes=_whole_minutes(now - last_activity),
        )

    async def validate(self, principal: Principal) -> SessionValidation:
        """``{valid, session_id, expires_at, renewed}``: the caller's session is live (the
        bearer dependency already refused it otherwise). Never renews: expiry is fixed at
        sign-in and extended only by refreshing."""
        session = await self._live_session(principal)
        await self._note_activity(session)
        return SessionValidation(
            valid=True, session_id=session.id, expires_at=iso(session.expires_at), renewed=False
        )

    async def list(
        self, principal: Principal, *, limit: int | None, starting_after: str | None
    ) -> SessionList:
        """The caller's live sessions, newest first, and how many there are."""
        rows, total = await self._repo.list_live(
            principal.application_id,
            principal.user_id,
            self._clock.now(),
            limit=limit,
            starting_after=starting_after,
        )
        return SessionList(
            sessions=[
                SessionListItem(
                    id=s.id,
                    user_id=s.user_id,
                    application_id=s.application_id,
                    created_at=iso(s.created_at),
                    last_used=iso(s.last_activity_at),
                    expires_at=iso(s.expires_at),
                    user_agent=s.user_agent,
                    ip_address=s.ip_address,
                    auth_method=s.auth_method,
                    is_current=s.id == principal.session_id,
                )
                for s in rows
            ],
            total=total,
        )

    async def touch(self, principal: Principal) -> SessionTouched:
        """Record activity now."""
        session = await self._live_session(principal)
        now = self._clock.now()
        await self._repo.touch(session.application_id, session.id, now)
        return SessionTouched(
            message="Session activity updated", session_id=session.id, last_activity=iso(now)
        )

    async def revoke(self, principal: Principal, session_id: str) -> SessionRevoked:
        """Revoke one of the caller's sessions. Another user's or an unknown session is
        404 ``SESSION_NOT_FOUND`` (never revealing that it exists)."""
        session = await self._repo.get(principal.application_id, session_id)
        if session is None or session.user_id != principal.user_id:
            raise NotFoundError("Session not found", code=ErrorCode.SESSION_NOT_FOUND)
        if session.revoked_at is None:
            await self._repo.revoke(
                principal.application_id, session_id, self._clock.now(), "user_revoked"
            )
        return SessionRevoked(message="Session revoked successfully", session_id=session_id)
