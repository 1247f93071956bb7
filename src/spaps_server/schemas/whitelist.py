"""Bodies of ``/api/v1/whitelist`` (protocol §3.7): entries and messages under ``data``."""

from __future__ import annotations

from typing import Any

from ..domain.clock import iso
from ..domain.whitelist import WhitelistEntry
from .base import Omittable, WireModel


class WhitelistEntryOut(WireModel):
    """The contract's ``WhitelistEntry``: what an API-key-only caller may see."""

    email: str
    application_id: str
    tier: str
    bypass_payment: bool
    metadata: dict[str, Any]

    @classmethod
    def of(cls, entry: WhitelistEntry) -> WhitelistEntryOut:
        """The public view of ``entry``."""
        return cls(
            email=entry.email,
            application_id=entry.application_id,
            tier=entry.tier,
            bypass_payment=entry.bypass_payment,
            metadata=entry.metadata,
        )


class AdminWhitelistEntryOut(WhitelistEntryOut):
    """An entry with its bookkeeping, for administrators."""

    created_at: str
    updated_at: str
    created_by: str | None

    @classmethod
    def of(cls, entry: WhitelistEntry) -> AdminWhitelistEntryOut:
        """The administrator's view of ``entry``."""
        return cls(
            email=entry.email,
            application_id=entry.application_id,
            tier=entry.tier,
            bypass_payment=entry.bypass_payment,
            metadata=entry.metadata,
            created_at=iso(entry.created_at),
            updated_at=iso(entry.updated_at),
            created_by=entry.created_by,
        )


class CheckOut(WireModel):
    """``GET /check``: ``entry`` is absent when the address is not whitelisted."""

    entry: Omittable[WhitelistEntryOut] = None
    message: str


class ListOut(WireModel):
    """One page; ``total`` counts every matching entry."""

    entries: list[AdminWhitelistEntryOut]
    total: int


class EntryOut(WireModel):
    """``data = {entry}`` after adding or changing an entry."""

    entry: AdminWhitelistEntryOut
