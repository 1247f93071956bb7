"""Plain records shared by services and storage (no HTTP, no SQL)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


@dataclasses.dataclass(frozen=True)
class Application:
    """A client application; every piece of data belongs to exactly one."""

    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    is_default: bool = False

    @property
    def active(self) -> bool:
        """Whether the application's API keys are accepted."""
        return self.revoked_at is None


@dataclasses.dataclass(frozen=True)
class ApiKeyRecord:
    """A stored API key: only its SHA-256 hash and a short display prefix are kept."""

    id: str
    application_id: str
    key_hash: str = dataclasses.field(repr=False)
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclasses.dataclass(frozen=True)
class MailMessage:
    """An e-mail written to the outbox (and shown in the dev mailbox)."""

    id: str
    application_id: str | None
    to_address: str
    from_address: str
    subject: str
    text_body: str
    html_body: str | None
    kind: str
    metadata: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None = None
    delivery_error: str | None = None


@dataclasses.dataclass(frozen=True)
class Principal:
    """The signed-in caller of a bearer route: who, in which session and application.

    ``tier`` is the effective tier at the time the access token was issued (see
    ``UserAccounts.effective_tier``); ``email`` is ``None`` for wallet-only users.
    """

    user_id: str
    session_id: str
    application_id: str
    email: str | None
    tier: str
    role: str
    session: SessionRecord | None = dataclasses.field(default=None, compare=False, repr=False)
    """The session row as read (and found live) while authenticating this request, so that
    the route does not read it again; ``None`` when the principal was built elsewhere."""
    wallets_count: int | None = dataclasses.field(default=None, compare=False, repr=False)
    """The user's wallet count, read in the same query as ``session`` when the route asked
    for it (``SessionService.authenticate(..., with_wallets_count=True)``)."""

    @property
    def is_admin(self) -> bool:
        """Whether the user has the ``admin`` role."""
        return self.role == "admin"


@dataclasses.dataclass(frozen=True)
class UserWallet:
    """A wallet linked to a user."""

    id: str
    application_id: str
    user_id: str
    wallet_address: str
    chain_type: str
    verified: bool
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class User:
    """An end user of one application. ``password_hash`` never leaves storage and services."""

    id: str
    application_id: str
    email: str | None
    username: str | None
    phone_number: str | None
    password_hash: str | None = dataclasses.field(repr=False)
    tier: str
    role: str
    email_confirmed: bool
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    last_sign_in_at: datetime | None = None


@dataclasses.dataclass(frozen=True)
class SessionRecord:
    """One sign-in: a session row. Live while not revoked and not expired."""

    id: str
    application_id: str
    user_id: str
    auth_method: str
    user_agent: str | None
    ip_address: str | None
    created_at: datetime
    last_activity_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    def is_live(self, now: datetime) -> bool:
        """Not revoked and not expired at ``now``."""
        return self.revoked_at is None and now < self.expires_at


@dataclasses.dataclass(frozen=True)
class RefreshTokenRecord:
    """A stored refresh token (only its hash)."""

    id: str
    application_id: str
    session_id: str
    token_hash: str = dataclasses.field(repr=False)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclasses.dataclass(frozen=True)
class OneTimeToken:
    """A stored single-use token (magic link, password reset, e-mail confirmation)."""

    id: str
    application_id: str
    kind: str
    token_hash: str = dataclasses.field(repr=False)
    user_id: str | None
    email: str | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclasses.dataclass(frozen=True)
class WalletNonce:
    """A sign-in message issued to a wallet; accepted once, before it expires."""

    id: str
    application_id: str
    wallet_address: str
    chain_type: str
    nonce: str
    message: str
    message_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
