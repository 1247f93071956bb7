"""The request loop: how one :class:`~spaps_client._operation.Operation` becomes a result.

The loop is written once, as a generator (:meth:`_EngineCore.flow`) that does no I/O: it
decides, and *yields* what it needs done: send this request (:class:`Send`), wait this long
(:class:`Sleep`), refresh the stored tokens (:class:`Refresh`). :class:`SyncEngine` and
:class:`AsyncEngine` are the two small drivers that carry those steps out, blocking or on
asyncio; httpx's own ``Auth.auth_flow`` is built the same way.

One call, in order (everything below happens in :meth:`_EngineCore.flow`):

1. credentials are resolved (per-call override, sub-client token, storage) and the
   idempotency key is fixed, once for every attempt;
2. a stored token that expires within :data:`REFRESH_MARGIN_SECONDS` is refreshed first;
3. attempts are sent under the :class:`~spaps_client.http.RetryConfig` policy: transport
   errors and retryable statuses wait (backoff or ``Retry-After``, within the total deadline)
   and try again, logging hooks see every attempt, and a transport error that ends the loop is
   mapped to :class:`SpapsConnectionError` / :class:`SpapsTimeoutError` here;
4. a 401 on a call that used a stored token refreshes once and runs step 3 again;
5. the final response is parsed (success) or mapped to the domain's error class.

The policy holds for any httpx client underneath: a plain ``httpx.Client`` passed by the
caller retries exactly like the one the SDK builds.
"""

from __future__ import annotations

import asyncio
import platform
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from ._envelope import Reply, error_from_response
from ._operation import (
    NO_BODY,
    Auth,
    Credentials,
    Endpoints,
    Operation,
    compact,
    path,
    query,
)
from ._retry import ENGINE_DRIVEN, LoggingHooks, RetryConfig, RetryPlanner
from ._tokens import refresh_operation
from ._version import __version__
from .errors import (
    AuthError,
    MissingAccessTokenError,
    SpapsConnectionError,
    SpapsError,
    SpapsTimeoutError,
)
from .storage import StoredTokens, TokenStorage

__all__ = [
    "NO_BODY",
    "REFRESH_MARGIN_SECONDS",
    "USER_AGENT",
    "AsyncEngine",
    "Auth",
    "Credentials",
    "Endpoints",
    "Operation",
    "SyncEngine",
    "compact",
    "path",
    "query",
]

T = TypeVar("T")

USER_AGENT = (
    f"spaps-python/{__version__} (Python {platform.python_version()}; httpx {httpx.__version__})"
)

# Refresh a stored token this many seconds before it expires, so a call never races expiry.
REFRESH_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class Send:
    """Step: send ``request``; the flow resumes with the response or the ``httpx.HTTPError``."""

    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    """Step: wait ``seconds`` before the next attempt; the flow resumes with ``None``."""

    seconds: float


@dataclass(frozen=True)
class Refresh:
    """Step: refresh the tokens that ``stale`` came from; the flow resumes with the new ones."""

    stale: StoredTokens


Step = Send | Sleep | Refresh


@dataclass
class _Call:
    """What stays fixed across every attempt of one call."""

    operation: Operation[Any]
    api_key: str
    token: str | None
    stored: StoredTokens | None
    idempotency_key: str | None


# The connection pool of a client the SDK creates itself. Keep-alive connections are kept up to
# the pool size (so a burst reuses them instead of reconnecting), and dropped after an idle
# time below the usual server keep-alive timeout (uvicorn's is 5 s), so a reused connection is
# rarely one the server is closing.
DEFAULT_MAX_CONNECTIONS = 64
DEFAULT_KEEPALIVE_EXPIRY = 4.0

