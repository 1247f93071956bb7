"""FastAPI dependencies shared by every route module.

* ``Ctx``: the running server's :class:`~spaps_server.context.AppContext`;
* ``CurrentApplication``: the application resolved from ``X-API-Key`` (401
  ``INVALID_API_KEY`` otherwise).
* ``CurrentPrincipal``: the signed-in user of ``Authorization: Bearer <access token>``: the
  token is verified, must belong to the API key's application, and its session must be live
  (401 ``UNAUTHORIZED``, ``TOKEN_EXPIRED``, ``INVALID_TOKEN``, ``SESSION_REVOKED`` or
  ``INVALID_SESSION``). Admin-only routes check ``principal.is_admin``. The principal carries
  the session row it was checked against; ``CurrentPrincipalWithWallets`` also carries the
  user's wallet count, read in the same query.

Every ``/api/...`` route except metrics and health depends on ``CurrentApplication`` (directly
or through ``CurrentPrincipal``), which also documents the key in the OpenAPI schema::

      @router.get("/api/things")
      async def list_things(app: CurrentApplication, ctx: Ctx) -> EnvelopeJSONResponse:
          return ok(await ctx.things.list(application_id=app.id))
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ..context import AppContext
from ..domain.models import Application, Principal

API_KEY_HEADER = "X-API-Key"

# The largest integer both databases store or accept as LIMIT/OFFSET (SQLite's INTEGER,
# PostgreSQL's bigint): integer query parameters are bounded by it, so a larger one is a 400
# rather than an overflow inside the driver.
MAX_SQL_INTEGER = 2**63 - 1

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    scheme_name="ApiKey",
    description="The application's API key; `test_key_local_dev_only` for the default one.",
)


async def get_context(request: Request) -> AppContext:
    """The server context created at start-up (async: FastAPI would run a plain function in
    its thread pool, a thread hand-off on every request for one attribute read)."""
    ctx: AppContext = request.app.state.context
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]


async def require_application(
    ctx: Ctx, api_key: Annotated[str | None, Security(api_key_scheme)]
) -> Application:
    """Resolve ``X-API-Key`` to a live application or fail with 401 ``INVALID_API_KEY``."""
    application = await ctx.applications.authenticate(api_key)
    return application


CurrentApplication = Annotated[Application, Depends(require_application)]


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="Bearer",
    description="An access token from login, refresh, magic link or wallet sign-in.",
)


async def require_principal(
    ctx: Ctx,
    application: CurrentApplication,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Principal:
    """Resolve the bearer token to a :class:`Principal` of the API key's application."""
    token = credentials.credentials if credentials is not None else None
    return await ctx.sessions.authenticate(token, application.id)


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


async def require_principal_with_wallets(
    ctx: Ctx,
    application: CurrentApplication,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Principal:
    """:func:`require_principal` that also loads the user's wallet count in the same query
    (for the session summary, which would otherwise read the session row twice)."""
    token = credentials.credentials if credentials is not None else None
    return await ctx.sessions.authenticate(token, application.id, with_wallets_count=True)


CurrentPrincipalWithWallets = Annotated[Principal, Depends(require_principal_with_wallets)]
