"""Base58 (bitcoin alphabet): published vectors and round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spaps_server.security.base58 import ALPHABET, b58decode, b58encode
from spaps_server.security.errors import Base58DecodeError

# Vectors from the base58 draft (draft-msporny-base58) and bitcoin's base58_encode_decode.json.
VECTORS = [
    (b"", ""),
    (b"hello world", "StV1DL6CwTryKyV"),
    (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
    (
        b"The quick brown fox jumps over the lazy dog.",
        "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
    ),
    (bytes.fromhex("0000287fb4cd"), "11233QC4"),
    (bytes.fromhex("61"), "2g"),
    (bytes.fromhex("626262"), "a3gV"),
    (bytes.fromhex("636363"), "aPEr"),
    (
        bytes.fromhex("00eb15231dfceb60925886b67d065299925915aeb172c06647"),
        "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
    ),
    (bytes.fromhex("516b6fcd0f"), "ABnLTmg"),
    (bytes.fromhex("572e4794"), "3EFU7m"),
    (bytes.fromhex("ecac89cad93923c02321"), "EJDM8drfXA6uyA"),
    (bytes.fromhex("10c8511e"), "Rt5zm"),
    (bytes.fromhex("00000000000000000000"), "1111111111"),
    (b"\x00", "1"),
    (b"\x00\x00\x01", "112"),
]


@pytest.mark.parametrize(("raw", "text"), VECTORS)
def test_published_vectors(raw: bytes, text: str) -> None:
    assert b58encode(raw) == text
    assert b58decode(text) == raw


def test_thirty_two_zero_bytes_is_the_solana_system_program() -> None:
    assert b58encode(bytes(32)) == "1" * 32


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc0", " 2g", "2g ", "+", "é"])
def test_characters_outside_the_alphabet_are_rejected(bad: str) -> None:
    with pytest.raises(Base58DecodeError) as info:
        b58decode(bad)
    assert info.value.code is None  # the server's own failure: no wire code


@given(st.binary(max_size=128))
def test_round_trip_bytes(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data


@given(st.text(alphabet=ALPHABET, max_size=100))
def test_round_trip_text(text: str) -> None:
    # Base58 is canonical: every string over the alphabet is the encoding of its decoding.
    assert b58encode(b58decode(text)) == text


@given(st.integers(min_value=0, max_value=10), st.binary(max_size=40))
def test_leading_zero_bytes_map_to_leading_ones(zeros: int, data: bytes) -> None:
    body = data.lstrip(b"\x00")
    encoded = b58encode(b"\x00" * zeros + body)
    assert encoded.startswith("1" * zeros)
    assert not encoded[zeros:].startswith("1")
