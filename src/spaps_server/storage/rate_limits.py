"""Repository for rate-limit buckets: one row per (bucket, subject, window) whose count is
raised by one atomic upsert, so concurrent requests (in one process or in several on one
database) each get a distinct count back and a limit is never overshot."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from .database import Database, DatabaseKind
from .tables import rate_limit_buckets


class RateLimitsRepository:
    """Attempt counters per fixed window; ``conn=`` joins a transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._insert = postgresql.insert if db.kind is DatabaseKind.POSTGRESQL else sqlite.insert

    async def increment(
        self,
        bucket: str,
        subject_hash: str,
        *,
        window_start_ms: int,
        expires_at_ms: int,
        conn: AsyncConnection | None = None,
    ) -> int:
        """Add one attempt to the window and return the window's count including it
        (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: one statement, atomic on SQLite
        3.35+ and PostgreSQL)."""
        table = rate_limit_buckets
        statement = (
            self._insert(table)
            .values(
                bucket=bucket,
                subject_hash=subject_hash,
                window_start_ms=window_start_ms,
                expires_at_ms=expires_at_ms,
                count=1,
            )
            .on_conflict_do_update(
                index_elements=[table.c.bucket, table.c.subject_hash, table.c.window_start_ms],
                set_={"count": table.c.count + 1},
            )
            .returning(table.c.count)
        )
        async with self._db.use(conn) as c:
            return int((await c.execute(statement)).scalar_one())

    async def count(
        self,
        bucket: str,
        subject_hash: str,
        *,
        window_start_ms: int,
        conn: AsyncConnection | None = None,
    ) -> int:
        """The attempts counted in one window (0 when none)."""
        table = rate_limit_buckets
        query = sa.select(table.c.count).where(
            table.c.bucket == bucket,
            table.c.subject_hash == subject_hash,
            table.c.window_start_ms == window_start_ms,
        )
        async with self._db.use(conn, write=False) as c:
            found = (await c.execute(query)).scalar_one_or_none()
        return int(found or 0)

    async def forget(
        self, bucket: str, subject_hash: str, *, conn: AsyncConnection | None = None
    ) -> None:
        """Delete every window of one subject in one bucket."""
        table = rate_limit_buckets
        async with self._db.use(conn) as c:
            await c.execute(
                table.delete().where(table.c.bucket == bucket, table.c.subject_hash == subject_hash)
            )

    async def prune(self, now_ms: int, *, conn: AsyncConnection | None = None) -> int:
        """Delete the windows that ended at or before ``now_ms``; returns how many."""
        table = rate_limit_buckets
        async with self._db.use(conn) as c:
            result = await c.execute(table.delete().where(table.c.expires_at_ms <= now_ms))
        return int(result.rowcount or 0)
