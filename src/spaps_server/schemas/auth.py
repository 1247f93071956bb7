"""Bodies of ``/api/auth/*`` (protocol §3.2 and Appendix A items 3-5)."""

from __future__ import annotations

from typing import Any

from .base import Envelope, Omittable, WireModel


class NonceOut(WireModel):
    """``POST /api/auth/nonce``: the message to sign, single use, until ``expires_at``."""

    nonce: str
    message: str
    wallet_address: str
    chain: str
    expires_at: str


class TokenUser(WireModel):
    """The ``user`` of token responses: wallets as address strings; after a wallet sign-in
    also the wallet and chain used."""

    id: str
    email: str | None
    username: str | None
    phone_number: str | None
    tier: str
    role: str
    email_confirmed: bool
    wallets: list[str]
    wallet_address: Omittable[str] = None
    chain: Omittable[str] = None


class TokenSet(WireModel):
    """An access token (``expires_in`` seconds) and the refresh token that renews it."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str


class TokenPair(TokenSet):
    """``data`` of login, refresh and wallet sign-in: the tokens and their user."""

    user: TokenUser

    @classmethod
    def of(cls, tokens: TokenSet, user: TokenUser) -> TokenPair:
        """``tokens`` issued to ``user``."""
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
            token_type=tokens.token_type,
            user=user,
        )

    def tokens(self) -> TokenSet:
        """The tokens without the user (the top-level ``tokens`` of some answers)."""
        return TokenSet(
            access_token=self.access_token,
            refresh_token=self.refresh_token,
            expires_in=self.expires_in,
            token_type=self.token_type,
        )


class ProfileWallet(WireModel):
    """A wallet of a profile."""

    wallet_address: str
    chain_type: str
    verified: bool


class UserProfile(WireModel):
    """The ``user`` of ``GET /api/auth/user``: wallets as objects, profile metadata."""

    id: str
    email: str | None
    username: str | None
    phone_number: str | None
    tier: str
    role: str
    email_confirmed: bool
    wallets: list[ProfileWallet]
    metadata: dict[str, Any]
    created_at: str


class UserOut(WireModel):
    """``data = {user}`` of ``GET /api/auth/user``."""

    user: UserProfile


class RegisteredUser(WireModel):
    """``data = {user}`` of ``POST /api/auth/register``."""

    user: TokenUser


class RegisterEnvelope(Envelope[RegisteredUser]):
    """Register's answer: top-level ``message``; with auto-login also top-level ``tokens``
    and ``user`` (absent when e-mail confirmation is required)."""

    message: str
    tokens: Omittable[TokenSet] = None
    user: Omittable[TokenUser] = None


class LinkSent(WireModel):
    """``data`` of magic-link and password-reset requests."""

    email: str
    sent_at: str


class MagicLinkSignIn(WireModel):
    """``data`` of ``POST /api/auth/verify-magic-link``."""

    message: str
    user: TokenUser


class MagicLinkEnvelope(Envelope[MagicLinkSignIn]):
    """Verify-magic-link's answer: ``message``, ``tokens`` and ``user`` also at the top."""

    message: str
    tokens: TokenSet
    user: TokenUser


class Registration(WireModel):
    """What the register flow produced: the user, the message, and tokens on auto-login."""

    user: TokenUser
    message: str
    tokens: TokenSet | None
