"""Wallet deposits, payment intents, payment methods and the balance (no HTTP, no SQL).

The balance is kept in US dollars: stablecoin deposits (USDC, USDT) credit it one to one and
succeeded ``usd`` payment intents credit ``amount / 100``. Credits are ledger entries, one per
source, so a deposit or an intent can never be credited twice.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .crypto import format_amount, iso

BALANCE_CURRENCY = "USD"


@dataclasses.dataclass(frozen=True)
class DepositChain:
    """How the simulated chain confirms a deposit: one block every ``block_seconds``, final
    after ``confirmations_required`` blocks, accepting these stablecoins."""

    name: str
    confirmations_required: int
    block_seconds: float
    evm: bool
    currencies: frozenset[str]


# Finality depths used by exchanges and custodians: 12 blocks on Ethereum and its rollups'
# L2 blocks (here 12 as well), 128 on Polygon PoS (reorg depth), 32 slots on Solana (the
# "finalized" commitment). Block times are each chain's target.
DEPOSIT_CHAINS: dict[str, DepositChain] = {
    chain.name: chain
    for chain in (
        DepositChain("ethereum", 12, 12.0, True, frozenset({"USDC", "USDT"})),
        DepositChain("base", 12, 2.0, True, frozenset({"USDC"})),
        DepositChain("polygon", 128, 2.0, True, frozenset({"USDC", "USDT"})),
        DepositChain("solana", 32, 0.4, False, frozenset({"USDC", "USDT"})),
    )
}


class DepositStatus(str, enum.Enum):
    """A deposit is ``pending`` until it has all its confirmations, then ``confirmed``."""

    PENDING = "pending"
    CONFIRMED = "confirmed"


@dataclasses.dataclass(frozen=True)
class WalletDeposit:
    """A stablecoin transfer to the application, credited once confirmed."""

    id: str
    application_id: str
    user_id: str
    wallet_address: str
    chain_type: str
    transaction_id: str
    amount: Decimal
    currency: str
    tier: str | None
    confirmation_required: int
    extra_confirmations: int
    status: DepositStatus
    created_at: datetime
    completed_at: datetime | None = None
    balance_added: Decimal | None = None

    def confirmations_at(self, now: datetime) -> int:
        """Blocks mined on top since the deposit was seen (by the clock, plus any added on
        ``/_dev/``), capped at the number required."""
        if self.status is DepositStatus.CONFIRMED:
            return self.confirmation_required
        chain = DEPOSIT_CHAINS[self.chain_type]
        elapsed = max((now - self.created_at).total_seconds(), 0.0)
        mined = int(elapsed // chain.block_seconds) + self.extra_confirmations
        return min(mined, self.confirmation_required)

    def finality_time(self, now: datetime) -> datetime:
        """When the last required confirmation arrived (``now`` if ``/_dev/`` pushed it)."""
        chain = DEPOSIT_CHAINS[self.chain_type]
        by_clock = max(self.confirmation_required - self.extra_confirmations, 0)
        return min(now, self.created_at + timedelta(seconds=by_clock * chain.block_seconds))

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The contract's ``WalletDeposit`` and ``WalletTransaction`` fields together."""
        confirmations = self.confirmations_at(now)
        return {
            "deposit_id": self.id,
            "transaction_id": self.transaction_id,
            "status": self.status.value,
            "wallet_address": self.wallet_address,
            "chain_type": self.chain_type,
            "amount": float(self.amount),
            "currency": self.currency,
            "tier": self.tier,
            "confirmation_required": self.confirmation_required,
            "confirmation_current": confirmations,
            "confirmations": confirmations,
            "balance_added": float(self.balance_added) if self.balance_added is not None else None,
            "created_at": iso(self.created_at),
            "completed_at": iso(self.completed_at) if self.completed_at else None,
        }


class IntentStatus(str, enum.Enum):
    """Stripe's payment intent states that the simulator reaches."""

    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"


@dataclasses.dataclass(frozen=True)
class PaymentIntent:
    """An amount (smallest currency unit) a user is asked to pay by card."""

    id: str
    application_id: str
    user_id: str
    amount: int
    currency: str
    payment_method_types: list[str]
    metadata: dict[str, Any]
    status: IntentStatus
    client_secret: str
    created_at: datetime
    updated_at: datetime
    payment_method_id: str | None = None
    decline_code: str | None = None
    decline_message: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract's ``PaymentIntent`` plus amount, currency and the last error."""
        error = (
            {
                "code": "card_declined",
                "decline_code": self.decline_code,
                "message": self.decline_message,
            }
            if self.decline_code
            else None
        )
        return {
            "payment_intent_id": self.id,
            "id": self.id,
            "client_secret": self.client_secret,
            "status": self.status.value,
            "amount": self.amount,
            "currency": self.currency,
            "payment_method_types": self.payment_method_types,
            "payment_method": self.payment_method_id,
            "metadata": self.metadata,
            "last_payment_error": error,
            "created_at": iso(self.created_at),
        }


@dataclasses.dataclass(frozen=True)
class PaymentMethod:
    """A card attached to a customer; at most one per customer is the default."""

    payment_method_id: str
    brand: str
    last4: str
    is_default: bool


# Stripe's fixed test payment method ids, usable by every customer without creating them.
TEST_PAYMENT_METHODS: dict[str, tuple[str, str]] = {
    "pm_card_visa": ("visa", "4242"),
    "pm_card_visa_debit": ("visa", "5556"),
    "pm_card_mastercard": ("mastercard", "4444"),
    "pm_card_amex": ("amex", "0005"),
}


def customer_id_for(application_id: str, user_id: str) -> str:
    """The customer id of an application's user, derived from both ids so that it is the
    same on every call and every server process without a table of its own."""
    digest = hashlib.sha256(f"{application_id}:{user_id}".encode()).hexdigest()
    return f"cus_{digest[:24]}"


@dataclasses.dataclass(frozen=True)
class Balance:
    """A user's credited (``available``) and awaiting-confirmation (``pending``) dollars."""

    available: Decimal
    pending: Decimal

    def to_json(self) -> dict[str, Any]:
        """The contract's ``BalanceAmounts``."""
        return {
            "available": float(self.available),
            "pending": float(self.pending),
            "currency": BALANCE_CURRENCY,
            "available_amount": format_amount(self.available),
            "pending_amount": format_amount(self.pending),
        }
