"""Bodies of the developer mailbox's JSON view (``/_dev/mailbox/messages``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..domain.clock import iso, iso_or_none
from ..domain.models import MailMessage
from .base import WireModel


class MailMessageOut(WireModel):
    """An e-mail the server wrote to its outbox."""

    id: str
    application_id: str | None
    to: str
    from_: str = Field(serialization_alias="from")
    subject: str
    text: str
    html: str | None
    kind: str
    metadata: dict[str, Any]
    created_at: str
    delivered_at: str | None
    delivery_error: str | None

    @classmethod
    def of(cls, message: MailMessage) -> MailMessageOut:
        """The JSON view of ``message``."""
        return cls(
            id=message.id,
            application_id=message.application_id,
            to=message.to_address,
            from_=message.from_address,
            subject=message.subject,
            text=message.text_body,
            html=message.html_body,
            kind=message.kind,
            metadata=message.metadata,
            created_at=iso(message.created_at),
            delivered_at=iso_or_none(message.delivered_at),
            delivery_error=message.delivery_error,
        )


class MailMessageList(WireModel):
    """Messages, newest first, and how many."""

    messages: list[MailMessageOut]
    count: int


class OneMailMessage(WireModel):
    """``data = {message}``."""

    message: MailMessageOut


class MailboxCleared(WireModel):
    """How many messages were deleted."""

    deleted: int
