"""The SPAPS error family.

Every failure an SDK call can produce is a :class:`SpapsError`. An error answered by the server
belongs to two families at once:

* by **domain**, the sub-client that raised it: ``AuthError``, ``SessionError``,
  ``PaymentsError``, ``CryptoPaymentsError``, ``UsageError``, ``WhitelistError``,
  ``SecureMessagesError``, ``MetricsError``;
* by **status**, what happened: :class:`BadRequestError` (400), :class:`AuthenticationError`
  (401), :class:`PermissionDeniedError` (403), :class:`NotFoundError` (404),
  :class:`ConflictError` (409), :class:`RateLimitError` (429), :class:`InternalServerError`
  (5xx). Other statuses (402, 422, ...) raise the domain class alone.

so ``except RateLimitError`` works across sub-clients and ``except AuthError`` still catches
everything the auth sub-client raises. ``except`` matches on the real class hierarchy, so each
combination is an ordinary class written out below (``AuthRateLimitError(AuthError,
RateLimitError)``, ...), one per domain and status; :func:`status_error_class` looks them up.
Nothing is created at run time, every class is a module attribute, and errors pickle by name.

Transport failures raise :class:`SpapsConnectionError` / :class:`SpapsTimeoutError`; a response
that is not what the contract promises raises :class:`MalformedResponseError` combined with the
domain (``MalformedAuthResponse``, ...; :func:`malformed_error_class`).

``error_code`` is the string the server sent; it compares equal to the members of
:class:`~spaps_client.error_codes.ErrorCode`. No error message or ``repr`` contains a secret:
messages come from the server's ``error.message`` or from fixed texts, and the raw body snippet
kept for debugging has secret-looking keys masked.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "AuthAuthenticationError",
    "AuthBadRequestError",
    "AuthConflictError",
    "AuthError",
    "AuthInternalServerError",
    "AuthNotFoundError",
    "AuthPermissionDeniedError",
    "AuthRateLimitError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CryptoPaymentsAuthenticationError",
    "CryptoPaymentsBadRequestError",
    "CryptoPaymentsConflictError",
    "CryptoPaymentsError",
    "CryptoPaymentsInternalServerError",
    "CryptoPaymentsNotFoundError",
    "CryptoPaymentsPermissionDeniedError",
    "CryptoPaymentsRateLimitError",
    "InternalServerError",
    "MalformedAuthResponse",
    "MalformedCryptoPaymentsResponse",
    "MalformedMetricsResponse",
    "MalformedPaymentsResponse",
    "MalformedResponseError",
    "MalformedSecureMessagesResponse",
    "MalformedSessionResponse",
    "MalformedUsageResponse",
    "MalformedWhitelistResponse",
    "MetricsAuthenticationError",
    "MetricsBadRequestError",
    "MetricsConflictError",
    "MetricsError",
    "MetricsInternalServerError",
    "MetricsNotFoundError",
    "MetricsPermissionDeniedError",
    "MetricsRateLimitError",
    "MissingAccessTokenError",
    "NotFoundError",
    "PaymentsAuthenticationError",
    "PaymentsBadRequestError",
    "PaymentsConflictError",
    "PaymentsError",
    "PaymentsInternalServerError",
    "PaymentsNotFoundError",
    "PaymentsPermissionDeniedError",
    "PaymentsRateLimitError",
    "PermissionDeniedError",
    "RateLimitError",
    "SecureMessagesAuthenticationError",
    "SecureMessagesBadRequestError",
    "SecureMessagesConflictError",
    "SecureMessagesError",
    "SecureMessagesInternalServerError",
    "SecureMessagesNotFoundError",
    "SecureMessagesPermissionDeniedError",
    "SecureMessagesRateLimitError",
    "SessionAuthenticationError",
    "SessionBadRequestError",
    "SessionConflictError",
    "SessionError",
    "SessionInternalServerError",
    "SessionNotFoundError",
    "SessionPermissionDeniedError",
    "SessionRateLimitError",
    "SpapsConnectionError",
    "SpapsError",
    "SpapsTimeoutError",
    "UsageAuthenticationError",
    "UsageBadRequestError",
    "UsageConflictError",
    "UsageError",
    "UsageInternalServerError",
    "UsageNotFoundError",
    "UsagePermissionDeniedError",
    "UsageRateLimitError",
    "WhitelistAuthenticationError",
    "WhitelistBadRequestError",
    "WhitelistConflictError",
    "WhitelistError",
    "WhitelistInternalServerError",
    "WhitelistNotFoundError",
    "WhitelistPermissionDeniedError",
    "WhitelistRateLimitError",
    "malformed_error_class",
    "status_class",
    "status_error_class",
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

    # The live response sits in a slot, not in ``__dict__``: pickling an exception copies its
    # ``args`` and ``__dict__`` only, so a pickled error leaves behind the response, its
    # connection and the request's credential headers.
    __slots__ = ("_response",)

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
        self._response = response
        self.request_id = request_id
        self.details = details
        self.body_snippet = body_snippet

    @property
    def response(self) -> httpx.Response | None:
        """The :class:`httpx.Response`, when there was one (``None`` after unpickling)."""
        return getattr(self, "_response", None)

    @response.setter
    def response(self, value: httpx.Response | None) -> None:
        self._response = value

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r}, "
            f"error_code={self.error_code!r}, request_id={self.request_id!r})"
        )


# --- by status ------------------------------------------------------------------------------


class BadRequestError(SpapsError):
    """HTTP 400: the request was refused as invalid (see ``error_code`` and ``details``)."""


class AuthenticationError(SpapsError):
    """HTTP 401: the API key or the access token is missing, invalid or expired."""


class PermissionDeniedError(SpapsError):
    """HTTP 403: authenticated, but not allowed (for example not an admin)."""


class NotFoundError(SpapsError):
    """HTTP 404: the resource does not exist."""


class ConflictError(SpapsError):
    """HTTP 409: the request conflicts with the current state (already exists, key in use)."""


class RateLimitError(SpapsError):
    """HTTP 429: too many requests; ``response.headers["Retry-After"]`` says when to retry."""


class InternalServerError(SpapsError):
    """HTTP 5xx: the server failed; retrying later may succeed."""


# --- by domain ------------------------------------------------------------------------------


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


# --- combinations, one ordinary class each ---------------------------------------------------


# AuthError by status.


class AuthBadRequestError(AuthError, BadRequestError):
    """AuthError with HTTP 400."""


class AuthAuthenticationError(AuthError, AuthenticationError):
    """AuthError with HTTP 401."""


class AuthPermissionDeniedError(AuthError, PermissionDeniedError):
    """AuthError with HTTP 403."""


class AuthNotFoundError(AuthError, NotFoundError):
    """AuthError with HTTP 404."""


class AuthConflictError(AuthError, ConflictError):
    """AuthError with HTTP 409."""


class AuthRateLimitError(AuthError, RateLimitError):
    """AuthError with HTTP 429."""


class AuthInternalServerError(AuthError, InternalServerError):
    """AuthError with HTTP 5xx."""


# SessionError by status.


class SessionBadRequestError(SessionError, BadRequestError):
    """SessionError with HTTP 400."""


class SessionAuthenticationError(SessionError, AuthenticationError):
    """SessionError with HTTP 401."""


class SessionPermissionDeniedError(SessionError, PermissionDeniedError):
    """SessionError with HTTP 403."""


class SessionNotFoundError(SessionError, NotFoundError):
    """SessionError with HTTP 404."""


class SessionConflictError(SessionError, ConflictError):
    """SessionError with HTTP 409."""


class SessionRateLimitError(SessionError, RateLimitError):
    """SessionError with HTTP 429."""


class SessionInternalServerError(SessionError, InternalServerError):
    """SessionError with HTTP 5xx."""


# PaymentsError by status.


class PaymentsBadRequestError(PaymentsError, BadRequestError):
    """PaymentsError with HTTP 400."""


class PaymentsAuthenticationError(PaymentsError, AuthenticationError):
    """PaymentsError with HTTP 401."""


class PaymentsPermissionDeniedError(PaymentsError, PermissionDeniedError):
    """PaymentsError with HTTP 403."""


class PaymentsNotFoundError(PaymentsError, NotFoundError):
    """PaymentsError with HTTP 404."""


class PaymentsConflictError(PaymentsError, ConflictError):
    """PaymentsError with HTTP 409."""


class PaymentsRateLimitError(PaymentsError, RateLimitError):
    """PaymentsError with HTTP 429."""


class PaymentsInternalServerError(PaymentsError, InternalServerError):
    """PaymentsError with HTTP 5xx."""


# CryptoPaymentsError by status.


class CryptoPaymentsBadRequestError(CryptoPaymentsError, BadRequestError):
    """CryptoPaymentsError with HTTP 400."""


class CryptoPaymentsAuthenticationError(CryptoPaymentsError, AuthenticationError):
    """CryptoPaymentsError with HTTP 401."""


class CryptoPaymentsPermissionDeniedError(CryptoPaymentsError, PermissionDeniedError):
    """CryptoPaymentsError with HTTP 403."""


class CryptoPaymentsNotFoundError(CryptoPaymentsError, NotFoundError):
    """CryptoPaymentsError with HTTP 404."""


class CryptoPaymentsConflictError(CryptoPaymentsError, ConflictError):
    """CryptoPaymentsError with HTTP 409."""


class CryptoPaymentsRateLimitError(CryptoPaymentsError, RateLimitError):
    """CryptoPaymentsError with HTTP 429."""


class CryptoPaymentsInternalServerError(CryptoPaymentsError, InternalServerError):
    """CryptoPaymentsError with HTTP 5xx."""


# UsageError by status.


class UsageBadRequestError(UsageError, BadRequestError):
    """UsageError with HTTP 400."""


class UsageAuthenticationError(UsageError, AuthenticationError):
    """UsageError with HTTP 401."""


class UsagePermissionDeniedError(UsageError, PermissionDeniedError):
    """UsageError with HTTP 403."""


class UsageNotFoundError(UsageError, NotFoundError):
    """UsageError with HTTP 404."""


class UsageConflictError(UsageError, ConflictError):
    """UsageError with HTTP 409."""


class UsageRateLimitError(UsageError, RateLimitError):
    """UsageError with HTTP 429."""


class UsageInternalServerError(UsageError, InternalServerError):
    """UsageError with HTTP 5xx."""


# WhitelistError by status.


class WhitelistBadRequestError(WhitelistError, BadRequestError):
    """WhitelistError with HTTP 400."""


class WhitelistAuthenticationError(WhitelistError, AuthenticationError):
    """WhitelistError with HTTP 401."""


class WhitelistPermissionDeniedError(WhitelistError, PermissionDeniedError):
    """WhitelistError with HTTP 403."""


class WhitelistNotFoundError(WhitelistError, NotFoundError):
    """WhitelistError with HTTP 404."""


class WhitelistConflictError(WhitelistError, ConflictError):
    """WhitelistError with HTTP 409."""


class WhitelistRateLimitError(WhitelistError, RateLimitError):
    """WhitelistError with HTTP 429."""


class WhitelistInternalServerError(WhitelistError, InternalServerError):
    """WhitelistError with HTTP 5xx."""


# SecureMessagesError by status.


class SecureMessagesBadRequestError(SecureMessagesError, BadRequestError):
    """SecureMessagesError with HTTP 400."""


class SecureMessagesAuthenticationError(SecureMessagesError, AuthenticationError):
    """SecureMessagesError with HTTP 401."""


class SecureMessagesPermissionDeniedError(SecureMessagesError, PermissionDeniedError):
    """SecureMessagesError with HTTP 403."""


class SecureMessagesNotFoundError(SecureMessagesError, NotFoundError):
    """SecureMessagesError with HTTP 404."""


class SecureMessagesConflictError(SecureMessagesError, ConflictError):
    """SecureMessagesError with HTTP 409."""


class SecureMessagesRateLimitError(SecureMessagesError, RateLimitError):
    """SecureMessagesError with HTTP 429."""


class SecureMessagesInternalServerError(SecureMessagesError, InternalServerError):
    """SecureMessagesError with HTTP 5xx."""


# MetricsError by status.


class MetricsBadRequestError(MetricsError, BadRequestError):
    """MetricsError with HTTP 400."""


class MetricsAuthenticationError(MetricsError, AuthenticationError):
    """MetricsError with HTTP 401."""


class MetricsPermissionDeniedError(MetricsError, PermissionDeniedError):
    """MetricsError with HTTP 403."""


class MetricsNotFoundError(MetricsError, NotFoundError):
    """MetricsError with HTTP 404."""


class MetricsConflictError(MetricsError, ConflictError):
    """MetricsError with HTTP 409."""


class MetricsRateLimitError(MetricsError, RateLimitError):
    """MetricsError with HTTP 429."""


class MetricsInternalServerError(MetricsError, InternalServerError):
    """MetricsError with HTTP 5xx."""


class MalformedAuthResponse(MalformedResponseError, AuthError):
    """A malformed response to a call of the Auth domain."""

    default_message = MalformedResponseError.default_message


class MalformedSessionResponse(MalformedResponseError, SessionError):
    """A malformed response to a call of the Session domain."""

    default_message = MalformedResponseError.default_message


class MalformedPaymentsResponse(MalformedResponseError, PaymentsError):
    """A malformed response to a call of the Payments domain."""

    default_message = MalformedResponseError.default_message


class MalformedCryptoPaymentsResponse(MalformedResponseError, CryptoPaymentsError):
    """A malformed response to a call of the CryptoPayments domain."""

    default_message = MalformedResponseError.default_message


class MalformedUsageResponse(MalformedResponseError, UsageError):
    """A malformed response to a call of the Usage domain."""

    default_message = MalformedResponseError.default_message


class MalformedWhitelistResponse(MalformedResponseError, WhitelistError):
    """A malformed response to a call of the Whitelist domain."""

    default_message = MalformedResponseError.default_message


class MalformedSecureMessagesResponse(MalformedResponseError, SecureMessagesError):
    """A malformed response to a call of the SecureMessages domain."""

    default_message = MalformedResponseError.default_message


class MalformedMetricsResponse(MalformedResponseError, MetricsError):
    """A malformed response to a call of the Metrics domain."""

    default_message = MalformedResponseError.default_message


# --- lookups ---------------------------------------------------------------------------------

_STATUS_CLASSES: dict[int, type[SpapsError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}

# (domain, status class) -> the class that is both.
_COMBINED: dict[tuple[type[SpapsError], type[SpapsError]], type[SpapsError]] = {
    (cls.__bases__[0], cls.__bases__[1]): cls
    for cls in (
        AuthBadRequestError,
        AuthAuthenticationError,
        AuthPermissionDeniedError,
        AuthNotFoundError,
        AuthConflictError,
        AuthRateLimitError,
        AuthInternalServerError,
        SessionBadRequestError,
        SessionAuthenticationError,
        SessionPermissionDeniedError,
        SessionNotFoundError,
        SessionConflictError,
        SessionRateLimitError,
        SessionInternalServerError,
        PaymentsBadRequestError,
        PaymentsAuthenticationError,
        PaymentsPermissionDeniedError,
        PaymentsNotFoundError,
        PaymentsConflictError,
        PaymentsRateLimitError,
        PaymentsInternalServerError,
        CryptoPaymentsBadRequestError,
        CryptoPaymentsAuthenticationError,
        CryptoPaymentsPermissionDeniedError,
        CryptoPaymentsNotFoundError,
        CryptoPaymentsConflictError,
        CryptoPaymentsRateLimitError,
        CryptoPaymentsInternalServerError,
        UsageBadRequestError,
        UsageAuthenticationError,
        UsagePermissionDeniedError,
        UsageNotFoundError,
        UsageConflictError,
        UsageRateLimitError,
        UsageInternalServerError,
        WhitelistBadRequestError,
        WhitelistAuthenticationError,
        WhitelistPermissionDeniedError,
        WhitelistNotFoundError,
        WhitelistConflictError,
        WhitelistRateLimitError,
        WhitelistInternalServerError,
        SecureMessagesBadRequestError,
        SecureMessagesAuthenticationError,
        SecureMessagesPermissionDeniedError,
        SecureMessagesNotFoundError,
        SecureMessagesConflictError,
        SecureMessagesRateLimitError,
        SecureMessagesInternalServerError,
        MetricsBadRequestError,
        MetricsAuthenticationError,
        MetricsPermissionDeniedError,
        MetricsNotFoundError,
        MetricsConflictError,
        MetricsRateLimitError,
        MetricsInternalServerError,
    )
}

_MALFORMED: dict[type[SpapsError], type[MalformedResponseError]] = {
    cls.__bases__[1]: cls
    for cls in (
        MalformedAuthResponse,
        MalformedSessionResponse,
        MalformedPaymentsResponse,
        MalformedCryptoPaymentsResponse,
        MalformedUsageResponse,
        MalformedWhitelistResponse,
        MalformedSecureMessagesResponse,
        MalformedMetricsResponse,
    )
}


def status_class(status_code: int) -> type[SpapsError] | None:
    """The status class for ``status_code`` (``InternalServerError`` for any 5xx), if any."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status_code)


def status_error_class(domain: type[SpapsError], status_code: int) -> type[SpapsError]:
    """The class raised for an HTTP error ``status_code`` in ``domain``: the class that is
    both, the status class for the base ``SpapsError``, or ``domain`` itself.

    >>> status_error_class(AuthError, 429).__name__
    'AuthRateLimitError'
    """
    by_status = status_class(status_code)
    if by_status is None or issubclass(domain, by_status):
        return domain
    if domain is SpapsError:
        return by_status
    return _COMBINED.get((domain, by_status), domain)


def malformed_error_class(domain: type[SpapsError]) -> type[MalformedResponseError]:
    """The class raised for a malformed response in ``domain``: a subclass of both.

    >>> issubclass(malformed_error_class(AuthError), AuthError)
    True
    """
    if issubclass(domain, MalformedResponseError):
        return domain
    return _MALFORMED.get(domain, MalformedResponseError)
