"""Developer pages under ``/_dev/`` (no API key: they are for the person running the server)
and the mailbox's JSON view.

A page is listed on the index by adding it to :data:`DEV_PAGES`.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ..context import AppContext
from ..domain.errors import ForbiddenError
from ..domain.models import MailMessage
from ..http.deps import Ctx
from ..http.envelopes import Envelope, EnvelopeJSONResponse, respond
from ..http.pages import esc, page
from ..schemas.mailbox import MailboxCleared, MailMessageList, MailMessageOut, OneMailMessage

router = APIRouter(tags=["developer pages"])


@dataclasses.dataclass(frozen=True)
class DevPage:
    """A link on the ``/_dev/`` index."""

    path: str
    title: str
    description: str


DEV_PAGES: tuple[DevPage, ...] = (
    DevPage("/_dev/mailbox", "Mailbox", "E-mails the server has sent: magic links, resets."),
    DevPage("/_dev/webhooks", "Webhooks", "Endpoints, events, delivery attempts, replay."),
    DevPage(
        "/_dev/payments",
        "Payments",
        "Products, checkout sessions, subscriptions, charges and invoices; test cards.",
    ),
    DevPage("/_dev/usage", "Usage", "Feature limits, usage counters, secure-message keys."),
    DevPage("/_dev/crypto", "Crypto invoices", "Invoices on the simulated chain; recon token."),
    DevPage("/docs", "API reference", "Every route, generated from the OpenAPI schema."),
    DevPage("/openapi.json", "OpenAPI schema", "The machine-readable description."),
    DevPage("/api/metrics", "Metrics (Prometheus)", "Request counts, latencies, counters."),
    DevPage("/api/metrics/json", "Metrics (JSON)", "The same numbers as JSON."),
    DevPage("/health/ready", "Readiness", "Whether the database answers."),
)

_URL = re.compile(r"https?://[^\s<>\"']+")

ToFilter = Annotated[str | None, Query(max_length=320, description="Only messages to this address")]
AppFilter = Annotated[
    str | None, Query(max_length=64, description="Only messages of this application id")
]
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many, newest first")]


@router.get("/_dev/", summary="Developer pages index", response_class=HTMLResponse)
@router.get("/_dev", include_in_schema=False, response_class=HTMLResponse)
async def dev_index(request: Request, ctx: Ctx) -> HTMLResponse:
    """Links to the mailbox and every other developer page, and this server's settings."""
    # DEV_PAGES first, then any other /_dev/ page the app serves.
    from .home import developer_pages

    listed = {p.path for p in DEV_PAGES} | {"/_dev/"}
    found = [
        DevPage(link.path, link.title, link.description)
        for link in developer_pages(request.app)
        if link.path not in listed
    ]
    items = "".join(
        f'<tr><td><a href="{esc(p.path)}">{esc(p.title)}</a></td>'
        f"<td class='muted'>{esc(p.description)}</td></tr>"
        for p in (*DEV_PAGES, *found)
    )
    app = ctx.default_application
    body = (
        "<h1>Developer pages</h1>"
        f"<table>{items}</table>"
        "<h2>This server</h2><table>"
        f"<tr><th>Default application</th><td>{esc(app.name)} "
        f"<code>{esc(app.id)}</code></td></tr>"
        f"<tr><th>API key</th><td><code>{esc(ctx.config.default_api_key)}</code></td></tr>"
        f"<tr><th>Recon token</th><td><code>{esc(ctx.config.secrets.recon_token)}</code>"
        "</td></tr>"
        f"<tr><th>Database</th><td>{esc(ctx.db.kind.value)}</td></tr>"
        f"<tr><th>Data dir</th><td><code>{esc(ctx.config.data_dir)}</code></td></tr>"
        "</table>"
        f"{_seeded_accounts(ctx)}"
    )
    return HTMLResponse(page("SPAPS local: developer pages", body))


def _seeded_accounts(ctx: AppContext) -> str:
    if not ctx.seeded_accounts:
        return "<h2>Seeded accounts</h2><p class='muted'>None (started with --no-seed).</p>"
    rows = "".join(
        f"<tr><td><code>{esc(a.email or a.wallet_address or '')}</code></td>"
        f"<td><code>{esc(a.password or '')}</code></td><td>{esc(a.role)}</td>"
        f"<td>{esc(a.notes or '')}</td></tr>"
        for a in ctx.seeded_accounts
    )
    return (
        "<h2>Seeded accounts</h2><table><tr><th>Account</th><th>Password</th><th>Role</th>"
        f"<th>Notes</th></tr>{rows}</table>"
    )


