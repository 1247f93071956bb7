"""``/api/v1/whitelist``: e-mail addresses admitted to the application (rule U3 envelopes).

``check`` needs only the API key; managing entries needs an access token.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, TypeVar

from .._engine import AsyncEngine, Endpoints, SyncEngine, compact, path, query
from .._envelope import Reply
from .._resource import AsyncResource, E, Resource, SyncResource, endpoint
from ..errors import WhitelistError
from ..models.whitelist import (
    WhitelistCheckResult,
    WhitelistEntry,
    WhitelistListResult,
    WhitelistMessage,
)

__all__ = ["AsyncWhitelistClient", "WhitelistClient", "WhitelistResource"]

T = TypeVar("T")
WHITELIST_PREFIX = "/api/v1/whitelist"
MISSING_TOKEN = "This operation requires an access token"
_WHITELIST = Endpoints(WHITELIST_PREFIX, WhitelistError, MISSING_TOKEN)


def _email_route(email: str) -> str:
    if not email:
        raise ValueError("email is required")
    return path("/{}", email)


def _message(reply: Reply, missing: str) -> str:
    """``data.message``, else the top-level ``message``."""
    for candidate in (reply.data_object().get("message"), reply.body().get("message")):
        if isinstance(candidate, str) and candidate:
            return candidate
    raise reply.malformed(missing)


def _entry(missing: str) -> Callable[[Reply], WhitelistEntry]:
    def parse(reply: Reply) -> WhitelistEntry:
        entry = reply.data_object().get("entry")
        if not isinstance(entry, dict):
            raise reply.malformed(missing)
        return reply.model(WhitelistEntry, entry)

    return parse


def _check(reply: Reply) -> WhitelistCheckResult:
    message = _message(reply, "Whitelist check response missing message")
    entry = reply.data_object().get("entry")
    return reply.model(
        WhitelistCheckResult,
        {"message": message, "entry": entry if isinstance(entry, dict) else None},
    )


def _listing(reply: Reply) -> WhitelistListResult:
    data = reply.data_object()
    entries = data.get("entries")
    if entries is None:
        entries = []
    total = data.get("total")
    if total is None and isinstance(entries, builtins.list):
        total = len(entries)
    return reply.model(WhitelistListResult, {"entries": entries, "total": total})


class WhitelistResource(Resource[E]):
    """The application's whitelist: check an address, and list, add, update or remove
    entries."""

    WHITELIST_PREFIX = WHITELIST_PREFIX

    @endpoint
    def check(self, *, email: str) -> WhitelistCheckResult:
        """Whether ``email`` is whitelisted (API key only; no access token is sent).

        Example:
            >>> result = spaps.whitelist.check(email="user@example.com")
            >>> print(result.message, result.entry.tier if result.entry else None)
        """
        return self._request(_WHITELIST.key("GET", "/check", _check, params=query(email=email)))

    @endpoint
    def list(
        self,
        *,
        limit: int = 10,
        offset: int = 0,
        tier: str | None = None,
        access_token_override: str | None = None,
    ) -> WhitelistListResult:
        """A page of whitelist entries, optionally of one ``tier``.

        Example:
            >>> page = spaps.whitelist.list(limit=50, tier="premium")
            >>> print(page.total, [entry.email for entry in page.entries])
        """
        params = query(limit=limit, offset=offset, tier=tier or None)
        return self._request(
            _WHITELIST.bearer("GET", "", _listing, access_token_override, params=params)
        )

    @endpoint
    def add(
        self,
        *,
        email: str,
        tier: str = "premium",
        bypass_payment: bool = True,
        metadata: dict[str, Any] | None = None,
        access_token_override: str | None = None,
    ) -> WhitelistEntry:
        """Whitelist ``email`` with ``tier`` (by default premium, without payment).

        Example:
            >>> entry = spaps.whitelist.add(email="vip@example.com", tier="enterprise")
        """
        body = compact(email=email, tier=tier, bypass_payment=bypass_payment, metadata=metadata)
        return self._request(
            _WHITELIST.bearer(
                "POST",
                "",
                _entry("Whitelist add response missing entry"),
                access_token_override,
                json=body,
            )
        )

    @endpoint
    def update(
        self,
        *,
        email: str,
        tier: str | None = None,
        bypass_payment: bool | None = None,
        metadata: dict[str, Any] | None = None,
        access_token_override: str | None = None,
    ) -> WhitelistEntry:
        """Change an entry; only the fields given are sent.

        Example:
            >>> spaps.whitelist.update(email="vip@example.com", bypass_payment=False)
        """
        return self._request(
            _WHITELIST.bearer(
                "PUT",
                _email_route(email),
                _entry("Whitelist update response missing entry"),
                access_token_override,
                json=compact(tier=tier, bypass_payment=bypass_payment, metadata=metadata),
            )
        )

    @endpoint
    def remove(self, *, email: str, access_token_override: str | None = None) -> WhitelistMessage:
        """Remove ``email`` from the whitelist.

        Example:
            >>> print(spaps.whitelist.remove(email="vip@example.com").message)
        """
        route = _email_route(email)

        def parse(reply: Reply) -> WhitelistMessage:
            if reply.is_empty:
                # 204 No Content (contract D2): nothing to read, the removal succeeded.
                return WhitelistMessage(message=f"Email {email} removed from whitelist")
            return WhitelistMessage(
                message=_message(reply, "Whitelist remove response missing message")
            )

        return self._request(_WHITELIST.bearer("DELETE", route, parse, access_token_override))


class WhitelistClient(SyncResource, WhitelistResource[SyncEngine]):
    """Blocking whitelist sub-client (``spaps.whitelist``)."""


class AsyncWhitelistClient(AsyncResource, WhitelistResource[AsyncEngine]):
    """Asyncio whitelist sub-client (``client.whitelist``); every endpoint is a coroutine."""
