"""The sliding-window rate limiter, driven by an injected clock."""

from __future__ import annotations

import asyncio
import threading

import pytest

from spaps_server.security.errors import RateLimitConfigError, RateLimitExceededError
from spaps_server.security.ratelimit import (
    RateLimitDecision,
    RateLimiter,
    RateLimitRule,
    default_auth_rules,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> RateLimiter:
    return RateLimiter(
        {"login:ip": RateLimitRule(3, 60), "login:acct": RateLimitRule(2, 900)},
        clock=clock,
    )


def test_allows_up_to_the_limit_then_denies(limiter: RateLimiter) -> None:
    decisions = [limiter.hit("login:ip:1.2.3.4") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[0] == RateLimitDecision(True, 0, 3, 2)
    assert decisions[3].retry_after_seconds == 60


def test_keys_are_independent(limiter: RateLimiter) -> None:
    for _ in range(3):
        limiter.hit("login:ip:1.2.3.4")
    assert not limiter.hit("login:ip:1.2.3.4").allowed
    assert limiter.hit("login:ip:5.6.7.8").allowed
    assert limiter.hit("login:acct:user@example.com").allowed


def test_window_slides(limiter: RateLimiter, clock: FakeClock) -> None:
    key = "login:ip:1.2.3.4"
    limiter.hit(key)  # t=1000
    clock.now = 1020
    limiter.hit(key)
    clock.now = 1040
    limiter.hit(key)
    clock.now = 1050
    denied = limiter.hit(key)
    assert not denied.allowed
    assert denied.retry_after_seconds == 10  # the t=1000 hit leaves at t=1060
    clock.now = 1060
    assert limiter.hit(key).allowed  # exactly one slot freed
    assert not limiter.hit(key).allowed
    clock.now = 1080
    assert limiter.hit(key).allowed


def test_denied_hits_do_not_extend_the_lockout(limiter: RateLimiter, clock: FakeClock) -> None:
    key = "login:acct:user@example.com"
    limiter.hit(key)
    limiter.hit(key)
    for step in range(1, 10):
        clock.now = 1000 + step * 60
        assert not limiter.hit(key).allowed
    clock.now = 1900
    assert limiter.hit(key).allowed


def test_retry_after_rounds_up_and_is_at_least_one(clock: FakeClock) -> None:
    limiter = RateLimiter({"x": RateLimitRule(1, 1.5)}, clock=clock)
    limiter.hit("x:k")
    clock.now += 0.2
    assert limiter.hit("x:k").retry_after_seconds == 2
    clock.now += 1.29
    assert limiter.hit("x:k").retry_after_seconds == 1


def test_rule_lookup_uses_the_longest_prefix(clock: FakeClock) -> None:
    limiter = RateLimiter(
        {"login": RateLimitRule(5, 60), "login:ip": RateLimitRule(1, 60)},
        default_rule=RateLimitRule(7, 60),
        clock=clock,
    )
    assert limiter.rule_for("login:ip:::1") == RateLimitRule(1, 60)  # IPv6 colons
    assert limiter.rule_for("login:acct:a@b.c") == RateLimitRule(5, 60)
    assert limiter.rule_for("register:ip:1.2.3.4") == RateLimitRule(7, 60)


def test_unknown_bucket_without_default_is_a_config_error(limiter: RateLimiter) -> None:
    with pytest.raises(RateLimitConfigError) as info:
        limiter.hit("register:ip:1.2.3.4")
    assert info.value.code is None  # the server's own failure: no wire code


@pytest.mark.parametrize(("limit", "window"), [(0, 60), (1, 0), (1, -5)])
def test_invalid_rules(limit: int, window: float) -> None:
    with pytest.raises(RateLimitConfigError):
        RateLimitRule(limit, window)


def test_peek_does_not_count(limiter: RateLimiter) -> None:
    key = "login:acct:someone"
    assert limiter.peek(key) == RateLimitDecision(True, 0, 2, 2)
    limiter.hit(key)
    limiter.hit(key)
    assert not limiter.peek(key).allowed
    assert limiter.peek(key).retry_after_seconds == 900


def test_enforce_raises_with_retry_after(limiter: RateLimiter) -> None:
    key = "login:acct:someone"
    limiter.enforce(key)
    limiter.enforce(key)
    with pytest.raises(RateLimitExceededError) as info:
        limiter.enforce(key)
    assert info.value.code == "RATE_LIMITED"
    assert info.value.retry_after_seconds == 900
    assert "someone" not in str(info.value)


def test_reset_and_clear(limiter: RateLimiter) -> None:
    key = "login:acct:someone"
    limiter.hit(key)
    limiter.hit(key)
    limiter.reset(key)
    assert limiter.hit(key).allowed
    limiter.clear()
    assert limiter.tracked_keys() == 0


def test_idle_keys_are_swept(clock: FakeClock) -> None:
    limiter = RateLimiter({"ip": RateLimitRule(5, 10)}, clock=clock, sweep_threshold=50)
    for i in range(50):
        limiter.hit(f"ip:{i}")
    assert limiter.tracked_keys() == 50
    clock.now += 11
    limiter.hit("ip:fresh")  # the 51st key triggers a sweep of the 50 idle ones
    assert limiter.tracked_keys() == 1
    # Keys still inside their window survive a sweep.
    for i in range(60):
        limiter.hit(f"ip:live{i}")
    assert limiter.tracked_keys() == 61


def test_default_auth_rules_cover_the_auth_endpoints() -> None:
    rules = default_auth_rules()
    limiter = RateLimiter(rules)
    for bucket in ("login", "register", "magic-link", "password-reset", "nonce"):
        assert limiter.rule_for(f"{bucket}:ip:203.0.113.7") == rules[f"{bucket}:ip"]
    for bucket in ("login", "magic-link", "password-reset"):
        assert limiter.rule_for(f"{bucket}:acct:user@example.com") == rules[f"{bucket}:acct"]
    assert rules is not default_auth_rules()


def test_threads_never_exceed_the_limit() -> None:
    limiter = RateLimiter({"k": RateLimitRule(100, 3600)})
    allowed: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results = [limiter.hit("k:shared").allowed for _ in range(50)]
        with lock:
            allowed.extend(results)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 400
    assert sum(allowed) == 100


async def test_asyncio_tasks_share_one_limiter() -> None:
    limiter = RateLimiter({"k": RateLimitRule(10, 3600)})

    async def attempt() -> bool:
        await asyncio.sleep(0)
        return limiter.hit("k:shared").allowed

    results = await asyncio.gather(*(attempt() for _ in range(30)))
    assert sum(results) == 10


def test_repr_lists_buckets_only(limiter: RateLimiter) -> None:
    limiter.hit("login:acct:secret-user@example.com")
    assert "secret-user" not in repr(limiter)
