"""Repository for wallet deposits, payment intents, payment methods and balance entries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.crypto import format_amount
from ..domain.wallet_payments import (
    DepositStatus,
    IntentStatus,
    PaymentIntent,
    PaymentMethod,
    WalletDeposit,
)
from .database import Database
from .tables import balance_entries, payment_intents, payment_methods, wallet_deposits

_INTENT_UPDATABLE = frozenset(
    {"status", "payment_method_id", "decline_code", "decline_message", "updated_at"}
)


def _deposit(row: sa.Row[tuple[object, ...]]) -> WalletDeposit:
    m = row._mapping
    return WalletDeposit(
        id=m["id"],
        application_id=m["application_id"],
        user_id=m["user_id"],
        wallet_address=m["wallet_address"],
        chain_type=m["chain_type"],
        transaction_id=m["transaction_id"],
        amount=Decimal(m["amount"]),
        currency=m["currency"],
        tier=m["tier"],
        confirmation_required=int(m["confirmation_required"]),
        extra_confirmations=int(m["extra_confirmations"]),
        status=DepositStatus(m["status"]),
        created_at=m["created_at"],
        completed_at=m["completed_at"],
        balance_added=Decimal(m["balance_added"]) if m["balance_added"] is not None else None,
    )


def _intent(row: sa.Row[tuple[object, ...]]) -> PaymentIntent:
    m = row._mapping
    return PaymentIntent(
        id=m["id"],
        application_id=m["application_id"],
        user_id=m["user_id"],
        amount=int(m["amount"]),
        currency=m["currency"],
        payment_method_types=list(m["payment_method_types"]),
        metadata=dict(m["metadata"] or {}),
        status=IntentStatus(m["status"]),
        client_secret=m["client_secret"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        payment_method_id=m["payment_method_id"],
        decline_code=m["decline_code"],
        decline_message=m["decline_message"],
    )


class WalletPaymentsRepository:
    """The deposit, intent, payment-method and ledger tables; methods take ``conn=``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- deposits -----------------------------------------------------------------------

    async def insert_deposit(self, deposit: WalletDeposit, *, conn: AsyncConnection) -> None:
        """Store a new deposit; its transaction must be new to the application."""
        await conn.execute(
            wallet_deposits.insert().values(
                id=deposit.id,
                application_id=deposit.application_id,
                user_id=deposit.user_id,
                wallet_address=deposit.wallet_address,
                chain_type=deposit.chain_type,
                transaction_id=deposit.transaction_id,
                amount=format_amount(deposit.amount),
                currency=deposit.currency,
                tier=deposit.tier,
                confirmation_required=deposit.confirmation_required,
                extra_confirmations=deposit.extra_confirmations,
                status=deposit.status.value,
                created_at=deposit.created_at,
            )
        )

    async def find_deposit(
        self,
        *,
        application_id: str | None,
        user_id: str | None,
        deposit_id: str | None = None,
        transaction_id: str | None = None,
        lock: bool = False,
        conn: AsyncConnection | None = None,
    ) -> WalletDeposit | None:
        """A deposit by id or by chain transaction, optionally scoped to an owner."""
        query = sa.select(wallet_deposits)
        if deposit_id is not None:
            query = query.where(wallet_deposits.c.id == deposit_id)
        if transaction_id is not None:
            query = query.where(wallet_deposits.c.transaction_id == transaction_id)
        if application_id is not None:
            query = query.where(wallet_deposits.c.application_id == application_id)
        if user_id is not None:
            query = query.where(wallet_deposits.c.user_id == user_id)
        if lock:
            query = query.with_for_update()
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query.limit(1))).first()
        return _deposit(row) if row else None

    async def pending_deposits(
        self, application_id: str, user_id: str, *, conn: AsyncConnection
    ) -> list[WalletDeposit]:
        """The user's deposits still waiting for confirmations, locked for update."""
        query = (
            sa.select(wallet_deposits)
            .where(
                wallet_deposits.c.application_id == application_id,
                wallet_deposits.c.user_id == user_id,
                wallet_deposits.c.status == DepositStatus.PENDING.value,
            )
            .order_by(wallet_deposits.c.created_at)
            .with_for_update()
        )
        return [_deposit(r) for r in await conn.execute(query)]

    async def add_confirmations(
        self, deposit_id: str, count: int, *, conn: AsyncConnection
    ) -> None:
        """Add ``count`` confirmations beyond those the clock has mined."""
        await conn.execute(
            wallet_deposits.update()
            .where(wallet_deposits.c.id == deposit_id)
            .values(extra_confirmations=wallet_deposits.c.extra_confirmations + count)
        )

    async def mark_confirmed(
        self,
        deposit_id: str,
        *,
        completed_at: datetime,
        balance_added: Decimal,
        conn: AsyncConnection,
    ) -> bool:
        """Flip a pending deposit to confirmed; False if another transaction did first."""
        result = await conn.execute(
            wallet_deposits.update()
            .where(
                wallet_deposits.c.id == deposit_id,
                wallet_deposits.c.status == DepositStatus.PENDING.value,
            )
            .values(
                status=DepositStatus.CONFIRMED.value,
                completed_at=completed_at,
                balance_added=format_amount(balance_added),
            )
        )
        return result.rowcount == 1

    # --- balance ------------------------------------------------------------------------

    async def credit(
        self,
        *,
        entry_id: str,
        application_id: str,
        user_id: str,
        amount: Decimal,
        currency: str,
        source_type: str,
        source_id: str,
        created_at: datetime,
        conn: AsyncConnection,
    ) -> None:
        """Add a ledger entry; a source is credited once (unique constraint)."""
        await conn.execute(
            balance_entries.insert().values(
                id=entry_id,
                application_id=application_id,
                user_id=user_id,
                amount=format_amount(amount),
                currency=currency,
                source_type=source_type,
                source_id=source_id,
                created_at=created_at,
            )
        )

    async def ledger_total(
        self, application_id: str, user_id: str, *, conn: AsyncConnection
    ) -> Decimal:
        """The sum of the user's ledger entries (summed exactly, in Python)."""
        rows = await conn.execute(
            sa.select(balance_entries.c.amount).where(
                balance_entries.c.application_id == application_id,
                balance_entries.c.user_id == user_id,
            )
        )
        return sum((Decimal(a) for a in rows.scalars()), Decimal(0))

    # --- payment intents ----------------------------------------------------------------

    async def insert_intent(self, intent: PaymentIntent, *, conn: AsyncConnection) -> None:
        """Store a new payment intent."""
        await conn.execute(
            payment_intents.insert().values(
                id=intent.id,
                application_id=intent.application_id,
                user_id=intent.user_id,
                amount=intent.amount,
                currency=intent.currency,
                payment_method_types=intent.payment_method_types,
                metadata=intent.metadata,
                status=intent.status.value,
                client_secret=intent.client_secret,
                created_at=intent.created_at,
                updated_at=intent.updated_at,
            )
        )

    async def get_intent(
        self, intent_id: str, *, lock: bool = False, conn: AsyncConnection | None = None
    ) -> PaymentIntent | None:
        """A payment intent by id."""
        query = sa.select(payment_intents).where(payment_intents.c.id == intent_id)
        if lock:
            query = query.with_for_update()
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _intent(row) if row else None

    async def update_intent(
        self, intent_id: str, changes: Mapping[str, Any], *, conn: AsyncConnection
    ) -> None:
        """Apply ``changes`` (column → value) to an intent."""
        unknown = set(changes) - _INTENT_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        await conn.execute(
            payment_intents.update().where(payment_intents.c.id == intent_id).values(**changes)
        )

    # --- payment methods ----------------------------------------------------------------

    async def get_method(
        self, application_id: str, user_id: str, payment_method_id: str, *, conn: AsyncConnection
    ) -> PaymentMethod | None:
        """The user's attached payment method with this id."""
        row = (
            await conn.execute(
                sa.select(payment_methods).where(
                    payment_methods.c.application_id == application_id,
                    payment_methods.c.user_id == user_id,
                    payment_methods.c.payment_method_id == payment_method_id,
                )
            )
        ).first()
        if row is None:
            return None
        m = row._mapping
        return PaymentMethod(m["payment_method_id"], m["brand"], m["last4"], bool(m["is_default"]))

    async def attach_method(
        self,
        *,
        row_id: str,
        application_id: str,
        user_id: str,
        method: PaymentMethod,
        now: datetime,
        conn: AsyncConnection,
    ) -> None:
        """Attach a payment method to the user (not yet default)."""
        await conn.execute(
            payment_methods.insert().values(
                id=row_id,
                application_id=application_id,
                user_id=user_id,
                payment_method_id=method.payment_method_id,
                brand=method.brand,
                last4=method.last4,
                is_default=False,
                created_at=now,
                updated_at=now,
            )
        )

    async def set_default(
        self,
        application_id: str,
        user_id: str,
        payment_method_id: str,
        is_default: bool,
        *,
        now: datetime,
        conn: AsyncConnection,
    ) -> None:
        """Make the method the user's default (clearing any other) or clear its flag."""
        owner = sa.and_(
            payment_methods.c.application_id == application_id,
            payment_methods.c.user_id == user_id,
        )
        # Lock the user's methods first so two concurrent changes queue instead of both
        # clearing and then colliding on the one-default index.
        await conn.execute(sa.select(payment_methods.c.id).where(owner).with_for_update())
        if is_default:
            await conn.execute(
                payment_methods.update()
                .where(owner, payment_methods.c.is_default.is_(True))
                .values(is_default=False, updated_at=now)
            )
        await conn.execute(
            payment_methods.update()
            .where(owner, payment_methods.c.payment_method_id == payment_method_id)
            .values(is_default=is_default, updated_at=now)
        )
