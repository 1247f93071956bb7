"""Repository for sessions and their refresh tokens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.models import RefreshTokenRecord, SessionRecord
from .database import Database
from .direct_reads import DirectLookup
from .tables import refresh_tokens, sessions, user_wallets


def _session(row: sa.Row[tuple[object, ...]]) -> SessionRecord:
    return _session_of(row._mapping)


def _session_of(m: Mapping[Any, Any]) -> SessionRecord:
    return SessionRecord(
        id=m["id"],
        application_id=m["application_id"],
        user_id=m["user_id"],
        auth_method=m["auth_method"],
        user_agent=m["user_agent"],
        ip_address=m["ip_address"],
        created_at=m["created_at"],
        last_activity_at=m["last_activity_at"],
        expires_at=m["expires_at"],
        revoked_at=m["revoked_at"],
        revoked_reason=m["revoked_reason"],
    )


def _refresh(row: sa.Row[tuple[object, ...]]) -> RefreshTokenRecord:
    m = row._mapping
    return RefreshTokenRecord(
        id=m["id"],
        application_id=m["application_id"],
        session_id=m["session_id"],
        token_hash=m["token_hash"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        used_at=m["used_at"],
    )


# The bearer check runs on every authenticated request: its statements are built once (with
# bound parameters) and answered by the direct read path.
_BY_ID = DirectLookup(
    sa.select(sessions),
    key=("session_id", sessions.c.id),
    also={"application_id": sessions.c.application_id},
)
_BY_ID_WITH_WALLET_COUNT = DirectLookup(
    sa.select(
        sessions,
        sa.select(sa.func.count())
        .select_from(user_wallets)
        .where(
            user_wallets.c.application_id == sessions.c.application_id,
            user_wallets.c.user_id == sessions.c.user_id,
        )
        .scalar_subquery()
        .label("wallets_count"),
    ),
    key=("session_id", sessions.c.id),
    also={"application_id": sessions.c.application_id},
)


class SessionsRepository:
    """Sessions and refresh tokens, scoped by application id; ``conn=`` joins a transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, session: SessionRecord, *, conn: AsyncConnection | None = None) -> None:
        """Store a new session."""
        async with self._db.use(conn) as c:
            await c.execute(
                sessions.insert().values(
                    id=session.id,
                    application_id=session.application_id,
                    user_id=session.user_id,
                    auth_method=session.auth_method,
                    user_agent=session.user_agent,
                    ip_address=session.ip_address,
                    created_at=session.created_at,
                    last_activity_at=session.last_activity_at,
                    expires_at=session.expires_at,
                    revoked_at=session.revoked_at,
                    revoked_reason=session.revoked_reason,
                )
            )

    async def get(
        self, application_id: str, session_id: str, *, conn: AsyncConnection | None = None
    ) -> SessionRecord | None:
        """One session of the application, live or not."""
        params = {"application_id": application_id, "session_id": session_id}
        row = await self._db.first(_BY_ID, params, conn=conn)
        return _session_of(row) if row is not None else None

    async def get_with_wallet_count(
        self, application_id: str, session_id: str, *, conn: AsyncConnection | None = None
    ) -> tuple[SessionRecord, int] | None:
        """One session and how many wallets its user has, in a single query."""
        params = {"application_id": application_id, "session_id": session_id}
        row = await self._db.first(_BY_ID_WITH_WALLET_COUNT, params, conn=conn)
        return (_session_of(row), int(row["wallets_count"])) if row is not None else None

    async def list_live(
        self,
        application_id: str,
        user_id: str,
        now: datetime,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> tuple[list[SessionRecord], int]:
        """A user's live sessions, newest first, and their total count.

        ``starting_after`` is a session id: the page starts after it in that order.
        """
        live = sa.and_(
            sessions.c.application_id == application_id,
            sessions.c.user_id == user_id,
            sessions.c.revoked_at.is_(None),
            sessions.c.expires_at > now,
        )
        order = (sessions.c.created_at.desc(), sessions.c.id.desc())
        async with self._db.use(conn, write=False) as c:
            total = int(
                (
                    await c.execute(sa.select(sa.func.count()).select_from(sessions).where(live))
                ).scalar_one()
            )
            query = sa.select(sessions).where(live)
            if starting_after:
                anchor = (
                    await c.execute(
                        sa.select(sessions.c.created_at, sessions.c.id).where(
                            sessions.c.application_id == application_id,
                            sessions.c.user_id == user_id,
                            sessions.c.id == starting_after,
                        )
                    )
                ).first()
                if anchor is not None:
                    created, anchor_id = anchor
                    query = query.where(
                        sa.or_(
                            sessions.c.created_at < created,
                            sa.and_(sessions.c.created_at == created, sessions.c.id < anchor_id),
                        )
                    )
            query = query.order_by(*order)
            if limit is not None:
                query = query.limit(limit)
            rows = [_session(r) for r in await c.execute(query)]
        return rows, total

    async def touch(
        self,
        application_id: str,
        session_id: str,
        at: datetime,
        *,
        expires_at: datetime | None = None,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Record activity (and optionally extend the expiry) of a live session."""
        values: dict[str, datetime] = {"last_activity_at": at}
        if expires_at is not None:
            values["expires_at"] = expires_at
        async with self._db.use(conn) as c:
            await c.execute(
                sessions.update()
                .where(
                    sessions.c.application_id == application_id,
                    sessions.c.id == session_id,
                    sessions.c.revoked_at.is_(None),
                )
                .values(**values)
            )

    async def revoke(
        self,
        application_id: str,
        session_id: str,
        at: datetime,
        reason: str,
        *,
        conn: AsyncConnection | None = None,
    ) -> bool:
        """Revoke one session; ``False`` if it was already revoked or does not exist."""
        async with self._db.use(conn) as c:
            result = await c.execute(
                sessions.update()
                .where(
                    sessions.c.application_id == application_id,
                    sessions.c.id == session_id,
                    sessions.c.revoked_at.is_(None),
                )
                .values(revoked_at=at, revoked_reason=reason)
            )
        return bool(result.rowcount)

    async def revoke_all_of_user(
        self,
        application_id: str,
        user_id: str,
        at: datetime,
        reason: str,
        *,
        conn: AsyncConnection | None = None,
    ) -> int:
        """Revoke every live session of a user; returns how many."""
        async with self._db.use(conn) as c:
            result = await c.execute(
                sessions.update()
                .where(
                    sessions.c.application_id == application_id,
                    sessions.c.user_id == user_id,
                    sessions.c.revoked_at.is_(None),
                )
                .values(revoked_at=at, revoked_reason=reason)
            )
        return int(result.rowcount or 0)

    # --- refresh tokens --------------------------------------------------------------

    async def insert_refresh(
        self, token: RefreshTokenRecord, *, conn: AsyncConnection | None = None
    ) -> None:
        """Store a refresh token's hash."""
        async with self._db.use(conn) as c:
            await c.execute(
                refresh_tokens.insert().values(
                    id=token.id,
                    application_id=token.application_id,
                    session_id=token.session_id,
                    token_hash=token.token_hash,
                    created_at=token.created_at,
                    expires_at=token.expires_at,
                    used_at=token.used_at,
                )
            )

    async def find_refresh(
        self, application_id: str, token_hash: str, *, conn: AsyncConnection | None = None
    ) -> RefreshTokenRecord | None:
        """A refresh token by the hash of its value."""
        query = sa.select(refresh_tokens).where(
            refresh_tokens.c.application_id == application_id,
            refresh_tokens.c.token_hash == token_hash,
        )
        async with self._db.use(conn, write=False) as c:
            row = (await c.execute(query)).first()
        return _refresh(row) if row else None

    async def spend_refresh(
        self, token_id: str, at: datetime, *, conn: AsyncConnection | None = None
    ) -> bool:
        """Mark a refresh token used, only if it was unused (compare-and-set, so two
        concurrent refreshes cannot both win); returns whether this call spent it."""
        async with self._db.use(conn) as c:
            result = await c.execute(
                refresh_tokens.update()
                .where(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None))
                .values(used_at=at)
            )
        return bool(result.rowcount)
