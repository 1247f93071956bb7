"""The error family: machine codes, reprs, and independence from HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from spaps_server.security import errors
from spaps_server.security.errors import (
    ExpiredTokenError,
    InvalidSignatureError,
    RateLimitExceededError,
    SecurityError,
    TokenError,
    WeakPasswordError,
)

EXPECTED_CODES = {
    "WeakPasswordError": "WEAK_PASSWORD",
    "PasswordHashingError": "PASSWORD_HASHING_FAILED",
    "SigningKeyError": "INVALID_SIGNING_KEY",
    "InvalidTokenError": "INVALID_TOKEN",
    "ExpiredTokenError": "TOKEN_EXPIRED",
    "UnsupportedChainError": "UNSUPPORTED_CHAIN",
    "InvalidWalletAddressError": "INVALID_WALLET_ADDRESS",
    "InvalidSignatureError": "INVALID_SIGNATURE",
    "Base58DecodeError": "INVALID_BASE58",
    "NonceMessageError": "INVALID_NONCE_MESSAGE",
    "RateLimitConfigError": "RATE_LIMIT_MISCONFIGURED",
    "RateLimitExceededError": "RATE_LIMITED",
}


@pytest.mark.parametrize(("name", "code"), sorted(EXPECTED_CODES.items()))
def test_codes(name: str, code: str) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, SecurityError)
    assert cls.code == code


def test_every_exported_error_is_a_security_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), SecurityError)


def test_message_reason_and_repr() -> None:
    error = WeakPasswordError("Too short.", reason="too_short")
    assert str(error) == "Too short."
    assert error.message == "Too short."
    assert repr(error) == (
        "WeakPasswordError(code='WEAK_PASSWORD', reason='too_short', message='Too short.')"
    )
    assert str(InvalidSignatureError()) == InvalidSignatureError.default_message


def test_expired_and_invalid_are_distinct_token_errors() -> None:
    assert issubclass(ExpiredTokenError, TokenError)
    assert not issubclass(ExpiredTokenError, errors.InvalidTokenError)


def test_rate_limit_error_carries_retry_after() -> None:
    error = RateLimitExceededError(retry_after_seconds=42)
    assert error.retry_after_seconds == 42
    assert error.code == "RATE_LIMITED"


def test_security_package_is_free_of_http_and_storage() -> None:
    package = Path(errors.__file__).parent
    sources = sorted(package.rglob("*.py"))
    assert len(sources) >= 10
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for framework in ("fastapi", "starlette", "httpx", "sqlalchemy", "spaps_server.http"):
            assert f"import {framework}" not in text, path
            assert f"from {framework}" not in text, path
