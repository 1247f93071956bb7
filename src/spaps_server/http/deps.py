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
from fastapi.openapi.models import APIKey, APIKeyIn
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from ..context import AppContext
from ..domain.models import Application, Principal

API_KEY_HEADER = "X-API-Key"

# The largest integer both databases store or accept as LIMIT/OFFSET (SQLite's INTEGER,
# PostgreSQL's bigint): integer query parameters are bounded by it, so a larger one is a 400
# rather than an overflow inside the driver.
MAX_SQL_INTEGER = 2**63 - 1


def context_of(request: Request) -> AppContext:
    """The server context created at start-up (what ``Ctx`` resolves to)."""
    ctx: AppContext = request.app.state.context
    return ctx


async def get_context(request: Request) -> AppContext:
    """The server context created at start-up (async: FastAPI would run a plain function in
    its thread pool, a thread hand-off on every request for one attribute read)."""
    return context_of(request)


Ctx = Annotated[AppContext, Depends(get_context)]


# The two security schemes are themselves the dependencies that authenticate: documented in
# OpenAPI as FastAPI's APIKeyHeader and HTTPBearer would be, but resolving to the application
# and the principal in one step each. FastAPI's work per dependency (solved again wherever it
# is used, cached or not) is a noticeable share of a request, so a bearer route has exactly
# one: the Bearer scheme, which checks the API key itself (``app.truthful_security`` lists
# the ApiKey scheme beside Bearer in the schema). Both are ``async`` (no thread-pool hop), and
# the key is checked once per request however many of them a route names (the application is
# kept in the request's state).

API_KEY_SCHEME = "ApiKey"
BEARER_SCHEME = "Bearer"
_APPLICATION_STATE = "spaps_application"


async def authenticated_application(request: Request) -> Application:
    """The live application of the request's ``X-API-Key`` (401 ``INVALID_API_KEY``
    otherwise), looked up once per request."""
    state: dict[str, object] = request.scope.setdefault("state", {})
    found = state.get(_APPLICATION_STATE)
    if isinstance(found, Application):
        return found
    key = request.headers.get(API_KEY_HEADER)
    application = await context_of(request).applications.authenticate(key or None)
    state[_APPLICATION_STATE] = application
    return application


class ApiKeyAuthentication(SecurityBase):
    """The ``ApiKey`` scheme: the ``X-API-Key`` header resolved to a live application, or 401
    ``INVALID_API_KEY``."""

    def __init__(self) -> None:
        self.model = APIKey(
            **{"in": APIKeyIn.header},  # "in" is a keyword in Python
            name=API_KEY_HEADER,
            description=(
                "The application's API key; `test_key_local_dev_only` for the default one."
            ),
        )
        self.scheme_name = API_KEY_SCHEME

    async def __call__(self, request: Request) -> Application:
        """The application of the request's key."""
        return await authenticated_application(request)


CurrentApplication = Annotated[Application, Security(ApiKeyAuthentication())]


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (scheme case-insensitive), or ``None``
    when the header is missing, empty or of another scheme."""
    authorization = request.headers.get("Authorization")
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


class BearerAuthentication(SecurityBase):
    """The ``Bearer`` scheme: the access token resolved to the :class:`Principal` of the API
    key's application (the key is checked first: a bad key is 401 ``INVALID_API_KEY``
    whatever the token). ``with_wallets_count`` also loads the user's wallet count in the
    same query (for the session summary, which would otherwise read the session row
    twice)."""

    def __init__(self, *, with_wallets_count: bool = False) -> None:
        self.model = HTTPBearerModel(
            description="An access token from login, refresh, magic link or wallet sign-in."
        )
        self.scheme_name = BEARER_SCHEME
        self._with_wallets_count = with_wallets_count

    async def __call__(self, request: Request) -> Principal:
        """The principal of the request's bearer token."""
        application = await authenticated_application(request)
        sessions = context_of(request).sessions
        return await sessions.authenticate(
            bearer_token(request), application.id, with_wallets_count=self._with_wallets_count
        )


CurrentPrincipal = Annotated[Principal, Security(BearerAuthentication())]
CurrentPrincipalWithWallets = Annotated[
    Principal, Security(BearerAuthentication(with_wallets_count=True))
]
