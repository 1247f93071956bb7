"""``/docs``: the interactive API reference (Swagger UI, served from the ``swagger-ui-bundle-v2``
package, so it works offline) and ``/docs/reference``, the same schema rendered on the server
without JavaScript."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from ..domain.errors import NotFoundError
from ..http.pages import esc, render_api_reference, site_nav

router = APIRouter(tags=["developer pages"])

_STATIC = Path(__file__).resolve().parent.parent / "http" / "static"
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
# Only these files of the Swagger UI distribution are served.
_SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def _swagger_dir() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


def _asset(name: str) -> Path | None:
    if name == "spaps-docs.js":
        return _STATIC / "docs.js"
    if name in _SWAGGER_FILES:
        return _swagger_dir() / name
    return None


def _swagger_page(api_key: str | None) -> str:
    """Swagger UI, pre-authorised with ``api_key`` when given (the development key only:
    a deployment's key is a secret and never goes into a page)."""
    authorise = f' data-api-key="{esc(api_key)}"' if api_key else ""
    dev_link = ' · <a href="/_dev/">Developer pages</a>' if api_key else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>SPAPS local server: API reference</title>"
        '<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">'
        '<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head><body>'
        '<p style="font:14px system-ui,sans-serif;margin:12px 20px">'
        '<a href="/">SPAPS local</a> · <a href="/docs/reference">Reference without '
        'JavaScript</a> · <a href="/openapi.json">/openapi.json</a>'
        f"{dev_link}</p>"
        f'<div id="swagger-ui" data-openapi-url="/openapi.json"{authorise}>'
        "<noscript>The interactive reference needs JavaScript; "
        '<a href="/docs/reference">the reference without JavaScript</a> lists every '
        "route.</noscript></div>"
        '<script src="/docs/assets/swagger-ui-bundle.js"></script>'
        '<script src="/docs/assets/spaps-docs.js"></script>'
        "</body></html>\n"
    )


@router.get("/docs", summary="API reference (interactive)", response_class=HTMLResponse)
async def api_reference(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``: authorise with the API key or a bearer token and
    send requests to this server from the page."""
    config = request.app.state.config
    return HTMLResponse(_swagger_page(config.default_api_key if config.dev_pages else None))


@router.get("/docs/", include_in_schema=False, response_class=HTMLResponse)
async def api_reference_slash(request: Request) -> HTMLResponse:
    """``/docs/`` serves ``/docs`` (the API never redirects, so neither do its pages)."""
    return await api_reference(request)


@router.get("/docs/reference", summary="API reference (HTML)", response_class=HTMLResponse)
async def api_reference_static(request: Request) -> HTMLResponse:
    """Every route of this server with its parameters, bodies and responses; no JavaScript."""
    # The schema is fixed once the app is built, so render it once.
    rendered: str | None = getattr(request.app.state, "docs_html", None)
    if rendered is None:
        nav = site_nav(request.app.state.config.dev_pages)
        rendered = render_api_reference(request.app.openapi(), nav=nav)
        request.app.state.docs_html = rendered
    return HTMLResponse(rendered)


@router.get("/docs/assets/{name}", include_in_schema=False)
async def api_reference_asset(name: str) -> FileResponse:
    """The Swagger UI files and its start-up script."""
    path = _asset(name)
    if path is None or not path.is_file():
        raise NotFoundError(f"No asset {name!r}")
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=3600"},
    )
