"""What the sign-in services share: the caller as plain values, the auth settings, the rate
limits with their metric, the sign-in counters, and the one rule that names a wallet."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.error_codes import ErrorCode
from ..domain.errors import InvalidError, RateLimitedError
from ..security.errors import InvalidWalletAddressError, UnsupportedChainError
from ..security.ratelimit import RateLimitDecision, RateLimitRule, RateLimitRules
from ..security.wallets import canonical_chain, normalize_address, resolve_chain
from .metrics import MetricsRegistry
from .rate_limits import DatabaseRateLimiter

DEFAULT_TIER = "basic"
DEFAULT_ROLE = "user"
TOKEN_TYPE = "Bearer"


def dev_auth_rules() -> dict[str, RateLimitRule]:
    """The server's default limits: generous for development (tests and scripts sign in a
    lot from one address) yet real. Per-account login counts *failed* attempts only."""
    minute, quarter, hour = 60.0, 900.0, 3600.0
    return {
        "login:ip": RateLimitRule(300, minute),
        "login:acct": RateLimitRule(20, quarter),
        "register:ip": RateLimitRule(200, hour),
        "register:acct": RateLimitRule(10, hour),
        "magic-link:ip": RateLimitRule(60, quarter),
        "magic-link:acct": RateLimitRule(10, quarter),
        "password-reset:ip": RateLimitRule(60, quarter),
        "password-reset:acct": RateLimitRule(10, quarter),
        "password-reset-confirm:ip": RateLimitRule(60, quarter),
        "nonce:ip": RateLimitRule(300, minute),
        "wallet-sign-in:ip": RateLimitRule(300, minute),
        "wallet-sign-in:acct": RateLimitRule(20, quarter),
    }


def build_rate_limit_rules(overrides: tuple[tuple[str, int, float], ...] = ()) -> RateLimitRules:
    """:func:`dev_auth_rules` with the configured overrides."""
    rules = dev_auth_rules()
    for bucket, limit, window in overrides:
        rules[bucket] = RateLimitRule(limit, window)
    return RateLimitRules(rules)


@dataclass(frozen=True)
class ClientInfo:
    """Who is calling, as plain values (for session rows and per-IP limits)."""

    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class AuthSettings:
    """Behaviour switches of the auth flows."""

    base_url: str
    require_email_confirmation: bool = False


class AuthMetrics:
    """The sign-in counters, registered once and shared by every sign-in service."""

    def __init__(self, metrics: MetricsRegistry) -> None:
        self.sign_ins = metrics.counter(
            "spaps_auth_sign_ins_total",
            "Sign-in attempts by method and outcome",
            ("method", "outcome"),
        )
        self.refreshes = metrics.counter(
            "spaps_auth_refreshes_total", "Refresh-token exchanges by outcome", ("outcome",)
        )
        self.reuse = metrics.counter(
            "spaps_auth_refresh_reuse_total",
            "Spent refresh tokens presented again (the session was revoked)",
        )
        self.rate_limited = metrics.counter(
            "spaps_auth_rate_limited_total", "Requests refused by a rate limit", ("bucket",)
        )
        self.registrations = metrics.counter(
            "spaps_auth_registrations_total", "Accounts created by method", ("method",)
        )


class AuthLimits:
    """The rate limits of the sign-in flows: buckets are ``<flow>:ip`` and ``<flow>:acct``,
    counted in the database (:class:`DatabaseRateLimiter`). A refusal is 429
    ``RATE_LIMITED`` with ``retry_after_seconds`` and is counted."""

    def __init__(self, limiter: DatabaseRateLimiter, metrics: AuthMetrics) -> None:
        self._limiter = limiter
        self._refused = metrics.rate_limited

    def _refuse(self, bucket: str, decision: RateLimitDecision) -> RateLimitedError:
        self._refused.inc(bucket=bucket)
        return RateLimitedError(
            "Too many attempts. Please try again later.",
            code=ErrorCode.RATE_LIMITED,
            retry_after_seconds=decision.retry_after_seconds,
        )

    async def enforce(self, bucket: str, subject: str) -> None:
        """Reserve one attempt against ``bucket`` for ``subject`` before the work it guards;
        refuse it over the limit."""
        decision = await self._limiter.hit(bucket, subject)
        if not decision.allowed:
            raise self._refuse(bucket, decision)

    async def enforce_ip(self, flow: str, client: ClientInfo) -> None:
        """:meth:`enforce` on ``<flow>:ip`` for the caller's address."""
        await self.enforce(f"{flow}:ip", client.ip_address or "unknown")

    async def reset(self, bucket: str, subject: str) -> None:
        """Forget the attempts of ``subject`` (after a success)."""
        await self._limiter.reset(bucket, subject)


def wallet_identity(wallet_address: str, chain: str | None) -> tuple[str, str]:
    """``(canonical chain, normalised address)`` of a wallet; the chain is guessed from the
    address when not given. 400 ``UNSUPPORTED_CHAIN`` or ``INVALID_WALLET_ADDRESS``."""
    try:
        canonical = canonical_chain(chain) if chain else resolve_chain(None, wallet_address)
        return canonical, normalize_address(canonical, wallet_address.strip())
    except (UnsupportedChainError, InvalidWalletAddressError) as exc:
        raise InvalidError(exc.message, code=exc.code) from None
