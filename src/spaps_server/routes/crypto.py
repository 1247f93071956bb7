"""``/api/payments/crypto`` (protocol §3.5, endpoints #38-#41): crypto invoices and their
reconciliation. Amounts are decimal strings (Appendix A item 7); creating an invoice and
reconciling run through the idempotency helper (D5)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from ..http.deps import Ctx, CurrentApplication, CurrentPrincipal
from ..http.envelopes import Envelope, EnvelopeJSONResponse, ok
from ..http.idempotency import idempotent
from ..services.crypto import check_recon_token

router = APIRouter(prefix="/api/payments/crypto", tags=["crypto payments"])


class InvoiceIn(BaseModel):
    """``POST /invoices``: ``amount`` is a decimal string such as ``"42.75"``."""

    asset: str = Field(max_length=16)
    network: str = Field(max_length=32)
    amount: Any = Field(description='A decimal string, e.g. "42.75"')
    expires_in_seconds: int | None = None
    beneficiary: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class InvoiceOut(BaseModel):
    """The contract's ``CryptoInvoice`` (``id`` and ``invoice_id`` carry the same value)."""

    id: str
    invoice_id: str
    asset: str
    network: str
    amount: str
    status: str
    expires_at: str
    created_at: str
    beneficiary: dict[str, Any] | None = None
    metadata: dict[str, Any]
    received_amount: str


class InvoiceEnvelopeData(BaseModel):
    invoice: InvoiceOut


class InvoiceStatusOut(BaseModel):
    """The contract's ``CryptoInvoiceStatus``; ``excess_amount`` only when overpaid."""

    invoice_id: str
    status: str
    finalized_at: str | None = None
    normalized_amount: str | None = None
    settlement_ids: list[str]
    underpaid: bool
    overpaid: bool
    excess_amount: str | None = None


class ReconcileIn(BaseModel):
    """``POST /reconcile``: the previous job's ``cursor`` to continue from, or nothing."""

    cursor: dict[str, Any] | None = None


class ReconcileCursor(BaseModel):
    last_invoice_id: str | None = None


class ReconcileJobOut(BaseModel):
    """The contract's ``CryptoReconcileJob`` plus the pass's counts."""

    job_id: str
    scheduled_at: str
    completed_at: str
    status: str
    cursor: ReconcileCursor
    invoices_checked: int
    invoices_expired: int
    has_more: bool


@router.post(
    "/invoices", summary="Create a crypto invoice", response_model=Envelope[InvoiceEnvelopeData]
)
async def create_invoice(
    body: InvoiceIn, request: Request, principal: CurrentPrincipal, ctx: Ctx
) -> Response:
    """A ``pending`` invoice (``data.invoice``) expiring after ``expires_in_seconds``
    (default 900, 60 to 604800). 400 ``UNSUPPORTED_ASSET``, ``UNSUPPORTED_NETWORK``,
    ``INVALID_AMOUNT`` or ``INVALID_EXPIRY``."""

    async def operation(conn: AsyncConnection) -> Response:
        invoice = await ctx.crypto.create_invoice(
            application_id=principal.application_id,
            user_id=principal.user_id,
            asset=body.asset,
            network=body.network,
            amount=body.amount,
            expires_in_seconds=body.expires_in_seconds,
            beneficiary=body.beneficiary,
            metadata=body.metadata,
            conn=conn,
        )
        return ok({"invoice": invoice.to_json()})

    return await idempotent(
        request,
        ctx,
        application_id=principal.application_id,
        caller=principal.user_id,
        operation=operation,
    )


@router.get(
    "/invoices/{invoice_id}",
    summary="Get a crypto invoice",
    response_model=Envelope[InvoiceEnvelopeData],
)
async def get_invoice(
    invoice_id: str, principal: CurrentPrincipal, ctx: Ctx
) -> EnvelopeJSONResponse:
    """The application's invoice as of now; 404 ``INVOICE_NOT_FOUND``."""
    invoice = await ctx.crypto.get_invoice(principal.application_id, invoice_id)
    return ok({"invoice": invoice.to_json()})


@router.get(
    "/invoices/{invoice_id}/status",
    summary="Settlement status of a crypto invoice",
    response_model=Envelope[InvoiceStatusOut],
)
async def get_invoice_status(
    invoice_id: str, principal: CurrentPrincipal, ctx: Ctx
) -> EnvelopeJSONResponse:
    """Status, ``normalized_amount`` received, ``settlement_ids`` and the under/overpaid
    flags; 404 ``INVOICE_NOT_FOUND``."""
    invoice = await ctx.crypto.get_invoice(principal.application_id, invoice_id)
    return ok(invoice.status_json())


@router.post(
    "/reconcile", summary="Reconcile open crypto invoices", response_model=Envelope[ReconcileJobOut]
)
async def reconcile(
    body: ReconcileIn,
    request: Request,
    app: CurrentApplication,
    principal: CurrentPrincipal,
    ctx: Ctx,
    x_recon_token: Annotated[str | None, Header(alias="X-Recon-Token")] = None,
) -> Response:
    """Needs ``X-Recon-Token`` (the application's recon token: ``recon_token`` in the
    ``spaps local --json`` record): 401 ``RECON_TOKEN_REQUIRED`` without it, 403
    ``INVALID_RECON_TOKEN`` for a wrong one. Runs one pass over up to 100 open invoices
    after ``cursor.last_invoice_id`` and answers the finished job."""
    check_recon_token(app, ctx.config.secrets.recon_token, x_recon_token)

    async def operation(conn: AsyncConnection) -> Response:
        job = await ctx.crypto.reconcile(principal.application_id, body.cursor, conn=conn)
        return ok(job.to_json())

    return await idempotent(
        request,
        ctx,
        application_id=principal.application_id,
        caller=principal.user_id,
        operation=operation,
    )
