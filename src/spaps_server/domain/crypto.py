"""Crypto invoices and their on-chain payments (no HTTP, no SQL).

Amounts are :class:`~decimal.Decimal` in memory and canonical decimal strings on the wire and
in the database (protocol Appendix A item 7: crypto ``amount`` and ``normalized_amount`` are
strings), so no value ever passes through a binary float.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .error_codes import ErrorCode
from .errors import InvalidError


class InvoiceStatus(str, enum.Enum):
    """Where an invoice stands. ``confirmed`` and ``expired`` are final."""

    PENDING = "pending"
    PARTIALLY_PAID = "partially_paid"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        """Whether no further payment or expiry changes the invoice."""
        return self in (InvoiceStatus.CONFIRMED, InvoiceStatus.EXPIRED)


@dataclasses.dataclass(frozen=True)
class Asset:
    """A token the simulated chain knows: its smallest unit is ``10**-decimals``."""

    symbol: str
    decimals: int
    networks: frozenset[str]


# The assets and networks the simulated chain settles on. Decimals are the tokens' on-chain
# precision (USDC and USDT: 6; ETH: 18; SOL: 9), which bounds an amount's fraction digits.
ASSETS: dict[str, Asset] = {
    asset.symbol: asset
    for asset in (
        Asset(
            "USDC", 6, frozenset({"ethereum", "base", "polygon", "arbitrum", "optimism", "solana"})
        ),
        Asset("USDT", 6, frozenset({"ethereum", "polygon", "arbitrum", "solana"})),
        Asset("ETH", 18, frozenset({"ethereum", "base", "arbitrum", "optimism"})),
        Asset("SOL", 9, frozenset({"solana"})),
    )
}
NETWORKS: frozenset[str] = frozenset().union(*(a.networks for a in ASSETS.values()))

DEFAULT_EXPIRES_IN_SECONDS = 15 * 60
MIN_EXPIRES_IN_SECONDS = 60
MAX_EXPIRES_IN_SECONDS = 7 * 24 * 3600
# Enough for any realistic invoice; stops "1e999999"-sized input before Decimal arithmetic.
MAX_AMOUNT_DIGITS = 30

_DECIMAL_RE = re.compile(r"[0-9]+(\.[0-9]+)?")


def format_amount(value: Decimal) -> str:
    """The canonical string of an amount: plain notation, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def parse_amount(text: object, *, field: str = "amount", decimals: int | None = None) -> Decimal:
    """A positive decimal from its string form (``"42.75"``), or 400 ``INVALID_AMOUNT``.

    Only plain decimal notation is accepted (no sign, exponent, ``NaN`` or spaces) and, when
    ``decimals`` is given, no more fraction digits than the asset's smallest unit allows.
    """
    if not isinstance(text, str):
        raise InvalidError(
            f'{field} must be a decimal string such as "42.75"', code=ErrorCode.INVALID_AMOUNT
        )
    if not _DECIMAL_RE.fullmatch(text) or len(text) > MAX_AMOUNT_DIGITS + 1:
        raise InvalidError(
            f'{field} must be a positive decimal string such as "42.75" '
            f"(digits and at most one '.', up to {MAX_AMOUNT_DIGITS} digits)",
            code=ErrorCode.INVALID_AMOUNT,
        )
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid text
        raise InvalidError(f"{field} is not a decimal", code=ErrorCode.INVALID_AMOUNT) from exc
    if value <= 0:
        raise InvalidError(f"{field} must be greater than zero", code=ErrorCode.INVALID_AMOUNT)
    if decimals is not None:
        exponent = value.normalize().as_tuple().exponent
        assert isinstance(exponent, int)
        if -exponent > decimals:
            raise InvalidError(
                f"{field} has more than {decimals} decimal places",
                code=ErrorCode.INVALID_AMOUNT,
            )
    return value


