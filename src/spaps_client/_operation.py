"""What one endpoint call is, independent of the I/O flavour that runs it.

An :class:`Operation` says everything about one call: method, path, query, body, which
credentials it needs, and how to read the reply. Resources in ``spaps_client.resources`` build
one per call; :mod:`spaps_client._engine` runs it, blocking or on asyncio.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from ._envelope import Reply
from .errors import MissingAccessTokenError, SpapsError
from .storage import TokenStorage

T = TypeVar("T")


class Auth(enum.Enum):
    """Which credentials an operation sends."""

    NONE = "none"  # no auth headers (metrics, health)
    KEY = "key"  # X-API-Key only, never a bearer
    BEARER = "bearer"  # X-API-Key and a required bearer token
    OPTIONAL_BEARER = "optional_bearer"  # X-API-Key, plus the bearer when one is available


def path(template: str, *values: str) -> str:
    """Fill ``{}`` slots of ``template`` with percent-encoded values (a ``/`` stays in its
    segment).

    >>> path("/api/v1/whitelist/{}", "a/b@example.com")
    '/api/v1/whitelist/a%2Fb%40example.com'
    """
    return template.format(*(quote(str(value), safe="") for value in values))


def query(**values: Any) -> dict[str, str]:
    """Query parameters with ``None`` dropped and booleans as ``true``/``false``."""
    params: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[key] = "true" if value else "false"
        else:
            params[key] = str(value)
    return params


def compact(**values: Any) -> dict[str, Any]:
    """A JSON body with the ``None`` values left out."""
    return {key: value for key, value in values.items() if value is not None}


class _NoBody:
    """The ``json`` of an operation that sends no body (distinct from a JSON ``null``)."""

    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Any = _NoBody()


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One endpoint call, independent of the I/O flavour that will run it."""

    method: str
    path: str
    parse: Callable[[Reply], T]
    error: type[SpapsError]
    auth: Auth = Auth.KEY
    params: Mapping[str, str] | None = None
    json: Any = NO_BODY
    headers: Mapping[str, str] = field(default_factory=dict)
    accept: str | None = None
    access_token: str | None = None
    missing_token_message: str = MissingAccessTokenError.default_message
    idempotency_key: str | None = None
    send_idempotency_key: bool = False
    on_success: Callable[[T], None] | None = None
    on_success_reply: Callable[[Reply], None] | None = None


@dataclass(frozen=True)
class Endpoints:
    """Operation builders for one domain: its path prefix, its error class, and the message of
    the error raised when a bearer call finds no token.

    >>> SESSIONS = Endpoints("/api/sessions", SessionError, "Access token is required ...")
    >>> SESSIONS.bearer("GET", "/current", parse, access_token_override)
    """

    prefix: str
    error: type[SpapsError]
    missing_token_message: str = MissingAccessTokenError.default_message

    def key(
        self, method: str, route: str, parse: Callable[[Reply], T], **options: Any
    ) -> Operation[T]:
        """A call that sends the API key and never a bearer token."""
        return Operation(method, self.prefix + route, parse, self.error, Auth.KEY, **options)

    def bearer(
        self,
        method: str,
        route: str,
        parse: Callable[[Reply], T],
        access_token: str | None,
        *,
        missing_token_message: str | None = None,
        **options: Any,
    ) -> Operation[T]:
        """A call that needs the API key and a bearer token (``access_token`` overrides the
        stored one)."""
        return Operation(
            method,
            self.prefix + route,
            parse,
            self.error,
            Auth.BEARER,
            access_token=access_token,
            missing_token_message=missing_token_message or self.missing_token_message,
            **options,
        )


class Credentials:
    """The credentials one sub-client sends, read at request time.

    The bearer token: a per-call ``access_token_override``, then a token set on the sub-client
    (``client.access_token = ...``), then the shared token storage. The API key: one set on the
    sub-client (``client.api_key = ...``), else the engine's.
    """

    __slots__ = ("access_token", "api_key", "storage")

    def __init__(
        self,
        storage: TokenStorage | None = None,
        access_token: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self.storage = storage
        self.access_token = access_token
        self.api_key = api_key

    def current(self) -> str | None:
        """The bearer token a call would send now, if any."""
        if self.access_token:
            return self.access_token
        stored = self.storage.load() if self.storage is not None else None
        return stored.access_token if stored and stored.access_token else None

    def __repr__(self) -> str:
        return f"Credentials(has_token={self.current() is not None})"
