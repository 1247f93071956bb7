"""AES-256-GCM encryption at rest with a key ring kept outside the database.

A :class:`KeyRing` holds named 256-bit keys and says which one is primary (used for new
ciphertexts). Each ciphertext records the id of the key that sealed it, so keys can be rotated:
a new primary is added, existing ciphertexts are re-sealed with it, and a key is dropped only
when nothing refers to it any more.

The ring lives in a JSON file (mode 0600, written atomically: temporary file, fsync, rename)::

    {"version": 1, "primary": "k_3f9c...", "keys": [{"id": "k_3f9c...", "key": "<base64>",
     "created_at": "2025-01-01T00:00:00Z"}]}

Every seal uses a fresh random 96-bit nonce and binds caller-chosen associated data (for secure
messages: the message id and the application id), so a ciphertext moved to another record
fails to open instead of decrypting as someone else's data.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "NONCE_BYTES",
    "DecryptionError",
    "KeyRing",
    "KeyRingError",
    "KeyRingFile",
    "SealedData",
    "key_id_for",
]

KEY_BYTES = 32
NONCE_BYTES = 12
_FORMAT_VERSION = 1


class KeyRingError(Exception):
    """The key file is missing, unreadable, malformed, or names no usable primary key."""


class DecryptionError(Exception):
    """A ciphertext does not open: it was modified, moved to another record, or its key is
    unknown. The message names the key id at most, never key material."""


@dataclasses.dataclass(frozen=True)
class SealedData:
    """A ciphertext and what is needed to open it (besides the key and associated data)."""

    key_id: str
    nonce: bytes
    ciphertext: bytes


def key_id_for(key: bytes) -> str:
    """A stable, non-secret id of ``key``: ``k_`` + 16 hex digits of a domain-separated hash
    (the hash reveals nothing usable about the key)."""
    return "k_" + hashlib.sha256(b"spaps-key-id:" + key).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class _Key:
    id: str
    material: bytes = dataclasses.field(repr=False)
    created_at: str


class KeyRing:
    """Named AES-256-GCM keys and the primary one. Immutable: rotation returns a new ring.
    ``repr()`` shows key ids only."""

    def __init__(self, keys: Mapping[str, bytes], primary: str, created: Mapping[str, str]):
        if primary not in keys:
            raise KeyRingError("the primary key is not in the key ring")
        for key_id, material in keys.items():
            if len(material) != KEY_BYTES:
                raise KeyRingError(f"key {key_id} is not {KEY_BYTES} bytes")
        self._keys = {
            key_id: _Key(key_id, material, created.get(key_id, ""))
            for key_id, material in keys.items()
        }
        self._primary = primary
        self._ciphers = {key_id: AESGCM(material) for key_id, material in keys.items()}

    @classmethod
    def generate(cls, initial_key: bytes | None = None) -> KeyRing:
        """A ring of one key: ``initial_key`` when given, else 32 random bytes."""
        material = initial_key if initial_key is not None else secrets.token_bytes(KEY_BYTES)
        key_id = key_id_for(material)
        return cls({key_id: material}, key_id, {key_id: _now()})

    @property
    def primary_id(self) -> str:
        """The id of the key new ciphertexts are sealed with."""
        return self._primary

    @property
    def key_ids(self) -> list[str]:
        """Every key id in the ring, oldest first."""
        return sorted(self._keys, key=lambda k: (self._keys[k].created_at, k))

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __repr__(self) -> str:
        return f"KeyRing(primary={self._primary!r}, keys={self.key_ids!r})"

    def seal(self, plaintext: bytes, associated_data: bytes) -> SealedData:
        """Encrypt with the primary key and a fresh random nonce."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = self._ciphers[self._primary].encrypt(nonce, plaintext, associated_data)
        return SealedData(self._primary, nonce, ciphertext)

    def open(self, sealed: SealedData, associated_data: bytes) -> bytes:
        """Decrypt and authenticate; ``DecryptionError`` if anything does not match."""
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise DecryptionError(f"unknown encryption key {sealed.key_id}")
        if len(sealed.nonce) != NONCE_BYTES:
            raise DecryptionError("malformed nonce")
        try:
            return cipher.decrypt(sealed.nonce, sealed.ciphertext, associated_data)
        except InvalidTag:
            raise DecryptionError(
                "the ciphertext failed authentication (modified, or moved from another record)"
            ) from None

    def with_new_primary(self) -> KeyRing:
        """This ring plus a new random key, which becomes primary."""
        material = secrets.token_bytes(KEY_BYTES)
        key_id = key_id_for(material)
        keys = {k: v.material for k, v in self._keys.items()}
        created = {k: v.created_at for k, v in self._keys.items()}
        keys[key_id] = material
        created[key_id] = _now()
        return KeyRing(keys, key_id, created)

    def without(self, key_ids: set[str]) -> KeyRing:
        """This ring minus ``key_ids`` (never the primary)."""
        if self._primary in key_ids:
            raise KeyRingError("the primary key cannot be removed")
        keys = {k: v.material for k, v in self._keys.items() if k not in key_ids}
        created = {k: v.created_at for k, v in self._keys.items() if k not in key_ids}
        return KeyRing(keys, self._primary, created)

    def to_json(self) -> dict[str, Any]:
        """The file format (contains key material: write it only to a 0600 file)."""
        return {
            "version": _FORMAT_VERSION,
            "primary": self._primary,
            "keys": [
                {
                    "id": k,
                    "key": base64.b64encode(self._keys[k].material).decode("ascii"),
                    "created_at": self._keys[k].created_at,
                }
                for k in self.key_ids
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> KeyRing:
        """Parse the file format; ``KeyRingError`` on any malformation."""
        if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION:
            raise KeyRingError("unsupported key file format")
        primary = data.get("primary")
        items = data.get("keys")
        if not isinstance(primary, str) or not isinstance(items, list) or not items:
            raise KeyRingError("the key file needs a primary key id and a list of keys")
        keys: dict[str, bytes] = {}
        created: dict[str, str] = {}
        for item in items:
            if not isinstance(item, dict):
                raise KeyRingError("every key must be an object")
            key_id, encoded = item.get("id"), item.get("key")
            if not isinstance(key_id, str) or not isinstance(encoded, str):
                raise KeyRingError("every key needs an id and base64 key material")
            try:
                material = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise KeyRingError(f"key {key_id} is not valid base64") from None
            keys[key_id] = material
            created[key_id] = str(item.get("created_at") or "")
        return cls(keys, primary, created)


class KeyRingFile:
    """A key ring stored in a file, re-read when the file changes on disk (so that a
    ``spaps keys rotate`` run by another process is picked up without a restart)."""

    def __init__(self, path: Path, *, initial_key: bytes | None = None, create: bool = True):
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        if not path.exists():
            if not create:
                raise KeyRingError(f"key file not found: {path}")
            with contextlib.suppress(FileExistsError):
                _write_new(path, KeyRing.generate(initial_key))
        self._ring = self._load()

    def _file_stamp(self) -> tuple[int, int, int]:
        st = os.stat(self.path)
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _load(self) -> KeyRing:
        if self.path.is_symlink():
            raise KeyRingError(f"refusing to follow a symlink for the key file: {self.path}")
        try:
            stamp = self._file_stamp()
            if os.stat(self.path).st_mode & 0o077:
                os.chmod(self.path, 0o600)
            raw = self.path.read_bytes()
        except OSError as exc:
            raise KeyRingError(f"cannot read key file {self.path}: {exc.strerror}") from exc
        try:
            ring = KeyRing.from_json(json.loads(raw))
        except json.JSONDecodeError:
            raise KeyRingError(f"key file {self.path} is not JSON") from None
        self._stamp = stamp
        return ring

    @property
    def ring(self) -> KeyRing:
        """The current ring, reloaded first if the file has changed."""
        with self._lock:
            try:
                changed = self._file_stamp() != self._stamp
            except OSError:
                changed = False  # keep the keys in memory if the file vanished
            if changed:
                self._ring = self._load()
            return self._ring

    def save(self, ring: KeyRing) -> None:
        """Replace the file atomically with ``ring``."""
        with self._lock:
            tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
            _write_new(tmp, ring)
            os.replace(tmp, self.path)
            self._ring = ring
            self._stamp = self._file_stamp()


def _write_new(path: Path, ring: KeyRing) -> None:
    """Create ``path`` (mode 0600, O_EXCL: never overwrite) holding ``ring``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        os.write(fd, (json.dumps(ring.to_json(), indent=2) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
