"""``/api/secure-messages`` (protocol §3.8, endpoints #50-#51, plus reading one message).

Requests are camelCase (``patientId``, ``practitionerId``; snake_case is accepted too),
responses snake_case under ``data`` (``data.messages`` for the list). Every call needs the API
key and a bearer token: the signed-in user is the sender, and reading is limited to the
sender, the two participants and administrators.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ..http.deps import Ctx, CurrentApplication, CurrentPrincipal
from ..http.envelopes import Envelope, EnvelopeJSONResponse, ok
from ..services.secure_messages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

router = APIRouter(prefix="/api/secure-messages", tags=["secure messages"])


class CreateMessageIn(BaseModel):
    """``POST`` body: the two participants (user ids), the content and optional metadata."""

    model_config = ConfigDict(populate_by_name=True)

    patient_id: str = Field(alias="patientId")
    practitioner_id: str = Field(alias="practitionerId")
    content: str
    metadata: dict[str, Any] | None = None


class MessageOut(BaseModel):
    """A decrypted message (the contract's ``SecureMessage`` plus ``sender_id``)."""

    id: str
    application_id: str
    patient_id: str
    practitioner_id: str
    sender_id: str
    content: str
    metadata: dict[str, Any]
    created_at: str


class MessageListOut(BaseModel):
    """The messages the caller may read, newest first."""

    messages: list[MessageOut]


@router.post(
    "",
    status_code=201,
    summary="Store an encrypted message",
    response_model=Envelope[MessageOut],
)
async def create_message(
    body: CreateMessageIn, app: CurrentApplication, principal: CurrentPrincipal, ctx: Ctx
) -> EnvelopeJSONResponse:
    """201 with the message as stored (its content encrypted at rest); 400
    ``INVALID_SECURE_MESSAGE`` for empty or oversized fields."""
    message = await ctx.secure_messages.create(
        app.id,
        principal.user_id,
        patient_id=body.patient_id,
        practitioner_id=body.practitioner_id,
        content=body.content,
        metadata=body.metadata,
    )
    return ok(message.to_json(), status_code=201)


@router.get("", summary="List readable messages", response_model=Envelope[MessageListOut])
async def list_messages(
    app: CurrentApplication,
    principal: CurrentPrincipal,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> EnvelopeJSONResponse:
    """Messages the caller sent or takes part in (administrators: all of the application's);
    500 ``SECURE_MESSAGE_DECRYPTION_FAILED`` if a stored ciphertext was tampered with."""
    messages = await ctx.secure_messages.list(
        app.id, principal.user_id, is_admin=principal.is_admin, limit=limit
    )
    return ok({"messages": [m.to_json() for m in messages]})


@router.get("/{message_id}", summary="Read one message", response_model=Envelope[MessageOut])
async def get_message(
    message_id: str, app: CurrentApplication, principal: CurrentPrincipal, ctx: Ctx
) -> EnvelopeJSONResponse:
    """404 ``SECURE_MESSAGE_NOT_FOUND``; 403 ``SECURE_MESSAGE_FORBIDDEN`` for anyone but the
    sender, the participants and administrators."""
    message = await ctx.secure_messages.get(
        app.id, message_id, principal.user_id, is_admin=principal.is_admin
    )
    return ok(message.to_json())
