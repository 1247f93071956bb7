"""Chain dispatch, address normalisation and the sign-in nonce message."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from nacl.signing import SigningKey

from spaps_server.security.base58 import b58encode
from spaps_server.security.errors import (
    InvalidSignatureError,
    InvalidWalletAddressError,
    NonceMessageError,
    UnsupportedChainError,
    WalletError,
)
from spaps_server.security.wallets import (
    NONCE_LIFETIME,
    NONCE_MESSAGE_PREFIX,
    build_nonce_message,
    canonical_chain,
    new_nonce,
    normalize_address,
    resolve_chain,
    verify_wallet_signature,
)

ETH_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
SOL_KEY = SigningKey(b"\x11" * 32)
SOL_ADDRESS = b58encode(bytes(SOL_KEY.verify_key))
ETH_ACCOUNT = Account.from_key("0x" + "22" * 32)
ISSUED = datetime(2025, 1, 9, 10, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("ethereum", "ethereum"),
        ("eth", "ethereum"),
        ("ETH", "ethereum"),
        (" Ethereum ", "ethereum"),
        ("solana", "solana"),
        ("sol", "solana"),
        ("SOL", "solana"),
    ],
)
def test_chain_aliases(name: str, canonical: str) -> None:
    assert canonical_chain(name) == canonical


@pytest.mark.parametrize("name", ["", "bitcoin", "polygon", "eth2", "so-l"])
def test_unsupported_chains(name: str) -> None:
    with pytest.raises(UnsupportedChainError) as info:
        canonical_chain(name)
    assert info.value.code == "UNSUPPORTED_CHAIN"
    assert isinstance(info.value, WalletError)


def test_normalize_address_per_chain() -> None:
    assert normalize_address("eth", ETH_ADDRESS.lower()) == ETH_ADDRESS
    assert normalize_address("solana", SOL_ADDRESS) == SOL_ADDRESS
    with pytest.raises(InvalidWalletAddressError):
        normalize_address("ethereum", SOL_ADDRESS)
    with pytest.raises(InvalidWalletAddressError):
        normalize_address("sol", ETH_ADDRESS)
    with pytest.raises(UnsupportedChainError):
        normalize_address("btc", ETH_ADDRESS)


def test_resolve_chain_infers_from_the_address() -> None:
    assert resolve_chain(None, ETH_ADDRESS) == "ethereum"
    assert resolve_chain("", SOL_ADDRESS) == "solana"
    assert resolve_chain("sol", SOL_ADDRESS) == "solana"
    with pytest.raises(InvalidWalletAddressError):
        resolve_chain(None, "0xabc")


def test_dispatch_ethereum() -> None:
    message = "hello from ethereum"
    signature = Account.sign_message(encode_defunct(text=message), ETH_ACCOUNT.key).signature
    address = ETH_ACCOUNT.address
    for chain in ("eth", "ethereum", "Ethereum"):
        assert verify_wallet_signature(chain, address.lower(), message, signature.hex()) == address
    with pytest.raises(InvalidSignatureError):
        verify_wallet_signature("eth", address, message + ".", signature.hex())


def test_dispatch_solana() -> None:
    message = "hello from solana"
    signature = b58encode(SOL_KEY.sign(message.encode()).signature)
    for chain in ("sol", "solana"):
        assert verify_wallet_signature(chain, SOL_ADDRESS, message, signature) == SOL_ADDRESS
    with pytest.raises(InvalidSignatureError):
        verify_wallet_signature("sol", SOL_ADDRESS, message + ".", signature)


def test_dispatch_rejects_a_signature_from_the_other_chain() -> None:
    message = "cross-chain"
    eth_signature = Account.sign_message(encode_defunct(text=message), ETH_ACCOUNT.key).signature
    with pytest.raises(InvalidSignatureError):
        verify_wallet_signature("solana", SOL_ADDRESS, message, eth_signature.hex())
    with pytest.raises(UnsupportedChainError):
        verify_wallet_signature("tron", SOL_ADDRESS, message, "00")


# --- nonce message -------------------------------------------------------------------------


def build(**overrides: object) -> str:
    params: dict[str, object] = {
        "wallet_address": ETH_ADDRESS.lower(),
        "chain": "eth",
        "application_id": "app_789",
        "nonce": "abc123",
        "issued_at": ISSUED,
        "expires_at": ISSUED + NONCE_LIFETIME,
    }
    params.update(overrides)
    return build_nonce_message(**params)  # type: ignore[arg-type]


def test_nonce_message_exact_text() -> None:
    assert build() == (
        "Sign this message to authenticate with Sweet Potato: abc123\n"
        "\n"
        "Wallet: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n"
        "Chain: ethereum\n"
        "Application: app_789\n"
        "Issued At: 2025-01-09T10:00:00Z\n"
        "Expires At: 2025-01-09T10:05:00Z"
    )


def test_nonce_message_starts_with_prefix_and_nonce() -> None:
    nonce = new_nonce()
    message = build(nonce=nonce, chain="sol", wallet_address=SOL_ADDRESS)
    assert message.startswith(NONCE_MESSAGE_PREFIX + nonce + "\n")
    assert f"Wallet: {SOL_ADDRESS}\n" in message
    assert "Chain: solana\n" in message


def test_nonce_times_are_written_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2025, 1, 9, 12, 0, 0, 999_999, tzinfo=plus_two)
    message = build(issued_at=local, expires_at=local + timedelta(minutes=5))
    assert "Issued At: 2025-01-09T10:00:00Z" in message
    assert "Expires At: 2025-01-09T10:05:00Z" in message


def test_new_nonce_is_random_hex() -> None:
    nonces = {new_nonce() for _ in range(20)}
    assert len(nonces) == 20
    assert all(len(n) == 32 and int(n, 16) >= 0 for n in nonces)


@pytest.mark.parametrize(
    "overrides",
    [
        {"nonce": ""},
        {"nonce": "abc\n123"},
        {"nonce": "abc 123"},
        {"nonce": "x" * 129},
        {"application_id": ""},
        {"application_id": "app\nWallet: 0xevil"},
        {"issued_at": datetime(2025, 1, 9, 10, 0, 0)},
        {"expires_at": ISSUED},
        {"expires_at": ISSUED - timedelta(seconds=1)},
    ],
)
def test_nonce_message_rejects_bad_inputs(overrides: dict[str, object]) -> None:
    with pytest.raises(NonceMessageError) as info:
        build(**overrides)
    assert info.value.code is None  # the server's own failure: no wire code


def test_nonce_message_validates_chain_and_address() -> None:
    with pytest.raises(UnsupportedChainError):
        build(chain="btc")
    with pytest.raises(InvalidWalletAddressError):
        build(wallet_address="0x5aAeb6053f3E94C9b9A09f33669435E7Ef1BeAed")


def test_full_flow_sign_the_built_message() -> None:
    message = build(wallet_address=ETH_ACCOUNT.address.lower(), nonce=new_nonce())
    signature = Account.sign_message(encode_defunct(text=message), ETH_ACCOUNT.key).signature
    assert verify_wallet_signature("eth", ETH_ACCOUNT.address, message, signature.hex()) == (
        ETH_ACCOUNT.address
    )
    sol_message = build(wallet_address=SOL_ADDRESS, chain="solana", nonce=new_nonce())
    sol_signature = b58encode(SOL_KEY.sign(sol_message.encode()).signature)
    assert verify_wallet_signature("solana", SOL_ADDRESS, sol_message, sol_signature) == (
        SOL_ADDRESS
    )
