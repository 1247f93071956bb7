"""Repository for whitelist entries. Callers pass e-mails already normalised (lower-case)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.whitelist import WhitelistEntry
from .database import Database
from .tables import whitelist_entries

# The columns an update may change; anything else is refused before SQL is built.
_UPDATABLE = frozenset({"tier", "bypass_payment", "metadata", "updated_at"})


def _entry(row: sa.Row[tuple[object, ...]]) -> WhitelistEntry:
    m = row._mapping
    return WhitelistEntry(
        id=m["id"],
        application_id=m["application_id"],
        email=m["email"],
        tier=m["tier"],
        bypass_payment=bool(m["bypass_payment"]),
        metadata=dict(m["metadata"] or {}),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        created_by=m["created_by"],
    )


def _key(application_id: str, email: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        whitelist_entries.c.application_id == application_id,
        whitelist_entries.c.email == email,
    )


class WhitelistRepository:
    """The ``whitelist_entries`` table. Every method accepts ``conn=`` to join a
    transaction, and every query is scoped by application."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(
        self, application_id: str, email: str, *, conn: AsyncConnection | None = None
    ) -> WhitelistEntry | None:
        """The application's entry for ``email``."""
        async with self._db.use(conn, write=False) as c:
            row = (
                await c.execute(sa.select(whitelist_entries).where(_key(application_id, email)))
            ).first()
        return _entry(row) if row else None

    async def list(
        self,
        application_id: str,
        *,
        tier: str | None = None,
        limit: int = 10,
        offset: int = 0,
        conn: AsyncConnection | None = None,
    ) -> tuple[list[WhitelistEntry], int]:
        """One page of the application's entries (by e-mail) and the number of all entries
        matching the filter."""
        where = [whitelist_entries.c.application_id == application_id]
        if tier is not None:
            where.append(whitelist_entries.c.tier == tier)
        page = (
            sa.select(whitelist_entries)
            .where(*where)
            .order_by(whitelist_entries.c.email)
            .limit(limit)
            .offset(offset)
        )
        count = sa.select(sa.func.count()).select_from(whitelist_entries).where(*where)
        async with self._db.use(conn, write=False) as c:
            entries = [_entry(r) for r in await c.execute(page)]
            total = int((await c.execute(count)).scalar_one())
        return entries, total

    async def insert(self, entry: WhitelistEntry, *, conn: AsyncConnection | None = None) -> None:
        """Store a new entry; the (application, e-mail) pair must be unused."""
        async with self._db.use(conn) as c:
            await c.execute(
                whitelist_entries.insert().values(
                    id=entry.id,
                    application_id=entry.application_id,
                    email=entry.email,
                    tier=entry.tier,
                    bypass_payment=entry.bypass_payment,
                    metadata=entry.metadata,
                    created_at=entry.created_at,
                    updated_at=entry.updated_at,
                    created_by=entry.created_by,
                )
            )

    async def update(
        self,
        application_id: str,
        email: str,
        changes: Mapping[str, Any],
        *,
        conn: AsyncConnection | None = None,
    ) -> WhitelistEntry | None:
        """Apply ``changes`` (column → value) and return the entry; ``None`` if absent."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        async with self._db.use(conn) as c:
            if changes:
                await c.execute(
                    whitelist_entries.update()
                    .where(_key(application_id, email))
                    .values(**dict(changes))
                )
            return await self.get(application_id, email, conn=c)

    async def delete(
        self, application_id: str, email: str, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Remove the entry; ``False`` if there was none."""
        async with self._db.use(conn) as c:
            result = await c.execute(whitelist_entries.delete().where(_key(application_id, email)))
        return bool(result.rowcount)
