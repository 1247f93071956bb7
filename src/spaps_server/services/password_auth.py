"""Password accounts: registration (auto-login, or a confirmation e-mail when the server
requires confirmed addresses) and password sign-in."""

from __future__ import annotations

from ..domain.clock import Clock
from ..domain.emails import canonical_email, normalize_email
from ..domain.error_codes import ErrorCode
from ..domain.errors import ForbiddenError, UnauthorizedError
from ..schemas.auth import Registration, TokenPair
from ..storage.users import UsersRepository
from .auth_common import AuthLimits, AuthMetrics, AuthSettings, ClientInfo
from .one_time_links import OneTimeLinkService
from .session_tokens import SessionTokenService
from .users import UserAccounts


class PasswordAuthService:
    """Register and log in with e-mail and password."""

    def __init__(
        self,
        accounts: UserAccounts,
        tokens: SessionTokenService,
        links: OneTimeLinkService,
        limits: AuthLimits,
        metrics: AuthMetrics,
        settings: AuthSettings,
        clock: Clock,
    ) -> None:
        self._accounts = accounts
        self._users: UsersRepository = accounts.repository
        self._tokens = tokens
        self._links = links
        self._limits = limits
        self._metrics = metrics
        self._settings = settings
        self._clock = clock

    async def register(
        self,
        application_id: str,
        *,
        email: str,
        password: str,
        username: str | None,
        phone_number: str | None,
        client: ClientInfo,
    ) -> Registration:
        """Create a password account. Auto-login (tokens) unless the server requires e-mail
        confirmation, in which case a confirmation mail is sent instead."""
        await self._limits.enforce_ip("register", client)
        address = normalize_email(email)
        await self._limits.enforce("register:acct", f"{application_id}:{address}")
        confirm = self._settings.require_email_confirmation
        user = await self._accounts.create_user(
            application_id,
            email=address,
            password=password,
            username=username,
            phone_number=phone_number,
            email_confirmed=not confirm,
        )
        self._metrics.registrations.inc(method="password")
        if confirm:
            await self._links.send_email_confirmation(user)
            return Registration(
                user=await self._accounts.token_user(user),
                message="Registration successful. Please check your email to confirm your account.",
                tokens=None,
            )
        pair = await self._tokens.sign_in(user, method="password", client=client)
        return Registration(
            user=pair.user,
            message="Registration and login successful",
            tokens=pair.tokens(),
        )

    async def login(
        self, application_id: str, *, email: str, password: str, client: ClientInfo
    ) -> TokenPair:
        """Password sign-in: a token pair, or 401 ``INVALID_CREDENTIALS`` (same answer and
        cost whether or not the account exists, and for an address that is not one)."""
        await self._limits.enforce_ip("login", client)
        address = canonical_email(email)
        account = f"{application_id}:{address}"
        # The attempt is reserved before the password is checked, so that concurrent guesses
        # cannot all pass a count read before any of them failed; a success forgets them.
        await self._limits.enforce("login:acct", account)
        user = await self._users.get_by_email(application_id, address) if address else None
        matches = await self._accounts.verify_password(
            user.password_hash if user else None, password
        )
        if user is None or not matches:
            self._metrics.sign_ins.inc(method="password", outcome="failure")
            raise UnauthorizedError("Invalid email or password", code=ErrorCode.INVALID_CREDENTIALS)
        await self._limits.reset("login:acct", account)
        if not user.email_confirmed:
            self._metrics.sign_ins.inc(method="password", outcome="unconfirmed")
            raise ForbiddenError(
                "Please confirm your email address before signing in",
                code=ErrorCode.EMAIL_NOT_CONFIRMED,
            )
        if user.password_hash and self._accounts.needs_rehash(user.password_hash):
            await self._users.update(
                application_id,
                user.id,
                {
                    "password_hash": await self._accounts.hash_password(password),
                    "updated_at": self._clock.now(),
                },
            )
        return await self._tokens.sign_in(user, method="password", client=client)
