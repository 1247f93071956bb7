"""``/_dev/`` actions of the simulated chain and card network (no API key: they stand in for
the outside world, for the person running the server):

* ``POST /_dev/crypto-invoices/{invoice_id}/payments`` ``{"amount": "42.75"}``: an on-chain
  transfer to an invoice;
* ``POST /_dev/wallet-deposits/{deposit_id}/confirmations`` ``{"count": 12}``: mine blocks
  on top of a deposit;
* ``POST /_dev/payment-intents/{intent_id}/confirm`` ``{"card": "4242424242424242"}``:
  charge a test card;
* ``GET /_dev/crypto``: recent invoices and the recon token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ..domain.crypto import format_amount
from ..http.deps import Ctx
from ..http.envelopes import Envelope, EnvelopeJSONResponse, ok
from ..http.pages import esc, page
from .crypto import InvoiceOut, InvoiceStatusOut
from .payments_wallet import PaymentIntentOut, WalletDepositOut

router = APIRouter(tags=["developer pages"])


class ChainPaymentIn(BaseModel):
    amount: Any = Field(description='A decimal string, e.g. "42.75"')
    transaction_hash: str | None = Field(default=None, min_length=1, max_length=128)


class ChainPaymentOut(BaseModel):
    """The invoice after the transfer and its settlement status."""

    invoice: InvoiceOut
    status: InvoiceStatusOut


class ConfirmationsIn(BaseModel):
    count: int = 1


class CardIn(BaseModel):
    card: str = Field(max_length=32)


@router.post(
    "/_dev/crypto-invoices/{invoice_id}/payments",
    summary="Pay a crypto invoice",
    response_model=Envelope[ChainPaymentOut],
)
async def pay_invoice(invoice_id: str, body: ChainPaymentIn, ctx: Ctx) -> EnvelopeJSONResponse:
    """Record a transfer of ``amount`` (a simulated transaction hash unless given): the
    invoice (``data.invoice``) and its settlement status (``data.status``)."""
    invoice = await ctx.crypto.record_payment(
        invoice_id, body.amount, transaction_hash=body.transaction_hash
    )
    return ok({"invoice": invoice.to_json(), "status": invoice.status_json()})


@router.post(
    "/_dev/wallet-deposits/{deposit_id}/confirmations",
    summary="Confirm a wallet deposit",
    response_model=Envelope[WalletDepositOut],
)
async def confirm_deposit(deposit_id: str, body: ConfirmationsIn, ctx: Ctx) -> EnvelopeJSONResponse:
    """Add ``count`` confirmations (1 to 1000); the deposit as it now stands."""
    deposit = await ctx.wallet_payments.add_confirmations(deposit_id, body.count)
    return ok(deposit.to_json(ctx.clock.now()))


@router.post(
    "/_dev/payment-intents/{intent_id}/confirm",
    summary="Confirm a payment intent",
    response_model=Envelope[PaymentIntentOut],
)
async def confirm_intent(intent_id: str, body: CardIn, ctx: Ctx) -> EnvelopeJSONResponse:
    """Charge a Stripe test card: 4242 4242 4242 4242 succeeds; 4000 0000 0000 0002
    (generic_decline), ...9995 (insufficient_funds), ...0069 (expired_card), ...0127
    (incorrect_cvc) decline; 4000 0025 0000 3155 needs authentication."""
    intent = await ctx.wallet_payments.confirm_intent(intent_id, body.card)
    return ok(intent.to_json())


@router.get("/_dev/crypto", summary="Crypto invoices (HTML)", response_class=HTMLResponse)
async def crypto_page(ctx: Ctx) -> HTMLResponse:
    """The newest invoices and how to pay them on the simulated chain."""
    invoices = await ctx.crypto.recent_invoices()
    rows = "".join(
        f"<tr><td><code>{esc(i.id)}</code></td><td>{esc(format_amount(i.amount))} "
        f"{esc(i.asset)}</td><td>{esc(i.network)}</td><td>{esc(i.status.value)}</td>"
        f"<td>{esc(format_amount(i.received_amount))}</td>"
        f"<td>{esc(i.expires_at.strftime('%Y-%m-%d %H:%M:%S'))}</td></tr>"
        for i in invoices
    )
    table = (
        "<table><tr><th>Invoice</th><th>Amount</th><th>Network</th><th>Status</th>"
        f"<th>Received</th><th>Expires (UTC)</th></tr>{rows}</table>"
        if invoices
        else "<p class='muted'>No crypto invoices yet.</p>"
    )
    body = (
        "<h1>Crypto invoices</h1>"
        f"<p>Recon token (<code>X-Recon-Token</code>) of the default application: "
        f"<code>{esc(ctx.config.secrets.recon_token)}</code></p>"
        f"{table}"
        "<p class='muted'>Pay one: <code>spaps crypto pay INVOICE_ID AMOUNT</code> or "
        '<code>POST /_dev/crypto-invoices/INVOICE_ID/payments {"amount": "42.75"}</code>'
        "</p>"
    )
    return HTMLResponse(page("SPAPS local: crypto invoices", body))
