"""The secure-message record (no HTTP, no SQL). Only the service sees ``content`` in the
clear; storage holds ciphertext."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


@dataclasses.dataclass(frozen=True)
class SecureMessage:
    """A message between a patient and a practitioner, written by ``sender_id``."""

    id: str
    application_id: str
    sender_id: str
    patient_id: str
    practitioner_id: str
    content: str = dataclasses.field(repr=False)
    metadata: dict[str, Any] = dataclasses.field(repr=False)
    created_at: datetime

    def may_read(self, user_id: str, *, is_admin: bool) -> bool:
        """The sender, both participants and administrators may read it."""
        return is_admin or user_id in (self.sender_id, self.patient_id, self.practitioner_id)

    def to_json(self) -> dict[str, Any]:
        """The contract's ``SecureMessage`` (snake_case) plus ``sender_id``."""
        return {
            "id": self.id,
            "application_id": self.application_id,
            "patient_id": self.patient_id,
            "practitioner_id": self.practitioner_id,
            "sender_id": self.sender_id,
            "content": self.content,
            "metadata": self.metadata,
            "created_at": self.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }


@dataclasses.dataclass(frozen=True)
class StoredMessage:
    """A message row as stored: the routing fields in the clear, the rest sealed."""

    id: str
    application_id: str
    sender_id: str
    patient_id: str
    practitioner_id: str
    key_id: str
    nonce: bytes = dataclasses.field(repr=False)
    ciphertext: bytes = dataclasses.field(repr=False)
    created_at: datetime
