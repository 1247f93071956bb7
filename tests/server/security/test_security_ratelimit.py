"""Rate-limit rules, their fixed windows, and the database limiter (on SQLite and
PostgreSQL, driven by the server's clock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from spaps_server.context import open_database
from spaps_server.domain.clock import Clock
from spaps_server.security.errors import RateLimitConfigError
from spaps_server.security.ratelimit import (
    RateLimitRule,
    RateLimitRules,
    RateLimitWindow,
    default_auth_rules,
)
from spaps_server.services.rate_limits import DatabaseRateLimiter
from spaps_server.storage.database import Database
from spaps_server.storage.tables import rate_limit_buckets

from ..conftest import DbTarget


def test_rules_by_longest_prefix() -> None:
    rules = RateLimitRules(
        {"login": RateLimitRule(9, 60), "login:ip": RateLimitRule(3, 60)},
        default_rule=RateLimitRule(1, 1),
    )
    assert rules.rule_for("login:ip") == RateLimitRule(3, 60)
    assert rules.rule_for("login:acct") == RateLimitRule(9, 60)
    assert rules.rule_for("other:ip") == RateLimitRule(1, 1)
    with pytest.raises(RateLimitConfigError):
        RateLimitRules({}).rule_for("login:ip")


def test_invalid_rules_are_refused() -> None:
    with pytest.raises(RateLimitConfigError):
        RateLimitRule(0, 60)
    with pytest.raises(RateLimitConfigError):
        RateLimitRule(1, 0)


def test_windows_are_aligned_and_retry_after_rounds_up() -> None:
    rule = RateLimitRule(5, 60)
    assert rule.window_at(125_000) == RateLimitWindow(120_000, 180_000)
    assert rule.window_at(180_000) == RateLimitWindow(180_000, 240_000)
    assert rule.window_at(125_000).retry_after_seconds(125_000) == 55
    assert rule.window_at(179_999).retry_after_seconds(179_999) == 1
    assert RateLimitRule(1, 1.5).window_ms == 1500


def test_default_auth_rules_cover_the_auth_endpoints() -> None:
    rules = default_auth_rules()
    lookup = RateLimitRules(rules)
    for bucket in ("login", "register", "magic-link", "password-reset", "nonce"):
        assert lookup.rule_for(f"{bucket}:ip") == rules[f"{bucket}:ip"]
    for bucket in ("login", "magic-link", "password-reset"):
        assert lookup.rule_for(f"{bucket}:acct") == rules[f"{bucket}:acct"]
    assert "password-reset-confirm:ip" in rules
    assert rules is not default_auth_rules()


@pytest.fixture
async def database(db_target: DbTarget) -> AsyncIterator[Database]:
    db, _ = await open_database(db_target.config())
    try:
        yield db
    finally:
        await db.dispose()


def _limiter(db: Database, clock: Clock, limit: int = 3) -> DatabaseRateLimiter:
    # Windows are aligned to the epoch: start each test just after a window opens, so that its
    # hits (well under a minute) all fall in one window.
    clock.advance(seconds=60 - clock.timestamp() % 60 + 0.5)
    return DatabaseRateLimiter(db, RateLimitRules({"login:acct": RateLimitRule(limit, 60)}), clock)


async def test_limit_then_refusal_until_the_window_ends(database: Database) -> None:
    clock = Clock()
    limiter = _limiter(database, clock)
    decisions = [await limiter.hit("login:acct", "ann") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert 1 <= decisions[3].retry_after_seconds <= 60
    assert (await limiter.peek("login:acct", "ann")).allowed is False
    assert (await limiter.hit("login:acct", "bob")).allowed  # subjects are independent
    clock.advance(seconds=60)
    assert (await limiter.peek("login:acct", "ann")).allowed
    assert (await limiter.hit("login:acct", "ann")).allowed


async def test_reset_forgets_a_subject(database: Database) -> None:
    limiter = _limiter(database, Clock(), limit=1)
    await limiter.hit("login:acct", "ann")
    assert not (await limiter.hit("login:acct", "ann")).allowed
    await limiter.reset("login:acct", "ann")
    assert (await limiter.hit("login:acct", "ann")).allowed


async def test_concurrent_hits_never_exceed_the_limit(database: Database) -> None:
    limiter = _limiter(database, Clock(), limit=10)
    results = await asyncio.gather(*(limiter.hit("login:acct", "shared") for _ in range(60)))
    assert sum(d.allowed for d in results) == 10


async def test_two_limiters_on_one_database_share_the_count(database: Database) -> None:
    clock = Clock()
    first = _limiter(database, clock, limit=4)
    second = DatabaseRateLimiter(
        database, RateLimitRules({"login:acct": RateLimitRule(4, 60)}), clock
    )
    allowed = [
        (await (first if i % 2 else second).hit("login:acct", "x")).allowed for i in range(8)
    ]
    assert sum(allowed) == 4


async def test_subjects_are_stored_hashed_and_ended_windows_pruned(database: Database) -> None:
    clock = Clock()
    limiter = _limiter(database, clock)
    await limiter.hit("login:acct", "secret-user@example.com")
    async with database.read() as conn:
        rows = (await conn.execute(sa.select(rate_limit_buckets))).all()
    assert len(rows) == 1
    assert "secret-user" not in repr(rows) and "secret-user" not in repr(limiter)
    clock.advance(seconds=120)
    await limiter.hit("login:acct", "fresh")  # the first hit after a minute prunes
    async with database.read() as conn:
        subjects = (await conn.execute(sa.select(rate_limit_buckets.c.subject_hash))).all()
    assert len(subjects) == 1 and subjects[0][0] != rows[0]._mapping["subject_hash"]
