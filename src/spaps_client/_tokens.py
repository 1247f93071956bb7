"""Storing the tokens a sign-in or refresh returns, and the refresh call itself.

Both the auth resource (explicit sign-in and ``refresh_tokens``) and the engine (automatic
refresh) use these, so they live below both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from ._envelope import Reply
from ._operation import Endpoints, Operation
from .errors import AuthError
from .models.auth import TokenPair
from .storage import StoredTokens, TokenStorage

AUTH_PREFIX = "/api/auth"
AUTH_ENDPOINTS = Endpoints(AUTH_PREFIX, AuthError)

SaveTokens = Callable[[str, "str | None", int, "str | None"], None]


def token_saver(storage: TokenStorage | None) -> SaveTokens | None:
    """A function storing (access, refresh, expires_in, token_type) in ``storage``."""
    if storage is None:
        return None

    def save(access: str, refresh: str | None, expires_in: int, token_type: str | None) -> None:
        expires_at = datetime.now(timezone.utc) + timedelta(seconds=expires_in)
        storage.save(StoredTokens(access, refresh, expires_at, token_type or "Bearer"))

    return save


def store_pair(storage: TokenStorage | None) -> Callable[[TokenPair], None] | None:
    """An ``on_success`` callback storing a :class:`TokenPair` in ``storage``."""
    save = token_saver(storage)
    if save is None:
        return None
    return lambda pair: save(
        pair.access_token, pair.refresh_token, pair.expires_in, pair.token_type
    )


def token_pair(reply: Reply) -> TokenPair:
    """Read a :class:`TokenPair` from ``data`` (rule U1)."""
    return reply.model(TokenPair, reply.data())


def refresh_operation(refresh_token: str, storage: TokenStorage | None) -> Operation[TokenPair]:
    """The ``POST /api/auth/refresh`` call; it stores the new tokens on success."""
    return AUTH_ENDPOINTS.key(
        "POST",
        "/refresh",
        token_pair,
        json={"refresh_token": refresh_token},
        on_success=store_pair(storage),
    )
