"""Errors by status as well as by domain, and the shared error-code vocabulary."""

from __future__ import annotations

import pickle

import httpx
import pytest

from spaps_client import (
    AuthenticationError,
    AuthError,
    BadRequestError,
    ConflictError,
    ErrorCode,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryConfig,
    SessionError,
    SpapsClient,
    SpapsError,
    UsageError,
)
from spaps_client import errors as errors_module
from spaps_client.errors import AuthRateLimitError, status_error_class
from spaps_server.domain.error_codes import ErrorCode as ServerErrorCode

BASE = "http://spaps.test"
STATUS_CLASSES = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    500: InternalServerError,
    503: InternalServerError,
}


def test_the_sdk_knows_exactly_the_server_catalogue() -> None:
    sdk = [(member.name, member.value) for member in ErrorCode]
    server = [(member.name, member.value) for member in ServerErrorCode]
    assert sdk == server


def test_error_code_stays_a_string_that_equals_the_member() -> None:
    response = httpx.Response(
        401, json={"error": {"code": "INVALID_CREDENTIALS", "message": "Invalid email"}}
    )
    spaps = SpapsClient(
        http_client=httpx.Client(base_url=BASE, transport=httpx.MockTransport(lambda r: response)),
        retry_config=RetryConfig(max_attempts=1),
    )
    with pytest.raises(AuthError) as info:
        spaps.auth.sign_in_with_password(email="a@example.com", password="x")
    assert type(info.value.error_code) is str
    assert info.value.error_code == ErrorCode.INVALID_CREDENTIALS
    assert str(ErrorCode.INVALID_CREDENTIALS) == "INVALID_CREDENTIALS"


def test_except_rate_limit_error_works_across_sub_clients() -> None:
    limited = httpx.Response(429, json={"error": {"code": "RATE_LIMITED", "message": "slow"}})
    spaps = SpapsClient(
        http_client=httpx.Client(base_url=BASE, transport=httpx.MockTransport(lambda r: limited)),
        retry_config=RetryConfig(max_attempts=1),
    )
    spaps.set_tokens(access_token="tok")
    caught: list[SpapsError] = []
    for call in (
        lambda: spaps.auth.sign_in_with_password(email="a@example.com", password="x"),
        lambda: spaps.sessions.get_current_session(),
        lambda: spaps.usage.get_features(),
    ):
        try:
            call()
        except RateLimitError as exc:
            caught.append(exc)
    assert [type(exc).__name__ for exc in caught] == [
        "AuthRateLimitError",
        "SessionRateLimitError",
        "UsageRateLimitError",
    ]
    assert isinstance(caught[0], AuthError)
    assert isinstance(caught[1], SessionError)
    assert isinstance(caught[2], UsageError)


@pytest.mark.parametrize(("status", "status_class"), STATUS_CLASSES.items())
@pytest.mark.parametrize(
    "domain",
    [
        errors_module.AuthError,
        errors_module.SessionError,
        errors_module.PaymentsError,
        errors_module.CryptoPaymentsError,
        errors_module.UsageError,
        errors_module.WhitelistError,
        errors_module.SecureMessagesError,
        errors_module.MetricsError,
    ],
)
def test_every_domain_has_every_status_class(
    domain: type[SpapsError], status: int, status_class: type[SpapsError]
) -> None:
    cls = status_error_class(domain, status)
    assert issubclass(cls, domain) and issubclass(cls, status_class)
    # An ordinary module-level class: importable by name, so it pickles by name.
    assert getattr(errors_module, cls.__name__) is cls
    assert cls.__name__ in errors_module.__all__


def test_other_statuses_raise_the_domain_class_alone() -> None:
    assert status_error_class(AuthError, 422) is AuthError
    assert status_error_class(SessionError, 402) is SessionError
    assert status_error_class(SpapsError, 429) is RateLimitError


def test_a_combined_error_pickles_without_its_response() -> None:
    error = AuthRateLimitError("slow", status_code=429, response=httpx.Response(429))
    restored = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(restored) is AuthRateLimitError
    assert restored.status_code == 429
    assert restored.response is None
    assert error.response is not None
