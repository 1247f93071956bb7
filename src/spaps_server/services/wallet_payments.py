"""Wallet deposits, the balance, payment intents and default payment methods.

Deposits gain confirmations as the server clock passes one block time per confirmation
(plus any added on ``/_dev/``); the read that finds a deposit fully confirmed marks it
``confirmed`` and credits the balance in the same transaction, guarded by the ledger's
unique source, so concurrent readers credit it once. Payment intents are confirmed with a
Stripe test card (``domain.test_cards``); a succeeded ``usd`` intent credits the balance and
attaches its card to the customer.
"""

from __future__ import annotations

import dataclasses
import math
import re
import secrets
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock
from ..domain.error_codes import ErrorCode
from ..domain.errors import ConflictError, InvalidError, NotFoundError, UnprocessableError
from ..domain.ids import new_id
from ..domain.test_cards import CardOutcome, check_card
from ..domain.wallet_payments import (
    BALANCE_CURRENCY,
    DEPOSIT_CHAINS,
    TEST_PAYMENT_METHODS,
    Balance,
    DepositStatus,
    IntentStatus,
    PaymentIntent,
    PaymentMethod,
    WalletDeposit,
    customer_id_for,
)
from ..security.base58 import b58decode
from ..security.errors import InvalidWalletAddressError
from ..security.wallets.chains import normalize_address
from ..storage.database import Database
from ..storage.wallet_payments import WalletPaymentsRepository
from .events import EventEmitter

PAYMENT_INTENT_SUCCEEDED = "payment_intent.succeeded"
PAYMENT_INTENT_FAILED = "payment_intent.payment_failed"
# Stripe's ceiling for one charge in the smallest currency unit ($999,999.99).
MAX_INTENT_AMOUNT = 99_999_999
# Stablecoins carry six decimals on chain; a deposit is capped far above any test amount.
DEPOSIT_DECIMALS = 6
MAX_DEPOSIT_AMOUNT = Decimal(10) ** 12
MAX_EXTRA_CONFIRMATIONS = 1000

_EVM_TX_RE = re.compile(r"0x[0-9a-fA-F]{64}")
_CURRENCY_RE = re.compile(r"[a-zA-Z]{3}")


def _transaction_id(chain_type: str, transaction_id: str) -> str:
    """The canonical transaction id on the chain, or 422 ``INVALID_TRANSACTION``."""
    text = transaction_id.strip()
    if DEPOSIT_CHAINS[chain_type].evm:
        if _EVM_TX_RE.fullmatch(text):
            return text.lower()
        raise UnprocessableError(
            f"A {chain_type} transaction id is 0x followed by 64 hex digits",
            code=ErrorCode.INVALID_TRANSACTION,
        )
    try:
        if len(b58decode(text)) == 64:
            return text
    except ValueError:
        pass
    raise UnprocessableError(
        "A solana transaction id is a base58 signature of 64 bytes",
        code=ErrorCode.INVALID_TRANSACTION,
    )


def _deposit_amount(amount: float) -> Decimal:
    if (
        isinstance(amount, bool)
        or not isinstance(amount, (int, float))
        or not math.isfinite(amount)
    ):
        raise InvalidError("amount must be a number", code=ErrorCode.INVALID_AMOUNT)
    value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
    if not Decimal(0) < value <= MAX_DEPOSIT_AMOUNT:
        raise InvalidError(
            "amount must be greater than zero and at most 10^12", code=ErrorCode.INVALID_AMOUNT
        )
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > DEPOSIT_DECIMALS:
        raise InvalidError(
            f"amount has more than {DEPOSIT_DECIMALS} decimal places",
            code=ErrorCode.INVALID_AMOUNT,
        )
    return value


def _month_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = datetime(now.year, now.month, 1, tzinfo=timezone.utc)
    end = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


