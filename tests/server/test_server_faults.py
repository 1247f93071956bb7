"""Our SpapsClient through the fault proxy (``spaps_client.testing.faults``) against a live
server on SQLite and PostgreSQL: a payment call whose response is lost is retried with the
same ``Idempotency-Key`` and the object exists exactly once (contract D5); ``Retry-After`` is
honoured; the total deadline ends the retries; a POST without a key is never retried."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import sqlalchemy as sa

from spaps_client import InMemoryTokenStorage, RetryConfig, SpapsClient
from spaps_client.errors import SpapsConnectionError, SpapsTimeoutError
from spaps_client.testing.faults import Fault, FaultKind, FaultProxy
from spaps_server.storage import tables
from spaps_server.storage.database import Database

from .conftest import DEFAULT_KEY, DbTarget, LiveServer, live_server

SUCCESS = "https://example.com/success"
CANCEL = "https://example.com/cancel"
CHECKOUT_PATH = "/api/payments/create-checkout-session"
GUEST_PATH = "/api/stripe/guest-checkout-sessions"
LOGIN_PATH = "/api/auth/login"

# No jitter and short waits: the tests wait for real, and every retry must still be decided by
# the SDK's own policy.
FAST_RETRIES = RetryConfig(max_attempts=4, backoff_factor=0.05, jitter=False, total_timeout=30)


@contextlib.contextmanager
def proxied(db_target: DbTarget) -> Iterator[tuple[LiveServer, FaultProxy]]:
    with live_server(db_target.config()) as server, FaultProxy(server.url) as proxy:
        yield server, proxy


def client_via(proxy: FaultProxy, retry: RetryConfig = FAST_RETRIES) -> SpapsClient:
    return SpapsClient(base_url=proxy.url, api_key=DEFAULT_KEY, retry_config=retry)


def count_rows(server: LiveServer, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    """Rows of ``table`` in the server's database, read through a second engine."""
    config = server.app.state.context.config

    async def count() -> int:
        db = Database(config.effective_database_url, schema=config.database_schema)
        try:
            async with db.read() as conn:
                query = sa.select(sa.func.count()).select_from(table)
                if where:
                    query = query.where(*where)
                return int((await conn.execute(query)).scalar_one())
        finally:
            await db.dispose()

    return asyncio.run(count())


