"""``/api/usage`` (#42-#44) over real HTTP on SQLite and PostgreSQL: limits per tier (seeded
defaults, a seed file's features, whitelisted users), both overage policies, warnings,
idempotent replays, 50 parallel records, and history across billing-period boundaries."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from spaps_server.storage.database import Database
from spaps_server.storage.tables import usage_records

from .conftest import DEFAULT_KEY, DbTarget
from .usage_support import Server, data_of, error_of, serving

RECORD = "/api/usage/record"
CAROL = "carol@example.com"


@pytest.fixture
def server(db_target: DbTarget, tmp_path: Path) -> Any:
    with serving(db_target, tmp_path / "seed") as live:
        yield live


def features(server: Server, email: str) -> dict[str, dict[str, Any]]:
    body = data_of(server.http.get("/api/usage/features", headers=server.as_user(email)))
    return {f["name"]: f for f in body["features"]}


def record(
    server: Server, email: str, feature: str, quantity: float, **headers: str
) -> httpx.Response:
    return server.http.post(
        RECORD,
        json={"feature": feature, "quantity": quantity},
        headers={**server.as_user(email), **headers},
    )


def stored_records(server: Server, feature: str) -> int:
    async def count(db: Database) -> int:
        async with db.read() as conn:
            query = (
                sa.select(sa.func.count())
                .select_from(usage_records)
                .where(usage_records.c.feature == feature)
            )
            return int((await conn.execute(query)).scalar_one())

    return server.run_db(count)


def test_limits_follow_the_tier(server: Server):
    basic = features(server, "user@example.com")
    assert basic["api_calls"]["limit"] == 1000 and basic["api_calls"]["overage_policy"] == "reject"
    assert basic["wallet_verifications"]["limit"] == 10
    assert basic["searches"]["limit"] == 30 and basic["exports"]["overage_policy"] == "allow"
    premium = features(server, "premium@example.com")
    assert premium["api_calls"]["limit"] == 10000 and premium["searches"]["limit"] == 100
    # A tier without its own row uses basic's.
    assert premium["exports"]["limit"] == 10
    # Whitelisted with payment bypass: the whitelisted limits (searches unlimited).
    vip = data_of(server.http.get("/api/usage/features", headers=server.as_user("vip@example.com")))
    assert vip["tier"] == "basic" and vip["limits_tier"] == "whitelisted"
    by_name = {f["name"]: f for f in vip["features"]}
    assert by_name["api_calls"]["limit"] == 100000
    assert by_name["searches"]["limit"] is None and by_name["searches"]["percentage"] is None
    assert data_of(record(server, "vip@example.com", "searches", 5000))["current_usage"] == {
        "used": 5000,
        "limit": None,
        "remaining": None,
    }
    # The contract's shape: period and reset time.
    body = data_of(server.http.get("/api/usage/features", headers=server.as_user(CAROL)))
    start = datetime.fromisoformat(body["period"]["start"].replace("Z", "+00:00"))
    assert start.day == 1 and start.hour == 0
    assert body["features"][0]["reset_at"] > body["period"]["end"]
    assert body["overage"] == {"allowed": True, "charges": []}


def test_reject_policy_warns_then_refuses_without_recording(server: Server):
    first = data_of(record(server, CAROL, "searches", 23))
    assert first["warning"] is None and first["current_usage"]["remaining"] == 7
    second = data_of(record(server, CAROL, "searches", 1))
    assert second["warning"].startswith("searches: 80%")
    third = data_of(record(server, CAROL, "searches", 6))
    assert third["warning"].startswith("searches: 100%")
    assert third["current_usage"] == {"used": 30, "limit": 30, "remaining": 0}

    refused = error_of(record(server, CAROL, "searches", 1), 402, "USAGE_LIMIT_EXCEEDED")
    assert refused["details"]["used"] == 30 and refused["details"]["requested"] == 1
    assert features(server, CAROL)["searches"]["used"] == 30
    assert features(server, CAROL)["searches"]["percentage"] == 100
    assert stored_records(server, "searches") == 3
    # Other users and other features are unaffected.
    assert (
        data_of(record(server, "dave@example.com", "searches", 30))["current_usage"]["used"] == 30
    )
    assert data_of(record(server, CAROL, "api_calls", 1))["current_usage"]["used"] == 1


def test_allow_policy_records_overage_at_the_unit_price(server: Server):
    assert data_of(record(server, CAROL, "exports", 8))["warning"].startswith("exports: 80%")
    over = data_of(record(server, CAROL, "exports", 5))
    assert over["current_usage"] == {"used": 13, "limit": 10, "remaining": 0}
    assert over["overage_quantity"] == 3 and over["cost"] == 1.5
    assert "3 recorded as overage" in over["warning"]
    again = data_of(record(server, CAROL, "exports", 1))
    assert again["overage_quantity"] == 1 and again["cost"] == 0.5

    body = data_of(server.http.get("/api/usage/features", headers=server.as_user(CAROL)))
    assert body["overage"]["charges"] == [
        {"feature": "exports", "quantity": 4, "unit_price": 0.5, "amount": 2.0}
    ]
    exports = next(f for f in body["features"] if f["name"] == "exports")
    assert exports["used"] == 14 and exports["percentage"] == 140 and exports["overage_used"] == 4
    history = data_of(server.http.get("/api/usage/history", headers=server.as_user(CAROL)))
    assert history["summary"]["total_exports"] == 14 and history["summary"]["total_cost"] == 2.0


async def _burst(
    server: Server, email: str, feature: str, n: int, **headers: str
) -> list[httpx.Response]:
    auth = {"X-API-Key": DEFAULT_KEY, **server.as_user(email), **headers}
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as http:
        return list(
            await asyncio.gather(
                *(
                    http.post(RECORD, json={"feature": feature, "quantity": 1}, headers=auth)
                    for _ in range(n)
                )
            )
        )


def test_fifty_parallel_records_move_the_counter_by_exactly_fifty(server: Server):
    responses = asyncio.run(_burst(server, CAROL, "api_calls", 50))
    assert [r.status_code for r in responses] == [200] * 50
    assert features(server, CAROL)["api_calls"]["used"] == 50
    seen = sorted(r.json()["data"]["current_usage"]["used"] for r in responses)
    assert seen == list(range(1, 51))  # every record saw its own, distinct total
    assert stored_records(server, "api_calls") == 50


def test_parallel_records_never_overshoot_the_limit(server: Server):
    responses = asyncio.run(_burst(server, CAROL, "searches", 50))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 30 + [402] * 20
    assert all(
        r.json()["error"]["code"] == "USAGE_LIMIT_EXCEEDED"
        for r in responses
        if r.status_code == 402
    )
    assert features(server, CAROL)["searches"]["used"] == 30
    assert stored_records(server, "searches") == 30


@pytest.mark.parametrize("header", ["X-Idempotency-Key", "Idempotency-Key"])
def test_an_idempotent_replay_records_nothing_new(server: Server, header: str):
    first = record(server, CAROL, "api_calls", 5, **{header: "order-42"})
    again = record(server, CAROL, "api_calls", 5, **{header: "order-42"})
    assert again.status_code == 200 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert features(server, CAROL)["api_calls"]["used"] == 5
    assert stored_records(server, "api_calls") == 1
    # Another key is another record; the same key for another request is refused.
    assert (
        data_of(record(server, CAROL, "api_calls", 5, **{header: "order-43"}))["current_usage"][
            "used"
        ]
        == 10
    )
    error_of(
        record(server, CAROL, "api_calls", 6, **{header: "order-42"}), 400, "IDEMPOTENCY_KEY_REUSED"
    )
    # Keys are per user: the same key from another user is that user's own first record.
    assert (
        data_of(record(server, "dave@example.com", "api_calls", 5, **{header: "order-42"}))[
            "current_usage"
        ]["used"]
        == 5
    )


def test_parallel_replays_of_one_key_record_once(server: Server):
    responses = asyncio.run(
        _burst(server, CAROL, "api_calls", 20, **{"Idempotency-Key": "burst-1"})
    )
    ok = [r for r in responses if r.status_code == 200]
    assert ok and {r.json()["data"]["record_id"] for r in ok} == {ok[0].json()["data"]["record_id"]}
    assert all(
        r.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
        for r in responses
        if r.status_code != 200
    )
    assert features(server, CAROL)["api_calls"]["used"] == 1
    assert stored_records(server, "api_calls") == 1


def test_a_refused_record_can_be_retried_with_its_key_after_the_limit_changes(server: Server):
    data_of(record(server, CAROL, "searches", 30))
    error_of(
        record(server, CAROL, "searches", 1, **{"Idempotency-Key": "k-1"}),
        402,
        "USAGE_LIMIT_EXCEEDED",
    )
    assert stored_records(server, "searches") == 1


def _month_end(now: datetime) -> datetime:
    first_next = (now.replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    return first_next


def test_history_across_a_billing_period_boundary(server: Server):
    clock = server.ctx.clock
    boundary = _month_end(clock.now())
    clock.advance(seconds=(boundary - clock.now()).total_seconds() - 3600)  # 23:00 last day
    last_day = (boundary - timedelta(hours=1)).date()
    server.tokens.clear()  # access tokens expired while the clock moved
    data_of(record(server, CAROL, "searches", 25))
    data_of(record(server, CAROL, "api_calls", 3))
    before = data_of(server.http.get("/api/usage/features", headers=server.as_user(CAROL)))

    clock.advance(seconds=2 * 3600)  # 01:00 on the first day of the next month
    server.tokens.clear()
    after = data_of(server.http.get("/api/usage/features", headers=server.as_user(CAROL)))
    assert after["period"]["start"] != before["period"]["start"]
    assert after["period"]["start"] == boundary.isoformat().replace("+00:00", "Z")
    assert {f["name"]: f["used"] for f in after["features"]}["searches"] == 0  # reset
    # The new period has its own limit: 25 more searches fit again.
    data_of(record(server, CAROL, "searches", 25))
    data_of(record(server, CAROL, "api_calls", 4))
    first_day = boundary.date()
    # A timestamp in the closed period is refused.
    stamped = server.http.post(
        RECORD,
        json={
            "feature": "api_calls",
            "quantity": 1,
            "timestamp": (boundary - timedelta(minutes=5)).isoformat(),
        },
        headers=server.as_user(CAROL),
    )
    error_of(stamped, 400, "INVALID_USAGE_TIMESTAMP")

    def history(**params: str) -> dict[str, Any]:
        query = {"start_date": last_day.isoformat(), "end_date": first_day.isoformat(), **params}
        return dict(
            data_of(
                server.http.get("/api/usage/history", params=query, headers=server.as_user(CAROL))
            )
        )

    daily = history(period="daily")
    assert [
        (h["date"], h["features"]["searches"], h["features"]["api_calls"]) for h in daily["history"]
    ] == [
        (last_day.isoformat(), 25, 3),
        (first_day.isoformat(), 25, 4),
    ]
    assert daily["summary"]["total_searches"] == 50 and daily["summary"]["total_api_calls"] == 7
    assert [p["features"] for p in daily["summary"]["billing_periods"]] == [
        {"api_calls": 3, "searches": 25},
        {"api_calls": 4, "searches": 25},
    ]
    monthly = history(period="monthly")
    assert [(h["date"], h["features"]["searches"]) for h in monthly["history"]] == [
        (last_day.replace(day=1).isoformat(), 25),
        (first_day.isoformat(), 25),
    ]
    weekly = history(period="weekly")
    mondays = sorted({(d - timedelta(days=d.weekday())).isoformat() for d in (last_day, first_day)})
    assert [h["date"] for h in weekly["history"]] == mondays
    assert sum(h["features"]["searches"] for h in weekly["history"]) == 50
    only = history(period="daily", feature="api_calls")
    assert [h["features"] for h in only["history"]] == [{"api_calls": 3}, {"api_calls": 4}]
    assert set(only["summary"]) == {"total_api_calls", "total_cost", "billing_periods"}
    # Default range: the current billing period.
    current = data_of(server.http.get("/api/usage/history", headers=server.as_user(CAROL)))
    assert current["start_date"] == first_day.isoformat()
    assert current["summary"]["total_searches"] == 25


def test_bad_input_gets_typed_errors(server: Server):
    me = server.as_user(CAROL)
    error_of(record(server, CAROL, "teleports", 1), 404, "USAGE_FEATURE_NOT_FOUND")
    error_of(record(server, CAROL, "api_calls", 0), 400, "INVALID_USAGE_QUANTITY")
    error_of(record(server, CAROL, "api_calls", -3), 400, "INVALID_USAGE_QUANTITY")
    error_of(record(server, CAROL, "bad name!", 1), 400, "INVALID_USAGE_FEATURE")
    error_of(record(server, CAROL, "api_calls\n", 1), 400, "INVALID_USAGE_FEATURE")
    bad = server.http.post(RECORD, json={"feature": "api_calls", "quantity": "lots"}, headers=me)
    error_of(bad, 400, "VALIDATION_ERROR")
    future = (date.today() + timedelta(days=40)).isoformat() + "T00:00:00Z"
    stamped = server.http.post(
        RECORD, json={"feature": "api_calls", "quantity": 1, "timestamp": future}, headers=me
    )
    error_of(stamped, 400, "INVALID_USAGE_TIMESTAMP")
    error_of(
        server.http.post(
            RECORD, json={"feature": "api_calls", "quantity": 1, "timestamp": "soon"}, headers=me
        ),
        400,
        "INVALID_USAGE_TIMESTAMP",
    )
    for params in (
        {"period": "hourly"},
        {"start_date": "2025-02-01", "end_date": "2025-01-01"},
        {"start_date": "01/02/2025"},
        {"format": "csv"},
    ):
        error_of(
            server.http.get("/api/usage/history", params=params, headers=me),
            400,
            "INVALID_HISTORY_QUERY",
        )
    error_of(server.http.get("/api/usage/features"), 401, "UNAUTHORIZED")
    error_of(
        server.http.post(RECORD, json={"feature": "api_calls", "quantity": 1}), 401, "UNAUTHORIZED"
    )
    assert features(server, CAROL)["api_calls"]["used"] == 0  # nothing recorded by any of it


def prometheus_samples(url: str) -> dict[str, float]:
    """``name{labels}`` -> value of every sample on ``/api/metrics``."""
    text = httpx.get(f"{url}/api/metrics").text
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_metrics_count_records_by_outcome(server: Server):
    data_of(record(server, CAROL, "searches", 30))
    record(server, CAROL, "searches", 1)
    record(server, CAROL, "api_calls", 1, **{"Idempotency-Key": "m-1"})
    record(server, CAROL, "api_calls", 1, **{"Idempotency-Key": "m-1"})
    samples = prometheus_samples(server.url)
    assert samples['spaps_usage_records_total{feature="searches",outcome="recorded"}'] == 1
    assert samples['spaps_usage_records_total{feature="searches",outcome="rejected"}'] == 1
    assert samples['spaps_usage_records_total{feature="api_calls",outcome="replayed"}'] == 1
    assert samples['spaps_usage_quantity_total{feature="searches"}'] == 30


def test_a_subscriber_s_period_follows_the_subscription(server: Server):
    from spaps_server.domain.ids import new_id
    from spaps_server.storage.tables import subscriptions

    now = server.ctx.clock.now()
    start = now - timedelta(days=3, hours=5)
    end = start + timedelta(days=30)
    user_id = server.user_id(CAROL)
    application_id = server.ctx.default_application.id

    async def subscribe(db: Database) -> None:
        async with db.begin() as conn:
            await conn.execute(
                subscriptions.insert().values(
                    id=new_id("sub"),
                    application_id=application_id,
                    user_id=user_id,
                    customer_email=CAROL,
                    customer_id=None,
                    item_id=new_id("si"),
                    price_id="price_test",
                    product_id="prod_test",
                    quantity=1,
                    status="active",
                    current_period_start=start,
                    current_period_end=end,
                    cancel_at_period_end=False,
                    canceled_at=None,
                    ended_at=None,
                    checkout_session_id=None,
                    metadata={},
                    created_at=start,
                    updated_at=start,
                )
            )

    server.run_db(subscribe)
    body = data_of(server.http.get("/api/usage/features", headers=server.as_user(CAROL)))
    stamp = start.isoformat().replace("+00:00", "Z")
    assert body["period"]["start"] == stamp
    assert body["features"][0]["reset_at"] == end.isoformat().replace("+00:00", "Z")
    result = data_of(record(server, CAROL, "searches", 2))
    assert result["period"]["start"] == stamp
    # Another user keeps calendar months.
    other = data_of(
        server.http.get("/api/usage/features", headers=server.as_user("dave@example.com"))
    )
    assert other["period"]["start"].endswith("-01T00:00:00Z")
