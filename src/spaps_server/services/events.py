"""Events and the transactional outbox.

:meth:`EventService.emit` writes an event and one pending delivery per active endpoint of the
application on the caller's connection, inside the transaction that makes the state change:
the change and its event commit together or not at all, and a committed event is never lost
(the delivery worker, ``services.webhook_delivery``, sends it from the database, also after a
restart). Once such a transaction commits, the worker of this process is woken at once;
workers of other processes find the deliveries on their next poll.

Emitting from a service::

    async with self._db.begin() as conn:
        await self._repo.mark_paid(session_id, conn=conn)
        await self._events.emit(
            conn=conn,
            application_id=app_id,
            type=EventType.CHECKOUT_SESSION_COMPLETED,
            data={"object": session_json},
        )
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import decimal
import enum
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.clock import Clock
from ..domain.error_codes import ErrorCode
from ..domain.errors import ConflictError, NotFoundError
from ..domain.ids import new_id
from ..domain.webhooks import (
    EVENT_SCHEMA_VERSION,
    EventType,
    WebhookDelivery,
    WebhookEvent,
    iso_utc,
)
from ..storage.database import Database
from ..storage.webhooks import WebhooksRepository

# Marks a connection whose transaction queued deliveries (in ``Connection.info``), so the
# worker is woken when, and only when, that transaction commits.
_WAKE_KEY = "spaps_webhook_deliveries_queued"

KNOWN_EVENT_TYPES: frozenset[str] = frozenset(t.value for t in EventType)


class EventEmitter(Protocol):
    """Writes an event in the caller's transaction (the webhook outbox); what domain services
    depend on, so they need not know :class:`EventService`."""

    async def emit(
        self, *, conn: AsyncConnection, application_id: str, type: str, data: Mapping[str, Any]
    ) -> object:
        """Record event ``type`` with ``data`` for ``application_id`` on ``conn``."""


class DeliverySignal:
    """Wakes this process's delivery worker (an :class:`asyncio.Event` underneath)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        """Make the worker look for due deliveries now."""
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """Wait until woken or ``timeout`` seconds pass; True when woken."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout=max(timeout, 0.0))
        except asyncio.TimeoutError:
            return False
        finally:
            self._event.clear()
        return True


def _json_default(value: object) -> Any:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise TypeError("event data needs timezone-aware datetimes")
        return iso_utc(value.astimezone(_dt.timezone.utc))
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"event data of type {type(value).__name__} is not JSON-serialisable")


def encode_json(value: Any) -> str:
    """Compact UTF-8 JSON (datetimes as ISO-8601 UTC, decimals as strings)."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_json_default
    )


