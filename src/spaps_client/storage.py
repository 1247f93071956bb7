"""Token storage: where the SDK keeps the access and refresh tokens between calls.

``InMemoryTokenStorage`` is the default. ``FileTokenStorage`` persists tokens for CLIs and
scripts: it writes atomically (temporary file, fsync, rename) to a 0600 file in a 0700
directory, refuses to follow a symlink, and treats a corrupt file as "no tokens".
Both are thread-safe. Implement :class:`TokenStorage` to keep tokens elsewhere (a keyring,
a database row, a Django session).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import _json as safe_json

__all__ = ["FileTokenStorage", "InMemoryTokenStorage", "StoredTokens", "TokenStorage"]


@dataclass
class StoredTokens:
    """The tokens of one signed-in user. ``repr`` masks the token values."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    token_type: str | None = None

    def __repr__(self) -> str:
        refresh = "'***'" if self.refresh_token else "None"
        return (
            f"StoredTokens(access_token='***', refresh_token={refresh}, "
            f"expires_at={self.expires_at!r}, token_type={self.token_type!r})"
        )

    def expires_within(self, seconds: float, *, now: datetime | None = None) -> bool:
        """Whether the access token expires within ``seconds`` (False when expiry is unknown)."""
        if self.expires_at is None:
            return False
        current = now or datetime.now(timezone.utc)
        expires_at = self.expires_at
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=timezone.utc)
        return (expires_at - current).total_seconds() <= seconds


class TokenStorage(ABC):
    """Interface of a token store. Implementations must be safe to call from many threads."""

    @abstractmethod
    def save(self, tokens: StoredTokens) -> None:
        """Replace the stored tokens."""

    @abstractmethod
    def load(self) -> StoredTokens | None:
        """Return the stored tokens, or ``None``."""

    @abstractmethod
    def clear(self) -> None:
        """Forget the stored tokens."""


class InMemoryTokenStorage(TokenStorage):
    """Keeps one :class:`StoredTokens` in memory; ``load`` returns the very object saved."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: StoredTokens | None = None

    def save(self, tokens: StoredTokens) -> None:
        with self._lock:
            self._tokens = tokens

    def load(self) -> StoredTokens | None:
        with self._lock:
            return self._tokens

    def clear(self) -> None:
        with self._lock:
            self._tokens = None

    def __repr__(self) -> str:
        return f"InMemoryTokenStorage(has_tokens={self._tokens is not None})"


DEFAULT_TOKEN_PATH = Path("~/.config/spaps/tokens.json")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class FileTokenStorage(TokenStorage):
    """Persists tokens as JSON in ``path`` (default ``~/.config/spaps/tokens.json``).

    Example:
        >>> storage = FileTokenStorage(path="/tmp/spaps-demo/tokens.json")
        >>> storage.save(StoredTokens(access_token="..."))
    """

    def __init__(self, *, path: Path | str | None = None) -> None:
        self.path = Path(path if path is not None else DEFAULT_TOKEN_PATH).expanduser()
        self._lock = threading.Lock()
        self._ensure_directory()

    def __repr__(self) -> str:
        return f"FileTokenStorage(path={str(self.path)!r})"

    def _ensure_directory(self) -> None:
        directory = self.path.parent
        existed = directory.exists()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not existed:
            # mkdir's mode is filtered by the umask; make the new directory private explicitly.
            with contextlib.suppress(OSError):
                os.chmod(directory, 0o700)

    def save(self, tokens: StoredTokens) -> None:
        payload = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
            "token_type": tokens.token_type,
        }
        data = json.dumps(payload, indent=2).encode("utf-8")
        with self._lock:
            self._ensure_directory()
            if self.path.is_symlink():
                raise OSError(f"refusing to write tokens through a symlink: {self.path}")
            fd, tmp_name = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp_name, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
                raise
            self._fsync_directory()

    def _fsync_directory(self) -> None:
        # Make the rename itself durable; not every platform allows opening a directory.
        try:
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)

    def load(self) -> StoredTokens | None:
        with self._lock:
            try:
                fd = os.open(self.path, os.O_RDONLY | _NOFOLLOW)
            except OSError:
                # Missing, unreadable, or a symlink (ELOOP): no tokens.
                return None
            try:
                with os.fdopen(fd, "rb") as handle:
                    raw = handle.read()
            except OSError:
                return None
        return _decode_tokens(raw)

    def clear(self) -> None:
        with self._lock, contextlib.suppress(OSError):
            self.path.unlink()


def _decode_tokens(raw: bytes) -> StoredTokens | None:
    try:
        payload: Any = safe_json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    access_token = payload.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        return None
    refresh_token = payload.get("refresh_token")
    token_type = payload.get("token_type")
    return StoredTokens(
        access_token=access_token,
        refresh_token=refresh_token if isinstance(refresh_token, str) else None,
        expires_at=_parse_datetime(payload.get("expires_at")),
        token_type=token_type if isinstance(token_type, str) else None,
    )


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
