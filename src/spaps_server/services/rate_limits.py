"""Rate limits counted in the database, so that a limit of 5 per minute is 5 across every
server process on one database.

An attempt is *reserved* before the work it guards: one atomic upsert raises the window's
counter and returns the new count, and the attempt is allowed only when that count is within
the limit. Concurrent attempts therefore each see a distinct count, and exactly ``limit`` of
them pass per window. Refused attempts are counted too, which is harmless with fixed windows:
the window still ends at the same instant.
"""

from __future__ import annotations

import hashlib

from ..domain.clock import Clock
from ..security.ratelimit import RateLimitDecision, RateLimitRules
from ..storage.database import Database
from ..storage.rate_limits import RateLimitsRepository

# Ended windows are deleted at most this often per process (a cheap indexed DELETE).
PRUNE_INTERVAL_MS = 60_000


def subject_digest(subject: str) -> str:
    """SHA-256 hex of a subject, so the table holds no addresses or e-mails in clear."""
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()


class DatabaseRateLimiter:
    """Counts attempts per (bucket, subject) in fixed windows stored in the database."""

    def __init__(self, db: Database, rules: RateLimitRules, clock: Clock) -> None:
        self._repo = RateLimitsRepository(db)
        self._rules = rules
        self._clock = clock
        self._next_prune_ms = 0

    def __repr__(self) -> str:
        return f"DatabaseRateLimiter({self._rules!r})"

    def _now_ms(self) -> int:
        return int(self._clock.timestamp() * 1000)

    async def hit(self, bucket: str, subject: str) -> RateLimitDecision:
        """Reserve one attempt for ``subject`` in ``bucket`` and say whether it is allowed."""
        rule = self._rules.rule_for(bucket)
        now_ms = self._now_ms()
        window = rule.window_at(now_ms)
        count = await self._repo.increment(
            bucket,
            subject_digest(subject),
            window_start_ms=window.start_ms,
            expires_at_ms=window.end_ms,
        )
        if now_ms >= self._next_prune_ms:
            self._next_prune_ms = now_ms + PRUNE_INTERVAL_MS
            await self._repo.prune(now_ms)
        if count <= rule.limit:
            return RateLimitDecision(True, 0, rule.limit, rule.limit - count)
        return RateLimitDecision(False, window.retry_after_seconds(now_ms), rule.limit, 0)

    async def peek(self, bucket: str, subject: str) -> RateLimitDecision:
        """Say whether one more attempt would be allowed now, counting nothing."""
        rule = self._rules.rule_for(bucket)
        now_ms = self._now_ms()
        window = rule.window_at(now_ms)
        count = await self._repo.count(
            bucket, subject_digest(subject), window_start_ms=window.start_ms
        )
        if count < rule.limit:
            return RateLimitDecision(True, 0, rule.limit, rule.limit - count)
        return RateLimitDecision(False, window.retry_after_seconds(now_ms), rule.limit, 0)

    async def reset(self, bucket: str, subject: str) -> None:
        """Forget the attempts of ``subject`` in ``bucket`` (after a successful sign-in)."""
        await self._repo.forget(bucket, subject_digest(subject))
