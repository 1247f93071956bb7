"""The request engine: one description of each call (:class:`Operation`), run by a sync or
an async engine.

An :class:`Operation` says everything about one endpoint call: method, path, query, body,
which credentials it needs, and how to read the reply. It is built once per endpoint in
``spaps_client.resources`` and run unchanged by :class:`SyncEngine` or :class:`AsyncEngine`.
The engines add headers, resolve the bearer token at request time, refresh it when it is
expired or rejected (single-flight), and turn transport failures into SPAPS errors.
"""

from __future__ import annotations

import asyncio
import enum
import platform
import threading
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from ._envelope import Reply, error_from_response
from ._version import __version__
from .errors import (
    AuthError,
    MissingAccessTokenError,
    SpapsConnectionError,
    SpapsError,
    SpapsTimeoutError,
)
from .storage import StoredTokens, TokenStorage

if TYPE_CHECKING:
    from .models.auth import TokenPair

T = TypeVar("T")

USER_AGENT = (
    f"spaps-python/{__version__} (Python {platform.python_version()}; httpx {httpx.__version__})"
)

# Refresh a stored token this many seconds before it expires, so a call never races expiry.
REFRESH_MARGIN_SECONDS = 30.0


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
    """Where a sub-client's bearer token comes from, read at request time.

    Precedence: a per-call ``access_token_override``, then a token set on the sub-client
    (``client.access_token = ...``), then the shared token storage.
    """

    __slots__ = ("access_token", "storage")

    def __init__(self, storage: TokenStorage | None = None, access_token: str | None = None):
        self.storage = storage
        self.access_token = access_token

    def current(self) -> str | None:
        if self.access_token:
            return self.access_token
        stored = self.storage.load() if self.storage is not None else None
        return stored.access_token if stored and stored.access_token else None

    def __repr__(self) -> str:
        return f"Credentials(has_token={self.current() is not None})"


@dataclass
class _Prepared:
    """The per-call state shared by the two engines."""

    operation: Operation[Any]
    token: str | None
    stored: StoredTokens | None
    idempotency_key: str | None


class _EngineCore:
    """Everything about running an operation that involves no waiting."""

    def __init__(
        self,
        http: httpx.Client | httpx.AsyncClient,
        *,
        api_key: str,
        storage: TokenStorage | None = None,
        auto_refresh: bool = True,
        owns_http: bool = False,
    ) -> None:
        self.http = http
        self.api_key = api_key
        self.storage = storage
        self.auto_refresh = auto_refresh
        self.owns_http = owns_http
        self.closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self.http.base_url)!r}, api_key='***')"

    def prepare(self, operation: Operation[Any], credentials: Credentials | None) -> _Prepared:
        token: str | None = None
        stored: StoredTokens | None = None
        if operation.auth in (Auth.BEARER, Auth.OPTIONAL_BEARER):
            if operation.access_token:
                token = operation.access_token
            elif credentials is not None and credentials.access_token:
                token = credentials.access_token
            elif credentials is not None and credentials.storage is not None:
                stored = credentials.storage.load()
                if stored is not None and stored.access_token:
                    token = stored.access_token
                else:
                    stored = None
            if token is None and operation.auth is Auth.BEARER:
                raise MissingAccessTokenError(operation.missing_token_message)
        key = operation.idempotency_key
        if key is None and operation.send_idempotency_key:
            key = str(uuid.uuid4())
        return _Prepared(operation, token, stored, key)

    def build_request(self, prepared: _Prepared, token: str | None) -> httpx.Request:
        operation = prepared.operation
        headers: dict[str, str] = {"User-Agent": USER_AGENT}
        if operation.auth is not Auth.NONE:
            headers["X-API-Key"] = self.api_key
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if operation.accept:
            headers["Accept"] = operation.accept
        if prepared.idempotency_key is not None and operation.send_idempotency_key:
            headers["Idempotency-Key"] = prepared.idempotency_key
        headers.update(operation.headers)
        if operation.json is not NO_BODY:
            return self.http.build_request(
                operation.method,
                operation.path,
                params=operation.params or None,
                json=operation.json,
                headers=headers,
            )
        return self.http.build_request(
            operation.method, operation.path, params=operation.params or None, headers=headers
        )

    def should_refresh_first(self, prepared: _Prepared) -> bool:
        stored = prepared.stored
        return (
            self.auto_refresh
            and stored is not None
            and bool(stored.refresh_token)
            and stored.expires_within(REFRESH_MARGIN_SECONDS)
        )

    def should_refresh_after(self, prepared: _Prepared, response: httpx.Response) -> bool:
        stored = prepared.stored
        return (
            self.auto_refresh
            and response.status_code == 401
            and stored is not None
            and bool(stored.refresh_token)
        )

    def refresh_plan(self, stale: StoredTokens) -> StoredTokens | Operation[TokenPair]:
        """Inside the refresh lock: the tokens someone else already refreshed, or the
        operation that refreshes ``stale``."""
        assert self.storage is not None
        current = self.storage.load()
        if (
            current is not None
            and current.access_token != stale.access_token
            and not current.expires_within(REFRESH_MARGIN_SECONDS)
        ):
            return current
        refresh_token = (current or stale).refresh_token
        if not refresh_token:
            raise AuthError("Session expired and no refresh token is stored", status_code=401)
        from .resources.auth import refresh_operation

        return refresh_operation(refresh_token, self.storage)

    def after_refresh(self) -> StoredTokens:
        assert self.storage is not None
        tokens = self.storage.load()
        if tokens is None or not tokens.access_token:
            raise AuthError("Token refresh did not store new tokens", status_code=401)
        return tokens

    @staticmethod
    def transport_error(exc: httpx.HTTPError, operation: Operation[Any]) -> SpapsError:
        detail = f"{operation.method} {operation.path}: {type(exc).__name__}"
        if isinstance(exc, httpx.TimeoutException):
            return SpapsTimeoutError(f"{SpapsTimeoutError.default_message} ({detail})")
        return SpapsConnectionError(f"{SpapsConnectionError.default_message} ({detail})")

    @staticmethod
    def finish(operation: Operation[T], response: httpx.Response) -> T:
        if response.status_code >= 400:
            raise error_from_response(response, operation.error)
        reply = Reply(response, operation.error)
        result = operation.parse(reply)
        if operation.on_success_reply is not None:
            operation.on_success_reply(reply)
        if operation.on_success is not None:
            operation.on_success(result)
        return result


