"""``AsyncSpapsClient``: the asyncio entry point, method for method like ``SpapsClient``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from ._client_base import ClientBase, SubClient
from ._engine import AsyncEngine
from ._retry import LoggingHooks, RetryConfig
from .http_async import RetryAsyncClient
from .resources.auth import AsyncAuthClient
from .storage import TokenStorage

if TYPE_CHECKING:
    from typing_extensions import Self

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

    Example:
        >>> async with AsyncSpapsClient() as client:
        ...     await client.auth.sign_in_with_password(
        ...         email="user@example.com", password="Secret123!"
        ...     )
        ...     sessions = await client.sessions.list_sessions()
    """

    sessions: SubClient[AsyncSessionsClient] = SubClient(
        ".resources.sessions", "AsyncSessionsClient"
    )
    payments: SubClient[AsyncPaymentsClient] = SubClient(
        ".resources.payments", "AsyncPaymentsClient"
    )
    usage: SubClient[AsyncUsageClient] = SubClient(".resources.usage", "AsyncUsageClient")
    whitelist: SubClient[AsyncWhitelistClient] = SubClient(
        ".resources.whitelist", "AsyncWhitelistClient"
    )
    secure_messages: SubClient[AsyncSecureMessagesClient] = SubClient(
        ".resources.secure_messages", "AsyncSecureMessagesClient"
    )
    metrics: SubClient[AsyncMetricsClient] = SubClient(".resources.metrics", "AsyncMetricsClient")

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
        options = self._engine_options(http_client, auto_refresh)
        if http_client is None:
            http_client = RetryAsyncClient(
                base_url=self.settings.base_url.rstrip("/"),
                timeout=self.settings.request_timeout,
                retry_config=RetryConfig.coerce(retry_config),
                logging_hooks=LoggingHooks.coerce(logging_hooks),
            )
        self._engine = AsyncEngine(http_client, **options)
        self.auth = self._bind(AsyncAuthClient)

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
