"""FastAPI dependencies shared by every route module.

* ``Ctx``: the running server's :class:`~spaps_server.context.AppContext`;
* ``CurrentApplication``: the application resolved from ``X-API-Key`` (401
  ``INVALID_API_KEY`` otherwise). Every ``/api/...`` route except metrics and health depends
  on it, which also documents the key in the OpenAPI schema::

      @router.get("/api/things")
      async def list_things(app: CurrentApplication, ctx: Ctx) -> EnvelopeJSONResponse:
          return ok(await ctx.things.list(application_id=app.id))
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from ..context import AppContext
from ..domain.models import Application

API_KEY_HEADER = "X-API-Key"

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    scheme_name="ApiKey",
    description="The application's API key; `test_key_local_dev_only` for the default one.",
)


def get_context(request: Request) -> AppContext:
    """The server context created at start-up."""
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
