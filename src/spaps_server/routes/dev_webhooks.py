"""``/_dev/webhooks``: endpoints, events, each delivery's attempts, replay and test events.

The HTML page works without JavaScript: its forms post to ``/_dev/webhooks/form/...`` and get
the page back. The same actions exist as JSON routes for scripts and tests. Like every dev
page there is no API key, so changes are accepted only from the page itself: a form post whose
``Origin`` is another site is refused (a web page must not register an endpoint that would
receive this server's events), and JSON routes need ``Content-Type: application/json``, which
a cross-site page cannot send without a CORS preflight this server never grants.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ..context import AppContext
from ..domain.error_codes import ErrorCode
from ..domain.errors import DomainError, ForbiddenError, InvalidError
from ..domain.webhooks import WebhookDelivery, WebhookEvent
from ..http.deps import Ctx
from ..http.envelopes import Envelope, EnvelopeJSONResponse, ok
from ..http.pages import esc, page

router = APIRouter(tags=["developer pages"])

_MAX_FORM_BYTES = 16 * 1024
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many events, newest first")]


class EndpointOut(BaseModel):
    """A registered endpoint."""

    id: str
    application_id: str
    url: str
    description: str | None
    active: bool
    created_at: str
    removed_at: str | None


class EndpointsOut(BaseModel):
    """The endpoints and the default application's signing secret."""

    webhook_secret: str
    endpoints: list[EndpointOut]


class EndpointEnvelopeData(BaseModel):
    """The endpoint and whether it was added (False: it was already active)."""

    endpoint: EndpointOut
    created: bool


class EndpointIn(BaseModel):
    """A URL to deliver events to (the default application's unless another is named)."""

    url: str = Field(max_length=4096)
    description: str | None = Field(default=None, max_length=500)
    application_id: str | None = Field(default=None, max_length=64)


class AttemptOut(BaseModel):
    """One POST of a delivery."""

    id: str
    attempt: int
    started_at: str
    succeeded: bool
    status_code: int | None
    latency_ms: int
    response_snippet: str | None
    error: str | None


class DeliveryOut(BaseModel):
    """One event on its way to one endpoint."""

    id: str
    event_id: str
    endpoint_id: str
    url: str
    status: str
    attempt_count: int
    next_attempt_at: str | None
    created_at: str
    completed_at: str | None
    attempts: list[AttemptOut]


class EventOut(BaseModel):
    """An event's envelope and its deliveries."""

    event: dict[str, Any]
    deliveries: list[DeliveryOut]


class EventsOut(BaseModel):
    """Recent events, newest first."""

    events: list[EventOut]
    count: int


class DeliveriesOut(BaseModel):
    """The deliveries a replay queued."""

    event_id: str
    deliveries: list[DeliveryOut]


class RemovedOut(BaseModel):
    """The endpoint as it is now (``active: false``)."""

    endpoint: EndpointOut


def _require_json(request: Request) -> None:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise InvalidError(
            "This route accepts only Content-Type: application/json",
            code=ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        )


def _same_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is None:  # not a browser form (curl, scripts, the SDK)
        return
    host = request.headers.get("host", "")
    if urlsplit(origin).netloc.lower() != host.lower():
        raise ForbiddenError(
            "Developer-page forms are accepted only from this server's own pages",
            code=ErrorCode.FORBIDDEN,
        )


async def _events_with_deliveries(
    ctx: AppContext, events: list[WebhookEvent]
) -> list[tuple[WebhookEvent, list[WebhookDelivery]]]:
    deliveries = await ctx.events.deliveries([e.id for e in events])
    by_event: dict[str, list[WebhookDelivery]] = {}
    for delivery in deliveries:
        by_event.setdefault(delivery.event_id, []).append(delivery)
    return [(e, by_event.get(e.id, [])) for e in events]


# --- JSON routes -------------------------------------------------------------------------


