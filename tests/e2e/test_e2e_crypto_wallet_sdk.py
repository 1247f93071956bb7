"""Our SDK (sync and async) against a real ``spaps local`` subprocess: crypto invoices paid
on the simulated chain, reconciliation with the recon token from the start-up record, a
wallet deposit confirmed and credited, a payment intent confirmed with a test card, and the
default payment method, each through ``spaps.payments`` and ``spaps.payments.crypto``."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from eth_account import Account

from spaps_client import AsyncSpapsClient, SpapsClient
from spaps_client.errors import CryptoPaymentsError, PaymentsError

from .conftest import API_KEY, LocalServer


def _dev(server: LocalServer, path: str, body: dict[str, object]) -> dict[str, object]:
    response = httpx.post(server.url + path, json=body, timeout=10)
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()["data"]
    return data


def test_sync_client_drives_crypto_and_wallet_payments(local_server: LocalServer) -> None:
    with SpapsClient(base_url=local_server.url, api_key=API_KEY) as spaps:
        spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")

        invoice = spaps.payments.crypto.create_invoice(
            asset="USDC", network="base", amount="42.75", metadata={"order_id": "ord_1"}
        )
        assert invoice.status == "pending" and invoice.amount == "42.75"
        _dev(local_server, f"/_dev/crypto-invoices/{invoice.invoice_id}/payments", {"amount": "40"})
        partial = spaps.payments.crypto.get_invoice_status(invoice.invoice_id)
        assert partial.status == "partially_paid" and partial.underpaid is True
        _dev(
            local_server, f"/_dev/crypto-invoices/{invoice.invoice_id}/payments", {"amount": "2.75"}
        )
        settled = spaps.payments.crypto.get_invoice_status(invoice.invoice_id)
        assert settled.status == "confirmed" and settled.normalized_amount == "42.75"
        assert settled.settlement_ids is not None and len(settled.settlement_ids) == 2
        assert spaps.payments.crypto.get_invoice(invoice.invoice_id).status == "confirmed"

        # The SDK's idempotency key makes a retried create return the same invoice.
        once = spaps.payments.crypto.create_invoice(
            asset="SOL", network="solana", amount="1", idempotency_key="order-7"
        )
        twice = spaps.payments.crypto.create_invoice(
            asset="SOL", network="solana", amount="1", idempotency_key="order-7"
        )
        assert once.invoice_id == twice.invoice_id

        job = spaps.payments.crypto.reconcile(recon_token=local_server.record["recon_token"])
        assert job.job_id.startswith("job_") and job.cursor is not None
        with pytest.raises(CryptoPaymentsError) as denied:
            spaps.payments.crypto.reconcile(recon_token="rcn_wrong")
        assert denied.value.status_code == 403
        assert denied.value.error_code == "INVALID_RECON_TOKEN"

        deposit = spaps.payments.wallet_deposit(
            wallet_address=Account.create().address,
            chain_type="ethereum",
            transaction_id="0x" + secrets.token_hex(32),
            amount=25.5,
            currency="USDC",
        )
        assert deposit.status == "pending" and deposit.confirmation_required == 12
        _dev(
            local_server, f"/_dev/wallet-deposits/{deposit.deposit_id}/confirmations", {"count": 12}
        )
        tx = spaps.payments.get_wallet_transaction(transaction_id=deposit.deposit_id)
        assert tx.status == "confirmed" and tx.balance_added == 25.5

        intent = spaps.payments.create_payment_intent(amount=1000, currency="usd")
        assert intent.status == "requires_confirmation"
        declined = _dev(
            local_server,
            f"/_dev/payment-intents/{intent.payment_intent_id}/confirm",
            {"card": "4000000000009995"},
        )
        assert declined["status"] == "requires_payment_method"
        paid = _dev(
            local_server,
            f"/_dev/payment-intents/{intent.payment_intent_id}/confirm",
            {"card": "4242424242424242"},
        )
        assert paid["status"] == "succeeded"

        overview = spaps.payments.get_balance()
        assert overview.balance.available == 35.5 and overview.balance.currency == "USD"

        method = spaps.payments.update_payment_method(
            payment_method_id=str(paid["payment_method"]), set_default=True
        )
        assert method.is_default is True and method.customer_id
        with pytest.raises(PaymentsError) as missing:
            spaps.payments.update_payment_method(payment_method_id="pm_nope")
        assert missing.value.status_code == 404
        assert missing.value.error_code == "PAYMENT_METHOD_NOT_FOUND"


def test_async_client_drives_crypto_invoices(local_server: LocalServer) -> None:
    async def scenario() -> None:
        async with AsyncSpapsClient(base_url=local_server.url, api_key=API_KEY) as spaps:
            await spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")
            invoice = await spaps.payments.crypto.create_invoice(
                asset="ETH", network="ethereum", amount="0.5"
            )
            _dev(
                local_server,
                f"/_dev/crypto-invoices/{invoice.invoice_id}/payments",
                {"amount": "0.75"},
            )
            status = await spaps.payments.crypto.get_invoice_status(invoice.invoice_id)
            assert status.status == "confirmed" and status.overpaid is True
            balance = await spaps.payments.get_balance()
            assert balance.balance.available == 0.0
            with pytest.raises(CryptoPaymentsError) as missing:
                await spaps.payments.crypto.get_invoice("inv_missing")
            assert missing.value.error_code == "INVOICE_NOT_FOUND"

    asyncio.run(scenario())
