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


def context_of(request: Request) -> AppContext:
    """The server context created at start-up (what ``Ctx`` resolves to)."""
    ctx: AppContext = request.app.state.context
    return ctx


async def get_context(request: Request) -> AppContext:
    """The server context created at start-up (async: FastAPI would run a plain function in
    its thread pool, a thread hand-off on every request for one attribute read)."""
    return context_of(request)


Ctx = Annotated[AppContext, Depends(get_context)]

# The dependencies below read the context from the request rather than depending on ``Ctx``,
# and take the two security schemes as their only sub-dependencies: FastAPI solves every
# sub-dependency again at each place it is used (even when its value is cached), and these run
# on nearly every request. Every one is ``async`` (no thread-pool hop), and the API key is
# checked once per request however many of them a route names (the result is kept in the
# request's state).

_APPLICATION_STATE = "spaps_application"


async def _application_of(request: Request, api_key: str | None) -> Application:
    state: dict[str, object] = request.scope.setdefault("state", {})
    found = state.get(_APPLICATION_STATE)
    if isinstance(found, Application):
        return found
    application = await context_of(request).applications.authenticate(api_key)
    state[_APPLICATION_STATE] = application
    return application


async def require_application(
    request: Request, api_key: Annotated[str | None, Security(api_key_scheme)]
) -> Application:
    """Resolve ``X-API-Key`` to a live application or fail with 401 ``INVALID_API_KEY``."""
    return await _application_of(request, api_key)


CurrentApplication = Annotated[Application, Depends(require_application)]


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="Bearer",
    description="An access token from login, refresh, magic link or wallet sign-in.",
)

ApiKey = Annotated[str | None, Security(api_key_scheme)]
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]


async def require_principal(
    request: Request, api_key: ApiKey, credentials: BearerCredentials
) -> Principal:
    """Resolve the bearer token to a :class:`Principal` of the API key's application (the
    key is checked first: a bad key is 401 ``INVALID_API_KEY`` whatever the token)."""
    application = await _application_of(request, api_key)
    token = credentials.credentials if credentials is not None else None
    return await context_of(request).sessions.authenticate(token, application.id)


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


async def require_principal_with_wallets(
    request: Request, api_key: ApiKey, credentials: BearerCredentials
) -> Principal:
    """:func:`require_principal` that also loads the user's wallet count in the same query
    (for the session summary, which would otherwise read the session row twice)."""
    application = await _application_of(request, api_key)
    token = credentials.credentials if credentials is not None else None
    sessions = context_of(request).sessions
    return await sessions.authenticate(token, application.id, with_wallets_count=True)


CurrentPrincipalWithWallets = Annotated[Principal, Depends(require_principal_with_wallets)]
