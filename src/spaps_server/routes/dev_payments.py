"""``/_dev/payments`` (products, checkout sessions, subscriptions, charges and invoices at a
glance) and the scripted twin of the hosted checkout form:
``POST /_dev/checkout-sessions/{id}/pay`` with ``{"card": "4242424242424242"}`` does what
submitting the form does, and ``POST /_dev/checkout-sessions/{id}/authenticate`` with
``{"outcome": "complete"|"fail"}`` what the 3-D Secure page's buttons do."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from ..domain.clock import iso_or_none
from ..domain.error_codes import ErrorCode
from ..domain.errors import PaymentRequiredError
from ..http.deps import Ctx
from ..http.envelopes import Envelope, EnvelopeJSONResponse, ok
from ..http.pages import esc, page
from ..services.payments.checkout import PayResult, PayStatus

router = APIRouter(tags=["developer pages"])


class PayIn(BaseModel):
    """The card (spaces allowed) and, optionally, what the form's other fields would say."""

    card: str
    exp: str | None = None
    cvc: str | None = None
    email: str | None = None


class AuthenticateIn(BaseModel):
    outcome: Literal["complete", "fail"]


class PayOut(BaseModel):
    """What happened; ``redirect_url`` is where the browser would go next."""

    status: str
    session_id: str
    session_status: str
    payment_status: str
    payment_intent: str | None = None
    subscription: str | None = None
    redirect_url: str | None = None


def _pay_out(result: PayResult) -> EnvelopeJSONResponse:
    if result.status is PayStatus.DECLINED:
        decline = result.decline
        raise PaymentRequiredError(
            decline.message if decline else "Your card was declined.",
            code=ErrorCode.CARD_DECLINED,
            details={"decline_code": decline.code if decline else "generic_decline"},
        )
    s = result.session
    return ok(
        {
            "status": result.status.value,
            "session_id": s.id,
            "session_status": s.status.value,
            "payment_status": s.payment_status,
            "payment_intent": s.payment_intent_id,
            "subscription": s.subscription_id,
            "redirect_url": result.redirect_url,
        }
    )


@router.post(
    "/_dev/checkout-sessions/{session_id}/pay",
    summary="Pay a checkout session (scripted twin of the hosted form)",
    response_model=Envelope[PayOut],
)
async def pay_checkout_session(session_id: str, body: PayIn, ctx: Ctx) -> EnvelopeJSONResponse:
    """200 with ``status`` ``succeeded`` or ``requires_action``; 402 ``CARD_DECLINED`` with
    ``details.decline_code`` (the failed charge is recorded, the session stays open); 409
    ``CHECKOUT_SESSION_COMPLETE``; 400 ``CHECKOUT_SESSION_EXPIRED`` or ``INVALID_CARD``."""
    result = await ctx.payments.checkout.pay(
        session_id, card_number=body.card, expiry=body.exp, cvc=body.cvc, email=body.email
    )
    return _pay_out(result)


@router.post(
    "/_dev/checkout-sessions/{session_id}/authenticate",
    summary="Answer a 3-D Secure challenge (scripted twin of the test page)",
    response_model=Envelope[PayOut],
)
async def authenticate_checkout_session(
    session_id: str, body: AuthenticateIn, ctx: Ctx
) -> EnvelopeJSONResponse:
    """As the test page's buttons; 402 ``CARD_DECLINED`` (``authentication_failed``) for
    ``fail``; 400 ``AUTHENTICATION_NOT_PENDING`` without a challenge."""
    result = await ctx.payments.checkout.authenticate(
        session_id, succeed=body.outcome == "complete"
    )
    return _pay_out(result)


def _table(headers: tuple[str, ...], rows: list[tuple[Any, ...]], empty: str) -> str:
    if not rows:
        return f"<p class='muted'>{esc(empty)}</p>"
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _money(amount: int, currency: str) -> str:
    return esc(f"{amount / 100:,.2f} {currency.upper()}")


