"""Repository for the mail outbox."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.models import MailMessage
from .database import Database
from .tables import mail_outbox


def _message(row: sa.Row[tuple[object, ...]]) -> MailMessage:
    m = row._mapping
    return MailMessage(
        id=m["id"],
        application_id=m["application_id"],
        to_address=m["to_address"],
        from_address=m["from_address"],
        subject=m["subject"],
        text_body=m["text_body"],
        html_body=m["html_body"],
        kind=m["kind"],
        metadata=dict(m["metadata"] or {}),
        created_at=m["created_at"],
        delivered_at=m["delivered_at"],
        delivery_error=m["delivery_error"],
    )


class MailboxRepository:
    """The outbox table. Every method accepts ``conn=`` to join a transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, message: MailMessage, *, conn: AsyncConnection | None = None) -> None:
        """Store a message."""
        async with self._db.use(conn) as c:
            await c.execute(
                mail_outbox.insert().values(
                    id=message.id,
                    application_id=message.application_id,
                    to_address=message.to_address,
                    from_address=message.from_address,
                    subject=message.subject,
                    text_body=message.text_body,
                    html_body=message.html_body,
                    kind=message.kind,
                    metadata=message.metadata,
                    created_at=message.created_at,
                    delivered_at=message.delivered_at,
                    delivery_error=message.delivery_error,
                )
            )

    async def get(
        self, message_id: str, *, conn: AsyncConnection | None = None
    ) -> MailMessage | None:
        """One message by id."""
        async with self._db.use(conn, write=False) as c:
            row = (
                await c.execute(sa.select(mail_outbox).where(mail_outbox.c.id == message_id))
            ).first()
        return _message(row) if row else None

    async def list(
        self,
        *,
        to_address: str | None = None,
        application_id: str | None = None,
        kind: str | None = None,
        limit: int = 100,
        conn: AsyncConnection | None = None,
    ) -> list[MailMessage]:
        """Messages, newest first, optionally filtered (``to_address`` case-insensitively)."""
        query = sa.select(mail_outbox)
        if to_address is not None:
            query = query.where(sa.func.lower(mail_outbox.c.to_address) == to_address.lower())
        if application_id is not None:
            query = query.where(mail_outbox.c.application_id == application_id)
        if kind is not None:
            query = query.where(mail_outbox.c.kind == kind)
        query = query.order_by(mail_outbox.c.created_at.desc(), mail_outbox.c.id.desc())
        query = query.limit(limit)
        async with self._db.use(conn, write=False) as c:
            return [_message(r) for r in await c.execute(query)]

    async def mark_delivery(
        self,
        message_id: str,
        *,
        delivered_at: datetime | None,
        error: str | None,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Record the outcome of an SMTP delivery attempt."""
        async with self._db.use(conn) as c:
            await c.execute(
                mail_outbox.update()
                .where(mail_outbox.c.id == message_id)
                .values(delivered_at=delivered_at, delivery_error=error)
            )

    async def clear(
        self, *, application_id: str | None = None, conn: AsyncConnection | None = None
    ) -> int:
        """Delete messages (all, or one application's); return how many."""
        query = mail_outbox.delete()
        if application_id is not None:
            query = query.where(mail_outbox.c.application_id == application_id)
        async with self._db.use(conn) as c:
            result = await c.execute(query)
        return int(result.rowcount)
