"""The FastAPI application factory and the router registry.

``create_app(config)`` works in-process (tests drive it with ``httpx.ASGITransport`` after
entering ``app.router.lifespan_context(app)``, or serve it with uvicorn in a thread) and from
``spaps local``. Start-up (data dir, migrations, default application, seeding) runs in the
lifespan unless the caller passes an already opened ``context``.

Adding a domain: write ``spaps_server/routes/<domain>.py`` exposing ``router`` and append it
to :func:`domain_routers`. Routes under ``/api/`` depend on ``CurrentApplication``
(``spaps_server.http.deps``) for the API key.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from . import server_version
from .config import ServerConfig
from .context import AppContext, open_context
from .http.deps import API_KEY_SCHEME, BEARER_SCHEME
from .http.envelopes import ERROR_RESPONSES
from .http.errors import install_error_handlers, route_methods_index
from .http.middleware import RequestContextMiddleware
from .seeding import SEED_HOOKS, SeedHook

DESCRIPTION = (
    "A local, stateful SPAPS server for development and tests. Every `/api/...` route "
    "except metrics and health needs the `X-API-Key` header. Successes answer "
    '`{"success": true, "data": ...}`; errors answer `{"success": false, "error": '
    '{"code", "message"}, "metadata": {"request_id"}}` with an `X-Request-ID` header.'
)

_ERROR_CONTENT: dict[str, Any] = {
    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}
}


def _is_error_status(status: str) -> bool:
    return status[:1] in {"4", "5"}


def truthful_security(schema: dict[str, Any]) -> None:
    """Rewrite ``schema`` in place so that it says what the server does:

    * FastAPI lists the security schemes of an operation's dependencies as alternatives
      (``[{"ApiKey": []}, {"Bearer": []}]``, "either"); every dependency is required, so the
      operation needs one requirement object naming all of them ("both"). The Bearer scheme
      checks the API key itself (``http.deps``), so a requirement naming it names ApiKey too;
    * every error answer is the JSON error envelope, also on routes whose success is HTML or
      text.
    """
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            requirements = operation.get("security")
            if isinstance(requirements, list) and requirements:
                merged: dict[str, list[str]] = {}
                for requirement in requirements:
                    merged.update(requirement)
                if BEARER_SCHEME in merged:
                    merged = {API_KEY_SCHEME: [], **merged}
                operation["security"] = [merged]
            for status, response in operation.get("responses", {}).items():
                if _is_error_status(str(status)):
                    response["content"] = dict(_ERROR_CONTENT)


def _openapi_with_truthful_security(app: FastAPI) -> Callable[[], dict[str, Any]]:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            truthful_security(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def domain_routers() -> list[APIRouter]:
    """The router registry, in mounting order; a new domain appends its router. Put a route
    with a fixed segment before one with a parameter
    in the same position only if they share a method (FastAPI matches in order)."""
    from .routes import (
        auth,
        checkout_pages,
        crypto,
        dev,
        dev_crypto_wallet,
        dev_payments,
        dev_usage,
        dev_webhooks,
        docs,
        health,
        home,
        metrics,
        payments,
        payments_wallet,
        secure_messages,
        sessions,
        stripe,
        usage,
        well_known,
        whitelist,
    )

    # Requests are matched against the routers in this order, one route after another: the
    # busiest (liveness, and the bearer routes every SDK call may make) come first.
    return [
        health.router,
        sessions.router,
        metrics.router,
        docs.router,
        dev.router,
        well_known.router,
        auth.router,
        auth.pages_router,
        whitelist.router,
        payments.router,
        stripe.router,
        checkout_pages.router,
        dev_payments.router,
        usage.router,
        secure_messages.router,
        dev_usage.router,
        home.router,
        dev_webhooks.router,
        crypto.router,
        payments_wallet.router,
        dev_crypto_wallet.router,
    ]


def flat_routers() -> list[APIRouter]:
    """Routers whose routes are put on the app itself instead of being included: matched
    first and without FastAPI's bookkeeping per included router, a noticeable share of the
    cheapest requests (liveness, the session routes). Such a router takes no include-time
    options, so it declares ``ERROR_RESPONSES`` itself."""
    from .routes import health, sessions

    return [health.router, sessions.router]


def developer_routers() -> list[APIRouter]:
    """The routers of the developer pages (every route under ``/_dev``: mailbox, payment,
    usage, webhook and wallet twins), left out when ``ServerConfig.dev_pages`` is false
    (``spaps serve``). Found by path, so a new ``/_dev`` router is covered without a list."""
    return [
        router
        for router in domain_routers()
        if router.routes
        and all(str(getattr(r, "path", "")).startswith("/_dev") for r in router.routes)
    ]


def create_app(
    config: ServerConfig | None = None,
    *,
    context: AppContext | None = None,
    extra_routers: Sequence[APIRouter] = (),
    seed_hooks: Sequence[SeedHook] = SEED_HOOKS,
) -> FastAPI:
    """Build the app. With ``context`` the caller owns start-up and shutdown (the CLI does
    this to report errors before serving); otherwise the lifespan opens and closes it.
    ``extra_routers`` are mounted after the registry (tests use it)."""
    if context is not None:
        config = context.config
    cfg = config or ServerConfig()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if context is not None:
            app.state.context = context
            # The webhook worker runs while the app serves; the caller closes the context.
            context.webhook_worker.start()
            try:
                yield
            finally:
                await context.webhook_worker.stop()
            return
        ctx = await open_context(cfg, seed_hooks=seed_hooks)
        app.state.context = ctx
        ctx.webhook_worker.start()
        try:
            yield
        finally:
            await ctx.close()

    app = FastAPI(
        title="SPAPS local server",
        version=server_version(),
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # FastAPI's pages load assets from a CDN; we render our own /docs.
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        redirect_slashes=False,  # the contract forbids redirects
        lifespan=lifespan,
    )
    app.state.config = cfg
    if context is not None:
        app.state.context = context
    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=cfg.max_body_bytes,
        body_timeout_seconds=cfg.body_timeout_seconds,
    )
    left_out = [] if cfg.dev_pages else developer_routers()
    routers = [r for r in domain_routers() if r not in left_out] + list(extra_routers)
    flat = flat_routers()
    for router in routers:
        if router in flat:
            app.router.routes.extend(router.routes)
        else:
            app.include_router(router, responses=ERROR_RESPONSES)
    app.state.route_methods = route_methods_index(
        route for router in routers for route in router.routes
    )
    app.openapi = _openapi_with_truthful_security(app)  # type: ignore[method-assign]
    return app
