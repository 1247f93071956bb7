"""Ethereum addresses (EIP-55) and ``personal_sign`` signatures (EIP-191, version 0x45).

A ``personal_sign`` signature is an ECDSA secp256k1 signature over
``keccak256(b"\\x19Ethereum Signed Message:\\n" + str(len(message)).encode() + message)``,
sent as 65 bytes ``r || s || v``. The signer's public key is recovered from it, and the
signer's address is the last 20 bytes of the keccak-256 of that key (uncompressed, without
its 0x04 prefix).
"""

from __future__ import annotations

import re

import coincurve
from Crypto.Hash import keccak

from ..errors import InvalidSignatureError, InvalidWalletAddressError

__all__ = [
    "address_from_public_key",
    "is_valid_ethereum_address",
    "keccak256",
    "normalize_ethereum_address",
    "personal_sign_hash",
    "recover_personal_sign_address",
    "to_checksum_address",
    "verify_personal_sign",
]

# Order of the secp256k1 group.
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N = _SECP256K1_N // 2

_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
_SIGNATURE_RE = re.compile(r"(?:0x)?[0-9a-fA-F]{130}")


def keccak256(data: bytes) -> bytes:
    """Return the keccak-256 digest (Ethereum's, not NIST SHA3-256) of ``data``."""
    return bytes(keccak.new(digest_bits=256, data=data).digest())


def _checksum_hex(lower_hex: str) -> str:
    digest = keccak256(lower_hex.encode("ascii")).hex()
    return "".join(
        char.upper() if char.isalpha() and int(digest[i], 16) >= 8 else char
        for i, char in enumerate(lower_hex)
    )


def is_valid_ethereum_address(address: str) -> bool:
    """Return whether ``address`` is ``0x`` plus 40 hex digits with a valid EIP-55 checksum.

    All-lower-case and all-upper-case addresses carry no checksum and are accepted; a
    mixed-case address is accepted only if its case matches the EIP-55 checksum.
    """
    if not _ADDRESS_RE.fullmatch(address):
        return False
    body = address[2:]
    if body == body.lower() or body == body.upper():
        return True
    return _checksum_hex(body.lower()) == body


def to_checksum_address(address: str) -> str:
    """Return the EIP-55 checksummed form of a valid address.

    Raises :class:`InvalidWalletAddressError` for anything :func:`is_valid_ethereum_address`
    rejects, including a mixed-case address with a wrong checksum (most likely a typo).
    """
    if not is_valid_ethereum_address(address):
        raise InvalidWalletAddressError("The Ethereum address is invalid.", reason="ethereum")
    return "0x" + _checksum_hex(address[2:].lower())


normalize_ethereum_address = to_checksum_address


def address_from_public_key(public_key: bytes) -> str:
    """Return the checksummed address of a secp256k1 public key (33 or 65 bytes, SEC1)."""
    try:
        point = coincurve.PublicKey(public_key).format(compressed=False)
    except (ValueError, TypeError) as exc:
        raise InvalidSignatureError(reason="malformed") from exc
    return "0x" + _checksum_hex(keccak256(point[1:])[-20:].hex())


def personal_sign_hash(message: bytes) -> bytes:
    """Return the EIP-191 ``personal_sign`` digest of ``message``."""
    prefix = b"\x19Ethereum Signed Message:\n" + str(len(message)).encode("ascii")
    return keccak256(prefix + message)


def _parse_signature(signature: str) -> bytes:
    """Return ``r || s || recovery_id`` (65 bytes) as coincurve expects it."""
    if not _SIGNATURE_RE.fullmatch(signature):
        raise InvalidSignatureError("The signature must be 65 bytes of hex.", reason="malformed")
    raw = bytes.fromhex(signature[2:] if signature.startswith("0x") else signature)
    r = int.from_bytes(raw[:32], "big")
    s = int.from_bytes(raw[32:64], "big")
    v = raw[64]
    if not 0 < r < _SECP256K1_N or not 0 < s < _SECP256K1_N:
        raise InvalidSignatureError(reason="malformed")
    # Both (r, s) and (r, n - s) verify; accepting only the low one (as Ethereum has since
    # Homestead) makes signatures non-malleable.
    if s > _HALF_N:
        raise InvalidSignatureError("The signature is not canonical.", reason="non_canonical")
    if v in (27, 28):
        recovery_id = v - 27
    elif v in (0, 1):
        recovery_id = v
    else:
        raise InvalidSignatureError("The signature is not canonical.", reason="non_canonical")
    return raw[:64] + bytes([recovery_id])


def recover_personal_sign_address(message: str, signature: str) -> str:
    """Return the checksummed address that made ``signature`` over the UTF-8 ``message``.

    Raises :class:`InvalidSignatureError` (``malformed``, ``non_canonical`` or
    ``unrecoverable``) when no address can be recovered.
    """
    recoverable = _parse_signature(signature)
    digest = personal_sign_hash(message.encode("utf-8"))
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(
            recoverable, digest, hasher=None
        )
    except (ValueError, TypeError) as exc:
        raise InvalidSignatureError(reason="unrecoverable") from exc
    return address_from_public_key(public_key.format(compressed=False))


def verify_personal_sign(address: str, message: str, signature: str) -> str:
    """Verify that ``address`` signed ``message`` with ``personal_sign``; return it checksummed.

    The address comparison ignores case (after the claimed address passed its own EIP-55
    check). Raises :class:`InvalidWalletAddressError` for a bad address and
    :class:`InvalidSignatureError` for a bad signature or one made by another address.
    """
    claimed = to_checksum_address(address)
    recovered = recover_personal_sign_address(message, signature)
    if recovered.lower() != claimed.lower():
        raise InvalidSignatureError("The signature was not made by this wallet.", reason="mismatch")
    return claimed
