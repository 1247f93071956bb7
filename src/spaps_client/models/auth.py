"""Models of the ``/api/auth`` endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, Field, field_validator

from ._base import SpapsModel, none_as_empty_list

__all__ = [
    "MagicLinkAuthResponse",
    "MagicLinkSendResponse",
    "MessageResponse",
    "NonceResponse",
    "PasswordResetRequestResponse",
    "RegistrationResponse",
    "RegistrationTokens",
    "RegistrationUser",
    "TokenPair",
    "TokenUser",
    "UserProfile",
    "UserWallet",
]


class NonceResponse(SpapsModel):
    """A wallet sign-in challenge: sign ``message`` with the wallet, then call
    ``verify_wallet``."""

    nonce: str
    message: str
    wallet_address: str
    expires_at: datetime


class TokenUser(SpapsModel):
    """The user embedded in a token response. ``wallets`` are address strings here."""

    user_id: str = Field(validation_alias=AliasChoices("id", "user_id"))
    wallet_address: str | None = None
    chain: str | None = None
    email: str | None = None
    username: str | None = None
    wallets: list[str] | None = None
    tier: str | None = None
    email_confirmed: bool | None = None
    phone_number: str | None = None
    role: str | None = None
    roles: list[str] | None = None
    permissions: list[str] | None = None
    is_admin: bool | None = Field(
        default=None, validation_alias=AliasChoices("isAdmin", "is_admin")
    )
    metadata: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        """Alias of ``user_id`` (the JSON key is ``id``)."""
        return self.user_id


class TokenPair(SpapsModel):
    """Tokens from a sign-in or refresh; the SDK stores them automatically."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"
    user: TokenUser

    def __repr__(self) -> str:
        return (
            f"TokenPair(access_token='***', refresh_token='***', expires_in={self.expires_in!r}, "
            f"token_type={self.token_type!r}, user={self.user!r})"
        )

    __str__ = __repr__


class RegistrationTokens(SpapsModel):
    """Tokens returned by register or verify-magic-link (no ``user`` inside)."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"

    def __repr__(self) -> str:
        return (
            "RegistrationTokens(access_token='***', refresh_token='***', "
            f"expires_in={self.expires_in!r})"
        )

    __str__ = __repr__


class RegistrationUser(SpapsModel):
    """The user created by registration or a first magic-link sign-in."""

    id: str = Field(validation_alias=AliasChoices("id", "user_id"))
    email: str | None = None
    username: str | None = None
    email_confirmed: bool | None = None
    phone_number: str | None = None
    tier: str | None = None
    wallets: list[str] | None = None


class RegistrationResponse(SpapsModel):
    """The result of ``register``: ``tokens`` is ``None`` when e-mail confirmation is needed."""

    message: str | None = None
    tokens: RegistrationTokens | None = None
    user: RegistrationUser


class MagicLinkSendResponse(SpapsModel):
    message: str
    email: str | None = None
    sent_at: datetime | None = None


class MagicLinkAuthResponse(SpapsModel):
    message: str | None = None
    tokens: RegistrationTokens | None = None
    user: RegistrationUser


class MessageResponse(SpapsModel):
    message: str


class PasswordResetRequestResponse(SpapsModel):
    message: str
    email: str | None = None
    sent_at: datetime | None = None


class UserWallet(SpapsModel):
    """A wallet linked to the user (an object in profiles, unlike token users)."""

    wallet_address: str
    chain_type: str | None = None
    verified: bool | None = None


class UserProfile(SpapsModel):
    """The signed-in user's profile from ``GET /api/auth/user``."""

    id: str = Field(validation_alias=AliasChoices("id", "user_id"))
    username: str | None = None
    email: str | None = None
    phone_number: str | None = None
    wallets: list[UserWallet] = Field(default_factory=list)
    tier: str | None = None
    metadata: dict[str, Any] | None = None
    role: str | None = None
    roles: list[str] | None = None
    is_admin: bool | None = Field(
        default=None, validation_alias=AliasChoices("isAdmin", "is_admin")
    )

    @field_validator("wallets", mode="before")
    @classmethod
    def _wallets(cls, value: Any) -> Any:
        value = none_as_empty_list(value)
        if isinstance(value, list):
            return [{"wallet_address": item} if isinstance(item, str) else item for item in value]
        return value
