"""``/docs``: the API reference rendered on the server from the OpenAPI schema."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..http.pages import render_api_reference

router = APIRouter(tags=["developer pages"])


@router.get("/docs", summary="API reference (HTML)", response_class=HTMLResponse)
async def api_reference(request: Request) -> HTMLResponse:
    """Every route of this server with its parameters, bodies and responses; works offline."""
    # The schema is fixed once the app is built, so render it once.
    rendered: str | None = getattr(request.app.state, "docs_html", None)
    if rendered is None:
        rendered = render_api_reference(request.app.openapi())
        request.app.state.docs_html = rendered
    return HTMLResponse(rendered)
