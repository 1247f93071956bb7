"""``/api/sessions`` (protocol §3.3, endpoints #12-#16); every route needs the API key and a
bearer token whose session is live."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ..http.deps import Ctx, CurrentPrincipal, CurrentPrincipalWithWallets
from ..http.envelopes import Envelope, EnvelopeJSONResponse, respond
from ..schemas.sessions import (
    CurrentSessionOut,
    SessionList,
    SessionRevoked,
    SessionTouched,
    SessionValidation,
)

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


@router.get("", summary="List the user's live sessions (#14)", response_model=Envelope[SessionList])
async def list_sessions(
    principal: CurrentPrincipal,
    ctx: Ctx,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
    starting_after: Annotated[str | None, Query(max_length=64)] = None,
) -> EnvelopeJSONResponse:
    """``data = {sessions: [...], total}``, newest first; ``starting_after`` pages on."""
    page = await ctx.sessions.list(principal, limit=limit, starting_after=starting_after)
    return respond(Envelope[SessionList](data=page))


@router.get(
    "/current", summary="The current session (#12)", response_model=Envelope[CurrentSessionOut]
)
async def current_session(principal: CurrentPrincipalWithWallets, ctx: Ctx) -> EnvelopeJSONResponse:
    """``data.session`` = SessionSummary."""
    session = await ctx.sessions.current(principal)
    return respond(Envelope[CurrentSessionOut](data=CurrentSessionOut(session=session)))


@router.post(
    "/validate",
    summary="Check the current session (#13)",
    response_model=Envelope[SessionValidation],
)
async def validate_session(principal: CurrentPrincipal, ctx: Ctx) -> EnvelopeJSONResponse:
    """Unnested ``data = {valid, session_id, expires_at, renewed}`` (no ``session`` key)."""
    return respond(Envelope[SessionValidation](data=await ctx.sessions.validate(principal)))


@router.post(
    "/touch",
    summary="Record activity on the current session (#15)",
    response_model=Envelope[SessionTouched],
)
async def touch_session(principal: CurrentPrincipal, ctx: Ctx) -> EnvelopeJSONResponse:
    """``data = {message, session_id, last_activity}``."""
    return respond(Envelope[SessionTouched](data=await ctx.sessions.touch(principal)))


@router.delete(
    "/{session_id}",
    summary="Revoke one of the user's sessions (#16)",
    response_model=Envelope[SessionRevoked],
)
async def revoke_session(
    principal: CurrentPrincipal,
    ctx: Ctx,
    session_id: Annotated[str, Path(min_length=1, max_length=64)],
) -> EnvelopeJSONResponse:
    """``data = {message, session_id}``; 404 ``SESSION_NOT_FOUND`` for an unknown session
    or another user's."""
    revoked = await ctx.sessions.revoke(principal, session_id)
    return respond(Envelope[SessionRevoked](data=revoked))