# How many calls an asyncio client with a pool of its own keeps on the wire at once; the rest
# wait their turn in the engine's FIFO queue. httpcore's pool does bookkeeping on every request
# event over all the connections it holds, so each call costs client CPU in proportion to how
# many are in flight (1,000 concurrent calls on loopback: about 2.7 s of client CPU with 8 in
# flight, 4 s with 16, 7 s with 64); 16 keeps that low while leaving room for the latency of a
# distant server. Below the pool size, so a call never waits inside the pool.
DEFAULT_MAX_IN_FLIGHT = 16

# How many request URLs (base URL + path) an engine remembers before starting afresh. Paths with
# ids in them are many; the fixed ones, which most calls use, are few.
URL_CACHE_SIZE = 256


def default_limits() -> httpx.Limits:
    """The pool limits of the HTTP clients the SDK creates."""
    return httpx.Limits(
        max_connections=DEFAULT_MAX_CONNECTIONS,
        max_keepalive_connections=DEFAULT_MAX_CONNECTIONS,
        keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY,
    )


class _EngineCore:
    """The request loop and everything about a call that involves no waiting."""

    # The clock and sleep an engine uses unless given its own (tests replace these).
    default_clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(
        self,
        http: httpx.Client | httpx.AsyncClient,
        *,
        api_key: str,
        storage: TokenStorage | None = None,
        auto_refresh: bool = True,
        owns_http: bool = False,
        retry_config: RetryConfig | None = None,
        logging_hooks: LoggingHooks | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.http = http
        self.api_key = api_key
        self.storage = storage
        self.auto_refresh = auto_refresh
        self.owns_http = owns_http
        self.retry_config = retry_config if retry_config is not None else RetryConfig()
        self.logging_hooks = logging_hooks if logging_hooks is not None else LoggingHooks()
        self.clock = clock if clock is not None else type(self).default_clock
        self.closed = False
        # The HTTP client's base URL and the full URLs built on it so far, replaced together
        # when the base URL changes (so an entry never outlives the base it was built on).
        self._urls: tuple[httpx.URL, dict[str, httpx.URL]] = (http.base_url, {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self.http.base_url)!r}, api_key='***')"

    # --- the loop, written once -------------------------------------------------------------

    def flow(
        self, operation: Operation[T], credentials: Credentials | None
    ) -> Generator[Step, Any, T]:
        """Run ``operation`` as a sequence of steps for a driver to carry out."""
        call = self._prepare(operation, credentials)
        token = call.token
        if self._should_refresh_first(call):
            assert call.stored is not None
            token = (yield Refresh(call.stored)).access_token
        response = yield from self._attempts(call, token)
        if self._should_refresh_after(call, response):
            assert call.stored is not None
            token = (yield Refresh(call.stored)).access_token
            response = yield from self._attempts(call, token)
        return self._finish(operation, response)

    def _attempts(self, call: _Call, token: str | None) -> Generator[Step, Any, httpx.Response]:
        """Send under the retry policy; return the last response or raise the mapped error."""
        request = self._build_request(call, token)
        hooks = self.logging_hooks
        planner = RetryPlanner(self.retry_config, request, clock=self.clock)
        if hooks.on_request:
            hooks.on_request(request)
        while True:
            started = self.clock()
            outcome: httpx.Response | httpx.HTTPError = yield Send(request)
            if isinstance(outcome, httpx.HTTPError):
                if hooks.on_error:
                    hooks.on_error(request, outcome, planner.attempt)
                delay = planner.next_delay(None, outcome)
                if delay is None:
                    raise self._transport_error(outcome, request) from outcome
            else:
                if hooks.on_response:
                    hooks.on_response(request, outcome, self.clock() - started, planner.attempt)
                delay = planner.next_delay(outcome)
                if delay is None:
                    return outcome
            yield Sleep(delay)
            attempt = planner.advance()
            if hooks.on_retry:
                hooks.on_retry(request, attempt)

    # --- the decisions the loop makes -------------------------------------------------------

    def _prepare(self, operation: Operation[Any], credentials: Credentials | None) -> _Call:
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
        api_key = (credentials.api_key if credentials is not None else None) or self.api_key
        return _Call(operation, api_key, token, stored, key)

    def _build_request(self, call: _Call, token: str | None) -> httpx.Request:
        operation = call.operation
        headers: dict[str, str] = {"User-Agent": USER_AGENT}
        if operation.auth is not Auth.NONE:
            headers["X-API-Key"] = call.api_key
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if operation.accept:
            headers["Accept"] = operation.accept
        if call.idempotency_key is not None and operation.send_idempotency_key:
            headers["Idempotency-Key"] = call.idempotency_key
        headers.update(operation.headers)
        extensions = {ENGINE_DRIVEN: True}
        url = self._url(operation.path)
        if operation.json is not NO_BODY:
            return self.http.build_request(
                operation.method,
                url,
                params=operation.params or None,
                json=operation.json,
                headers=headers,
                extensions=extensions,
            )
        return self.http.build_request(
            operation.method,
            url,
            params=operation.params or None,
            headers=headers,
            extensions=extensions,
        )

    def _url(self, route: str) -> httpx.URL:
        """The absolute URL of ``route`` on the HTTP client's base URL, merged the way httpx
        merges a relative URL (the base path, then the route without its leading ``/``).

        Merging parses and re-validates the whole URL, which costs more than everything else
        the SDK does for a call; each route is merged once per base URL and then reused
        (``httpx.URL`` is immutable).
        """
        base = self.http.base_url
        cached_base, urls = self._urls
        if cached_base is not base:
            urls = {}
            self._urls = (base, urls)
        url = urls.get(route)
        if url is None:
            relative = httpx.URL(route)
            if not relative.is_relative_url:
                return relative
            url = base.copy_with(raw_path=base.raw_path + relative.raw_path.lstrip(b"/"))
            if len(urls) >= URL_CACHE_SIZE:
                urls.clear()
            urls[route] = url
        return url

    def _should_refresh_first(self, call: _Call) -> bool:
        stored = call.stored
        return (
            self.auto_refresh
            and stored is not None
            and bool(stored.refresh_token)
            and stored.expires_within(REFRESH_MARGIN_SECONDS)
        )

    def _should_refresh_after(self, call: _Call, response: httpx.Response) -> bool:
        stored = call.stored
        return (
            self.auto_refresh
            and response.status_code == 401
            and stored is not None
            and bool(stored.refresh_token)
        )

    def _refresh_plan(self, stale: StoredTokens) -> StoredTokens | Operation[Any]:
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
        return refresh_operation(refresh_token, self.storage)

    def _after_refresh(self) -> StoredTokens:
        assert self.storage is not None
        tokens = self.storage.load()
        if tokens is None or not tokens.access_token:
            raise AuthError("Token refresh did not store new tokens", status_code=401)
        return tokens

    @staticmethod
    def _transport_error(exc: httpx.HTTPError, request: httpx.Request) -> SpapsError:
        url = request.url
        port = f":{url.port}" if url.port is not None else ""
        # Origin and path only: a query string may carry a secret.
        origin = f"{url.scheme}://{url.host}{port}"
        detail = f"{request.method} {url.path}: {type(exc).__name__}"
        if isinstance(exc, httpx.TimeoutException):
            return SpapsTimeoutError(
                f"{SpapsTimeoutError.default_message} ({detail}) waiting for {origin}"
            )
        return SpapsConnectionError(
            f"{SpapsConnectionError.default_message} at {origin} ({detail})"
        )

    @staticmethod
    def _finish(operation: Operation[T], response: httpx.Response) -> T:
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
    """Carries out the steps of :meth:`flow` with a blocking :class:`httpx.Client`.

    Thread-safe: concurrent calls that find the same stale token share one refresh.
    """

    is_async = False
    http: httpx.Client
    default_sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(
        self,
        http: httpx.Client,
        *,
        sleep: Callable[[float], None] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(http, **options)
        self.sleep = sleep if sleep is not None else type(self).default_sleep
        self._refresh_lock = threading.Lock()

    def run(self, operation: Operation[T], credentials: Credentials | None = None) -> T:
        """Run ``operation`` to its parsed result (or its error)."""
        flow = self.flow(operation, credentials)
        outcome: Any = None
        while True:
            try:
                step = flow.send(outcome)
            except StopIteration as finished:
                result: T = finished.value
                return result
            if isinstance(step, Send):
                outcome = self._send(step.request)
            elif isinstance(step, Sleep):
                self.sleep(step.seconds)
                outcome = None
            else:
                outcome = self.refresh(step.stale)

    def _send(self, request: httpx.Request) -> httpx.Response | httpx.HTTPError:
        try:
            return self.http.send(request)
        except httpx.HTTPError as exc:
            return exc

    def refresh(self, stale: StoredTokens) -> StoredTokens:
        """Refresh once for every thread waiting on the same stale token."""
        with self._refresh_lock:
            plan = self._refresh_plan(stale)
            if isinstance(plan, StoredTokens):
                return plan
            self.run(plan)
            return self._after_refresh()

    def close(self) -> None:
        """Close the HTTP client if this engine owns it (idempotent)."""
        if not self.closed and self.owns_http:
            self.http.close()
        self.closed = True


class AsyncEngine(_EngineCore):
    """Carries out the steps of :meth:`flow` with an :class:`httpx.AsyncClient`.

    Bound to one event loop, like the ``httpx.AsyncClient`` under it: concurrent tasks on that
    loop share one refresh. Use one client per loop (and so per thread).
    """

    is_async = True
    http: httpx.AsyncClient
    default_sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        max_in_flight: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(http, **options)
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1 (or None for no limit)")
        self.sleep = sleep if sleep is not None else type(self).default_sleep
        # Created on first use: an asyncio.Lock belongs to the loop that first waits on it.
        self._refresh_lock: asyncio.Lock | None = None
        # At most this many attempts on the wire at once; the rest wait in a FIFO semaphore
        # (cheap) rather than in the HTTP pool, whose bookkeeping grows with its queue and whose
        # pool timeout would fail calls that only had to wait their turn.
        self.max_in_flight = max_in_flight
        self._in_flight: asyncio.Semaphore | None = None

    async def run(self, operation: Operation[T], credentials: Credentials | None = None) -> T:
        """Run ``operation`` to its parsed result (or its error)."""
        flow = self.flow(operation, credentials)
        outcome: Any = None
        while True:
            try:
                step = flow.send(outcome)
            except StopIteration as finished:
                result: T = finished.value
                return result
            if isinstance(step, Send):
                outcome = await self._send(step.request)
            elif isinstance(step, Sleep):
                await self.sleep(step.seconds)
                outcome = None
            else:
                outcome = await self.refresh(step.stale)

    async def _send(self, request: httpx.Request) -> httpx.Response | httpx.HTTPError:
        if self.max_in_flight is None:
            return await self._send_now(request)
        if self._in_flight is None:
            self._in_flight = asyncio.Semaphore(self.max_in_flight)
        async with self._in_flight:
            return await self._send_now(request)

    async def _send_now(self, request: httpx.Request) -> httpx.Response | httpx.HTTPError:
        try:
            return await self.http.send(request)
        except httpx.HTTPError as exc:
            return exc

    async def refresh(self, stale: StoredTokens) -> StoredTokens:
        """Refresh once for every task waiting on the same stale token."""
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        async with self._refresh_lock:
            plan = self._refresh_plan(stale)
            if isinstance(plan, StoredTokens):
                return plan
            await self.run(plan)
            return self._after_refresh()

    async def aclose(self) -> None:
        """Close the HTTP client if this engine owns it (idempotent)."""
        if not self.closed and self.owns_http:
            await self.http.aclose()
        self.closed = True
