"""The asyncio transport: the twin of :class:`spaps_client.http.RetryClient`.

Same policy (:mod:`spaps_client._retry`), same hook order; hooks stay plain callables.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ._retry import ENGINE_DRIVEN, LoggingHooks, RetryConfig, RetryPlanner

__all__ = ["RetryAsyncClient"]


class RetryAsyncClient(httpx.AsyncClient):
    """An :class:`httpx.AsyncClient` whose ``send`` retries per :class:`RetryConfig`.

    Example:
        >>> client = RetryAsyncClient(base_url="http://127.0.0.1:3300")
    """

    def __init__(
        self,
        *,
        retry_config: RetryConfig | dict[str, Any] | None = None,
        logging_hooks: LoggingHooks | dict[str, Any] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        **httpx_kwargs: Any,
    ) -> None:
        super().__init__(**httpx_kwargs)
        self.retry_config = RetryConfig.coerce(retry_config)
        self.logging_hooks = LoggingHooks.coerce(logging_hooks)
        self._sleep = sleep
        self._clock = clock

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        """Send ``request``, retrying per :attr:`retry_config` and calling the hooks.

        A request sent by an SDK client is already retried (and logged) by the SDK's request
        loop under the client's own policy, so it goes out once here.
        """
        if request.extensions.get(ENGINE_DRIVEN):
            return await super().send(request, **kwargs)
        hooks = self.logging_hooks
        if hooks.on_request:
            hooks.on_request(request)
        await request.aread()
        planner = RetryPlanner(self.retry_config, request, clock=self._clock)
        while True:
            started = self._clock()
            try:
                response = await super().send(request, **kwargs)
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
                await response.aclose()
            await self._sleep(delay)
            attempt = planner.advance()
            if hooks.on_retry:
                hooks.on_retry(request, attempt)
