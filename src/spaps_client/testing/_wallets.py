"""Throw-away Ethereum and Solana wallets that sign like browser wallets do.

Ethereum signatures are EIP-191 ``personal_sign`` (secp256k1 over
``keccak256("\\x19Ethereum Signed Message:\\n" + len + message)``, 65 bytes ``r || s || v``
in hex); Solana signatures are ed25519 over the raw message bytes, in base58. The crypto
comes from the ``server`` extra (coincurve, pycryptodome, cryptography), imported when a
wallet is made, so the core SDK keeps only httpx and pydantic.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, Literal

from ._errors import MissingExtraError

__all__ = ["TestWallet", "base58_encode"]

Chain = Literal["ethereum", "solana"]

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58_encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 (what Solana uses for keys and signatures)."""
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_B58_ALPHABET[rest])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(digits))


def _import(feature: str, module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise MissingExtraError(feature, (exc.name or module).split(".")[0]) from None


def _keccak256(data: bytes) -> bytes:
    keccak = _import("TestWallet.ethereum()", "Crypto.Hash.keccak")
    return bytes(keccak.new(digest_bits=256, data=data).digest())


def _checksum_address(raw_address: bytes) -> str:
    lower = raw_address.hex()
    digest = _keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(
        char.upper() if char.isalpha() and int(digest[i], 16) >= 8 else char
        for i, char in enumerate(lower)
    )


class TestWallet:
    """A wallet with a fresh random key: ``address`` and ``sign(message)``.

    Make one with :meth:`ethereum` or :meth:`solana`; pass ``private_key`` (32 bytes) for a
    fixed address. The key never appears in the repr.
    """

    __test__ = False  # not a test class, whatever pytest's name heuristics say

    def __init__(self, chain: Chain, address: str, signer: Callable[[bytes], str]) -> None:
        self.chain: Chain = chain
        self.address = address
        self._signer = signer

    def __repr__(self) -> str:
        return f"TestWallet(chain={self.chain!r}, address={self.address!r})"

    @classmethod
    def ethereum(cls, private_key: bytes | None = None) -> TestWallet:
        """A secp256k1 wallet; :meth:`sign` gives ``personal_sign`` signatures (``0x`` hex)."""
        coincurve = _import("TestWallet.ethereum()", "coincurve")
        _keccak256(b"")  # fail now, not at the first signature, when pycryptodome is missing
        key = coincurve.PrivateKey(private_key or secrets.token_bytes(32))
        public = key.public_key.format(compressed=False)
        address = _checksum_address(_keccak256(public[1:])[-20:])

        def sign(message: bytes) -> str:
            prefix = b"\x19Ethereum Signed Message:\n" + str(len(message)).encode("ascii")
            # libsecp256k1 always returns the low-s form, which verifiers require.
            raw = key.sign_recoverable(_keccak256(prefix + message), hasher=None)
            signature: bytes = raw[:64] + bytes([raw[64] + 27])
            return "0x" + signature.hex()

        return cls("ethereum", address, sign)

    @classmethod
    def solana(cls, private_key: bytes | None = None) -> TestWallet:
        """An ed25519 wallet; :meth:`sign` gives base58 signatures over the message bytes."""
        ed25519 = _import(
            "TestWallet.solana()", "cryptography.hazmat.primitives.asymmetric.ed25519"
        )
        serialization = _import(
            "TestWallet.solana()", "cryptography.hazmat.primitives.serialization"
        )
        key = ed25519.Ed25519PrivateKey.from_private_bytes(private_key or secrets.token_bytes(32))
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

        def sign(message: bytes) -> str:
            return base58_encode(key.sign(message))

        return cls("solana", base58_encode(public), sign)

    def sign(self, message: str | bytes) -> str:
        """Sign ``message`` (a ``str`` is signed as its UTF-8 bytes) as this chain's wallets
        do; the result goes to ``auth.verify_wallet(signature=...)`` unchanged."""
        data = message.encode("utf-8") if isinstance(message, str) else message
        return self._signer(data)
