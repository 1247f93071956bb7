"""An in-memory sliding-window rate limiter keyed by strings.

Keys look like ``"login:ip:203.0.113.7"`` or ``"login:acct:user@example.com"``. The rule for
a key is the one configured for its longest ``":"``-separated prefix (``"login:ip"``, then
``"login"``), or the default rule. Each key keeps the times of its accepted hits within the
window (at most ``limit`` of them), so a denied hit never extends a lock-out, and the
window slides exactly instead of resetting at fixed boundaries.

All state sits behind one lock held only for a few dictionary operations and never across
an ``await``, so one limiter can be shared by threads and by asyncio tasks alike.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import RateLimitConfigError, RateLimitExceededError

__all__ = [
    "RateLimitDecision",
    "RateLimitRule",
    "RateLimiter",
    "default_auth_rules",
]


@dataclass(frozen=True)
class RateLimitRule:
    """At most ``limit`` hits per ``window_seconds`` for each key."""

    limit: int
    window_seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise RateLimitConfigError("A rate-limit rule needs a limit of at least 1.")
        if not self.window_seconds > 0:
            raise RateLimitConfigError("A rate-limit rule needs a positive window.")


@dataclass(frozen=True)
class RateLimitDecision:
    """The outcome of one hit.

    ``retry_after_seconds`` is 0 when allowed; otherwise the whole number of seconds (at
    least 1, rounded up) after which one more hit would be allowed: a ``Retry-After`` value.
    """

    allowed: bool
    retry_after_seconds: int
    limit: int
    remaining: int


def default_auth_rules() -> dict[str, RateLimitRule]:
    """Return the default limits of the auth endpoints, per IP address and per account.

    Bucket names: ``login``, ``register``, ``magic-link``, ``password-reset``, ``nonce`` and
    ``wallet-sign-in``, each with ``:ip`` and, where an account is named, ``:acct``.
    """
    minute, quarter, hour = 60.0, 900.0, 3600.0
    return {
        "login:ip": RateLimitRule(30, minute),
        "login:acct": RateLimitRule(10, quarter),
        "register:ip": RateLimitRule(20, hour),
        "magic-link:ip": RateLimitRule(10, quarter),
        "magic-link:acct": RateLimitRule(5, quarter),
        "password-reset:ip": RateLimitRule(10, quarter),
        "password-reset:acct": RateLimitRule(5, quarter),
        "nonce:ip": RateLimitRule(30, minute),
        "wallet-sign-in:ip": RateLimitRule(30, minute),
        "wallet-sign-in:acct": RateLimitRule(10, quarter),
    }


class RateLimiter:
    """Sliding-window limiter; see the module documentation for how rules are chosen."""

    def __init__(
        self,
        rules: Mapping[str, RateLimitRule],
        *,
        default_rule: RateLimitRule | None = None,
        clock: Callable[[], float] = time.monotonic,
        sweep_threshold: int = 10_000,
    ) -> None:
        """``clock`` returns seconds and must never go backwards (``time.monotonic``).

        Once more than ``sweep_threshold`` keys are tracked, keys idle for longer than their
        window are dropped, which bounds memory by the traffic of one window.
        """
        self._rules = dict(rules)
        self._default = default_rule
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, tuple[RateLimitRule, deque[float]]] = {}
        self._min_sweep = max(1, sweep_threshold)
        self._next_sweep = self._min_sweep

    def __repr__(self) -> str:
        return f"RateLimiter(buckets={sorted(self._rules)!r})"

    def rule_for(self, key: str) -> RateLimitRule:
        """Return the rule of ``key``'s longest configured prefix, or the default rule.

        Raises :class:`RateLimitConfigError` if none applies.
        """
        prefix = key
        while True:
            rule = self._rules.get(prefix)
            if rule is not None:
                return rule
            cut = prefix.rfind(":")
            if cut < 0:
                break
            prefix = prefix[:cut]
        if self._default is None:
            raise RateLimitConfigError("No rate-limit rule applies to this key.")
        return self._default

    def hit(self, key: str) -> RateLimitDecision:
        """Count one attempt for ``key`` if the rule allows it, and say whether it did."""
        rule = self.rule_for(key)
        with self._lock:
            now = self._clock()
            entry = self._hits.get(key)
            if entry is None:
                entry = (rule, deque())
                self._hits[key] = entry
            stamps = entry[1]
            self._expire(stamps, now, rule)
            if len(stamps) < rule.limit:
                stamps.append(now)
                decision = RateLimitDecision(True, 0, rule.limit, rule.limit - len(stamps))
            else:
                wait = stamps[0] + rule.window_seconds - now
                decision = RateLimitDecision(False, max(1, math.ceil(wait)), rule.limit, 0)
            if len(self._hits) > self._next_sweep:
                self._sweep(now)
            return decision

    def peek(self, key: str) -> RateLimitDecision:
        """Say what :meth:`hit` would decide now, without counting anything."""
        rule = self.rule_for(key)
        with self._lock:
            now = self._clock()
            entry = self._hits.get(key)
            stamps: deque[float] = deque(entry[1]) if entry is not None else deque()
            self._expire(stamps, now, rule)
            if len(stamps) < rule.limit:
                return RateLimitDecision(True, 0, rule.limit, rule.limit - len(stamps))
            wait = stamps[0] + rule.window_seconds - now
            return RateLimitDecision(False, max(1, math.ceil(wait)), rule.limit, 0)

    def enforce(self, key: str) -> RateLimitDecision:
        """Like :meth:`hit`, but raise :class:`RateLimitExceededError` when denied."""
        decision = self.hit(key)
        if not decision.allowed:
            raise RateLimitExceededError(retry_after_seconds=decision.retry_after_seconds)
        return decision

    def reset(self, key: str) -> None:
        """Forget every hit of ``key`` (for instance, account failures after a good login)."""
        with self._lock:
            self._hits.pop(key, None)

    def clear(self) -> None:
        """Forget every hit of every key."""
        with self._lock:
            self._hits.clear()
            self._next_sweep = self._min_sweep

    def tracked_keys(self) -> int:
        """Return how many keys currently hold state (for monitoring and tests)."""
        with self._lock:
            return len(self._hits)

    @staticmethod
    def _expire(stamps: deque[float], now: float, rule: RateLimitRule) -> None:
        horizon = now - rule.window_seconds
        while stamps and stamps[0] <= horizon:
            stamps.popleft()

    def _sweep(self, now: float) -> None:
        idle = [
            key
            for key, (rule, stamps) in self._hits.items()
            if not stamps or stamps[-1] <= now - rule.window_seconds
        ]
        for key in idle:
            del self._hits[key]
        # Sweeping again only after the table doubles keeps the cost amortised O(1) per hit.
        self._next_sweep = max(self._min_sweep, 2 * len(self._hits))
