"""Crypto invoices on a simulated chain, and the reconciliation of open invoices.

Every state change of an invoice (creation, a payment received, expiry) happens in one method
on one database transaction, and is announced as ``crypto.invoice.updated`` through the
optional :class:`EventEmitter` in that same transaction (a transactional outbox).

Expiry is evaluated against the server clock whenever an invoice is read, paid or reconciled,
and the ``expired`` status is then written, so every reader sees the same state.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock
from ..domain.crypto import (
    ASSETS,
    DEFAULT_EXPIRES_IN_SECONDS,
    MAX_EXPIRES_IN_SECONDS,
    MIN_EXPIRES_IN_SECONDS,
    CryptoInvoice,
    InvoicePayment,
    InvoiceStatus,
    ReconcileJob,
    parse_amount,
    resolve_asset,
)
from ..domain.error_codes import ErrorCode
from ..domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    UnauthorizedError,
)
from ..domain.ids import new_id
from ..domain.models import Application
from ..security.base58 import b58encode
from ..storage.crypto import CryptoRepository
from ..storage.database import Database
from .events import EventEmitter

INVOICE_UPDATED = "crypto.invoice.updated"
RECONCILE_PAGE_SIZE = 100


def recon_token_for(application: Application, default_token: str) -> str:
    """The application's reconciliation token: the data dir's ``recon_token`` for the
    default application; for any other, an HMAC of its id keyed with that secret, so each
    application has its own token without another secret file."""
    if application.is_default:
        return default_token
    mac = hmac.new(default_token.encode(), f"recon:{application.id}".encode(), hashlib.sha256)
    return "rcn_" + mac.hexdigest()


def check_recon_token(application: Application, default_token: str, given: str | None) -> None:
    """401 ``RECON_TOKEN_REQUIRED`` without a token; 403 ``INVALID_RECON_TOKEN`` for another
    application's or a wrong one (compared in constant time)."""
    if not given:
        raise UnauthorizedError(
            "Reconciliation needs the application's recon token in X-Recon-Token",
            code=ErrorCode.RECON_TOKEN_REQUIRED,
        )
    expected = recon_token_for(application, default_token)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ForbiddenError(
            "X-Recon-Token is not this application's recon token",
            code=ErrorCode.INVALID_RECON_TOKEN,
        )


def _simulated_transaction_hash(network: str) -> str:
    if network == "solana":
        return b58encode(secrets.token_bytes(64))
    return "0x" + secrets.token_hex(32)


