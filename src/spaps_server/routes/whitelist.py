"""``/api/v1/whitelist`` (protocol §3.7, endpoints #45-#49).

``check`` needs only the API key; listing and changing entries needs an administrator's
bearer token of the same application. Entries and messages always sit under ``data``
(rule U3), and removal answers 200 with a message, never 204.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ..domain.error_codes import ErrorCode
from ..domain.errors import ForbiddenError
from ..domain.models import Principal
from ..http.deps import MAX_SQL_INTEGER, Ctx, CurrentApplication, CurrentPrincipal
from ..http.envelopes import Envelope, EnvelopeJSONResponse, respond
from ..schemas.common import MessageOut
from ..schemas.whitelist import (
    AdminWhitelistEntryOut,
    CheckOut,
    EntryOut,
    ListOut,
    WhitelistEntryOut,
)
from ..services.whitelist import DEFAULT_TIER, MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1/whitelist", tags=["whitelist"])


async def require_admin(principal: CurrentPrincipal) -> Principal:
    """The signed-in administrator, or 403 ``ADMIN_REQUIRED`` for anyone else."""
    if not principal.is_admin:
        raise ForbiddenError(
            "Managing the whitelist requires an administrator", code=ErrorCode.ADMIN_REQUIRED
        )
    return principal


Admin = Annotated[Principal, Depends(require_admin)]


class AddIn(BaseModel):
    """``POST`` body: the address, and optionally its tier, payment bypass and metadata."""

    email: str
    tier: str = DEFAULT_TIER
    bypass_payment: bool = True
    metadata: dict[str, Any] | None = None


class UpdateIn(BaseModel):
    """``PUT`` body: only the fields to change (``{}`` changes nothing)."""

    tier: str | None = None
    bypass_payment: bool | None = None
    metadata: dict[str, Any] | None = None


@router.get("/check", summary="Is an address whitelisted?", response_model=Envelope[CheckOut])
async def check(
    app: CurrentApplication, ctx: Ctx, email: Annotated[str, Query()] = ""
) -> EnvelopeJSONResponse:
    """API key only. 200 either way: ``data.entry`` and a message when the address is
    whitelisted, only a message when it is not; 400 ``INVALID_EMAIL`` for a bad address."""
    entry = await ctx.whitelist.check(app.id, email)
    if entry is None:
        address = email.strip().lower()
        return respond(
            Envelope[CheckOut](data=CheckOut(message=f"Email {address} is not whitelisted"))
        )
    found = CheckOut(
        entry=WhitelistEntryOut.of(entry),
        message=f"Email {entry.email} is whitelisted with tier: {entry.tier}",
    )
    return respond(Envelope[CheckOut](data=found))


@router.get("", summary="List whitelist entries", response_model=Envelope[ListOut])
async def list_entries(
    app: CurrentApplication,
    ctx: Ctx,
    _admin: Admin,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_SQL_INTEGER)] = 0,
    tier: Annotated[str | None, Query()] = None,
) -> EnvelopeJSONResponse:
    """Administrators only: entries ordered by e-mail, optionally of one tier."""
    entries, total = await ctx.whitelist.list(app.id, limit=limit, offset=offset, tier=tier)
    page = ListOut(entries=[AdminWhitelistEntryOut.of(e) for e in entries], total=total)
    return respond(Envelope[ListOut](data=page))


@router.post(
    "",
    status_code=201,
    summary="Whitelist an address",
    response_model=Envelope[EntryOut],
)
async def add_entry(
    body: AddIn, app: CurrentApplication, ctx: Ctx, admin: Admin
) -> EnvelopeJSONResponse:
    """Administrators only. 201 with ``data.entry``; 409 ``ALREADY_WHITELISTED``."""
    entry = await ctx.whitelist.add(
        app.id,
        body.email,
        tier=body.tier,
        bypass_payment=body.bypass_payment,
        metadata=body.metadata,
        created_by=admin.user_id,
    )
    added = EntryOut(entry=AdminWhitelistEntryOut.of(entry))
    return respond(Envelope[EntryOut](data=added), status_code=201)


# ``:path`` because the address arrives percent-decoded and may contain a ``/``.
@router.put("/{email:path}", summary="Change a whitelist entry", response_model=Envelope[EntryOut])
async def update_entry(
    email: str, body: UpdateIn, app: CurrentApplication, ctx: Ctx, _admin: Admin
) -> EnvelopeJSONResponse:
    """Administrators only. Changes the fields sent; 404 ``NOT_WHITELISTED``."""
    entry = await ctx.whitelist.update(
        app.id,
        email,
        tier=body.tier,
        bypass_payment=body.bypass_payment,
        metadata=body.metadata,
    )
    return respond(Envelope[EntryOut](data=EntryOut(entry=AdminWhitelistEntryOut.of(entry))))


@router.delete(
    "/{email:path}", summary="Remove a whitelist entry", response_model=Envelope[MessageOut]
)
async def remove_entry(
    email: str, app: CurrentApplication, ctx: Ctx, _admin: Admin
) -> EnvelopeJSONResponse:
    """Administrators only. 200 with ``data.message``; 404 ``NOT_WHITELISTED``."""
    address = await ctx.whitelist.remove(app.id, email)
    removed = MessageOut(message=f"Email {address} removed from whitelist")
    return respond(Envelope[MessageOut](data=removed))
