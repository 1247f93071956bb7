"""Solana addresses and ed25519 signatures: RFC 8032 vectors and PyNaCl as an oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from spaps_server.security.base58 import b58encode
from spaps_server.security.errors import InvalidSignatureError, InvalidWalletAddressError
from spaps_server.security.wallets.solana import (
    decode_solana_signature,
    is_valid_solana_address,
    normalize_solana_address,
    verify_solana_signature,
)

# RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte, 0x72 = "r").
RFC8032 = [
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "r",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]

MESSAGE = "Sign this message to authenticate with Sweet Potato: abc123"


def keypair(seed: bytes = b"\x07" * 32) -> tuple[SigningKey, str]:
    key = SigningKey(seed)
    return key, b58encode(bytes(key.verify_key))


def sign_b58(key: SigningKey, message: str) -> str:
    return b58encode(key.sign(message.encode()).signature)


@pytest.mark.parametrize(("public_hex", "message", "signature_hex"), RFC8032)
def test_rfc8032_vectors_verify(public_hex: str, message: str, signature_hex: str) -> None:
    address = b58encode(bytes.fromhex(public_hex))
    signature = bytes.fromhex(signature_hex)
    assert verify_solana_signature(address, message, b58encode(signature)) == address
    assert verify_solana_signature(address, message, signature_hex) == address
    with pytest.raises(InvalidSignatureError):
        verify_solana_signature(address, message + "x", b58encode(signature))
    flipped = bytearray(signature)
    flipped[10] ^= 0x40
    with pytest.raises(InvalidSignatureError):
        verify_solana_signature(address, message, b58encode(bytes(flipped)))


def test_pynacl_signature_verifies() -> None:
    key, address = keypair()
    assert verify_solana_signature(address, MESSAGE, sign_b58(key, MESSAGE)) == address


def test_hex_signature_with_or_without_prefix() -> None:
    key, address = keypair()
    raw = key.sign(MESSAGE.encode()).signature
    for form in (raw.hex(), "0x" + raw.hex(), raw.hex().upper()):
        assert verify_solana_signature(address, MESSAGE, form) == address


def test_altered_message_or_other_address_is_rejected() -> None:
    key, address = keypair()
    _, other_address = keypair(b"\x08" * 32)
    signature = sign_b58(key, MESSAGE)
    with pytest.raises(InvalidSignatureError) as info:
        verify_solana_signature(address, MESSAGE.replace("abc", "abd"), signature)
    assert info.value.code == "INVALID_SIGNATURE"
    assert info.value.reason == "mismatch"
    with pytest.raises(InvalidSignatureError):
        verify_solana_signature(other_address, MESSAGE, signature)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "0" * 44,
        "abc",
        "1" * 31,
        "1" * 33,
        b58encode(b"\x01" * 31),
        b58encode(b"\x01" * 33),
        "Hv3yF8...9kRt4",
        "z" * 45,
    ],
)
def test_invalid_addresses(address: str) -> None:
    assert not is_valid_solana_address(address)
    with pytest.raises(InvalidWalletAddressError) as info:
        normalize_solana_address(address)
    assert info.value.code == "INVALID_WALLET_ADDRESS"


def test_valid_addresses_normalise_to_themselves() -> None:
    system_program = "1" * 32
    assert normalize_solana_address(system_program) == system_program
    _, address = keypair()
    assert normalize_solana_address(address) == address


def test_off_curve_address_is_valid_but_cannot_sign() -> None:
    # An all-0xff public key is not a valid curve point (like a program-derived address).
    address = b58encode(b"\xff" * 32)
    assert is_valid_solana_address(address)
    with pytest.raises(InvalidSignatureError):
        verify_solana_signature(address, MESSAGE, b58encode(b"\x01" * 64))


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "0OIl",
        b58encode(b"\x01" * 63),
        b58encode(b"\x01" * 65),
        "ab" * 63,
        "ab" * 65,
        "z" * 89,
        "x" * 10_000,
    ],
)
def test_malformed_signatures(signature: str) -> None:
    with pytest.raises(InvalidSignatureError) as info:
        decode_solana_signature(signature)
    assert info.value.reason == "malformed"


def test_errors_do_not_echo_the_signature() -> None:
    key, address = keypair()
    signature = sign_b58(key, MESSAGE)
    with pytest.raises(InvalidSignatureError) as info:
        verify_solana_signature(address, "other", signature)
    assert signature[:12] not in repr(info.value)
    assert signature[:12] not in str(info.value)


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.text(max_size=300))
def test_random_keys_and_messages(seed: bytes, message: str) -> None:
    key, address = keypair(seed)
    signature = sign_b58(key, message)
    assert verify_solana_signature(address, message, signature) == address
    with pytest.raises(InvalidSignatureError):
        verify_solana_signature(address, message + "\u0000", signature)
