"""Wallet sign-in: Ethereum (EIP-191 / EIP-55) and Solana (ed25519 / base58) signatures,
chain dispatch, and the nonce message wallets sign."""

from __future__ import annotations

from .chains import (
    CHAIN_ALIASES,
    Chain,
    canonical_chain,
    normalize_address,
    resolve_chain,
    verify_wallet_signature,
)
from .ethereum import (
    is_valid_ethereum_address,
    keccak256,
    personal_sign_hash,
    recover_personal_sign_address,
    to_checksum_address,
    verify_personal_sign,
)
from .nonce import NONCE_LIFETIME, NONCE_MESSAGE_PREFIX, build_nonce_message, new_nonce
from .solana import (
    decode_solana_signature,
    is_valid_solana_address,
    normalize_solana_address,
    verify_solana_signature,
)

__all__ = [
    "CHAIN_ALIASES",
    "NONCE_LIFETIME",
    "NONCE_MESSAGE_PREFIX",
    "Chain",
    "build_nonce_message",
    "canonical_chain",
    "decode_solana_signature",
    "is_valid_ethereum_address",
    "is_valid_solana_address",
    "keccak256",
    "new_nonce",
    "normalize_address",
    "normalize_solana_address",
    "personal_sign_hash",
    "recover_personal_sign_address",
    "resolve_chain",
    "to_checksum_address",
    "verify_personal_sign",
    "verify_solana_signature",
    "verify_wallet_signature",
]
