"""Repository for the redirect origins an application's e-mailed links may point at."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .database import Database
from .tables import application_redirect_origins


class RedirectOriginsRepository:
    """Configured origins per application; ``conn=`` joins a transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, application_id: str, origin: str, at: datetime, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Store an origin; ``False`` when the application already had it."""
        table = application_redirect_origins
        try:
            async with self._db.use(conn) as c:
                existing = await c.execute(
                    sa.select(table.c.origin).where(
                        table.c.application_id == application_id, table.c.origin == origin
                    )
                )
                if existing.first() is not None:
                    return False
                await c.execute(
                    table.insert().values(
                        application_id=application_id, origin=origin, created_at=at
                    )
                )
        except IntegrityError:
            return False
        return True

    async def remove(
        self, application_id: str, origin: str, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Delete an origin; ``False`` when the application did not have it."""
        table = application_redirect_origins
        async with self._db.use(conn) as c:
            result = await c.execute(
                table.delete().where(
                    table.c.application_id == application_id, table.c.origin == origin
                )
            )
        return bool(result.rowcount)

    async def list(self, application_id: str, *, conn: AsyncConnection | None = None) -> list[str]:
        """The application's configured origins, in the order they were added."""
        table = application_redirect_origins
        query = (
            sa.select(table.c.origin)
            .where(table.c.application_id == application_id)
            .order_by(table.c.created_at, table.c.origin)
        )
        async with self._db.use(conn, write=False) as c:
            return [str(origin) for origin in (await c.execute(query)).scalars()]
