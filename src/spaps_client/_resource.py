"""Sub-client plumbing: every endpoint is written once and served to sync and async clients.

A resource class (``AuthResource``, ``SessionsResource``, ...) defines each endpoint as a method
decorated with :class:`endpoint` that *builds* an :class:`~spaps_client._engine.Operation`.
The descriptor turns it into a blocking method on a resource bound to a :class:`SyncEngine`
(``AuthClient``) and into a coroutine method on one bound to an :class:`AsyncEngine`
(``AsyncAuthClient``); type checkers see the right return type for each.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import httpx

from ._engine import AsyncEngine, Credentials, Operation, SyncEngine
from .config import DEFAULT_API_KEY, DEFAULT_BASE_URL, DEFAULT_TIMEOUT
from .storage import TokenStorage

if TYPE_CHECKING:
    from typing_extensions import Self

E = TypeVar("E", SyncEngine, AsyncEngine)
T = TypeVar("T")
P = ParamSpec("P")


class Resource(Generic[E]):
    """Base of every sub-client: an engine plus the credentials its calls use.

    Sub-clients made by :class:`~spaps_client.SpapsClient` share its engine and token storage.
    Constructed on their own (``SessionsClient(base_url=..., api_key=..., access_token=...)``)
    they create and own a plain HTTP client, as the published client did.
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
        engine: E | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        if engine is None:
            engine = self._standalone_engine(client, request_timeout, token_storage)
        self._engine: E = engine
        self._credentials = Credentials(token_storage or engine.storage, access_token)

    def _standalone_engine(
        self,
        client: httpx.Client | httpx.AsyncClient | None,
        timeout: float | httpx.Timeout,
        storage: TokenStorage | None,
    ) -> E:
        owns = client is None
        engine: SyncEngine | AsyncEngine
        if self._is_async:
            if client is None:
                client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
            if not isinstance(client, httpx.AsyncClient):
                raise TypeError(f"{type(self).__name__} needs an httpx.AsyncClient")
            engine = AsyncEngine(client, api_key=self.api_key, storage=storage, owns_http=owns)
        else:
            if client is None:
                client = httpx.Client(base_url=self.base_url, timeout=timeout)
            if not isinstance(client, httpx.Client):
                raise TypeError(f"{type(self).__name__} needs an httpx.Client")
            engine = SyncEngine(client, api_key=self.api_key, storage=storage, owns_http=owns)
        return engine  # type: ignore[return-value]

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
    """Lifetime methods of an asyncio sub-client."""

    _is_async = True

    async def aclose(self) -> None:
        """Close the HTTP client if this sub-client created it (idempotent)."""
        await self._engine.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class endpoint(Generic[P, T]):
    """Turn an operation builder into a sync or async endpoint method.

    The decorated function receives the resource and the caller's arguments, validates them,
    and returns the :class:`Operation` to run.
    """

    def __init__(self, build: Callable[Concatenate[Any, P], Operation[T]]) -> None:
        self._build = build
        self._name = build.__name__
        functools.update_wrapper(self, build)  # type: ignore[arg-type]
        parameters = list(inspect.signature(build).parameters.values())[1:]
        returns = inspect.signature(build).return_annotation
        if isinstance(returns, str) and returns.startswith("Operation[") and returns.endswith("]"):
            returns = returns[len("Operation[") : -1]
        self._signature = inspect.signature(build).replace(
            parameters=parameters, return_annotation=returns
        )

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

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
        build = self._build
        engine = instance._engine
        credentials = instance._credentials
        bound: Callable[..., Any]
        if engine.is_async:

            async def bound(*args: Any, **kwargs: Any) -> Any:
                return await engine.run(build(instance, *args, **kwargs), credentials)

        else:

            def bound(*args: Any, **kwargs: Any) -> Any:
                return engine.run(build(instance, *args, **kwargs), credentials)

        functools.update_wrapper(bound, build)
        vars(bound).pop("__wrapped__", None)
        vars(bound)["__signature__"] = self._signature
        # Cache on the instance: later look-ups skip the descriptor entirely.
        instance.__dict__[self._name] = bound
        return bound
