"""The server's clock: UTC ``now()`` with an adjustable offset.

Services read time only through a :class:`Clock` so that tests can move time forward
(``ctx.clock.advance(seconds=901)``) to expire magic links, nonces and tokens without
sleeping. In production the offset stays zero.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    """UTC time plus an offset that only tests change."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        # Reading the offset needs no lock: ``advance`` replaces it with one assignment.
        return datetime.now(timezone.utc) + self._offset

    def timestamp(self) -> float:
        """The current time as unix seconds (for the token signer)."""
        return self.now().timestamp()

    def advance(self, *, seconds: float) -> None:
        """Move the clock forward (tests only)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)


def iso(value: datetime) -> str:
    """The server's one timestamp format on the wire: UTC ISO-8601 with a trailing ``Z``
    (microseconds kept when the value has them)."""
    return value.isoformat().replace("+00:00", "Z")


def iso_or_none(value: datetime | None) -> str | None:
    """:func:`iso`, or ``None`` for a missing time."""
    return iso(value) if value is not None else None


def unix_or_none(value: datetime | None) -> int | None:
    """Whole unix seconds (how Stripe-shaped objects carry times), or ``None``."""
    return int(value.timestamp()) if value is not None else None
