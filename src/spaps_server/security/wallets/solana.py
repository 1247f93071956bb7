"""Solana addresses and ed25519 message signatures.

A Solana address is the base58 of a 32-byte ed25519 public key; wallets sign the raw message
bytes (``signMessage``), producing a 64-byte ed25519 signature, usually sent as base58.
"""

from __future__ import annotations

import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..base58 import b58decode, b58encode
from ..errors import Base58DecodeError, InvalidSignatureError, InvalidWalletAddressError

__all__ = [
    "decode_solana_signature",
    "is_valid_solana_address",
    "normalize_solana_address",
    "verify_solana_signature",
]

# base58 of 32 bytes is at most 44 characters and of 64 bytes at most 88; bounding the
# input before decoding keeps base58's quadratic decoding cheap.
_MAX_ADDRESS_CHARS = 44
_MAX_SIGNATURE_CHARS = 88
_HEX_SIGNATURE_RE = re.compile(r"(?:0x)?[0-9a-fA-F]{128}")


def _decode_address(address: str) -> bytes:
    if not 32 <= len(address) <= _MAX_ADDRESS_CHARS:
        raise InvalidWalletAddressError("The Solana address is invalid.", reason="solana")
    try:
        raw = b58decode(address)
    except Base58DecodeError as exc:
        raise InvalidWalletAddressError("The Solana address is invalid.", reason="solana") from exc
    if len(raw) != 32:
        raise InvalidWalletAddressError("The Solana address is invalid.", reason="solana")
    return raw


def is_valid_solana_address(address: str) -> bool:
    """Return whether ``address`` is base58 of exactly 32 bytes.

    Off-curve addresses (program-derived addresses) are valid addresses, though they can
    never sign; a signature check on them simply fails.
    """
    try:
        _decode_address(address)
    except InvalidWalletAddressError:
        return False
    return True


def normalize_solana_address(address: str) -> str:
    """Return the canonical base58 form of a valid address (base58 is case-sensitive).

    Raises :class:`InvalidWalletAddressError`.
    """
    return b58encode(_decode_address(address))


def decode_solana_signature(signature: str) -> bytes:
    """Decode a 64-byte signature given as base58 (primary) or as 128 hex digits.

    The forms cannot be confused: base58 of 64 bytes is at most 88 characters. Raises
    :class:`InvalidSignatureError` (``malformed``).
    """
    if _HEX_SIGNATURE_RE.fullmatch(signature):
        return bytes.fromhex(signature[2:] if signature.startswith("0x") else signature)
    if len(signature) > _MAX_SIGNATURE_CHARS:
        raise InvalidSignatureError("The signature is malformed.", reason="malformed")
    try:
        raw = b58decode(signature)
    except Base58DecodeError as exc:
        raise InvalidSignatureError("The signature is malformed.", reason="malformed") from exc
    if len(raw) != 64:
        raise InvalidSignatureError("The signature is malformed.", reason="malformed")
    return raw


def verify_solana_signature(address: str, message: str, signature: str) -> str:
    """Verify an ed25519 signature by ``address`` over the UTF-8 ``message``.

    Returns the normalised address. Raises :class:`InvalidWalletAddressError` or
    :class:`InvalidSignatureError` (``malformed`` or ``mismatch``).
    """
    public_bytes = _decode_address(address)
    raw_signature = decode_solana_signature(signature)
    try:
        public_key = Ed25519PublicKey.from_public_bytes(public_bytes)
        public_key.verify(raw_signature, message.encode("utf-8"))
    except (InvalidSignature, ValueError) as exc:
        raise InvalidSignatureError(
            "The signature was not made by this wallet.", reason="mismatch"
        ) from exc
    return b58encode(public_bytes)
