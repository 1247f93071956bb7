"""``AsyncSpapsClient``: the asyncio entry point, method for method like ``SpapsClient``."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx

from ._client_base import ClientBase
from ._engine import DEFAULT_MAX_IN_FLIGHT, AsyncEngine, default_limits
from ._retry import LoggingHooks, RetryConfig
from .storage import TokenStorage

# Each sub-client's module (and its models) is imported when the sub-client is first used,
# so a process pays at import only for the domains it calls.
if TYPE_CHECKING:
    from typing_extensions import Self

    from .resources.auth import AsyncAuthClient
    from .resources.metrics import AsyncMetricsClient
    from .resources.payments import AsyncPaymentsClient
    from .resources.secure_messages import AsyncSecureMessagesClient
    from .resources.sessions import AsyncSessionsClient
    from .resources.usage import AsyncUsageClient
    from .resources.whitelist import AsyncWhitelistClient

__all__ = ["AsyncSpapsClient"]


class AsyncSpapsClient(ClientBase[AsyncEngine]):
    """The SPAPS client for asyncio. Same arguments and behaviour as :class:`SpapsClient`;
    every endpoint is a coroutine.

    One client belongs to one event loop, like the ``httpx.AsyncClient`` under it: concurrent
    tasks on that loop share it (and one token refresh); another loop or thread needs its own
    client.

    Example:
        >>> async with AsyncSpapsClient() as client:
        ...     await client.auth.sign_in_with_password(
        ...         email="user@example.com", password="Secret123!"
        ...     )
        ...     sessions = await client.sessions.list_sessions()
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        request_timeout: float | None = None,
        token_storage: TokenStorage | None = None,
        http_client: httpx.AsyncClient | None = None,
        retry_config: RetryConfig | dict[str, Any] | None = None,
        logging_hooks: LoggingHooks | dict[str, Any] | None = None,
        auto_refresh: bool = True,
    ) -> None:
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            request_timeout=request_timeout,
            token_storage=token_storage,
        )
        options = self._engine_options(http_client, auto_refresh, retry_config, logging_hooks)
        if http_client is None:
            http_client = httpx.AsyncClient(
                base_url=self.settings.base_url.rstrip("/"),
                timeout=self.settings.request_timeout,
                limits=default_limits(),
            )
            # The pool is ours: calls beyond the in-flight limit queue in the engine (cheaply),
            # never inside the pool.
            options["max_in_flight"] = DEFAULT_MAX_IN_FLIGHT
        self._engine = AsyncEngine(http_client, **options)

    @cached_property
    def auth(self) -> AsyncAuthClient:
        """Sign-in, registration, magic links, wallets, password reset, profile."""
        from .resources.auth import AsyncAuthClient

        return self._bind(AsyncAuthClient)

    @cached_property
    def sessions(self) -> AsyncSessionsClient:
        """The signed-in user's sessions."""
        from .resources.sessions import AsyncSessionsClient

        return self._bind(AsyncSessionsClient)

    @cached_property
    def payments(self) -> AsyncPaymentsClient:
        """Checkout, subscriptions, balances, history, products; crypto under ``.crypto``."""
        from .resources.payments import AsyncPaymentsClient

        return self._bind(AsyncPaymentsClient)

    @cached_property
    def usage(self) -> AsyncUsageClient:
        """Metered features: balances, recording usage, history."""
        from .resources.usage import AsyncUsageClient

        return self._bind(AsyncUsageClient)

    @cached_property
    def whitelist(self) -> AsyncWhitelistClient:
        """The e-mail whitelist (checks with the API key; changes need an admin)."""
        from .resources.whitelist import AsyncWhitelistClient

        return self._bind(AsyncWhitelistClient)

    @cached_property
    def secure_messages(self) -> AsyncSecureMessagesClient:
        """Encrypted messages between users."""
        from .resources.secure_messages import AsyncSecureMessagesClient

        return self._bind(AsyncSecureMessagesClient)

    @cached_property
    def metrics(self) -> AsyncMetricsClient:
        """Server metrics and health probes (no credentials sent)."""
        from .resources.metrics import AsyncMetricsClient

        return self._bind(AsyncMetricsClient)

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The underlying HTTP client (owned unless you passed ``http_client``)."""
        return self._engine.http

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it. Safe to call twice."""
        await self._engine.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
