"""Base58 with the bitcoin alphabet (the encoding of Solana addresses and signatures).

Each leading zero byte is written as a leading ``"1"`` and vice versa; the rest is the
big-endian number in base 58. Decoding is quadratic in the input length, so callers that
decode user input bound its length first (addresses and signatures are under 90 characters).
"""

from __future__ import annotations

from .errors import Base58DecodeError

__all__ = ["ALPHABET", "b58decode", "b58encode"]

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(ALPHABET)}


def b58encode(data: bytes) -> str:
    """Encode bytes as base58."""
    stripped = data.lstrip(b"\x00")
    zeros = len(data) - len(stripped)
    number = int.from_bytes(stripped, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Decode base58 text; raise :class:`Base58DecodeError` on any character outside the alphabet.

    The empty string decodes to ``b""``. Whitespace is not stripped.
    """
    number = 0
    for char in text:
        value = _INDEX.get(char)
        if value is None:
            raise Base58DecodeError()
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + body
