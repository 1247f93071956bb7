"""``SpapsClient``: the blocking entry point with every sub-client."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx

from ._client_base import ClientBase
from ._engine import SyncEngine, default_limits
from ._retry import LoggingHooks, RetryConfig
from .storage import TokenStorage

# Each sub-client's module (and its models) is imported when the sub-client is first used,
# so a process pays at import only for the domains it calls.
if TYPE_CHECKING:
    from typing_extensions import Self

    from .resources.auth import AuthClient
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
    (``auto_refresh=False`` turns that off). Failed attempts are retried per ``retry_config``
    (the :class:`RetryConfig` defaults when not given), also over an ``http_client`` you pass.
    Use it as a context manager, or call ``close()``.

    Example:
        >>> with SpapsClient(base_url="http://localhost:3300") as spaps:
        ...     spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        ...     print(spaps.sessions.get_current_session().session_id)
    """

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
        options = self._engine_options(http_client, auto_refresh, retry_config, logging_hooks)
        if http_client is None:
            http_client = httpx.Client(
                base_url=self.settings.base_url.rstrip("/"),
                timeout=self.settings.request_timeout,
                limits=default_limits(),
            )
        self._engine = SyncEngine(http_client, **options)

    @cached_property
    def auth(self) -> AuthClient:
        """Sign-in, registration, magic links, wallets, password reset, profile."""
        from .resources.auth import AuthClient

        return self._bind(AuthClient)

    @cached_property
    def sessions(self) -> SessionsClient:
        """The signed-in user's sessions."""
        from .resources.sessions import SessionsClient

        return self._bind(SessionsClient)

    @cached_property
    def payments(self) -> PaymentsClient:
        """Checkout, subscriptions, balances, history, products; crypto under ``.crypto``."""
        from .resources.payments import PaymentsClient

        return self._bind(PaymentsClient)

    @cached_property
    def usage(self) -> UsageClient:
        """Metered features: balances, recording usage, history."""
        from .resources.usage import UsageClient

        return self._bind(UsageClient)

    @cached_property
    def whitelist(self) -> WhitelistClient:
        """The e-mail whitelist (checks with the API key; changes need an admin)."""
        from .resources.whitelist import WhitelistClient

        return self._bind(WhitelistClient)

    @cached_property
    def secure_messages(self) -> SecureMessagesClient:
        """Encrypted messages between users."""
        from .resources.secure_messages import SecureMessagesClient

        return self._bind(SecureMessagesClient)

    @cached_property
    def metrics(self) -> MetricsClient:
        """Server metrics and health probes (no credentials sent)."""
        from .resources.metrics import MetricsClient

        return self._bind(MetricsClient)

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