class CryptoService:
    """Creates, reads, settles, expires and reconciles crypto invoices."""

    def __init__(self, db: Database, clock: Clock, events: EventEmitter | None = None) -> None:
        self._db = db
        self._clock = clock
        self._repo = CryptoRepository(db)
        self.events = events

    async def _announce(self, invoice: CryptoInvoice, conn: AsyncConnection) -> None:
        if self.events is not None:
            await self.events.emit(
                conn=conn,
                application_id=invoice.application_id,
                type=INVOICE_UPDATED,
                data={**invoice.to_json(), **invoice.status_json()},
            )

    async def create_invoice(
        self,
        *,
        application_id: str,
        user_id: str,
        asset: str,
        network: str,
        amount: object,
        expires_in_seconds: int | None = None,
        beneficiary: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        conn: AsyncConnection,
    ) -> CryptoInvoice:
        """A new ``pending`` invoice for ``amount`` (a decimal string) of ``asset`` on
        ``network``, expiring ``expires_in_seconds`` from now (default 15 minutes).

        400 ``UNSUPPORTED_ASSET``, ``UNSUPPORTED_NETWORK``, ``INVALID_AMOUNT`` or
        ``INVALID_EXPIRY``.
        """
        known, network_name = resolve_asset(asset, network)
        value = parse_amount(amount, decimals=known.decimals)
        ttl = DEFAULT_EXPIRES_IN_SECONDS if expires_in_seconds is None else expires_in_seconds
        if not MIN_EXPIRES_IN_SECONDS <= ttl <= MAX_EXPIRES_IN_SECONDS:
            raise InvalidError(
                f"expires_in_seconds must be between {MIN_EXPIRES_IN_SECONDS} and "
                f"{MAX_EXPIRES_IN_SECONDS}",
                code=ErrorCode.INVALID_EXPIRY,
            )
        now = self._clock.now()
        invoice = CryptoInvoice(
            id=new_id("inv"),
            application_id=application_id,
            user_id=user_id,
            asset=known.symbol,
            network=network_name,
            amount=value,
            status=InvoiceStatus.PENDING,
            received_amount=Decimal(0),
            metadata={**(metadata or {}), "application_id": application_id},
            beneficiary=beneficiary,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            updated_at=now,
        )
        await self._repo.insert_invoice(invoice, conn=conn)
        await self._announce(invoice, conn)
        return invoice

    async def _expire_if_due(self, invoice: CryptoInvoice, conn: AsyncConnection) -> CryptoInvoice:
        now = self._clock.now()
        if invoice.status.is_final or now < invoice.expires_at:
            return invoice
        await self._repo.save_state(
            invoice.id,
            status=InvoiceStatus.EXPIRED,
            received_amount=invoice.received_amount,
            updated_at=now,
            finalized_at=invoice.expires_at,
            conn=conn,
        )
        expired = await self._repo.get_invoice(invoice.id, conn=conn)
        assert expired is not None
        await self._announce(expired, conn)
        return expired

    async def get_invoice(self, application_id: str, invoice_id: str) -> CryptoInvoice:
        """The application's invoice as of now (expired if its time ran out unpaid);
        404 ``INVOICE_NOT_FOUND``."""
        invoice = await self._repo.get_invoice(invoice_id, application_id=application_id)
        if invoice is None:
            raise NotFoundError("Crypto invoice not found", code=ErrorCode.INVOICE_NOT_FOUND)
        if invoice.status.is_final or self._clock.now() < invoice.expires_at:
            return invoice
        async with self._db.begin() as conn:
            locked = await self._repo.get_invoice(invoice_id, lock=True, conn=conn)
            assert locked is not None
            return await self._expire_if_due(locked, conn)

    async def record_payment(
        self,
        invoice_id: str,
        amount: object,
        *,
        transaction_hash: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> CryptoInvoice:
        """Record an on-chain transfer of ``amount`` to the invoice (the simulated chain).

        A total equal to the amount confirms the invoice; less leaves it ``partially_paid``;
        more confirms it and records the excess. 404 ``INVOICE_NOT_FOUND``, 400
        ``INVALID_AMOUNT``, 409 ``INVOICE_FINALIZED`` for a confirmed or expired invoice
        (including one whose time ran out just now), 409 ``TRANSACTION_ALREADY_RECORDED``
        for a transaction hash seen before.
        """
        async with self._db.use(conn) as c:
            invoice = await self._repo.get_invoice(invoice_id, lock=True, conn=c)
            if invoice is None:
                raise NotFoundError("Crypto invoice not found", code=ErrorCode.INVOICE_NOT_FOUND)
            value = parse_amount(amount, decimals=ASSETS[invoice.asset].decimals)
            invoice = await self._expire_if_due(invoice, c)
            if invoice.status.is_final:
                raise ConflictError(
                    f"The invoice is already {invoice.status.value}; it takes no more payments",
                    code=ErrorCode.INVOICE_FINALIZED,
                )
            now = self._clock.now()
            payment = InvoicePayment(
                id=new_id("ledg"),
                invoice_id=invoice.id,
                amount=value,
                transaction_hash=transaction_hash or _simulated_transaction_hash(invoice.network),
                received_at=now,
            )
            try:
                async with c.begin_nested():
                    await self._repo.insert_payment(payment, conn=c)
            except IntegrityError as exc:
                raise ConflictError(
                    "This transaction has already been recorded",
                    code=ErrorCode.TRANSACTION_ALREADY_RECORDED,
                ) from exc
            received = invoice.received_amount + value
            settled = received >= invoice.amount
            await self._repo.save_state(
                invoice.id,
                status=InvoiceStatus.CONFIRMED if settled else InvoiceStatus.PARTIALLY_PAID,
                received_amount=received,
                updated_at=now,
                finalized_at=now if settled else None,
                conn=c,
            )
            updated = await self._repo.get_invoice(invoice.id, conn=c)
            assert updated is not None
            await self._announce(updated, c)
            return updated

    async def reconcile(
        self, application_id: str, cursor: Mapping[str, Any] | None, *, conn: AsyncConnection
    ) -> ReconcileJob:
        """One reconciliation pass: every open invoice of the application after the cursor's
        ``last_invoice_id`` (up to a page) is brought up to date; the job's cursor continues
        the next pass. 400 ``INVALID_CURSOR`` for a cursor of another shape."""
        after: str | None = None
        if cursor:
            last = cursor.get("last_invoice_id")
            if last is not None and not isinstance(last, str):
                raise InvalidError(
                    'cursor must look like {"last_invoice_id": "inv_..."}',
                    code=ErrorCode.INVALID_CURSOR,
                )
            after = last
        scheduled = self._clock.now()
        ids = await self._repo.open_invoice_ids(
            application_id, after_id=after, limit=RECONCILE_PAGE_SIZE + 1, conn=conn
        )
        has_more = len(ids) > RECONCILE_PAGE_SIZE
        ids = ids[:RECONCILE_PAGE_SIZE]
        expired = 0
        for invoice_id in ids:
            invoice = await self._repo.get_invoice(invoice_id, lock=True, conn=conn)
            if invoice is None:
                continue
            if (await self._expire_if_due(invoice, conn)).status is InvoiceStatus.EXPIRED:
                expired += 1
        job = ReconcileJob(
            id=new_id("job"),
            application_id=application_id,
            scheduled_at=scheduled,
            completed_at=self._clock.now(),
            last_invoice_id=ids[-1] if ids else after,
            invoices_checked=len(ids),
            invoices_expired=expired,
            has_more=has_more,
        )
        await self._repo.insert_job(job, conn=conn)
        return job

    async def recent_invoices(self, limit: int = 50) -> list[CryptoInvoice]:
        """The newest invoices of every application, for the developer pages."""
        return await self._repo.recent_invoices(limit=limit)
