"""The error family: machine codes, reprs, and independence from HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from spaps_server.domain.error_codes import ErrorCode
from spaps_server.security import errors
from spaps_server.security.errors import (
    ExpiredTokenError,
    InvalidSignatureError,
    RateLimitExceededError,
    SecurityError,
    TokenError,
    WeakPasswordError,
)

# The catalogue code a service raises for each caller-caused failure; the server's own
# failures (keys, limits, nonce inputs) carry none, so they can only surface as a 500.
EXPECTED_CODES: dict[str, ErrorCode | None] = {
    "WeakPasswordError": ErrorCode.WEAK_PASSWORD,
    "PasswordHashingError": None,
    "SigningKeyError": None,
    "InvalidTokenError": ErrorCode.INVALID_TOKEN,
    "ExpiredTokenError": ErrorCode.TOKEN_EXPIRED,
    "UnsupportedChainError": ErrorCode.UNSUPPORTED_CHAIN,
    "InvalidWalletAddressError": ErrorCode.INVALID_WALLET_ADDRESS,
    "InvalidSignatureError": ErrorCode.INVALID_SIGNATURE,
    "Base58DecodeError": None,
    "NonceMessageError": None,
    "RateLimitConfigError": None,
    "RateLimitExceededError": ErrorCode.RATE_LIMITED,
}


@pytest.mark.parametrize(("name", "code"), sorted(EXPECTED_CODES.items()))
def test_codes(name: str, code: ErrorCode | None) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, SecurityError)
    assert cls.code is code


def test_every_exported_error_has_an_expected_code() -> None:
    concrete = {
        name
        for name in errors.__all__
        if name not in {"SecurityError", "TokenError", "WalletError"}
    }
    assert concrete == set(EXPECTED_CODES)


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
