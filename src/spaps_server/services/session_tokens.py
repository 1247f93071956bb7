"""Token issuance and rotation: a sign-in opens a session and its first refresh token; a
refresh spends the token and issues the next one, and a spent token presented again revokes
its whole session (reuse detection). Beside :mod:`.sessions`, which authenticates the access
tokens issued here; both own their :class:`SessionsRepository`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock
from ..domain.error_codes import ErrorCode
from ..domain.errors import DomainError, UnauthorizedError
from ..domain.ids import new_id
from ..domain.models import Principal, RefreshTokenRecord, SessionRecord, User, UserWallet
from ..schemas.auth import TokenPair, TokenSet
from ..security.tokens import TokenSigner, hash_token, new_refresh_token
from ..storage.database import Database
from ..storage.sessions import SessionsRepository
from ..storage.users import UsersRepository
from .auth_common import TOKEN_TYPE, AuthMetrics, ClientInfo
from .sessions import SessionPolicy
from .users import UserAccounts


class SessionTokenService:
    """Opens sessions, issues and rotates their tokens, and ends them."""

    def __init__(
        self,
        db: Database,
        accounts: UserAccounts,
        signer: TokenSigner,
        clock: Clock,
        policy: SessionPolicy,
        metrics: AuthMetrics,
    ) -> None:
        self._db = db
        self._sessions = SessionsRepository(db)
        self._users = UsersRepository(db)
        self._accounts = accounts
        self._signer = signer
        self._clock = clock
        self._policy = policy
        self._metrics = metrics

    async def sign_in(
        self,
        user: User,
        *,
        method: str,
        client: ClientInfo,
        wallet: UserWallet | None = None,
    ) -> TokenPair:
        """Open a session for ``user`` (signed in by ``method``) and return its tokens; the
        ``user`` of the answer names ``wallet`` when one was used."""
        async with self._db.begin() as conn:
            session = await self._open_session(user, method=method, client=client, conn=conn)
            tokens = await self._issue(user, session, conn=conn)
            user_view = await self._accounts.token_user(user, wallet=wallet, conn=conn)
        self._metrics.sign_ins.inc(method=method, outcome="success")
        return TokenPair.of(tokens, user_view)

    async def _open_session(
        self, user: User, *, method: str, client: ClientInfo, conn: AsyncConnection
    ) -> SessionRecord:
        now = self._clock.now()
        session = SessionRecord(
            id=new_id("sess"),
            application_id=user.application_id,
            user_id=user.id,
            auth_method=method,
            user_agent=(client.user_agent or None) and client.user_agent[:512],
            ip_address=client.ip_address,
            created_at=now,
            last_activity_at=now,
            expires_at=now + timedelta(seconds=self._policy.session_ttl),
        )
        await self._sessions.insert(session, conn=conn)
        await self._users.touch_sign_in(user.application_id, user.id, now, conn=conn)
        return session

    async def _issue(
        self, user: User, session: SessionRecord, *, conn: AsyncConnection
    ) -> TokenSet:
        """A new refresh token for ``session`` and an access token carrying the user's
        effective tier."""
        refresh = new_refresh_token()
        await self._sessions.insert_refresh(
            RefreshTokenRecord(
                id=new_id("rtk"),
                application_id=user.application_id,
                session_id=session.id,
                token_hash=hash_token(refresh),
                created_at=self._clock.now(),
                expires_at=session.expires_at,
            ),
            conn=conn,
        )
        tier = await self._accounts.effective_tier(
            user.application_id, user.email, user.tier, conn=conn
        )
        access, expires_in = self._signer.issue_access_token(
            user_id=user.id,
            session_id=session.id,
            application_id=user.application_id,
            tier=tier,
            role=user.role,
            ttl_seconds=self._policy.access_token_ttl,
            extra_claims={"email": user.email} if user.email else None,
        )
        return TokenSet(
            access_token=access, refresh_token=refresh, expires_in=expires_in, token_type=TOKEN_TYPE
        )

    async def refresh(self, application_id: str, *, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair (the old one is spent). A spent token
        presented again revokes its whole session: 401 ``REFRESH_TOKEN_REUSED``."""
        failure: DomainError | None = None
        result: TokenPair | None = None
        now = self._clock.now()
        invalid = UnauthorizedError("Invalid refresh token", code=ErrorCode.INVALID_REFRESH)
        async with self._db.begin() as conn:
            record = await self._sessions.find_refresh(
                application_id, hash_token(refresh_token), conn=conn
            )
            session = (
                await self._sessions.get(application_id, record.session_id, conn=conn)
                if record
                else None
            )
            if record is None or session is None:
                failure = invalid
            elif record.used_at is not None or not await self._sessions.spend_refresh(
                record.id, now, conn=conn
            ):
                # Reuse: someone holds a copy of a rotated token. Kill the session so that
                # neither the thief nor the victim can continue with it.
                await self._sessions.revoke(
                    application_id, session.id, now, "refresh_reuse", conn=conn
                )
                self._metrics.reuse.inc()
                failure = UnauthorizedError(
                    "This refresh token was already used; the session has been revoked",
                    code=ErrorCode.REFRESH_TOKEN_REUSED,
                )
            elif not session.is_live(now) or now >= record.expires_at:
                failure = invalid
            else:
                user = await self._users.get(application_id, session.user_id, conn=conn)
                if user is None:
                    failure = invalid
                else:
                    await self._sessions.touch(application_id, session.id, now, conn=conn)
                    tokens = await self._issue(user, session, conn=conn)
                    user_view = await self._accounts.token_user(user, conn=conn)
                    result = TokenPair.of(tokens, user_view)
        # Raised after the block so that the reuse revocation is committed.
        if failure is not None:
            self._metrics.refreshes.inc(outcome=failure.code.value.lower())
            raise failure
        assert result is not None
        self._metrics.refreshes.inc(outcome="success")
        return result

    async def logout(self, principal: Principal) -> None:
        """Revoke the caller's session (its refresh token dies with it)."""
        await self._sessions.revoke(
            principal.application_id, principal.session_id, self._clock.now(), "logout"
        )

    async def revoke_all_of_user(
        self, application_id: str, user_id: str, reason: str, *, conn: AsyncConnection
    ) -> None:
        """Revoke every session of a user in ``conn``'s transaction (a password reset)."""
        await self._sessions.revoke_all_of_user(
            application_id, user_id, self._clock.now(), reason, conn=conn
        )
