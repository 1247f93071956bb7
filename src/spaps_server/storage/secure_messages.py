"""Repository for secure messages: sealed rows, listed by who may read them."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.secure_messages import StoredMessage
from .database import Database
from .tables import secure_messages as t


def _message(row: sa.Row[tuple[object, ...]]) -> StoredMessage:
    m = row._mapping
    return StoredMessage(
        id=m["id"],
        application_id=m["application_id"],
        sender_id=m["sender_id"],
        patient_id=m["patient_id"],
        practitioner_id=m["practitioner_id"],
        key_id=m["key_id"],
        nonce=bytes(m["nonce"]),
        ciphertext=bytes(m["ciphertext"]),
        created_at=m["created_at"],
    )


class SecureMessageRepository:
    """The ``secure_messages`` table; every method accepts ``conn=``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, message: StoredMessage, *, conn: AsyncConnection | None = None) -> None:
        """Store a sealed message."""
        async with self._db.use(conn) as c:
            await c.execute(
                t.insert().values(
                    id=message.id,
                    application_id=message.application_id,
                    sender_id=message.sender_id,
                    patient_id=message.patient_id,
                    practitioner_id=message.practitioner_id,
                    key_id=message.key_id,
                    nonce=message.nonce,
                    ciphertext=message.ciphertext,
                    created_at=message.created_at,
                )
            )

    async def get(
        self, application_id: str, message_id: str, *, conn: AsyncConnection | None = None
    ) -> StoredMessage | None:
        """The application's message ``message_id``."""
        query = sa.select(t).where(t.c.application_id == application_id, t.c.id == message_id)
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _message(row) if row else None

    async def list_visible(
        self,
        application_id: str,
        reader_id: str | None,
        *,
        limit: int,
        conn: AsyncConnection | None = None,
    ) -> list[StoredMessage]:
        """Newest first: every message of the application (``reader_id`` ``None``: an
        administrator), or those ``reader_id`` sent or takes part in."""
        query = sa.select(t).where(t.c.application_id == application_id)
        if reader_id is not None:
            query = query.where(
                sa.or_(
                    t.c.sender_id == reader_id,
                    t.c.patient_id == reader_id,
                    t.c.practitioner_id == reader_id,
                )
            )
        query = query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        async with self._db.use(conn, write=False) as c:
            return [_message(r) for r in await c.execute(query)]

    async def not_sealed_with(
        self, key_id: str, *, limit: int, conn: AsyncConnection | None = None
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages of any application sealed with another key than
        ``key_id`` (the re-wrap after a key rotation)."""
        query = sa.select(t).where(t.c.key_id != key_id).order_by(t.c.id).limit(limit)
        async with self._db.use(conn, write=False) as c:
            return [_message(r) for r in await c.execute(query)]

    async def reseal(
        self,
        old: StoredMessage,
        *,
        key_id: str,
        nonce: bytes,
        ciphertext: bytes,
        conn: AsyncConnection | None = None,
    ) -> bool:
        """Replace ``old``'s ciphertext if the row still holds exactly ``old``'s (a
        compare-and-set, so two rotations never overwrite each other's work)."""
        async with self._db.use(conn) as c:
            result = await c.execute(
                t.update()
                .where(t.c.id == old.id, t.c.key_id == old.key_id, t.c.nonce == old.nonce)
                .values(key_id=key_id, nonce=nonce, ciphertext=ciphertext)
            )
        return bool(result.rowcount)

    async def key_usage(self, *, conn: AsyncConnection | None = None) -> dict[str, int]:
        """How many messages each key id seals."""
        query = sa.select(t.c.key_id, sa.func.count()).group_by(t.c.key_id)
        async with self._db.use(conn, write=False) as c:
            return {str(k): int(n) for k, n in await c.execute(query)}

    async def count(
        self, application_ids: Sequence[str] | None = None, *, conn: AsyncConnection | None = None
    ) -> int:
        """How many messages are stored (optionally of some applications)."""
        query = sa.select(sa.func.count()).select_from(t)
        if application_ids is not None:
            query = query.where(t.c.application_id.in_(list(application_ids)))
        async with self._db.use(conn, write=False) as c:
            return int((await c.execute(query)).scalar_one())
