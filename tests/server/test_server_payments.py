"""The payments simulator over real HTTP on SQLite and PostgreSQL: checkout lifecycles
(one-time and subscription), every test card, expiry, guest checkout and conversion,
subscription changes with the tier following, history, and Idempotency-Key."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import httpx
import pytest

from .auth_support import Live, bearer, error_code, running
from .conftest import DbTarget

SUCCESS = "https://shop.example/ok?cs={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example/cancel"


def _token(live: Live, email: str = "user@example.com") -> str:
    return str(live.login(email)["access_token"])


def _create(live: Live, token: str, price: str, mode: str, **headers: str) -> httpx.Response:
    return live.post(
        "/api/payments/create-checkout-session",
        {"price_id": price, "mode": mode, "success_url": SUCCESS, "cancel_url": CANCEL},
        headers={**bearer(token), **headers},
    )


def _pay(live: Live, session_id: str, card: str, **extra: Any) -> httpx.Response:
    return live.post(f"/_dev/checkout-sessions/{session_id}/pay", {"card": card, **extra})


def _get(live: Live, path: str, token: str, **params: Any) -> dict[str, Any]:
    response = live.http.get(path, headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


@pytest.fixture
def live(db_target: DbTarget):
    with running(db_target, password_profile="test") as server:
        yield server


def test_one_time_checkout_lifecycle(live: Live):
    token = _token(live)
    created = _create(live, token, "price_basic", "payment")
    assert created.status_code == 200, created.text
    data = created.json()["data"]
    session_id = data["session_id"]
    assert data["checkout_url"] == f"{live.url}/checkout/{session_id}"
    assert data["expires_at"].endswith("Z")

    detail = _get(live, f"/api/stripe/checkout-sessions/{session_id}", token)
    assert detail["status"] == "open" and detail["payment_status"] == "unpaid"
    assert detail["amount_total"] == 500 and detail["currency"] == "usd"
    assert isinstance(detail["expires_at"], int) and isinstance(detail["created_at"], int)

    paid = _pay(live, session_id, "4242 4242 4242 4242")
    assert paid.status_code == 200, paid.text
    result = paid.json()["data"]
    assert result["status"] == "succeeded"
    assert result["redirect_url"] == f"https://shop.example/ok?cs={session_id}"

    detail = _get(live, f"/api/stripe/checkout-sessions/{session_id}", token)
    assert detail["status"] == "complete" and detail["payment_status"] == "paid"
    assert detail["subscription"] is None
    payment = _get(live, f"/api/stripe/payment/{detail['payment_intent']}", token)["payment"]
    assert payment["amount"] == 500 and payment["status"] == "succeeded"
    assert payment["invoice_pdf"] == f"{live.url}/invoices/{payment['invoice_id']}"
    assert payment["metadata"] == {}
    invoice = live.http.get(payment["invoice_pdf"])
    assert invoice.status_code == 200 and payment["invoice_id"] in invoice.text

    again = _pay(live, session_id, "4242424242424242")
    assert again.status_code == 409 and error_code(again) == "CHECKOUT_SESSION_COMPLETE"
    page = live.http.get(f"/checkout/{session_id}")
    assert page.status_code == 410 and "already been paid" in page.text


def test_subscription_checkout_lifecycle_and_tier(live: Live):
    token = _token(live, "premium@example.com")
    session_id = _create(live, token, "price_123", "subscription").json()["data"]["session_id"]
    assert _pay(live, session_id, "4242424242424242").status_code == 200
    detail = _get(live, f"/api/stripe/checkout-sessions/{session_id}", token)
    sub_id = detail["subscription"]
    sub = _get(live, f"/api/stripe/subscription/{sub_id}", token)
    assert sub["status"] == "active" and sub["cancel_at_period_end"] is False
    assert sub["items"][0]["price"]["recurring"] == {"interval": "month", "interval_count": 1}
    assert 28 * 86400 <= sub["current_period_end"] - sub["current_period_start"] <= 31 * 86400
    # prod_123 grants "basic": the premium user now holds the subscription's tier.
    assert _get(live, "/api/auth/user", token)["user"]["tier"] == "basic"

    updated = live.post(
        f"/api/stripe/subscription/{sub_id}/update",
        {"price_id": "price_plus"},
        headers=bearer(token),
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["items"][0]["price"]["id"] == "price_plus"
    fresh = _token(live, "premium@example.com")
    assert _get(live, "/api/auth/user", fresh)["user"]["tier"] == "premium"
    assert _get(live, "/api/sessions/current", fresh)["session"]["tier"] == "premium"

    one_time = live.post(
        f"/api/stripe/subscription/{sub_id}/update",
        {"price_id": "price_basic"},
        headers=bearer(token),
    )
    assert one_time.status_code == 400 and error_code(one_time) == "INVALID_PRICE"

    at_end = live.post(f"/api/stripe/subscription/{sub_id}/cancel", {}, headers=bearer(token))
    assert at_end.status_code == 200
    assert at_end.json()["data"]["status"] == "active"
    assert at_end.json()["data"]["cancel_at_period_end"] is True
    assert _get(live, "/api/auth/user", token)["user"]["tier"] == "premium"

    # The period ends: the subscription ends and the tier goes back to the user's own.
    live.ctx.clock.advance(seconds=32 * 86400)
    token = _token(live, "premium@example.com")
    ended = _get(live, f"/api/stripe/subscription/{sub_id}", token)
    assert ended["status"] == "canceled" and ended["ended_at"] is not None
    assert _get(live, "/api/auth/user", token)["user"]["tier"] == "premium"
    active = _get(live, "/api/stripe/subscriptions", token, status="active")
    assert active["subscriptions"] == []


def test_cancel_immediately_moves_tier_back(live: Live):
    token = _token(live)
    session_id = _create(live, token, "price_plus", "subscription").json()["data"]["session_id"]
    _pay(live, session_id, "4242424242424242")
    assert _get(live, "/api/auth/user", token)["user"]["tier"] == "premium"
    sub_id = _get(live, f"/api/stripe/checkout-sessions/{session_id}", token)["subscription"]
    now = live.post(
        f"/api/stripe/subscription/{sub_id}/cancel", {"immediately": True}, headers=bearer(token)
    )
    assert now.json()["data"]["status"] == "canceled" and now.json()["data"]["canceled_at"]
    # sub_123 (prod_123, tier basic) is still active for the seeded user.
    assert _get(live, "/api/auth/user", token)["user"]["tier"] == "basic"
    twice = live.post(
        f"/api/stripe/subscription/{sub_id}/cancel", {"immediately": True}, headers=bearer(token)
    )
    assert twice.status_code == 400 and error_code(twice) == "INVALID_SUBSCRIPTION"
    other = _token(live, "premium@example.com")
    hidden = live.http.get(f"/api/stripe/subscription/{sub_id}", headers=bearer(other))
    assert hidden.status_code == 404 and error_code(hidden) == "SUBSCRIPTION_NOT_FOUND"


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        ("4000000000000002", "generic_decline"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_card"),
        ("4000000000000127", "incorrect_cvc"),
    ],
)
def test_declining_cards_leave_the_session_open(live: Live, card: str, decline_code: str):
    token = _token(live)
    session_id = _create(live, token, "price_basic", "payment").json()["data"]["session_id"]
    declined = _pay(live, session_id, card)
    assert declined.status_code == 402 and error_code(declined) == "CARD_DECLINED"
    assert declined.json()["error"]["details"] == {"decline_code": decline_code}
    detail = _get(live, f"/api/stripe/checkout-sessions/{session_id}", token)
    assert detail["status"] == "open" and detail["payment_status"] == "unpaid"
    failed = _get(live, "/api/stripe/history", token, status="failed")
    assert failed["total_count"] == 1 and failed["payments"][0]["failure_code"] == decline_code
    assert _pay(live, session_id, "4242424242424242").status_code == 200


def test_three_d_secure_card(live: Live):
    token = _token(live)
    session_id = _create(live, token, "price_basic", "payment").json()["data"]["session_id"]
    early = live.post(f"/_dev/checkout-sessions/{session_id}/authenticate", {"outcome": "complete"})
    assert early.status_code == 400 and error_code(early) == "AUTHENTICATION_NOT_PENDING"
    pending = _pay(live, session_id, "4000002500003155")
    assert pending.json()["data"]["status"] == "requires_action"
    fail = live.post(f"/_dev/checkout-sessions/{session_id}/authenticate", {"outcome": "fail"})
    assert fail.status_code == 402
    assert fail.json()["error"]["details"]["decline_code"] == "authentication_failed"
    _pay(live, session_id, "4000002500003155")
    done = live.post(f"/_dev/checkout-sessions/{session_id}/authenticate", {"outcome": "complete"})
    assert done.status_code == 200 and done.json()["data"]["session_status"] == "complete"


def test_malformed_cards_and_bad_input(live: Live):
    token = _token(live)
    session_id = _create(live, token, "price_basic", "payment").json()["data"]["session_id"]
    for card in ("4242424242424241", "12", "abcd"):
        bad = _pay(live, session_id, card)
        assert bad.status_code == 400 and error_code(bad) == "INVALID_CARD", card
    past = _pay(live, session_id, "4242424242424242", exp="01/20", cvc="123")
    assert past.status_code == 400 and "past" in past.json()["error"]["message"]
    live_card = _pay(live, session_id, "4111111111111111")
    assert live_card.json()["error"]["details"]["decline_code"] == "test_mode_live_card"
    assert error_code(_create(live, token, "price_nope", "payment")) == "INVALID_PRICE"
    wrong_mode = _create(live, token, "price_123", "payment")
    assert wrong_mode.status_code == 400 and error_code(wrong_mode) == "INVALID_PRICE"
    assert error_code(_create(live, token, "price_basic", "rent")) == "INVALID_CHECKOUT_MODE"
    bad_url = live.post(
        "/api/payments/create-checkout-session",
        {
            "price_id": "price_basic",
            "mode": "payment",
            "success_url": "javascript:x",
            "cancel_url": CANCEL,
        },
        headers=bearer(token),
    )
    assert bad_url.status_code == 400 and error_code(bad_url) == "INVALID_REDIRECT_URL"
    no_token = live.post("/api/payments/create-checkout-session", {})
    assert no_token.status_code == 401


def test_expiry_by_time_and_by_api(live: Live):
    token = _token(live)
    first = _create(live, token, "price_basic", "payment").json()["data"]["session_id"]
    second = _create(live, token, "price_basic", "payment").json()["data"]["session_id"]
    expired = live.post(f"/api/stripe/checkout-sessions/{first}/expire", {}, headers=bearer(token))
    assert expired.json()["data"] == {"id": first, "status": "expired", "expired": True}
    refused = _pay(live, first, "4242424242424242")
    assert refused.status_code == 400 and error_code(refused) == "CHECKOUT_SESSION_EXPIRED"

    live.ctx.clock.advance(seconds=24 * 3600 + 1)
    token = _token(live)
    listing = _get(live, "/api/stripe/checkout-sessions", token, limit=50)
    statuses = {s["id"]: s["status"] for s in listing["sessions"]}
    assert statuses[second] == "expired" and statuses["cs_test_123"] == "expired"
    assert live.http.get(f"/checkout/{second}").status_code == 410
    assert error_code(_pay(live, second, "4242424242424242")) == "CHECKOUT_SESSION_EXPIRED"

    paid = _create(live, token, "price_basic", "payment").json()["data"]["session_id"]
    _pay(live, paid, "4242424242424242")
    complete = live.post(f"/api/stripe/checkout-sessions/{paid}/expire", {}, headers=bearer(token))
    assert complete.status_code == 400 and error_code(complete) == "CHECKOUT_SESSION_COMPLETE"


def _guest(
    live: Live, email: str, mode: str = "payment", price: str = "price_basic"
) -> dict[str, Any]:
    response = live.post(
        "/api/stripe/guest-checkout-sessions",
        {
            "customer_email": email,
            "mode": mode,
            "line_items": [{"price_id": price, "quantity": 2 if mode == "payment" else 1}],
            "success_url": SUCCESS,
            "cancel_url": CANCEL,
            "client_reference_id": "ref_1",
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def test_guest_checkout_and_conversion_with_password(live: Live):
    guest = _guest(live, "Buyer@Example.com")
    assert set(guest) == {
        "id",
        "url",
        "expiresAt",
        "customerEmail",
        "clientReferenceId",
        "successUrl",
        "cancelUrl",
    }
    assert guest["customerEmail"] == "buyer@example.com" and isinstance(guest["expiresAt"], int)
    detail = live.http.get(f"/api/stripe/guest-checkout-sessions/{guest['id']}").json()["data"]
    assert detail["amount_total"] == 1000 and detail["metadata"]["is_guest"] == "true"
    listing = live.http.get(
        "/api/stripe/guest-checkout-sessions", params={"customer_email": "buyer@example.com"}
    )
    item = listing.json()["data"]["sessions"][0]
    assert item["session_id"] == guest["id"] and item["created_at"].endswith("Z")

    early = live.post(
        "/api/stripe/guest-checkout-sessions/convert",
        {"session_id": guest["id"], "email": "buyer@example.com", "password": "Tuber-Strong-2024!"},
    )
    assert early.status_code == 400 and error_code(early) == "CHECKOUT_NOT_PAID"
    assert _pay(live, guest["id"], "4242424242424242").status_code == 200
    mismatch = live.post(
        "/api/stripe/guest-checkout-sessions/convert",
        {"session_id": guest["id"], "email": "other@example.com", "password": "Tuber-Strong-2024!"},
    )
    assert mismatch.status_code == 400 and error_code(mismatch) == "INVALID_EMAIL"
    converted = live.post(
        "/api/stripe/guest-checkout-sessions/convert",
        {"session_id": guest["id"], "email": "buyer@example.com", "password": "Tuber-Strong-2024!"},
    )
    assert converted.status_code == 200, converted.text
    body = converted.json()["data"]
    assert (
        body["success"] is True
        and body["accountCreated"] is True
        and body["magicLinkSent"] is False
    )
    token = live.login("buyer@example.com", "Tuber-Strong-2024!")["access_token"]
    history = _get(live, "/api/stripe/history", token)
    assert history["total_count"] == 1 and history["payments"][0]["amount"] == 1000
    # A user's route does not show guest sessions by id either way round.
    hidden = live.http.get("/api/stripe/guest-checkout-sessions/cs_test_123")
    assert hidden.status_code == 404


def test_guest_subscription_converted_by_magic_link(live: Live):
    guest = _guest(live, "sub-buyer@example.com", mode="subscription", price="price_plus")
    _pay(live, guest["id"], "4242424242424242")
    converted = live.post(
        "/api/stripe/guest-checkout-sessions/convert",
        {"session_id": guest["id"], "email": "sub-buyer@example.com", "send_magic_link": True},
    )
    body = converted.json()["data"]
    assert body["success"] is True and body["magicLinkSent"] is True
    mail = live.mail("sub-buyer@example.com", "magic_link")
    verified = live.post("/api/auth/verify-magic-link", {"token": mail["metadata"]["token"]})
    token = verified.json()["tokens"]["access_token"]
    assert verified.json()["user"]["tier"] == "premium"
    subs = _get(live, "/api/stripe/subscriptions", token)["subscriptions"]
    assert len(subs) == 1 and subs[0]["items"][0]["price"]["id"] == "price_plus"


def test_history_filters_paging_and_detail(live: Live):
    token = _token(live)
    for _ in range(3):
        sid = _create(live, token, "price_basic", "payment").json()["data"]["session_id"]
        _pay(live, sid, "4242424242424242")
    all_ = _get(live, "/api/stripe/history", token, status="succeeded")
    assert all_["total_count"] == 4 and all_["payments"][-1]["id"] == "pi_123"
    first = _get(live, "/api/stripe/history", token, limit=2)
    assert len(first["payments"]) == 2 and first["has_more"] is True
    rest = _get(
        live, "/api/stripe/history", token, limit=2, starting_after=first["payments"][-1]["id"]
    )
    assert [p["id"] for p in rest["payments"]] == [p["id"] for p in all_["payments"][2:]]
    back = _get(
        live, "/api/stripe/history", token, limit=2, ending_before=rest["payments"][0]["id"]
    )
    assert [p["id"] for p in back["payments"]] == [p["id"] for p in first["payments"]]
    seeded = _get(live, "/api/stripe/payment/pi_123", token)["payment"]
    assert seeded["invoice_id"] == "in_123" and seeded["metadata"]["source"] == "seed"
    other = _token(live, "premium@example.com")
    missing = live.http.get("/api/stripe/payment/pi_123", headers=bearer(other))
    assert missing.status_code == 404 and error_code(missing) == "PAYMENT_NOT_FOUND"


def test_catalog_filters(live: Live):
    token = _token(live)
    everything = _get(live, "/api/stripe/products", token)
    assert everything["total"] == 3
    subs = _get(live, "/api/stripe/products", token, category="subscription", active="true")
    assert [p["id"] for p in subs["products"]] == ["prod_123", "prod_plus"]
    one_time = _get(live, "/api/stripe/products", token, mode="payment")
    assert [p["id"] for p in one_time["products"]] == ["prod_basic"]
    page = _get(live, "/api/stripe/products", token, limit=1, starting_after="prod_123")
    assert [p["id"] for p in page["products"]] == ["prod_plus"]
    product = _get(live, "/api/stripe/products/prod_123", token)
    assert all(price["nickname"] for price in product["prices"])
    assert product["default_price"]["id"] == "price_123"
    bare = _get(live, "/api/stripe/products/prod_123", token, include_prices="false")
    assert bare["prices"] == []
    missing = live.http.get("/api/stripe/products/prod_nope", headers=bearer(token))
    assert missing.status_code == 404 and error_code(missing) == "NOT_FOUND"


def test_idempotent_create_replays_and_refuses_reuse(live: Live):
    token = _token(live)
    first = _create(live, token, "price_basic", "payment", **{"Idempotency-Key": "order-1"})
    again = _create(live, token, "price_basic", "payment", **{"Idempotency-Key": "order-1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    reused = _create(live, token, "price_123", "subscription", **{"Idempotency-Key": "order-1"})
    assert reused.status_code == 400 and error_code(reused) == "IDEMPOTENCY_KEY_REUSED"
    sessions = _get(live, "/api/stripe/checkout-sessions", token, limit=50)["sessions"]
    assert sum(1 for s in sessions if s["amount_total"] == 500) == 1
    metrics = live.http.get("/api/metrics").text
    assert 'spaps_payments_idempotent_replays_total{route="create-checkout-session"} 1' in metrics


def test_ten_concurrent_requests_with_one_key_create_one_session(live: Live):
    token = _token(live)

    def attempt(_: int) -> httpx.Response:
        with httpx.Client(base_url=live.url, headers={"X-API-Key": "test_key_local_dev_only"}) as c:
            return c.post(
                "/api/payments/create-checkout-session",
                json={
                    "price_id": "price_basic",
                    "mode": "payment",
                    "success_url": SUCCESS,
                    "cancel_url": CANCEL,
                },
                headers={**bearer(token), "Idempotency-Key": "burst-1"},
            )

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(attempt, range(10)))
    ok_ids = {r.json()["data"]["session_id"] for r in responses if r.status_code == 200}
    assert len(ok_ids) == 1
    assert all(
        r.status_code == 200 or (r.status_code == 409 and error_code(r) == "IDEMPOTENCY_KEY_IN_USE")
        for r in responses
    )
    sessions = _get(live, "/api/stripe/checkout-sessions", token, limit=50)["sessions"]
    assert [s["id"] for s in sessions if s["amount_total"] == 500] == list(ok_ids)


def test_dev_payments_page_lists_everything(live: Live):
    page = live.http.get("/_dev/payments")
    assert page.status_code == 200
    for text in ("prod_123", "price_plus", "cs_test_123", "sub_123", "pi_123", "/invoices/in_123"):
        assert text in page.text
    assert 'href="/_dev/payments"' in live.http.get("/_dev/").text


def test_products_cli_create_list_archive(tmp_path):
    import json
    import subprocess

    from .conftest import spaps_command

    data = ["--data-dir", str(tmp_path / "cli")]
    made = subprocess.run(
        spaps_command(
            "products",
            "create",
            "Gold",
            "--id",
            "prod_gold",
            "--tier",
            "gold",
            "--price",
            "1500/month:Gold monthly",
            "--price",
            "300:Top-up",
            "--json",
            *data,
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    product = json.loads(made.stdout)["products"][0]
    assert product["metadata"] == {"tier": "gold"}
    assert [p["recurring"] for p in product["prices"]] == [
        {"interval": "month", "interval_count": 1},
        None,
    ]
    listing = subprocess.run(
        spaps_command("products", "list", *data), capture_output=True, text=True, check=True
    )
    assert "prod_gold\tGold\tactive\ttier=gold" in listing.stdout
    archived = subprocess.run(
        spaps_command("products", "archive", "prod_gold", "--json", *data),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(archived.stdout)["products"][0]["active"] is False
    bad = subprocess.run(
        spaps_command("products", "create", "X", "--price", "abc", *data),
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "whole number" in bad.stderr
    dup = subprocess.run(
        spaps_command("products", "create", "Gold", "--id", "prod_gold", *data),
        capture_output=True,
        text=True,
    )
    assert dup.returncode == 1 and "already exists" in dup.stderr