@router.get(
    "/_dev/webhooks/endpoints",
    summary="Webhook endpoints (JSON)",
    response_model=Envelope[EndpointsOut],
)
async def list_endpoints(ctx: Ctx) -> EnvelopeJSONResponse:
    """Every active endpoint and the default application's signing secret."""
    endpoints = await ctx.webhooks.list()
    return ok({"webhook_secret": ctx.webhook_secret, "endpoints": [e.to_json() for e in endpoints]})


@router.post(
    "/_dev/webhooks/endpoints",
    summary="Add a webhook endpoint",
    status_code=201,
    response_model=Envelope[EndpointEnvelopeData],
)
async def add_endpoint(ctx: Ctx, request: Request, body: EndpointIn) -> EnvelopeJSONResponse:
    """Register a URL (400 ``INVALID_WEBHOOK_URL`` for anything but an http(s) URL); adding
    an active URL again changes nothing (``created: false``)."""
    _require_json(request)
    application_id = body.application_id or ctx.default_application.id
    endpoint, created = await ctx.webhooks.add(
        application_id, body.url, description=body.description
    )
    return ok(
        {"endpoint": endpoint.to_json(), "created": created}, status_code=201 if created else 200
    )


@router.delete(
    "/_dev/webhooks/endpoints/{endpoint_id}",
    summary="Remove a webhook endpoint",
    response_model=Envelope[RemovedOut],
)
async def remove_endpoint(ctx: Ctx, endpoint_id: str) -> EnvelopeJSONResponse:
    """Stop delivering to the endpoint; its pending deliveries are marked failed."""
    removed = await ctx.webhooks.remove(endpoint_id)
    return ok({"endpoint": removed.to_json()})


@router.get(
    "/_dev/webhooks/events", summary="Webhook events (JSON)", response_model=Envelope[EventsOut]
)
async def list_events(ctx: Ctx, limit: Limit = 100) -> EnvelopeJSONResponse:
    """Events, newest first, each with its deliveries and their attempts."""
    pairs = await _events_with_deliveries(ctx, await ctx.events.recent(limit=limit))
    return ok(
        {
            "events": [
                {"event": e.envelope(), "deliveries": [d.to_json() for d in ds]} for e, ds in pairs
            ],
            "count": len(pairs),
        }
    )


@router.get(
    "/_dev/webhooks/events/{event_id}",
    summary="One webhook event (JSON)",
    response_model=Envelope[EventOut],
)
async def get_event(ctx: Ctx, event_id: str) -> EnvelopeJSONResponse:
    """The event's envelope, its deliveries and their attempts."""
    event = await ctx.events.get(event_id)
    ((_, deliveries),) = await _events_with_deliveries(ctx, [event])
    return ok({"event": event.envelope(), "deliveries": [d.to_json() for d in deliveries]})


@router.post(
    "/_dev/webhooks/events/{event_id}/replay",
    summary="Replay a webhook event",
    response_model=Envelope[DeliveriesOut],
)
async def replay_event(ctx: Ctx, event_id: str, request: Request) -> EnvelopeJSONResponse:
    """Send the event again (same id, same bytes) to every active endpoint of its
    application; answers the new deliveries."""
    _same_origin(request)
    deliveries = await ctx.events.replay(event_id)
    return ok({"event_id": event_id, "deliveries": [d.to_json() for d in deliveries]})


@router.post(
    "/_dev/webhooks/test", summary="Send a test webhook event", response_model=Envelope[EventOut]
)
async def send_test_event(ctx: Ctx, request: Request) -> EnvelopeJSONResponse:
    """Emit a signed ``spaps.test`` event to the default application's endpoints."""
    _same_origin(request)
    event = await ctx.events.send_test(ctx.default_application.id)
    ((_, deliveries),) = await _events_with_deliveries(ctx, [event])
    return ok({"event": event.envelope(), "deliveries": [d.to_json() for d in deliveries]})


# --- the HTML page and its forms --------------------------------------------------------


