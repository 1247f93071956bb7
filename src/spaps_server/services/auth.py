"""Sign-in flows: password register/login, refresh with rotation and reuse detection, logout,
magic links, password resets, e-mail confirmation, wallet sign-in, and the current user.

No HTTP here: routes pass the caller's IP address and user agent as plain values
(:class:`ClientInfo`) and turn the returned dicts into envelopes. Every query is scoped by
application id. Secrets (passwords, tokens, signatures) never reach a log line or an error.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock, iso
from ..domain.error_codes import ErrorCode
from ..domain.errors import (
    DomainError,
    ForbiddenError,
    InvalidError,
    RateLimitedError,
    UnauthorizedError,
)
from ..domain.ids import new_id
from ..domain.models import (
    OneTimeToken,
    Principal,
    RefreshTokenRecord,
    SessionRecord,
    User,
    UserWallet,
    WalletNonce,
)
from ..security.errors import (
    InvalidSignatureError,
    InvalidWalletAddressError,
    RateLimitExceededError,
    UnsupportedChainError,
    WeakPasswordError,
)
from ..security.passwords import PasswordHasher, check_password_strength
from ..security.ratelimit import RateLimiter, RateLimitRule
from ..security.tokens import (
    MAGIC_LINK_TOKEN_PREFIX,
    PASSWORD_RESET_TOKEN_PREFIX,
    TokenSigner,
    hash_token,
    new_opaque_token,
    new_refresh_token,
)
from ..security.wallets import (
    NONCE_LIFETIME,
    build_nonce_message,
    canonical_chain,
    new_nonce,
    normalize_address,
    resolve_chain,
    verify_wallet_signature,
)
from ..storage.database import Database
from ..storage.sessions import SessionsRepository
from ..storage.tokens import TokensRepository
from ..storage.users import UsersRepository, normalize_email
from .mailbox import MailboxService
from .metrics import MetricsRegistry
from .sessions import SessionService

TierOverride = Callable[[str, str], Awaitable[str | None]]
"""``async (application_id, email) -> tier | None``: a tier that replaces a user's stored
tier (the whitelist plugs in here); ``None`` keeps the stored one."""

ProfileMetadata = Callable[[str, str], Awaitable[dict[str, Any]]]
"""``async (application_id, email) -> keys`` merged over a user's stored profile ``metadata``
(the whitelist adds ``bypass_payment`` here)."""

DEFAULT_TIER = "basic"
DEFAULT_ROLE = "user"
TOKEN_TYPE = "Bearer"

MAGIC_LINK_LIFETIME = timedelta(minutes=15)
PASSWORD_RESET_LIFETIME = timedelta(hours=1)
EMAIL_CONFIRMATION_LIFETIME = timedelta(days=2)
EMAIL_CONFIRMATION_TOKEN_PREFIX = "ec"

KIND_MAGIC_LINK = "magic_link"
KIND_PASSWORD_RESET = "password_reset"
KIND_EMAIL_CONFIRMATION = "email_confirmation"

# Deliberately simple: one "@", no spaces, a dot in the domain. Deliverability is the
# mailbox's problem; this only catches typos and injection attempts.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{1,63}$")


def dev_auth_rules() -> dict[str, RateLimitRule]:
    """The server's default limits: generous for development (tests and scripts sign in a
    lot from one address) yet real. Per-account login counts *failed* attempts only."""
    minute, quarter, hour = 60.0, 900.0, 3600.0
    return {
        "login:ip": RateLimitRule(300, minute),
        "login:acct": RateLimitRule(20, quarter),
        "register:ip": RateLimitRule(200, hour),
        "register:acct": RateLimitRule(10, hour),
        "magic-link:ip": RateLimitRule(60, quarter),
        "magic-link:acct": RateLimitRule(10, quarter),
        "password-reset:ip": RateLimitRule(60, quarter),
        "password-reset:acct": RateLimitRule(10, quarter),
        "nonce:ip": RateLimitRule(300, minute),
        "wallet-sign-in:ip": RateLimitRule(300, minute),
        "wallet-sign-in:acct": RateLimitRule(20, quarter),
    }


def build_rate_limiter(overrides: tuple[tuple[str, int, float], ...] = ()) -> RateLimiter:
    """A limiter with :func:`dev_auth_rules` and the configured overrides."""
    rules = dev_auth_rules()
    for bucket, limit, window in overrides:
        rules[bucket] = RateLimitRule(limit, window)
    return RateLimiter(rules)


@dataclass(frozen=True)
class ClientInfo:
    """Who is calling, as plain values (for session rows and per-IP limits)."""

    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class AuthSettings:
    """Behaviour switches of the auth flows."""

    base_url: str
    require_email_confirmation: bool = False


@dataclass(frozen=True)
class RegistrationResult:
    """What register returns: the user, a message, and tokens when auto-login applies."""

    user: dict[str, Any]
    message: str
    tokens: dict[str, Any] | None


def _valid_email(email: str) -> str:
    cleaned = email.strip()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise InvalidError("Invalid email address", code=ErrorCode.INVALID_EMAIL)
    return normalize_email(cleaned)


def _message_hash(message: str) -> str:
    return hashlib.sha256(message.encode("utf-8")).hexdigest()


class AuthService:
    """The sign-in flows; see the module documentation."""

    def __init__(
        self,
        db: Database,
        sessions: SessionService,
        signer: TokenSigner,
        clock: Clock,
        metrics: MetricsRegistry,
        mailbox: MailboxService,
        hasher: PasswordHasher,
        limiter: RateLimiter,
        settings: AuthSettings,
        *,
        tier_override: TierOverride | None = None,
        profile_metadata: ProfileMetadata | None = None,
    ) -> None:
        self._db = db
        self._sessions = sessions
        self._session_repo: SessionsRepository = sessions.repository
        self._users = UsersRepository(db)
        self._tokens = TokensRepository(db)
        self._signer = signer
        self._clock = clock
        self._mailbox = mailbox
        self._hasher = hasher
        self.limiter = limiter
        self.settings = settings
        self.tier_override: TierOverride | None = tier_override
        self.profile_metadata: ProfileMetadata | None = profile_metadata
        self._sign_ins = metrics.counter(
            "spaps_auth_sign_ins_total",
            "Sign-in attempts by method and outcome",
            ("method", "outcome"),
        )
        self._refreshes = metrics.counter(
            "spaps_auth_refreshes_total", "Refresh-token exchanges by outcome", ("outcome",)
        )
        self._reuse = metrics.counter(
            "spaps_auth_refresh_reuse_total",
            "Spent refresh tokens presented again (the session was revoked)",
        )
        self._rate_limited = metrics.counter(
            "spaps_auth_rate_limited_total", "Requests refused by a rate limit", ("bucket",)
        )
        self._registrations = metrics.counter(
            "spaps_auth_registrations_total", "Accounts created by method", ("method",)
        )

    @property
    def users(self) -> UsersRepository:
        """The users repository (for seeding and other services)."""
        return self._users

    # --- tiers, users and tokens -------------------------------------------------------

    async def effective_tier(self, application_id: str, email: str | None, stored_tier: str) -> str:
        """The tier a user has now: the injected override's answer for their e-mail if it
        gives one, else the stored tier. The single place tokens and profiles get a tier."""
        if self.tier_override is not None and email:
            override = await self.tier_override(application_id, email)
            if override:
                return override
        return stored_tier

    def _rate(self, bucket: str, subject: str) -> None:
        try:
            self.limiter.enforce(f"{bucket}:{subject}")
        except RateLimitExceededError as exc:
            self._rate_limited.inc(bucket=bucket)
            raise RateLimitedError(
                "Too many attempts. Please try again later.",
                code=ErrorCode.RATE_LIMITED,
                retry_after_seconds=exc.retry_after_seconds,
            ) from None

    def _rate_peek(self, bucket: str, subject: str) -> None:
        decision = self.limiter.peek(f"{bucket}:{subject}")
        if not decision.allowed:
            self._rate_limited.inc(bucket=bucket)
            raise RateLimitedError(
                "Too many attempts. Please try again later.",
                code=ErrorCode.RATE_LIMITED,
                retry_after_seconds=decision.retry_after_seconds,
            )

    def _limit_ip(self, bucket: str, client: ClientInfo) -> None:
        self._rate(f"{bucket}:ip", client.ip_address or "unknown")

    async def _hash(self, password: str) -> str:
        # argon2 is CPU-bound for tens of milliseconds; keep the event loop serving others.
        return await asyncio.to_thread(self._hasher.hash, password)

    async def _verify(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None:
            await asyncio.to_thread(self._hasher.dummy_verify, password)
            return False
        return await asyncio.to_thread(self._hasher.verify, password_hash, password)

    async def token_user(
        self, user: User, *, wallet: UserWallet | None = None, conn: AsyncConnection | None = None
    ) -> dict[str, Any]:
        """The ``user`` of token responses (TokenUser/RegistrationUser: wallets as strings)."""
        wallets = await self._users.wallets_of(user.application_id, user.id, conn=conn)
        body: dict[str, Any] = {
            "id": user.id,
            "email": user.email,
            "username": user.username,
            "phone_number": user.phone_number,
            "tier": await self.effective_tier(user.application_id, user.email, user.tier),
            "role": user.role,
            "email_confirmed": user.email_confirmed,
            "wallets": [w.wallet_address for w in wallets],
        }
        if wallet is not None:
            body["wallet_address"] = wallet.wallet_address
            body["chain"] = wallet.chain_type
        return body

    async def profile(self, user: User) -> dict[str, Any]:
        """The ``user`` of ``GET /api/auth/user`` (UserProfile: wallets as objects)."""
        wallets = await self._users.wallets_of(user.application_id, user.id)
        metadata = dict(user.metadata)
        if self.profile_metadata is not None and user.email:
            metadata.update(await self.profile_metadata(user.application_id, user.email))
        return {
            "id": user.id,
            "email": user.email,
            "username": user.username,
            "phone_number": user.phone_number,
            "tier": await self.effective_tier(user.application_id, user.email, user.tier),
            "role": user.role,
            "email_confirmed": user.email_confirmed,
            "wallets": [
                {
                    "wallet_address": w.wallet_address,
                    "chain_type": w.chain_type,
                    "verified": w.verified,
                }
                for w in wallets
            ],
            "metadata": metadata,
            "created_at": iso(user.created_at),
        }

    async def _start_session(
        self, user: User, *, method: str, client: ClientInfo, conn: AsyncConnection
    ) -> dict[str, Any]:
        """Create a session and its first refresh token; return the token fields."""
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
            expires_at=now + timedelta(seconds=self._sessions.policy.session_ttl),
        )
        await self._session_repo.insert(session, conn=conn)
        await self._users.touch_sign_in(user.application_id, user.id, now, conn=conn)
        return await self._tokens_for(user, session, conn=conn)

    async def _tokens_for(
        self, user: User, session: SessionRecord, *, conn: AsyncConnection
    ) -> dict[str, Any]:
        refresh = new_refresh_token()
        await self._session_repo.insert_refresh(
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
        tier = await self.effective_tier(user.application_id, user.email, user.tier)
        access, expires_in = self._signer.issue_access_token(
            user_id=user.id,
            session_id=session.id,
            application_id=user.application_id,
            tier=tier,
            role=user.role,
            ttl_seconds=self._sessions.policy.access_token_ttl,
            extra_claims={"email": user.email} if user.email else None,
        )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": expires_in,
            "token_type": TOKEN_TYPE,
            "session_id": session.id,
        }

    async def _token_pair(
        self,
        user: User,
        *,
        method: str,
        client: ClientInfo,
        wallet: UserWallet | None = None,
    ) -> dict[str, Any]:
        async with self._db.begin() as conn:
            tokens = await self._start_session(user, method=method, client=client, conn=conn)
            user_body = await self.token_user(user, wallet=wallet, conn=conn)
        self._sign_ins.inc(method=method, outcome="success")
        return {**tokens, "user": user_body}

    async def create_user(
        self,
        application_id: str,
        *,
        email: str | None,
        password: str | None = None,
        username: str | None = None,
        phone_number: str | None = None,
        tier: str = DEFAULT_TIER,
        role: str = DEFAULT_ROLE,
        email_confirmed: bool = True,
        metadata: Mapping[str, Any] | None = None,
        check_strength: bool = True,
        conn: AsyncConnection | None = None,
    ) -> User:
        """Create a user (password hashed with argon2id). Raises 400 ``INVALID_EMAIL``,
        ``WEAK_PASSWORD`` or ``EMAIL_ALREADY_EXISTS``."""
        address = _valid_email(email) if email is not None else None
        if password is not None and check_strength:
            self.check_password(password, email=address, username=username)
        password_hash = await self._hash(password) if password is not None else None
        now = self._clock.now()
        user = User(
            id=new_id("user"),
            application_id=application_id,
            email=address,
            username=username,
            phone_number=phone_number,
            password_hash=password_hash,
            tier=tier,
            role=role,
            email_confirmed=email_confirmed,
            metadata=dict(metadata or {}),
            created_at=now,
            updated_at=now,
        )
        try:
            async with self._db.use(conn) as c:
                if address is not None and await self._users.get_by_email(
                    application_id, address, conn=c
                ):
                    raise InvalidError(
                        "An account with this email already exists",
                        code=ErrorCode.EMAIL_ALREADY_EXISTS,
                    )
                await self._users.insert(user, conn=c)
        except IntegrityError:
            raise InvalidError(
                "An account with this email already exists", code=ErrorCode.EMAIL_ALREADY_EXISTS
            ) from None
        return user

    def check_password(self, password: str, *, email: str | None, username: str | None) -> None:
        """Raise 400 ``WEAK_PASSWORD`` unless the password meets the strength rule."""
        inputs = [v for v in (email.split("@")[0] if email else None, username) if v]
        try:
            check_password_strength(password, user_inputs=inputs)
        except WeakPasswordError as exc:
            raise InvalidError(
                exc.message, code=ErrorCode.WEAK_PASSWORD, details={"reason": exc.reason}
            ) from None

    async def link_wallet(
        self,
        user: User,
        *,
        wallet_address: str,
        chain: str | None,
        verified: bool,
        conn: AsyncConnection | None = None,
    ) -> UserWallet:
        """Link a wallet (normalised) to a user; 400 on a bad chain or address."""
        canonical, address = self.wallet_identity(wallet_address, chain)
        wallet = UserWallet(
            id=new_id("wal"),
            application_id=user.application_id,
            user_id=user.id,
            wallet_address=address,
            chain_type=canonical,
            verified=verified,
            created_at=self._clock.now(),
        )
        await self._users.insert_wallet(wallet, conn=conn)
        return wallet

    @staticmethod
    def wallet_identity(wallet_address: str, chain: str | None) -> tuple[str, str]:
        try:
            canonical = canonical_chain(chain) if chain else resolve_chain(None, wallet_address)
            return canonical, normalize_address(canonical, wallet_address.strip())
        except UnsupportedChainError as exc:
            raise InvalidError(exc.message, code=ErrorCode.UNSUPPORTED_CHAIN) from None
        except InvalidWalletAddressError as exc:
            raise InvalidError(exc.message, code=ErrorCode.INVALID_WALLET_ADDRESS) from None

    # --- password flows ----------------------------------------------------------------

    async def register(
        self,
        application_id: str,
        *,
        email: str,
        password: str,
        username: str | None,
        phone_number: str | None,
        client: ClientInfo,
    ) -> RegistrationResult:
        """Create a password account. Auto-login (tokens) unless the server requires e-mail
        confirmation, in which case a confirmation mail is sent instead."""
        self._limit_ip("register", client)
        address = _valid_email(email)
        self._rate("register:acct", f"{application_id}:{address}")
        confirm = self.settings.require_email_confirmation
        user = await self.create_user(
            application_id,
            email=address,
            password=password,
            username=username,
            phone_number=phone_number,
            email_confirmed=not confirm,
        )
        self._registrations.inc(method="password")
        if confirm:
            await self._send_email_confirmation(user)
            return RegistrationResult(
                user=await self.token_user(user),
                message="Registration successful. Please check your email to confirm your account.",
                tokens=None,
            )
        pair = await self._token_pair(user, method="password", client=client)
        return RegistrationResult(
            user=pair["user"],
            message="Registration and login successful",
            tokens={k: pair[k] for k in ("access_token", "refresh_token", "expires_in")}
            | {"token_type": TOKEN_TYPE},
        )

    async def login(
        self, application_id: str, *, email: str, password: str, client: ClientInfo
    ) -> dict[str, Any]:
        """Password sign-in: a token pair, or 401 ``INVALID_CREDENTIALS`` (same answer and
        cost whether or not the account exists)."""
        self._limit_ip("login", client)
        address = normalize_email(email)
        account_key = f"{application_id}:{address}"
        self._rate_peek("login:acct", account_key)
        user = await self._users.get_by_email(application_id, address) if address else None
        ok = await self._verify(user.password_hash if user else None, password)
        if user is None or not ok:
            self.limiter.hit(f"login:acct:{account_key}")
            self._sign_ins.inc(method="password", outcome="failure")
            raise UnauthorizedError("Invalid email or password", code=ErrorCode.INVALID_CREDENTIALS)
        self.limiter.reset(f"login:acct:{account_key}")
        if not user.email_confirmed:
            self._sign_ins.inc(method="password", outcome="unconfirmed")
            raise ForbiddenError(
                "Please confirm your email address before signing in",
                code=ErrorCode.EMAIL_NOT_CONFIRMED,
            )
        if user.password_hash and self._hasher.needs_rehash(user.password_hash):
            await self._users.update(
                application_id,
                user.id,
                {"password_hash": await self._hash(password), "updated_at": self._clock.now()},
            )
        return await self._token_pair(user, method="password", client=client)

    async def refresh(
        self, application_id: str, *, refresh_token: str, client: ClientInfo
    ) -> dict[str, Any]:
        """Exchange a refresh token for a new pair (the old one is spent). A spent token
        presented again revokes its whole session: 401 ``REFRESH_TOKEN_REUSED``."""
        failure: DomainError | None = None
        result: dict[str, Any] | None = None
        now = self._clock.now()
        async with self._db.begin() as conn:
            record = await self._session_repo.find_refresh(
                application_id, hash_token(refresh_token), conn=conn
            )
            session = (
                await self._session_repo.get(application_id, record.session_id, conn=conn)
                if record
                else None
            )
            if record is None or session is None:
                failure = UnauthorizedError("Invalid refresh token", code=ErrorCode.INVALID_REFRESH)
            elif record.used_at is not None or not await self._session_repo.spend_refresh(
                record.id, now, conn=conn
            ):
                # Reuse: someone holds a copy of a rotated token. Kill the session so that
                # neither the thief nor the victim can continue with it.
                await self._session_repo.revoke(
                    application_id, session.id, now, "refresh_reuse", conn=conn
                )
                self._reuse.inc()
                failure = UnauthorizedError(
                    "This refresh token was already used; the session has been revoked",
                    code=ErrorCode.REFRESH_TOKEN_REUSED,
                )
            elif not session.is_live(now) or now >= record.expires_at:
                failure = UnauthorizedError("Invalid refresh token", code=ErrorCode.INVALID_REFRESH)
            else:
                user = await self._users.get(application_id, session.user_id, conn=conn)
                if user is None:
                    failure = UnauthorizedError(
                        "Invalid refresh token", code=ErrorCode.INVALID_REFRESH
                    )
                else:
                    await self._session_repo.touch(application_id, session.id, now, conn=conn)
                    tokens = await self._tokens_for(user, session, conn=conn)
                    result = {**tokens, "user": await self.token_user(user, conn=conn)}
        # Raised after the block so that the reuse revocation is committed.
        if failure is not None:
            self._refreshes.inc(outcome=failure.code.lower())
            raise failure
        assert result is not None
        self._refreshes.inc(outcome="success")
        return result

    async def logout(self, principal: Principal) -> None:
        """Revoke the caller's session (its refresh token dies with it)."""
        await self._sessions.revoke_current(principal, "logout")

    async def current_user(self, principal: Principal) -> dict[str, Any]:
        """The caller's profile."""
        user = await self._users.get(principal.application_id, principal.user_id)
        if user is None:
            raise UnauthorizedError("The user no longer exists", code=ErrorCode.INVALID_SESSION)
        return await self.profile(user)

    # --- one-time tokens ---------------------------------------------------------------

    async def _new_one_time(
        self,
        *,
        application_id: str,
        kind: str,
        prefix: str,
        lifetime: timedelta,
        email: str | None,
        user_id: str | None,
    ) -> tuple[str, OneTimeToken]:
        token = new_opaque_token(prefix)
        now = self._clock.now()
        record = OneTimeToken(
            id=new_id("ott"),
            application_id=application_id,
            kind=kind,
            token_hash=hash_token(token),
            user_id=user_id,
            email=email,
            created_at=now,
            expires_at=now + lifetime,
        )
        await self._tokens.insert_one_time(record)
        return token, record

    async def _spend_one_time(
        self, application_id: str, kind: str, token: str, *, conn: AsyncConnection
    ) -> OneTimeToken:
        """Find and spend a one-time token in ``conn``'s transaction; 401 ``INVALID_TOKEN``
        for an unknown, expired or already used one."""
        record = await self._tokens.find_one_time(
            application_id, kind, hash_token(token), conn=conn
        )
        now = self._clock.now()
        if (
            record is None
            or record.used_at is not None
            or now >= record.expires_at
            or not await self._tokens.spend_one_time(record.id, now, conn=conn)
        ):
            raise UnauthorizedError("Invalid or expired token", code=ErrorCode.INVALID_TOKEN)
        return record

    def _link(self, path: str, token: str) -> str:
        return f"{self.settings.base_url}{path}?token={token}"

    async def send_magic_link(
        self, application_id: str, *, email: str, client: ClientInfo
    ) -> dict[str, Any]:
        """E-mail a single-use sign-in link (15 minutes). Works for new addresses too: the
        account is created when the link is used."""
        self._limit_ip("magic-link", client)
        address = _valid_email(email)
        self._rate("magic-link:acct", f"{application_id}:{address}")
        user = await self._users.get_by_email(application_id, address)
        token, record = await self._new_one_time(
            application_id=application_id,
            kind=KIND_MAGIC_LINK,
            prefix=MAGIC_LINK_TOKEN_PREFIX,
            lifetime=MAGIC_LINK_LIFETIME,
            email=address,
            user_id=user.id if user else None,
        )
        link = self._link("/auth/magic-link", token)
        await self._mailbox.send(
            to=address,
            subject="Your sign-in link",
            text=(
                "Use this link to sign in. It works once and expires in 15 minutes.\n\n"
                f"{link}\n\nIf you did not ask for it, ignore this e-mail."
            ),
            kind=KIND_MAGIC_LINK,
            application_id=application_id,
            metadata={"token": token, "link": link, "expires_at": iso(record.expires_at)},
        )
        return {"email": address, "sent_at": iso(record.created_at)}

    async def verify_magic_link(
        self, application_id: str, *, token: str, client: ClientInfo
    ) -> dict[str, Any]:
        """Spend a magic-link token and sign in (creating the user on first use)."""
        try:
            async with self._db.begin() as conn:
                record = await self._spend_one_time(
                    application_id, KIND_MAGIC_LINK, token, conn=conn
                )
                address = record.email or ""
                user = await self._users.get_by_email(application_id, address, conn=conn)
                if user is None:
                    user = await self.create_user(
                        application_id, email=address, email_confirmed=True, conn=conn
                    )
                    self._registrations.inc(method="magic_link")
                elif not user.email_confirmed:
                    # Following the link proves the address.
                    await self._users.update(
                        application_id, user.id, {"email_confirmed": True}, conn=conn
                    )
                    user = await self._users.get(application_id, user.id, conn=conn) or user
        except UnauthorizedError:
            self._sign_ins.inc(method="magic_link", outcome="failure")
            raise
        return await self._token_pair(user, method="magic_link", client=client)

    async def request_password_reset(
        self,
        application_id: str,
        *,
        email: str,
        redirect_url: str | None,
        client: ClientInfo,
    ) -> dict[str, Any]:
        """Send a reset link if the account exists; the answer is the same either way."""
        self._limit_ip("password-reset", client)
        address = _valid_email(email)
        self._rate("password-reset:acct", f"{application_id}:{address}")
        sent_at = self._clock.now()
        user = await self._users.get_by_email(application_id, address)
        if user is not None:
            token, record = await self._new_one_time(
                application_id=application_id,
                kind=KIND_PASSWORD_RESET,
                prefix=PASSWORD_RESET_TOKEN_PREFIX,
                lifetime=PASSWORD_RESET_LIFETIME,
                email=address,
                user_id=user.id,
            )
            link = (
                f"{redirect_url}{'&' if '?' in redirect_url else '?'}token={token}"
                if redirect_url
                else self._link("/auth/reset-password", token)
            )
            await self._mailbox.send(
                to=address,
                subject="Reset your password",
                text=(
                    "Use this link to choose a new password. It works once and expires in "
                    f"one hour.\n\n{link}\n\nIf you did not ask for it, ignore this e-mail."
                ),
                kind=KIND_PASSWORD_RESET,
                application_id=application_id,
                metadata={"token": token, "link": link, "expires_at": iso(record.expires_at)},
            )
        return {"email": address, "sent_at": iso(sent_at)}

    async def confirm_password_reset(
        self, application_id: str, *, token: str, new_password: str
    ) -> None:
        """Set a new password with a reset token and revoke every session of the user."""
        record = await self._tokens.find_one_time(
            application_id, KIND_PASSWORD_RESET, hash_token(token)
        )
        if record is not None and record.user_id is not None:
            # Check strength before spending, so a rejected password does not burn the link.
            user = await self._users.get(application_id, record.user_id)
            self.check_password(
                new_password,
                email=user.email if user else None,
                username=user.username if user else None,
            )
        password_hash = await self._hash(new_password)
        now = self._clock.now()
        async with self._db.begin() as conn:
            spent = await self._spend_one_time(
                application_id, KIND_PASSWORD_RESET, token, conn=conn
            )
            if spent.user_id is None:
                raise UnauthorizedError("Invalid or expired token", code=ErrorCode.INVALID_TOKEN)
            await self._users.update(
                application_id,
                spent.user_id,
                {"password_hash": password_hash, "updated_at": now, "email_confirmed": True},
                conn=conn,
            )
            await self._session_repo.revoke_all_of_user(
                application_id, spent.user_id, now, "password_reset", conn=conn
            )

    async def _send_email_confirmation(self, user: User) -> None:
        assert user.email is not None
        token, record = await self._new_one_time(
            application_id=user.application_id,
            kind=KIND_EMAIL_CONFIRMATION,
            prefix=EMAIL_CONFIRMATION_TOKEN_PREFIX,
            lifetime=EMAIL_CONFIRMATION_LIFETIME,
            email=user.email,
            user_id=user.id,
        )
        link = self._link("/auth/confirm-email", token)
        await self._mailbox.send(
            to=user.email,
            subject="Confirm your e-mail address",
            text=f"Confirm your address to finish signing up:\n\n{link}\n",
            kind=KIND_EMAIL_CONFIRMATION,
            application_id=user.application_id,
            metadata={"token": token, "link": link, "expires_at": iso(record.expires_at)},
        )

    async def confirm_email(self, token: str) -> str:
        """Spend an e-mail confirmation token (from the link; any application) and mark the
        address confirmed; returns the address. 401 ``INVALID_TOKEN`` otherwise."""
        record = await self._tokens.find_one_time_any_application(
            KIND_EMAIL_CONFIRMATION, hash_token(token)
        )
        if record is None:
            raise UnauthorizedError("Invalid or expired token", code=ErrorCode.INVALID_TOKEN)
        async with self._db.begin() as conn:
            spent = await self._spend_one_time(
                record.application_id, KIND_EMAIL_CONFIRMATION, token, conn=conn
            )
            if spent.user_id is not None:
                await self._users.update(
                    spent.application_id, spent.user_id, {"email_confirmed": True}, conn=conn
                )
        return spent.email or ""

    # --- wallets -----------------------------------------------------------------------

    async def request_nonce(
        self, application_id: str, *, wallet_address: str, chain: str | None, client: ClientInfo
    ) -> dict[str, Any]:
        """Issue a sign-in message for a wallet (single use, 5 minutes)."""
        self._limit_ip("nonce", client)
        canonical, address = self.wallet_identity(wallet_address, chain or "ethereum")
        now = self._clock.now().replace(microsecond=0)
        expires = now + NONCE_LIFETIME
        nonce = new_nonce()
        message = build_nonce_message(
            wallet_address=address,
            chain=canonical,
            application_id=application_id,
            nonce=nonce,
            issued_at=now,
            expires_at=expires,
        )
        await self._tokens.insert_nonce(
            WalletNonce(
                id=new_id("non"),
                application_id=application_id,
                wallet_address=address,
                chain_type=canonical,
                nonce=nonce,
                message=message,
                message_hash=_message_hash(message),
                created_at=now,
                expires_at=expires,
            )
        )
        return {
            "nonce": nonce,
            "message": message,
            "wallet_address": address,
            "chain": canonical,
            "expires_at": iso(expires),
        }

    async def wallet_sign_in(
        self,
        application_id: str,
        *,
        wallet_address: str,
        signature: str,
        message: str,
        chain: str | None,
        client: ClientInfo,
    ) -> dict[str, Any]:
        """Verify a signed nonce message and sign in (creating the user with the wallet
        linked on first sign-in)."""
        self._limit_ip("wallet-sign-in", client)
        canonical, address = self.wallet_identity(wallet_address, chain)
        self._rate("wallet-sign-in:acct", f"{application_id}:{canonical}:{address}")
        try:
            user, wallet = await self._wallet_user(
                application_id, canonical, address, signature, message
            )
        except UnauthorizedError:
            self._sign_ins.inc(method="wallet", outcome="failure")
            raise
        return await self._token_pair(user, method="wallet", client=client, wallet=wallet)

    async def _wallet_user(
        self, application_id: str, chain: str, address: str, signature: str, message: str
    ) -> tuple[User, UserWallet]:
        now = self._clock.now()
        issued = await self._tokens.find_nonce(application_id, _message_hash(message))
        if issued is None or issued.wallet_address != address or issued.chain_type != chain:
            raise UnauthorizedError(
                "This message was not issued for this wallet; request a new nonce",
                code=ErrorCode.NONCE_NOT_FOUND,
            )
        if issued.used_at is not None:
            raise UnauthorizedError(
                "This nonce was already used", code=ErrorCode.NONCE_ALREADY_USED
            )
        if now >= issued.expires_at:
            raise UnauthorizedError("This nonce has expired", code=ErrorCode.NONCE_EXPIRED)
        try:
            await asyncio.to_thread(verify_wallet_signature, chain, address, message, signature)
        except InvalidSignatureError:
            raise UnauthorizedError(
                "The signature does not match the wallet", code=ErrorCode.INVALID_SIGNATURE
            ) from None
        async with self._db.begin() as conn:
            if not await self._tokens.spend_nonce(issued.id, now, conn=conn):
                raise UnauthorizedError(
                    "This nonce was already used", code=ErrorCode.NONCE_ALREADY_USED
                )
            wallet = await self._users.find_wallet(application_id, chain, address, conn=conn)
            if wallet is None:
                user = await self.create_user(application_id, email=None, conn=conn)
                wallet = await self.link_wallet(
                    user, wallet_address=address, chain=chain, verified=True, conn=conn
                )
                self._registrations.inc(method="wallet")
                return user, wallet
            if not wallet.verified:
                await self._users.set_wallet_verified(application_id, wallet.id, conn=conn)
            found = await self._users.get(application_id, wallet.user_id, conn=conn)
            if found is None:
                raise UnauthorizedError(
                    "The wallet's user no longer exists", code=ErrorCode.INVALID_TOKEN
                )
            return found, wallet
