"""The SPAPS error family.

Every failure an SDK call can produce is a :class:`SpapsError`: HTTP error envelopes map to the
seven domain classes (``AuthError``, ``SessionError``, ...), transport failures to
:class:`SpapsConnectionError` / :class:`SpapsTimeoutError`, and a response that is not what the
contract promises to :class:`MalformedResponseError` (combined with the domain class of the call,
so ``except AuthError`` still catches a malformed sign-in response).

No error message or ``repr`` contains a secret: messages come from the server's ``error.message``
or from fixed texts, and the raw body snippet kept for debugging has secret-looking keys masked.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "AuthError",
    "CryptoPaymentsError",
    "MalformedResponseError",
    "MetricsError",
    "MissingAccessTokenError",
    "PaymentsError",
    "SecureMessagesError",
    "SessionError",
    "SpapsConnectionError",
    "SpapsError",
    "SpapsTimeoutError",
    "UsageError",
    "WhitelistError",
    "malformed_error_class",
]


class SpapsError(Exception):
    """Base class of every error raised by the SDK.

    Attributes:
        status_code: the HTTP status, or ``None`` when no response arrived.
        error_code: the server's machine-readable ``error.code``, if any.
        request_id: from ``X-Request-ID``, a top-level ``request_id`` or ``metadata.request_id``.
        response: the :class:`httpx.Response`, when there was one.
        details: the server's ``error.details``, if any.
        body_snippet: the start of the raw response body (secret-looking values masked).

    Example:
        >>> try:
        ...     spaps.auth.sign_in_with_password(email="a@example.com", password="wrong")
        ... except SpapsError as exc:
        ...     print(exc.status_code, exc.error_code, exc.request_id)
    """

    default_message = "SPAPS request failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        error_code: str | None = None,
        response: httpx.Response | None = None,
        request_id: str | None = None,
        details: Any = None,
        body_snippet: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        self.status_code = status_code
        self.error_code = error_code
        self.response = response
        self.request_id = request_id
        self.details = details
        self.body_snippet = body_snippet

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r}, "
            f"error_code={self.error_code!r}, request_id={self.request_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep pickling (multiprocessing, celery) working despite the keyword-only constructor.
        state = {k: v for k, v in self.__dict__.items() if k != "response"}
        # A class made by malformed_error_class is not a module attribute, so pickle it by
        # its domain class and rebuild it on the other side.
        domain = type(self).__dict__.get("_malformed_domain")
        if domain is not None:
            return (_rebuild_malformed_error, (domain, state))
        return (_rebuild_error, (type(self), state))


def _rebuild_malformed_error(domain: type[SpapsError], state: dict[str, Any]) -> SpapsError:
    return _rebuild_error(malformed_error_class(domain), state)


def _rebuild_error(cls: type[SpapsError], state: dict[str, Any]) -> SpapsError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message"))
    error.__dict__.update(state)
    error.response = None
    return error


class AuthError(SpapsError):
    """Raised by the auth sub-client (sign-in, registration, magic links, password reset)."""

    default_message = "Authentication request failed"


class SessionError(SpapsError):
    """Raised by the sessions sub-client."""

    default_message = "Session request failed"


class PaymentsError(SpapsError):
    """Raised by the payments sub-client (``/api/payments`` and ``/api/stripe``)."""

    default_message = "Payments request failed"


class CryptoPaymentsError(SpapsError):
    """Raised by ``payments.crypto``."""

    default_message = "Crypto payments request failed"


class UsageError(SpapsError):
    """Raised by the usage sub-client."""

    default_message = "Usage request failed"


class WhitelistError(SpapsError):
    """Raised by the whitelist sub-client."""

    default_message = "Whitelist request failed"


class SecureMessagesError(SpapsError):
    """Raised by the secure-messages sub-client."""

    default_message = "Secure message request failed"


class MetricsError(SpapsError):
    """Raised by the metrics and health helpers."""

    default_message = "Metrics request failed"


class SpapsConnectionError(SpapsError):
    """No response arrived: the connection failed or broke. ``status_code`` is ``None``."""

    default_message = "Could not reach the SPAPS server"


class SpapsTimeoutError(SpapsConnectionError):
    """The request timed out (connect, read, write or pool). ``status_code`` is ``None``."""

    default_message = "The SPAPS request timed out"


class MalformedResponseError(SpapsError):
    """The server answered, but not in a shape the contract allows (not JSON, wrong envelope,
    a 2xx body that fails model validation). ``body_snippet`` shows what arrived."""

    default_message = "The SPAPS server sent a malformed response"


class MissingAccessTokenError(AuthError, ValueError):
    """A call needs a bearer token and none is stored or given. Raised before any request.

    It is both an :class:`AuthError` and a :class:`ValueError`, which is what the published
    client raised, so existing ``except ValueError`` blocks keep working.
    """

    default_message = "Access token not found. Authenticate via auth helpers or call set_tokens()."


_MALFORMED_CLASSES: dict[type[SpapsError], type[MalformedResponseError]] = {}


def malformed_error_class(domain: type[SpapsError]) -> type[MalformedResponseError]:
    """The class raised for a malformed response in ``domain``: a subclass of both.

    >>> issubclass(malformed_error_class(AuthError), AuthError)
    True
    """
    if issubclass(domain, MalformedResponseError):
        return domain
    cached = _MALFORMED_CLASSES.get(domain)
    if cached is not None:
        return cached
    name = f"Malformed{domain.__name__.removesuffix('Error')}Response"
    namespace = {
        "__module__": __name__,
        "default_message": MalformedResponseError.default_message,
        "_malformed_domain": domain,
    }
    cls: type[MalformedResponseError] = type(name, (MalformedResponseError, domain), namespace)
    return _MALFORMED_CLASSES.setdefault(domain, cls)