@router.get("/_dev/webhooks", summary="Webhooks (HTML)", response_class=HTMLResponse)
async def webhooks_page(ctx: Ctx, limit: Limit = 50) -> HTMLResponse:
    """Endpoints (with add and remove forms), the signing secret, and recent events with
    each delivery's attempts, replay and send-test buttons."""
    return HTMLResponse(await _render(ctx, limit=limit))


async def _form(request: Request) -> dict[str, str]:
    _same_origin(request)
    raw = await request.body()
    if len(raw) > _MAX_FORM_BYTES:
        raise InvalidError("The form is too large", code=ErrorCode.PAYLOAD_TOO_LARGE)
    fields = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[-1] for name, values in fields.items()}


async def _form_action(ctx: Ctx, request: Request, action: str) -> HTMLResponse:
    form = await _form(request)
    try:
        if action == "add":
            endpoint, created = await ctx.webhooks.add(
                ctx.default_application.id,
                form.get("url", ""),
                description=form.get("description") or None,
            )
            notice = f"{'Added' if created else 'Already registered:'} {endpoint.url}"
        elif action == "remove":
            removed = await ctx.webhooks.remove(form.get("endpoint_id", ""))
            notice = f"Removed {removed.url}"
        elif action == "replay":
            deliveries = await ctx.events.replay(form.get("event_id", ""))
            notice = f"Replaying {form.get('event_id', '')} to {len(deliveries)} endpoint(s)"
        else:
            event = await ctx.events.send_test(ctx.default_application.id)
            notice = f"Sent test event {event.id}"
    except DomainError as exc:
        return HTMLResponse(await _render(ctx, error=exc.message), status_code=400)
    return HTMLResponse(await _render(ctx, notice=notice))


@router.post(
    "/_dev/webhooks/form/add", summary="Add an endpoint (form)", response_class=HTMLResponse
)
async def form_add(ctx: Ctx, request: Request) -> HTMLResponse:
    """The page's add form (``url``, optional ``description``)."""
    return await _form_action(ctx, request, "add")


@router.post(
    "/_dev/webhooks/form/remove", summary="Remove an endpoint (form)", response_class=HTMLResponse
)
async def form_remove(ctx: Ctx, request: Request) -> HTMLResponse:
    """The page's remove buttons (``endpoint_id``)."""
    return await _form_action(ctx, request, "remove")


@router.post(
    "/_dev/webhooks/form/replay", summary="Replay an event (form)", response_class=HTMLResponse
)
async def form_replay(ctx: Ctx, request: Request) -> HTMLResponse:
    """The page's replay buttons (``event_id``)."""
    return await _form_action(ctx, request, "replay")


@router.post(
    "/_dev/webhooks/form/test", summary="Send a test event (form)", response_class=HTMLResponse
)
async def form_test(ctx: Ctx, request: Request) -> HTMLResponse:
    """The page's "send test event" button."""
    return await _form_action(ctx, request, "test")


def _delivery_html(delivery: WebhookDelivery) -> str:
    status = delivery.status.value
    due = ""
    if delivery.next_attempt_at is not None and status == "pending":
        when = delivery.next_attempt_at.strftime("%H:%M:%S")
        due = f" <span class='muted'>next attempt {esc(when)}</span>"
    return (
        f"<p>&rarr; <code>{esc(delivery.url)}</code> <span class='badge'>{esc(status)}</span>"
        f"{due}</p>{_attempts_table(delivery)}"
    )


def _attempts_table(delivery: WebhookDelivery) -> str:
    if not delivery.attempts:
        return "<p class='muted'>No attempt yet.</p>"
    rows = "".join(
        f"<tr><td>{a.attempt_number}</td><td>{esc(a.started_at.strftime('%H:%M:%S.%f')[:-3])}</td>"
        f"<td>{esc(a.status_code if a.status_code is not None else '-')}</td>"
        f"<td>{a.latency_ms} ms</td><td>{'ok' if a.succeeded else esc(a.error or 'failed')}</td>"
        f"<td><code>{esc(a.response_snippet or '')}</code></td></tr>"
        for a in delivery.attempts
    )
    return (
        "<table class='attempts'><tr><th>#</th><th>Started (UTC)</th><th>Status</th>"
        f"<th>Latency</th><th>Result</th><th>Response</th></tr>{rows}</table>"
    )


