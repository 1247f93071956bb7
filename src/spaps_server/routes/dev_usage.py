"""``/_dev/usage``: the default application's feature limits, usage counters, recent records
and secure-message key usage (message contents are never shown here)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ..domain.usage import iso
from ..http.deps import Ctx
from ..http.pages import esc, page
from ..storage.secure_messages import SecureMessageRepository
from ..storage.usage import UsageOverviewRepository

router = APIRouter(tags=["developer pages"])


def _num(value: object) -> str:
    if value is None:
        return "unlimited"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@router.get("/_dev/usage", summary="Usage and secure messages (HTML)", response_class=HTMLResponse)
async def usage_page(ctx: Ctx) -> HTMLResponse:
    """Limits per feature and tier, counters per user and period, the newest records, and
    how many secure messages each encryption key seals."""
    app = ctx.default_application
    limits = await ctx.usage.list_limits(app.id)
    overview = UsageOverviewRepository(ctx.db)
    counters = await overview.counters(app.id)
    records = await overview.recent_records(app.id)
    key_usage = await SecureMessageRepository(ctx.db).key_usage()
    ring = ctx.secure_messages.key_file.ring
    limit_rows = "".join(
        f"<tr><td><code>{esc(f.feature)}</code></td><td>{esc(f.tier)}</td>"
        f"<td>{esc(_num(f.limit))}</td><td>{esc(f.overage.value)}</td>"
        f"<td>{esc(_num(f.overage_unit_price))}</td><td>{esc(f.description or '')}</td></tr>"
        for f in limits
    )
    counter_rows = "".join(
        f"<tr><td><code>{esc(c['user_id'])}</code></td><td><code>{esc(c['feature'])}</code></td>"
        f"<td>{esc(iso(c['period_start']))}</td><td>{esc(_num(c['used']))}</td></tr>"
        for c in counters
    )
    record_rows = "".join(
        f"<tr><td>{esc(iso(r['recorded_at']))}</td><td><code>{esc(r['user_id'])}</code></td>"
        f"<td><code>{esc(r['feature'])}</code></td><td>{esc(_num(r['quantity']))}</td>"
        f"<td>{esc(_num(r['overage_quantity']))}</td><td>{esc(_num(r['cost']))}</td></tr>"
        for r in records
    )
    key_rows = "".join(
        f"<tr><td><code>{esc(k)}</code></td><td>{'primary' if k == ring.primary_id else ''}</td>"
        f"<td>{key_usage.get(k, 0)}</td></tr>"
        for k in ring.key_ids
    )
    stray = sum(n for k, n in key_usage.items() if k not in ring)
    muted = "<p class='muted'>{}</p>"
    body = (
        f"<h1>Usage: {esc(app.name)}</h1>"
        "<h2>Features and limits</h2><table><tr><th>Feature</th><th>Tier</th><th>Limit</th>"
        f"<th>Overage</th><th>Unit price</th><th>Description</th></tr>{limit_rows}</table>"
        "<p class='muted'>Change with <code>spaps usage features set FEATURE --tier T "
        "--limit N</code>.</p>"
        "<h2>Counters</h2>"
        + (
            "<table><tr><th>User</th><th>Feature</th><th>Period start</th><th>Used</th></tr>"
            f"{counter_rows}</table>"
            if counters
            else muted.format("No usage recorded yet.")
        )
        + "<h2>Recent records</h2>"
        + (
            "<table><tr><th>Recorded (UTC)</th><th>User</th><th>Feature</th><th>Quantity</th>"
            f"<th>Overage</th><th>Cost</th></tr>{record_rows}</table>"
            if records
            else muted.format("No records yet.")
        )
        + "<h2>Secure messages</h2>"
        f"<p>{sum(key_usage.values())} message(s), encrypted with AES-256-GCM. Key ring: "
        f"<code>{esc(ctx.secure_messages.key_file.path)}</code></p>"
        "<table><tr><th>Key id</th><th></th><th>Messages</th></tr>"
        f"{key_rows}</table>"
        + (muted.format(f"{stray} message(s) name a key that is not in the ring.") if stray else "")
        + "<p class='muted'>Rotate with <code>spaps keys rotate</code>.</p>"
    )
    return HTMLResponse(page("SPAPS local: usage", body))
