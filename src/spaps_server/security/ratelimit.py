"""Rate-limit rules and the fixed windows they count in.

A rule is ``limit`` attempts per ``window_seconds``. Buckets are named like ``"login:ip"``
or ``"login:acct"``; the rule of a bucket is the one configured for its longest
``":"``-separated prefix (``"login:ip"``, then ``"login"``), or the default rule.

Windows are fixed and aligned to the epoch (a 60 s window starts on every whole minute), so
every server process on one database agrees on which window an attempt falls in without
talking to the others; the counters themselves live in the database
(:mod:`spaps_server.services.rate_limits`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import RateLimitConfigError

__all__ = [
    "RateLimitDecision",
    "RateLimitRule",
    "RateLimitRules",
    "RateLimitWindow",
    "default_auth_rules",
]


@dataclass(frozen=True)
class RateLimitRule:
    """At most ``limit`` attempts per ``window_seconds`` for each subject."""

    limit: int
    window_seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise RateLimitConfigError("A rate-limit rule needs a limit of at least 1.")
        if not self.window_seconds > 0:
            raise RateLimitConfigError("A rate-limit rule needs a positive window.")

    @property
    def window_ms(self) -> int:
        """The window in whole milliseconds (at least 1)."""
        return max(1, round(self.window_seconds * 1000))

    def window_at(self, now_ms: int) -> RateLimitWindow:
        """The window holding the instant ``now_ms`` (unix milliseconds)."""
        size = self.window_ms
        start = now_ms - now_ms % size
        return RateLimitWindow(start_ms=start, end_ms=start + size)


@dataclass(frozen=True)
class RateLimitWindow:
    """A half-open interval ``[start_ms, end_ms)`` of unix milliseconds."""

    start_ms: int
    end_ms: int

    def retry_after_seconds(self, now_ms: int) -> int:
        """Whole seconds (at least 1, rounded up) until the window ends: a ``Retry-After``."""
        return max(1, math.ceil((self.end_ms - now_ms) / 1000))


@dataclass(frozen=True)
class RateLimitDecision:
    """The outcome of one attempt.

    ``retry_after_seconds`` is 0 when allowed; otherwise the whole number of seconds (at
    least 1, rounded up) until the window ends: a ``Retry-After`` value.
    """

    allowed: bool
    retry_after_seconds: int
    limit: int
    remaining: int


class RateLimitRules:
    """Bucket name to rule, by longest configured prefix."""

    def __init__(
        self, rules: Mapping[str, RateLimitRule], *, default_rule: RateLimitRule | None = None
    ) -> None:
        self._rules = dict(rules)
        self._default = default_rule

    def __repr__(self) -> str:
        return f"RateLimitRules(buckets={sorted(self._rules)!r})"

    def rule_for(self, bucket: str) -> RateLimitRule:
        """Return the rule of ``bucket``'s longest configured prefix, or the default rule.

        Raises :class:`RateLimitConfigError` if none applies.
        """
        prefix = bucket
        while True:
            rule = self._rules.get(prefix)
            if rule is not None:
                return rule
            cut = prefix.rfind(":")
            if cut < 0:
                break
            prefix = prefix[:cut]
        if self._default is None:
            raise RateLimitConfigError("No rate-limit rule applies to this bucket.")
        return self._default


def default_auth_rules() -> dict[str, RateLimitRule]:
    """Return the default limits of the auth endpoints, per IP address and per account.

    Bucket names: ``login``, ``register``, ``magic-link``, ``password-reset``,
    ``password-reset-confirm``, ``nonce`` and ``wallet-sign-in``, each with ``:ip`` and,
    where an account is named, ``:acct``.
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
        "password-reset-confirm:ip": RateLimitRule(10, quarter),
        "nonce:ip": RateLimitRule(30, minute),
        "wallet-sign-in:ip": RateLimitRule(30, minute),
        "wallet-sign-in:acct": RateLimitRule(10, quarter),
    }
