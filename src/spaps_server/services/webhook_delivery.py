"""The webhook delivery worker: signs and POSTs due deliveries, retries failures on a
schedule and records every attempt.

Each server process runs one worker (started and stopped by the app's lifespan). Work is
shared through the database (``storage.webhooks``): a worker claims a due delivery with a
lease before sending it and records the attempt only while it still holds that claim, so
several processes on one database never make one attempt twice, and a delivery whose worker
died is taken up again once the lease runs out. Nothing lives only in memory: a restart
resumes every pending delivery.

An attempt is a POST of the event's stored JSON bytes with::

    Content-Type: application/json
    X-SPAPS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
    X-SPAPS-Event-Id: evt_...
    X-SPAPS-Event-Type: checkout.session.completed

A 2xx answer completes the delivery; anything else (another status, a timeout, a refused
connection) schedules the next attempt after the next delay of the retry schedule, and when
the schedule is used up the delivery is ``failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Sequence
from datetime import timedelta

import httpx

from ..domain.clock import Clock
from ..domain.ids import new_id
from ..domain.webhooks import (
    DEFAULT_RETRY_SCHEDULE,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    ClaimedDelivery,
    DeliveryStatus,
    WebhookAttempt,
)
from ..storage.database import Database
from ..storage.webhooks import WebhooksRepository
from .events import DeliverySignal
from .webhook_endpoints import WebhookEndpointService

logger = logging.getLogger("spaps_server.webhooks")

SNIPPET_CHARS = 500
# Bytes read from a response body for its snippet (enough for 500 characters of UTF-8 text
# in the common case; the rest of a large body is not downloaded).
_SNIPPET_BYTES = 4 * SNIPPET_CHARS
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_CONCURRENCY = 8
USER_AGENT = "spaps-local-webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-SPAPS-Signature`` value for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookDeliveryWorker:
    """Delivers due webhook deliveries until stopped (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        endpoints: WebhookEndpointService,
        signal: DeliverySignal,
        *,
        retry_schedule: Sequence[float] = DEFAULT_RETRY_SCHEDULE,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self._repo = WebhooksRepository(db)
        self._clock = clock
        self._endpoints = endpoints
        self._signal = signal
        self._schedule = tuple(float(s) for s in retry_schedule)
        self._timeout = timeout_seconds
        self._poll_interval = poll_interval
        self._concurrency = max(1, concurrency)
        # Long enough for one attempt (bounded by the HTTP timeout) plus recording it.
        self._lease = timedelta(seconds=timeout_seconds + 20)
        self._claim_token = secrets.token_hex(16)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    @property
    def running(self) -> bool:
        """Whether the worker's loop is running."""
        return self._task is not None and not self._task.done()

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called (the loop claims nothing more)."""
        return self._stopping

    def start(self) -> None:
        """Start the loop as a task of the running event loop (no-op when running)."""
        if self.running:
            return
        self._stopping = False
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self._timeout),
            follow_redirects=False,
            trust_env=False,  # never route deliveries through a proxy from the environment
            headers={"User-Agent": USER_AGENT},
        )
        self._task = asyncio.create_task(self._run(), name="spaps-webhook-worker")

    async def stop(self) -> None:
        """Stop claiming, let the attempts in flight finish (and be recorded), then close."""
        self._stopping = True
        self._signal.wake()
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                claimed = await self._claim()
            except Exception:
                logger.exception("claiming webhook deliveries failed; retrying shortly")
                await self._signal.wait(self._poll_interval)
                continue
            for delivery in claimed:
                task = asyncio.create_task(self._attempt(delivery))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            if claimed and len(self._in_flight) < self._concurrency:
                continue  # there may be more due right now
            await self._signal.wait(await self._idle_delay())

    async def _claim(self) -> list[ClaimedDelivery]:
        capacity = self._concurrency - len(self._in_flight)
        if capacity <= 0:
            return []
        now = self._clock.now()
        return await self._repo.claim_due(
            now=now,
            claim_token=self._claim_token,
            claim_until=now + self._lease,
            limit=capacity,
        )

    async def _idle_delay(self) -> float:
        """Seconds until the next poll: the poll interval, or sooner if a delivery is due."""
        try:
            due = await self._repo.next_due_at()
        except Exception:
            return self._poll_interval
        if due is None:
            return self._poll_interval
        wait = (due - self._clock.now()).total_seconds()
        return min(max(wait, 0.01), self._poll_interval)

    async def _attempt(self, delivery: ClaimedDelivery) -> None:
        try:
            await self._deliver(delivery)
        except Exception:
            # The claim's lease runs out and another round (here or elsewhere) retries it.
            logger.exception("webhook delivery %s could not be recorded", delivery.id)
        finally:
            self._signal.wake()

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        client = self._client
        if client is None:
            return
        number = delivery.attempt_count + 1
        secret = await self._endpoints.secret_for(delivery.application_id)
        body = delivery.payload.encode("utf-8")
        started_at = self._clock.now()
        timestamp = int(started_at.timestamp())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            EVENT_ID_HEADER: delivery.event_id,
            EVENT_TYPE_HEADER: delivery.event_type,
        }
        status_code: int | None = None
        snippet: str | None = None
        error: str | None = None
        began = time.perf_counter()
        try:
            async with client.stream("POST", delivery.url, content=body, headers=headers) as resp:
                status_code = resp.status_code
                snippet = await _read_snippet(resp)
        except httpx.TimeoutException:
            error = f"timed out after {self._timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:SNIPPET_CHARS] or type(exc).__name__
        latency_ms = round((time.perf_counter() - began) * 1000)
        succeeded = status_code is not None and 200 <= status_code < 300
        now = self._clock.now()
        if succeeded:
            status, next_at = DeliveryStatus.SUCCEEDED, None
        elif number <= len(self._schedule):
            status = DeliveryStatus.PENDING
            next_at = now + timedelta(seconds=self._schedule[number - 1])
        else:
            status, next_at = DeliveryStatus.FAILED, None
        if error is None and not succeeded:
            error = f"HTTP {status_code}"
        attempt = WebhookAttempt(
            id=new_id("wha"),
            delivery_id=delivery.id,
            attempt_number=number,
            started_at=started_at,
            succeeded=succeeded,
            status_code=status_code,
            latency_ms=latency_ms,
            response_snippet=snippet,
            error=error,
        )
        recorded = await self._repo.record_attempt(
            delivery, attempt, status=status, next_attempt_at=next_at, now=now
        )
        if not recorded:
            logger.warning("webhook delivery %s: claim lost before recording", delivery.id)
        elif not succeeded:
            logger.info(
                "webhook %s to %s failed (attempt %d: %s)%s",
                delivery.event_id,
                delivery.url,
                number,
                error,
                "; giving up" if status is DeliveryStatus.FAILED else "",
            )


async def _read_snippet(response: httpx.Response) -> str | None:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= _SNIPPET_BYTES:
            break
    if not data:
        return None
    return bytes(data[:_SNIPPET_BYTES]).decode("utf-8", errors="replace")[:SNIPPET_CHARS]
