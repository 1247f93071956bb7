"""Webhook receivers for tests: small HTTP servers on 127.0.0.1 that record every request and
answer according to a plan, and a test-only router that emits events through
``ctx.events.emit`` inside a transaction (optionally rolled back)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel

from spaps_server.http.deps import Ctx
from spaps_server.http.envelopes import Envelope, EnvelopeJSONResponse, ok


@dataclasses.dataclass(frozen=True)
class Received:
    """One request as the receiver got it (header names lower-cased)."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers["x-spaps-event-id"]


# Decides the answer to a request: (status, body). Called with the request and how many
# requests carrying the same event id were received before it.
Plan = Callable[[Received, int], tuple[int, bytes]]


def always(status: int = 200) -> Plan:
    return lambda _request, _seen: (status, b'{"received":true}')


def fail_first(failures: int, status: int = 500) -> Plan:
    """Answer ``status`` to the first ``failures`` requests of each event id, then 200."""

    def plan(_request: Received, seen: int) -> tuple[int, bytes]:
        if seen < failures:
            return status, b"receiver says no"
        return 200, b"ok"

    return plan


class Receiver:
    """A threaded HTTP server on 127.0.0.1 recording webhook POSTs."""

    def __init__(self, plan: Plan | None = None, *, port: int = 0) -> None:
        self.plan = plan or always()
        self.requests: list[Received] = []
        self.arrived = threading.Condition()
        # When set, each request blocks until the gate opens (after being recorded).
        self.gate: threading.Event | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver.arrived:
                    seen = sum(
                        1
                        for r in receiver.requests
                        if r.headers.get("x-spaps-event-id")
                        == request.headers.get("x-spaps-event-id")
                    )
                    receiver.requests.append(request)
                    receiver.arrived.notify_all()
                if receiver.gate is not None:
                    receiver.gate.wait(timeout=30)
                status, answer = receiver.plan(request, seen)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up (a timeout test)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.gate is not None:
            self.gate.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        """Block until at least ``count`` requests arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} webhook requests, got {len(self.requests)}"
                    )
                self.arrived.wait(remaining)
            return list(self.requests)


def independent_signature_check(secret: str, header: str, body: bytes) -> bool:
    """HMAC-SHA256 over ``"<t>.<raw body>"`` computed here, not with the SDK."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def wait_until(check: Callable[[], Any], timeout: float = 60, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def event_state(http: httpx.Client, event_id: str) -> dict[str, Any]:
    """``GET /_dev/webhooks/events/{id}``: the event and its deliveries."""
    response = http.get(f"/_dev/webhooks/events/{event_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def all_settled(http: httpx.Client, event_id: str) -> dict[str, Any] | None:
    """The event's state once it has deliveries and none is pending (else None)."""
    state = event_state(http, event_id)
    deliveries = state["deliveries"]
    if deliveries and all(d["status"] != "pending" for d in deliveries):
        return state
    return None


class EmitIn(BaseModel):
    type: str
    data: dict[str, Any] = {}
    application_id: str | None = None
    # Raise after emitting, inside the transaction, so that it rolls back.
    fail: bool = False


class EmitOut(BaseModel):
    event: dict[str, Any]


class _RolledBack(Exception):
    pass


emit_router = APIRouter()


@emit_router.post("/_test/emit", response_model=Envelope[EmitOut])
async def emit_for_test(ctx: Ctx, body: EmitIn, request: Request) -> EnvelopeJSONResponse:
    """Emit an event in a transaction of its own, as a service does with its change."""
    app_id = body.application_id or ctx.default_application.id
    try:
        async with ctx.db.begin() as conn:
            event = await ctx.events.emit(
                conn=conn, application_id=app_id, type=body.type, data=body.data
            )
            if body.fail:
                raise _RolledBack
    except _RolledBack:
        return ok({"event": {"id": event.id, "rolled_back": True}}, status_code=409)
    return ok({"event": event.envelope()}, status_code=201)
