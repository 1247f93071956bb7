"""Repository for crypto invoices, their on-chain payments and reconciliation jobs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.crypto import (
    CryptoInvoice,
    InvoicePayment,
    InvoiceStatus,
    ReconcileJob,
    format_amount,
)
from .database import Database
from .tables import crypto_invoice_payments, crypto_invoices, crypto_reconcile_jobs

_OPEN = (InvoiceStatus.PENDING.value, InvoiceStatus.PARTIALLY_PAID.value)


def _invoice(row: sa.Row[tuple[object, ...]], settlement_ids: tuple[str, ...]) -> CryptoInvoice:
    m = row._mapping
    return CryptoInvoice(
        id=m["id"],
        application_id=m["application_id"],
        user_id=m["user_id"],
        asset=m["asset"],
        network=m["network"],
        amount=Decimal(m["amount"]),
        status=InvoiceStatus(m["status"]),
        received_amount=Decimal(m["received_amount"]),
        metadata=dict(m["metadata"] or {}),
        beneficiary=dict(m["beneficiary"]) if m["beneficiary"] is not None else None,
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        updated_at=m["updated_at"],
        finalized_at=m["finalized_at"],
        settlement_ids=settlement_ids,
    )


class CryptoRepository:
    """The crypto tables. Every method accepts ``conn=`` to join a transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert_invoice(
        self, invoice: CryptoInvoice, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store a new invoice."""
        async with self._db.use(conn) as c:
            await c.execute(
                crypto_invoices.insert().values(
                    id=invoice.id,
                    application_id=invoice.application_id,
                    user_id=invoice.user_id,
                    asset=invoice.asset,
                    network=invoice.network,
                    amount=format_amount(invoice.amount),
                    received_amount=format_amount(invoice.received_amount),
                    status=invoice.status.value,
                    metadata=invoice.metadata,
                    beneficiary=invoice.beneficiary,
                    created_at=invoice.created_at,
                    expires_at=invoice.expires_at,
                    updated_at=invoice.updated_at,
                    finalized_at=invoice.finalized_at,
                )
            )

    async def get_invoice(
        self,
        invoice_id: str,
        *,
        application_id: str | None = None,
        lock: bool = False,
        conn: AsyncConnection | None = None,
    ) -> CryptoInvoice | None:
        """The invoice with its settlement ids (in arrival order), optionally only within
        one application; ``lock`` holds its row until the transaction ends (PostgreSQL;
        SQLite's write transactions are exclusive already)."""
        query = sa.select(crypto_invoices).where(crypto_invoices.c.id == invoice_id)
        if application_id is not None:
            query = query.where(crypto_invoices.c.application_id == application_id)
        if lock:
            query = query.with_for_update()
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
            if row is None:
                return None
            ids = await c.execute(
                sa.select(crypto_invoice_payments.c.id)
                .where(crypto_invoice_payments.c.invoice_id == invoice_id)
                .order_by(crypto_invoice_payments.c.received_at, crypto_invoice_payments.c.id)
            )
            return _invoice(row, tuple(str(i) for i in ids.scalars()))

    async def save_state(
        self,
        invoice_id: str,
        *,
        status: InvoiceStatus,
        received_amount: Decimal,
        updated_at: datetime,
        finalized_at: datetime | None,
        conn: AsyncConnection,
    ) -> None:
        """Record the invoice's new status and received total."""
        await conn.execute(
            crypto_invoices.update()
            .where(crypto_invoices.c.id == invoice_id)
            .values(
                status=status.value,
                received_amount=format_amount(received_amount),
                updated_at=updated_at,
                finalized_at=finalized_at,
            )
        )

    async def insert_payment(self, payment: InvoicePayment, *, conn: AsyncConnection) -> None:
        """Record an on-chain transfer; a transaction hash is recorded once."""
        await conn.execute(
            crypto_invoice_payments.insert().values(
                id=payment.id,
                invoice_id=payment.invoice_id,
                amount=format_amount(payment.amount),
                transaction_hash=payment.transaction_hash,
                received_at=payment.received_at,
            )
        )

    async def open_invoice_ids(
        self, application_id: str, *, after_id: str | None, limit: int, conn: AsyncConnection
    ) -> list[str]:
        """Ids of the application's unsettled invoices in id order, after ``after_id``."""
        query = (
            sa.select(crypto_invoices.c.id)
            .where(
                crypto_invoices.c.application_id == application_id,
                crypto_invoices.c.status.in_(_OPEN),
            )
            .order_by(crypto_invoices.c.id)
            .limit(limit)
        )
        if after_id is not None:
            query = query.where(crypto_invoices.c.id > after_id)
        return [str(i) for i in (await conn.execute(query)).scalars()]

    async def insert_job(self, job: ReconcileJob, *, conn: AsyncConnection) -> None:
        """Record a finished reconciliation pass."""
        await conn.execute(
            crypto_reconcile_jobs.insert().values(
                id=job.id,
                application_id=job.application_id,
                scheduled_at=job.scheduled_at,
                completed_at=job.completed_at,
                last_invoice_id=job.last_invoice_id,
                invoices_checked=job.invoices_checked,
                invoices_expired=job.invoices_expired,
                has_more=job.has_more,
            )
        )

    async def recent_invoices(
        self, *, limit: int = 50, conn: AsyncConnection | None = None
    ) -> list[CryptoInvoice]:
        """The newest invoices of every application (for ``/_dev/``), without settlement ids."""
        query = (
            sa.select(crypto_invoices).order_by(crypto_invoices.c.created_at.desc()).limit(limit)
        )
        async with self._db.use(conn, write=False) as c:
            return [_invoice(row, ()) for row in await c.execute(query)]
