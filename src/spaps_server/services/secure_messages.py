"""Secure messages between patients and practitioners, encrypted at rest.

The content and metadata of a message are sealed together with AES-256-GCM under the primary
key of the ring (``security.aead``; keys live in a file, never in the database), with a fresh
random nonce and the message id and application id as associated data: a ciphertext copied to
another row or application does not open. Only the participants (``patient_id``,
``practitioner_id``, which are user ids), the sender and administrators may read a message;
a message that fails to open is reported (``SECURE_MESSAGE_DECRYPTION_FAILED``), never
returned as garbage.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from ..domain.clock import Clock
from ..domain.error_codes import ErrorCode
from ..domain.errors import ForbiddenError, InternalError, InvalidError, NotFoundError
from ..domain.ids import new_id
from ..domain.secure_messages import SecureMessage, StoredMessage
from ..security.aead import DecryptionError, KeyRingFile, SealedData
from ..storage.database import Database
from ..storage.secure_messages import SecureMessageRepository
from .metrics import MetricsRegistry

MAX_CONTENT_CHARS = 65_536
MAX_METADATA_BYTES = 16_384
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
_PARTICIPANT = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")
_AAD_LABEL = b"spaps.secure_message.v1"
_RESEAL_BATCH = 200


def associated_data(message_id: str, application_id: str) -> bytes:
    """What a message's ciphertext is bound to: its id and its application (length-prefixed
    so that no two pairs encode alike)."""
    parts = [_AAD_LABEL, message_id.encode(), application_id.encode()]
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


@dataclasses.dataclass(frozen=True)
class RotationReport:
    """What ``rotate_keys`` did."""

    new_key_id: str
    resealed: int
    removed_key_ids: list[str]
    key_ids: list[str]


def _participant(value: object, field: str) -> str:
    if not isinstance(value, str) or not _PARTICIPANT.fullmatch(value) or not value.strip():
        raise InvalidError(
            f"{field} must be a user id of 1-128 printable characters",
            code=ErrorCode.INVALID_SECURE_MESSAGE,
        )
    return value


class SecureMessageService:
    """Create, list and read messages; rotate the encryption keys."""

    def __init__(
        self, db: Database, keys: KeyRingFile, clock: Clock, metrics: MetricsRegistry
    ) -> None:
        self._db = db
        self._keys = keys
        self._clock = clock
        self._repo = SecureMessageRepository(db)
        self._created = metrics.counter(
            "spaps_secure_messages_created_total", "Secure messages stored (encrypted)"
        )
        self._reads = metrics.counter(
            "spaps_secure_messages_reads_total",
            "Secure-message reads by outcome (ok, forbidden, decryption_failed)",
            ("outcome",),
        )

    @property
    def key_file(self) -> KeyRingFile:
        """The key ring file this service seals with."""
        return self._keys

    async def create(
        self,
        application_id: str,
        sender_id: str,
        *,
        patient_id: object,
        practitioner_id: object,
        content: object,
        metadata: Mapping[str, Any] | None = None,
    ) -> SecureMessage:
        """Seal and store a message written by ``sender_id``."""
        patient = _participant(patient_id, "patientId")
        practitioner = _participant(practitioner_id, "practitionerId")
        if not isinstance(content, str) or not content:
            raise InvalidError(
                "content must be a non-empty string", code=ErrorCode.INVALID_SECURE_MESSAGE
            )
        if len(content) > MAX_CONTENT_CHARS:
            raise InvalidError(
                f"content is limited to {MAX_CONTENT_CHARS} characters",
                code=ErrorCode.INVALID_SECURE_MESSAGE,
            )
        if metadata is not None and not isinstance(metadata, Mapping):
            raise InvalidError("metadata must be an object", code=ErrorCode.INVALID_SECURE_MESSAGE)
        meta = dict(metadata or {})
        plaintext = json.dumps(
            {"content": content, "metadata": meta}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        if len(plaintext) - len(content.encode()) > MAX_METADATA_BYTES:
            raise InvalidError(
                f"metadata is limited to {MAX_METADATA_BYTES} bytes of JSON",
                code=ErrorCode.INVALID_SECURE_MESSAGE,
            )
        message_id = new_id("msg")
        sealed = self._keys.ring.seal(plaintext, associated_data(message_id, application_id))
        now = self._clock.now()
        await self._repo.insert(
            StoredMessage(
                id=message_id,
                application_id=application_id,
                sender_id=sender_id,
                patient_id=patient,
                practitioner_id=practitioner,
                key_id=sealed.key_id,
                nonce=sealed.nonce,
                ciphertext=sealed.ciphertext,
                created_at=now,
            )
        )
        self._created.inc()
        return SecureMessage(
            id=message_id,
            application_id=application_id,
            sender_id=sender_id,
            patient_id=patient,
            practitioner_id=practitioner,
            content=content,
            metadata=meta,
            created_at=now,
        )

    def _open(self, stored: StoredMessage) -> SecureMessage:
        try:
            plaintext = self._keys.ring.open(
                SealedData(stored.key_id, stored.nonce, stored.ciphertext),
                associated_data(stored.id, stored.application_id),
            )
            payload = json.loads(plaintext)
            content, metadata = payload["content"], payload["metadata"]
            if not isinstance(content, str) or not isinstance(metadata, dict):
                raise DecryptionError("unexpected payload")
        except (DecryptionError, ValueError, KeyError, TypeError) as exc:
            self._reads.inc(outcome="decryption_failed")
            reason = exc if isinstance(exc, DecryptionError) else "malformed payload"
            raise InternalError(
                f"Secure message {stored.id} cannot be decrypted: {reason}",
                code=ErrorCode.SECURE_MESSAGE_DECRYPTION_FAILED,
                details={"message_id": stored.id, "key_id": stored.key_id},
            ) from None
        return SecureMessage(
            id=stored.id,
            application_id=stored.application_id,
            sender_id=stored.sender_id,
            patient_id=stored.patient_id,
            practitioner_id=stored.practitioner_id,
            content=content,
            metadata=metadata,
            created_at=stored.created_at,
        )

    async def list(
        self,
        application_id: str,
        user_id: str,
        *,
        is_admin: bool,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> list[SecureMessage]:
        """The messages the caller may read, newest first (administrators: all of the
        application's)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        rows = await self._repo.list_visible(
            application_id, None if is_admin else user_id, limit=limit
        )
        messages = [self._open(row) for row in rows]
        self._reads.inc(len(messages), outcome="ok")
        return messages

    async def get(
        self, application_id: str, message_id: str, user_id: str, *, is_admin: bool
    ) -> SecureMessage:
        """One message: 404 if the application has none of that id, 403 if the caller may
        not read it (checked before anything is decrypted)."""
        stored = await self._repo.get(application_id, message_id)
        if stored is None:
            raise NotFoundError("Secure message not found", code=ErrorCode.SECURE_MESSAGE_NOT_FOUND)
        if not is_admin and user_id not in (
            stored.sender_id,
            stored.patient_id,
            stored.practitioner_id,
        ):
            self._reads.inc(outcome="forbidden")
            raise ForbiddenError(
                "Only the sender, the patient, the practitioner and administrators may read "
                "this message",
                code=ErrorCode.SECURE_MESSAGE_FORBIDDEN,
            )
        message = self._open(stored)
        self._reads.inc(outcome="ok")
        return message

    async def count(self) -> int:
        """How many messages are stored (every application)."""
        return await self._repo.count()

    async def rotate_keys(self) -> RotationReport:
        """Add a new primary key, re-seal every message with it, then drop the keys no
        message uses any more (the primary and the key it replaced always stay: a server
        process that has not re-read the key file yet may still seal with the latter).

        Each message is re-sealed with a compare-and-set, so a message written or rotated
        concurrently is never lost; a message that cannot be opened is left as it is (its
        key is then still in use and kept) and reported by reads as before.
        """
        old = self._keys.ring
        ring = old.with_new_primary()
        self._keys.save(ring)
        resealed = 0
        skipped: set[str] = set()
        while True:
            batch = [
                m
                for m in await self._repo.not_sealed_with(
                    ring.primary_id, limit=_RESEAL_BATCH + len(skipped)
                )
                if m.id not in skipped
            ]
            if not batch:
                break
            for stored in batch:
                aad = associated_data(stored.id, stored.application_id)
                try:
                    plaintext = ring.open(
                        SealedData(stored.key_id, stored.nonce, stored.ciphertext), aad
                    )
                except DecryptionError:
                    skipped.add(stored.id)
                    continue
                sealed = ring.seal(plaintext, aad)
                if await self._repo.reseal(
                    stored, key_id=sealed.key_id, nonce=sealed.nonce, ciphertext=sealed.ciphertext
                ):
                    resealed += 1
        usage = await self._repo.key_usage()
        keep = {ring.primary_id, old.primary_id} | {k for k, n in usage.items() if n}
        removable = {k for k in ring.key_ids if k not in keep}
        if removable:
            ring = ring.without(removable)
            self._keys.save(ring)
        return RotationReport(ring.primary_id, resealed, sorted(removable), ring.key_ids)
