"""``SpapsClient``: the blocking entry point with every sub-client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from ._client_base import ClientBase, SubClient
from ._engine import SyncEngine
from ._retry import LoggingHooks, RetryConfig
from .config import create_http_client
from .resources.auth import AuthClient
from .storage import TokenStorage

if TYPE_CHECKING:
    from typing_extensions import Self

    from .resources.metrics import MetricsClient
    from .resources.payments import PaymentsClient
    from .resources.secure_messages import SecureMessagesClient
    from .resources.sessions import SessionsClient
    from .resources.usage import UsageClient
    from .resources.whitelist import WhitelistClient

__all__ = ["SpapsClient"]


class SpapsClient(ClientBase[SyncEngine]):
    """The SPAPS client (blocking). Every argument is optional.

    Sign-in calls store tokens in ``token_storage``; calls that need a bearer token read it
    at request time and refresh it automatically when it has expired or is rejected
    (``auto_refresh=False`` turns that off). Use it as a context manager, or call ``close()``.

    Example:
        >>> with SpapsClient(base_url="http://localhost:3300") as spaps:
        ...     spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        ...     print(spaps.sessions.get_current_session().session_id)
    """

    sessions: SubClient[SessionsClient] = SubClient(".resources.sessions", "SessionsClient")
    payments: SubClient[PaymentsClient] = SubClient(".resources.payments", "PaymentsClient")
    usage: SubClient[UsageClient] = SubClient(".resources.usage", "UsageClient")
    whitelist: SubClient[WhitelistClient] = SubClient(".resources.whitelist", "WhitelistClient")
    secure_messages: SubClient[SecureMessagesClient] = SubClient(
        ".resources.secure_messages", "SecureMessagesClient"
    )
    metrics: SubClient[MetricsClient] = SubClient(".resources.metrics", "MetricsClient")

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        request_timeout: float | None = None,
        token_storage: TokenStorage | None = None,
        http_client: httpx.Client | None = None,
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
            http_client = create_http_client(
                settings=self.settings,
                retry_config=RetryConfig.coerce(retry_config),
                logging_hooks=LoggingHooks.coerce(logging_hooks),
            )
        self._engine = SyncEngine(http_client, **options)
        self.auth = self._bind(AuthClient)

    @property
    def http_client(self) -> httpx.Client:
        """The underlying HTTP client (owned unless you passed ``http_client``)."""
        return self._engine.http

    def close(self) -> None:
        """Close the HTTP client if this client created it. Safe to call twice."""
        self._engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