@router.get("/_dev/payments", summary="Payments at a glance", response_class=HTMLResponse)
async def payments_page(ctx: Ctx) -> HTMLResponse:
    """Products and prices, checkout sessions, subscriptions, charges and invoices."""
    await ctx.payments.checkout.expire_due()
    billing = ctx.payments.billing
    products = await billing.payments.all_products()
    sessions = await ctx.payments.checkout.repository.all()
    subs = await billing.payments.all_subscriptions()
    charges = await billing.payments.all()
    price_rows = [
        (
            f"<code>{esc(p.id)}</code> {esc(p.name)}"
            + ("" if p.active else " <span class='badge'>archived</span>"),
            esc(p.category or ""),
            esc(p.tier or ""),
            "<br>".join(
                f"<code>{esc(pr.id)}</code> {_money(pr.unit_amount, pr.currency)}"
                f"{' / ' + esc(pr.interval) if pr.interval else ' once'}"
                f" <span class='muted'>{esc(pr.nickname or '')}</span>"
                for pr in p.prices
            ),
        )
        for p in products
    ]
    session_rows = [
        (
            f"<a href='/checkout/{esc(s.id)}'><code>{esc(s.id)}</code></a>"
            if s.status.value == "open"
            else f"<code>{esc(s.id)}</code>",
            esc(s.mode.value),
            esc(s.status.value) + (" (3-D Secure)" if s.pending_authentication else ""),
            esc(s.customer_email or "")
            + (" <span class='badge'>guest</span>" if s.is_guest else ""),
            _money(s.amount_total, s.currency),
            esc(iso_or_none(s.expires_at)),
        )
        for s in sessions
    ]
    sub_rows = [
        (
            f"<code>{esc(s.id)}</code>",
            esc(s.status.value) + (" (cancels at period end)" if s.cancel_at_period_end else ""),
            f"<code>{esc(s.price_id)}</code>",
            esc(s.customer_email or s.user_id or ""),
            esc(iso_or_none(s.current_period_end)),
        )
        for s in subs
    ]
    charge_rows = [
        (
            f"<code>{esc(c.id)}</code>",
            esc(c.status) + (f" ({esc(c.failure_code)})" if c.failure_code else ""),
            _money(c.amount, c.currency),
            esc(c.description),
            esc(c.customer_email or ""),
            f"<a href='/invoices/{esc(c.invoice_id)}'>{esc(c.invoice_id)}</a>"
            if c.invoice_id
            else "",
            esc(iso_or_none(c.created_at)),
        )
        for c in charges
    ]
    body = (
        "<h1>Payments</h1>"
        "<p class='muted'>Pay any open session on its page with a Stripe test card: "
        "<code>4242 4242 4242 4242</code> succeeds; <code>4000 0000 0000 0002</code> is "
        "declined (generic), <code>…9995</code> insufficient funds, <code>…0069</code> "
        "expired card, <code>…0127</code> incorrect CVC; <code>4000 0025 0000 3155</code> "
        "asks for 3-D Secure. Scripted: <code>POST /_dev/checkout-sessions/{id}/pay</code> "
        'with <code>{"card": "4242424242424242"}</code>.</p>'
        "<h2>Products and prices</h2>"
        + _table(("Product", "Category", "Tier", "Prices"), price_rows, "No products.")
        + "<h2>Checkout sessions</h2>"
        + _table(
            ("Session", "Mode", "Status", "Customer", "Total", "Expires (UTC)"),
            session_rows,
            "No checkout sessions yet.",
        )
        + "<h2>Subscriptions</h2>"
        + _table(
            ("Subscription", "Status", "Price", "Customer", "Period ends (UTC)"),
            sub_rows,
            "No subscriptions yet.",
        )
        + "<h2>Charges and invoices</h2>"
        + _table(
            ("Payment", "Status", "Amount", "Description", "Customer", "Invoice", "Created (UTC)"),
            charge_rows,
            "No charges yet.",
        )
    )
    return HTMLResponse(page("SPAPS local: payments", body))