async def _render(
    ctx: AppContext, *, limit: int = 50, notice: str | None = None, error: str | None = None
) -> str:
    endpoints = await ctx.webhooks.list()
    pairs = await _events_with_deliveries(ctx, await ctx.events.recent(limit=limit))
    flash = ""
    if notice:
        flash = f"<p class='notice'><strong>{esc(notice)}</strong></p>"
    if error:
        flash = f"<p class='error'><strong>Error:</strong> {esc(error)}</p>"
    endpoint_rows = "".join(
        f"<tr><td><code>{esc(e.url)}</code></td><td class='muted'>{esc(e.description or '')}</td>"
        f"<td><code>{esc(e.application_id)}</code></td>"
        "<td><form method='post' action='/_dev/webhooks/form/remove'>"
        f"<input type='hidden' name='endpoint_id' value='{esc(e.id)}'>"
        "<button type='submit'>Remove</button></form></td></tr>"
        for e in endpoints
    )
    endpoints_html = (
        "<table><tr><th>URL</th><th>Description</th><th>Application</th><th></th></tr>"
        f"{endpoint_rows}</table>"
        if endpoints
        else "<p class='muted'>No endpoints yet. Add one below, start the server with "
        "<code>--webhook URL</code>, or run <code>spaps webhooks add URL</code>.</p>"
    )
    event_blocks: list[str] = []
    for event, deliveries in pairs:
        delivery_html = "".join(_delivery_html(d) for d in deliveries) or (
            "<p class='muted'>No endpoint was registered when it was emitted.</p>"
        )
        event_blocks.append(
            f"<section class='op' id='{esc(event.id)}'><h3><code>{esc(event.type)}</code> "
            f"<span class='muted'>{esc(event.id)} · "
            f"{esc(event.created_at.strftime('%Y-%m-%d %H:%M:%S'))}</span></h3>"
            "<form method='post' action='/_dev/webhooks/form/replay'>"
            f"<input type='hidden' name='event_id' value='{esc(event.id)}'>"
            "<button type='submit'>Replay</button></form>"
            f"<details><summary>Payload</summary><pre>{esc(event.payload)}</pre></details>"
            f"{delivery_html}</section>"
        )
    events_html = "".join(event_blocks) or (
        "<p class='muted'>No events yet. Checkouts, subscriptions and entitlements emit them; "
        "the button above sends a test event.</p>"
    )
    body = (
        "<h1>Webhooks</h1>"
        f"{flash}"
        "<table><tr><th>Signing secret</th>"
        f"<td><code id='webhook-secret'>{esc(ctx.webhook_secret)}</code></td></tr>"
        "<tr><th>Signature</th><td><code>X-SPAPS-Signature: t=&lt;unix&gt;,v1=&lt;hex "
        'HMAC-SHA256(secret, "&lt;t&gt;.&lt;raw body&gt;")&gt;</code>; verify with '
        "<code>spaps_client.webhooks.verify_spaps_webhook</code></td></tr></table>"
        f"<h2>Endpoints</h2>{endpoints_html}"
        "<form method='post' action='/_dev/webhooks/form/add'>"
        "<input name='url' size='50' placeholder='http://127.0.0.1:8000/webhooks' required> "
        "<input name='description' placeholder='description (optional)'> "
        "<button type='submit'>Add endpoint</button></form>"
        "<form method='post' action='/_dev/webhooks/form/test'>"
        "<p><button type='submit'>Send test event</button></p></form>"
        f"<h2>Events</h2>{events_html}"
        "<p class='muted'>JSON: <a href='/_dev/webhooks/events'>/_dev/webhooks/events</a>, "
        "<a href='/_dev/webhooks/endpoints'>/_dev/webhooks/endpoints</a></p>"
    )
    return page("SPAPS local: webhooks", body)