class WalletPaymentsService:
    """The legacy ``/api/payments`` balance, intent, payment-method and deposit operations."""

    def __init__(self, db: Database, clock: Clock, events: EventEmitter | None = None) -> None:
        self._db = db
        self._clock = clock
        self._repo = WalletPaymentsRepository(db)
        self.events = events

    # --- deposits -----------------------------------------------------------------------

    async def create_deposit(
        self,
        *,
        application_id: str,
        user_id: str,
        wallet_address: str,
        chain_type: str,
        transaction_id: str,
        amount: float,
        currency: str,
        tier: str | None = None,
        conn: AsyncConnection,
    ) -> WalletDeposit:
        """A ``pending`` deposit of ``amount`` ``currency`` sent from ``wallet_address``.

        400 ``UNSUPPORTED_CHAIN``, ``INVALID_WALLET_ADDRESS``, ``UNSUPPORTED_CURRENCY`` or
        ``INVALID_AMOUNT``; 422 ``INVALID_TRANSACTION`` for a malformed transaction id; 409
        ``TRANSACTION_ALREADY_RECORDED`` for a transaction deposited before.
        """
        chain_name = chain_type.strip().lower()
        chain = DEPOSIT_CHAINS.get(chain_name)
        if chain is None:
            raise InvalidError(
                f"Unsupported chain_type; expected one of: {', '.join(sorted(DEPOSIT_CHAINS))}",
                code=ErrorCode.UNSUPPORTED_CHAIN,
            )
        try:
            address = normalize_address("ethereum" if chain.evm else "solana", wallet_address)
        except InvalidWalletAddressError as exc:
            raise InvalidError(
                f"wallet_address is not a {chain_name} address",
                code=ErrorCode.INVALID_WALLET_ADDRESS,
            ) from exc
        symbol = currency.strip().upper()
        if symbol not in chain.currencies:
            raise InvalidError(
                f"{chain_name} deposits accept {', '.join(sorted(chain.currencies))}",
                code=ErrorCode.UNSUPPORTED_CURRENCY,
            )
        deposit = WalletDeposit(
            id=new_id("dep"),
            application_id=application_id,
            user_id=user_id,
            wallet_address=address,
            chain_type=chain_name,
            transaction_id=_transaction_id(chain_name, transaction_id),
            amount=_deposit_amount(amount),
            currency=symbol,
            tier=tier or None,
            confirmation_required=chain.confirmations_required,
            extra_confirmations=0,
            status=DepositStatus.PENDING,
            created_at=self._clock.now(),
        )
        try:
            async with conn.begin_nested():
                await self._repo.insert_deposit(deposit, conn=conn)
        except IntegrityError as exc:
            raise ConflictError(
                "This transaction has already been deposited",
                code=ErrorCode.TRANSACTION_ALREADY_RECORDED,
            ) from exc
        return deposit

    async def _settle(self, deposit: WalletDeposit, conn: AsyncConnection) -> WalletDeposit:
        """Confirm and credit ``deposit`` (locked by the caller) if its confirmations are in."""
        now = self._clock.now()
        if deposit.status is DepositStatus.CONFIRMED:
            return deposit
        if deposit.confirmations_at(now) < deposit.confirmation_required:
            return deposit
        completed = deposit.finality_time(now)
        if not await self._repo.mark_confirmed(
            deposit.id, completed_at=completed, balance_added=deposit.amount, conn=conn
        ):
            settled = await self._repo.find_deposit(
                application_id=None, user_id=None, deposit_id=deposit.id, conn=conn
            )
            assert settled is not None
            return settled
        await self._repo.credit(
            entry_id=new_id("bal"),
            application_id=deposit.application_id,
            user_id=deposit.user_id,
            amount=deposit.amount,
            currency=BALANCE_CURRENCY,
            source_type="wallet_deposit",
            source_id=deposit.id,
            created_at=now,
            conn=conn,
        )
        return dataclasses.replace(
            deposit,
            status=DepositStatus.CONFIRMED,
            completed_at=completed,
            balance_added=deposit.amount,
        )

    def _due(self, deposit: WalletDeposit) -> bool:
        return (
            deposit.status is DepositStatus.PENDING
            and deposit.confirmations_at(self._clock.now()) >= deposit.confirmation_required
        )

    async def get_transaction(
        self, application_id: str, user_id: str, transaction_id: str
    ) -> WalletDeposit:
        """The user's deposit by chain transaction id (or deposit id), confirmed and
        credited if its confirmations are in; 404 ``TRANSACTION_NOT_FOUND``."""
        key = transaction_id.strip()
        by_id = {"deposit_id": key} if key.startswith("dep_") else {}
        lookup: dict[str, Any] = by_id or {
            "transaction_id": key.lower() if key.startswith("0x") else key
        }
        deposit = await self._repo.find_deposit(
            application_id=application_id, user_id=user_id, **lookup
        )
        if deposit is None:
            raise NotFoundError(
                "Wallet transaction not found", code=ErrorCode.TRANSACTION_NOT_FOUND
            )
        if not self._due(deposit):
            return deposit
        async with self._db.begin() as conn:
            locked = await self._repo.find_deposit(
                application_id=None, user_id=None, deposit_id=deposit.id, lock=True, conn=conn
            )
            assert locked is not None
            return await self._settle(locked, conn)

    async def add_confirmations(self, deposit_id: str, count: int) -> WalletDeposit:
        """Mine ``count`` more confirmations for a deposit (the ``/_dev/`` action); 404
        ``TRANSACTION_NOT_FOUND``, 409 ``DEPOSIT_ALREADY_CONFIRMED``, 400 for a count
        outside 1..1000."""
        if not 1 <= count <= MAX_EXTRA_CONFIRMATIONS:
            raise InvalidError(
                f"count must be between 1 and {MAX_EXTRA_CONFIRMATIONS}",
                code=ErrorCode.VALIDATION_ERROR,
            )
        async with self._db.begin() as conn:
            deposit = await self._repo.find_deposit(
                application_id=None, user_id=None, deposit_id=deposit_id, lock=True, conn=conn
            )
            if deposit is None:
                raise NotFoundError("Deposit not found", code=ErrorCode.TRANSACTION_NOT_FOUND)
            deposit = await self._settle(deposit, conn)
            if deposit.status is DepositStatus.CONFIRMED:
                raise ConflictError(
                    "The deposit is already confirmed", code=ErrorCode.DEPOSIT_ALREADY_CONFIRMED
                )
            await self._repo.add_confirmations(deposit_id, count, conn=conn)
            bumped = await self._repo.find_deposit(
                application_id=None, user_id=None, deposit_id=deposit_id, conn=conn
            )
            assert bumped is not None
            return await self._settle(bumped, conn)

    # --- balance ------------------------------------------------------------------------

    async def balance(self, application_id: str, user_id: str) -> tuple[Balance, dict[str, Any]]:
        """The user's dollars (credited, and pending on unconfirmed deposits), after
        settling any deposit whose confirmations are in, and the current usage period."""
        async with self._db.begin() as conn:
            pending = Decimal(0)
            for deposit in await self._repo.pending_deposits(application_id, user_id, conn=conn):
                settled = await self._settle(deposit, conn)
                if settled.status is DepositStatus.PENDING:
                    pending += settled.amount
            available = await self._repo.ledger_total(application_id, user_id, conn=conn)
        start, end = _month_bounds(self._clock.now())
        usage = {
            "current_period_start": start.isoformat().replace("+00:00", "Z"),
            "current_period_end": end.isoformat().replace("+00:00", "Z"),
        }
        return Balance(available=available, pending=pending), usage

    # --- payment intents ----------------------------------------------------------------

    async def create_intent(
        self,
        *,
        application_id: str,
        user_id: str,
        amount: int,
        currency: str,
        payment_method_types: list[str] | None,
        metadata: dict[str, Any] | None,
        conn: AsyncConnection,
    ) -> PaymentIntent:
        """A ``requires_confirmation`` intent for ``amount`` (smallest unit) of ``currency``.

        400 ``INVALID_AMOUNT``, ``UNSUPPORTED_CURRENCY`` (not three letters) or
        ``UNSUPPORTED_PAYMENT_METHOD_TYPE`` (only ``card`` is simulated).
        """
        if isinstance(amount, bool) or not 1 <= amount <= MAX_INTENT_AMOUNT:
            raise InvalidError(
                f"amount is a whole number of the currency's smallest unit, 1 to "
                f"{MAX_INTENT_AMOUNT}",
                code=ErrorCode.INVALID_AMOUNT,
            )
        if not _CURRENCY_RE.fullmatch(currency):
            raise InvalidError(
                "currency is a three-letter ISO code such as usd",
                code=ErrorCode.UNSUPPORTED_CURRENCY,
            )
        types = payment_method_types if payment_method_types is not None else ["card"]
        if not types or any(t != "card" for t in types):
            raise InvalidError(
                'payment_method_types supports only ["card"]',
                code=ErrorCode.UNSUPPORTED_PAYMENT_METHOD_TYPE,
            )
        now = self._clock.now()
        intent_id = new_id("pi")
        intent = PaymentIntent(
            id=intent_id,
            application_id=application_id,
            user_id=user_id,
            amount=amount,
            currency=currency.lower(),
            payment_method_types=list(types),
            metadata=dict(metadata or {}),
            status=IntentStatus.REQUIRES_CONFIRMATION,
            client_secret=f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
            created_at=now,
            updated_at=now,
        )
        await self._repo.insert_intent(intent, conn=conn)
        return intent

    async def confirm_intent(self, intent_id: str, card_number: str) -> PaymentIntent:
        """Charge the intent's amount to a test card (the ``/_dev/`` action).

        Success: ``succeeded``, the card attached to the customer as ``pm_...``, a ``usd``
        amount credited to the balance, ``payment_intent.succeeded`` emitted. A decline:
        ``requires_payment_method`` with the decline code, ``payment_intent.payment_failed``
        emitted (the intent may be confirmed again). 3-D Secure cards: ``requires_action``.
        404 ``PAYMENT_INTENT_NOT_FOUND``; 409 ``PAYMENT_INTENT_UNEXPECTED_STATE`` once
        succeeded; 400 ``INVALID_CARD``.
        """
        card = check_card(card_number)
        async with self._db.begin() as conn:
            intent = await self._repo.get_intent(intent_id, lock=True, conn=conn)
            if intent is None:
                raise NotFoundError(
                    "Payment intent not found", code=ErrorCode.PAYMENT_INTENT_NOT_FOUND
                )
            if intent.status is IntentStatus.SUCCEEDED:
                raise ConflictError(
                    "The payment intent has already succeeded",
                    code=ErrorCode.PAYMENT_INTENT_UNEXPECTED_STATE,
                )
            now = self._clock.now()
            event: str | None
            if card.outcome is CardOutcome.SUCCEED:
                method = PaymentMethod(new_id("pm"), card.brand, card.last4, False)
                await self._repo.attach_method(
                    row_id=new_id("pmr"),
                    application_id=intent.application_id,
                    user_id=intent.user_id,
                    method=method,
                    now=now,
                    conn=conn,
                )
                changes: dict[str, Any] = {
                    "status": IntentStatus.SUCCEEDED.value,
                    "payment_method_id": method.payment_method_id,
                    "decline_code": None,
                    "decline_message": None,
                }
                if intent.currency == BALANCE_CURRENCY.lower():
                    await self._repo.credit(
                        entry_id=new_id("bal"),
                        application_id=intent.application_id,
                        user_id=intent.user_id,
                        amount=Decimal(intent.amount) / 100,
                        currency=BALANCE_CURRENCY,
                        source_type="payment_intent",
                        source_id=intent.id,
                        created_at=now,
                        conn=conn,
                    )
                event = PAYMENT_INTENT_SUCCEEDED
            else:
                status = (
                    IntentStatus.REQUIRES_ACTION
                    if card.outcome is CardOutcome.AUTHENTICATE
                    else IntentStatus.REQUIRES_PAYMENT_METHOD
                )
                changes = {
                    "status": status.value,
                    "payment_method_id": None,
                    "decline_code": card.decline_code,
                    "decline_message": card.message,
                }
                event = PAYMENT_INTENT_FAILED if card.outcome is CardOutcome.DECLINE else None
            await self._repo.update_intent(intent.id, {**changes, "updated_at": now}, conn=conn)
            updated = await self._repo.get_intent(intent.id, conn=conn)
            assert updated is not None
            if event is not None and self.events is not None:
                await self.events.emit(
                    conn=conn,
                    application_id=updated.application_id,
                    type=event,
                    data=updated.to_json(),
                )
            return updated

    # --- payment methods ----------------------------------------------------------------

    async def update_payment_method(
        self,
        *,
        application_id: str,
        user_id: str,
        payment_method_id: str,
        set_default: bool | None,
        conn: AsyncConnection,
    ) -> dict[str, Any]:
        """Make ``payment_method_id`` the customer's default (``set_default`` True or
        absent) or clear its default flag (False).

        Known ids: the card of each succeeded intent of this user, and Stripe's fixed test
        ids ``pm_card_visa``, ``pm_card_visa_debit``, ``pm_card_mastercard`` and
        ``pm_card_amex`` (attached on first use). 404 ``PAYMENT_METHOD_NOT_FOUND`` otherwise.
        """
        now = self._clock.now()
        method = await self._repo.get_method(application_id, user_id, payment_method_id, conn=conn)
        if method is None:
            test = TEST_PAYMENT_METHODS.get(payment_method_id)
            if test is None:
                raise NotFoundError(
                    "Payment method not found", code=ErrorCode.PAYMENT_METHOD_NOT_FOUND
                )
            method = PaymentMethod(payment_method_id, test[0], test[1], False)
            await self._repo.attach_method(
                row_id=new_id("pmr"),
                application_id=application_id,
                user_id=user_id,
                method=method,
                now=now,
                conn=conn,
            )
        make_default = set_default is not False
        await self._repo.set_default(
            application_id, user_id, payment_method_id, make_default, now=now, conn=conn
        )
        return {
            "message": "Default payment method updated"
            if make_default
            else "Payment method is no longer the default",
            "customer_id": customer_id_for(application_id, user_id),
            "payment_method_id": payment_method_id,
            "is_default": make_default,
            "brand": method.brand,
            "last4": method.last4,
        }
