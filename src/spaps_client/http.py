"""Retry and logging settings, the default logging hooks, and :class:`RetryClient`.

SDK clients retry in their own request loop (:mod:`spaps_client._engine`) whatever httpx
client they use; :class:`RetryClient` is the same policy for code that uses httpx directly
(and the import path of the published client). :mod:`spaps_client.http_async` is its asyncio
twin.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from ._redact import redact_error, redact_url
from ._retry import ENGINE_DRIVEN, LoggingHooks, RetryConfig, RetryPlanner

__all__ = ["LoggingHooks", "RetryClient", "RetryConfig", "default_logging_hooks"]

logger = logging.getLogger("spaps_client.http")


def default_logging_hooks(log: logging.Logger | None = None) -> LoggingHooks:
    """Hooks that log each request to ``spaps_client.http`` with secrets masked.

    Records carry ``method``, ``path``, ``url`` (secret query values masked), ``status``,
    ``elapsed`` (seconds) and ``duration_ms``, ``attempt``, ``request_id`` and, for failures,
    ``error`` (the exception type and message). Headers and bodies are never logged. The
    message itself reads ``HTTP response`` etc., so log queries can match it; add the fields to
    your formatter, e.g. ``"%(message)s %(method)s %(path)s %(status)s %(duration_ms)s"``.

    Example:
        >>> spaps = SpapsClient(logging_hooks=default_logging_hooks())
    """
    target = log or logger

    def on_request(request: httpx.Request) -> None:
        target.debug(
            "HTTP request",
            extra={
                "method": request.method,
                "path": request.url.path,
                "url": redact_url(request.url),
            },
        )

    def on_response(
        request: httpx.Request, response: httpx.Response, elapsed: float, attempt: int
    ) -> None:
        target.info(
            "HTTP response",
            extra={
                "method": request.method,
                "path": request.url.path,
                "url": redact_url(request.url),
                "status": response.status_code,
                "elapsed": elapsed,
                "duration_ms": round(elapsed * 1000.0, 1),
                "attempt": attempt,
                "request_id": response.headers.get("x-request-id"),
            },
        )

    def on_error(request: httpx.Request, exc: Exception, attempt: int) -> None:
        target.warning(
            "HTTP error",
            extra={
                "method": request.method,
                "path": request.url.path,
                "url": redact_url(request.url),
                "error": redact_error(request, exc),
                "attempt": attempt,
            },
        )

    def on_retry(request: httpx.Request, attempt: int) -> None:
        target.debug(
            "HTTP retry",
            extra={"method": request.method, "url": redact_url(request.url), "attempt": attempt},
        )

    return LoggingHooks(
        on_request=on_request, on_response=on_response, on_error=on_error, on_retry=on_retry
    )


class RetryClient(httpx.Client):
    """An :class:`httpx.Client` whose ``send`` retries per :class:`RetryConfig` and calls hooks.

    ``retry_config=None`` means the safe defaults of :class:`RetryConfig`; pass
    ``RetryConfig(max_attempts=1)`` for a single attempt. ``sleep`` and ``clock`` exist for tests.

    Example:
        >>> client = RetryClient(base_url="http://127.0.0.1:3300", retry_config={"max_attempts": 5})
    """

    def __init__(
        self,
        *,
        retry_config: RetryConfig | dict[str, Any] | None = None,
        logging_hooks: LoggingHooks | dict[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        **httpx_kwargs: Any,
    ) -> None:
        super().__init__(**httpx_kwargs)
        self.retry_config = RetryConfig.coerce(retry_config)
        self.logging_hooks = LoggingHooks.coerce(logging_hooks)
        self._sleep = sleep
        self._clock = clock

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        """Send ``request``, retrying per :attr:`retry_config` and calling the hooks.

        A request sent by an SDK client is already retried (and logged) by the SDK's request
        loop under the client's own policy, so it goes out once here.
        """
        if request.extensions.get(ENGINE_DRIVEN):
            return super().send(request, **kwargs)
        hooks = self.logging_hooks
        if hooks.on_request:
            hooks.on_request(request)
        # Buffer a streaming body once so every attempt sends identical bytes.
        request.read()
        planner = RetryPlanner(self.retry_config, request, clock=self._clock)
        while True:
            started = self._clock()
            try:
                response = super().send(request, **kwargs)
            except Exception as exc:
                if hooks.on_error:
                    hooks.on_error(request, exc, planner.attempt)
                delay = planner.next_delay(None, exc)
                if delay is None:
                    raise
            else:
                if hooks.on_response:
                    hooks.on_response(request, response, self._clock() - started, planner.attempt)
                delay = planner.next_delay(response)
                if delay is None:
                    return response
                response.close()
            self._sleep(delay)
            attempt = planner.advance()
            if hooks.on_retry:
                hooks.on_retry(request, attempt)
