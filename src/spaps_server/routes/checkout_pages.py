"""The hosted checkout page (a session's ``checkout_url``), its 3-D Secure step and the local
invoice page (``invoice_pdf``). Plain HTML forms: no JavaScript, no assets from anywhere.

* ``GET /checkout/{id}``: line items, total, an e-mail field for guests, card fields with the
  standard ``autocomplete`` attributes; ``POST`` pays (303 to ``success_url`` on success, the
  page again with the decline reason otherwise, 303 to the 3-D Secure page for Stripe's
  authentication card);
* ``GET/POST /checkout/{id}/authenticate``: "Complete" or "Fail authentication";
* ``GET /checkout/{id}/cancel``: 303 back to ``cancel_url`` (the session stays open);
* ``GET /invoices/{id}``: the invoice of a successful charge.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from ..domain.error_codes import ErrorCode
from ..domain.errors import DomainError, NotFoundError
from ..domain.payments import CheckoutSession, CheckoutStatus, Payment
from ..http.deps import Ctx
from ..http.pages import esc, page
from ..services.payments.checkout import PayResult, PayStatus

router = APIRouter(tags=["hosted checkout"])

_MAX_FORM_BYTES = 16 * 1024
_NAV: tuple[tuple[str, str], ...] = ()

_CHECKOUT_STYLE = (
    "<style>.checkout{max-width:460px;margin:24px auto}.checkout label{display:block;"
    "margin:12px 0 4px;font-weight:600;font-size:13px}.checkout input{width:100%;"
    "padding:9px 10px;font:inherit;border:1px solid var(--line);border-radius:6px;"
    "background:var(--bg);color:var(--fg)}.row{display:flex;gap:10px}.row>div{flex:1}"
    ".pay{margin-top:18px;width:100%;padding:11px;font:inherit;font-weight:700;border:0;"
    "border-radius:6px;background:var(--accent);color:#fff;cursor:pointer}"
    ".error{border:1px solid #b03a2e;background:#fbeaea;color:#7d1f16;padding:10px 12px;"
    "border-radius:6px;margin:12px 0}.total td{font-weight:700}.secondary{background:#56606b}"
    "</style>"
)


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:,.2f} {currency.upper()}"


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    if len(raw) > _MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items() if values}


def _closed_page(session: CheckoutSession) -> HTMLResponse:
    if session.status is CheckoutStatus.COMPLETE:
        text = "This checkout session has already been paid."
    else:
        text = "This checkout session has expired and can no longer be paid."
    body = (
        f"<div class='checkout'><h1>Checkout</h1><p class='error' role='alert'>{esc(text)}</p>"
        f"<p class='muted'>Session <code>{esc(session.id)}</code></p></div>"
    )
    return HTMLResponse(page("Checkout closed", _CHECKOUT_STYLE + body, nav=_NAV), status_code=410)


def checkout_form(
    session: CheckoutSession, *, error: str | None = None, email: str = "", name: str = ""
) -> str:
    """The checkout page of an open session (``error`` shown above the form)."""
    rows = "".join(
        f"<tr><td>{esc(item.description)}</td><td>{item.quantity}</td>"
        f"<td>{esc(_money(item.amount, item.currency))}"
        f"{' / ' + esc(item.interval) if item.interval else ''}</td></tr>"
        for item in session.line_items
    )
    email_field = (
        "<label for='email'>Email</label>"
        f"<input id='email' name='email' type='email' autocomplete='email' required "
        f"value='{esc(email or session.customer_email or '')}'>"
        if session.is_guest
        else f"<p class='muted'>Paying as <strong>{esc(session.customer_email or '')}</strong></p>"
    )
    alert = f"<div class='error' role='alert' id='card-error'>{esc(error)}</div>" if error else ""
    body = (
        "<div class='checkout'>"
        f"<h1>Checkout</h1><p class='muted'>Session <code>{esc(session.id)}</code>"
        f" &middot; {esc(session.mode.value)}</p>"
        f"<table><tr><th>Item</th><th>Qty</th><th>Amount</th></tr>{rows}"
        f"<tr class='total'><td>Total</td><td></td>"
        f"<td id='total'>{esc(_money(session.amount_total, session.currency))}</td></tr></table>"
        f"{alert}"
        f"<form method='post' action='/checkout/{esc(session.id)}'>"
        f"{email_field}"
        "<label for='card_name'>Name on card</label>"
        f"<input id='card_name' name='card_name' autocomplete='cc-name' value='{esc(name)}'>"
        "<label for='card_number'>Card number</label>"
        "<input id='card_number' name='card_number' inputmode='numeric' autocomplete='cc-number'"
        " placeholder='4242 4242 4242 4242' required>"
        "<div class='row'><div><label for='card_exp'>Expiry</label>"
        "<input id='card_exp' name='card_exp' autocomplete='cc-exp' placeholder='MM / YY'"
        " required></div>"
        "<div><label for='card_cvc'>CVC</label>"
        "<input id='card_cvc' name='card_cvc' inputmode='numeric' autocomplete='cc-csc'"
        " placeholder='123' required></div></div>"
        f"<button class='pay' type='submit' id='pay'>Pay "
        f"{esc(_money(session.amount_total, session.currency))}</button></form>"
        f"<p><a href='/checkout/{esc(session.id)}/cancel' id='cancel'>Cancel and return</a></p>"
        "<p class='muted'>Local test server: no real money moves. Test cards: "
        "<code>4242 4242 4242 4242</code> succeeds, <code>4000 0000 0000 0002</code> is "
        "declined, <code>4000 0025 0000 3155</code> asks for authentication.</p>"
        "</div>"
    )
    return page(f"Checkout {session.id}", _CHECKOUT_STYLE + body, nav=_NAV)


def _after_payment(result: PayResult, **form: str) -> Response:
    if result.status is PayStatus.SUCCEEDED and result.redirect_url:
        return RedirectResponse(result.redirect_url, status_code=303)
    if result.status is PayStatus.REQUIRES_ACTION and result.redirect_url:
        return RedirectResponse(f"/checkout/{result.session.id}/authenticate", status_code=303)
    message = result.decline.message if result.decline else "Your card was declined."
    return HTMLResponse(checkout_form(result.session, error=message, **form), status_code=402)


@router.get("/checkout/{session_id}", summary="Hosted checkout page", response_class=HTMLResponse)
async def checkout_page(session_id: str, ctx: Ctx) -> Response:
    """The payment form of an open session (410 once paid or expired)."""
    session = await ctx.payments.checkout.find(session_id)
    if session.status is not CheckoutStatus.OPEN:
        return _closed_page(session)
    return HTMLResponse(checkout_form(session))


@router.post(
    "/checkout/{session_id}", summary="Pay on the hosted page", response_class=HTMLResponse
)
async def submit_checkout(session_id: str, request: Request, ctx: Ctx) -> Response:
    """Form fields ``email`` (guests), ``card_name``, ``card_number``, ``card_exp``,
    ``card_cvc``. 303 to ``success_url`` or the 3-D Secure page; the form again with the
    reason (402 declined, 400 malformed) otherwise."""
    checkout = ctx.payments.checkout
    session = await checkout.find(session_id)
    if session.status is not CheckoutStatus.OPEN:
        return _closed_page(session)
    form = await _form(request)
    kept = {"email": form.get("email", ""), "name": form.get("card_name", "")}
    try:
        result = await checkout.pay(
            session_id,
            card_number=form.get("card_number", ""),
            expiry=form.get("card_exp", ""),
            cvc=form.get("card_cvc", ""),
            email=form.get("email") or None,
        )
    except NotFoundError:
        raise
    except DomainError as exc:
        current = await checkout.find(session_id)
        if current.status is not CheckoutStatus.OPEN:
            return _closed_page(current)
        return HTMLResponse(checkout_form(current, error=exc.message, **kept), status_code=400)
    return _after_payment(result, **kept)


@router.get(
    "/checkout/{session_id}/authenticate",
    summary="3-D Secure test page",
    response_class=HTMLResponse,
)
async def authenticate_page(session_id: str, ctx: Ctx) -> Response:
    """ "Complete" or "Fail" the authentication Stripe's 3155 card asks for."""
    session = await ctx.payments.checkout.find(session_id)
    if session.status is not CheckoutStatus.OPEN:
        return _closed_page(session)
    if not session.pending_authentication:
        return RedirectResponse(f"/checkout/{session.id}", status_code=303)
    action = f"/checkout/{esc(session.id)}/authenticate"
    body = (
        "<div class='checkout'><h1>3-D Secure test page</h1>"
        f"<p>Your bank asks you to confirm the payment of "
        f"<strong>{esc(_money(session.amount_total, session.currency))}</strong>.</p>"
        "<p class='muted'>This local page stands in for the bank's challenge.</p>"
        f"<form method='post' action='{action}'>"
        "<button class='pay' type='submit' name='outcome' value='complete' id='complete'>"
        "Complete authentication</button>"
        "<button class='pay secondary' type='submit' name='outcome' value='fail' id='fail'>"
        "Fail authentication</button></form></div>"
    )
    return HTMLResponse(page("Authenticate payment", _CHECKOUT_STYLE + body, nav=_NAV))


