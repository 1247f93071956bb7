"""Wallet sign-in (Ethereum EIP-191 and Solana ed25519) over real HTTP: nonces bound to the
wallet and application, single use, 5-minute lifetime, and the precise failure codes."""

from __future__ import annotations

import pytest

from .auth_support import bearer, error_code, eth_sign, eth_wallet, running, sol_sign, sol_wallet
from .conftest import DbTarget


def _wallet(chain: str):
    if chain == "ethereum":
        address, account = eth_wallet()
        return address, lambda message: eth_sign(account, message)
    address, key = sol_wallet()
    return address, lambda message: sol_sign(key, message)


@pytest.mark.parametrize("chain", ["ethereum", "solana"])
def test_wallet_sign_in_creates_the_user_then_finds_it(db_target: DbTarget, chain: str):
    address, sign = _wallet(chain)
    with running(db_target) as live:
        nonce = live.post("/api/auth/nonce", {"wallet_address": address, "chain": chain})
        assert nonce.status_code == 200, nonce.text
        data = nonce.json()["data"]
        assert set(data) >= {"nonce", "message", "wallet_address", "expires_at"}
        assert (
            data["nonce"] in data["message"] and live.ctx.default_application.id in data["message"]
        )
        body = {
            "wallet_address": address,
            "signature": sign(data["message"]),
            "message": data["message"],
            "chain_type": chain,
        }
        first = live.post("/api/auth/wallet-sign-in", body)
        assert first.status_code == 200, first.text
        pair = first.json()["data"]
        assert pair["user"]["wallet_address"] == data["wallet_address"]
        assert pair["user"]["chain"] == chain and pair["token_type"] == "Bearer"
        assert pair["user"]["wallets"] == [data["wallet_address"]]
        profile = live.http.get("/api/auth/user", headers=bearer(pair["access_token"]))
        assert profile.json()["data"]["user"]["wallets"] == [
            {"wallet_address": data["wallet_address"], "chain_type": chain, "verified": True}
        ]
        current = live.http.get("/api/sessions/current", headers=bearer(pair["access_token"]))
        assert current.json()["data"]["session"]["wallets_count"] == 1

        replay = live.post("/api/auth/wallet-sign-in", body)
        assert replay.status_code == 401 and error_code(replay) == "NONCE_ALREADY_USED"

        again = live.post("/api/auth/nonce", {"wallet_address": address, "chain": chain})
        message = again.json()["data"]["message"]
        second = live.post(
            "/api/auth/wallet-sign-in",
            {**body, "message": message, "signature": sign(message)},
        )
        assert second.json()["data"]["user"]["id"] == pair["user"]["id"]


@pytest.mark.parametrize("chain", ["ethereum", "solana"])
def test_bad_signatures_are_refused(db_target: DbTarget, chain: str):
    address, _sign = _wallet(chain)
    _other, other_sign = _wallet(chain)
    with running(db_target) as live:
        message = live.post("/api/auth/nonce", {"wallet_address": address, "chain": chain}).json()[
            "data"
        ]["message"]
        body = {"wallet_address": address, "message": message, "chain_type": chain}
        wrong_key = live.post(
            "/api/auth/wallet-sign-in", {**body, "signature": other_sign(message)}
        )
        assert wrong_key.status_code == 401 and error_code(wrong_key) == "INVALID_SIGNATURE"
        garbage = live.post("/api/auth/wallet-sign-in", {**body, "signature": "0xdeadbeef"})
        assert garbage.status_code == 401 and error_code(garbage) == "INVALID_SIGNATURE"
        # A refused signature does not spend the nonce.
        assert live.post(
            "/api/auth/wallet-sign-in", {**body, "signature": _sign(message)}
        ).is_success


def test_expired_and_foreign_nonces(db_target: DbTarget):
    address, sign = _wallet("ethereum")
    with running(db_target) as live:
        message = live.post("/api/auth/nonce", {"wallet_address": address}).json()["data"][
            "message"
        ]
        body = {"wallet_address": address, "message": message, "signature": sign(message)}
        live.ctx.clock.advance(seconds=5 * 60 + 1)
        late = live.post("/api/auth/wallet-sign-in", body)
        assert late.status_code == 401 and error_code(late) == "NONCE_EXPIRED"

        forged = message.replace("Chain: ethereum", "Chain: ethereum ")
        made_up = live.post(
            "/api/auth/wallet-sign-in", {**body, "message": forged, "signature": sign(forged)}
        )
        assert made_up.status_code == 401 and error_code(made_up) == "NONCE_NOT_FOUND"
        other_address, other_sign = _wallet("ethereum")
        fresh = live.post("/api/auth/nonce", {"wallet_address": address}).json()["data"]["message"]
        stolen = live.post(
            "/api/auth/wallet-sign-in",
            {"wallet_address": other_address, "message": fresh, "signature": other_sign(fresh)},
        )
        assert stolen.status_code == 401 and error_code(stolen) == "NONCE_NOT_FOUND"


def test_invalid_addresses_and_chains(sqlite_target: DbTarget):
    with running(sqlite_target) as live:
        bad = live.post("/api/auth/nonce", {"wallet_address": "0x123", "chain": "ethereum"})
        assert bad.status_code == 400 and error_code(bad) == "INVALID_WALLET_ADDRESS"
        address, _ = _wallet("ethereum")
        chain = live.post("/api/auth/nonce", {"wallet_address": address, "chain": "dogecoin"})
        assert chain.status_code == 400 and error_code(chain) == "UNSUPPORTED_CHAIN"
        sign_in = live.post(
            "/api/auth/wallet-sign-in",
            {"wallet_address": "nope", "message": "m", "signature": "s", "chain_type": "solana"},
        )
        assert sign_in.status_code == 400 and error_code(sign_in) == "INVALID_WALLET_ADDRESS"
