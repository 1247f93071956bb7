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
