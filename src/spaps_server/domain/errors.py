"""The error family raised by services.

Services know nothing of HTTP: they raise a :class:`DomainError` subclass carrying a machine
``code`` (the contract's ``error.code``), a human ``message``, optional ``details`` and a
:class:`ErrorKind`. The HTTP layer (``spaps_server.http.errors``) maps the kind to a status code
and renders the contract's error envelope.

Pick the subclass for the kind and pass a member of the catalogue
(:class:`~spaps_server.domain.error_codes.ErrorCode`), for example
``raise NotFoundError("Session not found", code=ErrorCode.SESSION_NOT_FOUND)``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, ClassVar

from .error_codes import ErrorCode


class ErrorKind(str, enum.Enum):
    """What went wrong, independent of transport; the HTTP layer maps each to a status."""

    INVALID = "invalid"  # 400: the request is malformed or fails validation
    UNAUTHORIZED = "unauthorized"  # 401: missing or bad credentials (API key, token)
    PAYMENT_REQUIRED = "payment_required"  # 402: e.g. a card was declined
    FORBIDDEN = "forbidden"  # 403: authenticated but not allowed
    NOT_FOUND = "not_found"  # 404
    CONFLICT = "conflict"  # 409: e.g. a duplicate
    PAYLOAD_TOO_LARGE = "payload_too_large"  # 413
    UNPROCESSABLE = "unprocessable"  # 422: well-formed but semantically rejected
    RATE_LIMITED = "rate_limited"  # 429
    UNAVAILABLE = "unavailable"  # 503: a dependency is down
    INTERNAL = "internal"  # 500


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    Subclasses fix :attr:`kind` and a default :attr:`code`; callers usually pass the specific
    contract code. ``details`` must be JSON-serialisable and must never contain a secret.
    """

    kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL
    default_code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code: ErrorCode = code or self.default_code
        self.details: dict[str, Any] | None = dict(details) if details is not None else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code.value!r}, message={self.message!r})"


class InvalidError(DomainError):
    """The input is malformed or fails validation (400)."""

    kind = ErrorKind.INVALID
    default_code = ErrorCode.VALIDATION_ERROR


class UnauthorizedError(DomainError):
    """Credentials are missing or wrong (401)."""

    kind = ErrorKind.UNAUTHORIZED
    default_code = ErrorCode.UNAUTHORIZED


class PaymentRequiredError(DomainError):
    """A payment could not be made, e.g. a declined card (402)."""

    kind = ErrorKind.PAYMENT_REQUIRED
    default_code = ErrorCode.PAYMENT_REQUIRED


class ForbiddenError(DomainError):
    """The caller is known but not allowed to do this (403)."""

    kind = ErrorKind.FORBIDDEN
    default_code = ErrorCode.FORBIDDEN


class NotFoundError(DomainError):
    """The thing asked for does not exist in the caller's application (404)."""

    kind = ErrorKind.NOT_FOUND
    default_code = ErrorCode.NOT_FOUND


class ConflictError(DomainError):
    """The request clashes with existing state, e.g. a duplicate (409)."""

    kind = ErrorKind.CONFLICT
    default_code = ErrorCode.CONFLICT


class PayloadTooLargeError(DomainError):
    """The request body exceeds the configured limit (413)."""

    kind = ErrorKind.PAYLOAD_TOO_LARGE
    default_code = ErrorCode.PAYLOAD_TOO_LARGE


class UnprocessableError(DomainError):
    """Well-formed but semantically rejected, e.g. an invalid transaction (422)."""

    kind = ErrorKind.UNPROCESSABLE
    default_code = ErrorCode.UNPROCESSABLE


class RateLimitedError(DomainError):
    """Too many attempts (429); ``retry_after_seconds`` becomes a ``Retry-After`` header."""

    kind = ErrorKind.RATE_LIMITED
    default_code = ErrorCode.RATE_LIMITED

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        details: Mapping[str, Any] | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after_seconds = retry_after_seconds


class UnavailableError(DomainError):
    """A dependency is down or a feature is switched off (503)."""

    kind = ErrorKind.UNAVAILABLE
    default_code = ErrorCode.SERVICE_UNAVAILABLE


class InternalError(DomainError):
    """A failure that is the server's fault but is reported on purpose (500)."""

    kind = ErrorKind.INTERNAL
    default_code = ErrorCode.INTERNAL_ERROR
