"""``/api/sessions`` (protocol §3.3, endpoints #12-#16); every route needs the API key and a
bearer token whose session is live.

These are the routes an SDK calls most (``/current`` after every sign-in and on each check),
so they reach the context through the request instead of the ``Ctx`` dependency: FastAPI's
work per dependency is a noticeable share of such a request, and the principal's two
security schemes are the only dependencies left."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from ..http.deps import CurrentPrincipal, CurrentPrincipalWithWallets, context_of
from ..http.envelopes import ERROR_RESPONSES, Envelope, EnvelopeJSONResponse, respond
from ..schemas.sessions import (
    CurrentSessionOut,
    SessionList,
    SessionRevoked,
    SessionTouched,
    SessionValidation,
)

router = APIRouter(prefix="/api/sessions", tags=["sessions"], responses=ERROR_RESPONSES)


# Declared first: routes are matched in order, and this is the one an SDK calls most.
@router.get(
    "/current", summary="The current session (#12)", response_model=Envelope[CurrentSessionOut]
)
async def current_session(
    principal: CurrentPrincipalWithWallets, request: Request
) -> EnvelopeJSONResponse:
    """``data.session`` = SessionSummary."""
    session = await context_of(request).sessions.current(principal)
    return respond(Envelope[CurrentSessionOut](data=CurrentSessionOut(session=session)))


@router.get("", summary="List the user's live sessions (#14)", response_model=Envelope[SessionList])
async def list_sessions(
    principal: CurrentPrincipal,
    request: Request,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
    starting_after: Annotated[str | None, Query(max_length=64)] = None,
) -> EnvelopeJSONResponse:
    """``data = {sessions: [...], total}``, newest first; ``starting_after`` pages on."""
    page = await context_of(request).sessions.list(
        principal, limit=limit, starting_after=starting_after
    )
    return respond(Envelope[SessionList](data=page))


@router.post(
    "/validate",
    summary="Check the current session (#13)",
    response_model=Envelope[SessionValidation],
)
async def validate_session(principal: CurrentPrincipal, request: Request) -> EnvelopeJSONResponse:
    """Unnested ``data = {valid, session_id, expires_at, renewed}`` (no ``session`` key)."""
    validation = await context_of(request).sessions.validate(principal)
    return respond(Envelope[SessionValidation](data=validation))


@router.post(
    "/touch",
    summary="Record activity on the current session (#15)",
    response_model=Envelope[SessionTouched],
)
async def touch_session(principal: CurrentPrincipal, request: Request) -> EnvelopeJSONResponse:
    """``data = {message, session_id, last_activity}``."""
    touched = await context_of(request).sessions.touch(principal)
    return respond(Envelope[SessionTouched](data=touched))


@router.delete(
    "/{session_id}",
    summary="Revoke one of the user's sessions (#16)",
    response_model=Envelope[SessionRevoked],
)
async def revoke_session(
    principal: CurrentPrincipal,
    request: Request,
    session_id: Annotated[str, Path(min_length=1, max_length=64)],
) -> EnvelopeJSONResponse:
    """``data = {message, session_id}``; 404 ``SESSION_NOT_FOUND`` for an unknown session
    or another user's."""
    revoked = await context_of(request).sessions.revoke(principal, session_id)
    return respond(Envelope[SessionRevoked](data=revoked))
