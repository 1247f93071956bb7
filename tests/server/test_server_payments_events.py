"""The payments simulator's state changes reach a webhook receiver as signed events, written in
the transaction of the change: checkout completed and expired, charges succeeded and failed,
invoices paid, subscriptions created, updated and deleted, and the entitlement to a tier
granted and revoked; on SQLite and PostgreSQL, driven through our SDK."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from spaps_client import SpapsClient
from spaps_client.webhooks import parse_entitlement_event, verify_spaps_webhook

from .conftest import DEFAULT_KEY, DbTarget, live_server
from .webhook_support import Receiver, independent_signature_check

SUCCESS = "https://example.com/success"
CANCEL = "https://example.com/cancel"


class Events:
    """The events a receiver got after the server's seed data was in place (the default
    seed's subscription and payment are events too), in arrival order, each verified by the
    SDK and by an independent HMAC."""

    def __init__(self, receiver: Receiver, http: httpx.Client) -> None:
        self.receiver = receiver
        self.secret = http.get("/_dev/webhooks/endpoints").json()["data"]["webhook_secret"]
        seeded = http.get("/_dev/webhooks/events").json()["data"]["events"]
        self.seeded = {item["event"]["id"] for item in seeded}

    def first(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            fresh = [r for r in self.receiver.requests if r.event_id not in self.seeded]
            if len(fresh) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(fresh) >= count, [json.loads(r.body)["type"] for r in fresh]
        events = []
        for request in fresh:
            signature = request.headers["x-spaps-signature"]
            verify_spaps_webhook(request.body, signature, self.secret)
            assert independent_signature_check(self.secret, signature, request.body)
            events.append(json.loads(request.body))
        return events


def types_of(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def pay(http: httpx.Client, session_id: str, card: str) -> httpx.Response:
    return http.post(f"/_dev/checkout-sessions/{session_id}/pay", json={"card": card})


def test_payment_state_changes_are_delivered_as_events(db_target: DbTarget) -> None:
    with Receiver() as receiver:
        config = db_target.config(password_profile="test", webhook_urls=(receiver.url,))
        with (
            live_server(config) as server,
            httpx.Client(base_url=server.url, timeout=30) as http,
            SpapsClient(base_url=server.url, api_key=DEFAULT_KEY) as spaps,
        ):
            received = Events(receiver, http)
            spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
            user_id = spaps.auth.get_current_user().id

            one_time = spaps.payments.create_checkout_session(
                price_id="price_basic", mode="payment", success_url=SUCCESS, cancel_url=CANCEL
            )
            assert pay(http, one_time.session_id, "4000000000000002").status_code == 402
            declined = received.first(1)
            assert types_of(declined) == ["payment_intent.payment_failed"]
            failure = declined[0]["data"]["object"]
            assert failure["status"] == "failed"
            assert failure["last_payment_error"]["decline_code"] == "generic_decline"

            assert pay(http, one_time.session_id, "4242424242424242").status_code == 200
            paid = received.first(4)[1:]
            assert sorted(types_of(paid)) == [
                "checkout.session.completed",
                "invoice.paid",
                "payment_intent.succeeded",
            ]
            by_type = {event["type"]: event["data"]["object"] for event in paid}
            completed = by_type["checkout.session.completed"]
            assert completed["id"] == one_time.session_id
            assert completed["status"] == "complete" and completed["payment_status"] == "paid"
            intent = by_type["payment_intent.succeeded"]
            assert completed["payment_intent"] == intent["id"]
            assert by_type["invoice.paid"]["payment_intent"] == intent["id"]
            assert by_type["invoice.paid"]["id"] == intent["invoice"]

            subscription = spaps.payments.create_checkout_session(
                price_id="price_plus", mode="subscription", success_url=SUCCESS, cancel_url=CANCEL
            )
            assert pay(http, subscription.session_id, "4242424242424242").status_code == 200
            started = received.first(9)[4:]
            assert sorted(types_of(started)) == [
                "checkout.session.completed",
                "customer.subscription.created",
                "entitlement.granted",
                "invoice.paid",
                "payment_intent.succeeded",
            ]
            created = next(e for e in started if e["type"] == "customer.subscription.created")
            sub_id = created["data"]["object"]["id"]
            assert created["data"]["object"]["status"] == "active"
            granted = next(e for e in started if e["type"] == "entitlement.granted")
            entitlement = parse_entitlement_event(granted)
            assert entitlement.user_id == user_id
            assert entitlement.entitlement_key == "tier:premium"

            spaps.payments.cancel_subscription(subscription_id=sub_id, immediately=True)
            ended = received.first(11)[9:]
            assert sorted(types_of(ended)) == [
                "customer.subscription.deleted",
                "entitlement.revoked",
            ]
            deleted = next(e for e in ended if e["type"] == "customer.subscription.deleted")
            assert deleted["data"]["object"]["id"] == sub_id
            assert deleted["data"]["object"]["status"] == "canceled"

            spaps.payments.update_subscription(subscription_id="sub_123", price_id="price_plus")
            moved = received.first(13)[11:]
            assert sorted(types_of(moved)) == [
                "customer.subscription.updated",
                "entitlement.granted",
            ]

            stale = spaps.payments.create_checkout_session(
                price_id="price_basic", mode="payment", success_url=SUCCESS, cancel_url=CANCEL
            )
            spaps.payments.expire_checkout_session(session_id=stale.session_id)
            expired = received.first(14)[13:]
            assert types_of(expired) == ["checkout.session.expired"]
            assert expired[0]["data"]["object"]["id"] == stale.session_id
            assert expired[0]["data"]["object"]["status"] == "expired"


def test_refused_payments_emit_nothing(db_target: DbTarget) -> None:
    with Receiver() as receiver:
        config = db_target.config(password_profile="test", webhook_urls=(receiver.url,))
        with live_server(config) as server, httpx.Client(base_url=server.url) as http:

            def event_count() -> int:
                return len(http.get("/_dev/webhooks/events").json()["data"]["events"])

            before = event_count()
            assert pay(http, "cs_missing", "4242424242424242").status_code == 404
            assert pay(http, "cs_test_123", "1234").status_code == 400  # not a card number
            assert event_count() == before
            assert pay(http, "cs_test_123", "4242424242424242").status_code == 200
            after_payment = event_count()
            assert after_payment > before
            assert pay(http, "cs_test_123", "4242424242424242").status_code == 409  # paid
            assert event_count() == after_payment
