"""Reading the local server's mailbox (``/_dev/mailbox/messages``) from tests."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx

from ._errors import MailNotFoundError

__all__ = ["MailKind", "Mailbox"]

MailKind = Literal["magic_link", "password_reset", "email_confirmation"]

_MESSAGES_PATH = "/_dev/mailbox/messages"


def _token_of(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    token = metadata.get("token") if isinstance(metadata, dict) else None
    if isinstance(token, str) and token:
        return token
    # A message without metadata still carries its link in the text body.
    for word in str(message.get("text") or "").split():
        values = parse_qs(urlsplit(word).query).get("token")
        if values:
            return values[0]
    return None


class Mailbox:
    """The mailbox of a ``spaps local`` server at ``base_url``.

    ``latest_token`` polls for up to ``timeout`` seconds (every ``poll_interval``) because
    delivery is the server's business; messages are returned newest first.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0, poll_interval: float = 0.1) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._http = httpx.Client(base_url=self.base_url, timeout=10.0)

    def __repr__(self) -> str:
        return f"Mailbox({self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def messages(self, email: str | None = None, *, limit: int = 100) -> list[dict[str, Any]]:
        """The messages (newest first), only those to ``email`` when given."""
        params: dict[str, str | int] = {"limit": limit}
        if email is not None:
            params["to"] = email
        response = self._http.get(_MESSAGES_PATH, params=params)
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()["data"]["messages"]
        return messages

    def clear(self) -> int:
        """Delete every message; returns how many there were."""
        response = self._http.delete(_MESSAGES_PATH)
        response.raise_for_status()
        return int(response.json()["data"]["deleted"])

    def _newest_token(self, email: str, kind: str) -> str | None:
        for message in self.messages(email):
            if message.get("kind") == kind:
                token = _token_of(message)
                if token is not None:
                    return token
        return None

    def latest_token(
        self, email: str, kind: MailKind = "magic_link", *, timeout: float | None = None
    ) -> str:
        """The token of the newest ``kind`` message (``magic_link``, ``password_reset`` or
        ``email_confirmation``) sent to ``email``; waits up to ``timeout`` seconds (default:
        the mailbox's) and raises :class:`MailNotFoundError` when none arrives."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            token = self._newest_token(email, kind)
            if token is not None:
                return token
            if time.monotonic() >= deadline:
                raise MailNotFoundError(f"no {kind} message to {email} arrived in the mailbox")
            time.sleep(self.poll_interval)

    async def alatest_token(
        self, email: str, kind: MailKind = "magic_link", *, timeout: float | None = None
    ) -> str:
        """:meth:`latest_token` for async tests: the polling runs in a worker thread, so the
        event loop keeps running while it waits."""
        return await asyncio.to_thread(self.latest_token, email, kind, timeout=timeout)