def resolve_asset(asset: str, network: str) -> tuple[Asset, str]:
    """The asset and canonical network name, or 400 ``UNSUPPORTED_ASSET`` /
    ``UNSUPPORTED_NETWORK`` naming what is supported."""
    known = ASSETS.get(asset.strip().upper())
    if known is None:
        raise InvalidError(
            f"Unsupported asset; expected one of: {', '.join(sorted(ASSETS))}",
            code=ErrorCode.UNSUPPORTED_ASSET,
        )
    name = network.strip().lower()
    if name not in known.networks:
        raise InvalidError(
            f"{known.symbol} is not settled on network {name!r}; expected one of: "
            f"{', '.join(sorted(known.networks))}",
            code=ErrorCode.UNSUPPORTED_NETWORK,
        )
    return known, name


@dataclasses.dataclass(frozen=True)
class InvoicePayment:
    """One on-chain transfer received for an invoice (a settlement ledger entry)."""

    id: str
    invoice_id: str
    amount: Decimal
    transaction_hash: str
    received_at: datetime


@dataclasses.dataclass(frozen=True)
class CryptoInvoice:
    """An amount of ``asset`` on ``network`` an application's user asked to be paid."""

    id: str
    application_id: str
    user_id: str
    asset: str
    network: str
    amount: Decimal
    status: InvoiceStatus
    received_amount: Decimal
    metadata: dict[str, Any]
    beneficiary: dict[str, Any] | None
    created_at: datetime
    expires_at: datetime
    updated_at: datetime
    finalized_at: datetime | None = None
    settlement_ids: tuple[str, ...] = ()

    @property
    def underpaid(self) -> bool:
        """Some but not all of the amount arrived."""
        return Decimal(0) < self.received_amount < self.amount

    @property
    def overpaid(self) -> bool:
        """More than the amount arrived."""
        return self.received_amount > self.amount

    @property
    def excess_amount(self) -> Decimal:
        """What arrived beyond the amount (zero unless overpaid)."""
        return max(self.received_amount - self.amount, Decimal(0))

    def to_json(self) -> dict[str, Any]:
        """The contract's ``CryptoInvoice`` (with ``id`` and ``invoice_id``, both accepted by
        clients) plus what has been received so far."""
        return {
            "id": self.id,
            "invoice_id": self.id,
            "asset": self.asset,
            "network": self.network,
            "amount": format_amount(self.amount),
            "status": self.status.value,
            "expires_at": iso(self.expires_at),
            "created_at": iso(self.created_at),
            "beneficiary": self.beneficiary,
            "metadata": self.metadata,
            "received_amount": format_amount(self.received_amount),
        }

    def status_json(self) -> dict[str, Any]:
        """The contract's ``CryptoInvoiceStatus`` (key ``invoice_id`` only)."""
        body: dict[str, Any] = {
            "invoice_id": self.id,
            "status": self.status.value,
            "finalized_at": iso(self.finalized_at) if self.finalized_at else None,
            "normalized_amount": format_amount(self.received_amount)
            if self.settlement_ids
            else None,
            "settlement_ids": list(self.settlement_ids),
            "underpaid": self.underpaid,
            "overpaid": self.overpaid,
        }
        if self.overpaid:
            body["excess_amount"] = format_amount(self.excess_amount)
        return body


@dataclasses.dataclass(frozen=True)
class ReconcileJob:
    """One reconciliation pass over an application's open invoices."""

    id: str
    application_id: str
    scheduled_at: datetime
    completed_at: datetime
    last_invoice_id: str | None
    invoices_checked: int
    invoices_expired: int
    has_more: bool

    def to_json(self) -> dict[str, Any]:
        """The contract's ``CryptoReconcileJob`` plus the pass's counts."""
        return {
            "job_id": self.id,
            "scheduled_at": iso(self.scheduled_at),
            "completed_at": iso(self.completed_at),
            "status": "completed",
            "cursor": {"last_invoice_id": self.last_invoice_id},
            "invoices_checked": self.invoices_checked,
            "invoices_expired": self.invoices_expired,
            "has_more": self.has_more,
        }


def iso(value: datetime) -> str:
    """ISO-8601 UTC with a ``Z``."""
    return value.isoformat().replace("+00:00", "Z")
