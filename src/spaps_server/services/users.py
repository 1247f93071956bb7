"""User accounts: creating users (password hashed with argon2id), the password-strength
rule, linking wallets, the effective tier, and the two views of a user the contract sends
(the ``user`` of token responses and the profile). Every query is scoped by application id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock, iso
from ..domain.emails import normalize_email
from ..domain.error_codes import ErrorCode
from ..domain.errors import InvalidError, UnauthorizedError
from ..domain.ids import new_id
from ..domain.models import Principal, User, UserWallet
from ..schemas.auth import ProfileWallet, TokenUser, UserProfile
from ..security.errors import WeakPasswordError
from ..security.passwords import PasswordHasher, check_password_strength
from ..storage.database import Database
from ..storage.users import UsersRepository
from .auth_common import DEFAULT_ROLE, DEFAULT_TIER, wallet_identity
from .metrics import MetricsRegistry


class TierOverride(Protocol):
    """``async (application_id, email, *, conn) -> tier | None``: a tier that replaces a
    user's stored tier (the whitelist plugs in here); ``None`` keeps the stored one. ``conn``
    is the caller's unit of work, to be joined rather than a second pooled connection."""

    def __call__(
        self, application_id: str, email: str, *, conn: AsyncConnection | None = None
    ) -> Awaitable[str | None]: ...


ProfileMetadata = Callable[[str, str], Awaitable[dict[str, Any]]]
"""``async (application_id, email) -> keys`` merged over a user's stored profile ``metadata``
(the whitelist adds ``bypass_payment`` here)."""


class UserAccounts:
    """Users and their wallets; the building block of every sign-in flow."""

    def __init__(
        self,
        db: Database,
        hasher: PasswordHasher,
        clock: Clock,
        *,
        tier_override: TierOverride | None = None,
        profile_metadata: ProfileMetadata | None = None,
        metrics: MetricsRegistry | None = None,
    ) -> None:
        self._db = db
        self._users = UsersRepository(db)
        self._hasher = hasher
        self._clock = clock
        self._tier_override = tier_override
        self._profile_metadata = profile_metadata
        # Counted so that the cost of a request (argon2 runs are most of it) is observable.
        self._password_operations = (metrics or MetricsRegistry()).counter(
            "spaps_password_hash_operations_total",
            "argon2id computations by operation (hash, verify, dummy_verify)",
            ("operation",),
        )

    @property
    def repository(self) -> UsersRepository:
        """The users repository (seeding looks users and wallets up through it)."""
        return self._users

    async def effective_tier(
        self,
        application_id: str,
        email: str | None,
        stored_tier: str,
        *,
        conn: AsyncConnection | None = None,
    ) -> str:
        """The tier a user has now: the injected override's answer for their e-mail if it
        gives one, else the stored tier. The single place tokens and profiles get a tier.
        ``conn`` joins the caller's unit of work."""
        if self._tier_override is not None and email:
            override = await self._tier_override(application_id, email, conn=conn)
            if override:
                return override
        return stored_tier

    async def hash_password(self, password: str) -> str:
        """The argon2id hash of ``password``, computed off the event loop (it is CPU-bound
        for tens of milliseconds)."""
        self._password_operations.inc(operation="hash")
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify_password(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; without a hash it spends the same time and fails,
        so that a missing account cannot be told from a wrong password."""
        if password_hash is None:
            self._password_operations.inc(operation="dummy_verify")
            await asyncio.to_thread(self._hasher.dummy_verify, password)
            return False
        self._password_operations.inc(operation="verify")
        return await asyncio.to_thread(self._hasher.verify, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a stored hash was made with weaker parameters than the current ones."""
        return self._hasher.needs_rehash(password_hash)

    def check_password(self, password: str, *, email: str | None, username: str | None) -> None:
        """Raise 400 ``WEAK_PASSWORD`` unless the password meets the strength rule."""
        inputs = [v for v in (email.split("@")[0] if email else None, username) if v]
        try:
            check_password_strength(password, user_inputs=inputs)
        except WeakPasswordError as exc:
            raise InvalidError(exc.message, code=exc.code, details={"reason": exc.reason}) from None

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
        """Create a user. Raises 400 ``INVALID_EMAIL``, ``WEAK_PASSWORD`` or
        ``EMAIL_ALREADY_EXISTS``."""
        address = normalize_email(email) if email is not None else None
        if password is not None and check_strength:
            self.check_password(password, email=address, username=username)
        password_hash = await self.hash_password(password) if password is not None else None
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
        exists = InvalidError(
            "An account with this email already exists", code=ErrorCode.EMAIL_ALREADY_EXISTS
        )
        try:
            async with self._db.use(conn) as c:
                if address is not None and await self._users.get_by_email(
                    application_id, address, conn=c
                ):
                    raise exists
                await self._users.insert(user, conn=c)
        except IntegrityError:
            raise exists from None
        return user

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
        canonical, address = wallet_identity(wallet_address, chain)
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

    async def token_user(
        self, user: User, *, wallet: UserWallet | None = None, conn: AsyncConnection | None = None
    ) -> TokenUser:
        """The ``user`` of token responses (wallets as address strings; after a wallet
        sign-in, the wallet and chain used)."""
        wallets = await self._users.wallets_of(user.application_id, user.id, conn=conn)
        return TokenUser(
            id=user.id,
            email=user.email,
            username=user.username,
            phone_number=user.phone_number,
            tier=await self.effective_tier(user.application_id, user.email, user.tier, conn=conn),
            role=user.role,
            email_confirmed=user.email_confirmed,
            wallets=[w.wallet_address for w in wallets],
            wallet_address=wallet.wallet_address if wallet is not None else None,
            chain=wallet.chain_type if wallet is not None else None,
        )

    async def profile(self, user: User) -> UserProfile:
        """The profile of ``GET /api/auth/user`` (wallets as objects, metadata merged with
        the injected profile metadata)."""
        wallets = await self._users.wallets_of(user.application_id, user.id)
        metadata = dict(user.metadata)
        if self._profile_metadata is not None and user.email:
            metadata.update(await self._profile_metadata(user.application_id, user.email))
        return UserProfile(
            id=user.id,
            email=user.email,
            username=user.username,
            phone_number=user.phone_number,
            tier=await self.effective_tier(user.application_id, user.email, user.tier),
            role=user.role,
            email_confirmed=user.email_confirmed,
            wallets=[
                ProfileWallet(
                    wallet_address=w.wallet_address, chain_type=w.chain_type, verified=w.verified
                )
                for w in wallets
            ],
            metadata=metadata,
            created_at=iso(user.created_at),
        )

    async def current_user(self, principal: Principal) -> UserProfile:
        """The caller's profile; 401 ``INVALID_SESSION`` if the user no longer exists."""
        user = await self._users.get(principal.application_id, principal.user_id)
        if user is None:
            raise UnauthorizedError("The user no longer exists", code=ErrorCode.INVALID_SESSION)
        return await self.profile(user)
