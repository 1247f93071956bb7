"""Error types of the security building blocks.

Every error carries a human ``message`` and, when the failure is the caller's (a weak
password, a bad signature, too many attempts), the catalogue ``code`` a service raises for it
(``raise InvalidError(exc.message, code=exc.code)``). Failures that are the server's own
(an unloadable key, a misconfigured limit, a bad nonce-message input) never reach a caller
with their own code and have ``code = None``. Some carry a finer ``reason`` for logs and
tests. None of them ever holds a secret: no password, key, token or signature reaches a
message or a repr. These classes know nothing of HTTP; mapping a code to a status is the
HTTP layer's job.
"""

from __future__ import annotations

from typing import ClassVar

from ..domain.error_codes import ErrorCode

__all__ = [
    "Base58DecodeError",
    "ExpiredTokenError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "InvalidWalletAddressError",
    "NonceMessageError",
    "PasswordHashingError",
    "RateLimitConfigError",
    "RateLimitExceededError",
    "SecurityError",
    "SigningKeyError",
    "TokenError",
    "UnsupportedChainError",
    "WalletError",
    "WeakPasswordError",
]


class SecurityError(Exception):
    """Base class of every error raised by ``spaps_server.security``."""

    code: ClassVar[ErrorCode | None] = None
    default_message: ClassVar[str] = "A security check failed."

    def __init__(self, message: str | None = None, *, reason: str | None = None) -> None:
        self.message: str = message if message is not None else self.default_message
        self.reason: str | None = reason
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        reason = f", reason={self.reason!r}" if self.reason is not None else ""
        code = self.code.value if self.code is not None else None
        return f"{type(self).__name__}(code={code!r}{reason}, message={self.message!r})"


# --- passwords -------------------------------------------------------------------------


class WeakPasswordError(SecurityError, ValueError):
    """A password does not meet the minimum-strength rule.

    ``reason`` is one of ``"too_short"``, ``"too_long"``, ``"common"``, ``"too_simple"``,
    ``"contains_user_data"``.
    """

    code: ClassVar[ErrorCode] = ErrorCode.WEAK_PASSWORD
    default_message: ClassVar[str] = "The password is too weak."


class PasswordHashingError(SecurityError):
    """argon2 failed to hash a password (out of memory, invalid parameters)."""

    code: ClassVar[ErrorCode | None] = None
    default_message: ClassVar[str] = "The password could not be hashed."


# --- tokens ----------------------------------------------------------------------------


class SigningKeyError(SecurityError, ValueError):
    """The signing key (PEM) or a published key could not be loaded or is of the wrong type."""

    code: ClassVar[ErrorCode | None] = None
    default_message: ClassVar[str] = "The signing key is invalid."


class TokenError(SecurityError):
    """Base class of access-token verification failures."""

    code: ClassVar[ErrorCode] = ErrorCode.INVALID_TOKEN
    default_message: ClassVar[str] = "The access token is invalid."


class InvalidTokenError(TokenError):
    """The token is malformed, tampered with, signed by an unknown key, or has bad claims."""

    code: ClassVar[ErrorCode] = ErrorCode.INVALID_TOKEN
    default_message: ClassVar[str] = "The access token is invalid."


class ExpiredTokenError(TokenError):
    """The token's signature is valid but its ``exp`` has passed."""

    code: ClassVar[ErrorCode] = ErrorCode.TOKEN_EXPIRED
    default_message: ClassVar[str] = "The access token has expired."


# --- wallets ---------------------------------------------------------------------------


class WalletError(SecurityError, ValueError):
    """Base class of wallet-signature failures."""

    code: ClassVar[ErrorCode | None] = None
    default_message: ClassVar[str] = "The wallet request is invalid."


class UnsupportedChainError(WalletError):
    """The chain name is not one of the supported chains or their aliases."""

    code: ClassVar[ErrorCode] = ErrorCode.UNSUPPORTED_CHAIN
    default_message: ClassVar[str] = "This chain is not supported."


class InvalidWalletAddressError(WalletError):
    """The address is not a valid address of the chain (format, length, checksum)."""

    code: ClassVar[ErrorCode] = ErrorCode.INVALID_WALLET_ADDRESS
    default_message: ClassVar[str] = "The wallet address is invalid."


class InvalidSignatureError(WalletError):
    """The signature is malformed, non-canonical, or was not made by the claimed address.

    ``reason`` is one of ``"malformed"``, ``"non_canonical"`` (high-s or bad recovery id),
    ``"unrecoverable"``, ``"mismatch"``.
    """

    code: ClassVar[ErrorCode] = ErrorCode.INVALID_SIGNATURE
    default_message: ClassVar[str] = "The wallet signature is invalid."


class Base58DecodeError(SecurityError, ValueError):
    """A string is not valid base58 (bitcoin alphabet)."""

    code: ClassVar[ErrorCode | None] = None
    default_message: ClassVar[str] = "The value is not valid base58."


class NonceMessageError(SecurityError, ValueError):
    """The inputs of a sign-in nonce message are unusable (a programming error, not a user one)."""

    code: ClassVar[ErrorCode | None] = None
    default_message: ClassVar[str] = "The nonce message inputs are invalid."


# --- rate limits -----------------------------------------------------------------------


class RateLimitConfigError(SecurityError, LookupError):
    """No rate-limit rule applies to a key, or a rule is invalid."""

    code: ClassVar[ErrorCode | None] = None
    default_message: ClassVar[str] = "No rate-limit rule applies."


class RateLimitExceededError(SecurityError):
    """Too many attempts; ``retry_after_seconds`` says when one more will be allowed."""

    code: ClassVar[ErrorCode] = ErrorCode.RATE_LIMITED
    default_message: ClassVar[str] = "Too many attempts. Please try again later."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after_seconds: int,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.retry_after_seconds: int = retry_after_seconds
