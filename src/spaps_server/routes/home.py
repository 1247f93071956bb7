"""``/``: the landing page of ``spaps local``, linking the API reference and every developer
page the app has (found among its routes, so a domain that adds a ``/_dev/...`` page appears
without editing this module)."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from ..http.deps import Ctx
from ..http.pages import esc, page, site_nav

router = APIRouter(tags=["developer pages"])


@dataclasses.dataclass(frozen=True)
class PageLink:
    """A link on the landing page."""

    path: str
    title: str
    description: str


_FIXED_LINKS = (
    PageLink("/docs", "API reference", "Interactive: authorise and try every route here."),
    PageLink("/docs/reference", "API reference (no JavaScript)", "The same, rendered as HTML."),
    PageLink("/openapi.json", "OpenAPI schema", "For code generators and API tools."),
)

_HEALTH_LINKS = (
    PageLink("/health", "Health", "Liveness."),
    PageLink("/health/ready", "Readiness", "Whether the database answers."),
    PageLink("/api/metrics", "Metrics", "Prometheus text; JSON at /api/metrics/json."),
)


def developer_pages(app: FastAPI) -> list[PageLink]:
    """The HTML pages under ``/_dev/`` that take no path parameter, in mounting order,
    titled by their summary. They are read from the app's OpenAPI schema, which lists the
    routes of every included router whatever the framework's internal route layout."""
    links: list[PageLink] = []
    for path, item in (app.openapi().get("paths") or {}).items():
        operation = item.get("get")
        if not path.startswith("/_dev/") or "{" in path or operation is None:
            continue
        content = ((operation.get("responses") or {}).get("200") or {}).get("content") or {}
        if "text/html" not in content:
            continue
        title = str(operation.get("summary") or path).removesuffix(" (HTML)")
        paragraph = str(operation.get("description") or "").strip().split("\n\n")[0]
        description = " ".join(paragraph.split())
        links.append(PageLink(path, title, description))
    return links


def _rows(links: list[PageLink]) -> str:
    return "".join(
        f'<tr><td><a href="{esc(link.path)}">{esc(link.title)}</a></td>'
        f"<td><code>{esc(link.path)}</code></td>"
        f"<td class='muted'>{esc(link.description)}</td></tr>"
        for link in links
    )


def _deployment_page(base_url: str) -> str:
    snippet = (
        "import os\n\nfrom spaps_client import SpapsClient\n\n"
        f'spaps = SpapsClient(base_url="{base_url}", api_key=os.environ["SPAPS_API_KEY"])'
    )
    body = (
        "<h1>SPAPS server</h1>"
        f"<p>The SPAPS API at <code>{esc(base_url)}</code>. Every call under "
        "<code>/api</code> needs the application's API key (header <code>X-API-Key</code>).</p>"
        f"<h2>API</h2><table>{_rows(list(_FIXED_LINKS))}</table>"
        f"<h2>Health and metrics</h2><table>{_rows(list(_HEALTH_LINKS))}</table>"
        f"<h2>From Python</h2><pre>{esc(snippet)}</pre>"
    )
    return page("SPAPS server", body, nav=site_nav(False))


@router.get("/", summary="Landing page", response_class=HTMLResponse)
async def landing_page(request: Request, ctx: Ctx) -> HTMLResponse:
    """What this server is, where its pages are, and how to call it. Without the developer
    pages (``spaps serve``) it shows neither the API key nor any seeded account."""
    config = ctx.config
    if not config.dev_pages:
        return HTMLResponse(_deployment_page(config.base_url))
    accounts = "".join(
        f"<tr><td><code>{esc(a.email)}</code></td><td><code>{esc(a.password or '')}</code></td>"
        f"<td>{esc(a.role)}</td></tr>"
        for a in ctx.seeded_accounts
        if a.email
    )
    seeded = (
        "<h2>Seeded accounts</h2><table><tr><th>E-mail</th><th>Password</th><th>Role</th></tr>"
        f"{accounts}</table>"
        if accounts
        else ""
    )
    snippet = (
        "from spaps_client import SpapsClient\n\n"
        f'spaps = SpapsClient(base_url="{config.base_url}", api_key="{config.default_api_key}")\n'
        'spaps.auth.sign_in_with_password(email="user@example.com", password="Secret123!")'
    )
    body = (
        "<h1>SPAPS local server</h1>"
        "<p>A stateful SPAPS server for development and tests, speaking the same API as "
        f"the hosted service. Base URL <code>{esc(config.base_url)}</code>, API key "
        f"<code>{esc(config.default_api_key)}</code> (header <code>X-API-Key</code>).</p>"
        f"<h2>API</h2><table>{_rows(list(_FIXED_LINKS))}</table>"
        f"<h2>Developer pages</h2><table>{_rows(developer_pages(request.app))}</table>"
        f"<h2>Health and metrics</h2><table>{_rows(list(_HEALTH_LINKS))}</table>"
        f"{seeded}<h2>From Python</h2><pre>{esc(snippet)}</pre>"
    )
    return HTMLResponse(page("SPAPS local server", body))
