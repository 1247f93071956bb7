"""Chain names and the chain-independent entry points: address normalisation and signature
verification dispatched by chain."""

from __future__ import annotations

import re
from typing import Literal

from ..errors import InvalidWalletAddressError, UnsupportedChainError
from .ethereum import to_checksum_address, verify_personal_sign
from .solana import is_valid_solana_address, normalize_solana_address, verify_solana_signature

__all__ = [
    "CHAIN_ALIASES",
    "Chain",
    "canonical_chain",
    "normalize_address",
    "resolve_chain",
    "verify_wallet_signature",
]

Chain = Literal["ethereum", "solana"]

CHAIN_ALIASES: dict[str, Chain] = {
    "ethereum": "ethereum",
    "eth": "ethereum",
    "solana": "solana",
    "sol": "solana",
}

_ETHEREUM_SHAPE_RE = re.compile(r"0x[0-9a-fA-F]{40}")


def canonical_chain(chain: str) -> Chain:
    """Return the canonical chain name for a name or alias (case and spaces ignored).

    Raises :class:`UnsupportedChainError`.
    """
    canonical = CHAIN_ALIASES.get(chain.strip().lower())
    if canonical is None:
        raise UnsupportedChainError(
            "Unsupported chain; expected one of: ethereum (eth), solana (sol)."
        )
    return canonical


def resolve_chain(chain: str | None, address: str) -> Chain:
    """Return the canonical chain, inferring it from the address when ``chain`` is empty.

    ``0x`` followed by 40 hex digits is Ethereum; base58 of 32 bytes is Solana. Raises
    :class:`UnsupportedChainError` or :class:`InvalidWalletAddressError`.
    """
    if chain:
        return canonical_chain(chain)
    if _ETHEREUM_SHAPE_RE.fullmatch(address):
        return "ethereum"
    if is_valid_solana_address(address):
        return "solana"
    raise InvalidWalletAddressError("The wallet address is not a known address format.")


def normalize_address(chain: str, address: str) -> str:
    """Return the canonical form of ``address`` on ``chain``.

    Ethereum: the EIP-55 checksummed form (a mixed-case address with a wrong checksum is
    rejected). Solana: the validated base58 form (32 bytes). Raises
    :class:`UnsupportedChainError` or :class:`InvalidWalletAddressError`.
    """
    if canonical_chain(chain) == "ethereum":
        return to_checksum_address(address)
    return normalize_solana_address(address)


def verify_wallet_signature(chain: str, address: str, message: str, signature: str) -> str:
    """Verify that the wallet ``address`` on ``chain`` signed ``message``.

    Ethereum signatures are EIP-191 ``personal_sign`` (65 bytes hex); Solana signatures are
    ed25519 over the UTF-8 message (base58, or 128 hex digits). Returns the normalised
    address. Raises :class:`UnsupportedChainError`, :class:`InvalidWalletAddressError` or
    :class:`InvalidSignatureError`.
    """
    if canonical_chain(chain) == "ethereum":
        return verify_personal_sign(address, message, signature)
    return verify_solana_signature(address, message, signature)
