"""Models of the ``/api/v1/whitelist`` endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import SpapsModel

__all__ = ["WhitelistCheckResult", "WhitelistEntry", "WhitelistListResult", "WhitelistMessage"]


class WhitelistEntry(SpapsModel):
    """An e-mail address allowed into the application, with its tier."""

    email: str
    application_id: str | None = None
    tier: str | None = None
    bypass_payment: bool | None = None
    metadata: dict[str, Any] | None = None


class WhitelistCheckResult(SpapsModel):
    """The answer to ``check``: ``entry`` is ``None`` when the address is not whitelisted."""

    message: str
    entry: WhitelistEntry | None = None


class WhitelistListResult(SpapsModel):
    """A page of whitelist entries; ``total`` counts all entries, not just this page."""

    entries: list[WhitelistEntry] = Field(default_factory=list)
    total: int


class WhitelistMessage(SpapsModel):
    """A confirmation message (``remove``)."""

    message: str