def wait_until(condition: Callable[[], bool], limit: float = 10.0) -> bool:
    """Poll ``condition`` (the proxy thread records events a moment after they happen)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def signed_in(proxy: FaultProxy) -> SpapsClient:
    spaps = client_via(proxy)
    spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
    return spaps


def assert_one_key_for_every_attempt(proxy: FaultProxy, path: str, attempts: int) -> None:
    seen = proxy.requests_to(path, "POST")
    assert len(seen) == attempts
    keys = {request.header("idempotency-key") for request in seen}
    assert len(keys) == 1 and None not in keys


@pytest.mark.parametrize(
    "first_fault",
    [Fault.drop_after(), Fault.drop_before(), Fault.unavailable()],
    ids=["response-lost", "request-lost", "503"],
)
def test_checkout_retried_after_a_fault_is_created_once(
    db_target: DbTarget, first_fault: Fault
) -> None:
    with proxied(db_target) as (server, proxy):
        spaps = signed_in(proxy)
        seeded = count_rows(server, tables.checkout_sessions)
        proxy.script(first_fault, Fault.drop_after(), path=CHECKOUT_PATH)
        checkout = spaps.payments.create_checkout_session(
            price_id="price_basic", mode="payment", success_url=SUCCESS, cancel_url=CANCEL
        )
        spaps.close()
        assert_one_key_for_every_attempt(proxy, CHECKOUT_PATH, attempts=3)
        answered = [r.server_answered for r in proxy.requests_to(CHECKOUT_PATH)]
        assert answered == [first_fault.kind is FaultKind.DROP_AFTER, True, True]
        assert count_rows(server, tables.checkout_sessions) == seeded + 1
        only = count_rows(
            server, tables.checkout_sessions, tables.checkout_sessions.c.id == checkout.session_id
        )
        assert only == 1


def test_guest_checkout_retried_after_a_lost_response_is_created_once(
    db_target: DbTarget,
) -> None:
    with proxied(db_target) as (server, proxy):
        spaps = client_via(proxy)
        seeded = count_rows(server, tables.checkout_sessions)
        proxy.script(Fault.drop_after(), Fault.drop_after(), path=GUEST_PATH)
        guest = spaps.payments.create_guest_checkout_session(
            customer_email="buyer@example.com",
            mode="payment",
            line_items=[{"price_id": "price_basic", "quantity": 2}],
            success_url=SUCCESS,
            cancel_url=CANCEL,
        )
        spaps.close()
        assert_one_key_for_every_attempt(proxy, GUEST_PATH, attempts=3)
        assert count_rows(server, tables.checkout_sessions) == seeded + 1
        only = count_rows(
            server, tables.checkout_sessions, tables.checkout_sessions.c.id == guest.id
        )
        assert only == 1


def test_retry_after_is_honoured(sqlite_target: DbTarget) -> None:
    with proxied(sqlite_target) as (server, proxy):
        spaps = signed_in(proxy)
        seeded = count_rows(server, tables.checkout_sessions)
        proxy.script(Fault.rate_limited(retry_after=1), path=CHECKOUT_PATH)
        spaps.payments.create_checkout_session(
            price_id="price_basic", mode="payment", success_url=SUCCESS, cancel_url=CANCEL
        )
        spaps.close()
        first, second = proxy.requests_to(CHECKOUT_PATH)
        assert first.fault.kind is FaultKind.STATUS and not first.server_answered
        # The backoff alone would have waited 0.05 s; the retry came after the asked-for second.
        assert second.received_at - first.received_at >= 1.0
        assert count_rows(server, tables.checkout_sessions) == seeded + 1


def test_the_total_deadline_ends_the_retries(sqlite_target: DbTarget) -> None:
    with proxied(sqlite_target) as (server, proxy):
        storage = InMemoryTokenStorage()
        retry = RetryConfig(max_attempts=50, backoff_factor=0.05, jitter=False, total_timeout=1.5)
        stalling = SpapsClient(
            base_url=proxy.url,
            api_key=DEFAULT_KEY,
            retry_config=retry,
            request_timeout=0.4,
            token_storage=storage,
        )
        stalling.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        seeded = count_rows(server, tables.checkout_sessions)
        proxy.script(*[Fault.stall(120)] * 50, path=CHECKOUT_PATH)
        with pytest.raises(SpapsTimeoutError):
            stalling.payments.create_checkout_session(
                price_id="price_basic", mode="payment", success_url=SUCCESS, cancel_url=CANCEL
            )
        stalling.close()
        attempts = proxy.requests_to(CHECKOUT_PATH)
        # Far fewer than the 50 allowed: the deadline, not the attempt budget, ended the call,
        # and every stalled attempt was abandoned by the client long before its stall ran out.
        assert 1 <= len(attempts) < 50
        assert proxy.pending == 50 - len(attempts)
        assert wait_until(
            lambda: all(r.client_gone_early for r in proxy.requests_to(CHECKOUT_PATH))
        )
        assert count_rows(server, tables.checkout_sessions) == seeded


def test_a_post_without_an_idempotency_key_is_not_retried(sqlite_target: DbTarget) -> None:
    with proxied(sqlite_target) as (_server, proxy):
        spaps = client_via(proxy)
        proxy.script(Fault.drop_after(), path=LOGIN_PATH)
        with pytest.raises(SpapsConnectionError):
            spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        (attempt,) = proxy.requests_to(LOGIN_PATH)
        assert attempt.header("idempotency-key") is None and attempt.server_answered
        # A 503 is not retried either: the server may have done the work.
        proxy.script(Fault.unavailable(retry_after=0), path=LOGIN_PATH)
        with pytest.raises(Exception) as refused:
            spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
        assert getattr(refused.value, "status_code", None) == 503
        assert len(proxy.requests_to(LOGIN_PATH)) == 2
        spaps.close()


def test_the_proxy_forwards_unscripted_requests_unchanged(sqlite_target: DbTarget) -> None:
    with proxied(sqlite_target) as (server, proxy):
        direct = httpx.get(server.url + "/health")
        through = httpx.get(proxy.url + "/health", headers={"X-Trace": "abc"})
        assert through.status_code == direct.status_code == 200
        assert through.json()["status"] == direct.json()["status"]
        posted = httpx.post(
            proxy.url + LOGIN_PATH,
            headers={"X-API-Key": DEFAULT_KEY},
            json={"email": "user@example.com", "password": "Secret123!"},
        )
        assert posted.status_code == 200 and posted.json()["success"] is True
        (health,) = proxy.requests_to("/health")
        assert health.header("x-trace") == "abc" and health.fault.kind is FaultKind.FORWARD


USAGE_PATH = "/api/usage/record"


def test_usage_record_retried_after_a_lost_response_counts_once(db_target: DbTarget) -> None:
    with proxied(db_target) as (server, proxy):
        spaps = signed_in(proxy)
        before = count_rows(server, tables.usage_records)
        proxy.script(Fault.drop_after(), Fault.drop_after(), path=USAGE_PATH)
        result = spaps.usage.record_usage(feature="api_calls", quantity=3)
        features = spaps.usage.get_features()
        spaps.close()
        assert_one_key_for_every_attempt(proxy, USAGE_PATH, attempts=3)
        assert count_rows(server, tables.usage_records) == before + 1
        assert result.current_usage.used == 3
        assert {f.name: f.used for f in features.features}["api_calls"] == 3


INVOICE_PATH = "/api/payments/crypto/invoices"
INTENT_PATH = "/api/payments/create-payment-intent"


def test_crypto_invoice_retried_after_a_lost_response_is_created_once(
    db_target: DbTarget,
) -> None:
    with proxied(db_target) as (server, proxy):
        spaps = signed_in(proxy)
        before = count_rows(server, tables.crypto_invoices)
        proxy.script(Fault.drop_after(), Fault.unavailable(retry_after=0), path=INVOICE_PATH)
        invoice = spaps.payments.crypto.create_invoice(asset="USDC", network="base", amount="42.75")
        spaps.close()
        assert_one_key_for_every_attempt(proxy, INVOICE_PATH, attempts=3)
        assert count_rows(server, tables.crypto_invoices) == before + 1
        only = count_rows(
            server, tables.crypto_invoices, tables.crypto_invoices.c.id == invoice.invoice_id
        )
        assert only == 1


def test_payment_intent_retried_after_a_lost_response_is_created_once(
    db_target: DbTarget,
) -> None:
    with proxied(db_target) as (server, proxy):
        spaps = signed_in(proxy)
        before = count_rows(server, tables.payment_intents)
        proxy.script(Fault.drop_after(), Fault.drop_after(), path=INTENT_PATH)
        intent = spaps.payments.create_payment_intent(amount=1000, currency="usd")
        spaps.close()
        assert_one_key_for_every_attempt(proxy, INTENT_PATH, attempts=3)
        assert count_rows(server, tables.payment_intents) == before + 1
        only = count_rows(
            server,
            tables.payment_intents,
            tables.payment_intents.c.id == intent.payment_intent_id,
        )
        assert only == 1
