"""Sub-client plumbing: every endpoint is written once and served to sync and async clients.

A resource class (``SessionsResource``, ...) is generic in its engine and writes each endpoint
as an ordinary method: it validates the arguments, builds the
:class:`~spaps_client._operation.Operation` and hands it to :meth:`Resource._request`, which
runs it on the sub-client's engine. On a blocking sub-client (``SessionsClient``, engine
:class:`~spaps_client._engine.SyncEngine`) that returns the result; on an asyncio one
(``AsyncSessionsClient``, :class:`~spaps_client._engine.AsyncEngine`) it returns the coroutine
that produces it, which the caller awaits.

``@endpoint`` serves the method as it is to a blocking sub-client and as a coroutine function
(``async def`` around it) to an asyncio one; type checkers see ``T`` and
``Coroutine[..., T]`` respectively.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, cast, overload

import httpx

from ._engine import (
    DEFAULT_MAX_IN_FLIGHT,
    AsyncEngine,
    Credentials,
    Operation,
    SyncEngine,
    default_limits,
)
from ._retry import LoggingHooks, RetryConfig
from ._tokens import refresh_operation
from .config import DEFAULT_API_KEY, DEFAULT_BASE_URL, DEFAULT_TIMEOUT
from .storage import TokenStorage

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncResource", "E", "Resource", "SyncResource", "endpoint", "refresh_operation"]

E = TypeVar("E", SyncEngine, AsyncEngine)
T = TypeVar("T")
P = ParamSpec("P")


class Resource(Generic[E]):
    """Base of every sub-client: an engine plus the credentials its calls use.

    Sub-clients made by :class:`~spaps_client.SpapsClient` share its engine and token storage.
    Constructed on their own (``SessionsClient(base_url=..., api_key=..., access_token=...)``)
    they create and own a plain HTTP client (or use ``client``) and retry per
    ``retry_config`` (the :class:`~spaps_client.http.RetryConfig` defaults when not given).
    """

    _is_async = False

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = DEFAULT_API_KEY,
        access_token: str | None = None,
        client: httpx.Client | httpx.AsyncClient | None = None,
        request_timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        token_storage: TokenStorage | None = None,
        retry_config: RetryConfig | dict[str, Any] | None = None,
        logging_hooks: LoggingHooks | dict[str, Any] | None = None,
        engine: E | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if engine is None:
            engine = self._standalone_engine(
                client,
                request_timeout,
                token_storage,
                api_key,
                RetryConfig.coerce(retry_config),
                LoggingHooks.coerce(logging_hooks),
            )
        self._engine: E = engine
        self._credentials = Credentials(token_storage or engine.storage, access_token, api_key)

    def _standalone_engine(
        self,
        client: httpx.Client | httpx.AsyncClient | None,
        timeout: float | httpx.Timeout,
        storage: TokenStorage | None,
        api_key: str,
        retry_config: RetryConfig,
        logging_hooks: LoggingHooks,
    ) -> E:
        owns = client is None
        options: dict[str, Any] = {
            "api_key": api_key,
            "storage": storage,
            "owns_http": owns,
            "retry_config": retry_config,
            "logging_hooks": logging_hooks,
        }
        engine: SyncEngine | AsyncEngine
        if self._is_async:
            if client is None:
                client = httpx.AsyncClient(
                    base_url=self.base_url, timeout=timeout, limits=default_limits()
                )
                options["max_in_flight"] = DEFAULT_MAX_IN_FLIGHT
            if not isinstance(client, httpx.AsyncClient):
                raise TypeError(f"{type(self).__name__} needs an httpx.AsyncClient")
            engine = AsyncEngine(client, **options)
        else:
            if client is None:
                client = httpx.Client(
                    base_url=self.base_url, timeout=timeout, limits=default_limits()
                )
            if not isinstance(client, httpx.Client):
                raise TypeError(f"{type(self).__name__} needs an httpx.Client")
            engine = SyncEngine(client, **options)
        return cast("E", engine)

    def _request(self, operation: Operation[T]) -> T:
        """Run ``operation`` with this sub-client's credentials: the result on a blocking
        sub-client, the coroutine producing it on an asyncio one (``@endpoint`` gives callers
        the matching type)."""
        result: Any = self._engine.run(operation, self._credentials)
        return cast("T", result)

    @property
    def api_key(self) -> str:
        """The API key this sub-client sends (set it to send another one from now on)."""
        return self._credentials.api_key or self._engine.api_key

    @api_key.setter
    def api_key(self, value: str) -> None:
        if not value:
            raise ValueError("api_key must be a non-empty string")
        self._credentials.api_key = value

    @property
    def access_token(self) -> str | None:
        """The bearer token the next call will send (set it to pin one for this sub-client)."""
        return self._credentials.current()

    @access_token.setter
    def access_token(self, value: str | None) -> None:
        self._credentials.access_token = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key='***')"


class SyncResource(Resource[SyncEngine]):
    """Lifetime methods of a blocking sub-client."""

    def close(self) -> None:
        """Close the HTTP client if this sub-client created it (idempotent)."""
        self._engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncResource(Resource[AsyncEngine]):
    """Lifetime methods of an asyncio sub-client. Like its ``httpx.AsyncClient``, it belongs to
    the event loop it is first used on."""

    _is_async = True

    async def aclose(self) -> None:
        """Close the HTTP client if this sub-client created it (idempotent)."""
        await self._engine.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class endpoint(Generic[P, T]):
    """An endpoint method, written once for both flavours.

    On a blocking sub-client the attribute is the method itself, bound. On an asyncio one it
    is a coroutine function with the same signature that runs the method (validation and
    all) when awaited, so the two flavours raise the same errors at the same point.
    """

    def __init__(self, method: Callable[Concatenate[Any, P], T]) -> None:
        self.method = method
        self.attribute = method.__name__
        # Name, docstring and signature of the method, for help() and IDEs.
        functools.update_wrapper(self, method)  # type: ignore[arg-type]

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.attribute = name

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, instance: Resource[SyncEngine], owner: type[Any]) -> Callable[P, T]: ...

    @overload
    def __get__(
        self, instance: Resource[AsyncEngine], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def __get__(self, instance: Resource[Any] | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        bound: Callable[P, T] = types.MethodType(self.method, instance)
        if not instance._is_async:
            return bound

        @functools.wraps(bound)
        async def call(*args: P.args, **kwargs: P.kwargs) -> T:
            return await cast("Coroutine[Any, Any, T]", bound(*args, **kwargs))

        # Kept on the instance (this descriptor defines no ``__set__``, so the instance
        # attribute wins from now on): building the wrapper costs more than the rest of the
        # SDK's work for a call, and the sub-client's endpoints do not change.
        instance.__dict__[self.attribute] = call
        return call
