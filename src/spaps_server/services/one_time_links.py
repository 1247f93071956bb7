"""One-time links: magic-link sign-in, password reset and e-mail confirmation. Each link
carries a single-use token stored only as its hash; spending it is a conditional update in
the caller's transaction, so a token works once even with several server processes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock, iso
from ..domain.emails import normalize_email
from ..domain.error_codes import ErrorCode
from ..domain.errors import UnauthorizedError
from ..domain.ids import new_id
from ..domain.models import OneTimeToken, User
from ..schemas.auth import LinkSent, TokenPair
from ..security.tokens import (
    MAGIC_LINK_TOKEN_PREFIX,
    PASSWORD_RESET_TOKEN_PREFIX,
    hash_token,
    new_opaque_token,
)
from ..storage.database import Database
from ..storage.tokens import TokensRepository
from ..storage.users import UsersRepository
from .auth_common import AuthLimits, AuthMetrics, AuthSettings, ClientInfo
from .mailbox import MailboxService
from .redirects import RedirectOriginService, link_with_token
from .session_tokens import SessionTokenService
from .users import UserAccounts

MAGIC_LINK_LIFETIME = timedelta(minutes=15)
PASSWORD_RESET_LIFETIME = timedelta(hours=1)
EMAIL_CONFIRMATION_LIFETIME = timedelta(days=2)
EMAIL_CONFIRMATION_TOKEN_PREFIX = "ec"

KIND_MAGIC_LINK = "magic_link"
KIND_PASSWORD_RESET = "password_reset"
KIND_EMAIL_CONFIRMATION = "email_confirmation"


def _invalid_token() -> UnauthorizedError:
    return UnauthorizedError("Invalid or expired token", code=ErrorCode.INVALID_TOKEN)


class OneTimeLinkService:
    """Sends the links and spends their tokens."""

    def __init__(
        self,
        db: Database,
        accounts: UserAccounts,
        tokens: SessionTokenService,
        mailbox: MailboxService,
        redirects: RedirectOriginService,
        limits: AuthLimits,
        metrics: AuthMetrics,
        settings: AuthSettings,
        clock: Clock,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._users: UsersRepository = accounts.repository
        self._one_time = TokensRepository(db)
        self._tokens = tokens
        self._mailbox = mailbox
        self._redirects = redirects
        self._limits = limits
        self._metrics = metrics
        self._settings = settings
        self._clock = clock

    async def _new_token(
        self,
        *,
        application_id: str,
        kind: str,
        prefix: str,
        lifetime: timedelta,
        email: str,
        user_id: str | None,
        conn: AsyncConnection | None = None,
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
        await self._one_time.insert_one_time(record, conn=conn)
        return token, record

    async def _spend(
        self, application_id: str, kind: str, token: str, *, conn: AsyncConnection
    ) -> OneTimeToken:
        """Find and spend a one-time token in ``conn``'s transaction; 401 ``INVALID_TOKEN``
        for an unknown, expired or already used one."""
        record = await self._one_time.find_one_time(
            application_id, kind, hash_token(token), conn=conn
        )
        now = self._clock.now()
        if (
            record is None
            or record.used_at is not None
            or now >= record.expires_at
            or not await self._one_time.spend_one_time(record.id, now, conn=conn)
        ):
            raise _invalid_token()
        return record

    def _link(self, path: str, token: str) -> str:
        return f"{self._settings.base_url}{path}?token={token}"

    async def _mail(
        self,
        *,
        record: OneTimeToken,
        token: str,
        link: str,
        subject: str,
        text: str,
        conn: AsyncConnection | None = None,
    ) -> None:
        assert record.email is not None
        await self._mailbox.send(
            to=record.email,
            subject=subject,
            text=text,
            kind=record.kind,
            application_id=record.application_id,
            metadata={"token": token, "link": link, "expires_at": iso(record.expires_at)},
            conn=conn,
        )

    async def check_redirect_url(self, application_id: str, redirect_url: str) -> None:
        """400 ``INVALID_REDIRECT_URL`` unless links may be sent to ``redirect_url``."""
        await self._redirects.check(application_id, redirect_url)

    async def send_magic_link(
        self,
        application_id: str,
        *,
        email: str,
        client: ClientInfo,
        redirect_url: str | None = None,
    ) -> LinkSent:
        """E-mail a single-use sign-in link (15 minutes). Works for new addresses too: the
        account is created when the link is used. With ``redirect_url`` (an allowed origin,
        else 400 ``INVALID_REDIRECT_URL`` and nothing is sent) the link goes there."""
        await self._limits.enforce_ip("magic-link", client)
        address = normalize_email(email)
        target = await self._redirects.check(application_id, redirect_url) if redirect_url else None
        await self._limits.enforce("magic-link:acct", f"{application_id}:{address}")
        user = await self._users.get_by_email(application_id, address)
        token, record = await self._new_token(
            application_id=application_id,
            kind=KIND_MAGIC_LINK,
            prefix=MAGIC_LINK_TOKEN_PREFIX,
            lifetime=MAGIC_LINK_LIFETIME,
            email=address,
            user_id=user.id if user else None,
        )
        link = link_with_token(target, token) if target else self._link("/auth/magic-link", token)
        await self._mail(
            record=record,
            token=token,
            link=link,
            subject="Your sign-in link",
            text=(
                "Use this link to sign in. It works once and expires in 15 minutes.\n\n"
                f"{link}\n\nIf you did not ask for it, ignore this e-mail."
            ),
        )
        return LinkSent(email=address, sent_at=iso(record.created_at))

    async def verify_magic_link(
        self, application_id: str, *, token: str, client: ClientInfo
    ) -> TokenPair:
        """Spend a magic-link token and sign in (creating the user on first use)."""
        try:
            async with self._db.begin() as conn:
                record = await self._spend(application_id, KIND_MAGIC_LINK, token, conn=conn)
                address = record.email or ""
                user = await self._users.get_by_email(application_id, address, conn=conn)
                if user is None:
                    user = await self._accounts.create_user(
                        application_id, email=address, email_confirmed=True, conn=conn
                    )
                    self._metrics.registrations.inc(method="magic_link")
                elif not user.email_confirmed:
                    # Following the link proves the address, but not that whoever chose the
                    # account's password owns it (someone may have registered another's
                    # address): the password set before confirmation is dropped, and the
                    # owner sets one by password reset if they want one.
                    await self._users.update(
                        application_id,
                        user.id,
                        {
                            "email_confirmed": True,
                            "password_hash": None,
                            "updated_at": self._clock.now(),
                        },
                        conn=conn,
                    )
                    await self._tokens.revoke_all_of_user(
                        application_id, user.id, "email_confirmed_by_magic_link", conn=conn
                    )
                    user = await self._users.get(application_id, user.id, conn=conn) or user
        except UnauthorizedError:
            self._metrics.sign_ins.inc(method="magic_link", outcome="failure")
            raise
        return await self._tokens.sign_in(user, method="magic_link", client=client)

    async def request_password_reset(
        self,
        application_id: str,
        *,
        email: str,
        redirect_url: str | None,
        client: ClientInfo,
    ) -> LinkSent:
        """Send a reset link if the account exists; the answer is the same either way, and
        so is the work: a token is made and stored for an unknown address too (bound to no
        user, so it can never be spent, and never sent), in one transaction either way. A
        ``redirect_url`` outside the application's origins is 400 ``INVALID_REDIRECT_URL``
        and nothing is sent."""
        await self._limits.enforce_ip("password-reset", client)
        address = normalize_email(email)
        target = await self._redirects.check(application_id, redirect_url) if redirect_url else None
        await self._limits.enforce("password-reset:acct", f"{application_id}:{address}")
        sent_at = self._clock.now()
        async with self._db.begin() as conn:
            user = await self._users.get_by_email(application_id, address, conn=conn)
            token, record = await self._new_token(
                application_id=application_id,
                kind=KIND_PASSWORD_RESET,
                prefix=PASSWORD_RESET_TOKEN_PREFIX,
                lifetime=PASSWORD_RESET_LIFETIME,
                email=address,
                user_id=user.id if user else None,
                conn=conn,
            )
            if user is not None:
                link = (
                    link_with_token(target, token)
                    if target
                    else self._link("/auth/reset-password", token)
                )
                await self._mail(
                    record=record,
                    token=token,
                    link=link,
                    subject="Reset your password",
                    text=(
                        "Use this link to choose a new password. It works once and expires in "
                        f"one hour.\n\n{link}\n\nIf you did not ask for it, ignore this e-mail."
                    ),
                    conn=conn,
                )
        return LinkSent(email=address, sent_at=iso(sent_at))

    async def confirm_password_reset(
        self, application_id: str, *, token: str, new_password: str, client: ClientInfo
    ) -> None:
        """Set a new password with a reset token and revoke every session of the user. The
        token is checked before the (costly) password hash is computed, so an invalid one
        costs no argon2 run; the route is rate limited per address."""
        await self._limits.enforce_ip("password-reset-confirm", client)
        record = await self._one_time.find_one_time(
            application_id, KIND_PASSWORD_RESET, hash_token(token)
        )
        if (
            record is None
            or record.user_id is None
            or record.used_at is not None
            or self._clock.now() >= record.expires_at
        ):
            raise _invalid_token()
        # Check strength before spending, so a rejected password does not burn the link.
        user = await self._users.get(application_id, record.user_id)
        if user is None:
            raise _invalid_token()
        self._accounts.check_password(new_password, email=user.email, username=user.username)
        password_hash = await self._accounts.hash_password(new_password)
        now = self._clock.now()
        async with self._db.begin() as conn:
            spent = await self._spend(application_id, KIND_PASSWORD_RESET, token, conn=conn)
            if spent.user_id is None:
                raise _invalid_token()
            await self._users.update(
                application_id,
                spent.user_id,
                {"password_hash": password_hash, "updated_at": now, "email_confirmed": True},
                conn=conn,
            )
            await self._tokens.revoke_all_of_user(
                application_id, spent.user_id, "password_reset", conn=conn
            )

    async def send_email_confirmation(self, user: User) -> None:
        """E-mail ``user`` a link that confirms their address (two days)."""
        assert user.email is not None
        token, record = await self._new_token(
            application_id=user.application_id,
            kind=KIND_EMAIL_CONFIRMATION,
            prefix=EMAIL_CONFIRMATION_TOKEN_PREFIX,
            lifetime=EMAIL_CONFIRMATION_LIFETIME,
            email=user.email,
            user_id=user.id,
        )
        link = self._link("/auth/confirm-email", token)
        await self._mail(
            record=record,
            token=token,
            link=link,
            subject="Confirm your e-mail address",
            text=f"Confirm your address to finish signing up:\n\n{link}\n",
        )

    async def confirm_email(self, token: str) -> str:
        """Spend an e-mail confirmation token (from the link; any application) and mark the
        address confirmed; returns the address. 401 ``INVALID_TOKEN`` otherwise."""
        record = await self._one_time.find_one_time_any_application(
            KIND_EMAIL_CONFIRMATION, hash_token(token)
        )
        if record is None:
            raise _invalid_token()
        async with self._db.begin() as conn:
            spent = await self._spend(
                record.application_id, KIND_EMAIL_CONFIRMATION, token, conn=conn
            )
            if spent.user_id is not None:
                await self._users.update(
                    spent.application_id, spent.user_id, {"email_confirmed": True}, conn=conn
                )
        return spent.email or ""
