"""Plain records shared by services and storage (no HTTP, no SQL)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


@dataclasses.dataclass(frozen=True)
class Application:
    """A client application; every piece of data belongs to exactly one."""

    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    is_default: bool = False

    @property
    def active(self) -> bool:
        """Whether the application's API keys are accepted."""
        return self.revoked_at is None


@dataclasses.dataclass(frozen=True)
class ApiKeyRecord:
    """A stored API key: only its SHA-256 hash and a short display prefix are kept."""

    id: str
    application_id: str
    key_hash: str = dataclasses.field(repr=False)
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclasses.dataclass(frozen=True)
class MailMessage:
    """An e-mail written to the outbox (and shown in the dev mailbox)."""

    id: str
    application_id: str | None
    to_address: str
    from_address: str
    subject: str
    text_body: str
    html_body: str | None
    kind: str
    metadata: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None = None
    delivery_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape used by ``/_dev/mailbox/messages``."""
        return {
            "id": self.id,
            "application_id": self.application_id,
            "to": self.to_address,
            "from": self.from_address,
            "subject": self.subject,
            "text": self.text_body,
            "html": self.html_body,
            "kind": self.kind,
            "metadata": self.metadata,
            "created_at": _iso(self.created_at),
            "delivered_at": _iso(self.delivered_at) if self.delivered_at else None,
            "delivery_error": self.delivery_error,
        }


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
