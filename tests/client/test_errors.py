"""The SpapsError family (departure D1): hierarchy, defaults, attributes, repr, pickling."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import httpx
import pytest

from spaps_client.errors import (
    AuthError,
    CryptoPaymentsError,
    MalformedResponseError,
    MetricsError,
    MissingAccessTokenError,
    PaymentsError,
    SecureMessagesError,
    SessionError,
    SpapsConnectionError,
    SpapsError,
    SpapsTimeoutError,
    UsageError,
    WhitelistError,
    malformed_error_class,
)

DOMAIN_DEFAULTS = {
    AuthError: "Authentication request failed",
    SessionError: "Session request failed",
    PaymentsError: "Payments request failed",
    CryptoPaymentsError: "Crypto payments request failed",
    UsageError: "Usage request failed",
    WhitelistError: "Whitelist request failed",
    SecureMessagesError: "Secure message request failed",
}

ALL_CLASSES: list[type[SpapsError]] = [
    SpapsError,
    *DOMAIN_DEFAULTS,
    MetricsError,
    SpapsConnectionError,
    SpapsTimeoutError,
    MalformedResponseError,
    MissingAccessTokenError,
]


@pytest.mark.parametrize(("cls", "message"), list(DOMAIN_DEFAULTS.items()))
def test_domain_default_messages(cls: type[SpapsError], message: str) -> None:
    error = cls(status_code=500)
    assert str(error) == message
    assert error.message == message
    assert error.args == (message,)
    assert issubclass(cls, SpapsError)
    assert cls.__module__ == "spaps_client.errors"


def test_domain_classes_are_siblings() -> None:
    classes = list(DOMAIN_DEFAULTS)
    for cls in classes:
        for other in classes:
            if other is not cls:
                assert not issubclass(cls, other)


def test_empty_message_falls_back_to_default() -> None:
    assert str(SessionError("", status_code=400)) == "Session request failed"


def test_attributes_are_kept() -> None:
    response = httpx.Response(402)
    error = PaymentsError(
        "Card declined",
        status_code=402,
        error_code="CARD_DECLINED",
        response=response,
        request_id="req_1",
        details={"decline_code": "insufficient_funds"},
        body_snippet='{"error":"x"}',
    )
    assert str(error) == "Card declined"
    assert error.status_code == 402
    assert error.error_code == "CARD_DECLINED"
    assert error.response is response
    assert error.request_id == "req_1"
    assert error.details == {"decline_code": "insufficient_funds"}
    assert error.body_snippet == '{"error":"x"}'


def test_attribute_defaults() -> None:
    error = SpapsError()
    assert str(error) == "SPAPS request failed"
    assert (error.status_code, error.error_code, error.response) == (None, None, None)
    assert (error.request_id, error.details, error.body_snippet) == (None, None, None)


def test_repr_shows_identity_but_not_the_body() -> None:
    error = AuthError(
        "Invalid email or password",
        status_code=401,
        error_code="INVALID_CREDENTIALS",
        request_id="req_login_error",
        body_snippet='{"password":"***"}',
    )
    assert repr(error) == (
        "AuthError('Invalid email or password', status_code=401, "
        "error_code='INVALID_CREDENTIALS', request_id='req_login_error')"
    )


def test_transport_error_classes() -> None:
    assert issubclass(SpapsTimeoutError, SpapsConnectionError)
    assert issubclass(SpapsConnectionError, SpapsError)
    assert SpapsConnectionError().status_code is None
    assert str(SpapsConnectionError()) == "Could not reach the SPAPS server"
    assert str(SpapsTimeoutError()) == "The SPAPS request timed out"


def test_missing_access_token_error_is_auth_and_value_error() -> None:
    error = MissingAccessTokenError()
    assert isinstance(error, AuthError)
    assert isinstance(error, SpapsError)
    assert isinstance(error, ValueError)
    assert "Access token not found" in str(error)
    with pytest.raises(ValueError):
        raise MissingAccessTokenError("need a token")


def test_malformed_error_class_combines_both() -> None:
    cls = malformed_error_class(AuthError)
    assert issubclass(cls, AuthError)
    assert issubclass(cls, MalformedResponseError)
    assert issubclass(cls, SpapsError)
    assert cls.__name__ == "MalformedAuthResponse"
    error = cls(status_code=200)
    assert str(error) == "The SPAPS server sent a malformed response"
    with pytest.raises(AuthError):
        raise error


def test_malformed_error_class_is_cached() -> None:
    assert malformed_error_class(WhitelistError) is malformed_error_class(WhitelistError)
    assert malformed_error_class(WhitelistError) is not malformed_error_class(UsageError)
    assert not issubclass(malformed_error_class(WhitelistError), UsageError)


def test_malformed_error_class_of_malformed_is_itself() -> None:
    assert malformed_error_class(MalformedResponseError) is MalformedResponseError
    combined = malformed_error_class(SessionError)
    assert malformed_error_class(combined) is combined


def _sample(cls: type[SpapsError]) -> SpapsError:
    return cls(
        "something broke",
        status_code=503,
        error_code="USAGE_SERVICE_UNAVAILABLE",
        response=httpx.Response(503, text="down"),
        request_id="req_9",
        details={"retry": True},
        body_snippet="down",
    )


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_pickle_round_trip(cls: type[SpapsError]) -> None:
    restored = pickle.loads(pickle.dumps(_sample(cls)))  # noqa: S301 - our own bytes
    assert type(restored) is cls
    assert str(restored) == "something broke"
    assert restored.args == ("something broke",)
    assert restored.status_code == 503
    assert restored.error_code == "USAGE_SERVICE_UNAVAILABLE"
    assert restored.request_id == "req_9"
    assert restored.details == {"retry": True}
    assert restored.body_snippet == "down"
    # The live response (and its connection) is not pickled.
    assert restored.response is None


@pytest.mark.parametrize("domain", [AuthError, PaymentsError], ids=lambda c: c.__name__)
def test_pickle_round_trip_of_malformed_classes(domain: type[SpapsError]) -> None:
    cls = malformed_error_class(domain)
    restored = pickle.loads(pickle.dumps(_sample(cls)))  # noqa: S301 - our own bytes
    assert type(restored) is cls
    assert isinstance(restored, domain)
    assert restored.status_code == 503
    assert str(restored) == "something broke"


def test_malformed_error_unpickles_in_a_fresh_process() -> None:
    # A worker that receives the error has never built the combined class itself.
    payload = pickle.dumps(_sample(malformed_error_class(SessionError)))
    script = (
        "import pickle, sys\n"
        "err = pickle.loads(sys.stdin.buffer.read())\n"
        "from spaps_client.errors import SessionError, MalformedResponseError\n"
        "assert isinstance(err, SessionError) and isinstance(err, MalformedResponseError)\n"
        "print(type(err).__name__, err.status_code, err)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=payload,
        capture_output=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "MalformedSessionResponse 503 something broke"