@router.post(
    "/checkout/{session_id}/authenticate",
    summary="Answer the 3-D Secure test page",
    response_class=HTMLResponse,
)
async def submit_authentication(session_id: str, request: Request, ctx: Ctx) -> Response:
    """``outcome=complete`` pays (303 to ``success_url``); ``outcome=fail`` shows the form
    again with the failure."""
    form = await _form(request)
    checkout = ctx.payments.checkout
    try:
        result = await checkout.authenticate(session_id, succeed=form.get("outcome") == "complete")
    except NotFoundError:
        raise
    except DomainError as exc:
        current = await checkout.find(session_id)
        if current.status is not CheckoutStatus.OPEN:
            return _closed_page(current)
        return HTMLResponse(checkout_form(current, error=exc.message), status_code=400)
    return _after_payment(result)


@router.get(
    "/checkout/{session_id}/cancel",
    summary="Leave the checkout page",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "Redirect to the session's cancel_url (no body)"}},
)
async def cancel_checkout(session_id: str, ctx: Ctx) -> Response:
    """303 to the session's ``cancel_url``; the session stays open."""
    session = await ctx.payments.checkout.find(session_id)
    return RedirectResponse(session.cancel_url, status_code=303)


def invoice_html(payment: Payment, session: CheckoutSession | None) -> str:
    """The invoice page of a successful charge."""
    lines = (
        "".join(
            f"<tr><td>{esc(i.description)}</td><td>{i.quantity}</td>"
            f"<td>{esc(_money(i.amount, i.currency))}</td></tr>"
            for i in session.line_items
        )
        if session
        else f"<tr><td>{esc(payment.description)}</td><td>1</td>"
        f"<td>{esc(_money(payment.amount, payment.currency))}</td></tr>"
    )
    card = (
        f"{esc(payment.card_brand)} ending {esc(payment.card_last4)}"
        if payment.card_last4
        else "card on file"
    )
    subscription = (
        f"<tr><th>Subscription</th><td><code>{esc(payment.subscription_id)}</code></td></tr>"
        if payment.subscription_id
        else ""
    )
    body = (
        f"<h1>Invoice <code>{esc(payment.invoice_id)}</code></h1><table>"
        f"<tr><th>Status</th><td>paid</td></tr>"
        f"<tr><th>Date (UTC)</th><td>{esc(payment.created_at.strftime('%Y-%m-%d %H:%M'))}</td></tr>"
        f"<tr><th>Billed to</th><td>{esc(payment.customer_email or '')}</td></tr>"
        f"<tr><th>Payment</th><td><code>{esc(payment.id)}</code> ({card})</td></tr>"
        f"{subscription}"
        "</table>"
        f"<table><tr><th>Item</th><th>Qty</th><th>Amount</th></tr>{lines}"
        f"<tr class='total'><td>Total</td><td></td>"
        f"<td>{esc(_money(payment.amount, payment.currency))}</td></tr></table>"
        "<p class='muted'>Issued by the SPAPS local server (test mode).</p>"
    )
    return page(f"Invoice {payment.invoice_id}", _CHECKOUT_STYLE + body, nav=_NAV)


@router.get("/invoices/{invoice_id}", summary="Invoice page", response_class=HTMLResponse)
async def invoice_page(invoice_id: str, ctx: Ctx) -> HTMLResponse:
    """The invoice of a successful charge (a charge's ``invoice_pdf``); 404 otherwise."""
    payment = await ctx.payments.billing.payments.by_invoice(invoice_id)
    if payment is None:
        raise NotFoundError(f"Invoice {invoice_id} not found", code=ErrorCode.NOT_FOUND)
    session = (
        await ctx.payments.checkout.repository.get(payment.checkout_session_id)
        if payment.checkout_session_id
        else None
    )
    return HTMLResponse(invoice_html(payment, session))
