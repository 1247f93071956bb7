"""The retry policy: every decision about one logical request (may this attempt be retried,
how long to wait, does the deadline allow it) is made here.

The SDK's request loop (:mod:`spaps_client._engine`) drives it for every call, whatever httpx
client sits underneath; the standalone transports :class:`~spaps_client.http.RetryClient` and
:class:`~spaps_client.http_async.RetryAsyncClient` drive the same policy for plain httpx use.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

__all__ = ["ENGINE_DRIVEN", "IDEMPOTENCY_HEADERS", "LoggingHooks", "RetryConfig", "RetryPlanner"]

IDEMPOTENCY_HEADERS = ("idempotency-key", "x-idempotency-key")

# Set on every request the SDK's request loop sends: a RetryClient underneath then makes one
# attempt and leaves retrying and hooks to the loop, so attempts never multiply.
ENGINE_DRIVEN = "spaps_engine_driven"

# Exceptions raised before any byte of the request could reach the server: retrying them is
# safe whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)

# The server's answer while the first attempt with the same idempotency key is still running:
# waiting and sending again gets the stored result, so keyed requests retry on it.
IDEMPOTENCY_IN_USE_STATUS = 409
IDEMPOTENCY_IN_USE_CODE = "IDEMPOTENCY_KEY_IN_USE"


def has_idempotency_key(request: httpx.Request) -> bool:
    """Whether ``request`` carries an idempotency key header."""
    return any(header in request.headers for header in IDEMPOTENCY_HEADERS)


def _is_idempotency_key_in_use(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except (httpx.ResponseNotRead, UnicodeDecodeError, ValueError):
        return False
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code == IDEMPOTENCY_IN_USE_CODE


@dataclass
class RetryConfig:
    """How failed attempts are retried.

    Defaults retry idempotent methods (and POSTs that carry an idempotency key) up to 3 attempts
    on connection errors and 408/429/500/502/503/504 (and keyed requests on 409
    ``IDEMPOTENCY_KEY_IN_USE``), waiting ``backoff_factor * 2**(n-2)``
    seconds (full jitter, at most ``max_backoff``) before attempt ``n``, or what ``Retry-After``
    asks for, up to ``max_retry_after``. ``total_timeout`` bounds all attempts of one call.
    ``RetryConfig(max_attempts=1)`` turns retries off. A pool timeout (every connection of the
    local pool busy) is not retried: it says the client is overloaded, not that the network
    failed, and retrying would only queue more work behind the same pool.

    Example:
        >>> RetryConfig(max_attempts=4, backoff_factor=0.2).get_backoff(1)
        0.0
    """

    max_attempts: int = 3
    backoff_factor: float = 0.5
    jitter: bool = True
    status_codes: tuple[int, ...] = (408, 429, 500, 502, 503, 504)
    methods: tuple[str, ...] = ("GET", "HEAD", "OPTIONS", "DELETE", "PUT")
    max_backoff: float = 8.0
    respect_retry_after: bool = True
    max_retry_after: float = 30.0
    total_timeout: float | None = 60.0
    retry_post_with_idempotency_key: bool = True

    def __post_init__(self) -> None:
        self.status_codes = tuple(int(code) for code in self.status_codes)
        self.methods = tuple(method.upper() for method in self.methods)

    @classmethod
    def coerce(cls, value: RetryConfig | dict[str, Any] | None) -> RetryConfig:
        """Accept a config, a dict of its fields, or ``None`` (the defaults)."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls(**value)
        raise TypeError("retry_config must be a RetryConfig, a dict of its fields, or None")

    def method_allowed(self, request: httpx.Request) -> bool:
        """Whether ``request``'s method (or its idempotency key) permits a retry at all."""
        method = request.method.upper()
        if method in self.methods:
            return True
        return (
            self.retry_post_with_idempotency_key
            and method == "POST"
            and has_idempotency_key(request)
        )

    def is_retryable(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        exc: BaseException | None = None,
    ) -> bool:
        """Whether an attempt that produced ``response`` (or raised ``exc``) may be retried."""
        if response is None:
            if isinstance(exc, httpx.PoolTimeout):
                return False
            if isinstance(exc, _NOT_SENT):
                return True
            if exc is not None and not isinstance(exc, httpx.TransportError):
                return False
            return self.method_allowed(request)
        # The status first: it settles almost every response (a success) without looking
        # through the request's headers.
        if response.status_code in self.status_codes:
            return self.method_allowed(request)
        return (
            response.status_code == IDEMPOTENCY_IN_USE_STATUS
            and has_idempotency_key(request)
            and self.method_allowed(request)
            and _is_idempotency_key_in_use(response)
        )

    def get_backoff(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (1-based); 0 before the first."""
        if attempt <= 1:
            return 0.0
        delay = min(self.backoff_factor * (2.0 ** (attempt - 2)), self.max_backoff)
        if self.jitter:
            return float(random.uniform(0, delay))  # noqa: S311 - jitter, not cryptography
        return delay

    def retry_after(self, response: httpx.Response, *, now: datetime | None = None) -> float | None:
        """The wait ``Retry-After`` asks for (seconds or an HTTP date), capped; else ``None``."""
        if not self.respect_retry_after:
            return None
        raw = response.headers.get("retry-after")
        if not raw:
            return None
        raw = raw.strip()
        seconds: float
        if raw.isdigit():
            seconds = float(raw)
        else:
            try:
                when = parsedate_to_datetime(raw)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
        return max(0.0, min(seconds, self.max_retry_after))


@dataclass
class LoggingHooks:
    """Callbacks observing each logical request and its attempts (all optional, synchronous).

    * ``on_request(request)``: once, before attempt 1.
    * ``on_response(request, response, elapsed_seconds, attempt)``: after every attempt that
      produced a response.
    * ``on_error(request, exc, attempt)``: after every attempt that raised.
    * ``on_retry(request, attempt)``: after the backoff sleep, with the attempt about to run.
    """

    on_request: Callable[[httpx.Request], None] | None = None
    on_response: Callable[[httpx.Request, httpx.Response, float, int], None] | None = None
    on_error: Callable[[httpx.Request, Exception, int], None] | None = None
    on_retry: Callable[[httpx.Request, int], None] | None = None

    @classmethod
    def coerce(cls, value: LoggingHooks | dict[str, Any] | None) -> LoggingHooks:
        """Accept hooks, a dict of their fields, or ``None`` (no hooks)."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls(**value)
        raise TypeError("logging_hooks must be a LoggingHooks, a dict of its fields, or None")


@dataclass
class RetryPlanner:
    """The retry decisions for one logical request; both transports drive their loop with it."""

    config: RetryConfig
    request: httpx.Request
    clock: Callable[[], float] = time.monotonic
    attempt: int = 1
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def next_delay(
        self, response: httpx.Response | None, exc: BaseException | None = None
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to stop here."""
        if self.attempt >= self.config.max_attempts:
            return None
        if not self.config.is_retryable(self.request, response, exc):
            return None
        delay = self.config.get_backoff(self.attempt + 1)
        if response is not None:
            asked = self.config.retry_after(response)
            if asked is not None:
                delay = asked
        if self.config.total_timeout is not None:
            remaining = self.config.total_timeout - (self.clock() - self.started)
            if delay >= remaining:
                return None
        return delay

    def advance(self) -> int:
        """Count the attempt about to be made and return its number."""
        self.attempt += 1
        return self.attempt
