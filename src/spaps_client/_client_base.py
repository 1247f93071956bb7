"""What ``SpapsClient`` and ``AsyncSpapsClient`` share: settings, token storage, the engine
options, and binding sub-clients to the one engine.

Each client lists its sub-clients as ``functools.cached_property`` attributes (so
``help(SpapsClient)`` shows every one); a sub-client is built on first access and needs no
token to be created: the bearer token is read from the token storage when a call is made, so a
reference kept from before a sign-in never sends a stale token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

import httpx

from ._resource import E
from ._retry import LoggingHooks, RetryConfig
from .config import Settings
from .http import RetryClient
from .http_async import RetryAsyncClient
from .storage import InMemoryTokenStorage, StoredTokens, TokenStorage

R = TypeVar("R")


class ClientBase(Generic[E]):
    """Settings, tokens and sub-client bookkeeping shared by the sync and async clients."""

    _engine: E

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        request_timeout: float | None,
        token_storage: TokenStorage | None,
    ) -> None:
        self.settings = Settings(
            base_url=base_url, api_key=api_key, request_timeout=request_timeout
        )
        self._token_storage: TokenStorage = (
            token_storage if token_storage is not None else InMemoryTokenStorage()
        )

    def _engine_options(
        self,
        http_client: httpx.Client | httpx.AsyncClient | None,
        auto_refresh: bool,
        retry_config: RetryConfig | dict[str, Any] | None,
        logging_hooks: LoggingHooks | dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Keyword arguments for the engine; a borrowed client must have a base URL.

        The retry policy and hooks apply to any HTTP client. A borrowed ``RetryClient``
        (``create_http_client``) lends its own when none is given here: the engine runs them,
        and the ``RetryClient`` then sends each attempt once.
        """
        if http_client is not None and not str(http_client.base_url):
            raise ValueError("http_client must have a base_url: SPAPS paths are relative")
        if isinstance(http_client, (RetryClient, RetryAsyncClient)):
            if retry_config is None:
                retry_config = http_client.retry_config
            if logging_hooks is None:
                logging_hooks = http_client.logging_hooks
        return {
            "api_key": self.settings.api_key,
            "storage": self._token_storage,
            "auto_refresh": auto_refresh,
            "owns_http": http_client is None,
            "retry_config": RetryConfig.coerce(retry_config),
            "logging_hooks": LoggingHooks.coerce(logging_hooks),
        }

    def _bind(self, resource: Callable[..., R]) -> R:
        """A sub-client sharing this client's engine and token storage."""
        return resource(
            base_url=self.settings.base_url,
            api_key=self.settings.api_key,
            token_storage=self._token_storage,
            engine=self._engine,
        )

    @property
    def token_storage(self) -> TokenStorage:
        """Where this client keeps its tokens."""
        return self._token_storage

    @property
    def auto_refresh(self) -> bool:
        """Whether expired or rejected access tokens are refreshed automatically."""
        return self._engine.auto_refresh

    def get_tokens(self) -> StoredTokens | None:
        """The stored tokens, or ``None`` when signed out."""
        return self._token_storage.load()

    def set_tokens(
        self,
        *,
        access_token: str,
        refresh_token: str | None = None,
        token_type: str = "Bearer",
        expires_in: int | None = None,
        expires_at: datetime | None = None,
    ) -> StoredTokens:
        """Store tokens obtained elsewhere (a web front end, a previous process).

        Example:
            >>> spaps.set_tokens(access_token=token, refresh_token=refresh, expires_in=900)
        """
        if not access_token:
            raise ValueError("access_token must be a non-empty string")
        if expires_at is None and expires_in is not None:
            expires_at = datetime.now(timezone.utc) + timedelta(seconds=expires_in)
        tokens = StoredTokens(access_token, refresh_token, expires_at, token_type)
        self._token_storage.save(tokens)
        return tokens

    def clear_tokens(self) -> None:
        """Forget the stored tokens (signing out locally, without a request)."""
        self._token_storage.clear()

    @property
    def closed(self) -> bool:
        """Whether ``close()`` / ``aclose()`` has been called."""
        return self._engine.closed

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.settings.base_url!r}, api_key='***', "
            f"signed_in={self._token_storage.load() is not None})"
        )
