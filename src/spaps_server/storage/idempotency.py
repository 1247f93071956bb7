"""Repository for idempotency keys: claims, completions and releases.

The unique constraint on (application, caller, key) is what makes a key single-use across
server processes: of several concurrent claims, exactly one insert succeeds.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .database import Database
from .tables import idempotency_keys

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


@dataclasses.dataclass(frozen=True)
class IdempotencyRecord:
    """One stored key: who used it, for which request, and (once completed) the answer."""

    id: str
    request_hash: str
    state: str
    claim_token: str
    locked_until: datetime
    response_status: int | None
    response_body: str | None
    expires_at: datetime


def _scope(application_id: str, caller: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        idempotency_keys.c.application_id == application_id,
        idempotency_keys.c.caller == caller,
        idempotency_keys.c.idempotency_key == key,
    )


class IdempotencyRepository:
    """The ``idempotency_keys`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert_claim(
        self,
        *,
        record_id: str,
        application_id: str,
        caller: str,
        key: str,
        request_hash: str,
        claim_token: str,
        now: datetime,
        locked_until: datetime,
        expires_at: datetime,
    ) -> bool:
        """Claim ``key`` for a new request; False when the key is already taken.

        Expired rows of the same caller are removed in the same transaction, so a key is free
        again once its retention has passed.
        """
        try:
            async with self._db.begin() as conn:
                await conn.execute(
                    sa.delete(idempotency_keys).where(
                        idempotency_keys.c.application_id == application_id,
                        idempotency_keys.c.caller == caller,
                        idempotency_keys.c.expires_at <= now,
                    )
                )
                await conn.execute(
                    sa.insert(idempotency_keys).values(
                        id=record_id,
                        application_id=application_id,
                        caller=caller,
                        idempotency_key=key,
                        request_hash=request_hash,
                        state=IN_PROGRESS,
                        claim_token=claim_token,
                        locked_until=locked_until,
                        response_status=None,
                        response_body=None,
                        created_at=now,
                        expires_at=expires_at,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def get(self, application_id: str, caller: str, key: str) -> IdempotencyRecord | None:
        """The stored row for ``key``, if any."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(idempotency_keys).where(_scope(application_id, caller, key))
                )
            ).first()
        if row is None:
            return None
        m = row._mapping
        return IdempotencyRecord(
            id=m["id"],
            request_hash=m["request_hash"],
            state=m["state"],
            claim_token=m["claim_token"],
            locked_until=m["locked_until"],
            response_status=m["response_status"],
            response_body=m["response_body"],
            expires_at=m["expires_at"],
        )

    async def take_over(
        self,
        record_id: str,
        *,
        stale_token: str,
        request_hash: str,
        claim_token: str,
        locked_until: datetime,
    ) -> bool:
        """Claim a row whose first request died (its lease ran out while in progress).

        Succeeds only if nobody else took it over first: the row must still carry
        ``stale_token``.
        """
        async with self._db.begin() as conn:
            result = await conn.execute(
                sa.update(idempotency_keys)
                .where(
                    idempotency_keys.c.id == record_id,
                    idempotency_keys.c.claim_token == stale_token,
                    idempotency_keys.c.state == IN_PROGRESS,
                )
                .values(
                    request_hash=request_hash,
                    claim_token=claim_token,
                    locked_until=locked_until,
                )
            )
        return bool(result.rowcount)

    async def complete(
        self,
        record_id: str,
        *,
        claim_token: str,
        status: int,
        body: str,
        conn: AsyncConnection,
    ) -> bool:
        """Store the response in the caller's transaction (the one that made the change);
        False when the claim was lost to a takeover, so the caller must roll back."""
        result = await conn.execute(
            sa.update(idempotency_keys)
            .where(
                idempotency_keys.c.id == record_id,
                idempotency_keys.c.claim_token == claim_token,
                idempotency_keys.c.state == IN_PROGRESS,
            )
            .values(state=COMPLETED, response_status=status, response_body=body)
        )
        return bool(result.rowcount)

    async def release(self, record_id: str, *, claim_token: str) -> None:
        """Forget a claim whose request failed, so a retry with the key runs again."""
        async with self._db.begin() as conn:
            await conn.execute(
                sa.delete(idempotency_keys).where(
                    idempotency_keys.c.id == record_id,
                    idempotency_keys.c.claim_token == claim_token,
                    idempotency_keys.c.state == IN_PROGRESS,
                )
            )
