"""The whitelist record (no HTTP, no SQL)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


@dataclasses.dataclass(frozen=True)
class WhitelistEntry:
    """An e-mail address admitted to one application with a tier, and whether its users
    may skip payment. ``email`` is always stored lower-case."""

    id: str
    application_id: str
    email: str
    tier: str
    bypass_payment: bool
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None

    def to_public_json(self) -> dict[str, Any]:
        """The contract's ``WhitelistEntry`` fields (what an API-key-only caller may see)."""
        return {
            "email": self.email,
            "application_id": self.application_id,
            "tier": self.tier,
            "bypass_payment": self.bypass_payment,
            "metadata": self.metadata,
        }

    def to_json(self) -> dict[str, Any]:
        """The contract's fields plus bookkeeping, for administrators."""
        return {
            **self.to_public_json(),
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "created_by": self.created_by,
        }


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
