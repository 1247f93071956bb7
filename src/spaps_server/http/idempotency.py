"""``Idempotency-Key`` for mutating routes, on top of
:class:`~spaps_server.services.idempotency.IdempotencyService`.

A route hands its work to :func:`idempotent` as an operation on a database connection; the
operation's writes and the stored response commit in one transaction::

    @router.post("/things", response_model=Envelope[ThingOut])
    async def create_thing(
        body: ThingIn, request: Request, principal: CurrentPrincipal, ctx: Ctx
    ) -> Response:
        async def operation(conn: AsyncConnection) -> Response:
            thing = await ctx.things.create(principal.user_id, body.name, conn=conn)
            return ok(ThingOut.from_record(thing))

        return await idempotent(
            request, ctx,
            application_id=principal.application_id, caller=principal.user_id,
            operation=operation,
        )

The key comes from ``Idempotency-Key`` or ``X-Idempotency-Key`` (the usage endpoint's
historical name); without either the operation runs as usual. A replayed answer carries
``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from ..context import AppContext
from ..domain.error_codes import ErrorCode
from ..domain.errors import InvalidError
from ..services.idempotency import StoredResponse

IDEMPOTENCY_HEADERS = ("Idempotency-Key", "X-Idempotency-Key")
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

RouteOperation = Callable[[AsyncConnection], Awaitable[Response]]


def idempotency_key_of(request: Request) -> str | None:
    """The request's idempotency key, or None; 400 for a malformed or ambiguous key."""
    given = {request.headers.get(name) for name in IDEMPOTENCY_HEADERS} - {None}
    if not given:
        return None
    if len(given) > 1:
        raise InvalidError(
            "Idempotency-Key and X-Idempotency-Key disagree; send one key",
            code=ErrorCode.VALIDATION_ERROR,
        )
    key = given.pop()
    assert key is not None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise InvalidError(
            f"An idempotency key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            code=ErrorCode.VALIDATION_ERROR,
        )
    return key


async def request_hash_of(request: Request) -> str:
    """SHA-256 of method, path, query and body; JSON bodies are canonicalised first, so
    the same request sent with different spacing or key order hashes alike."""
    raw = await request.body()
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), request.url.query.encode()):
        digest.update(part)
        digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


async def idempotent(
    request: Request,
    ctx: AppContext,
    *,
    application_id: str,
    caller: str,
    operation: RouteOperation,
) -> Response:
    """Run ``operation`` at most once per idempotency key of ``caller`` (see the module
    docstring); a replay answers the stored status and body."""
    key = idempotency_key_of(request)
    produced: list[Response] = []

    async def run(conn: AsyncConnection) -> StoredResponse:
        response = await operation(conn)
        produced.append(response)
        return StoredResponse(status_code=response.status_code, body=bytes(response.body))

    result = await ctx.idempotency.run(
        application_id=application_id,
        caller=caller,
        key=key,
        request_hash=await request_hash_of(request),
        operation=run,
    )
    if not result.replayed:
        return produced[-1]
    return Response(
        content=result.response.body,
        status_code=result.response.status_code,
        media_type="application/json",
        headers={REPLAYED_HEADER: "true"},
    )
