"""The sign-in message a wallet signs, and its nonce.

The server builds the message, stores it whole, and on sign-in accepts it once, only before
it expires, and only if the submitted message equals the stored one. Binding the wallet,
chain, application and validity window into the signed text means a signature cannot be
replayed for another wallet, chain or application.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone

from ..errors import NonceMessageError
from .chains import canonical_chain, normalize_address

__all__ = [
    "NONCE_LIFETIME",
    "NONCE_MESSAGE_PREFIX",
    "build_nonce_message",
    "new_nonce",
]

NONCE_MESSAGE_PREFIX = "Sign this message to authenticate with Sweet Potato: "
NONCE_LIFETIME = timedelta(minutes=5)

_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def new_nonce() -> str:
    """Return a fresh nonce: 32 hex digits (128 bits of randomness)."""
    return secrets.token_hex(16)


def _utc_iso(moment: datetime, name: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NonceMessageError(f"{name} must be timezone-aware.")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_nonce_message(
    *,
    wallet_address: str,
    chain: str,
    application_id: str,
    nonce: str,
    issued_at: datetime,
    expires_at: datetime,
) -> str:
    """Return the text the wallet signs, for example::

        Sign this message to authenticate with Sweet Potato: 3f2c...
        <blank line>
        Wallet: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed
        Chain: ethereum
        Application: app_123
        Issued At: 2025-01-09T10:00:00Z
        Expires At: 2025-01-09T10:05:00Z

    The first line is exactly :data:`NONCE_MESSAGE_PREFIX` followed by the nonce. The
    address is normalised and the chain made canonical first, so the same wallet always
    yields the same text. Times are written in UTC to the second; ``expires_at`` is usually
    ``issued_at + NONCE_LIFETIME``.

    Raises :class:`UnsupportedChainError` or :class:`InvalidWalletAddressError` for a bad
    chain or address, and :class:`NonceMessageError` for a nonce outside ``[A-Za-z0-9_-]``
    (1-128 characters), an application id with control characters, naive datetimes, or an
    expiry not after the issue time.
    """
    if not _NONCE_RE.fullmatch(nonce):
        raise NonceMessageError("The nonce must be 1-128 characters of [A-Za-z0-9_-].")
    if not application_id or _CONTROL_RE.search(application_id):
        raise NonceMessageError("The application id must be non-empty, on one line.")
    canonical = canonical_chain(chain)
    address = normalize_address(canonical, wallet_address)
    issued = _utc_iso(issued_at, "issued_at")
    expires = _utc_iso(expires_at, "expires_at")
    if expires_at <= issued_at:
        raise NonceMessageError("expires_at must be after issued_at.")
    return (
        f"{NONCE_MESSAGE_PREFIX}{nonce}\n"
        "\n"
        f"Wallet: {address}\n"
        f"Chain: {canonical}\n"
        f"Application: {application_id}\n"
        f"Issued At: {issued}\n"
        f"Expires At: {expires}"
    )