def _linkify(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        out.append(esc(text[last : match.start()]))
        url = match.group(0)
        out.append(f'<a href="{esc(url)}">{esc(url)}</a>')
        last = match.end()
    out.append(esc(text[last:]))
    return "".join(out)


@router.get("/_dev/mailbox", summary="Mailbox (HTML)", response_class=HTMLResponse)
async def mailbox_page(
    ctx: Ctx, to: ToFilter = None, application_id: AppFilter = None, limit: Limit = 100
) -> HTMLResponse:
    """The outbox, newest first."""
    messages = await ctx.mailbox.list(to=to, application_id=application_id, limit=limit)
    rows = "".join(
        f"<tr><td>{esc(m.created_at.strftime('%Y-%m-%d %H:%M:%S'))}</td>"
        f"<td>{esc(m.to_address)}</td>"
        f'<td><a href="/_dev/mailbox/{esc(m.id)}">{esc(m.subject)}</a></td>'
        f"<td>{esc(m.kind)}</td><td>{esc(_delivery(m))}</td></tr>"
        for m in messages
    )
    filters = f" to <code>{esc(to)}</code>" if to else ""
    table = (
        "<table><tr><th>Sent (UTC)</th><th>To</th><th>Subject</th><th>Kind</th>"
        f"<th>SMTP</th></tr>{rows}</table>"
        if messages
        else f"<p class='muted'>{esc(_EMPTY_MAILBOX)}</p>"
    )
    # mailbox.js redraws #mail-list from the JSON view; without JavaScript a reload does.
    ids = ",".join(m.id for m in messages)
    body = (
        f"<h1>Mailbox{filters}</h1>"
        "<form method='get' action='/_dev/mailbox'>"
        f"<input name='to' placeholder='filter by recipient' value='{esc(to or '')}'> "
        "<button type='submit'>Filter</button></form>"
        f'<div id="mail-list" data-to="{esc(to or "")}" data-limit="{limit}" '
        f'data-ids="{esc(ids)}" data-empty="{esc(_EMPTY_MAILBOX)}">{table}</div>'
        "<form method='post' action='/_dev/mailbox/clear'>"
        "<button type='submit'>Empty the mailbox</button></form>"
        "<p class='muted'>JSON: <a href='/_dev/mailbox/messages'>/_dev/mailbox/messages</a>"
        "?to=ADDRESS. New mail appears here without a reload.</p>"
        '<script src="/_dev/assets/mailbox.js" defer></script>'
    )
    return HTMLResponse(page("SPAPS local: mailbox", body))


_EMPTY_MAILBOX = (
    "No messages yet. Magic links, password resets and receipts the server sends will appear here."
)
_MAILBOX_JS = Path(__file__).resolve().parent.parent / "http" / "static" / "mailbox.js"


@router.get("/_dev/assets/mailbox.js", include_in_schema=False)
async def mailbox_script() -> FileResponse:
    """The mailbox page's live update."""
    return FileResponse(_MAILBOX_JS, media_type="text/javascript")


@router.post("/_dev/mailbox/clear", include_in_schema=False)
async def clear_mailbox_form(request: Request, ctx: Ctx) -> Response:
    """The mailbox page's "Empty" button (a form, so it works without JavaScript)."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        # Another site's form must not empty a developer's mailbox.
        raise ForbiddenError("Cross-site request refused")
    await ctx.mailbox.clear()
    return RedirectResponse("/_dev/mailbox", status_code=303)


def _delivery(message: MailMessage) -> str:
    if message.delivered_at:
        return "delivered"
    if message.delivery_error:
        return "failed"
    return "stored"


@router.get(
    "/_dev/mailbox/messages",
    summary="Mailbox messages (JSON)",
    response_model=Envelope[MailMessageList],
)
async def mailbox_messages(
    ctx: Ctx, to: ToFilter = None, application_id: AppFilter = None, limit: Limit = 100
) -> EnvelopeJSONResponse:
    """``{"success": true, "data": {"messages": [...]}}``, newest first."""
    messages = await ctx.mailbox.list(to=to, application_id=application_id, limit=limit)
    listed = MailMessageList(messages=[MailMessageOut.of(m) for m in messages], count=len(messages))
    return respond(Envelope[MailMessageList](data=listed))


@router.delete(
    "/_dev/mailbox/messages",
    summary="Empty the mailbox",
    response_model=Envelope[MailboxCleared],
)
async def clear_mailbox(ctx: Ctx, application_id: AppFilter = None) -> EnvelopeJSONResponse:
    """Delete every message (or one application's); returns how many were deleted."""
    deleted = await ctx.mailbox.clear(application_id=application_id)
    return respond(Envelope[MailboxCleared](data=MailboxCleared(deleted=deleted)))


@router.get(
    "/_dev/mailbox/messages/{message_id}",
    summary="One mailbox message (JSON)",
    response_model=Envelope[OneMailMessage],
)
async def mailbox_message(ctx: Ctx, message_id: str) -> EnvelopeJSONResponse:
    """A single message."""
    message = MailMessageOut.of(await ctx.mailbox.get(message_id))
    return respond(Envelope[OneMailMessage](data=OneMailMessage(message=message)))


@router.get(
    "/_dev/mailbox/{message_id}", summary="One mailbox message (HTML)", response_class=HTMLResponse
)
async def mailbox_message_page(ctx: Ctx, message_id: str) -> HTMLResponse:
    """A message with its text body (links clickable) and its HTML body in a sandbox."""
    m = await ctx.mailbox.get(message_id)
    html_part = (
        "<h2>HTML part</h2>"
        f'<iframe sandbox="" referrerpolicy="no-referrer" srcdoc="{esc(m.html_body)}">'
        "</iframe>"
        if m.html_body
        else ""
    )
    error = (
        f"<tr><th>SMTP error</th><td>{esc(m.delivery_error)}</td></tr>" if m.delivery_error else ""
    )
    body = (
        f"<h1>{esc(m.subject)}</h1><table>"
        f"<tr><th>To</th><td>{esc(m.to_address)}</td></tr>"
        f"<tr><th>From</th><td>{esc(m.from_address)}</td></tr>"
        f"<tr><th>Sent</th><td>{esc(m.created_at.isoformat())}</td></tr>"
        f"<tr><th>Kind</th><td>{esc(m.kind)}</td></tr>"
        f"<tr><th>Application</th><td><code>{esc(m.application_id or '')}</code></td></tr>"
        f"<tr><th>SMTP</th><td>{esc(_delivery(m))}</td></tr>{error}</table>"
        f"<h2>Text</h2><pre>{_linkify(m.text_body)}</pre>{html_part}"
        "<p><a href='/_dev/mailbox'>Back to the mailbox</a></p>"
    )
    return HTMLResponse(page(f"Mail: {m.subject}", body))
