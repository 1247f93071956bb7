"""Settings resolved from arguments and the environment, and the shared HTTP client factory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .http import LoggingHooks, RetryClient, RetryConfig

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "Settings",
    "create_http_client",
]

DEFAULT_BASE_URL = "http://localhost:3300"
DEFAULT_API_KEY = "test_key_local_dev_only"
DEFAULT_TIMEOUT = 10.0

ENV_BASE_URL = "SPAPS_API_URL"
ENV_API_KEY = "SPAPS_API_KEY"
ENV_TIMEOUT = "SPAPS_REQUEST_TIMEOUT"


def _timeout_from_env() -> float | None:
    raw = os.environ.get(ENV_TIMEOUT)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{ENV_TIMEOUT} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{ENV_TIMEOUT} must be a positive number of seconds, got {raw!r}")
    return value


@dataclass(init=False)
class Settings:
    """Where and how to reach SPAPS.

    Each value is the argument if given, else its environment variable (``SPAPS_API_URL``,
    ``SPAPS_API_KEY``, ``SPAPS_REQUEST_TIMEOUT``) if non-empty, else the local-server default.

    Example:
        >>> Settings(base_url="http://127.0.0.1:3300").request_timeout
        10.0
    """

    base_url: str
    api_key: str
    request_timeout: float

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        request_timeout: float | None = None,
    ) -> None:
        self.base_url = (
            base_url if base_url is not None else os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
        )
        self.api_key = (
            api_key if api_key is not None else os.environ.get(ENV_API_KEY) or DEFAULT_API_KEY
        )
        if request_timeout is None:
            request_timeout = _timeout_from_env()
        self.request_timeout = (
            float(request_timeout) if request_timeout is not None else DEFAULT_TIMEOUT
        )

    def __repr__(self) -> str:
        # The API key is a secret: show only that one is set.
        return (
            f"Settings(base_url={self.base_url!r}, api_key='***', "
            f"request_timeout={self.request_timeout!r})"
        )


def create_http_client(
    *,
    settings: Settings,
    retry_config: RetryConfig | None = None,
    logging_hooks: LoggingHooks | None = None,
    **httpx_kwargs: Any,
) -> RetryClient:
    """Build the shared sync HTTP client for ``settings``.

    ``timeout`` in ``httpx_kwargs`` overrides ``settings.request_timeout``; every other keyword
    goes to :class:`httpx.Client`.

    Example:
        >>> client = create_http_client(settings=Settings(), timeout=3.0)
        >>> client.timeout.read
        3.0
    """
    from .http import RetryClient

    timeout = httpx_kwargs.pop("timeout", settings.request_timeout)
    return RetryClient(
        base_url=settings.base_url.rstrip("/"),
        timeout=timeout,
        retry_config=retry_config,
        logging_hooks=logging_hooks,
        **httpx_kwargs,
    )
