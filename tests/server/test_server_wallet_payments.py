"""Wallet deposits, balance, payment intents and payment methods (#18-#22) over real HTTP on
SQLite and PostgreSQL: deposits gaining confirmations on the server clock and on ``/_dev/``
until confirmed and credited (once), intent confirmation with success and decline cards,
default payment methods, and idempotent replay of every mutating route."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import sqlalchemy as sa
from nacl.signing import SigningKey

from spaps_server.security.base58 import b58encode
from spaps_server.storage.database import Database
from spaps_server.storage.tables import balance_entries, payment_methods

from .auth_support import Live, bearer, error_code, eth_wallet, running
from .conftest import DbTarget

PAY = "/api/payments"


def signed_in(live: Live, email: str = "user@example.com") -> dict[str, str]:
    return bearer(live.login(email)["access_token"])


def evm_tx() -> str:
    return "0x" + secrets.token_hex(32)


def deposit(live: Live, auth: dict[str, str], **body: Any) -> Any:
    address, _ = eth_wallet()
    payload = {
        "wallet_address": address,
        "chain_type": "ethereum",
        "transaction_id": evm_tx(),
        "amount": 100.0,
        "currency": "USDC",
        **body,
    }
    return live.post(f"{PAY}/wallet-deposit", payload, headers=auth)


def balance(live: Live, auth: dict[str, str]) -> dict[str, Any]:
    response = live.http.get(f"{PAY}/balance", headers=auth)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def count_rows(live: Live, table: sa.Table) -> int:
    config = live.ctx.config

    async def count() -> int:
        db = Database(config.effective_database_url, schema=config.database_schema)
        try:
            async with db.read() as conn:
                query = sa.select(sa.func.count()).select_from(table)
                return int((await conn.execute(query)).scalar_one())
        finally:
            await db.dispose()

    return asyncio.run(count())


def test_deposit_confirms_on_the_clock_and_credits_once(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = signed_in(live)
        start = balance(live, auth)
        assert start["balance"] == {
            "available": 0.0,
            "pending": 0.0,
            "currency": "USD",
            "available_amount": "0",
            "pending_amount": "0",
        }
        assert start["tier"] == "basic" and "current_period_start" in start["usage"]

        created = deposit(live, auth, amount=100.25)
        assert created.status_code == 200, created.text
        dep = created.json()["data"]
        assert dep["deposit_id"].startswith("dep_") and dep["status"] == "pending"
        assert dep["confirmation_required"] == 12 and dep["confirmation_current"] == 0
        assert dep["amount"] == 100.25 and dep["currency"] == "USDC"
        assert balance(live, auth)["balance"]["pending"] == 100.25

        # Ethereum mines a block every 12 s: after 60 s, five confirmations.
        live.ctx.clock.advance(seconds=60)
        tx_path = f"{PAY}/wallet-transaction/{dep['transaction_id']}"
        halfway = live.http.get(tx_path, headers=auth).json()["data"]
        assert halfway["status"] == "pending" and halfway["confirmations"] == 5
        assert halfway["balance_added"] is None and halfway["completed_at"] is None

        live.ctx.clock.advance(seconds=7 * 12)
        done = live.http.get(tx_path, headers=auth).json()["data"]
        assert done["status"] == "confirmed" and done["confirmations"] == 12
        assert done["balance_added"] == 100.25 and done["completed_at"] is not None
        after = balance(live, auth)["balance"]
        assert after["available"] == 100.25 and after["pending"] == 0.0
        # Reading again credits nothing more: one ledger entry per deposit.
        assert balance(live, auth)["balance"]["available"] == 100.25
        assert count_rows(live, balance_entries) == 1

        # Another user of the application sees neither the deposit nor the balance.
        other = signed_in(live, "premium@example.com")
        hidden = live.http.get(tx_path, headers=other)
        assert hidden.status_code == 404 and error_code(hidden) == "TRANSACTION_NOT_FOUND"
        assert balance(live, other)["balance"]["available"] == 0.0


def test_dev_confirmations_and_solana(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = signed_in(live)
        address = b58encode(bytes(SigningKey.generate().verify_key))
        tx = b58encode(secrets.token_bytes(64))
        created = deposit(
            live, auth, chain_type="solana", wallet_address=address, transaction_id=tx, amount=7
        )
        assert created.status_code == 200, created.text
        dep = created.json()["data"]
        assert dep["confirmation_required"] == 32
        step = live.post(f"/_dev/wallet-deposits/{dep['deposit_id']}/confirmations", {"count": 30})
        assert step.json()["data"]["confirmation_current"] == 30
        assert step.json()["data"]["status"] == "pending"
        final = live.post(f"/_dev/wallet-deposits/{dep['deposit_id']}/confirmations", {"count": 2})
        assert final.json()["data"]["status"] == "confirmed"
        assert balance(live, auth)["balance"]["available"] == 7.0
        extra = live.post(f"/_dev/wallet-deposits/{dep['deposit_id']}/confirmations", {"count": 1})
        assert extra.status_code == 409 and error_code(extra) == "DEPOSIT_ALREADY_CONFIRMED"
        by_id = live.http.get(f"{PAY}/wallet-transaction/{dep['deposit_id']}", headers=auth)
        assert by_id.json()["data"]["transaction_id"] == tx
        assert count_rows(live, balance_entries) == 1


def test_deposit_validation(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = signed_in(live)
        cases: list[tuple[dict[str, Any], int, str]] = [
            ({"transaction_id": "0x123abc"}, 422, "INVALID_TRANSACTION"),
            ({"chain_type": "solana", "transaction_id": "abc"}, 400, "INVALID_WALLET_ADDRESS"),
            ({"chain_type": "dogecoin"}, 400, "UNSUPPORTED_CHAIN"),
            ({"wallet_address": "0x1234"}, 400, "INVALID_WALLET_ADDRESS"),
            ({"currency": "ETH"}, 400, "UNSUPPORTED_CURRENCY"),
            ({"amount": 0}, 400, "INVALID_AMOUNT"),
            ({"amount": -5}, 400, "INVALID_AMOUNT"),
            ({"amount": 1.0000001}, 400, "INVALID_AMOUNT"),
        ]
        for override, status_code, code in cases:
            response = deposit(live, auth, **override)
            assert response.status_code == status_code, (override, response.text)
            assert error_code(response) == code, override
        tx = evm_tx()
        assert deposit(live, auth, transaction_id=tx).status_code == 200
        twice = deposit(live, auth, transaction_id=tx.upper().replace("0X", "0x"))
        assert twice.status_code == 409 and error_code(twice) == "TRANSACTION_ALREADY_RECORDED"
        missing = live.http.get(f"{PAY}/wallet-transaction/{evm_tx()}", headers=auth)
        assert missing.status_code == 404 and error_code(missing) == "TRANSACTION_NOT_FOUND"


def test_payment_intents_with_test_cards(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = signed_in(live)

        def intent(amount: int = 4200, currency: str = "usd") -> dict[str, Any]:
            response = live.post(
                f"{PAY}/create-payment-intent",
                {"amount": amount, "currency": currency, "metadata": {"order": "1"}},
                headers=auth,
            )
            assert response.status_code == 200, response.text
            data: dict[str, Any] = response.json()["data"]
            return data

        def confirm(intent_id: str, card: str) -> Any:
            return live.post(f"/_dev/payment-intents/{intent_id}/confirm", {"card": card})

        created = intent()
        assert created["status"] == "requires_confirmation"
        assert created["payment_intent_id"].startswith("pi_")
        assert created["client_secret"].startswith(created["payment_intent_id"] + "_secret_")
        assert created["payment_method_types"] == ["card"]

        declines = {
            "4000000000000002": "generic_decline",
            "4000000000009995": "insufficient_funds",
            "4000000000000069": "expired_card",
            "4000000000000127": "incorrect_cvc",
        }
        for card, code in declines.items():
            failed = confirm(created["id"], card).json()["data"]
            assert failed["status"] == "requires_payment_method", card
            assert failed["last_payment_error"]["decline_code"] == code
        auth_card = confirm(created["id"], "4000 0025 0000 3155").json()["data"]
        assert auth_card["status"] == "requires_action"
        invalid = confirm(created["id"], "4242424242424241")
        assert invalid.status_code == 400 and error_code(invalid) == "INVALID_CARD"
        assert balance(live, auth)["balance"]["available"] == 0.0

        ok = confirm(created["id"], "4242 4242 4242 4242").json()["data"]
        assert ok["status"] == "succeeded" and ok["last_payment_error"] is None
        assert ok["payment_method"].startswith("pm_")
        assert balance(live, auth)["balance"]["available"] == 42.0
        twice = confirm(created["id"], "4242424242424242")
        assert twice.status_code == 409 and error_code(twice) == "PAYMENT_INTENT_UNEXPECTED_STATE"

        euros = intent(currency="eur")
        confirm(euros["id"], "4242424242424242")
        assert balance(live, auth)["balance"]["available"] == 42.0  # the balance is dollars

        missing = confirm("pi_missing", "4242424242424242")
        assert missing.status_code == 404 and error_code(missing) == "PAYMENT_INTENT_NOT_FOUND"
        for body, code in [
            ({"amount": 0, "currency": "usd"}, "INVALID_AMOUNT"),
            ({"amount": 100, "currency": "dollars"}, "UNSUPPORTED_CURRENCY"),
            (
                {"amount": 100, "currency": "usd", "payment_method_types": ["sepa_debit"]},
                "UNSUPPORTED_PAYMENT_METHOD_TYPE",
            ),
        ]:
            rejected = live.post(f"{PAY}/create-payment-intent", body, headers=auth)
            assert rejected.status_code == 400 and error_code(rejected) == code

        # The card of the succeeded intent is the customer's to make default.
        made = live.post(
            f"{PAY}/update-payment-method",
            {"payment_method_id": ok["payment_method"], "set_default": True},
            headers=auth,
        ).json()["data"]
        assert made["is_default"] is True and made["last4"] == "4242"
        assert made["customer_id"].startswith("cus_")
        # Another user cannot use it.
        other = live.post(
            f"{PAY}/update-payment-method",
            {"payment_method_id": ok["payment_method"]},
            headers=signed_in(live, "premium@example.com"),
        )
        assert other.status_code == 404 and error_code(other) == "PAYMENT_METHOD_NOT_FOUND"


def test_default_payment_method(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = signed_in(live)

        def update(**body: Any) -> Any:
            return live.post(f"{PAY}/update-payment-method", body, headers=auth)

        visa = update(payment_method_id="pm_card_visa").json()["data"]
        assert visa == {
            "message": "Default payment method updated",
            "customer_id": visa["customer_id"],
            "payment_method_id": "pm_card_visa",
            "is_default": True,
            "brand": "visa",
            "last4": "4242",
        }
        master = update(payment_method_id="pm_card_mastercard", set_default=True).json()["data"]
        assert master["is_default"] is True and master["customer_id"] == visa["customer_id"]
        config = live.ctx.config

        async def defaults() -> list[str]:
            db = Database(config.effective_database_url, schema=config.database_schema)
            try:
                async with db.read() as conn:
                    rows = await conn.execute(
                        sa.select(payment_methods.c.payment_method_id).where(
                            payment_methods.c.is_default.is_(True)
                        )
                    )
                    return [str(r) for r in rows.scalars()]
            finally:
                await db.dispose()

        assert asyncio.run(defaults()) == ["pm_card_mastercard"]
        cleared = update(payment_method_id="pm_card_mastercard", set_default=False).json()["data"]
        assert cleared["is_default"] is False
        assert asyncio.run(defaults()) == []
        unknown = update(payment_method_id="pm_unknown")
        assert unknown.status_code == 404 and error_code(unknown) == "PAYMENT_METHOD_NOT_FOUND"
        empty = update(payment_method_id="")
        assert empty.status_code == 400


def test_idempotent_replay_of_mutations(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = signed_in(live)
        address, _ = eth_wallet()
        requests: list[tuple[str, dict[str, Any]]] = [
            (f"{PAY}/create-payment-intent", {"amount": 500, "currency": "usd"}),
            (
                f"{PAY}/wallet-deposit",
                {
                    "wallet_address": address,
                    "chain_type": "base",
                    "transaction_id": evm_tx(),
                    "amount": 5.5,
                    "currency": "USDC",
                },
            ),
            (f"{PAY}/update-payment-method", {"payment_method_id": "pm_card_amex"}),
        ]
        for index, (path, body) in enumerate(requests):
            headers = {**auth, "Idempotency-Key": f"key-{index}"}
            first = live.post(path, body, headers=headers)
            replay = live.post(path, body, headers=headers)
            assert first.status_code == 200, first.text
            assert replay.status_code == 200 and replay.json() == first.json(), path
            assert replay.headers["Idempotent-Replayed"] == "true"
        # Without the key, the same deposit is refused as already recorded.
        again = live.post(requests[1][0], requests[1][1], headers=auth)
        assert again.status_code == 409 and error_code(again) == "TRANSACTION_ALREADY_RECORDED"
