"""EIP-55 addresses and EIP-191 personal_sign, checked against eth-account as an oracle."""

from __future__ import annotations

import coincurve
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from spaps_server.security.errors import InvalidSignatureError, InvalidWalletAddressError
from spaps_server.security.wallets.ethereum import (
    address_from_public_key,
    is_valid_ethereum_address,
    keccak256,
    personal_sign_hash,
    recover_personal_sign_address,
    to_checksum_address,
    verify_personal_sign,
)

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

# From EIP-55 itself.
EIP55_MIXED = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
EIP55_ALL_CAPS = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
]
EIP55_ALL_LOWER = [
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]

MESSAGE = "Sign this message to authenticate with Sweet Potato: abc123"
KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def sign(message: str, key: str = KEY) -> str:
    return str(Account.sign_message(encode_defunct(text=message), key).signature.hex())


def address_of(key: str = KEY) -> str:
    return str(Account.from_key(key).address)


def test_keccak256_is_not_sha3() -> None:
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


@pytest.mark.parametrize("address", EIP55_MIXED)
def test_eip55_vectors(address: str) -> None:
    assert is_valid_ethereum_address(address)
    assert to_checksum_address(address.lower()) == address
    assert to_checksum_address("0x" + address[2:].upper()) == address


@pytest.mark.parametrize("address", EIP55_ALL_CAPS + EIP55_ALL_LOWER)
def test_single_case_addresses_are_valid(address: str) -> None:
    assert is_valid_ethereum_address(address)
    assert to_checksum_address(address).lower() == address.lower()


@pytest.mark.parametrize("address", EIP55_MIXED)
def test_bad_mixed_case_checksum_is_rejected(address: str) -> None:
    body = address[2:]
    index = next(i for i, c in enumerate(body) if c.isalpha())
    flipped = body[:index] + body[index].swapcase() + body[index + 1 :]
    assert not is_valid_ethereum_address("0x" + flipped)
    with pytest.raises(InvalidWalletAddressError) as info:
        to_checksum_address("0x" + flipped)
    assert info.value.code == "INVALID_WALLET_ADDRESS"


@pytest.mark.parametrize(
    "address",
    [
        "",
        "0x",
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",
        " 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n",
    ],
)
def test_malformed_addresses_are_invalid(address: str) -> None:
    assert not is_valid_ethereum_address(address)


@given(st.binary(min_size=20, max_size=20))
def test_checksum_matches_eth_account_oracle(raw: bytes) -> None:
    from eth_utils.address import to_checksum_address as oracle

    assert to_checksum_address("0x" + raw.hex()) == oracle("0x" + raw.hex())


def test_address_of_private_key_one() -> None:
    public = coincurve.PrivateKey.from_int(1).public_key.format(compressed=False)
    assert address_from_public_key(public) == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"


def test_personal_sign_hash_matches_the_eip191_layout() -> None:
    expected = keccak256(b"\x19Ethereum Signed Message:\n5hello")
    assert personal_sign_hash(b"hello") == expected


def test_eth_account_signature_verifies() -> None:
    signature = sign(MESSAGE)
    assert verify_personal_sign(address_of(), MESSAGE, signature) == address_of()
    assert recover_personal_sign_address(MESSAGE, signature) == address_of()


def test_signature_forms_are_accepted() -> None:
    signature = sign(MESSAGE)
    raw = bytes.fromhex(signature.removeprefix("0x"))
    with_0x = "0x" + raw.hex()
    without_0x = raw.hex()
    upper = raw.hex().upper()
    v_zero_one = (raw[:64] + bytes([raw[64] - 27])).hex()
    for form in (with_0x, without_0x, upper, v_zero_one):
        assert verify_personal_sign(address_of(), MESSAGE, form) == address_of()


def test_claimed_address_case_does_not_matter() -> None:
    signature = sign(MESSAGE)
    address = address_of()
    assert verify_personal_sign(address.lower(), MESSAGE, signature) == address
    assert verify_personal_sign("0x" + address[2:].upper(), MESSAGE, signature) == address


def test_altered_message_is_rejected() -> None:
    signature = sign(MESSAGE)
    with pytest.raises(InvalidSignatureError) as info:
        verify_personal_sign(address_of(), MESSAGE + " ", signature)
    assert info.value.code == "INVALID_SIGNATURE"
    assert info.value.reason == "mismatch"


def test_other_address_is_rejected() -> None:
    other = Account.create().address
    with pytest.raises(InvalidSignatureError) as info:
        verify_personal_sign(other, MESSAGE, sign(MESSAGE))
    assert info.value.reason == "mismatch"


def test_bad_claimed_address_is_an_address_error() -> None:
    with pytest.raises(InvalidWalletAddressError):
        verify_personal_sign("0xnothex", MESSAGE, sign(MESSAGE))


def test_high_s_twin_is_rejected_as_non_canonical() -> None:
    raw = bytes.fromhex(sign(MESSAGE).removeprefix("0x"))
    s = int.from_bytes(raw[32:64], "big")
    # (r, n - s) with the other recovery id is the malleated twin: valid ECDSA, same signer.
    twin = raw[:32] + (N - s).to_bytes(32, "big") + bytes([55 - raw[64]])
    with pytest.raises(InvalidSignatureError) as info:
        verify_personal_sign(address_of(), MESSAGE, twin.hex())
    assert info.value.reason == "non_canonical"


@pytest.mark.parametrize("v", [2, 26, 29, 35, 36, 255])
def test_unexpected_v_is_rejected(v: int) -> None:
    raw = bytes.fromhex(sign(MESSAGE).removeprefix("0x"))
    with pytest.raises(InvalidSignatureError) as info:
        verify_personal_sign(address_of(), MESSAGE, (raw[:64] + bytes([v])).hex())
    assert info.value.reason == "non_canonical"


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "0x",
        "0x" + "ab" * 64,
        "0x" + "ab" * 66,
        "0x" + "zz" * 65,
        "0x" + "00" * 65,
        "0x" + "00" * 32 + "01" * 32 + "1b",
        "0x" + "ff" * 32 + "01" * 32 + "1b",
    ],
)
def test_malformed_signatures_are_rejected(signature: str) -> None:
    with pytest.raises(InvalidSignatureError) as info:
        verify_personal_sign(address_of(), MESSAGE, signature)
    assert info.value.reason == "malformed"


def test_errors_do_not_echo_the_signature() -> None:
    signature = sign(MESSAGE)
    with pytest.raises(InvalidSignatureError) as info:
        verify_personal_sign(address_of(), "other", signature)
    body = signature.removeprefix("0x")
    assert body[:16] not in repr(info.value)
    assert body[:16] not in str(info.value)


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.text(max_size=200))
def test_random_keys_and_messages_agree_with_the_oracle(secret: bytes, message: str) -> None:
    scalar = int.from_bytes(secret, "big")
    assume(0 < scalar < N)
    key = "0x" + secret.hex()
    signature = sign(message, key)
    assert verify_personal_sign(address_of(key), message, signature) == address_of(key)
    tampered = message + "!"
    with pytest.raises(InvalidSignatureError):
        verify_personal_sign(address_of(key), tampered, signature)
