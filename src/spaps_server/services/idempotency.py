"""Idempotent execution of mutating operations, guaranteed by the database.

A request that carries an idempotency key runs at most once per (application, caller, key)
within the retention window (24 hours):

1. **Claim.** A row is inserted for the key in its own short transaction; the table's unique
   constraint lets exactly one of several concurrent requests (in any number of server
   processes) win. The winner holds a lease (``locked_until``).
2. **Run and complete together.** The operation runs in a transaction that also stores its
   response on the claimed row, so the change and the stored answer commit together or not at
   all. A request that crashes half-way leaves no change behind, only a claim whose lease
   expires; the next retry then takes the claim over.
3. **Everyone else** gets the stored answer replayed (same key, same request), 400
   ``IDEMPOTENCY_KEY_REUSED`` (same key, another request), or 409 ``IDEMPOTENCY_KEY_IN_USE``
   (the first request is still running; retrying later is safe).

An operation that fails releases its claim: nothing was committed, so a retry runs it again.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock
from ..domain.error_codes import ErrorCode
from ..domain.errors import ConflictError, InvalidError
from ..domain.ids import new_id
from ..storage.database import Database
from ..storage.idempotency import COMPLETED, IdempotencyRepository

RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=60)
# Claim attempts before giving up with IDEMPOTENCY_KEY_IN_USE: each lost race means another
# request changed the row in between, so a few rounds settle any realistic contention.
_CLAIM_ROUNDS = 5


@dataclasses.dataclass(frozen=True)
class StoredResponse:
    """An operation's answer as sent: status code and the encoded JSON body."""

    status_code: int
    body: bytes


@dataclasses.dataclass(frozen=True)
class IdempotentResult:
    """What :meth:`IdempotencyService.run` produced; ``replayed`` when it was stored before."""

    response: StoredResponse
    replayed: bool


Operation = Callable[[AsyncConnection], Awaitable[StoredResponse]]


class _LeaseLost(Exception):
    """The claim was taken over while the operation ran; its transaction must roll back."""


@dataclasses.dataclass(frozen=True)
class _Claim:
    record_id: str
    token: str


class IdempotencyService:
    """Runs operations at most once per idempotency key (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        retention: timedelta = RETENTION,
        lease: timedelta = LEASE,
    ) -> None:
        self._db = db
        self._clock = clock
        self._repo = IdempotencyRepository(db)
        self._retention = retention
        self._lease = lease

    async def run(
        self,
        *,
        application_id: str,
        caller: str,
        key: str | None,
        request_hash: str,
        operation: Operation,
    ) -> IdempotentResult:
        """Run ``operation`` in a transaction, at most once for ``key``.

        Without a key the operation simply runs. ``request_hash`` identifies the request
        (method, path and body), so a key reused for another request is refused.

        Example::

            result = await service.run(
                application_id=app.id, caller=user.id, key="order-42",
                request_hash=digest, operation=create_order,
            )
        """
        if key is None:
            async with self._db.begin() as conn:
                return IdempotentResult(await operation(conn), replayed=False)
        outcome = await self._claim(application_id, caller, key, request_hash)
        if isinstance(outcome, StoredResponse):
            return IdempotentResult(outcome, replayed=True)
        try:
            async with self._db.begin() as conn:
                response = await operation(conn)
                stored = await self._repo.complete(
                    outcome.record_id,
                    claim_token=outcome.token,
                    status=response.status_code,
                    body=response.body.decode("utf-8"),
                    conn=conn,
                )
                if not stored:
                    raise _LeaseLost
        except _LeaseLost:
            raise _in_use() from None
        except BaseException:
            await self._repo.release(outcome.record_id, claim_token=outcome.token)
            raise
        return IdempotentResult(response, replayed=False)

    async def _claim(
        self, application_id: str, caller: str, key: str, request_hash: str
    ) -> _Claim | StoredResponse:
        for _ in range(_CLAIM_ROUNDS):
            now = self._clock.now()
            token = secrets.token_hex(16)
            record_id = new_id("idem")
            if await self._repo.insert_claim(
                record_id=record_id,
                application_id=application_id,
                caller=caller,
                key=key,
                request_hash=request_hash,
                claim_token=token,
                now=now,
                locked_until=now + self._lease,
                expires_at=now + self._retention,
            ):
                return _Claim(record_id, token)
            existing = await self._repo.get(application_id, caller, key)
            if existing is None:
                continue  # released or expired in between: claim again
            if existing.state == COMPLETED:
                if not secrets.compare_digest(existing.request_hash, request_hash):
                    raise _reused()
                return StoredResponse(
                    status_code=existing.response_status or 200,
                    body=(existing.response_body or "").encode("utf-8"),
                )
            if existing.locked_until > now:
                raise _in_use()
            if await self._repo.take_over(
                existing.id,
                stale_token=existing.claim_token,
                request_hash=request_hash,
                claim_token=token,
                locked_until=now + self._lease,
            ):
                return _Claim(existing.id, token)
        raise _in_use()


def _reused() -> InvalidError:
    return InvalidError(
        "This idempotency key was already used for a different request",
        code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
    )


def _in_use() -> ConflictError:
    return ConflictError(
        "A request with this idempotency key is still being processed; retry later",
        code=ErrorCode.IDEMPOTENCY_KEY_IN_USE,
    )
