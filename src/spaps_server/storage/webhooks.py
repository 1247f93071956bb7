"""Repository for webhooks: secrets, endpoints, the event outbox, deliveries and attempts.

Delivery claims live in the database so that any number of server processes share the work
without delivering one attempt twice: a worker claims a due delivery by setting its
``claim_token`` and ``claim_until`` in a conditional ``UPDATE`` (on PostgreSQL after selecting
candidates ``FOR UPDATE SKIP LOCKED``), and records the attempt only while it still holds that
claim. A claim whose lease ran out (its worker died) is claimable again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.ids import new_id
from ..domain.webhooks import (
    ClaimedDelivery,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .database import Database, DatabaseKind
from .tables import (
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
    webhook_secrets,
)
from .types import UTCDateTime


def _endpoint(m: RowMapping) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=m["id"],
        application_id=m["application_id"],
        url=m["url"],
        description=m["description"],
        created_at=m["created_at"],
        removed_at=m["removed_at"],
    )


def _event(m: RowMapping) -> WebhookEvent:
    return WebhookEvent(
        id=m["id"],
        application_id=m["application_id"],
        type=m["type"],
        schema_version=int(m["schema_version"]),
        data=dict(m["data"]),
        created_at=m["created_at"],
        payload=m["payload"],
    )


def _attempt(m: RowMapping) -> WebhookAttempt:
    return WebhookAttempt(
        id=m["id"],
        delivery_id=m["delivery_id"],
        attempt_number=int(m["attempt_number"]),
        started_at=m["started_at"],
        succeeded=bool(m["succeeded"]),
        status_code=m["status_code"],
        latency_ms=int(m["latency_ms"]),
        response_snippet=m["response_snippet"],
        error=m["error"],
    )


class WebhooksRepository:
    """The ``webhook_*`` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- secrets ------------------------------------------------------------------------

    async def get_secret(self, application_id: str) -> str | None:
        """The application's signing secret, if one was stored."""
        async with self._db.read() as conn:
            value = await conn.scalar(
                sa.select(webhook_secrets.c.secret).where(
                    webhook_secrets.c.application_id == application_id
                )
            )
        return None if value is None else str(value)

    async def store_secret_if_absent(self, application_id: str, secret: str, now: datetime) -> str:
        """Store ``secret`` unless the application has one; return the one that is stored
        (another process may have stored its own first)."""
        try:
            async with self._db.begin() as conn:
                existing = await conn.scalar(
                    sa.select(webhook_secrets.c.secret).where(
                        webhook_secrets.c.application_id == application_id
                    )
                )
                if existing is not None:
                    return str(existing)
                await conn.execute(
                    sa.insert(webhook_secrets).values(
                        application_id=application_id, secret=secret, created_at=now
                    )
                )
                return secret
        except IntegrityError:
            stored = await self.get_secret(application_id)
            if stored is None:
                raise
            return stored

    # --- endpoints ----------------------------------------------------------------------

    async def add_endpoint(
        self,
        *,
        endpoint_id: str,
        application_id: str,
        url: str,
        description: str | None,
        now: datetime,
    ) -> tuple[WebhookEndpoint, bool]:
        """Register ``url`` (or revive it if it was removed); returns the endpoint and
        whether anything changed (False: it was already active)."""
        for _ in range(2):
            try:
                async with self._db.begin() as conn:
                    row = (
                        await conn.execute(
                            sa.select(webhook_endpoints).where(
                                webhook_endpoints.c.application_id == application_id,
                                webhook_endpoints.c.url == url,
                            )
                        )
                    ).first()
                    if row is not None:
                        existing = _endpoint(row._mapping)
                        if existing.active:
                            return existing, False
                        values: dict[str, Any] = {"removed_at": None}
                        if description is not None:
                            values["description"] = description
                        await conn.execute(
                            sa.update(webhook_endpoints)
                            .where(webhook_endpoints.c.id == existing.id)
                            .values(**values)
                        )
                        revived = WebhookEndpoint(
                            id=existing.id,
                            application_id=application_id,
                            url=url,
                            description=values.get("description", existing.description),
                            created_at=existing.created_at,
                        )
                        return revived, True
                    await conn.execute(
                        sa.insert(webhook_endpoints).values(
                            id=endpoint_id,
                            application_id=application_id,
                            url=url,
                            description=description,
                            created_at=now,
                            removed_at=None,
                        )
                    )
                    return (
                        WebhookEndpoint(endpoint_id, application_id, url, description, now),
                        True,
                    )
            except IntegrityError:
                continue  # a concurrent add of the same URL won; read theirs
        raise RuntimeError("could not register the webhook endpoint")

    async def list_endpoints(
        self, application_id: str | None = None, *, include_removed: bool = False
    ) -> list[WebhookEndpoint]:
        """Endpoints, oldest first (all applications' when ``application_id`` is None)."""
        query = sa.select(webhook_endpoints).order_by(
            webhook_endpoints.c.created_at, webhook_endpoints.c.id
        )
        if application_id is not None:
            query = query.where(webhook_endpoints.c.application_id == application_id)
        if not include_removed:
            query = query.where(webhook_endpoints.c.removed_at.is_(None))
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [_endpoint(r._mapping) for r in rows]

    async def remove_endpoint(
        self, *, application_id: str | None, id_or_url: str, now: datetime
    ) -> WebhookEndpoint | None:
        """Stop delivering to an active endpoint given by id or URL; its pending deliveries
        are marked failed. None when there is no such active endpoint."""
        async with self._db.begin() as conn:
            query = sa.select(webhook_endpoints).where(
                sa.or_(webhook_endpoints.c.id == id_or_url, webhook_endpoints.c.url == id_or_url),
                webhook_endpoints.c.removed_at.is_(None),
            )
            if application_id is not None:
                query = query.where(webhook_endpoints.c.application_id == application_id)
            row = (await conn.execute(query.limit(1))).first()
            if row is None:
                return None
            endpoint = _endpoint(row._mapping)
            await conn.execute(
                sa.update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint.id)
                .values(removed_at=now)
            )
            await conn.execute(
                sa.update(webhook_deliveries)
                .where(
                    webhook_deliveries.c.endpoint_id == endpoint.id,
                    webhook_deliveries.c.status == DeliveryStatus.PENDING.value,
                )
                .values(
                    status=DeliveryStatus.FAILED.value,
                    next_attempt_at=None,
                    updated_at=now,
                    completed_at=now,
                )
            )
        return WebhookEndpoint(
            endpoint.id,
            endpoint.application_id,
            endpoint.url,
            endpoint.description,
            endpoint.created_at,
            removed_at=now,
        )

    # --- events and deliveries ----------------------------------------------------------

    async def insert_event(
        self,
        event: WebhookEvent,
        *,
        conn: AsyncConnection,
        endpoint_ids: Sequence[str] | None = None,
    ) -> int:
        """Write ``event`` and one pending delivery per active endpoint of its application,
        due at once, in the caller's transaction; returns how many deliveries were queued.
        ``endpoint_ids`` restricts the deliveries to those endpoints."""
        await conn.execute(
            sa.insert(webhook_events).values(
                id=event.id,
                application_id=event.application_id,
                type=event.type,
                schema_version=event.schema_version,
                data=event.data,
                payload=event.payload,
                created_at=event.created_at,
            )
        )
        return await self.insert_deliveries(
            event,
            conn=conn,
            endpoint_ids=endpoint_ids,
            now=event.created_at,
        )

    async def insert_deliveries(
        self,
        event: WebhookEvent,
        *,
        conn: AsyncConnection,
        now: datetime,
        endpoint_ids: Sequence[str] | None = None,
    ) -> int:
        """Queue one pending delivery of ``event`` per active endpoint of its application
        (or per given active endpoint), due at ``now``."""
        query = sa.select(webhook_endpoints.c.id).where(
            webhook_endpoints.c.application_id == event.application_id,
            webhook_endpoints.c.removed_at.is_(None),
        )
        if endpoint_ids is not None:
            query = query.where(webhook_endpoints.c.id.in_(list(endpoint_ids)))
        targets = [
            str(v) for v in (await conn.execute(query.order_by(webhook_endpoints.c.id))).scalars()
        ]
        if not targets:
            return 0
        rows = [
            {
                "id": new_id("whd"),
                "event_id": event.id,
                "endpoint_id": endpoint_id,
                "application_id": event.application_id,
                "status": DeliveryStatus.PENDING.value,
                "attempt_count": 0,
                "next_attempt_at": now,
                "claim_token": None,
                "claim_until": None,
                "created_at": now,
                "updated_at": now,
                "completed_at": None,
            }
            for endpoint_id in targets
        ]
        await conn.execute(sa.insert(webhook_deliveries), rows)
        return len(rows)

    async def get_event(self, event_id: str) -> WebhookEvent | None:
        """One event by id."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(sa.select(webhook_events).where(webhook_events.c.id == event_id))
            ).first()
        return None if row is None else _event(row._mapping)

    async def list_events(
        self, *, application_id: str | None = None, limit: int = 100
    ) -> list[WebhookEvent]:
        """Events, newest first."""
        query = (
            sa.select(webhook_events)
            .order_by(webhook_events.c.created_at.desc(), webhook_events.c.id.desc())
            .limit(limit)
        )
        if application_id is not None:
            query = query.where(webhook_events.c.application_id == application_id)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [_event(r._mapping) for r in rows]

    async def deliveries_of(self, event_ids: Sequence[str]) -> list[WebhookDelivery]:
        """The deliveries of these events with their attempts, oldest first."""
        if not event_ids:
            return []
        d, e = webhook_deliveries, webhook_endpoints
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(d, e.c.url)
                    .join(e, e.c.id == d.c.endpoint_id)
                    .where(d.c.event_id.in_(list(event_ids)))
                    .order_by(d.c.created_at, d.c.id)
                )
            ).all()
            ids = [r._mapping["id"] for r in rows]
            attempt_rows = (
                (
                    await conn.execute(
                        sa.select(webhook_attempts)
                        .where(webhook_attempts.c.delivery_id.in_(ids))
                        .order_by(webhook_attempts.c.delivery_id, webhook_attempts.c.attempt_number)
                    )
                ).all()
                if ids
                else []
            )
        attempts: dict[str, list[WebhookAttempt]] = {}
        for row in attempt_rows:
            attempt = _attempt(row._mapping)
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
        return [
            WebhookDelivery(
                id=m["id"],
                event_id=m["event_id"],
                endpoint_id=m["endpoint_id"],
                application_id=m["application_id"],
                url=m["url"],
                status=DeliveryStatus(m["status"]),
                attempt_count=int(m["attempt_count"]),
                next_attempt_at=m["next_attempt_at"],
                created_at=m["created_at"],
                completed_at=m["completed_at"],
                attempts=tuple(attempts.get(m["id"], ())),
            )
            for m in (r._mapping for r in rows)
        ]

    # --- the worker's claims ------------------------------------------------------------

    def _due(self, now: datetime) -> sa.ColumnElement[bool]:
        d = webhook_deliveries
        return sa.and_(
            d.c.status == DeliveryStatus.PENDING.value,
            d.c.next_attempt_at <= now,
            sa.or_(d.c.claim_until.is_(None), d.c.claim_until < now),
        )

    async def claim_due(
        self, *, now: datetime, claim_token: str, claim_until: datetime, limit: int
    ) -> list[ClaimedDelivery]:
        """Claim up to ``limit`` due deliveries for one worker (see the module docstring)."""
        d, e, ev = webhook_deliveries, webhook_endpoints, webhook_events
        # Idle polls are reads only: the write transaction (on SQLite, the database's write
        # lock) is taken only when something is due.
        async with self._db.read() as conn:
            due = await conn.scalar(sa.select(d.c.id).where(self._due(now)).limit(1))
        if due is None:
            return []
        async with self._db.begin() as conn:
            candidates = sa.select(d.c.id).where(self._due(now)).order_by(d.c.next_attempt_at)
            candidates = candidates.limit(limit)
            if self._db.kind is DatabaseKind.POSTGRESQL:
                # Rows another worker is claiming right now are skipped, not waited for.
                candidates = candidates.with_for_update(skip_locked=True)
            ids = [str(v) for v in (await conn.execute(candidates)).scalars()]
            if not ids:
                return []
            # The condition is re-checked in the UPDATE itself, so a row claimed in between
            # (possible on SQLite's autocommit reads elsewhere) is never claimed twice.
            claimed = await conn.execute(
                sa.update(d)
                .where(d.c.id.in_(ids), self._due(now))
                .values(claim_token=claim_token, claim_until=claim_until)
            )
            if not claimed.rowcount:
                return []
            rows = (
                await conn.execute(
                    sa.select(
                        d.c.id,
                        d.c.event_id,
                        d.c.application_id,
                        d.c.attempt_count,
                        e.c.url,
                        ev.c.type,
                        ev.c.payload,
                    )
                    .join(e, e.c.id == d.c.endpoint_id)
                    .join(ev, ev.c.id == d.c.event_id)
                    .where(d.c.id.in_(ids), d.c.claim_token == claim_token)
                )
            ).all()
        return [
            ClaimedDelivery(
                id=m["id"],
                claim_token=claim_token,
                event_id=m["event_id"],
                event_type=m["type"],
                application_id=m["application_id"],
                url=m["url"],
                payload=m["payload"],
                attempt_count=int(m["attempt_count"]),
            )
            for m in (r._mapping for r in rows)
        ]

    async def record_attempt(
        self,
        delivery: ClaimedDelivery,
        attempt: WebhookAttempt,
        *,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Record an attempt and the delivery's new state, and release the claim; False
        (nothing written) when the claim was lost, e.g. its lease ran out meanwhile."""
        d = webhook_deliveries
        try:
            async with self._db.begin() as conn:
                updated = await conn.execute(
                    sa.update(d)
                    .where(d.c.id == delivery.id, d.c.claim_token == delivery.claim_token)
                    .values(
                        status=status.value,
                        attempt_count=attempt.attempt_number,
                        next_attempt_at=next_attempt_at,
                        claim_token=None,
                        claim_until=None,
                        updated_at=now,
                        completed_at=None if status is DeliveryStatus.PENDING else now,
                    )
                )
                if not updated.rowcount:
                    return False
                await conn.execute(
                    sa.insert(webhook_attempts).values(
                        id=attempt.id,
                        delivery_id=attempt.delivery_id,
                        attempt_number=attempt.attempt_number,
                        started_at=attempt.started_at,
                        succeeded=attempt.succeeded,
                        status_code=attempt.status_code,
                        latency_ms=attempt.latency_ms,
                        response_snippet=attempt.response_snippet,
                        error=attempt.error,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def next_due_at(self) -> datetime | None:
        """When the earliest unclaimed pending delivery is due (None: nothing waits)."""
        d = webhook_deliveries
        async with self._db.read() as conn:
            value = await conn.scalar(
                sa.select(sa.type_coerce(sa.func.min(d.c.next_attempt_at), UTCDateTime)).where(
                    d.c.status == DeliveryStatus.PENDING.value, d.c.claim_token.is_(None)
                )
            )
        return value if isinstance(value, datetime) else None