class SyncEngine(_EngineCore):
    """Runs operations with a blocking :class:`httpx.Client`."""

    is_async = False
    http: httpx.Client

    def __init__(self, http: httpx.Client, **kwargs: Any) -> None:
        super().__init__(http, **kwargs)
        self._refresh_lock = threading.Lock()

    def run(self, operation: Operation[T], credentials: Credentials | None = None) -> T:
        prepared = self.prepare(operation, credentials)
        token = prepared.token
        if self.should_refresh_first(prepared):
            assert prepared.stored is not None
            token = self.refresh(prepared.stored).access_token
        response = self._send(prepared, token)
        if self.should_refresh_after(prepared, response):
            assert prepared.stored is not None
            response.close()
            token = self.refresh(prepared.stored).access_token
            response = self._send(prepared, token)
        return self.finish(operation, response)

    def refresh(self, stale: StoredTokens) -> StoredTokens:
        """Refresh once for everyone waiting on the same stale token."""
        with self._refresh_lock:
            plan = self.refresh_plan(stale)
            if isinstance(plan, StoredTokens):
                return plan
            self.run(plan)
            return self.after_refresh()

    def _send(self, prepared: _Prepared, token: str | None) -> httpx.Response:
        request = self.build_request(prepared, token)
        try:
            return self.http.send(request)
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, prepared.operation) from exc

    def close(self) -> None:
        if not self.closed and self.owns_http:
            self.http.close()
        self.closed = True


class AsyncEngine(_EngineCore):
    """Runs operations with an :class:`httpx.AsyncClient`."""

    is_async = True
    http: httpx.AsyncClient

    def __init__(self, http: httpx.AsyncClient, **kwargs: Any) -> None:
        super().__init__(http, **kwargs)
        # One lock per event loop (an asyncio.Lock is bound to the loop that first uses it),
        # plus a thread lock so that loops in different threads do not refresh together.
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._thread_lock = threading.Lock()

    async def run(self, operation: Operation[T], credentials: Credentials | None = None) -> T:
        prepared = self.prepare(operation, credentials)
        token = prepared.token
        if self.should_refresh_first(prepared):
            assert prepared.stored is not None
            token = (await self.refresh(prepared.stored)).access_token
        response = await self._send(prepared, token)
        if self.should_refresh_after(prepared, response):
            assert prepared.stored is not None
            await response.aclose()
            token = (await self.refresh(prepared.stored)).access_token
            response = await self._send(prepared, token)
        return self.finish(operation, response)

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._thread_lock:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
            return lock

    async def refresh(self, stale: StoredTokens) -> StoredTokens:
        """Refresh once for every task waiting on the same stale token."""
        async with self._loop_lock():
            plan = self.refresh_plan(stale)
            if isinstance(plan, StoredTokens):
                return plan
            await self.run(plan)
            return self.after_refresh()

    async def _send(self, prepared: _Prepared, token: str | None) -> httpx.Response:
        request = self.build_request(prepared, token)
        try:
            return await self.http.send(request)
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, prepared.operation) from exc

    async def aclose(self) -> None:
        if not self.closed and self.owns_http:
            await self.http.aclose()
        self.closed = True