class EventService:
    """Emits events into the outbox, replays them and reads them back."""

    def __init__(self, db: Database, clock: Clock, signal: DeliverySignal) -> None:
        self._db = db
        self._clock = clock
        self._signal = signal
        self._repo = WebhooksRepository(db)
        sa.event.listen(db.engine.sync_engine, "commit", self._after_commit)
        sa.event.listen(db.engine.sync_engine, "rollback", self._after_rollback)

    def _after_commit(self, conn: sa.Connection) -> None:
        if conn.info.pop(_WAKE_KEY, False):
            self._signal.wake()

    def _after_rollback(self, conn: sa.Connection) -> None:
        conn.info.pop(_WAKE_KEY, None)

    def build_event(
        self, *, application_id: str, type: str, data: Mapping[str, Any]
    ) -> WebhookEvent:
        """A new event with its envelope encoded (not yet stored)."""
        event_type = str(type.value if isinstance(type, EventType) else type)
        if event_type not in KNOWN_EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r} (see domain.webhooks.EventType)")
        # Round-trip the data so the stored copy is exactly what the envelope carries.
        clean: dict[str, Any] = json.loads(encode_json(dict(data)))
        created_at = self._clock.now().astimezone(_dt.timezone.utc)
        draft = WebhookEvent(
            id=new_id("evt"),
            application_id=application_id,
            type=event_type,
            schema_version=EVENT_SCHEMA_VERSION,
            data=clean,
            created_at=created_at,
            payload="",
        )
        return dataclasses.replace(draft, payload=encode_json(draft.envelope()))

    async def emit(
        self, *, conn: AsyncConnection, application_id: str, type: str, data: Mapping[str, Any]
    ) -> WebhookEvent:
        """Write an event and one pending delivery per active endpoint of the application,
        on ``conn`` (the caller's transaction: if it rolls back, nothing was emitted).

        ``type`` is an :class:`EventType` (a ``str``); ``data`` must be JSON-serialisable
        (timezone-aware datetimes, decimals and enums are converted). Raises ``ValueError``
        for an unknown type or unserialisable data.
        """
        event = self.build_event(application_id=application_id, type=type, data=data)
        queued = await self._repo.insert_event(event, conn=conn)
        if queued:
            conn.info[_WAKE_KEY] = True
        return event

    async def emit_now(
        self, *, application_id: str, type: str, data: Mapping[str, Any]
    ) -> WebhookEvent:
        """:meth:`emit` in a transaction of its own (for events that are the change)."""
        async with self._db.begin() as conn:
            return await self.emit(conn=conn, application_id=application_id, type=type, data=data)

    async def send_test(self, application_id: str) -> WebhookEvent:
        """Emit a ``spaps.test`` event to every active endpoint of the application; 409
        ``NO_WEBHOOK_ENDPOINTS`` when it has none."""
        if not await self._repo.list_endpoints(application_id):
            raise _no_endpoints()
        return await self.emit_now(
            application_id=application_id,
            type=EventType.SPAPS_TEST,
            data={
                "message": "A test event from spaps local",
                "sent_at": iso_utc(self._clock.now()),
            },
        )

    async def replay(
        self, event_id: str, *, application_id: str | None = None
    ) -> list[WebhookDelivery]:
        """Send an event again (the same bytes, the same id) to every active endpoint of its
        application: one new delivery each, with its own attempts and retries.

        404 ``WEBHOOK_EVENT_NOT_FOUND`` for an unknown event (or one of another application
        when ``application_id`` is given); 409 ``NO_WEBHOOK_ENDPOINTS`` when no endpoint is
        active.
        """
        event = await self.get(event_id, application_id=application_id)
        before = {d.id for d in await self._repo.deliveries_of([event.id])}
        async with self._db.begin() as conn:
            queued = await self._repo.insert_deliveries(event, conn=conn, now=self._clock.now())
            if not queued:
                raise _no_endpoints()
            conn.info[_WAKE_KEY] = True
        return [d for d in await self._repo.deliveries_of([event.id]) if d.id not in before]

    async def get(self, event_id: str, *, application_id: str | None = None) -> WebhookEvent:
        """One event; 404 ``WEBHOOK_EVENT_NOT_FOUND`` if unknown (or of another application)."""
        event = await self._repo.get_event(event_id.strip())
        if event is None or (application_id is not None and event.application_id != application_id):
            raise NotFoundError(
                "No webhook event with that id", code=ErrorCode.WEBHOOK_EVENT_NOT_FOUND
            )
        return event

    async def recent(
        self, *, application_id: str | None = None, limit: int = 100
    ) -> list[WebhookEvent]:
        """Events, newest first."""
        return await self._repo.list_events(application_id=application_id, limit=limit)

    async def deliveries(self, event_ids: Sequence[str]) -> list[WebhookDelivery]:
        """The deliveries of these events with every attempt, oldest first."""
        return await self._repo.deliveries_of(event_ids)


def _no_endpoints() -> ConflictError:
    return ConflictError(
        "The application has no active webhook endpoint; add one first",
        code=ErrorCode.NO_WEBHOOK_ENDPOINTS,
    )
