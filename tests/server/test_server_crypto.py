"""Crypto invoices (#38-#41) over real HTTP on SQLite and PostgreSQL: every settlement path
of the simulated chain (exact, under, over, expiry), validation of string amounts, the recon
token, idempotent replay, scoping by application, and ``spaps crypto pay``."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import sqlalchemy as sa

from spaps_server.storage.database import Database
from spaps_server.storage.tables import crypto_invoices

from .auth_support import Live, bearer, create_application, error_code, running
from .conftest import DbTarget, spaps_command

INVOICES = "/api/payments/crypto/invoices"


def signed_in(live: Live) -> dict[str, str]:
    return bearer(live.login()["access_token"])


def create(live: Live, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {"asset": "USDC", "network": "base", "amount": "42.75", **body}
    response = live.post(INVOICES, payload, headers=auth)
    assert response.status_code == 200, response.text
    invoice: dict[str, Any] = response.json()["data"]["invoice"]
    return invoice


def pay(live: Live, invoice_id: str, amount: str) -> Any:
    return live.post(f"/_dev/crypto-invoices/{invoice_id}/payments", {"amount": amount})


def status(live: Live, auth: dict[str, str], invoice_id: str) -> dict[str, Any]:
    response = live.http.get(f"{INVOICES}/{invoice_id}/status", headers=auth)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def stored_status(live: Live, invoice_id: str) -> str:
    """The status column as committed, read through a connection of this test's own."""
    config = live.ctx.config

    async def read() -> str:
        db = Database(config.effective_database_url, schema=config.database_schema)
        try:
            async with db.read() as conn:
                query = sa.select(crypto_invoices.c.status).where(
                    crypto_invoices.c.id == invoice_id
                )
                return str((await conn.execute(query)).scalar_one())
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_settlement_paths(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = signed_in(live)

        # Exact payment: confirmed with the normalized amount and one settlement id.
        exact = create(live, auth, metadata={"order_id": "ord_123"})
        assert exact["status"] == "pending" and exact["amount"] == "42.75"
        assert exact["invoice_id"] == exact["id"]
        assert exact["metadata"] == {
            "order_id": "ord_123",
            "application_id": live.ctx.default_application.id,
        }
        assert pay(live, exact["id"], "42.750").status_code == 200
        settled = status(live, auth, exact["id"])
        assert settled["status"] == "confirmed"
        assert settled["normalized_amount"] == "42.75"
        assert len(settled["settlement_ids"]) == 1
        assert settled["settlement_ids"][0].startswith("ledg_")
        assert settled["underpaid"] is False and settled["overpaid"] is False
        assert settled["finalized_at"] is not None
        again = pay(live, exact["id"], "1")
        assert again.status_code == 409 and error_code(again) == "INVOICE_FINALIZED"

        # Under-payment, then the rest: partially_paid, then confirmed with two settlements.
        under = create(live, auth, amount="10")
        first = pay(live, under["id"], "4.5").json()["data"]["status"]
        assert first["status"] == "partially_paid"
        assert first["underpaid"] is True and first["normalized_amount"] == "4.5"
        assert first["finalized_at"] is None
        got = live.http.get(f"{INVOICES}/{under['id']}", headers=auth).json()["data"]["invoice"]
        assert got["status"] == "partially_paid" and got["received_amount"] == "4.5"
        pay(live, under["id"], "5.5")
        rest = status(live, auth, under["id"])
        assert rest["status"] == "confirmed" and rest["normalized_amount"] == "10"
        assert len(rest["settlement_ids"]) == 2 and rest["underpaid"] is False

        # Over-payment: confirmed, overpaid, the excess recorded.
        over = create(live, auth, amount="1.5", asset="ETH", network="ethereum")
        body = pay(live, over["id"], "2.25").json()["data"]["status"]
        assert body["status"] == "confirmed" and body["overpaid"] is True
        assert body["excess_amount"] == "0.75" and body["normalized_amount"] == "2.25"

        # Expiry: unpaid and partly paid invoices expire on read once their time is up.
        unpaid = create(live, auth, expires_in_seconds=60)
        partial = create(live, auth, expires_in_seconds=60, amount="3")
        pay(live, partial["id"], "1")
        live.ctx.clock.advance(seconds=61)
        assert stored_status(live, unpaid["id"]) == "pending"  # not yet read
        gone = status(live, auth, unpaid["id"])
        assert gone["status"] == "expired" and gone["settlement_ids"] == []
        assert gone["normalized_amount"] is None
        assert stored_status(live, unpaid["id"]) == "expired"  # persisted by the read
        late = pay(live, partial["id"], "2")
        assert late.status_code == 409 and error_code(late) == "INVOICE_FINALIZED"
        expired_partial = status(live, auth, partial["id"])
        assert expired_partial["status"] == "expired" and expired_partial["underpaid"] is True
        # A confirmed invoice stays confirmed after its expiry time.
        assert status(live, auth, exact["id"])["status"] == "confirmed"


def test_validation_and_scoping(db_target: DbTarget) -> None:
    other_key = asyncio.run(create_application(db_target.config(), "other"))
    with running(db_target) as live:
        auth = signed_in(live)
        cases: list[tuple[dict[str, Any], str]] = [
            ({"amount": 42.75}, "INVALID_AMOUNT"),  # a number, not a string
            ({"amount": "1e3"}, "INVALID_AMOUNT"),
            ({"amount": "-1"}, "INVALID_AMOUNT"),
            ({"amount": "0"}, "INVALID_AMOUNT"),
            ({"amount": "1.0000001"}, "INVALID_AMOUNT"),  # USDC has 6 decimals
            ({"amount": "NaN"}, "INVALID_AMOUNT"),
            ({"asset": "DOGE"}, "UNSUPPORTED_ASSET"),
            ({"network": "solana", "asset": "ETH"}, "UNSUPPORTED_NETWORK"),
            ({"expires_in_seconds": 5}, "INVALID_EXPIRY"),
        ]
        for override, code in cases:
            body = {"asset": "USDC", "network": "base", "amount": "1", **override}
            response = live.post(INVOICES, body, headers=auth)
            assert response.status_code == 400, (override, response.text)
            assert error_code(response) == code, override
        invoice = create(live, auth)
        bad_payment = pay(live, invoice["id"], "0.0000001")
        assert bad_payment.status_code == 400 and error_code(bad_payment) == "INVALID_AMOUNT"
        missing = pay(live, "inv_missing", "1")
        assert missing.status_code == 404 and error_code(missing) == "INVOICE_NOT_FOUND"
        assert (
            live.post(INVOICES, {"asset": "USDC", "network": "base", "amount": "1"}).status_code
            == 401
        )

        # Another application's user cannot see the invoice.
        other = live.http.post(
            "/api/auth/register",
            json={"email": "o@example.com", "password": "Other-Pass-2024!"},
            headers={"X-API-Key": other_key},
        )
        assert other.status_code == 201, other.text
        other_auth = {"X-API-Key": other_key, **bearer(other.json()["tokens"]["access_token"])}
        hidden = live.http.get(f"{INVOICES}/{invoice['id']}", headers=other_auth)
        assert hidden.status_code == 404 and error_code(hidden) == "INVOICE_NOT_FOUND"


def test_idempotent_create(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = signed_in(live)
        headers = {**auth, "Idempotency-Key": "invoice-1"}
        body = {"asset": "USDC", "network": "base", "amount": "42.75"}
        first = live.post(INVOICES, body, headers=headers)
        replay = live.post(INVOICES, body, headers=headers)
        assert first.status_code == replay.status_code == 200
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == first.json()
        reused = live.post(INVOICES, {**body, "amount": "1"}, headers=headers)
        assert reused.status_code == 400 and error_code(reused) == "IDEMPOTENCY_KEY_REUSED"
        fresh = live.post(INVOICES, body, headers={**auth, "Idempotency-Key": "invoice-2"})
        assert fresh.json()["data"]["invoice"]["id"] != first.json()["data"]["invoice"]["id"]

        config = live.ctx.config

        async def count() -> int:
            db = Database(config.effective_database_url, schema=config.database_schema)
            try:
                async with db.read() as conn:
                    total = sa.select(sa.func.count()).select_from(crypto_invoices)
                    return int((await conn.execute(total)).scalar_one())
            finally:
                await db.dispose()

        assert asyncio.run(count()) == 2


def test_reconcile_needs_the_recon_token(db_target: DbTarget) -> None:
    other_key = asyncio.run(create_application(db_target.config(), "other"))
    with running(db_target) as live:
        auth = signed_in(live)
        token = live.ctx.config.secrets.recon_token
        assert token.startswith("rcn_")
        assert (live.ctx.config.data_dir / "recon_token").stat().st_mode & 0o777 == 0o600

        missing = live.post("/api/payments/crypto/reconcile", {}, headers=auth)
        assert missing.status_code == 401 and error_code(missing) == "RECON_TOKEN_REQUIRED"
        wrong = live.post(
            "/api/payments/crypto/reconcile", {}, headers={**auth, "X-Recon-Token": token + "x"}
        )
        assert wrong.status_code == 403 and error_code(wrong) == "INVALID_RECON_TOKEN"
        assert token not in wrong.text

        due = create(live, auth, expires_in_seconds=60)
        create(live, auth, expires_in_seconds=3600)
        live.ctx.clock.advance(seconds=120)
        response = live.post(
            "/api/payments/crypto/reconcile", {}, headers={**auth, "X-Recon-Token": token}
        )
        assert response.status_code == 200, response.text
        job = response.json()["data"]
        assert job["job_id"].startswith("job_") and job["scheduled_at"].endswith("Z")
        assert job["invoices_checked"] == 2 and job["invoices_expired"] == 1
        assert job["cursor"]["last_invoice_id"] is not None and job["has_more"] is False
        assert stored_status(live, due["id"]) == "expired"
        # Continuing from the cursor finds nothing newer.
        follow = live.post(
            "/api/payments/crypto/reconcile",
            {"cursor": job["cursor"]},
            headers={**auth, "X-Recon-Token": token},
        ).json()["data"]
        assert follow["invoices_checked"] == 0
        assert follow["cursor"] == job["cursor"]
        bad_cursor = live.post(
            "/api/payments/crypto/reconcile",
            {"cursor": {"last_invoice_id": 5}},
            headers={**auth, "X-Recon-Token": token},
        )
        assert bad_cursor.status_code == 400 and error_code(bad_cursor) == "INVALID_CURSOR"

        # The default application's token is not another application's.
        other = live.http.post(
            "/api/auth/register",
            json={"email": "o@example.com", "password": "Other-Pass-2024!"},
            headers={"X-API-Key": other_key},
        )
        other_auth = {"X-API-Key": other_key, **bearer(other.json()["tokens"]["access_token"])}
        foreign = live.http.post(
            "/api/payments/crypto/reconcile",
            json={},
            headers={**other_auth, "X-Recon-Token": token},
        )
        assert foreign.status_code == 403 and error_code(foreign) == "INVALID_RECON_TOKEN"

        page = live.http.get("/_dev/").text
        assert token in page


def test_cli_pay_and_startup_record(tmp_path: Any) -> None:
    from .conftest import start_spaps_local

    data_dir = tmp_path / "data"
    process = start_spaps_local("--data-dir", str(data_dir))
    try:
        record = process.record
        assert record["recon_token"] == (data_dir / "recon_token").read_text().strip()
        import httpx

        with httpx.Client(base_url=process.url, headers={"X-API-Key": record["api_key"]}) as http:
            login = http.post(
                "/api/auth/login", json={"email": "user@example.com", "password": "Secret123!"}
            ).json()["data"]
            auth = bearer(login["access_token"])
            invoice = http.post(
                INVOICES,
                json={"asset": "SOL", "network": "solana", "amount": "2"},
                headers=auth,
            ).json()["data"]["invoice"]
            paid = subprocess.run(
                spaps_command(
                    "crypto", "pay", invoice["id"], "2.5", "--data-dir", str(data_dir), "--json"
                ),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert paid.returncode == 0, paid.stderr
            out = json.loads(paid.stdout)
            assert out["status"]["status"] == "confirmed"
            assert out["status"]["excess_amount"] == "0.5"
            seen = http.get(f"{INVOICES}/{invoice['id']}/status", headers=auth).json()["data"]
            assert (
                seen["status"] == "confirmed"
                and seen["settlement_ids"] == out["status"]["settlement_ids"]
            )
            unknown = subprocess.run(
                spaps_command("crypto", "pay", "inv_nope", "1", "--data-dir", str(data_dir)),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert unknown.returncode == 1 and "not found" in unknown.stderr
    finally:
        process.stop()


def test_transaction_hash_recorded_once(db_target: DbTarget) -> None:
    with running(db_target) as live:
        auth = signed_in(live)
        first = create(live, auth, amount="5")
        second = create(live, auth, amount="5")
        tx = "0x" + "ab" * 32
        assert (
            live.post(
                f"/_dev/crypto-invoices/{first['id']}/payments",
                {"amount": "1", "transaction_hash": tx},
            ).status_code
            == 200
        )
        dup = live.post(
            f"/_dev/crypto-invoices/{second['id']}/payments",
            {"amount": "1", "transaction_hash": tx},
        )
        assert dup.status_code == 409 and error_code(dup) == "TRANSACTION_ALREADY_RECORDED"
        assert status(live, auth, second["id"])["status"] == "pending"
